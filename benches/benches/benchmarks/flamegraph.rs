//! A flamegraph of 100 000 distinct stacks (target: under 2 s), drawn by
//! `perf_format::stacks` as sessions and `cargo perf flamegraph` draw them;
//! and the same stacks folded for `cpu.folded`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group};
use perf_format::stacks::svg::{self, Chart, Measure};
use perf_format::stacks::{self, Stack};

const STACKS: usize = 100_000;

/// `STACKS` distinct stacks 6 to 20 frames deep, as a service's call tree
/// under load gives them: many shared prefixes, a long tail of light leaves.
fn many_stacks() -> Vec<Stack<u64>> {
    let mut random = perf_stats::random::Rng::new(0x2545_F491_4F6C_DD1D);
    let mut next = move || random.next_u64();
    (0..STACKS)
        .map(|i| {
            let depth = 6 + (next() % 15) as usize;
            let mut frames: Vec<String> = (0..depth - 1)
                .map(|level| format!("app::layer{level}::f{}", next() % (3 + level as u64 * 4)))
                .collect();
            // The leaf makes each stack distinct.
            frames.push(format!("app::leaf::op{i}"));
            Stack {
                frames,
                weight: 1 + next() % 10_000,
            }
        })
        .collect()
}

fn flamegraph_of_many_stacks(c: &mut Criterion) {
    let stacks = many_stacks();
    let chart = Chart {
        title: "bench: wall time by call stack".to_owned(),
        subtitle: Some("100 000 distinct stacks".to_owned()),
        measure: Measure::Time,
        calls: None,
    };
    let mut group = c.benchmark_group("flamegraph-100k-stacks");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("svg", |b| {
        b.iter(|| {
            let mut svg = Vec::with_capacity(8 << 20);
            svg::write_svg(&mut svg, &chart, black_box(&stacks), |w| *w).unwrap();
            svg.len()
        })
    });
    group.bench_function("folded", |b| {
        b.iter(|| {
            let mut folded = Vec::with_capacity(16 << 20);
            stacks::write_folded(&mut folded, black_box(&stacks), |w| *w).unwrap();
            folded.len()
        })
    });
    group.finish();
}

criterion_group!(benches, flamegraph_of_many_stacks);
