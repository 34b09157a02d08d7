//! `PerfAlloc` against `System` on alloc/free churn, called directly so both
//! run in one binary and one run.

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

fn allocators(c: &mut Criterion) {
    let mut group = c.benchmark_group("alloc-churn");
    group.bench_function("system", |b| b.iter(|| churn(&System)));
    group.bench_function("perf-alloc", |b| b.iter(|| churn(&PERF)));
    group.finish();
}

criterion_group! {
    name = benches;
    config = super::measuring_for(2);
    targets = allocators
}
