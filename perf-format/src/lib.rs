//! The files perf writes and reads, in one place for the runtime
//! (`perf-core`) and `cargo perf` (`perf-cli`): what a file *is* lives here,
//! apart from the machinery that makes its figures, so a reader never links
//! the recorder.
//!
//! - [`schema`]: typed serde structs of every file and JSON output —
//!   `perf-run/1`, `perf-record/1`, `perf-baseline/1`, `perf-compare/1`,
//!   `perf-check/1`, `perf-history/1`, `perf-soak/1` — and the compatibility
//!   rule they keep to.
//! - [`layout`]: the output root (one rule), run and record directories,
//!   ids, file names and the `latest` pointers.
//! - [`files`]: atomic writes and schema-checked reads that name the file.
//! - [`stacks`]: the one stack type, the folded format, the bounds every
//!   picture keeps to, and (feature `draw`) flamegraph SVGs drawn by
//!   inferno, `stacks::svg`.
//! - `memory` (feature `draw`): `memory.svg`, a run's heap timeline drawn
//!   by plotters.
//! - [`units`] and [`table`]: figures as people read and write them, and
//!   plain-text tables.
//! - [`Error`]: what went wrong, naming the file or setting at fault.
//!
//! # Features
//!
//! - `draw` (off by default): the pictures — `stacks::svg` and `memory` —
//!   and with them the inferno and plotters dependencies. A tool that only
//!   reads and writes perf's files leaves it off; `perf-core` and
//!   `cargo perf` turn it on.
#![warn(missing_docs, unreachable_pub)]

mod error;
pub mod files;
pub mod html;
pub mod layout;
#[cfg(feature = "draw")]
pub mod memory;
pub mod schema;
pub mod stacks;
pub mod table;
pub mod units;

pub use error::{Error, describe};
