//! Baselines: records kept by name in `.perf/baselines/<name>.json` at the
//! workspace root, meant to be committed.

use std::path::PathBuf;

use perf_format::files;
use perf_format::layout::{Layout, check_name};
use perf_format::schema::record::Record;

use crate::{Error, store};

/// Saves the record `from` (default: the latest) as baseline `name`,
/// replacing one of that name whole. Returns the record and the file.
pub(crate) fn save(
    layout: &Layout,
    name: &str,
    from: Option<&str>,
) -> Result<(Record, PathBuf), Error> {
    check_name("baseline", name)?;
    let (record, _) = store::load_record(layout, from)?;
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
                record: store::load_record_file(&path),
                name,
            })
        })
        .collect();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(listed)
}

/// Deletes baseline `name`; its file.
pub(crate) fn delete(layout: &Layout, name: &str) -> Result<PathBuf, Error> {
    let path = store::saved_baseline(layout, name)?;
    std::fs::remove_file(&path).map_err(|e| perf_format::Error::write(&path, e))?;
    Ok(path)
}
