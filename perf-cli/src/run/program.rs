//! The program perf runs: a command line, or an example or binary of the
//! workspace built with cargo; how it is shown; and how many runs a record
//! can hold.

use std::path::{Path, PathBuf};
use std::time::Duration;

use perf_format::schema::record::MAX_SAMPLES;

use super::cargo::{CargoBuild, CargoTarget};
use crate::Error;

/// The program to run.
#[derive(Clone, Debug)]
pub enum Target {
    /// A command line, run as given.
    Command(Vec<String>),
    /// An example or binary of the workspace, built with `cargo build`
    /// (`--release` unless `build` names another profile) once and then
    /// run directly.
    Cargo {
        /// `--example` or `--bin`.
        kind: CargoTarget,
        /// Its name.
        name: String,
        /// The package, features and profile it is built with.
        build: CargoBuild,
        /// Arguments for the program.
        args: Vec<String>,
    },
}

impl Target {
    /// The name a record of it has unless told another: the example's or
    /// binary's, else the command's file stem.
    pub(crate) fn default_name(&self) -> String {
        match self {
            Target::Cargo { name, .. } => name.clone(),
            Target::Command(words) => words
                .first()
                .and_then(|program| Path::new(program).file_stem())
                .map_or_else(|| "record".to_owned(), |s| s.to_string_lossy().into_owned()),
        }
    }
}

/// Refuses a number of runs a record cannot hold: none, or more samples
/// than a record keeps ([`MAX_SAMPLES`]), before anything runs.
pub(crate) fn check_runs(runs: usize) -> Result<(), Error> {
    if runs == 0 || runs > MAX_SAMPLES {
        return Err(perf_format::Error::setting(
            "--runs",
            runs.to_string(),
            "a record holds 1 to 2 000 runs",
        )
        .into());
    }
    Ok(())
}

/// A program to run: its path, arguments, and what it runs in.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    /// The executable.
    pub(crate) path: PathBuf,
    /// Its arguments.
    pub(crate) args: Vec<String>,
    /// Its working directory (default: the current one).
    pub(crate) dir: Option<PathBuf>,
    /// Variables set for it beside `PERF_DIR`.
    pub(crate) env: Vec<(String, String)>,
}

impl Program {
    /// `path` with `args`, in the current directory.
    pub(crate) fn new(path: impl Into<PathBuf>, args: Vec<String>) -> Program {
        Program {
            path: path.into(),
            args,
            dir: None,
            env: Vec::new(),
        }
    }

    /// The command line, as the record keeps it.
    pub(crate) fn command_line(&self) -> Vec<String> {
        std::iter::once(self.path.display().to_string())
            .chain(self.args.iter().cloned())
            .collect()
    }
}

/// A span of time as a person reads it.
pub(crate) fn seconds(elapsed: Duration) -> String {
    perf_format::units::duration(elapsed.as_nanos() as f64)
}
