//! `cargo perf completions SHELL`: a completion script on stdout.

use super::{Outcome, to_stdout};
use crate::Error;
use crate::cli::Cli;

/// Prints the completion script of `shell`.
pub(super) fn run(shell: clap_complete::Shell) -> Result<Outcome, Error> {
    let mut script = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "cargo-perf",
        &mut script,
    );
    to_stdout(&script)?;
    Ok(Outcome::Passed)
}
