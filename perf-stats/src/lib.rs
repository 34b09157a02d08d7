//! Every verdict of perf, as pure functions over numbers and the
//! `perf-format` schemas: no I/O, no processes, no command line. `cargo
//! perf` (the `perf-cli` package) reads the files, runs the programs and
//! prints; the judging is here, where it can be tested and reused.
//!
//! - [`summary`]: the one median, a robust spread, a median's lower bound;
//! - [`probability`]: Student's t, Beta, the normal quantile, and the
//!   Clopper–Pearson interval of a rate;
//! - [`rank`]: the Mann–Whitney U test and the Hodges–Lehmann shift with
//!   its interval; [`fdr`]: Benjamini–Hochberg over many tests;
//! - [`trend`]: Mann–Kendall and the one Theil–Sen, with Sen's interval;
//! - [`gate`]: a record judged against a baseline (`compare`, `ab`), with
//!   the machine's drift taken out and the cause of each change named, and
//!   [`gate::comparable`]: whether two records can be compared at all;
//! - [`budget`]: absolute limits held against a record;
//! - [`filter`]: `--filter`, the functions a verdict looks at;
//! - [`order`]: the balanced run order of `ab` and what it bought;
//! - [`history`]: series over commits, their change points and creep, and
//!   a baseline made of them;
//! - [`soak`]: whether a heap grows, from its floor over time.
//!
//! With the `testing` feature, `random` (the one seeded generator) and
//! the evaluations (`evaluation`, `history::evaluation`,
//! `soak::evaluation`) are public, for tests and benches that generate
//! data and for anyone checking the figures perf's docs quote.
//!
//! # Examples
//!
//! ```
//! use perf_stats::rank::RankTester;
//!
//! // Five runs a side, the current ones 30% slower: the exact rank test
//! // gives its smallest p-value, and the shift is found.
//! let baseline = [100.0, 101.0, 99.0, 100.5, 100.2];
//! let current = [130.0, 131.5, 129.0, 130.2, 130.8];
//! let mut tester = RankTester::new();
//! assert!(tester.test(&baseline, &current).p_value < 0.01);
//! let shift = tester.shift(&baseline, &current, 0.95);
//! assert!((shift.estimate - 30.0).abs() < 1.0);
//! ```
#![warn(missing_docs, unreachable_pub)]

pub mod budget;
#[cfg(any(test, feature = "testing"))]
pub mod evaluation;
pub mod fdr;
pub mod filter;
pub mod gate;
pub mod history;
pub mod order;
pub mod probability;
#[cfg(feature = "testing")]
pub mod random;
#[cfg(not(feature = "testing"))]
// Only `order` draws from it without the feature.
#[allow(unreachable_pub, dead_code)]
mod random;
pub mod rank;
pub mod soak;
pub mod summary;
pub mod trend;
