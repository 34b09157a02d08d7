//! Baselines: records kept by name in `.perf/baselines/<name>.json` at the
//! workspace root, meant to be committed: saved, listed, deleted, and a
//! BASELINE argument read.

use std::path::{Path, PathBuf};

use perf_format::files;
use perf_format::layout::{self, Layout, check_name};
use perf_format::schema::record::Record;

use super::records::{load_record, load_record_file};
use crate::Error;

/// Saves the record `from` (default: the latest) as baseline `name`,
/// replacing one of that name whole. Returns the record and the file.
pub(crate) fn save(
    layout: &Layout,
    name: &str,
    from: Option<&str>,
) -> Result<(Record, PathBuf), Error> {
    check_name("baseline", name)?;
    let (record, _) = load_record(layout, from)?;
    let saved_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let record = record.into_baseline(name, saved_at);
    files::create_dir_all(&layout.baselines_dir())?;
    let path = layout.baseline_file(name);
    if path.is_dir() {
        return Err(perf_format::Error::write(
            &path,
            std::io::Error::from(std::io::ErrorKind::IsADirectory),
        )
        .into());
    }
    files::write_json(&path, &record)?;
    Ok((record, path))
}

/// One saved baseline, or why it cannot be read.
#[derive(Debug)]
pub(crate) struct Listed {
    /// The baseline's name (its file name without `.json`).
    pub(crate) name: String,
    /// Its content, or the error reading it.
    pub(crate) record: Result<Record, Error>,
}

/// Every `*.json` in `.perf/baselines/`, by name.
pub(crate) fn list(layout: &Layout) -> Result<Vec<Listed>, Error> {
    let dir = layout.baselines_dir();
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(&dir).map_err(|e| perf_format::Error::read(&dir, e))?;
    let mut listed: Vec<Listed> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|path| {
            let name = path.file_stem()?.to_string_lossy().into_owned();
            (!name.starts_with('.')).then(|| Listed {
                record: load_record_file(&path),
                name,
            })
        })
        .collect();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(listed)
}

/// Deletes baseline `name`; its file.
pub(crate) fn delete(layout: &Layout, name: &str) -> Result<PathBuf, Error> {
    let path = saved_baseline(layout, name)?;
    std::fs::remove_file(&path).map_err(|e| perf_format::Error::write(&path, e))?;
    Ok(path)
}

/// Loads baseline `name` from `.perf/baselines/`, or from a path if `name`
/// is one.
pub(crate) fn load_baseline(layout: &Layout, name: &str) -> Result<(Record, PathBuf), Error> {
    let as_path = Path::new(name);
    if (name.contains(std::path::MAIN_SEPARATOR) || name.ends_with(".json")) && as_path.exists() {
        return Ok((load_record_file(as_path)?, as_path.to_owned()));
    }
    let path = saved_baseline(layout, name)?;
    Ok((load_record_file(&path)?, path))
}

/// The file of saved baseline `name`, which must exist.
pub(crate) fn saved_baseline(layout: &Layout, name: &str) -> Result<PathBuf, Error> {
    check_name("baseline", name)?;
    let path = layout.baseline_file(name);
    if !path.exists() {
        return Err(Error::NoBaseline {
            name: name.to_owned(),
            tried: format!("{} does not exist", path.display()),
        });
    }
    Ok(path)
}

/// Resolves a BASELINE argument, the one way `compare`, `flamegraph
/// --diff` and `report --baseline` read what to hold a record against;
/// the first of these that exists:
/// 1. a baseline saved as `.perf/baselines/<reference>.json`;
/// 2. a path to a record, baseline or run file, or to a record or run
///    directory;
/// 3. a record id under `records/`, or `latest`.
///
/// With none, one error names what was tried, where.
pub(crate) fn load_baseline_or_record(
    layout: &Layout,
    reference: &str,
) -> Result<(Record, PathBuf), Error> {
    let saved = layout.baseline_file(reference);
    if check_name("baseline", reference).is_ok() && saved.exists() {
        return Ok((load_record_file(&saved)?, saved));
    }
    let as_path = Path::new(reference);
    if as_path.exists() {
        return load_record(layout, Some(reference));
    }
    let records = layout.records_dir();
    let is_record = match reference {
        layout::LATEST => layout::read_latest(&records).ok().flatten().is_some(),
        id => check_name("record", id).is_ok() && records.join(id).is_dir(),
    };
    if is_record {
        return load_record(layout, Some(reference));
    }
    let record = match reference {
        layout::LATEST => records.join(layout::LATEST),
        id => records.join(id),
    };
    Err(Error::NoBaseline {
        name: reference.to_owned(),
        tried: format!(
            "not a saved baseline ({} does not exist), not a file or directory, not a record ({} does not exist)",
            saved.display(),
            record.display()
        ),
    })
}
