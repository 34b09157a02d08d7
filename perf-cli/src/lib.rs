//! `cargo perf`: record runs of a program instrumented with perf-core, keep
//! baselines, and hold a record against a baseline with sound statistics,
//! so that a real regression fails the CI build (exit 1) and noise does not.
//!
//! The binary `cargo-perf` is [`main`]. Its source shows its architecture:
//! - `cli`: the command line (clap), mapped into plain settings
//!   (`settings` resolves them over `perf.toml` and the environment);
//! - `commands`: one file per subcommand, from settings to output;
//! - `run`: the programs perf runs — cargo builds, runs and their merging
//!   into records, callgrind, interleaved A/B, soaks, git — and signals;
//! - `store`: records, baselines, the history's git notes, `perf.toml`,
//!   and imported files;
//! - `render`: every table, Markdown, JSON, HTML, SVG and chart;
//! - `gate`: the commands' side of `perf_stats`' verdicts (budgets from
//!   perf.toml, mismatches refused, filters checked).
//!
//! Every verdict is `perf_stats`', every file format `perf_format`'s. The
//! library beside the binary is small, for perf's own end-to-end tests and
//! benches, which drive recording and rendering themselves:
//! - [`record()`] runs a program and merges its runs into a record;
//! - [`interleave`] runs two built programs interleaved, as `cargo perf ab`
//!   does, into a record of each;
//! - [`load_record_file`] reads a record, baseline or `run.json` as a record;
//! - [`render()`] shows a comparison as a table, Markdown, JSON or HTML, and
//!   [`record_table`] a record;
//! - [`Cli`] is the command line, for checking that a command parses;
//! - [`notes`] keeps a record's figures per commit in git notes, shared
//!   through the remote, and reads them back in first-parent order.
#![warn(missing_docs, unreachable_pub)]

mod cli;
mod commands;
mod error;
mod gate;
/// The golden files' check, shared with the `cli` tests.
#[cfg(test)]
#[path = "../tests/cli/golden/bless.rs"]
mod golden;
mod render;
mod run;
mod settings;
mod shell;
mod store;
mod suggest;

use std::process::ExitCode;

pub use cli::Cli;
pub use error::Error;
pub use render::record::table as record_table;
pub use render::{Detail, Format, render};
pub use run::ab::{Ab, interleave};
pub use run::cargo::{CargoBuild, CargoTarget};
pub use run::program::Target;
pub use run::record::{RecordOptions, record};
pub use run::runner::Recorded;
pub use store::notes;
pub use store::records::load_record_file;

/// Entry points for perf's benches; not public API.
#[doc(hidden)]
pub mod __bench {
    /// Reads and checks a `perf.toml` as `check` and `alerts` do; returns
    /// how many budgets it holds.
    pub fn read_config(path: &std::path::Path) -> Result<usize, crate::Error> {
        crate::store::config::Config::load(path).map(|config| config.budgets.len())
    }
}

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
    let command = <Cli as clap::CommandFactory>::command().color(cli::clap_color(&args));
    let parsed = command
        .try_get_matches_from(args)
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::ValueValidation | clap::error::ErrorKind::InvalidValue
            ) =>
        {
            // A bad value is told as every other bad setting is: what is
            // wrong and what is accepted, without clap's pointer to --help.
            let text = e.render().to_string();
            let told: Vec<&str> = text.lines().take_while(|l| !l.is_empty()).collect();
            eprintln!("{}", told.join("\n"));
            return ExitCode::from(EXIT_TROUBLE);
        }
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
    run::group::install();
    if let Err(e) = run::signals::install() {
        tracing::warn!("Ctrl-C will not clean up: cannot handle signals: {e}");
    }
    let outcome = commands::run(cli);
    if let Some(signal) = run::signals::received_signal() {
        if let Err(e) = &outcome {
            eprintln!("error: {}", render::text::lines(&e.to_string()));
        }
        return run::signals::end_by(signal);
    }
    match outcome {
        Ok(commands::Outcome::Passed) => ExitCode::from(EXIT_OK),
        Ok(commands::Outcome::Failed) => ExitCode::from(EXIT_REGRESSION),
        Err(e) => {
            eprintln!("error: {}", render::text::lines(&e.to_string()));
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
