//! `cargo perf compare` at scale: 10 000 functions × 10 runs a side
//! (target: under 0.5 s), as the statistics alone and as the whole command
//! minus process start: both files read, compared and rendered.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group};
use perf_cli::compare::render::{self, Detail};
use perf_cli::compare::{self, Settings};
use perf_cli::model::{FunctionSamples, Metric, RECORD_SCHEMA, Record, RunSummary, Source};
use perf_cli::store;

const FUNCTIONS: usize = 10_000;
const RUNS: usize = 10;

/// A record of `FUNCTIONS` leaf functions with noisy times and fixed counts;
/// `seed` varies the noise, `slower` makes every 100th function 10% slower.
fn record(id: &str, seed: u64, slower: bool) -> Record {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut jitter = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        1.0 + ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.04
    };
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
            FunctionSamples {
                name: format!("app::module_{}::function_{i}", i % 50),
                file: Some("src/app.rs".to_owned()),
                line: Some(1),
                samples,
            }
        })
        .collect();
    Record {
        schema: RECORD_SCHEMA.to_owned(),
        id: id.to_owned(),
        name: "app".to_owned(),
        source: Source::Perf,
        created_at: "2026-11-01T00:00:00Z".to_owned(),
        command: Vec::new(),
        env: perf_core::model::Environment::current(),
        runs: (0..RUNS)
            .map(|r| RunSummary {
                id: format!("{id}-{r}"),
                duration_ns: 1_000_000_000,
                calls: 50_000_000,
            })
            .collect(),
        alloc_tracking: true,
        functions,
        stacks: Vec::new(),
        cpu_stacks: Vec::new(),
        baseline: None,
    }
}

fn compare_at_scale(c: &mut Criterion) {
    let settings = Settings {
        threshold: 0.05,
        alloc_threshold: 0.0,
        significance: 0.01,
    };
    let baseline = record("base", 1, false);
    let current = record("cur", 2, true);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (base_path, cur_path) = (dir.path().join("base.json"), dir.path().join("cur.json"));
    std::fs::write(&base_path, serde_json::to_vec(&baseline).expect("json")).expect("write");
    std::fs::write(&cur_path, serde_json::to_vec(&current).expect("json")).expect("write");

    let mut group = c.benchmark_group("compare-10k-functions-x10-runs");
    group.sample_size(10);
    group.bench_function("statistics", |b| {
        b.iter(|| compare::compare(("base", &baseline), ("cur", &current), black_box(settings)))
    });
    group.bench_function("load-compare-render", |b| {
        b.iter(|| {
            let base = store::load_any(&base_path).expect("baseline");
            let cur = store::load_any(&cur_path).expect("record");
            let comparison = compare::compare(("base", &base), ("cur", &cur), settings);
            black_box(render::table(&comparison, Detail::default()))
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    targets = compare_at_scale
}
