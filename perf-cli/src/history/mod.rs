//! History: every commit remembered, shared through git, and change points
//! found.
//!
//! - [`store`] keeps the entries (`perf-history/1`) in git notes on
//!   `refs/notes/perf`, and pushes and pulls them without losing any;
//! - [`baseline`] makes a baseline of the commits since the last change
//!   point (`compare --history`);
//! - [`detect`] finds the change points and creep of one series per
//!   function × metric.

pub mod baseline;
pub(crate) mod chart;
pub(crate) mod command;
pub mod detect;
pub(crate) mod import;
pub(crate) mod series;
pub mod store;
pub(crate) mod trend;
