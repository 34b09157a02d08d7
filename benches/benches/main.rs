//! perf's benchmarks: instrumentation overhead, allocator overhead, the
//! live server's scrapes, `compare`, flamegraphs and history change points
//! at scale.
//! `cargo bench -p perf-benches`.

mod benchmarks;

criterion::criterion_main!(
    benchmarks::overhead::benches,
    benchmarks::alloc::benches,
    benchmarks::serve::benches,
    benchmarks::compare::benches,
    benchmarks::config::benches,
    benchmarks::flamegraph::benches,
    benchmarks::history::benches
);
