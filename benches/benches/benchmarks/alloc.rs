//! `PerfAlloc` against `System` on alloc/free churn, called directly so both
//! run in one binary and one run: with no session, and inside an open span
//! of a session that watches the heap (each call charged to the span's node,
//! the peak watched).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;

use criterion::{Criterion, criterion_group};

static PERF: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// Allocates and frees blocks of mixed sizes, touching each.
fn churn(alloc: &impl GlobalAlloc) {
    for size in [16usize, 48, 128, 512] {
        let layout = Layout::from_size_align(size, 8).expect("layout");
        // SAFETY: the layout has a non-zero size; the block is freed with the
        // same layout, once, right after one write inside its bounds.
        unsafe {
            let p = alloc.alloc(layout);
            assert!(!p.is_null());
            p.write_volatile(1);
            alloc.dealloc(black_box(p), layout);
        }
    }
}

/// The churn inside a span, as a `#[profile]` fn's body.
#[perf_core::profile]
fn churn_in_span(iters: u64) {
    for _ in 0..iters {
        churn(&PERF);
    }
}

fn allocators(c: &mut Criterion) {
    let mut group = c.benchmark_group("alloc-churn");
    group.bench_function("system", |b| b.iter(|| churn(&System)));
    group.bench_function("perf-alloc", |b| b.iter(|| churn(&PERF)));
    if perf_core::ENABLED {
        let out = tempfile::tempdir().expect("tempdir");
        let session = perf_core::Session::builder("alloc-bench")
            .dir(out.path())
            .start()
            .expect("session");
        group.bench_function("perf-alloc-in-span", |b| {
            b.iter_custom(|iters| {
                let start = std::time::Instant::now();
                churn_in_span(iters);
                start.elapsed()
            })
        });
        drop(session.finish().expect("finish"));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = super::measuring_for(2);
    targets = allocators
}
