//! `cargo-perf` driven as a user drives it: in a temporary project, with
//! records and baselines on disk, reading its output and exit status.

mod bad_input;
mod baseline;
mod compare;
mod criterion;
mod record;
mod statistics;
mod util;
