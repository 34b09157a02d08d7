//! The baselines as `cargo perf baseline list` and `baseline show` print them.

use std::fmt::Write as _;
use std::path::Path;

use perf_format::schema::record::Record;
use perf_format::units;

use super::text::terminal as t;
use crate::store::baselines::Listed;

/// One line per baseline (name, when saved, functions, samples, commit);
/// a baseline that cannot be read says why. With none, how to save one.
pub(crate) fn list(listed: &[Listed], dir: &Path) -> String {
    let mut out = String::new();
    if listed.is_empty() {
        let _ = writeln!(
            out,
            "no baselines in {} (save one with `cargo perf baseline save main`)",
            dir.display()
        );
    }
    for entry in listed {
        match &entry.record {
            Ok(record) => {
                let saved = record
                    .baseline
                    .as_ref()
                    .map_or("?", |b| b.saved_at.as_str());
                let _ = writeln!(
                    out,
                    "{:<20} saved {}, {}, {}{}",
                    t(&entry.name),
                    t(saved),
                    units::plural(record.functions.len() as u64, "function"),
                    units::plural(record.sample_count() as u64, "sample"),
                    super::records::commit_of(record),
                );
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "{:<20} UNREADABLE: {}",
                    t(&entry.name),
                    t(&e.to_string())
                );
            }
        }
    }
    out
}

/// Baseline `name` (its file `path`): when and from what it was saved,
/// then its functions' table.
pub(crate) fn show(name: &str, record: &Record, path: &Path) -> String {
    let saved = record
        .baseline
        .as_ref()
        .map(|b| {
            format!(
                ", saved {} from record {}",
                t(&b.saved_at),
                t(&b.from_record)
            )
        })
        .unwrap_or_default();
    format!(
        "baseline {}{saved}\n{}file: {}\n",
        t(name),
        super::record::table(record, usize::MAX),
        t(&path.display().to_string())
    )
}
