//! Known answers for the gate: generated records of a program of many
//! functions, with noise, machine drift and outlying runs as real runs have
//! them, a known change planted, and how often `compare` calls what.
//!
//! A record here is `runs` runs of `functions` leaf functions (time per
//! call = self time per call, one call each): function *i* takes
//! 1 000 + 10·(*i* mod 97) ns, times a factor per run common to every
//! function (the machine: lognormal, `drift` spread, times the session's
//! speed), times its own noise per run (lognormal, `noise` spread); with
//! probability `outliers` a function's run is hit by an outlier, +10–50%
//! (a preemption, a page fault storm). A run's wall time is its
//! functions' time with noise of its own (`noise` spread). The current
//! record's changed functions are `change` slower.

use perf_format::schema::compare::{Drift, Row, Verdict};
use perf_format::schema::env::Environment;
use perf_format::schema::record::{FunctionSamples, Metric, Record, RunSummary, Source};

use super::{Gate, compare};
use crate::evaluation::{Cell, Rate, Table};
use crate::random::Rng;

/// How the generated runs behave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Noise {
    /// Functions in the program.
    pub functions: usize,
    /// Runs a side.
    pub runs: usize,
    /// Spread (σ of the log) of a function's time from run to run.
    pub noise: f64,
    /// Spread of the machine's speed from run to run, common to every
    /// function of a run.
    pub drift: f64,
    /// The share of (function, run) samples hit by an outlier of +10–50%.
    pub outliers: f64,
}

/// What the current record changes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Change {
    /// How much slower the changed functions are: 0.05 for 5%.
    pub slower: f64,
    /// The share of the functions changed (the first ones), at least one
    /// when `slower` is not 0.
    pub share: f64,
    /// How much slower the machine is in the current record's session.
    pub machine: f64,
}

/// A record of one program from `rng`, named `id`, with `change` applied
/// (or none, for a baseline).
pub fn record(rng: &mut Rng, id: &str, noise: &Noise, change: Option<&Change>) -> Record {
    let machine = change.map_or(0.0, |c| c.machine);
    let factors: Vec<f64> = (0..noise.runs)
        .map(|_| (1.0 + machine) * (noise.drift * rng.normal()).exp())
        .collect();
    record_on(rng, id, noise, change, &factors)
}

/// A record as [`record`] makes it, its runs on a machine as fast as
/// `factors` say (one per run: 1.02 is 2% slower).
pub fn record_on(
    rng: &mut Rng,
    id: &str,
    noise: &Noise,
    change: Option<&Change>,
    factors: &[f64],
) -> Record {
    let mut record = Record::new(id, "app", Source::Perf, "t", Environment::default());
    let changed = change.map_or(0, |c| changed(c, noise.functions));
    let mut totals = vec![0.0; factors.len()];
    for i in 0..noise.functions {
        let base = 1_000.0 + 10.0 * (i % 97) as f64;
        let slower = match change {
            Some(c) if i < changed => 1.0 + c.slower,
            _ => 1.0,
        };
        let times: Vec<f64> = factors
            .iter()
            .map(|factor| {
                let outlier = match rng.uniform() < noise.outliers {
                    true => 1.1 + 0.4 * rng.uniform(),
                    false => 1.0,
                };
                base * slower * factor * (noise.noise * rng.normal()).exp() * outlier
            })
            .collect();
        for (total, time) in totals.iter_mut().zip(&times) {
            *total += time;
        }
        let mut function = FunctionSamples::new(format!("app::f{i:03}"));
        function.samples.insert(Metric::TimePerCall, times.clone());
        function.samples.insert(Metric::SelfTimePerCall, times);
        function
            .samples
            .insert(Metric::Calls, vec![1.0; factors.len()]);
        record.functions.push(function);
    }
    // The program's wall time: its functions' time, with noise of its own
    // (start-up, the session's end).
    record.runs = totals
        .iter()
        .enumerate()
        .map(|(r, total)| {
            let wall = total * (noise.noise * rng.normal()).exp();
            RunSummary::new(format!("run{r}"), wall as u64, noise.functions as u64)
        })
        .collect();
    record
}

/// How many functions `change` slows, of `functions`.
fn changed(change: &Change, functions: usize) -> usize {
    match change.slower {
        0.0 => 0,
        _ => ((change.share * functions as f64).round() as usize).max(1),
    }
}

/// What one comparison said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Said {
    /// The gate failed.
    pub failed: bool,
    /// The gate would have failed with `--fail-on inconclusive`: a row that
    /// gates regressed or is inconclusive.
    pub failed_strict: bool,
    /// Every changed function's time/call row was called regressed.
    pub caught: bool,
    /// Every changed function was called regressed or named in a group
    /// that moved against the rest.
    pub named: bool,
    /// An unchanged function's row was called regressed.
    pub false_regression: bool,
    /// An unchanged function's row was called improved.
    pub false_improvement: bool,
}

/// Compares a fresh baseline and a fresh current record of `noise` with
/// `change`, from `rng`, by `gate`.
pub fn trial(rng: &mut Rng, noise: &Noise, change: &Change, gate: &Gate) -> Said {
    let base = record(rng, "base", noise, None);
    let cur = record(rng, "cur", noise, Some(change));
    let comparison = compare(("base", &base), ("cur", &cur), gate, Vec::new());
    let changed = changed(change, noise.functions);
    let is_changed = |name: &str| {
        name.strip_prefix("app::f")
            .and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|n| n < changed)
    };
    let rows: Vec<_> = comparison
        .rows
        .iter()
        .filter_map(Row::judged)
        .filter(|r| r.metric == Metric::TimePerCall)
        .collect();
    let of = |verdict: Verdict, want_changed: bool| {
        rows.iter()
            .filter(|r| r.verdict == verdict && is_changed(&r.function) == want_changed)
            .count()
    };
    let grouped = match &comparison.drift {
        Drift::Estimated {
            split: Some(split), ..
        } => split.functions.iter().filter(|f| is_changed(f)).count(),
        _ => 0,
    };
    let strict = comparison
        .rows
        .iter()
        .filter_map(Row::judged)
        .any(|r| r.gated && matches!(r.verdict, Verdict::Regressed | Verdict::Inconclusive));
    Said {
        failed: comparison.failed,
        failed_strict: comparison.failed || strict,
        caught: changed > 0 && of(Verdict::Regressed, true) == changed,
        named: changed > 0 && (of(Verdict::Regressed, true) == changed || grouped == changed),
        false_regression: of(Verdict::Regressed, false) > 0,
        false_improvement: of(Verdict::Improved, false) > 0,
    }
}

/// The columns of [`outliers`].
pub const OUTLIERS_HEADER: [&str; 4] = [
    "one function slower",
    "called regressed",
    "another function called regressed",
    "the gate failed",
];

/// One bad run: 300 functions, 10 runs a side, 0.2% noise and 1% machine
/// drift per run, 3% of samples hit by a +10–50% outlier; one function
/// 0, 1, 2, 5 or 10% slower; `trials` trials a row, row k from `seed + k`.
pub fn outliers(trials: usize, seed: u64, gate: &Gate) -> Table {
    let noise = Noise {
        functions: 300,
        runs: 10,
        noise: 0.002,
        drift: 0.01,
        outliers: 0.03,
    };
    let mut table = Table::new(&OUTLIERS_HEADER);
    for (k, slower) in [0.0, 0.01, 0.02, 0.05, 0.10].into_iter().enumerate() {
        let change = Change {
            slower,
            share: 0.0,
            machine: 0.0,
        };
        let mut rng = Rng::new(seed + k as u64);
        let said: Vec<Said> = (0..trials)
            .map(|_| trial(&mut rng, &noise, &change, gate))
            .collect();
        let count = |f: fn(&Said) -> bool| Rate::new(said.iter().filter(|s| f(s)).count(), trials);
        table.rows.push(vec![
            Cell::Text(match slower {
                0.0 => "none (A/A)".to_owned(),
                s => format!("+{:.0}%", s * 100.0),
            }),
            match slower {
                0.0 => Cell::None,
                _ => Cell::Rate(count(|s| s.caught)),
            },
            Cell::Rate(count(|s| s.false_regression)),
            Cell::Rate(count(|s| s.failed)),
        ]);
    }
    table
}

/// The columns of [`broad`].
pub const BROAD_HEADER: [&str; 6] = [
    "functions 10% slower",
    "the gate failed",
    "failed with --fail-on inconclusive",
    "all of them named",
    "an untouched one called regressed",
    "an untouched one called improved",
];

/// A broad slowdown between sessions: 300 functions, 10 runs a side, 1%
/// noise and 1% drift per run, the current session's machine 3% slower,
/// and 0, 10, 40, 60 or 90% of the functions 10% slower (a shared helper);
/// `trials` trials a row, row k from `seed + k`.
pub fn broad(trials: usize, seed: u64, gate: &Gate) -> Table {
    let noise = Noise {
        functions: 300,
        runs: 10,
        noise: 0.01,
        drift: 0.01,
        outliers: 0.0,
    };
    let mut table = Table::new(&BROAD_HEADER);
    for (k, share) in [0.0, 0.1, 0.4, 0.6, 0.9].into_iter().enumerate() {
        let change = Change {
            slower: if share == 0.0 { 0.0 } else { 0.10 },
            share,
            machine: 0.03,
        };
        let mut rng = Rng::new(seed + k as u64);
        let said: Vec<Said> = (0..trials)
            .map(|_| trial(&mut rng, &noise, &change, gate))
            .collect();
        let count = |f: fn(&Said) -> bool| Rate::new(said.iter().filter(|s| f(s)).count(), trials);
        table.rows.push(vec![
            Cell::Text(format!("{:.0}%", share * 100.0)),
            Cell::Rate(count(|s| s.failed)),
            Cell::Rate(count(|s| s.failed_strict)),
            match share {
                0.0 => Cell::None,
                _ => Cell::Rate(count(|s| s.named)),
            },
            Cell::Rate(count(|s| s.false_regression)),
            Cell::Rate(count(|s| s.false_improvement)),
        ]);
    }
    table
}

/// The columns of [`paired`].
pub const PAIRED_HEADER: [&str; 4] = [
    "machine drift per pair",
    "whole program 5% slower: caught",
    "unpaired (as before)",
    "unchanged: the gate failed",
];

/// `ab`'s whole-program row: 300 functions, 10 pairs of runs, 1% noise
/// per function, the machine's speed a random walk of 0, 1 or 3% a pair
/// (each pair's two runs on the same machine), every function 5% slower
/// or none; `trials` trials a cell, row k from `seed + k`. The paired
/// signed-rank test against the unpaired rank test it replaced.
pub fn paired(trials: usize, seed: u64) -> Table {
    let noise = Noise {
        functions: 300,
        runs: 10,
        noise: 0.01,
        drift: 0.0,
        outliers: 0.0,
    };
    let mut table = Table::new(&PAIRED_HEADER);
    for (k, walk) in [0.0, 0.01, 0.03].into_iter().enumerate() {
        let mut rng = Rng::new(seed + k as u64);
        let (mut caught, mut unpaired, mut false_alarm) = (0, 0, 0);
        for _ in 0..trials {
            let mut level = 0.0;
            let factors: Vec<f64> = (0..noise.runs)
                .map(|_| {
                    level += walk * rng.normal();
                    f64::exp(level)
                })
                .collect();
            let base = record_on(&mut rng, "base", &noise, None, &factors);
            let slower = Change {
                slower: 0.05,
                share: 1.0,
                machine: 0.0,
            };
            let cur = record_on(&mut rng, "cur", &noise, Some(&slower), &factors);
            let same = record_on(&mut rng, "same", &noise, None, &factors);
            let whole_regressed = |gate: &Gate, cur: &Record| {
                let comparison = compare(("base", &base), ("cur", cur), gate, Vec::new());
                let regressed = comparison.rows.iter().filter_map(Row::judged).any(|r| {
                    r.function == perf_format::schema::compare::WHOLE_PROGRAM
                        && r.metric == Metric::TimePerRun
                        && r.verdict == Verdict::Regressed
                });
                (regressed, comparison.failed)
            };
            let paired_gate = Gate {
                interleaved: true,
                ..Gate::default()
            };
            caught += usize::from(whole_regressed(&paired_gate, &cur).0);
            unpaired += usize::from(unpaired_whole_program_regressed(&base, &cur));
            false_alarm += usize::from(whole_regressed(&paired_gate, &same).1);
        }
        table.rows.push(vec![
            Cell::Text(format!("{:.0}%", walk * 100.0)),
            Cell::Rate(Rate::new(caught, trials)),
            Cell::Rate(Rate::new(unpaired, trials)),
            Cell::Rate(Rate::new(false_alarm, trials)),
        ]);
    }
    table
}

/// The whole-program row as it was judged before it was paired: the rank
/// test of the two sides' wall times as independent samples, one row of
/// the family (Benjamini–Hochberg over the 301 rows at α = 0.01, the
/// interval reaching the 5% threshold).
fn unpaired_whole_program_regressed(base: &Record, cur: &Record) -> bool {
    use crate::fdr::benjamini_hochberg;
    use crate::rank::RankTester;
    use crate::summary::log_times;
    let mut tester = RankTester::new();
    let times = |r: &Record| -> Vec<f64> {
        log_times(
            &r.runs
                .iter()
                .map(|run| run.duration_ns as f64)
                .collect::<Vec<_>>(),
        )
    };
    let mut p_values: Vec<f64> = base
        .functions
        .iter()
        .zip(&cur.functions)
        .map(|(b, c)| {
            let x = log_times(b.get(Metric::TimePerCall).unwrap_or(&[]));
            let y = log_times(c.get(Metric::TimePerCall).unwrap_or(&[]));
            tester.test(&x, &y).p_value
        })
        .collect();
    let (x, y) = (times(base), times(cur));
    p_values.push(tester.test(&x, &y).p_value);
    let q = benjamini_hochberg(&p_values);
    let whole = *q.last().expect("the whole program's row");
    let confidence = 1.0 - 0.01;
    let shift = tester.shift(&x, &y, confidence);
    whole <= 0.01 && shift.estimate > 0.0 && shift.upper.exp_m1() >= 0.05
}

/// Trials a row of the docs' tables.
pub const DOCS_TRIALS: usize = 200;

/// The seeds of the docs' tables: outliers, broad, paired.
pub const SEEDS: [u64; 3] = [0x5EED_0024, 0x5EED_0124, 0x5EED_0224];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::docs;

    /// The docs page that quotes these tables.
    const DOCS: &str = "gate-quality.md";

    #[test]
    #[ignore = "about 3 minutes in release: run by .ci/run"]
    fn the_docs_tables_are_the_evaluation() {
        let gate = Gate::default();
        let tables = [
            outliers(DOCS_TRIALS, SEEDS[0], &gate),
            broad(DOCS_TRIALS / 2, SEEDS[1], &gate),
            paired(DOCS_TRIALS / 2, SEEDS[2]),
        ];
        for table in &tables {
            docs::hold_table(DOCS, table);
        }
    }

    #[test]
    fn the_docs_figures_hold_on_fresh_seeds() {
        // 20 trials a row on other seeds: every figure the docs quote lies
        // within the 99.9% interval of this smaller evaluation.
        let gate = Gate::default();
        docs::hold_figures(DOCS, &outliers(20, SEEDS[0] + 1_000, &gate), 0.999);
        docs::hold_figures(DOCS, &broad(20, SEEDS[1] + 1_000, &gate), 0.999);
        docs::hold_figures(DOCS, &paired(20, SEEDS[2] + 1_000), 0.999);
    }
}
