//! The one error type of perf's files: every variant names the file or
//! setting at fault, in one line. `perf_core::Error` and `cargo perf`'s
//! error wrap it (`#[from]`), so its cause is never flattened to a string.

use std::io;
use std::path::PathBuf;

/// What went wrong with a file or setting, and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {}", describe(source))]
    Read {
        /// The file at fault.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// A file or directory could not be written.
    #[error("cannot write {path}: {}", describe(source))]
    Write {
        /// The file at fault.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// An output directory could not be created or is not writable.
    #[error("cannot use output directory {path}: {}", describe(source))]
    OutputDir {
        /// The directory at fault.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// A file holds nothing.
    #[error("{path} is empty: it was probably cut short while being written")]
    EmptyFile {
        /// The file at fault.
        path: PathBuf,
    },
    /// A file is not the JSON it should be.
    #[error("{path} is not valid JSON ({source}): the file is corrupt or cut short")]
    Json {
        /// The file at fault.
        path: PathBuf,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// A file is JSON but does not have the shape its schema promises.
    #[error("{path} does not match schema {schema:?}: {source}")]
    Shape {
        /// The file at fault.
        path: PathBuf,
        /// The schema the file declares.
        schema: String,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// A file carries a schema this version does not read.
    #[error("{path} has schema {found:?}, but this version of perf reads {expected}")]
    Schema {
        /// The file at fault.
        path: PathBuf,
        /// The schema the file declares, or `(none)`.
        found: String,
        /// The schemas this version reads, quoted.
        expected: String,
    },
    /// A file whose content cannot be used: a record without functions, a
    /// folded line without a count.
    #[error("{path}: {problem}")]
    Invalid {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A name that cannot name a file: a baseline, record or session name.
    #[error("invalid {what} name {name:?}: {reason}")]
    Name {
        /// "baseline", "record" or "session".
        what: &'static str,
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// An environment variable or option with a value that cannot be used.
    #[error("invalid {setting} {value:?}: {reason}")]
    Setting {
        /// The variable or option, such as `PERF_DIR` or `--threshold`.
        setting: String,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
}

impl Error {
    /// A read of `path` failed.
    pub fn read(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Read {
            path: path.into(),
            source,
        }
    }

    /// A write of `path` failed.
    pub fn write(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Write {
            path: path.into(),
            source,
        }
    }

    /// The output directory `path` cannot be made or written in.
    pub fn output_dir(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::OutputDir {
            path: path.into(),
            source,
        }
    }

    /// The content of `path` cannot be used.
    pub fn invalid(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        Error::Invalid {
            path: path.into(),
            problem: problem.into(),
        }
    }

    /// `setting` has a `value` that cannot be used.
    pub fn setting(
        setting: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::Setting {
            setting: setting.into(),
            value: value.into(),
            reason: reason.into(),
        }
    }
}

/// An I/O error in words, without the OS error number.
pub fn describe(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "it is a directory, not a file".to_owned(),
        io::ErrorKind::NotADirectory => "a file is in the way of a directory".to_owned(),
        io::ErrorKind::AlreadyExists => "it already exists".to_owned(),
        io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".to_owned(),
        io::ErrorKind::StorageFull => "no space left on the device".to_owned(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_owned(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_read_as_words_and_name_the_path() {
        let err = Error::read(
            "/x/.perf/baselines/main.json",
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        assert_eq!(
            err.to_string(),
            "cannot read /x/.perf/baselines/main.json: permission denied"
        );
    }
}
