//! `cargo perf compare` at scale: 10 000 functions × 10 runs a side
//! (target: under 0.5 s), as the statistics alone and as the whole command
//! minus process start: both files read, compared and rendered.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use perf_cli::{Detail, Format, load_record_file, render};
use perf_format::schema::env::Environment;
use perf_format::schema::record::{FunctionSamples, Metric, Record, RunSummary, Source};
use perf_stats::gate::{Gate, compare};
use perf_stats::random::Rng;

const FUNCTIONS: usize = 10_000;
const RUNS: usize = 10;

/// A record of `FUNCTIONS` leaf functions with noisy times and fixed counts;
/// `seed` varies the noise, `slower` makes every 100th function 10% slower.
fn record(id: &str, seed: u64, slower: bool) -> Record {
    let mut random = Rng::new(seed);
    let mut jitter = move || 1.0 + (random.uniform() - 0.5) * 0.04;
    let functions = (0..FUNCTIONS)
        .map(|i| {
            let base = 1_000.0 + (i % 97) as f64 * 10.0;
            let time = if slower && i % 100 == 0 {
                base * 1.1
            } else {
                base
            };
            let mut samples = BTreeMap::new();
            let mut noisy =
                |scale: f64| -> Vec<f64> { (0..RUNS).map(|_| scale * jitter()).collect() };
            samples.insert(Metric::TimePerCall, noisy(time));
            samples.insert(Metric::SelfTimePerCall, noisy(time));
            samples.insert(Metric::P95, noisy(time * 1.2));
            samples.insert(Metric::Calls, vec![5_000.0; RUNS]);
            samples.insert(Metric::AllocsPerCall, vec![2.0; RUNS]);
            samples.insert(Metric::SelfAllocsPerCall, vec![2.0; RUNS]);
            samples.insert(Metric::BytesPerCall, vec![96.0; RUNS]);
            samples.insert(Metric::SelfBytesPerCall, vec![96.0; RUNS]);
            let mut function =
                FunctionSamples::new(format!("app::module_{}::function_{i}", i % 50));
            function.file = Some("src/app.rs".to_owned());
            function.line = Some(1);
            function.samples = samples;
            function
        })
        .collect();
    let mut record = Record::new(
        id,
        "app",
        Source::Perf,
        "2026-11-01T00:00:00Z",
        Environment::capture(std::time::SystemTime::now()),
    );
    record.runs = (0..RUNS)
        .map(|r| RunSummary::new(format!("{id}-{r}"), 1_000_000_000, 50_000_000))
        .collect();
    record.alloc_tracking = true;
    record.functions = functions;
    record
}

fn compare_at_scale(c: &mut Criterion) {
    let gate = Gate::default();
    let baseline = record("base", 1, false);
    let current = record("cur", 2, true);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (base_path, cur_path) = (dir.path().join("base.json"), dir.path().join("cur.json"));
    std::fs::write(&base_path, serde_json::to_vec(&baseline).expect("json")).expect("write");
    std::fs::write(&cur_path, serde_json::to_vec(&current).expect("json")).expect("write");

    let mut group = c.benchmark_group("compare-10k-functions-x10-runs");
    group.sample_size(10);
    group.bench_function("statistics", |b| {
        b.iter(|| {
            compare(
                ("base", &baseline),
                ("cur", &current),
                black_box(&gate),
                Vec::new(),
            )
        })
    });
    group.bench_function("load-compare-render", |b| {
        b.iter(|| {
            let base = load_record_file(&base_path).expect("baseline");
            let cur = load_record_file(&cur_path).expect("record");
            let comparison = compare(("base", &base), ("cur", &cur), &gate, Vec::new());
            black_box(render(&comparison, Format::Table, Detail::default()))
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = super::measuring_for(5);
    targets = compare_at_scale
}
