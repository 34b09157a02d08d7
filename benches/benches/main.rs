//! perf's overhead benchmarks: `cargo bench -p perf-benches`.

mod benchmarks;

criterion::criterion_main!(benchmarks::overhead::benches, benchmarks::alloc::benches);
