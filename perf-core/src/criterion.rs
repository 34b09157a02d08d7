//! [`PerfProfiler`]: CPU flamegraphs of criterion benchmarks (feature
//! `criterion`, unix only, as it samples through `cpu`), and criterion
//! itself, re-exported, so that a benchmark needs one dev-dependency:
//! `perf-core` with this feature.

use std::path::Path;

use ::criterion::profiler::Profiler;
use perf_format::layout::run_files;

/// criterion (0.8), as perf-core was built with it: its macros and types
/// for a benchmark that depends on perf-core alone.
pub use ::criterion::{
    self, BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};

use crate::Error;
use crate::output::cpu::{CpuFiles, write};
use crate::sampling::CpuSampler;

/// A criterion [`Profiler`] that samples the CPU while a benchmark runs
/// under `--profile-time` and writes, into criterion's directory for it
/// (`target/criterion/<benchmark>/profile/`), `cpu-flamegraph.svg`,
/// `cpu.folded` and `profile.pb` (for `go tool pprof`).
///
/// ```no_run
/// use perf_core::criterion::{Criterion, PerfProfiler, criterion_group, criterion_main};
///
/// fn bench(c: &mut Criterion) {
///     c.bench_function("sum", |b| b.iter(|| (0..1000u64).sum::<u64>()));
/// }
///
/// criterion_group! {
///     name = benches;
///     config = Criterion::default().with_profiler(PerfProfiler::new());
///     targets = bench
/// }
/// criterion_main!(benches);
/// ```
///
/// Then `cargo bench -- --profile-time 5` writes a flamegraph per
/// benchmark; without `--profile-time`, criterion measures and nothing is
/// profiled.
/// `Profiler`'s methods cannot fail, so trouble is reported on stderr and
/// the benchmark goes on.
#[derive(Debug)]
pub struct PerfProfiler {
    frequency_hz: u32,
    sampler: Option<CpuSampler>,
}

impl Default for PerfProfiler {
    fn default() -> Self {
        PerfProfiler::new()
    }
}

impl PerfProfiler {
    /// Samples at [`DEFAULT_CPU_FREQUENCY`](crate::DEFAULT_CPU_FREQUENCY).
    pub fn new() -> Self {
        PerfProfiler::with_frequency(crate::DEFAULT_CPU_FREQUENCY)
    }

    /// Samples `hz` times per second of CPU time.
    pub fn with_frequency(hz: u32) -> Self {
        PerfProfiler {
            frequency_hz: hz,
            sampler: None,
        }
    }
}

impl Profiler for PerfProfiler {
    fn start_profiling(&mut self, benchmark_id: &str, _benchmark_dir: &Path) {
        match CpuSampler::start(self.frequency_hz) {
            Ok(sampler) => self.sampler = Some(sampler),
            Err(e) => eprintln!("perf: not profiling benchmark {benchmark_id}: {e}"),
        }
    }

    fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
        let Some(sampler) = self.sampler.take() else {
            return;
        };
        let written = sampler.finish().and_then(|profile| {
            perf_format::files::ensure_writable_dir(benchmark_dir)?;
            let flamegraph = benchmark_dir.join(run_files::CPU_FLAMEGRAPH);
            let files = CpuFiles {
                flamegraph: &flamegraph,
                folded: &benchmark_dir.join(run_files::CPU_FOLDED),
                pprof: &benchmark_dir.join(run_files::PPROF),
            };
            write(&files, benchmark_id, "criterion --profile-time", &profile)?;
            Ok::<_, Error>(flamegraph)
        });
        match written {
            Ok(flamegraph) => eprintln!(
                "perf: CPU flamegraph of {benchmark_id}: {}",
                flamegraph.display()
            ),
            Err(e) => eprintln!("perf: no CPU flamegraph of benchmark {benchmark_id}: {e}"),
        }
    }
}
