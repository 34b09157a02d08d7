//! The history's verdicts: series of one function × metric over commits,
//! the change points and creep in them, and a baseline made of the commits
//! since the last change point. Where the entries are kept (git notes) is
//! `cargo perf`'s business; here they are values.
//!
//! - [`entry`]: a record boiled down to one figure per function and metric;
//! - [`series`]: entries into series, oldest first;
//! - [`detect`]: change points and creep in a series;
//! - [`baseline`]: the baseline `compare --history` judges against.

pub mod baseline;
pub mod detect;
pub mod entry;
#[cfg(any(test, feature = "testing"))]
pub mod evaluation;
pub mod series;
