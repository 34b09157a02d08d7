//! `cargo perf history detect` at scale: change points and creep in
//! 1 000 commits × 1 000 functions × 3 metrics (target: under 10 s), the
//! detection alone, on every core.

use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use perf_stats::history::detect::{DetectOptions, detect_many};

const COMMITS: usize = 1_000;
const FUNCTIONS: usize = 1_000;

/// Three series per function, oldest commit first: time per call and self
/// time per call with 1–3% noise, a few level shifts of ±2–10% and, for
/// one function in ten, a creep of +0.02% per commit over the last 300
/// commits; and allocations per call, exact, with a shift now and then.
fn history() -> Vec<Vec<f64>> {
    let mut random = perf_stats::random::Rng::new(0x9E37_79B9_7F4A_7C15);
    let mut uniform = move || random.uniform();
    let mut series = Vec::with_capacity(3 * FUNCTIONS);
    for f in 0..FUNCTIONS {
        let base = 1_000.0 + (f % 97) as f64 * 10.0;
        let shifts: Vec<(usize, f64)> = (0..(f % 4))
            .map(|_| {
                let at = (uniform() * COMMITS as f64) as usize;
                let size = 0.02 + 0.08 * uniform();
                (at, if uniform() < 0.5 { -size } else { size })
            })
            .collect();
        let level = |commit: usize| {
            let mut level = base;
            for &(at, size) in &shifts {
                if commit >= at {
                    level *= 1.0 + size;
                }
            }
            if f % 10 == 0 && commit >= COMMITS - 300 {
                level *= 1.0 + 0.0002 * (commit + 300 - COMMITS) as f64;
            }
            level
        };
        for noise in [0.01 + 0.01 * (f % 3) as f64, 0.03] {
            let values = (0..COMMITS)
                .map(|commit| {
                    // Box–Muller.
                    let (u, v) = (1.0 - uniform(), uniform());
                    let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
                    level(commit) * (1.0 + noise * normal)
                })
                .collect();
            series.push(values);
        }
        let allocations = (0..COMMITS)
            .map(|commit| {
                if f % 7 == 0 && commit >= 600 {
                    3.0
                } else {
                    2.0
                }
            })
            .collect();
        series.push(allocations);
    }
    series
}

fn detect_at_scale(c: &mut Criterion) {
    let series = history();
    let options = DetectOptions::default();
    let mut group = c.benchmark_group("history_detect");
    group.sample_size(10);
    group.bench_function("1k-commits-x-1k-functions-x-3-metrics", |b| {
        b.iter(|| detect_many(black_box(&series), |_| options))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = super::measuring_for(8);
    targets = detect_at_scale
}
