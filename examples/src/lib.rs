//! Code shared by the examples and their tests: `alloc_regression`'s two
//! parsers, and the small pieces several examples would otherwise repeat:
//! [`exit_with`] (`NAME: error` and exit status 1), [`requests_arg`]
//! (`--requests N`) and [`print_files`] (where the run's files are).
#![warn(missing_docs, unreachable_pub)]

pub mod alloc_regression;
mod cli;
mod report;

pub use cli::{exit_with, requests_arg};
pub use report::print_files;
