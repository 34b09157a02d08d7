//! The history's series: one function × metric over the commits that
//! measured it (first-parent order, oldest first), or one column of an
//! imported file over its rows.

use std::collections::BTreeMap;

use perf_format::schema::history::Entry;
use perf_format::schema::record::{Kind, Metric};

use crate::summary::median;

/// The metric name of an imported series: its values are another tool's.
pub const IMPORTED: &str = "value";

/// The metrics `history detect` looks at unless told one: the per-call
/// figures the gate judges.
pub const DETECTED: [Metric; 5] = [
    Metric::TimePerCall,
    Metric::AllocsPerCall,
    Metric::BytesPerCall,
    Metric::InstructionsPerCall,
    Metric::EstCyclesPerCall,
];

/// One series.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The function, or the imported column's header.
    pub function: String,
    /// The metric's key (`time_per_call_ns`), or [`IMPORTED`].
    pub metric: String,
    /// The metric, for a series of perf's.
    pub known: Option<Metric>,
    /// The import it comes from, if any.
    pub import: Option<String>,
    /// Its points, oldest first.
    pub points: Vec<Point>,
    /// Whether a rise is an improvement: an imported column so marked;
    /// never perf's own metrics (times, counts, bytes).
    pub higher_is_better: bool,
}

/// One point of a series: what a commit measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The commit as stored (a full id; for imports, as the file wrote it).
    pub commit: String,
    /// When it was recorded (the first entry's), as written.
    pub recorded_at: String,
    /// The median over the commit's entries of the metric.
    pub value: f64,
}

impl Series {
    /// The values, oldest first.
    pub fn values(&self) -> Vec<f64> {
        self.points.iter().map(|p| p.value).collect()
    }

    /// The metric as shown.
    pub fn metric_label(&self) -> &str {
        match self.known {
            Some(metric) => metric.label(),
            None => &self.metric,
        }
    }

    /// A value in the metric's unit.
    pub fn format(&self, value: f64) -> String {
        match self.known {
            Some(metric) => metric.format(value),
            None => perf_format::units::count(value),
        }
    }
}

/// Which metrics to take.
#[derive(Clone, Copy, Debug)]
pub enum Metrics<'a> {
    /// Every metric the entries have.
    All,
    /// The ones `history detect` looks at by default ([`DETECTED`]).
    Detected,
    /// One, by key or label (`time_per_call_ns`, `total time/call`, `time/call`).
    Named(&'a str),
}

impl Metrics<'_> {
    fn takes(&self, metric: Metric) -> bool {
        match self {
            Metrics::All => true,
            Metrics::Detected => DETECTED.contains(&metric),
            Metrics::Named(name) => metric.is_named(name),
        }
    }

    fn takes_imported(&self) -> bool {
        match self {
            Metrics::All | Metrics::Detected => true,
            Metrics::Named(name) => *name == IMPORTED,
        }
    }
}

/// The series of the commits' entries (oldest first), then those of each
/// import. A commit measured more than once (re-runs, several machines)
/// counts once, at the median of its entries. Times of instruction records
/// (slowed down by Valgrind) are left out, as are instruction figures of
/// normal records, which have none.
pub fn series(
    history: &[(String, Vec<Entry>)],
    imports: &BTreeMap<String, Vec<Entry>>,
    metrics: Metrics<'_>,
) -> Vec<Series> {
    let mut by_key: BTreeMap<(String, Metric), Vec<Point>> = BTreeMap::new();
    for (commit, entries) in history {
        let mut values: BTreeMap<(String, Metric), Vec<f64>> = BTreeMap::new();
        for entry in entries {
            for (function, figures) in &entry.functions {
                for (&metric, &value) in figures {
                    let counted = metric.kind() == Kind::Instructions;
                    if !metrics.takes(metric) || (entry.instructions && metric.kind() == Kind::Time)
                    {
                        continue;
                    }
                    if counted && !entry.instructions {
                        continue;
                    }
                    values
                        .entry((function.clone(), metric))
                        .or_default()
                        .push(value);
                }
            }
        }
        let recorded_at = entries
            .first()
            .map(|e| e.recorded_at.clone())
            .unwrap_or_default();
        for (key, values) in values {
            by_key.entry(key).or_default().push(Point {
                commit: commit.clone(),
                recorded_at: recorded_at.clone(),
                value: median(&values),
            });
        }
    }
    let mut out: Vec<Series> = by_key
        .into_iter()
        .map(|((function, metric), points)| Series {
            function,
            metric: metric.key().to_owned(),
            known: Some(metric),
            import: None,
            points,
            higher_is_better: false,
        })
        .collect();
    if metrics.takes_imported() {
        for (name, rows) in imports {
            let mut columns: BTreeMap<&str, Vec<Point>> = BTreeMap::new();
            for row in rows {
                for (column, &value) in &row.series {
                    columns.entry(column).or_default().push(Point {
                        commit: row.commit.clone(),
                        recorded_at: row.recorded_at.clone(),
                        value,
                    });
                }
            }
            out.extend(columns.into_iter().map(|(column, points)| Series {
                function: column.to_owned(),
                metric: IMPORTED.to_owned(),
                known: None,
                import: Some(name.clone()),
                points,
                higher_is_better: rows.iter().any(|row| row.higher_is_better.contains(column)),
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, instructions: bool, figures: &[(&str, Metric, f64)]) -> Entry {
        let mut entry = Entry::new(id, "app", "c", "2026-12-01T00:00:00Z");
        entry.instructions = instructions;
        for &(function, metric, value) in figures {
            entry
                .functions
                .entry(function.to_owned())
                .or_default()
                .insert(metric, value);
        }
        entry
    }

    #[test]
    fn a_commit_counts_once_at_the_median_of_its_entries_and_valgrind_times_stay_out() {
        let history = vec![
            (
                "c1".to_owned(),
                vec![
                    entry("a", false, &[("f", Metric::TimePerCall, 10.0)]),
                    entry("b", false, &[("f", Metric::TimePerCall, 14.0)]),
                    entry(
                        "i",
                        true,
                        &[
                            ("f", Metric::TimePerCall, 900.0),
                            ("f", Metric::InstructionsPerCall, 500.0),
                        ],
                    ),
                ],
            ),
            (
                "c2".to_owned(),
                vec![entry("c", false, &[("f", Metric::TimePerCall, 11.0)])],
            ),
        ];
        let all = series(&history, &BTreeMap::new(), Metrics::All);
        assert_eq!(all.len(), 2);
        let time = all.iter().find(|s| s.metric == "time_per_call_ns").unwrap();
        assert_eq!(time.values(), [12.0, 11.0]);
        assert_eq!(time.points[1].commit, "c2");
        let instructions = all
            .iter()
            .find(|s| s.metric == "instructions_per_call")
            .unwrap();
        assert_eq!(instructions.values(), [500.0]);
        let named = series(&history, &BTreeMap::new(), Metrics::Named("time/call"));
        assert_eq!(named.len(), 1);
    }

    #[test]
    fn an_import_gives_one_series_per_column_in_row_order() {
        let mut rows = Vec::new();
        for (row, (a, b)) in [(1.0, 5.0), (2.0, 6.0)].into_iter().enumerate() {
            let mut entry = Entry::new(format!("r{row}"), "sample", format!("aaa{row}"), "t");
            entry.series.insert("metric1".to_owned(), a);
            entry.series.insert("metric2".to_owned(), b);
            rows.push(entry);
        }
        let imports = BTreeMap::from([("sample".to_owned(), rows)]);
        let all = series(&[], &imports, Metrics::Detected);
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].function, "metric2");
        assert_eq!(all[1].metric, IMPORTED);
        assert_eq!(all[1].values(), [5.0, 6.0]);
        assert_eq!(all[1].points[1].commit, "aaa1");
        assert!(series(&[], &imports, Metrics::Named("time/call")).is_empty());
    }
}
