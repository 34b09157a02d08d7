//! Known answers for the gate: generated records of a program of many
//! functions, with noise, machine drift and outlying runs as real runs have
//! them, a known change planted, and how often `compare` calls what.
//!
//! A record here is `runs` runs of `functions` leaf functions (time per
//! call = self time per call, one call each): function *i* takes
//! 1 000 + 10·(*i* mod 97) ns, times a factor per run common to every
//! function (the machine: lognormal, `drift` spread, and a `session`
//! factor for the whole record), times its own noise per run (lognormal,
//! `noise` spread); with probability `outliers` a function's run is hit by
//! an outlier, +10–50% (a preemption, a page fault storm). The current
//! record's changed functions are `change` slower.

use perf_format::schema::compare::{Row, Verdict};
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
    let mut record = Record::new(id, "app", Source::Perf, "t", Environment::default());
    let machine = change.map_or(0.0, |c| c.machine);
    let factors: Vec<f64> = (0..noise.runs)
        .map(|_| (1.0 + machine) * (noise.drift * rng.normal()).exp())
        .collect();
    let changed = change.map_or(0, |c| changed(c, noise.functions));
    let mut totals = vec![0.0; noise.runs];
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
            .insert(Metric::Calls, vec![1.0; noise.runs]);
        record.functions.push(function);
    }
    record.runs = totals
        .iter()
        .enumerate()
        .map(|(r, total)| {
            RunSummary::new(
                format!("run{r}"),
                (*total + 50_000.0) as u64,
                noise.functions as u64,
            )
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
    /// Every changed function's time/call row was called regressed.
    pub caught: bool,
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
    Said {
        failed: comparison.failed,
        caught: changed > 0 && of(Verdict::Regressed, true) == changed,
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
pub const BROAD_HEADER: [&str; 5] = [
    "functions 10% slower",
    "the gate failed",
    "all of them called regressed",
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
            match share {
                0.0 => Cell::None,
                _ => Cell::Rate(count(|s| s.caught)),
            },
            Cell::Rate(count(|s| s.false_regression)),
            Cell::Rate(count(|s| s.false_improvement)),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[ignore = "prints the tables; run in release"]
    fn print() {
        let gate = Gate::default();
        println!("{}", outliers(200, 0x5EED_0024, &gate).markdown());
        println!("{}", broad(100, 0x5EED_0124, &gate).markdown());
    }
}
