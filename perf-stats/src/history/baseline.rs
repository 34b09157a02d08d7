//! `cargo perf compare --history`: a baseline made of the history instead
//! of one saved record — every commit since the last change point, so the
//! gate has many samples instead of one record's runs.

use std::fmt;

use perf_format::schema::compare::WHOLE_PROGRAM;
use perf_format::schema::env::short_commit;
use perf_format::schema::history::Entry;
use perf_format::schema::record::{FunctionSamples, Kind, Metric, Record, RunSummary};

use super::detect::{self, DetectOptions};
use super::series::{self, Metrics, Series};

/// Commits the baseline takes at most: the newest ones of the stable stretch.
pub const MAX_COMMITS: usize = 30;

/// Runs of the judged record below which the note warns of false alarms.
pub const FEW_RUNS: usize = 10;

/// Fewest commits a baseline needs.
pub const MIN_COMMITS: usize = 3;

/// Too few commits since the last change point for a baseline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooFewCommits {
    /// The program whose history it is.
    pub program: String,
    /// The commits there are.
    pub commits: usize,
}

impl fmt::Display for TooFewCommits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {:?} in the history since its last change point; a baseline needs {MIN_COMMITS} (`cargo perf history add` after each commit's record)",
            perf_format::units::plural(self.commits as u64, "commit"),
            self.program
        )
    }
}

impl std::error::Error for TooFewCommits {}

/// A baseline for `current` from `history` (first-parent order, oldest
/// first, as the store reads it), as `compare --history` makes it: each
/// function's figures at the commits since the newest change point of any
/// of the program's series (at most [`MAX_COMMITS`], its own commit left
/// out), one sample per commit (the median of what it recorded), each
/// commit a run of the baseline (its whole-program wall time the median of
/// its runs'); and a note saying which commits.
///
/// One stretch for every function, not one per series, so that the
/// baseline's functions are measured at the same commits. Its samples are
/// commits' medians, where the current record's are runs: the rank test
/// still compares the levels; the baseline's smaller spread makes it, if
/// anything, quicker to call a real shift.
pub fn from_entries(
    history: Vec<(String, Vec<Entry>)>,
    current: &Record,
) -> Result<(Record, String), TooFewCommits> {
    let own = current
        .env
        .git_commit
        .as_deref()
        .map(|c| c.trim_end_matches("-dirty").to_owned());
    let history: Vec<(String, Vec<Entry>)> = history
        .into_iter()
        .filter(|(commit, _)| Some(commit) != own.as_ref())
        .map(|(commit, entries)| {
            let same: Vec<Entry> = entries
                .into_iter()
                .filter(|e| e.name == current.name && e.instructions == current.instructions)
                .collect();
            (commit, same)
        })
        .filter(|(_, entries)| !entries.is_empty())
        .collect();
    let all = series::series(&history, &Default::default(), Metrics::All);
    let gated: Vec<&Series> = all
        .iter()
        .filter(|s| {
            s.known.is_some_and(|m| {
                series::DETECTED.contains(&m)
                    && (m.kind() == Kind::Instructions) == current.instructions
            })
        })
        .collect();
    let values: Vec<Vec<f64>> = gated.iter().map(|s| s.values()).collect();
    // Any significant shift starts a new level, however small.
    let options = DetectOptions {
        min_change: Some(0.0),
        ..DetectOptions::default()
    };
    let detections = detect::detect_many(&values, |_| options);
    // The newest change point of any series, as a commit.
    let newest = gated
        .iter()
        .zip(&detections)
        .filter_map(|(s, d)| {
            d.change_points
                .last()
                .map(|c| s.points[c.index].commit.as_str())
        })
        .filter_map(|commit| history.iter().position(|(c, _)| c == commit))
        .max()
        .unwrap_or(0);
    let start = newest.max(history.len().saturating_sub(MAX_COMMITS));
    let window = &history[start..];
    if window.len() < MIN_COMMITS {
        return Err(TooFewCommits {
            program: current.name.clone(),
            commits: window.len(),
        });
    }
    let commits: Vec<&str> = window.iter().map(|(c, _)| c.as_str()).collect();
    let mut baseline = Record::new(
        format!("history-{}", short_commit(commits[commits.len() - 1])),
        &current.name,
        current.source,
        current.created_at.clone(),
        current.env.clone(),
    );
    baseline.command = current.command.clone();
    baseline.alloc_tracking = current.alloc_tracking;
    baseline.instructions = current.instructions;
    // Each commit stands for a run: the gate's drift correction then takes
    // out how fast each commit's machine was, as it does run by run.
    let whole = all
        .iter()
        .find(|s| s.function == WHOLE_PROGRAM && s.known == Some(Metric::TimePerRun));
    baseline.runs = commits
        .iter()
        .map(|commit| {
            let duration = whole
                .and_then(|s| s.points.iter().find(|p| p.commit == *commit))
                .map_or(0, |p| p.value as u64);
            RunSummary::new(*commit, duration, 0)
        })
        .collect();
    for s in &all {
        let Some(metric) = s.known else { continue };
        if s.function == WHOLE_PROGRAM {
            continue;
        }
        let samples: Vec<f64> = s
            .points
            .iter()
            .filter(|p| commits.contains(&p.commit.as_str()))
            .map(|p| p.value)
            .collect();
        if samples.is_empty() {
            continue;
        }
        let at = match baseline.functions.iter().position(|f| f.name == s.function) {
            Some(at) => at,
            None => {
                baseline.functions.push(FunctionSamples::new(&s.function));
                baseline.functions.len() - 1
            }
        };
        baseline.functions[at].samples.insert(metric, samples);
    }
    let mut note = format!(
        "baseline: the history of {:?}, {} since its last change point ({} … {}), one sample per commit (its median); change points by `cargo perf history detect`",
        current.name,
        perf_format::units::plural(commits.len() as u64, "commit"),
        short_commit(commits[0]),
        short_commit(commits[commits.len() - 1])
    );
    if current.runs.len() < FEW_RUNS {
        note.push_str(&format!(
            "; the record has {}: commits' medians spread less than runs, which makes false alarms likelier with few runs (measured: 3% at 5 runs, 1% at 10): record {FEW_RUNS} or more",
            perf_format::units::plural(current.runs.len() as u64, "run")
        ));
    }
    Ok((baseline, note))
}
