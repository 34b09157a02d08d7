//! One module per topic.

use std::time::Duration;

use criterion::Criterion;

pub(crate) mod alloc;
pub(crate) mod compare;
pub(crate) mod config;
pub(crate) mod flamegraph;
pub(crate) mod history;
pub(crate) mod overhead;
pub(crate) mod serve;
#[cfg(feature = "perf-enabled")]
pub(crate) mod thousand;

/// Criterion with a short warm-up and `seconds` of measurement per bench.
pub(crate) fn measuring_for(seconds: u64) -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(seconds))
}
