//! Baselines: records kept by name in `.perf/baselines/<name>.json` at the
//! workspace root, meant to be committed.

use std::path::PathBuf;

use crate::model::{BASELINE_SCHEMA, BaselineInfo, Record};
use crate::store::{self, Paths};
use crate::{Error, files};

/// Saves the record `from` (default: the latest) as baseline `name`,
/// replacing one of that name whole. Returns the record and the file.
pub fn save(paths: &Paths, name: &str, from: Option<&str>) -> Result<(Record, PathBuf), Error> {
    store::check_name("baseline", name)?;
    let (mut record, _) = store::load_record(paths, from)?;
    let from_record = record.id.clone();
    record.schema = BASELINE_SCHEMA.to_owned();
    record.baseline = Some(BaselineInfo {
        name: name.to_owned(),
        saved_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        from_record,
    });
    let dir = paths.baselines_dir();
    files::create_dir_all(&dir)?;
    let path = paths.baseline_file(name);
    if path.is_dir() {
        return Err(Error::write(
            &path,
            std::io::Error::from(std::io::ErrorKind::IsADirectory),
        ));
    }
    files::write_json_atomic(&path, &record)?;
    Ok((record, path))
}

/// One saved baseline, or why it cannot be read.
#[derive(Debug)]
pub struct Listed {
    /// The baseline's name (its file name without `.json`).
    pub name: String,
    /// Its file.
    pub path: PathBuf,
    /// Its content, or the error reading it.
    pub record: Result<Record, Error>,
}

/// Every `*.json` in `.perf/baselines/`, by name.
pub fn list(paths: &Paths) -> Result<Vec<Listed>, Error> {
    let dir = paths.baselines_dir();
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(&dir).map_err(|e| Error::read(&dir, e))?;
    let mut listed: Vec<Listed> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|path| {
            let name = path.file_stem()?.to_string_lossy().into_owned();
            (!name.starts_with('.')).then(|| Listed {
                record: store::load_any(&path),
                name,
                path,
            })
        })
        .collect();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(listed)
}

/// Deletes baseline `name`; its file.
pub fn delete(paths: &Paths, name: &str) -> Result<PathBuf, Error> {
    store::check_name("baseline", name)?;
    let path = paths.baseline_file(name);
    if !path.exists() {
        return Err(Error::NoBaseline {
            name: name.to_owned(),
            path,
        });
    }
    std::fs::remove_file(&path).map_err(|e| Error::write(&path, e))?;
    Ok(path)
}
