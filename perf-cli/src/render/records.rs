//! The records as `cargo perf records` prints them.

use std::fmt::Write as _;
use std::path::Path;

use perf_format::schema::record::Record;
use perf_format::units;

use super::text::terminal as t;
use crate::store::records::Listed;

/// One line per record, newest first (id, name, runs, functions, commit;
/// `latest` marked); a record that cannot be read says why. With none (in
/// `dir`), how to make one.
pub(crate) fn list(listed: &[Listed], dir: &Path) -> String {
    if listed.is_empty() {
        return format!(
            "no records in {} (make one with `cargo perf record`)\n",
            dir.display()
        );
    }
    let mut out = String::new();
    for entry in listed {
        let mark = if entry.latest { "  (latest)" } else { "" };
        let id = t(&entry.id);
        match &entry.record {
            Ok(record) => {
                let kind = if record.instructions {
                    ", instructions"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "{id}  {}: {}, {}{kind}{}{mark}",
                    t(&record.name),
                    units::plural(record.runs.len() as u64, "run"),
                    units::plural(record.functions.len() as u64, "function"),
                    commit_of(record),
                );
            }
            Err(e) => {
                let _ = writeln!(out, "{id}  cannot be read: {}{mark}", t(&e.to_string()));
            }
        }
    }
    out
}

/// `, commit 5a37189` (with `-dirty` for a dirty tree), or nothing when the
/// record does not know its commit.
pub(crate) fn commit_of(record: &Record) -> String {
    record
        .env
        .commit_label()
        .map(|c| format!(", commit {}", t(&c)))
        .unwrap_or_default()
}
