//! A record or baseline as a readable table: per function the median over
//! runs and how much the runs spread, which is the noise `compare` weighs
//! changes against.

use std::fmt::Write as _;

use perf_format::schema::record::{Metric, Record, Source};
use perf_format::table::{Align, Table};

use crate::stats::median;

/// A header and the top `top` functions of `record`.
pub(crate) fn record_table(record: &Record, top: usize) -> String {
    let mut out = String::new();
    let samples = record.sample_count();
    let unit = match record.source {
        Source::Criterion => "criterion samples",
        _ => "runs",
    };
    let _ = write!(
        out,
        "{} ({}): {} functions, {samples} {unit}",
        record.id,
        record.name,
        record.functions.len(),
    );
    if let Some(commit) = record.env.commit_label() {
        let _ = write!(out, ", commit {commit}");
    }
    let _ = writeln!(
        out,
        "\n  made {} on {} ({}, {} cores{})",
        record.created_at,
        record.env.host,
        record.env.cpu.as_deref().unwrap_or("unknown CPU"),
        record.env.cores,
        if record.env.debug_build {
            ", DEBUG build"
        } else {
            ""
        }
    );
    let mut table = Table::new().indent("  ").column("function", Align::Left);
    for heading in [
        "calls/run",
        "time/call",
        "spread",
        "self/call",
        "p95",
        "allocs/call",
        "bytes/call",
    ] {
        table = table.column(heading, Align::Right);
    }
    for function in record.functions.iter().take(top) {
        let med = |m: Metric| function.get(m).map(median);
        let cell = |m: Metric| med(m).map_or_else(|| "-".to_owned(), |v| m.format(v));
        table.push([
            function.name.clone(),
            cell(Metric::Calls),
            cell(Metric::TimePerCall),
            function
                .get(Metric::TimePerCall)
                .map_or_else(|| "-".to_owned(), spread),
            cell(Metric::SelfTimePerCall),
            cell(Metric::P95),
            cell(Metric::AllocsPerCall),
            cell(Metric::BytesPerCall),
        ]);
    }
    // Columns the record has no figures for (criterion's) are left out.
    let _ = write!(out, "{}", table.without_empty_columns("-"));
    if record.functions.len() > top {
        let _ = writeln!(out, "  … and {} more", record.functions.len() - top);
    }
    out
}

/// Half the range of the samples relative to their median: "±1.2%".
fn spread(samples: &[f64]) -> String {
    let mid = median(samples);
    if samples.len() < 2 || mid <= 0.0 {
        return "-".to_owned();
    }
    let (low, high) = samples
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    format!("±{:.1}%", (high - low) / 2.0 / mid * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_half_the_range_relative_to_the_median() {
        assert_eq!(spread(&[98.0, 100.0, 102.0]), "±2.0%");
        assert_eq!(spread(&[100.0]), "-");
    }
}
