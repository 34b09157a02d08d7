//! The order of the runs, and what it bought.
//!
//! A shared machine drifts: other jobs come and go, clocks throttle, caches
//! warm. Run every BASE run and then every HEAD run, and that drift lands
//! on one side as if the code had changed. So the runs go in pairs, one of
//! each side, and within the pairs the order is balanced: as many pairs
//! start with BASE as with HEAD (one more either way when the number is
//! odd), which pairs do is drawn at random from a seed. A slow drift then
//! falls on both sides alike, and neither side always runs right after the
//! other (which would give it the other's warm caches or its heat).

use std::fmt::Write as _;

use crate::random::Rng;
use crate::summary::median;

/// One side of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The revision judged against.
    Base,
    /// The revision judged.
    Head,
}

impl Side {
    /// `BASE` or `HEAD`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Base => "BASE",
            Side::Head => "HEAD",
        }
    }
}

/// `pairs` pairs of runs, each holding one run of each side, half of them
/// BASE first, in an order drawn from `seed`.
pub fn balanced(pairs: usize, seed: u64) -> Vec<[Side; 2]> {
    let mut random = Rng::new(seed);
    let mut base_first: Vec<bool> = (0..pairs).map(|i| i < pairs / 2).collect();
    if pairs % 2 == 1 {
        base_first[pairs - 1] = random.below(2) == 0;
    }
    // Fisher–Yates.
    for i in (1..pairs).rev() {
        let j = random.below(i as u64 + 1) as usize;
        base_first.swap(i, j);
    }
    base_first
        .into_iter()
        .map(|first| match first {
            true => [Side::Base, Side::Head],
            false => [Side::Head, Side::Base],
        })
        .collect()
}

/// A seed short enough to type back (`cargo perf ab --seed`), from
/// `entropy` (the clock and the process id, say), mixed so that close
/// values give different seeds.
pub fn seed_from(entropy: u64) -> u64 {
    Rng::new(entropy).next_u64() % 1_000_000_000
}

/// What interleaving did, from the whole-run wall time of each measured run
/// in the order they ran (`(side, seconds)`, pair by pair): a note for the
/// comparison. The drift is a straight line fitted over the run order
/// (least squares on log time, the difference between the sides taken out
/// as a second term); back to back, every BASE run before every HEAD run,
/// the two sides' centres would sit `pairs` runs apart, so that line
/// would have moved HEAD against BASE by `pairs` × its slope. Interleaved,
/// both sides have the same centre and it cancels. With fewer than three
/// pairs there is too little to fit, and the note says only what the pairs
/// show.
pub fn drift_note(runs: &[(Side, f64)]) -> Option<String> {
    let pairs: Vec<f64> = runs
        .chunks_exact(2)
        .filter_map(|pair| {
            let time = |side| pair.iter().find(|(s, _)| *s == side).map(|(_, t)| *t);
            let (base, head) = (time(Side::Base)?, time(Side::Head)?);
            (base > 0.0 && head > 0.0).then(|| (head / base).ln())
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let mut sorted = pairs.clone();
    sorted.sort_by(f64::total_cmp);
    let median = median(&sorted);
    let mut note = String::from("interleaving: ");
    if let Some(slope) = (pairs.len() >= 3).then(|| drift_slope(runs)).flatten() {
        let _ = write!(
            note,
            "whole-run wall time drifted {} over the {} (a line fitted in the order they ran, the sides' difference taken out); back to back (all BASE runs, then all HEAD runs) that drift would have moved HEAD by {} against BASE, interleaved it cancels. ",
            percent(slope * (runs.len() - 1) as f64),
            perf_format::units::plural(runs.len() as u64, "run"),
            percent(slope * pairs.len() as f64),
        );
    }
    let _ = write!(
        note,
        "HEAD/BASE whole-run wall time within a pair: {} (median of {}, {} to {}).",
        percent(median),
        match pairs.len() {
            1 => "1 pair".to_owned(),
            n => format!("{n} pairs"),
        },
        percent(sorted[0]),
        percent(sorted[sorted.len() - 1]),
    );
    Some(note)
}

/// The slope per run of log time over the run order, fitted with the side
/// as a second term; `None` when the two cannot be told apart.
fn drift_slope(runs: &[(Side, f64)]) -> Option<f64> {
    let points: Vec<(f64, f64, f64)> = runs
        .iter()
        .enumerate()
        .filter(|(_, (_, t))| *t > 0.0)
        .map(|(k, (side, t))| (k as f64, f64::from(u8::from(*side == Side::Head)), t.ln()))
        .collect();
    let n = points.len() as f64;
    let mean = |f: fn(&(f64, f64, f64)) -> f64| points.iter().map(f).sum::<f64>() / n;
    let (mk, ms, my) = (mean(|p| p.0), mean(|p| p.1), mean(|p| p.2));
    let (mut skk, mut sss, mut sks, mut sky, mut ssy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (k, s, y) in &points {
        let (k, s, y) = (k - mk, s - ms, y - my);
        skk += k * k;
        sss += s * s;
        sks += k * s;
        sky += k * y;
        ssy += s * y;
    }
    let det = skk * sss - sks * sks;
    (det.abs() > 1e-9 * (skk * sss).max(f64::MIN_POSITIVE)).then(|| (sky * sss - ssy * sks) / det)
}

/// A change in log terms as a signed percentage.
fn percent(log_change: f64) -> String {
    format!("{:+.1}%", (log_change.exp() - 1.0) * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_pair_holds_one_run_of_each_side_and_the_order_is_balanced(
            pairs in 0usize..200,
            seed in any::<u64>(),
        ) {
            let order = balanced(pairs, seed);
            prop_assert_eq!(order.len(), pairs);
            for pair in &order {
                prop_assert!(pair.contains(&Side::Base) && pair.contains(&Side::Head));
            }
            let base_first = order.iter().filter(|p| p[0] == Side::Base).count();
            let head_first = pairs - base_first;
            prop_assert!(base_first.abs_diff(head_first) <= 1);
            prop_assert_eq!(order, balanced(pairs, seed));
        }
    }

    #[test]
    fn seeds_give_different_orders() {
        let orders: std::collections::HashSet<Vec<[Side; 2]>> =
            (0..20).map(|seed| balanced(10, seed)).collect();
        assert!(orders.len() > 10, "{} distinct orders", orders.len());
    }

    #[test]
    fn a_steady_drift_is_found_and_a_steady_difference_kept_apart() {
        // Every run 1% slower than the one before; HEAD 10% slower than BASE.
        let order = balanced(10, 7);
        let runs: Vec<(Side, f64)> = order
            .iter()
            .flatten()
            .enumerate()
            .map(|(k, side)| {
                let head = if *side == Side::Head { 1.1 } else { 1.0 };
                (*side, head * 1.01f64.powi(k as i32))
            })
            .collect();
        let slope = drift_slope(&runs).unwrap();
        assert!((slope - 1.01f64.ln()).abs() < 1e-9, "{slope}");
        let note = drift_note(&runs).unwrap();
        // 19 steps of 1%, and 10 back to back.
        assert!(note.contains("drifted +20.8% over the 20 runs"), "{note}");
        assert!(note.contains("moved HEAD by +10.5% against BASE"), "{note}");
        assert!(note.contains("median of 10 pairs"), "{note}");
    }

    #[test]
    fn too_few_pairs_for_a_line_say_only_what_the_pairs_show() {
        let runs = [(Side::Head, 2.0), (Side::Base, 1.0)];
        let note = drift_note(&runs).unwrap();
        assert_eq!(
            note,
            "interleaving: HEAD/BASE whole-run wall time within a pair: +100.0% (median of 1 pair, +100.0% to +100.0%)."
        );
    }
}
