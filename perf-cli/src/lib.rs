//! `cargo perf`: record runs of a program instrumented with perf-core, keep
//! baselines, and hold a record against a baseline with sound statistics,
//! so that a real regression fails the CI build (exit 1) and noise does not.
//!
//! The binary `cargo-perf` is [`main`]; everything it does is also a library
//! call: [`record::record`], [`baseline::save`], [`compare::compare`],
//! [`budget::check`], [`criterion::import`], [`flamegraph::svg`],
//! [`report::html`].
#![warn(missing_docs, unreachable_pub)]

pub mod baseline;
pub mod budget;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod criterion;
mod error;
pub mod files;
pub mod flamegraph;
pub mod html;
pub mod merge;
pub mod model;
pub mod record;
pub mod report;
pub mod show;
pub mod stats;
pub mod store;
pub mod units;

use std::process::ExitCode;

use clap::Parser as _;

pub use error::Error;

/// Exit status when nothing regressed.
pub const EXIT_OK: u8 = 0;
/// Exit status for a regression or an exceeded budget.
pub const EXIT_REGRESSION: u8 = 1;
/// Exit status for trouble: bad arguments, a missing or corrupt file.
pub const EXIT_TROUBLE: u8 = 2;

/// The `cargo-perf` program: parses the command line (dropping the `perf`
/// that cargo passes first), runs it, prints trouble as one line on stderr,
/// and returns the exit status.
pub fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "perf") {
        args.remove(1);
    }
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                EXIT_TROUBLE
            } else {
                EXIT_OK
            });
        }
    };
    init_logging(cli.verbose);
    match commands::run(cli) {
        Ok(commands::Outcome::Passed) => ExitCode::from(EXIT_OK),
        Ok(commands::Outcome::Failed) => ExitCode::from(EXIT_REGRESSION),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

/// Logs to stderr: warnings by default, more with -v, or as `PERF_LOG` says
/// (error, warn, info, debug, trace).
fn init_logging(verbose: u8) {
    let from_env = std::env::var("PERF_LOG")
        .ok()
        .and_then(|level| level.parse::<tracing::Level>().ok());
    let level = from_env.unwrap_or(match verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    });
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .try_init();
}
