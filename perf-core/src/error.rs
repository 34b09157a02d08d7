//! The one error type of perf-core: every variant names the file or setting at fault.

use std::io;
use std::path::PathBuf;

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `PERF_DIR` is set to an empty string.
    #[error("PERF_DIR is set but empty: unset it or give it a directory")]
    EmptyPerfDir,
    /// `PERF_DIR` names a directory that does not exist.
    #[error(
        "PERF_DIR={path} does not exist: create it, or unset PERF_DIR to write under target/perf"
    )]
    MissingPerfDir {
        /// The directory named.
        path: PathBuf,
    },
    /// A directory could not be created or is not writable.
    #[error("cannot use output directory {path}: {source}")]
    OutputDir {
        /// The directory at fault.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file at fault.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file at fault.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// A file is not the JSON it should be.
    #[error("{path} is not a valid perf file: {source}")]
    Json {
        /// The file at fault.
        path: PathBuf,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// A file carries a schema this version does not read.
    #[error("{path} has schema {found:?}, but this perf reads {expected:?}")]
    Schema {
        /// The file at fault.
        path: PathBuf,
        /// The schema the file declares.
        found: String,
        /// The schema this version reads.
        expected: &'static str,
    },
    /// A session name that cannot name a run.
    #[error("invalid session name {name:?}: {reason}")]
    SessionName {
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// `Session::start` while another session is running in this process.
    #[error("perf session {running:?} is still running: finish it before starting {requested:?}")]
    SessionActive {
        /// The session that is running.
        running: String,
        /// The session that was asked for.
        requested: String,
    },
    /// CPU sampling (feature `cpu`) could not run.
    #[error("CPU sampling (perf-core feature `cpu`) failed: {reason}")]
    CpuSampling {
        /// What went wrong.
        reason: String,
    },
    /// Heap profiling (feature `heap`) could not run.
    #[error("heap profiling (perf-core feature `heap`) cannot start: {reason}")]
    HeapProfiling {
        /// What went wrong.
        reason: String,
    },
}

impl Error {
    pub(crate) fn write(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Write {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn output_dir(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::OutputDir {
            path: path.into(),
            source,
        }
    }
}
