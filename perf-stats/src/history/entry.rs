//! A record boiled down to a history entry: one figure per function and
//! metric, the median over its runs.

use std::collections::BTreeMap;

use perf_format::schema::compare::WHOLE_PROGRAM;
use perf_format::schema::history::{Entry, significant};
use perf_format::schema::record::{Metric, Record};

use crate::summary::median;

/// The entry of `record`: per function, the median over its runs (or
/// criterion samples) of each metric it has, to
/// [`perf_format::schema::history::SIGNIFICANT_DIGITS`], and the median
/// wall time of its runs as `(whole program)`'s `time_per_run_ns` (not for
/// instruction records, slowed by Valgrind); its commit is the record's
/// (empty when unknown), its time the record's making.
pub fn of_record(record: &Record) -> Entry {
    let mut entry = Entry::new(
        &record.id,
        &record.name,
        record.env.git_commit.clone().unwrap_or_default(),
        &record.created_at,
    );
    entry.host = record.env.host.clone();
    entry.instructions = record.instructions;
    // The program's wall time per run, under the name `compare` gives
    // it: what `compare --history` takes each commit's runs to be.
    let durations: Vec<f64> = record.runs.iter().map(|r| r.duration_ns as f64).collect();
    if !durations.is_empty() && !record.instructions {
        entry.functions.insert(
            WHOLE_PROGRAM.to_owned(),
            BTreeMap::from([(Metric::TimePerRun, significant(median(&durations)))]),
        );
    }
    for function in &record.functions {
        let figures: BTreeMap<Metric, f64> = function
            .samples
            .iter()
            .filter(|(_, samples)| !samples.is_empty())
            .map(|(&metric, samples)| (metric, significant(median(samples))))
            .collect();
        if !figures.is_empty() {
            entry.functions.insert(function.name.clone(), figures);
        }
    }
    entry
}

#[cfg(test)]
mod tests {
    use perf_format::schema::env::Environment;
    use perf_format::schema::record::{FunctionSamples, RunSummary, Source};

    use super::*;

    fn record() -> Record {
        let mut env = Environment::default();
        env.git_commit = Some("5a37189f0c1d5a37189f0c1d5a37189f0c1d5a37".to_owned());
        env.host = "ci-7".to_owned();
        let mut record = Record::new("r1", "checkout", Source::Perf, "2026-11-30T10:15:00Z", env);
        let mut parse = FunctionSamples::new("app::parse");
        parse
            .samples
            .insert(Metric::TimePerCall, vec![1300.0, 1234.567891, 1200.0]);
        parse
            .samples
            .insert(Metric::Calls, vec![1000.0, 1000.0, 1000.0, 1000.0]);
        parse
            .samples
            .insert(Metric::AllocsPerCall, vec![2.0, 4.0, 3.0, 1.0]);
        parse.samples.insert(Metric::P99, vec![]);
        record.functions.push(parse);
        record.functions.push(FunctionSamples::new("app::idle"));
        record.runs = [3_000_000, 1_000_000, 2_000_000]
            .into_iter()
            .enumerate()
            .map(|(i, ns)| RunSummary::new(format!("run{i}"), ns, 1))
            .collect();
        record
    }

    #[test]
    fn an_entry_holds_the_median_of_each_metric_to_six_digits() {
        let entry = of_record(&record());
        assert_eq!(entry.commit, "5a37189f0c1d5a37189f0c1d5a37189f0c1d5a37");
        assert_eq!((entry.host.as_str(), entry.row), ("ci-7", None));
        let parse = &entry.functions["app::parse"];
        assert_eq!(parse[&Metric::TimePerCall], 1234.57);
        assert_eq!(parse[&Metric::Calls], 1000.0);
        assert_eq!(parse[&Metric::AllocsPerCall], 2.5);
        // No samples, no figure; no figures, no function.
        assert!(!parse.contains_key(&Metric::P99));
        assert!(!entry.functions.contains_key("app::idle"));
        assert_eq!(
            entry.functions[WHOLE_PROGRAM][&Metric::TimePerRun],
            2_000_000.0
        );
        // The line reads back as the same entry.
        assert_eq!(Entry::from_line(&entry.to_line()).unwrap(), entry);
    }
}
