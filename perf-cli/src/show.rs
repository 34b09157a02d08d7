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
    if record.instructions {
        let _ = writeln!(
            out,
            "  instruction record: every run under Valgrind's callgrind (its times are slowed down)"
        );
    }
    // Instruction records lead with their counts: what `compare` gates there.
    let instruction_columns: &[(&str, Column)] = if record.instructions {
        &[
            ("instr/call", Column::Median(Metric::InstructionsPerCall)),
            ("spread", Column::Spread(Metric::InstructionsPerCall)),
            (
                "self instr/call",
                Column::Median(Metric::SelfInstructionsPerCall),
            ),
            ("est. cycles/call", Column::Median(Metric::EstCyclesPerCall)),
        ]
    } else {
        &[]
    };
    let columns: Vec<(&str, Column)> = [("calls/run", Column::Median(Metric::Calls))]
        .into_iter()
        .chain(instruction_columns.iter().copied())
        .chain([
            ("time/call", Column::Median(Metric::TimePerCall)),
            ("spread", Column::Spread(Metric::TimePerCall)),
            ("self/call", Column::Median(Metric::SelfTimePerCall)),
            ("p95", Column::Median(Metric::P95)),
            ("allocs/call", Column::Median(Metric::AllocsPerCall)),
            ("bytes/call", Column::Median(Metric::BytesPerCall)),
        ])
        .collect();
    let mut table = Table::new().indent("  ").column("function", Align::Left);
    for &(heading, _) in &columns {
        table = table.column(heading, Align::Right);
    }
    for function in record.functions.iter().take(top) {
        let cell = |column: &Column| match *column {
            Column::Median(m) => function
                .get(m)
                .map_or_else(|| "-".to_owned(), |v| m.format(median(v))),
            Column::Spread(m) => function.get(m).map_or_else(|| "-".to_owned(), spread),
        };
        table.push(
            std::iter::once(function.name.clone())
                .chain(columns.iter().map(|(_, column)| cell(column)))
                .collect::<Vec<String>>(),
        );
    }
    // Columns the record has no figures for (criterion's) are left out.
    let _ = write!(out, "{}", table.without_empty_columns("-"));
    if record.functions.len() > top {
        let _ = writeln!(out, "  … and {} more", record.functions.len() - top);
    }
    out
}

/// What a column of the table shows of a function.
#[derive(Clone, Copy, Debug)]
enum Column {
    /// The median over runs of a metric.
    Median(Metric),
    /// How much the runs of a metric spread.
    Spread(Metric),
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
