//! Where a change point goes: a split one outlier cannot capture.
//!
//! A least-squares split is the mean's: a single −41% point next to a step
//! outweighs every other point, and pulls the step onto itself (Otava's
//! TigerBeetle series, step at 15, outlier at 10). Two things keep that
//! from happening:
//! 1. **Outliers are set aside.** A point is an outlier when it lies more
//!    than [`OUTLIER_SIGMAS`] noise deviations from the median of the three
//!    points before it *and* from the median of the three after it (one of
//!    the two, at the series' ends). A point on either side of a real step
//!    is near one of those medians; an outlier is near neither. The noise
//!    deviation is estimated from the median absolute difference of
//!    neighbours, which steps and single outliers barely move.
//! 2. **The split is the least-squares one of the points kept**: the
//!    largest between-levels sum of squares, which weighs a step's size as
//!    well as its sides (a rank statistic cannot tell three points 20%
//!    higher at the end of a series from a shuffle in its middle).
//!
//! Points set aside at the split join the level they are nearer (either is
//! as right for a true outlier; a level's own edge point, in noise that
//! grows with the level, can be set aside too, and is put back where it
//! belongs).

/// A point this many noise deviations from both neighbouring medians is an
/// outlier.
pub(super) const OUTLIER_SIGMAS: f64 = 5.0;

/// Points on each side whose median a point is held against.
const NEIGHBOURS: usize = 3;

/// Which points of `values` are outliers (module docs). None when the
/// noise is zero: in an exact series every point counts.
pub(super) fn outliers(values: &[f64]) -> Vec<bool> {
    let n = values.len();
    let mut flagged = vec![false; n];
    if n < 2 * NEIGHBOURS + 1 {
        return flagged;
    }
    let mut differences: Vec<f64> = values.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    let median_difference = crate::summary::median_mut(&mut differences);
    // |x − y| of two independent N(0, σ²) has median 0.6745·√2·σ.
    let sigma = median_difference / (0.674_489_750_196_081_7 * std::f64::consts::SQRT_2);
    if sigma <= 0.0 || !sigma.is_finite() {
        return flagged;
    }
    let limit = OUTLIER_SIGMAS * sigma;
    let far = |i: usize, range: std::ops::Range<usize>| -> Option<bool> {
        let neighbours = &values[range];
        if neighbours.is_empty() {
            return None;
        }
        Some((values[i] - median_of_few(neighbours)).abs() > limit)
    };
    for (i, flag) in flagged.iter_mut().enumerate() {
        let before = far(i, i.saturating_sub(NEIGHBOURS)..i);
        let after = far(i, i + 1..(i + 1 + NEIGHBOURS).min(n));
        *flag = match (before, after) {
            (Some(b), Some(a)) => b && a,
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => false,
        };
    }
    flagged
}

/// `values` with each outlier replaced by the nearest point before it that
/// is not one (after it, at the start).
pub(super) fn without_outliers(values: &[f64], outlier: &[bool]) -> Vec<f64> {
    let first = values
        .iter()
        .zip(outlier)
        .find(|(_, flag)| !**flag)
        .map_or(0.0, |(v, _)| *v);
    let mut last = first;
    values
        .iter()
        .zip(outlier)
        .map(|(&v, &flag)| {
            if !flag {
                last = v;
            }
            last
        })
        .collect()
}

/// The median of at most [`NEIGHBOURS`] values (the lower of the middle two
/// of an even count).
fn median_of_few(values: &[f64]) -> f64 {
    let mut few = [0.0; NEIGHBOURS];
    let few = &mut few[..values.len()];
    few.copy_from_slice(values);
    few.sort_by(f64::total_cmp);
    few[(few.len() - 1) / 2]
}

/// The split of a segment among its kept points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Placement {
    /// Index in the segment of the best split with `min_segment` kept
    /// points a side, if the segment has room for one.
    pub(super) at: Option<usize>,
    /// The between-levels sum of squares of that split (−1 if none): how
    /// much of the kept points' sum of squares two levels explain.
    pub(super) explained: f64,
    /// Whether the best split over every position leaves fewer than
    /// `min_segment` kept points on a side, while the constrained one is
    /// pressed against that limit within `min_segment` kept points of it:
    /// a change too young to call (or an outlier at the end).
    pub(super) too_young: bool,
}

/// The split of `segment` (its outliers flagged in `outlier`) maximising
/// the between-levels sum of squares k·l/(k+l)·(mean after − mean before)²
/// of its kept points; `None` when fewer than two points are kept. Among
/// equal sums the earliest split wins.
pub(super) fn split(segment: &[f64], outlier: &[bool], min_segment: usize) -> Option<Placement> {
    let kept: Vec<(usize, f64)> = segment
        .iter()
        .zip(outlier)
        .enumerate()
        .filter(|(_, (_, flag))| !**flag)
        .map(|(i, (&v, _))| (i, v))
        .collect();
    let n = kept.len();
    if n < 2 {
        return None;
    }
    let total: f64 = kept.iter().map(|k| k.1).sum();
    // (kept points on the left, between-levels sum of squares)
    let mut free: Option<(usize, f64)> = None;
    let mut constrained: Option<(usize, f64)> = None;
    let mut before = 0.0;
    for j in 1..n {
        before += kept[j - 1].1;
        let (left, right) = (j as f64, (n - j) as f64);
        let shift = (total - before) / right - before / left;
        let between = left * right / (left + right) * shift * shift;
        if free.is_none_or(|(_, best)| between > best) {
            free = Some((j, between));
        }
        let allowed = j >= min_segment && n - j >= min_segment;
        if allowed && constrained.is_none_or(|(_, best)| between > best) {
            constrained = Some((j, between));
        }
    }
    let (free, _) = free?;
    let short = |j: usize| j < min_segment || n - j < min_segment;
    let too_young = constrained.is_some_and(|(j, _)| {
        let pressed = j == min_segment || n - j == min_segment;
        short(free) && pressed && free.abs_diff(j) < min_segment
    });
    let explained = constrained.map_or(-1.0, |(_, between)| between);
    let at = constrained.map(|(j, _)| {
        // Points set aside between the last kept point before the split
        // and the first after join the level they are nearer (a level's
        // own edge point, in noise that grows with the level, can look
        // like an outlier).
        let before: f64 = kept[..j].iter().map(|k| k.1).sum();
        let (left, right) = (before / j as f64, (total - before) / (n - j) as f64);
        let mut at = kept[j - 1].0 + 1;
        while at < kept[j].0 && (segment[at] - left).abs() < (segment[at] - right).abs() {
            at += 1;
        }
        at
    });
    Some(Placement {
        at,
        explained,
        too_young,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outlier_is_flagged_and_the_sides_of_a_step_are_not() {
        let mut series: Vec<f64> = (0..20)
            .map(|i| if i < 10 { 100.0 } else { 130.0 } + [0.3, -0.2, 0.1, -0.4][i % 4])
            .collect();
        assert!(outliers(&series).iter().all(|&flag| !flag));
        series[4] = 60.0;
        series[19] = 200.0;
        let flagged: Vec<usize> = (0..20).filter(|&i| outliers(&series)[i]).collect();
        assert_eq!(flagged, [4, 19]);
        // Exact values: no noise, nothing is an outlier.
        assert!(
            outliers(&[1.0, 1.0, 1.0, 9.0, 1.0, 1.0, 1.0, 1.0])
                .iter()
                .all(|&f| !f)
        );
    }

    #[test]
    fn an_outlier_next_to_a_step_does_not_move_it() {
        // A rise at 10; a point far below both levels at 11 would move a
        // least-squares split of every point to 12.
        let mut series: Vec<f64> = (0..24)
            .map(|i| if i < 10 { 100.0 } else { 105.0 } + [0.3, -0.2, 0.1, -0.4][i % 4])
            .collect();
        series[11] = 50.0;
        let flags = outliers(&series);
        assert_eq!(split(&series, &flags, 3).unwrap().at, Some(10));
        let none = vec![false; series.len()];
        assert_eq!(split(&series, &none, 3).unwrap().at, Some(12));
    }

    #[test]
    fn the_split_of_a_clean_step_is_exact() {
        let series = [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0];
        let placed = split(&series, &[false; 7], 3).unwrap();
        assert_eq!((placed.at, placed.too_young), (Some(4), false));
        // Two new points: a change too young to call.
        let young = [1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0];
        let placed = split(&young, &[false; 7], 3).unwrap();
        assert_eq!((placed.at, placed.too_young), (Some(4), true));
        assert_eq!(split(&[3.0], &[false], 2), None);
    }
}
