//! Fixture tests of what the live endpoints answer: `/metrics` in both
//! formats and the live page, from `tests/fixtures/run.json` with fixed
//! durations and heap, compared byte for byte with `tests/fixtures/live-*`.
//! Regenerate with `PERF_BLESS=1 cargo test -p perf-core --features serve
//! --lib live::fixtures` and review the diff.

use std::path::Path;
use std::time::Instant;

use super::counts::{BUCKET_BOUNDS, FunctionCounts, bucket_index};
use super::figures::Figures;
use super::metrics::{self, SelfTimeFloor, SessionInfo};
use super::page;
use crate::model::RunData;
use crate::output::fixtures::check;
use crate::recorder::AllocCounts;

/// The fixture run as a live look: each function's calls spread over its
/// p50, p95 and p99 as 90%, 8% and 2% of them.
fn figures() -> Figures {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run.json");
    let run = RunData::load(&path).expect("tests/fixtures/run.json");
    Figures {
        functions: run.functions,
        call_tree: run.call_tree,
        threads: run.threads,
        heap: Some(HEAP),
        taken: Instant::now(),
    }
}

/// The heap of the fixture: 3 MiB live, 5 MiB at the peak.
const HEAP: (u64, u64) = (3 << 20, 5 << 20);

/// What `/metrics` counts of the fixture run: each function's calls spread
/// over its p50, p95 and p99 as 90%, 8% and 2% of them.
fn counts() -> Vec<FunctionCounts> {
    figures()
        .functions
        .iter()
        .map(|f| {
            let mut buckets = vec![0; BUCKET_BOUNDS.len() + 1];
            let (p95, p99) = (f.calls * 8 / 100, f.calls * 2 / 100);
            buckets[bucket_index(f.p50_ns as f64 / 1e9)] += f.calls - p95 - p99;
            buckets[bucket_index(f.p95_ns as f64 / 1e9)] += p95;
            buckets[bucket_index(f.p99_ns as f64 / 1e9)] += p99;
            FunctionCounts {
                name: Box::leak(f.name.clone().into_boxed_str()),
                calls: f.calls,
                errors: f.errors,
                self_seconds: f.self_ns as f64 / 1e9,
                allocs: AllocCounts {
                    allocs: f.total_allocs,
                    bytes: f.total_alloc_bytes,
                    freed: f.total_freed_bytes,
                },
                buckets,
                sum_seconds: (f.mean_ns * f.calls) as f64 / 1e9,
            }
        })
        .collect()
}

fn info() -> SessionInfo {
    SessionInfo {
        name: "checkout \"live\"".to_owned(),
        version: "0.1.0".to_owned(),
        commit: "0123456789ab".to_owned(),
    }
}

#[test]
fn metrics_in_prometheus_text() {
    let text = metrics::encode(
        counts(),
        Some(HEAP),
        &info(),
        &SelfTimeFloor::default(),
        false,
    );
    check("live-metrics.txt", &text);
}

#[test]
fn metrics_in_openmetrics() {
    let text = metrics::encode(
        counts(),
        Some(HEAP),
        &info(),
        &SelfTimeFloor::default(),
        true,
    );
    check("live-metrics.openmetrics.txt", &text);
}

#[test]
fn the_live_page() {
    let now = figures();
    let mut before = figures().functions;
    for f in &mut before {
        f.calls /= 2;
        f.self_ns /= 4;
    }
    check(
        "live-page.html",
        &page::render("checkout", &now, Some(&before), 2.0),
    );
}

#[test]
fn self_time_never_goes_back_between_scrapes() {
    let floor = SelfTimeFloor::default();
    let first = metrics::encode(counts(), None, &info(), &floor, false);
    let mut lower = counts();
    for f in &mut lower {
        f.self_seconds /= 2.0;
    }
    let second = metrics::encode(lower, None, &info(), &floor, false);
    let self_lines = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("perf_function_self_seconds_total"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(self_lines(&first), self_lines(&second));
}
