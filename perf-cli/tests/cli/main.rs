//! `cargo-perf` driven as a user drives it: in a temporary project, with
//! records and baselines on disk, reading its output and exit status.

mod ab;
mod alerts;
mod bad_input;
mod baseline;
mod browser;
mod build;
mod children;
mod color;
mod compare;
mod criterion;
mod filter;
mod flamegraph;
mod golden;
mod guard;
mod history;
mod hostile_names;
mod readme;
mod record;
mod records;
mod report;
mod soak;
mod statistics;
mod util;
