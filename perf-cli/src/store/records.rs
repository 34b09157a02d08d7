//! Records under the perf directory: a RECORD argument turned into a file,
//! a file read as a record (a record, a baseline, or a run's `run.json` as a
//! record of one run), the records listed, and imported benchmarks written
//! as a record.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use perf_format::files::{self, Tagged};
use perf_format::layout::{self, Layout, RECORD_JSON, check_name, run_files};
use perf_format::schema::env::Environment;
use perf_format::schema::record::{
    BASELINE_SCHEMA, FunctionSamples, RECORD_SCHEMA, Record, Source,
};
use perf_format::schema::run::{RUN_SCHEMA, RunData};

use crate::Error;
use crate::run::merge::{self, RecordMeta};

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

/// A record under `records/`, or why it cannot be read.
#[derive(Debug)]
pub(crate) struct Listed {
    /// Its id (its directory's name).
    pub(crate) id: String,
    /// Whether `records/latest` names it.
    pub(crate) latest: bool,
    /// Its content, or the error reading it.
    pub(crate) record: Result<Record, Error>,
}

/// `cargo perf records`: every record under `records/`, newest first; a
/// record that cannot be read is listed with why, not skipped.
pub(crate) fn list(layout: &Layout) -> Result<Vec<Listed>, Error> {
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
    // Ids begin with their UTC time: newest first is reverse order.
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let latest = layout::read_latest(&records).ok().flatten();
    Ok(ids
        .into_iter()
        .map(|id| Listed {
            latest: latest.as_ref() == Some(&id),
            record: load_record_file(&records.join(&id).join(RECORD_JSON)),
            id,
        })
        .collect())
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

/// Writes `functions` (benchmarks imported from criterion) as a record
/// named `name` under `records/`, made by `command`, and makes it the
/// latest. Returns the record and its file.
pub(crate) fn write_imported(
    layout: &Layout,
    name: &str,
    command: Vec<String>,
    functions: Vec<FunctionSamples>,
) -> Result<(Record, PathBuf), Error> {
    check_name("record", name)?;
    let records = layout.records_dir();
    files::create_dir_all(&records)?;
    let created = SystemTime::now();
    // The benchmarks ran in cargo's bench profile, optimised.
    let env = Environment::capture(created);
    let created_at = humantime::format_rfc3339_seconds(created).to_string();
    let claim = layout::claim_id(&records, &created_at, name)?;
    let id = claim.name().to_owned();
    let mut record = Record::new(id.clone(), name, Source::Criterion, created_at, env);
    record.command = command;
    record.functions = functions;
    let path = claim.path().join(RECORD_JSON);
    files::Document::validate(&record, &path)?;
    files::write_json(&path, &record)?;
    claim.keep();
    layout::set_latest(&records, &id)?;
    Ok((record, path))
}
