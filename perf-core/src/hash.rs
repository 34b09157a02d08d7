//! A hasher for maps whose instruction counts must not move between runs.

/// How to hash a `HashMap` or `HashSet` that instruction records
/// (`cargo perf record --instructions`) should count the same in every run:
/// std's `RandomState` (a new random seed per process, which resists hash
/// flooding) in a normal build, and a hasher with a fixed seed in an
/// instruction build (`--cfg perf_instructions`).
///
/// With `RandomState` the seed changes which keys collide, so the probes a
/// lookup makes, and the instructions it counts, change from process to
/// process: measured on the `checkout` example, `price` counted 166.46 M
/// instructions in one run and 166.19 M in the next; with this type, the same
/// count in every run.
///
/// ```
/// use std::collections::HashMap;
///
/// let mut prices: HashMap<u64, u64, perf_core::HashState> = HashMap::default();
/// prices.insert(7, 250);
/// assert_eq!(prices[&7], 250);
/// ```
pub type HashState = Chosen;

/// The instruction build's: a fixed seed.
#[cfg(perf_instructions)]
type Chosen = std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher>;

/// The normal build's: std's default.
#[cfg(not(perf_instructions))]
type Chosen = std::collections::hash_map::RandomState;
