//! How a RECORD or BASELINE argument turns into a file, and a file into a
//! record: a record, a baseline, or a run's `run.json` read as a record of
//! one run.

use std::path::{Path, PathBuf};

use perf_format::files::Tagged;
use perf_format::layout::{self, Layout, RECORD_JSON, check_name, run_files};
use perf_format::schema::record::{BASELINE_SCHEMA, RECORD_SCHEMA, Record, Source};
use perf_format::schema::run::{RUN_SCHEMA, RunData};
use perf_format::units;

use crate::Error;
use crate::merge::{self, RecordMeta};

/// Reads a record, baseline or `run.json` file as a record, refusing other
/// schemas and content that cannot be compared.
pub fn load_record_file(path: &Path) -> Result<Record, Error> {
    let tagged = Tagged::read(path)?;
    match tagged.schema.as_deref() {
        Some(RECORD_SCHEMA | BASELINE_SCHEMA) => Ok(tagged.parse()?),
        Some(RUN_SCHEMA) => {
            let run: RunData = tagged.parse()?;
            let meta = RecordMeta {
                id: run.id.clone(),
                name: run.name.clone(),
                source: Source::Run,
                command: Vec::new(),
                created_at: run.env.started_at.clone(),
                // A run annotated by `record --instructions` ran under callgrind.
                instructions: run.call_tree.iter().any(|n| n.total_instructions.is_some()),
            };
            let record = merge::merge(meta, &[merge::Run::with_cpu_beside(run, path)?]);
            perf_format::files::Document::validate(&record, path)?;
            Ok(record)
        }
        _ => Err(tagged
            .wrong_schema(&[RECORD_SCHEMA, BASELINE_SCHEMA, RUN_SCHEMA])
            .into()),
    }
}

/// `cargo perf records`: every record under `records/`, newest first, one
/// line each (id, name, runs, functions, commit; `latest` marked); a record
/// that cannot be read is listed with why, not skipped.
pub(crate) fn list_records(layout: &Layout) -> Result<String, Error> {
    use std::fmt::Write as _;
    let records = layout.records_dir();
    let mut ids: Vec<String> = match std::fs::read_dir(&records) {
        Ok(entries) => entries
            .flatten()
            .filter(|e| e.path().join(RECORD_JSON).is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(perf_format::Error::read(&records, e).into()),
    };
    if ids.is_empty() {
        return Ok(format!(
            "no records in {} (make one with `cargo perf record`)\n",
            records.display()
        ));
    }
    // Ids begin with their UTC time: newest first is reverse order.
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let latest = layout::read_latest(&records).ok().flatten();
    let mut out = String::new();
    for id in ids {
        let mark = if latest.as_ref() == Some(&id) {
            "  (latest)"
        } else {
            ""
        };
        match load_record_file(&records.join(&id).join(RECORD_JSON)) {
            Ok(record) => {
                let kind = if record.instructions {
                    ", instructions"
                } else {
                    ""
                };
                let commit = record
                    .env
                    .commit_label()
                    .map(|c| format!(", commit {c}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{id}  {}: {}, {}{kind}{commit}{mark}",
                    record.name,
                    units::plural(record.runs.len() as u64, "run"),
                    units::plural(record.functions.len() as u64, "function")
                );
            }
            Err(e) => {
                let _ = writeln!(out, "{id}  cannot be read: {e}{mark}");
            }
        }
    }
    Ok(out)
}

/// Resolves a RECORD argument: `latest` (or none), a record id under
/// `records/`, or a path to a record, baseline or run file or directory.
pub(crate) fn load_record(
    layout: &Layout,
    reference: Option<&str>,
) -> Result<(Record, PathBuf), Error> {
    let path = record_path(layout, reference.unwrap_or(layout::LATEST))?;
    let record = load_record_file(&path)?;
    Ok((record, path))
}

fn record_path(layout: &Layout, reference: &str) -> Result<PathBuf, Error> {
    let records = layout.records_dir();
    if reference == layout::LATEST {
        let Some(id) = layout::read_latest(&records)? else {
            return Err(Error::NoRecord {
                reference: reference.to_owned(),
                path: records.join(layout::LATEST),
                hint: " (make one with `cargo perf record`)",
            });
        };
        return Ok(records.join(id).join(RECORD_JSON));
    }
    let as_path = Path::new(reference);
    if as_path.is_file() {
        return Ok(as_path.to_owned());
    }
    if as_path.is_dir() {
        for name in [RECORD_JSON, run_files::RUN_JSON] {
            if as_path.join(name).is_file() {
                return Ok(as_path.join(name));
            }
        }
        return Err(Error::NoRecord {
            reference: reference.to_owned(),
            path: as_path.join(RECORD_JSON),
            hint: " (a record directory holds record.json, a run directory run.json)",
        });
    }
    if check_name("record", reference).is_ok() && records.join(reference).is_dir() {
        return Ok(records.join(reference).join(RECORD_JSON));
    }
    Err(Error::NoRecord {
        reference: reference.to_owned(),
        path: records.join(reference),
        hint: " (give `latest`, a record id from target/perf/records, or a path)",
    })
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
