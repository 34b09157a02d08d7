//! Log-linear histograms of per-call durations, for p50/p95/p99.
//!
//! Values below 32 have a bucket each; above, each power of two is split into
//! 32 buckets, so a bucket is at most 1/32 of its values wide and a reported
//! percentile (the bucket's midpoint) is within 1.6% of the truth. The
//! recording side allocates a row of 32 buckets only when a value first lands
//! in it, so a function whose calls all take about as long holds one or two.

use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS;
/// Number of buckets that cover all of `u64`.
pub(crate) const BUCKETS: usize = SUB + (64 - SUB_BITS as usize) * SUB;
const ROWS: usize = BUCKETS / SUB;

/// The bucket a value falls in.
#[inline(always)]
pub(crate) fn bucket_of(value: u64) -> usize {
    if value < SUB as u64 {
        value as usize
    } else {
        let msb = 63 - value.leading_zeros();
        let shift = msb - SUB_BITS;
        SUB + shift as usize * SUB + ((value >> shift) as usize - SUB)
    }
}

/// The lowest value of a bucket and its width.
pub(crate) fn bucket_bounds(bucket: usize) -> (u64, u64) {
    if bucket < SUB {
        (bucket as u64, 1)
    } else {
        let shift = ((bucket - SUB) / SUB) as u32;
        let mantissa = (SUB + (bucket - SUB) % SUB) as u64;
        (mantissa << shift, 1u64 << shift)
    }
}

type Row = [AtomicU64; SUB];

/// The recording side: written by one thread with plain load+store, read by a
/// session's reader at any time.
pub(crate) struct AtomicHistogram {
    rows: [AtomicPtr<Row>; ROWS],
}

impl AtomicHistogram {
    pub(crate) fn new() -> Self {
        let histogram = AtomicHistogram {
            rows: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())),
        };
        // In an instruction build every row exists from the start: a row
        // allocated when the clock first hits its bucket would make the
        // heap, hence the program's allocator paths, depend on timing.
        #[cfg(perf_instructions)]
        for slot in &histogram.rows {
            Self::grow(slot);
        }
        histogram
    }

    /// Counts one value. Only the owning thread may call this.
    #[inline(always)]
    pub(crate) fn record(&self, value: u64) {
        let bucket = bucket_of(value);
        let slot = &self.rows[bucket / SUB];
        let mut row = slot.load(Ordering::Relaxed);
        if row.is_null() {
            row = Self::grow(slot);
        }
        // SAFETY: a non-null row pointer is a live `Box<Row>` owned by `self`
        // until `self` is dropped.
        let counter = unsafe { &(*row)[bucket % SUB] };
        counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    /// The counter of `value`'s bucket, if its row exists already: what
    /// [`record`](Self::record) adds to, without its allocating path.
    #[cfg(all(target_arch = "x86_64", not(perf_instructions)))]
    #[inline(always)]
    pub(crate) fn existing_counter(&self, value: u64) -> Option<&AtomicU64> {
        // `bucket_of`'s row and column without the bucket between them:
        // a value of `msb` 5 or more is in row `msb - 4`, at the five bits
        // below its top one.
        let (row, column) = if value < SUB as u64 {
            (0, value as usize)
        } else {
            let msb = 63 - value.leading_zeros();
            let column = (value >> (msb - SUB_BITS)) as usize % SUB;
            ((msb - SUB_BITS + 1) as usize, column)
        };
        // SAFETY: `msb` is at most 63, so `row` is at most 59, below `ROWS`.
        let row = unsafe { self.rows.get_unchecked(row) }.load(Ordering::Relaxed);
        // SAFETY: as in `record`.
        let row = unsafe { row.as_ref() }?;
        Some(&row[column])
    }

    #[cold]
    #[inline(never)]
    fn grow(slot: &AtomicPtr<Row>) -> *mut Row {
        let row = crate::alloc::untracked(|| {
            Box::into_raw(Box::new(std::array::from_fn(|_| AtomicU64::new(0))))
        });
        slot.store(row, Ordering::Release);
        row
    }

    /// The non-empty buckets as `(bucket, count)`.
    pub(crate) fn snapshot(&self) -> Vec<(u16, u64)> {
        let mut out = Vec::new();
        self.for_each(|bucket, n| out.push((bucket, n)));
        out
    }

    /// Calls `f` with each non-empty bucket and its count, in order.
    pub(crate) fn for_each(&self, mut f: impl FnMut(u16, u64)) {
        for (r, slot) in self.rows.iter().enumerate() {
            let row = slot.load(Ordering::Acquire);
            if row.is_null() {
                continue;
            }
            // SAFETY: as in `record`; the Acquire load pairs with the Release
            // store in `grow`, so the row's initialisation is visible.
            let row = unsafe { &*row };
            for (c, counter) in row.iter().enumerate() {
                let n = counter.load(Ordering::Relaxed);
                if n > 0 {
                    f((r * SUB + c) as u16, n);
                }
            }
        }
    }
}

impl Drop for AtomicHistogram {
    fn drop(&mut self) {
        for slot in &self.rows {
            let row = slot.load(Ordering::Acquire);
            if !row.is_null() {
                // SAFETY: the pointer came from `Box::into_raw` in `grow` and
                // is freed only here, once.
                drop(unsafe { Box::from_raw(row) });
            }
        }
    }
}

/// A plain histogram, merged from snapshots, that answers percentiles.
#[derive(Clone)]
pub(crate) struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    pub(crate) fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
        }
    }

    /// Adds a snapshot's buckets.
    pub(crate) fn add(&mut self, buckets: &[(u16, u64)]) {
        for &(bucket, n) in buckets {
            self.counts[bucket as usize] += n;
            self.total += n;
        }
    }

    /// Counts one value.
    #[cfg(test)]
    pub(crate) fn record(&mut self, value: u64) {
        self.counts[bucket_of(value)] += 1;
        self.total += 1;
    }

    /// The slowest `count` of the values — the last one counted in part, so
    /// that the figure does not jump as the number of values grows — and
    /// about what they sum to: the slowest one as `max` (known exactly, and
    /// the one an interruption makes), the others as their buckets'
    /// midpoints (each within 1.6%, capped at `max`).
    pub(crate) fn slowest(&self, count: f64, max: u64) -> (f64, f64) {
        let count = count.clamp(0.0, self.total as f64);
        let mut left = count;
        let mut sum = 0.0;
        let mut first = true;
        for (bucket, &n) in self.counts.iter().enumerate().rev() {
            if left <= 0.0 {
                break;
            }
            if n == 0 {
                continue;
            }
            let mut n = n as f64;
            if first {
                let taken = left.min(1.0);
                sum += taken * max as f64;
                left -= taken;
                n -= 1.0;
                first = false;
            }
            let taken = n.min(left);
            let (low, width) = bucket_bounds(bucket);
            sum += taken * (low + width / 2).min(max) as f64;
            left -= taken;
        }
        (count, sum)
    }

    /// The value at quantile `q` (0..=1) by nearest rank, as the midpoint of
    /// its bucket, capped at `max`; 0 when empty.
    pub(crate) fn quantile(&self, q: f64, max: u64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (bucket, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let (low, width) = bucket_bounds(bucket);
                return (low + width / 2).min(max);
            }
        }
        max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn buckets_cover_u64_in_order() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(31), 31);
        assert_eq!(bucket_of(32), 32);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        let mut values: Vec<u64> = (0..64u32)
            .flat_map(|shift| {
                let v = 1u64 << shift;
                [v - 1, v, v.saturating_add(1), v.saturating_add(v / 2)]
            })
            .collect();
        values.sort_unstable();
        let buckets: Vec<usize> = values.iter().map(|&v| bucket_of(v)).collect();
        assert!(
            buckets.windows(2).all(|w| w[0] <= w[1]),
            "buckets follow values"
        );
    }

    #[test]
    fn atomic_snapshot_matches_plain_recording() {
        let atomic = AtomicHistogram::new();
        let mut plain = Histogram::new();
        for v in [0, 5, 100, 100, 70_000, 1 << 40] {
            atomic.record(v);
            plain.record(v);
        }
        let mut merged = Histogram::new();
        merged.add(&atomic.snapshot());
        assert_eq!(merged.counts, plain.counts);
        assert_eq!(merged.total, 6);
    }

    #[test]
    fn quantiles_of_a_known_distribution() {
        let mut h = Histogram::new();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let max = 1_000_000;
        for (q, want) in [(0.5, 500_000.0), (0.95, 950_000.0), (0.99, 990_000.0)] {
            let got = h.quantile(q, max) as f64;
            assert!((got - want).abs() / want < 0.02, "q{q}: {got} vs {want}");
        }
        assert_eq!(h.quantile(1.0, max), max);
        assert_eq!(Histogram::new().quantile(0.5, 0), 0);
    }

    #[test]
    fn the_slowest_values_are_counted_and_summed() {
        let mut h = Histogram::new();
        for _ in 0..999 {
            h.record(10_000);
        }
        h.record(4_000_037);
        let (count, sum) = h.slowest(10.0, 4_000_037);
        assert_eq!(count, 10.0);
        // The outlier exactly, and nine ordinary values, each within 1.6%.
        let ordinary = sum - 4_000_037.0;
        assert!((ordinary - 90_000.0).abs() / 90_000.0 < 0.02, "{sum}");
        // Part of the slowest: that part of the exact maximum.
        let (count, sum) = h.slowest(0.6, 4_000_037);
        assert_eq!(count, 0.6);
        assert!((sum - 0.6 * 4_000_037.0).abs() < 1e-6, "{sum}");
        // Never more than there are.
        let mut h = Histogram::new();
        h.record(500);
        h.record(700);
        assert_eq!(h.slowest(5.0, 700).0, 2.0);
        assert_eq!(Histogram::new().slowest(1.0, 0), (0.0, 0.0));
    }

    proptest! {
        #[test]
        #[cfg(all(target_arch = "x86_64", not(perf_instructions)))]
        fn the_counter_found_at_once_is_the_bucket_of_the_value(v in any::<u64>()) {
            let histogram = AtomicHistogram::new();
            histogram.record(v);
            let counter = histogram.existing_counter(v).expect("the row was made");
            prop_assert_eq!(counter.load(Ordering::Relaxed), 1);
            prop_assert_eq!(histogram.snapshot(), vec![(bucket_of(v) as u16, 1)]);
        }

        #[test]
        fn buckets_are_those_of_the_linear_then_logarithmic_rule(v in any::<u64>()) {
            // Below 32 a bucket each; above, 32 per power of two.
            let want = if v < SUB as u64 {
                v as usize
            } else {
                let shift = 63 - v.leading_zeros() - SUB_BITS;
                SUB + shift as usize * SUB + ((v >> shift) as usize - SUB)
            };
            prop_assert_eq!(bucket_of(v), want);
        }

        #[test]
        fn every_value_lies_in_its_bucket(v in any::<u64>()) {
            let (low, width) = bucket_bounds(bucket_of(v));
            prop_assert!(low <= v);
            prop_assert!(v - low < width);
            // The bucket is narrow relative to the value: the midpoint is within 1/32.
            if v >= 32 {
                prop_assert!((width as f64) / (low as f64) <= 1.0 / 32.0 + 1e-12);
            }
        }
    }
}
