//! Machine drift. A shared machine runs faster or slower from one minute to
//! the next, and every function of a run moves with it: here run-to-run
//! noise of 3% per function shrinks to 1% once this common factor is taken
//! out, and records made minutes apart differ by a few percent as a whole.
//!
//! Each run gets a speed factor: the median, over the functions, of how far
//! its own time per call lies from that function's usual value (the
//! median-of-ratios normalisation of RNA-seq's DESeq). A function's times
//! are divided by its run's factor, computed without the function itself so
//! that its own change cannot leak into the factor: it is then judged by its
//! cost relative to the rest of the program, which machine drift does not
//! move.
//!
//! The factor is a median over many functions, each weighing its share of
//! the self time (up to [`MOST_WEIGHT`], so that no one function's change
//! becomes the machine's), so a few functions that changed cannot move it,
//! nor can many small ones outvote the few that hold the time; every function with
//! self time in every run takes part (at least [`MIN_FUNCTIONS`], each with
//! [`MIN_SHARE`] of the self time or more), so a program of 300 small
//! functions is corrected as well as one of five. What the correction
//! takes out is not hidden: the program's measured wall time per run is
//! judged as it is, in the row `(whole program)`, where a slower machine
//! and a change that slows every function alike both show.
//!
//! A median is robust to a minority, not to a majority: when most of the
//! program moved together (a shared helper, the allocator, a dependency 10%
//! slower under 60% of the functions), its factor is theirs and the rest
//! would read faster. So the functions' raw shifts between the records are
//! split first where they fall into two groups ([`split`]): each holding
//! at least [`MIN_GROUP`] of the self time, apart by at least half the
//! threshold and by [`SEPARATION`] times their own spread. When the faster
//! group is the larger both by time and by number of functions, it is the
//! machine, as the median has it, and the slower group's rows are judged
//! against it: a regression there is reported as one (its other reading,
//! most of the program faster at once, is the rarer; failing on it errs on
//! the side the gate is for). Otherwise two sessions cannot say which group
//! moved — a change that slowed the many, or a machine (or a change) that
//! ran the few hot ones faster — so the factor is the faster group's (none
//! of its functions reads "improved" for standing still), and the slower
//! group is named, its time rows inconclusive: `ab` (both sides on one
//! machine) or instruction counts decide. In `ab` the two sides' runs
//! were interleaved on one machine, which moved them alike: when one group
//! stood still (its raw shift within a quarter of the threshold, and
//! nearer zero than the other's), it is the machine, whichever is the
//! larger, and the other group's rows are judged against it, as
//! regressed or improved; when both moved, the slower group is named and
//! inconclusive, as between sessions.

use std::collections::HashMap;

use perf_format::schema::compare::{Drift, DriftSplit};
use perf_format::schema::record::{FunctionSamples, Kind, Metric, Record, Source};

use crate::rank::RankTester;
use crate::summary::{log_times, median, spread, weighted_median};

/// Functions a record needs, each with at least [`MIN_SHARE`] of the self
/// time, for a factor that one changed function cannot move.
const MIN_FUNCTIONS: usize = 4;
/// Share of the run's self time below which a function is too small (and
/// too noisy) to help estimate the factor.
const MIN_SHARE: f64 = 0.0005;
/// The most weight one function has in the factor, as a share of the
/// self time of all: one function that holds most of the program's time
/// must not make its own change the machine's.
const MOST_WEIGHT: f64 = 0.1;
/// Share of the self time each of two groups holds at least for the
/// functions to be taken as split (a smaller group is a minority the
/// median sees through).
pub(super) const MIN_GROUP: f64 = 0.25;
/// How many times its groups' own spread two groups' levels must lie
/// apart to be two groups, not the two halves of one noisy one (the
/// halves of normal noise lie about 2.7 spreads apart).
const SEPARATION: f64 = 4.0;
/// The speed factor of every run of both records.
#[derive(Clone, Debug)]
pub(super) struct Factors {
    /// ln(factor) per baseline run and per current run.
    baseline: Vec<f64>,
    current: Vec<f64>,
    /// For each function the factors rest on: the factors without it.
    without: HashMap<String, (Vec<f64>, Vec<f64>)>,
    /// How much faster or slower everything ran than in the baseline.
    drift: Drift,
}

impl Factors {
    /// The factors of `base` and `cur`, or why there are none. Functions
    /// whose own cost moved by more than half of `threshold` against the
    /// others are found and left out of the factors (see [`settle`]).
    /// `interleaved`: the two records' runs took turns on one machine
    /// (`ab`), so a split is told apart by which group stood still.
    pub(super) fn estimate(
        base: &Record,
        cur: &Record,
        threshold: f64,
        interleaved: bool,
        tester: &mut RankTester,
    ) -> Result<Factors, String> {
        if base.source == Source::Criterion || cur.source == Source::Criterion {
            return Err("criterion samples are not runs of one program".to_owned());
        }
        let total_self: f64 = base.functions.iter().map(self_time_per_run).sum();
        let current: HashMap<&str, &FunctionSamples> =
            cur.functions.iter().map(|f| (f.name.as_str(), f)).collect();
        let mut names = Vec::new();
        let mut self_times = Vec::new();
        let mut logs: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
        for b in &base.functions {
            let Some(c) = current.get(b.name.as_str()) else {
                continue;
            };
            let (Some(x), Some(y)) = (
                aligned(b, Metric::SelfTimePerCall, base.runs.len()),
                aligned(c, Metric::SelfTimePerCall, cur.runs.len()),
            ) else {
                continue;
            };
            if self_time_per_run(b) < MIN_SHARE * total_self {
                continue;
            }
            names.push(b.name.clone());
            self_times.push(self_time_per_run(b));
            logs.push((log_times(x), log_times(y)));
        }
        if logs.len() < MIN_FUNCTIONS {
            return Err(format!(
                "{} function{} with 0.05% or more of the self time in every run; {MIN_FUNCTIONS} are needed",
                logs.len(),
                if logs.len() == 1 { "" } else { "s" }
            ));
        }
        let weights = capped(&self_times, MOST_WEIGHT);
        // Each function's usual value: its median over all runs of both.
        let centres: Vec<f64> = logs
            .iter()
            .map(|(x, y)| median(&[x.as_slice(), y.as_slice()].concat()))
            .collect();
        let factors = |set: &[usize]| {
            let kept = set;
            let base_logs: Vec<(&[f64], f64, f64)> = kept
                .iter()
                .map(|&i| (logs[i].0.as_slice(), centres[i], weights[i]))
                .collect();
            let cur_logs: Vec<(&[f64], f64, f64)> = kept
                .iter()
                .map(|&i| (logs[i].1.as_slice(), centres[i], weights[i]))
                .collect();
            (
                run_factors(&base_logs, base.runs.len()),
                run_factors(&cur_logs, cur.runs.len()),
            )
        };
        let shifts: Vec<f64> = logs.iter().map(|(x, y)| median(y) - median(x)).collect();
        // Groups are told by their share of the time itself.
        let groups = split(&shifts, &self_times, threshold, interleaved);
        let sides = groups.map(|groups| groups.sides(&shifts, &weights, threshold, interleaved));
        let candidates: Vec<usize> = match &sides {
            Some(sides) => sides.reference.clone(),
            None => (0..logs.len()).collect(),
        };
        let alone = |set: &[usize]| {
            let side = |baseline: bool, runs: usize| {
                let offsets: Vec<Vec<f64>> = set
                    .iter()
                    .map(|&i| {
                        let samples = if baseline { &logs[i].0 } else { &logs[i].1 };
                        samples.iter().map(|v| v - centres[i]).collect()
                    })
                    .collect();
                let set_weights: Vec<f64> = set.iter().map(|&i| weights[i]).collect();
                factors_without_each(&offsets, &set_weights, runs)
            };
            let base_side = side(true, base.runs.len());
            let cur_side = side(false, cur.runs.len());
            base_side.into_iter().zip(cur_side).collect::<Vec<_>>()
        };
        let settled = settle(&logs, &weights, candidates, threshold, alone);
        // A reference group too small to settle on is no machine to tell by.
        let (set, sides) = match (settled, sides) {
            (Ok(set), sides) => (set, sides),
            (Err(_), Some(_)) => {
                let all = (0..logs.len()).collect();
                (settle(&logs, &weights, all, threshold, alone)?, None)
            }
            (Err(e), None) => return Err(e),
        };
        let (baseline, current) = factors(&set);
        let without = set
            .iter()
            .map(|&i| names[i].clone())
            .zip(alone(&set))
            .collect();
        let shift = tester.shift(&baseline, &current, 0.5);
        let total: f64 = self_times.iter().sum();
        let split = sides.map(|sides| {
            let share = sides.moved.iter().map(|&i| self_times[i]).sum::<f64>() / total;
            let mut functions: Vec<String> =
                sides.moved.iter().map(|&i| names[i].clone()).collect();
            functions.sort();
            DriftSplit::new(functions, share, sides.change.exp_m1(), sides.judged)
        });
        Ok(Factors {
            drift: Drift::Estimated {
                functions: set.len(),
                change: shift.estimate.exp() - 1.0,
                split,
            },
            baseline,
            current,
            without,
        })
    }

    /// How much faster or slower everything ran than in the baseline.
    pub(super) fn drift(&self) -> &Drift {
        &self.drift
    }

    /// The samples of `metric` of `function`, each divided by its run's
    /// factor (computed without the function). Samples are matched to runs
    /// through `calls`, as a function absent from a run has no sample for
    /// it. Time metrics other than CPU time are corrected; counts are
    /// returned as they are.
    pub(super) fn correct(
        &self,
        metric: Metric,
        function: &FunctionSamples,
        baseline_side: bool,
    ) -> Option<Vec<f64>> {
        let samples = function.get(metric)?;
        if metric.kind() != Kind::Time || metric == Metric::CpuPerCall {
            return Some(samples.to_vec());
        }
        let (baseline, current) = self
            .without
            .get(&function.name)
            .map_or((&self.baseline, &self.current), |(b, c)| (b, c));
        let factors = if baseline_side { baseline } else { current };
        let runs: Vec<usize> = if samples.len() == factors.len() {
            (0..factors.len()).collect()
        } else {
            let calls = function.get(Metric::Calls).unwrap_or(&[]);
            (0..calls.len().min(factors.len()))
                .filter(|&r| calls[r] > 0.0)
                .collect()
        };
        if runs.len() != samples.len() {
            return Some(samples.to_vec());
        }
        Some(
            samples
                .iter()
                .zip(runs)
                .map(|(v, r)| v / factors[r].exp())
                .collect(),
        )
    }
}

/// Most rounds of [`settle`].
const ROUNDS: usize = 5;

/// The functions the factors rest on. A function whose own cost changed
/// sits high in every run of one side and low in every run of the other,
/// pulling the factors apart; so each function's shift against the factors
/// is measured, those that stand out from the others' shifts by more than
/// half the threshold (and three robust deviations) are left out, and the
/// factors are estimated again, until none stands out. Fewer than
/// [`MIN_FUNCTIONS`] left is no estimate.
fn settle(
    logs: &[(Vec<f64>, Vec<f64>)],
    weights: &[f64],
    candidates: Vec<usize>,
    threshold: f64,
    factors_without_each: impl Fn(&[usize]) -> Vec<(Vec<f64>, Vec<f64>)>,
) -> Result<Vec<usize>, String> {
    let limit = threshold.ln_1p() / 2.0;
    let mut set = candidates;
    for _ in 0..ROUNDS {
        let alone = factors_without_each(&set);
        let corrected = |samples: &[f64], factors: &[f64]| -> f64 {
            let values: Vec<f64> = samples.iter().zip(factors).map(|(v, f)| v - f).collect();
            median(&values)
        };
        // Each function against the factors of the others: a heavy one
        // would otherwise carry the factor with it and read unchanged.
        let shifts: Vec<f64> = set
            .iter()
            .zip(&alone)
            .map(|(&i, (base, cur))| corrected(&logs[i].1, cur) - corrected(&logs[i].0, base))
            .collect();
        let kept_weights: Vec<f64> = set.iter().map(|&i| weights[i]).collect();
        let centre = weighted_median(&shifts, &kept_weights);
        let reach = limit.max(3.0 * spread(&shifts));
        let before = set.len();
        let mut k = 0;
        set.retain(|_| {
            let keep = (shifts[k] - centre).abs() <= reach;
            k += 1;
            keep
        });
        if set.len() < MIN_FUNCTIONS {
            return Err(format!(
                "{} of the functions changed against the others, leaving {} to tell the machine's speed by; {MIN_FUNCTIONS} are needed",
                logs.len() - set.len(),
                set.len()
            ));
        }
        if set.len() == before {
            break;
        }
    }
    Ok(set)
}

/// Per run, the median over functions of ln(self time) minus the
/// function's centre, each function weighing its self time.
fn run_factors(logs: &[(&[f64], f64, f64)], runs: usize) -> Vec<f64> {
    let weights: Vec<f64> = logs.iter().map(|l| l.2).collect();
    (0..runs)
        .map(|r| {
            let offsets: Vec<f64> = logs
                .iter()
                .map(|(samples, centre, _)| samples[r] - centre)
                .collect();
            weighted_median(&offsets, &weights)
        })
        .collect()
}

/// `weights` capped so that none holds more than `most` of their sum
/// (water-filling: each at most c, for the largest c that allows it);
/// equal weights when there are too few for any to hold so little.
fn capped(weights: &[f64], most: f64) -> Vec<f64> {
    let share = |c: f64| weights.iter().map(|w| w.min(c)).sum::<f64>() * most;
    let top = weights.iter().copied().fold(0.0, f64::max);
    if share(top) >= top {
        return weights.to_vec();
    }
    // share(c) − c falls as c grows past the point where fewer than 1/most
    // weights exceed c: bisect for where it crosses zero.
    let (mut low, mut high) = (0.0, top);
    for _ in 0..100 {
        let mid = (low + high) / 2.0;
        if share(mid) >= mid {
            low = mid;
        } else {
            high = mid;
        }
    }
    let smallest = weights.iter().copied().fold(f64::INFINITY, f64::min);
    if low < smallest * 1e-9 || !low.is_finite() || low <= 0.0 {
        return vec![1.0; weights.len()];
    }
    weights.iter().map(|w| w.min(low)).collect()
}

/// For each function `f` (a row of `offsets`: ln(self time) minus its
/// centre, per run), the factor of each of `runs` runs without it: the
/// weighted median of the others' offsets in that run. One sort per run
/// and a binary search per function, so a set of n functions costs
/// O(runs · n log n), not the O(runs · n²) of a median per function left
/// out.
fn factors_without_each(offsets: &[Vec<f64>], weights: &[f64], runs: usize) -> Vec<Vec<f64>> {
    let n = offsets.len();
    let mut out = vec![Vec::with_capacity(runs); n];
    let mut order: Vec<usize> = (0..n).collect();
    let mut position = vec![0usize; n];
    let mut prefix = vec![0.0f64; n + 1];
    #[allow(clippy::needless_range_loop)] // `r` is a run: a column of every row
    for r in 0..runs {
        order.sort_by(|&a, &b| offsets[a][r].total_cmp(&offsets[b][r]));
        for (k, &f) in order.iter().enumerate() {
            position[f] = k;
            prefix[k + 1] = prefix[k] + weights[f];
        }
        let total = prefix[n];
        for f in 0..n {
            let (left_out, at) = (weights[f], position[f]);
            let half = (total - left_out) / 2.0;
            // The others' weight at or below sorted place k.
            let below = |k: usize| prefix[k + 1] - if k >= at { left_out } else { 0.0 };
            // The first place (not f's) whose weight at or below reaches
            // half: a weighted median of the others.
            let (mut low, mut high) = (0, n);
            while low < high {
                let mid = (low + high) / 2;
                if below(mid) >= half - 1e-12 * total {
                    high = mid;
                } else {
                    low = mid + 1;
                }
            }
            let mut k = low.min(n - 1);
            if k == at {
                k = if k + 1 < n {
                    k + 1
                } else {
                    k.saturating_sub(1)
                };
            }
            let value = offsets[order[k]][r];
            // Exactly half: between it and the next of the others.
            let next = (k + 1..n).find(|&j| j != at);
            let factor = match next {
                Some(j) if (below(k) - half).abs() <= 1e-12 * total => {
                    (value + offsets[order[j]][r]) / 2.0
                }
                _ => value,
            };
            out[f].push(if n > 1 { factor } else { 0.0 });
        }
    }
    out
}

/// Two groups of functions whose levels moved apart between the records.
#[derive(Clone, Debug, PartialEq)]
struct Groups {
    /// The functions that moved less (or sped up), by index.
    faster: Vec<usize>,
    /// The functions that moved more.
    slower: Vec<usize>,
    /// How far apart the groups' levels moved, ln.
    gap: f64,
}

/// Which of two [`Groups`] the factors rest on, and which is named.
#[derive(Clone, Debug, PartialEq)]
struct Sides {
    /// The machine: the group the other is measured against.
    reference: Vec<usize>,
    /// The group named.
    moved: Vec<usize>,
    /// How far it moved against the reference, ln (negative: faster).
    change: f64,
    /// Judged against the reference, which stood still; else inconclusive.
    judged: bool,
}

impl Groups {
    /// The sides of the split. `interleaved` (both records on one
    /// machine), a group whose raw shift (its weighted median, `weights`)
    /// lies within a quarter of `threshold` of zero, and nearer than the
    /// other's, stood still: it is the machine and the other is judged.
    /// Otherwise the faster group is the machine and the slower one is
    /// named, to be decided elsewhere.
    fn sides(self, shifts: &[f64], weights: &[f64], threshold: f64, interleaved: bool) -> Sides {
        let level = |group: &[usize]| {
            let values: Vec<f64> = group.iter().map(|&i| shifts[i]).collect();
            let group_weights: Vec<f64> = group.iter().map(|&i| weights[i]).collect();
            weighted_median(&values, &group_weights)
        };
        let (low, high) = (level(&self.faster), level(&self.slower));
        let still = (threshold / 4.0).ln_1p();
        let stood_still = |this: f64, other: f64| this.abs() <= still && this.abs() < other.abs();
        match interleaved {
            true if stood_still(low, high) => Sides {
                change: high - low,
                reference: self.faster,
                moved: self.slower,
                judged: true,
            },
            true if stood_still(high, low) => Sides {
                change: low - high,
                reference: self.slower,
                moved: self.faster,
                judged: true,
            },
            _ => Sides {
                change: self.gap,
                reference: self.faster,
                moved: self.slower,
                judged: false,
            },
        }
    }
}

/// Where the functions' raw shifts between the records (ln, `shifts`,
/// each weighing its self time) fall into two groups that each hold
/// [`MIN_GROUP`] of the weight, lying at least half of `threshold` apart
/// (their weighted medians) and [`SEPARATION`] times their own robust
/// spread, and — between sessions (not `interleaved`) — the faster is not
/// the larger both by time and by number (then it is the machine, and the
/// slower group is judged against it).
/// The split is where the sorted shifts have the largest weighted
/// between-group variance (Otsu's), wherever that is; a group it leaves
/// too small is a minority, not a split.
fn split(shifts: &[f64], weights: &[f64], threshold: f64, interleaved: bool) -> Option<Groups> {
    let total: f64 = weights.iter().sum();
    let mut order: Vec<usize> = (0..shifts.len()).collect();
    order.sort_by(|&a, &b| shifts[a].total_cmp(&shifts[b]));
    let weighted_sum: f64 = order.iter().map(|&i| shifts[i] * weights[i]).sum();
    let (mut below_weight, mut below_sum) = (0.0, 0.0);
    let mut best: Option<(f64, usize)> = None;
    for (k, &i) in order.iter().enumerate().take(order.len().saturating_sub(1)) {
        below_weight += weights[i];
        below_sum += shifts[i] * weights[i];
        let above_weight = total - below_weight;
        if below_weight <= 0.0 || above_weight <= 0.0 {
            continue;
        }
        let gap = (weighted_sum - below_sum) / above_weight - below_sum / below_weight;
        let between = below_weight * above_weight * gap * gap;
        if best.is_none_or(|(b, _)| between > b) {
            best = Some((between, k + 1));
        }
    }
    let (_, at) = best?;
    let (faster, slower) = order.split_at(at);
    let faster_weight: f64 = faster.iter().map(|&i| weights[i]).sum();
    if faster_weight < MIN_GROUP * total || total - faster_weight < MIN_GROUP * total {
        return None;
    }
    let level = |group: &[usize]| {
        let values: Vec<f64> = group.iter().map(|&i| shifts[i]).collect();
        let group_weights: Vec<f64> = group.iter().map(|&i| weights[i]).collect();
        (weighted_median(&values, &group_weights), spread(&values))
    };
    let ((low, low_spread), (high, high_spread)) = (level(faster), level(slower));
    let gap = high - low;
    let slower_weight: f64 = slower.iter().map(|&i| weights[i]).sum();
    // The faster group, larger by time and by number, is the machine: the
    // slower one is judged against it (the median has it so).
    let faster_rules = !interleaved && slower_weight < total / 2.0 && faster.len() > slower.len();
    let apart = !faster_rules
        && gap >= (threshold / 2.0).ln_1p()
        && gap >= SEPARATION * low_spread.max(high_spread)
        && faster.len().min(slower.len()) >= MIN_FUNCTIONS;
    apart.then(|| Groups {
        faster: faster.to_vec(),
        slower: slower.to_vec(),
        gap,
    })
}

/// The samples of `metric` if there is one per run.
fn aligned(function: &FunctionSamples, metric: Metric, runs: usize) -> Option<&[f64]> {
    function.get(metric).filter(|s| s.len() == runs && runs > 0)
}

/// Median self time per call × median calls: the function's self time per run.
fn self_time_per_run(function: &FunctionSamples) -> f64 {
    let median = |m| function.get(m).map_or(0.0, median);
    median(Metric::SelfTimePerCall) * median(Metric::Calls)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn no_function_holds_more_than_its_share_of_the_vote() {
        // One function with 93% of the time, seven small ones: too few to
        // cap at 10% each, so the vote is equal.
        let weights = [50.0, 2.0, 1.0, 0.5, 0.5, 0.2, 0.1, 0.3];
        assert_eq!(capped(&weights, 0.1), vec![1.0; 8]);
        // Twenty: the big one capped to 10% of the capped sum.
        let mut many = vec![1.0; 19];
        many.push(100.0);
        let capped = capped(&many, 0.1);
        let sum: f64 = capped.iter().sum();
        assert!((capped[19] / sum - 0.1).abs() < 1e-6, "{capped:?}");
        assert_eq!(capped[0], 1.0);
        // None too big: unchanged.
        assert_eq!(super::capped(&[1.0; 12], 0.1), vec![1.0; 12]);
    }

    proptest! {
        #[test]
        fn each_factor_without_a_function_is_the_weighted_median_of_the_others(
            rows in prop::collection::vec(
                (prop::collection::vec(-1.0f64..1.0, 3), 0.1f64..10.0),
                2..12,
            ),
        ) {
            let offsets: Vec<Vec<f64>> = rows.iter().map(|(o, _)| o.clone()).collect();
            let weights: Vec<f64> = rows.iter().map(|(_, w)| *w).collect();
            let fast = factors_without_each(&offsets, &weights, 3);
            for (f, fast) in fast.iter().enumerate() {
                for (r, fast) in fast.iter().enumerate() {
                    let (values, others): (Vec<f64>, Vec<f64>) = (0..offsets.len())
                        .filter(|&g| g != f)
                        .map(|g| (offsets[g][r], weights[g]))
                        .unzip();
                    let naive = weighted_median(&values, &others);
                    prop_assert!((fast - naive).abs() < 1e-9, "{f} {r}: {fast} vs {naive}");
                }
            }
        }
    }
}
