//! Where things live: the workspace root (for `.perf/baselines/` and
//! `perf.toml`), the output root (for `records/`), and how a RECORD or
//! BASELINE argument turns into a file.

use std::path::{Path, PathBuf};

use perf_core::model::{RUN_SCHEMA, RunData};

use crate::Error;
use crate::files;
use crate::merge::{self, RecordMeta, RunFiles};
use crate::model::{BASELINE_SCHEMA, RECORD_SCHEMA, Record, Source};

/// The places `cargo perf` reads and writes.
#[derive(Clone, Debug)]
pub struct Paths {
    /// The workspace root: the nearest directory at or above the current
    /// package whose `Cargo.toml` has a `[workspace]` table, else the
    /// package's directory, else the current directory.
    pub root: PathBuf,
    /// The output root: `--out`, else `$PERF_DIR`, else
    /// `$CARGO_TARGET_DIR/perf`, else `<root>/target/perf`.
    pub output: PathBuf,
}

impl Paths {
    /// Finds the workspace from the current directory.
    pub fn discover(out: Option<&Path>) -> Result<Paths, Error> {
        let cwd = std::env::current_dir().map_err(|e| Error::read(".", e))?;
        let root = workspace_root(&cwd);
        let output = match out {
            Some(dir) => dir.to_owned(),
            None => default_output(&root)?,
        };
        Ok(Paths { root, output })
    }

    /// `<output>/records`.
    pub fn records_dir(&self) -> PathBuf {
        self.output.join("records")
    }

    /// `<root>/.perf/baselines`.
    pub fn baselines_dir(&self) -> PathBuf {
        self.root.join(".perf").join("baselines")
    }

    /// `<root>/.perf/baselines/<name>.json`.
    pub fn baseline_file(&self, name: &str) -> PathBuf {
        self.baselines_dir().join(format!("{name}.json"))
    }

    /// `<root>/perf.toml`.
    pub fn config_file(&self) -> PathBuf {
        self.root.join("perf.toml")
    }
}

fn default_output(root: &Path) -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os("PERF_DIR") {
        if dir.is_empty() {
            return Err(Error::setting(
                "PERF_DIR",
                "",
                "it is set but empty: unset it or give it a directory",
            ));
        }
        return Ok(PathBuf::from(dir));
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(target).join("perf"));
    }
    Ok(root.join("target").join("perf"))
}

fn workspace_root(cwd: &Path) -> PathBuf {
    let Some(package) = cwd.ancestors().find(|d| d.join("Cargo.toml").is_file()) else {
        return cwd.to_owned();
    };
    package
        .ancestors()
        .find(|d| declares_workspace(&d.join("Cargo.toml")))
        .unwrap_or(package)
        .to_owned()
}

fn declares_workspace(manifest: &Path) -> bool {
    std::fs::read_to_string(manifest)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|table| table.contains_key("workspace"))
}

/// Checks a baseline or record name: it becomes a file name.
pub fn check_name(what: &'static str, name: &str) -> Result<(), Error> {
    let refuse = |reason| {
        Err(Error::Name {
            what,
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name.len() > 100 {
        return refuse("it is longer than 100 characters");
    }
    if name.starts_with(['.', '-']) {
        return refuse("it may not start with '.' or '-'");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return refuse("use letters, digits, '.', '_' and '-' only");
    }
    Ok(())
}

/// Reads a record, baseline or `run.json` file, refusing other schemas and
/// content that cannot be compared.
pub fn load_any(path: &Path) -> Result<Record, Error> {
    let text = files::read_text(path)?;
    let schema = files::schema_of(path, &text)?;
    let record = match schema.as_deref() {
        Some(s @ (RECORD_SCHEMA | BASELINE_SCHEMA)) => files::parse_as::<Record>(path, &text, s)?,
        Some(RUN_SCHEMA) => {
            let run: RunData = files::parse_as(path, &text, RUN_SCHEMA)?;
            let meta = RecordMeta {
                id: run.id.clone(),
                name: run.name.clone(),
                source: Source::Run,
                command: Vec::new(),
                created_at: run.env.started_at.clone(),
            };
            merge::merge(meta, &[RunFiles::with_cpu_beside(run, path)?])
        }
        _ => {
            return Err(files::wrong_schema(
                path,
                schema,
                &[RECORD_SCHEMA, BASELINE_SCHEMA, RUN_SCHEMA],
            ));
        }
    };
    record.validate(path)?;
    Ok(record)
}

/// Resolves a RECORD argument: `latest` (or none), a record id under
/// `records/`, or a path to a record, baseline or run file or directory.
pub fn load_record(paths: &Paths, reference: Option<&str>) -> Result<(Record, PathBuf), Error> {
    let path = record_path(paths, reference.unwrap_or("latest"))?;
    let record = load_any(&path)?;
    Ok((record, path))
}

fn record_path(paths: &Paths, reference: &str) -> Result<PathBuf, Error> {
    let records = paths.records_dir();
    if reference == "latest" {
        let pointer = records.join("latest");
        if !pointer.exists() {
            return Err(Error::NoRecord {
                reference: reference.to_owned(),
                path: pointer,
                hint: " (make one with `cargo perf record`)",
            });
        }
        let id = files::read_text(&pointer)?.trim().to_owned();
        return Ok(records.join(id).join("record.json"));
    }
    let as_path = Path::new(reference);
    if as_path.is_file() {
        return Ok(as_path.to_owned());
    }
    if as_path.is_dir() {
        for name in ["record.json", "run.json"] {
            if as_path.join(name).is_file() {
                return Ok(as_path.join(name));
            }
        }
        return Err(Error::NoRecord {
            reference: reference.to_owned(),
            path: as_path.join("record.json"),
            hint: " (a record directory holds record.json, a run directory run.json)",
        });
    }
    if check_name("record", reference).is_ok() && records.join(reference).is_dir() {
        return Ok(records.join(reference).join("record.json"));
    }
    Err(Error::NoRecord {
        reference: reference.to_owned(),
        path: records.join(reference),
        hint: " (give `latest`, a record id from target/perf/records, or a path)",
    })
}

/// Points `records/latest` at record `id`, replacing the pointer whole.
pub fn set_latest(records: &Path, id: &str) -> Result<(), Error> {
    files::write_atomic(&records.join("latest"), format!("{id}\n").as_bytes())
}

/// Loads baseline `name` from `.perf/baselines/`, or from a path if `name`
/// is one.
pub fn load_baseline(paths: &Paths, name: &str) -> Result<(Record, PathBuf), Error> {
    let as_path = Path::new(name);
    if (name.contains(std::path::MAIN_SEPARATOR) || name.ends_with(".json")) && as_path.exists() {
        return Ok((load_any(as_path)?, as_path.to_owned()));
    }
    check_name("baseline", name)?;
    let path = paths.baseline_file(name);
    if !path.exists() {
        return Err(Error::NoBaseline {
            name: name.to_owned(),
            path,
        });
    }
    Ok((load_any(&path)?, path))
}

/// Resolves what to hold a record against: baseline `reference` when
/// `.perf/baselines/` has it (or it is a path), else a record id or
/// `latest`. With neither, the error is the missing baseline's.
pub fn load_baseline_or_record(paths: &Paths, reference: &str) -> Result<(Record, PathBuf), Error> {
    if reference.contains(std::path::MAIN_SEPARATOR) && Path::new(reference).is_dir() {
        return load_record(paths, Some(reference));
    }
    let is_saved_baseline =
        check_name("baseline", reference).is_ok() && paths.baseline_file(reference).exists();
    let is_path = Path::new(reference).exists()
        && (reference.contains(std::path::MAIN_SEPARATOR) || reference.ends_with(".json"));
    if !is_saved_baseline && !is_path {
        let is_record = (reference == "latest" && paths.records_dir().join("latest").exists())
            || (check_name("record", reference).is_ok()
                && paths.records_dir().join(reference).is_dir());
        if is_record {
            return load_record(paths, Some(reference));
        }
    }
    load_baseline(paths, reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_file_names_safely() {
        assert!(check_name("baseline", "main").is_ok());
        assert!(check_name("baseline", "release-1.2_x").is_ok());
        for bad in ["", ".hidden", "-flag", "a/b", "a b", "..", &"x".repeat(101)] {
            assert!(check_name("baseline", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_workspace_root_is_the_enclosing_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = [\"a\"]\n").unwrap();
        std::fs::create_dir_all(root.join("a/src")).unwrap();
        std::fs::write(root.join("a/Cargo.toml"), "[package]\nname = \"a\"\n").unwrap();
        assert_eq!(workspace_root(&root.join("a/src")), root);
        let lone = tempfile::tempdir().unwrap();
        assert_eq!(workspace_root(lone.path()), lone.path());
    }
}
