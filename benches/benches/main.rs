//! perf's benchmarks: instrumentation overhead, allocator overhead and
//! `compare` at scale. `cargo bench -p perf-benches`.

mod benchmarks;

criterion::criterion_main!(
    benchmarks::overhead::benches,
    benchmarks::alloc::benches,
    benchmarks::compare::benches
);
