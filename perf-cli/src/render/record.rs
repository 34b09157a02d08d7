//! A record or baseline as a readable table: per function the median over
//! runs and how much the runs spread, which is the noise `compare` weighs
//! changes against.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use perf_format::schema::record::{FunctionSamples, Metric, Record, Source};
use perf_format::table::{Align, Table};
use perf_format::units;
use perf_stats::summary::median;

use super::text::terminal as t;

/// A record or baseline as `cargo perf baseline show` and `record` print
/// it: a header, then the top `top` functions with their medians and
/// spread under headings that say self or total, and a legend.
pub fn table(record: &Record, top: usize) -> String {
    let mut out = String::new();
    let samples = record.sample_count();
    let unit = match record.source {
        Source::Criterion => "criterion sample",
        _ => "run",
    };
    let _ = write!(
        out,
        "{} ({}): {}, {}",
        t(&record.id),
        t(&record.name),
        units::plural(record.functions.len() as u64, "function"),
        units::plural(samples as u64, unit),
    );
    if let Some(commit) = record.env.commit_label() {
        let _ = write!(out, ", commit {}", t(&commit));
    }
    let _ = writeln!(
        out,
        "\n  made {} on {} ({}, {} cores{})",
        t(&record.created_at),
        t(&record.env.host),
        t(record.env.cpu.as_deref().unwrap_or("unknown CPU")),
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
    if record.source == Source::Criterion {
        criterion_table(&mut out, record, top);
        return out;
    }
    // Instruction records lead with their counts: what `compare` gates there.
    let instruction_columns: &[Column] = if record.instructions {
        &[
            Column::Median(Metric::InstructionsPerCall),
            Column::Spread(Metric::InstructionsPerCall),
            Column::Median(Metric::SelfInstructionsPerCall),
            Column::Median(Metric::EstCyclesPerCall),
        ]
    } else {
        &[]
    };
    let columns: Vec<Column> = [Column::Median(Metric::Calls)]
        .into_iter()
        .chain(instruction_columns.iter().copied())
        .chain([
            Column::Median(Metric::TimePerCall),
            Column::Spread(Metric::TimePerCall),
            Column::Median(Metric::SelfTimePerCall),
            Column::Median(Metric::P95),
            Column::Median(Metric::AllocsPerCall),
            Column::Median(Metric::SelfAllocsPerCall),
            Column::Median(Metric::BytesPerCall),
            Column::Median(Metric::SelfBytesPerCall),
        ])
        .collect();
    let mut table = Table::new().indent("  ").column("function", Align::Left);
    for column in &columns {
        table = table.column(column.heading(), Align::Right);
    }
    let mut marked = false;
    for function in record.functions.iter().take(top) {
        table.push(
            std::iter::once(t(&function.name).into_owned())
                .chain(columns.iter().map(|column| {
                    let cell = column.cell(function);
                    match column.near_clock_step(function, record) {
                        true => {
                            marked = true;
                            format!("~{cell}")
                        }
                        false => cell,
                    }
                }))
                .collect::<Vec<String>>(),
        );
    }
    // Columns the record has no figures for are left out.
    let table = table.without_empty_columns("-").to_string();
    out.push_str(&table);
    more_line(&mut out, record.functions.len(), top);
    let _ = write!(
        out,
        "  medians over the {unit}s; total = with instrumented callees, self = the function's own code; \
         p95 = of total time per call"
    );
    // A record of one run has no spread, and no column for it.
    if table.contains("±spread") {
        let _ = write!(out, ";\n  {SPREAD_LEGEND}");
    }
    if let Some(legend) = record.env.clock_step_legend().filter(|_| marked) {
        let _ = write!(out, ";\n  {legend}");
    }
    out.push('\n');
    out
}

/// What `±spread` means, under every table that shows it.
pub(crate) const SPREAD_LEGEND: &str = "±spread = half the range of the runs (max − min) / 2, \
     relative to their median: the noise `compare` weighs a change against";

/// A criterion record: criterion's own headline estimate per benchmark
/// (what it prints on its `time:` line), its interval, and the spread of
/// the samples that `compare` tests.
fn criterion_table(out: &mut String, record: &Record, top: usize) {
    let shown = &record.functions[..record.functions.len().min(top)];
    let kind_of = |f: &FunctionSamples| f.estimate.as_ref().map_or("median", |e| e.kind.word());
    let present: BTreeSet<&str> = shown.iter().map(kind_of).collect();
    // In the order criterion prefers them.
    let kinds: Vec<&str> = ["slope", "mean", "median"]
        .into_iter()
        .filter(|k| present.contains(k))
        .collect();
    let mixed = kinds.len() > 1;
    let level = shown
        .iter()
        .find_map(|f| f.estimate.as_ref())
        .map_or(0.95, |e| e.confidence_level);
    let mut table = Table::new()
        .indent("  ")
        .column("benchmark", Align::Left)
        .column(format!("time/iter ({})", kinds.join(" or ")), Align::Right)
        .column(format!("{} CI", units::level(level)), Align::Left);
    if mixed {
        table = table.column("estimate", Align::Left);
    }
    table = table.column("±spread", Align::Right);
    for function in shown {
        let samples = function.get(Metric::TimePerCall);
        let (point, interval, kind) = match &function.estimate {
            Some(e) => (
                units::duration(e.point_ns),
                format!(
                    "[{} {}]",
                    units::duration(e.lower_ns),
                    units::duration(e.upper_ns)
                ),
                e.kind.word(),
            ),
            None => (
                samples.map_or_else(|| "-".to_owned(), |v| units::duration(median(v))),
                "-".to_owned(),
                "median",
            ),
        };
        let mut cells = vec![t(&function.name).into_owned(), point, interval];
        if mixed {
            cells.push(kind.to_owned());
        }
        cells.push(samples.map_or_else(|| "-".to_owned(), spread));
        table.push(cells);
    }
    let _ = write!(out, "{table}");
    more_line(out, record.functions.len(), top);
    let _ = writeln!(
        out,
        "  time/iter is criterion's own estimate, as it prints it: the slope of time over \
         iterations (linear sampling), else the mean (flat sampling){}; `compare` tests the \
         per-sample times;\n  ±spread = half the range of the samples (max − min) / 2, relative to their median",
        if present.contains("median") {
            ", or the median of the samples where criterion left no estimates.json"
        } else {
            ""
        }
    );
}

/// What a column of the table shows of a function.
#[derive(Clone, Copy, Debug)]
enum Column {
    /// The median over runs of a metric.
    Median(Metric),
    /// How much the runs of a metric spread.
    Spread(Metric),
}

impl Column {
    fn heading(self) -> String {
        match self {
            Column::Median(Metric::Calls) => "calls/run".to_owned(),
            Column::Median(metric) => metric.label().to_owned(),
            Column::Spread(_) => "±spread".to_owned(),
        }
    }

    /// Whether the cell is a per-call percentile under a few steps of
    /// the clock `record` was timed with: marked `~`.
    fn near_clock_step(self, function: &FunctionSamples, record: &Record) -> bool {
        match self {
            Column::Median(m @ (Metric::P50 | Metric::P95 | Metric::P99)) => function
                .get(m)
                .is_some_and(|v| record.env.near_clock_step(median(v))),
            _ => false,
        }
    }

    fn cell(self, function: &FunctionSamples) -> String {
        match self {
            Column::Median(m) => function
                .get(m)
                .map_or_else(|| "-".to_owned(), |v| m.format(median(v))),
            Column::Spread(m) => function.get(m).map_or_else(|| "-".to_owned(), spread),
        }
    }
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
    format!("±{}", units::share((high - low) / 2.0 / mid))
}

/// "  … and N more" under a table that shows `top` of `total` functions.
fn more_line(out: &mut String, total: usize, top: usize) {
    if total > top {
        let _ = writeln!(out, "  … and {} more", units::count((total - top) as f64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_half_the_range_relative_to_the_median() {
        assert_eq!(spread(&[98.0, 100.0, 102.0]), "±2.0%");
        assert_eq!(spread(&[100.0]), "-");
    }

    #[test]
    fn the_spread_legend_goes_with_its_column() {
        use perf_format::schema::env::Environment;
        use perf_format::schema::record::{FunctionSamples, Source};
        let of_runs = |times: Vec<f64>| {
            let mut record = Record::new("r", "app", Source::Perf, "t", Environment::default());
            let mut function = FunctionSamples::new("app::f");
            function
                .samples
                .insert(Metric::Calls, vec![10.0; times.len()]);
            function.samples.insert(Metric::TimePerCall, times);
            record.functions = vec![function];
            table(&record, 10)
        };
        let two = of_runs(vec![100.0, 110.0]);
        assert!(two.contains("±spread = half the range"), "{two}");
        let one = of_runs(vec![100.0]);
        assert!(!one.contains("±spread"), "{one}");
        assert!(one.ends_with("p95 = of total time per call\n"), "{one}");
    }

    #[test]
    fn percentiles_under_a_few_clock_steps_are_marked_as_bounds() {
        use perf_format::schema::env::Environment;
        use perf_format::schema::record::{FunctionSamples, Source};
        let mut env = Environment::default();
        env.clock_step_ns = Some(10.0);
        let mut record = Record::new("r", "app", Source::Perf, "t", env);
        for (name, p95) in [("app::tiny", 40.0), ("app::big", 3_000.0)] {
            let mut function = FunctionSamples::new(name);
            function.samples.insert(Metric::Calls, vec![10.0]);
            function.samples.insert(Metric::P95, vec![p95]);
            record.functions.push(function);
        }
        let shown = table(&record, 10);
        assert!(shown.contains("~40 ns"), "{shown}");
        assert!(shown.contains(" 3.00 µs"), "{shown}");
        assert!(!shown.contains("~3.00"), "{shown}");
        assert!(
            shown.ends_with(
                ";\n  ~ = under 5 clock steps of 10 ns: read as a bound, not a figure\n"
            ),
            "{shown}"
        );
        // Without the step (older files) nothing is marked.
        record.env.clock_step_ns = None;
        let shown = table(&record, 10);
        assert!(!shown.contains('~'), "{shown}");
    }
}
