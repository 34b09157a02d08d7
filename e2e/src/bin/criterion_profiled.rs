//! Criterion benchmarks with perf's CPU profiler (feature `criterion`),
//! driven by `tests/profilers.rs` with `--bench --profile-time 1`. Criterion
//! comes through perf-core's re-export, as a user's benchmark takes it.

use std::hint::black_box;

use perf_core::criterion::{Criterion, PerfProfiler, criterion_group, criterion_main};

/// CPU work the flamegraph should show.
#[inline(never)]
fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn benches(c: &mut Criterion) {
    let data: Vec<u8> = (0..64 * 1024).map(|i| i as u8).collect();
    c.bench_function("checksum/64KiB", |b| b.iter(|| checksum(black_box(&data))));
    c.bench_function("sort/4096", |b| {
        b.iter(|| {
            let mut v: Vec<u32> = (0..4096u32)
                .map(|i| i.wrapping_mul(2_654_435_761))
                .collect();
            v.sort_unstable();
            v
        })
    });
}

criterion_group! {
    name = profiled;
    config = Criterion::default().with_profiler(PerfProfiler::new());
    targets = benches
}
criterion_main!(profiled);
