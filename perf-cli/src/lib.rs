//! `cargo perf`: record runs of a program instrumented with perf-core, keep
//! baselines, and hold a record against a baseline with sound statistics,
//! so that a real regression fails the CI build (exit 1) and noise does not.
//!
//! The binary `cargo-perf` is [`main`]. The library beside it is small, for
//! tools that drive the gate themselves (perf's own benches and end-to-end
//! tests among them):
//! - [`record()`] runs a program and merges its runs into a record;
//! - [`interleave`] runs two built programs interleaved, as `cargo perf ab`
//!   does, into a record of each;
//! - [`load_record_file`] reads a record, baseline or `run.json` as a record;
//! - [`compare()`] judges one record against another by a [`Gate`];
//! - [`render()`] shows the verdict as a table, Markdown, JSON or HTML;
//! - [`Cli`] is the command line, for checking that a command parses;
//! - [`probability`] holds the distributions behind perf's statistics
//!   (Student's t, Clopper–Pearson intervals);
//! - [`history::store`] keeps a record's figures per commit in git notes,
//!   shared through the remote, and reads them back in first-parent order;
//! - [`history::detect`] finds the change points and creep of a series of
//!   measurements over commits.
//!
//! The files themselves (records, comparisons, layout) are `perf_format`'s.
#![warn(missing_docs, unreachable_pub)]

mod ab;
mod baseline;
mod budget;
mod callgrind;
mod cargo;
mod cli;
mod color;
mod commands;
mod compare;
mod config;
mod criterion;
mod error;
mod filter;
mod flamegraph;
mod git;
pub mod history;
mod interrupt;
mod merge;
pub mod probability;
mod record;
mod render;
mod report;
mod settings;
mod show;
mod soak;
mod stats;
mod store;
mod suggest;
mod valgrind;

use std::process::ExitCode;

pub use ab::{Ab, interleave};
pub use cargo::{CargoBuild, CargoTarget};
pub use cli::Cli;
pub use color::ColorChoice;
pub use compare::{FailOn, Gate, compare};
pub use error::Error;
pub use record::{RecordOptions, Recorded, Target, record};
pub use render::{Detail, Format, render};
pub use show::record_table;
pub use store::load_record_file;

/// Exit status when nothing regressed.
pub const EXIT_OK: u8 = 0;
/// Exit status for a regression or an exceeded budget.
pub const EXIT_REGRESSION: u8 = 1;
/// Exit status for trouble: bad arguments, a missing or corrupt file.
pub const EXIT_TROUBLE: u8 = 2;

/// The `cargo-perf` program: parses the command line (dropping the `perf`
/// that cargo passes first), runs it, prints trouble as one line on stderr,
/// and returns the exit status. Stopped by Ctrl-C or SIGTERM while it
/// records, it stops the program it runs, removes what it staged, and ends
/// by that signal.
pub fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "perf") {
        args.remove(1);
    }
    let command = <Cli as clap::CommandFactory>::command().color(ColorChoice::for_clap(&args));
    let parsed = command
        .try_get_matches_from(args)
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches));
    let cli = match parsed {
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
    if let Err(e) = interrupt::install() {
        tracing::warn!("Ctrl-C will not clean up: cannot handle signals: {e}");
    }
    let outcome = commands::run(cli);
    if let Some(signal) = interrupt::received_signal() {
        if let Err(e) = &outcome {
            eprintln!("error: {e}");
        }
        return interrupt::end_by(signal);
    }
    match outcome {
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
