//! Reading `perf.toml` at scale: 20 000 and 200 000 `[[budget]]` tables
//! (target: well under a second; counting lines from the start for each
//! budget once took 10.9 s for 20 000), read and checked as `check` and
//! `alerts` do.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group};

/// A `perf.toml` of `budgets` budgets, each on four lines.
fn perf_toml(budgets: usize) -> String {
    let mut text = String::from("[compare]\nthreshold = \"5%\"\n");
    for i in 0..budgets {
        let _ = write!(
            text,
            "\n[[budget]]\nfunction = \"app::handler_{i}\"\np95 = \"200us\"\nallocs_per_call = 4\n"
        );
    }
    text
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (budgets, name) in [
        (20_000, "config/check-20k-budgets"),
        (200_000, "config/check-200k-budgets"),
    ] {
        let path = dir.path().join(format!("perf-{budgets}.toml"));
        std::fs::write(&path, perf_toml(budgets)).expect("write perf.toml");
        assert_eq!(perf_cli::__bench::read_config(&path).ok(), Some(budgets));
        c.bench_function(name, |b| {
            b.iter(|| perf_cli::__bench::read_config(black_box(&path)))
        });
    }
}

criterion_group! {
    name = benches;
    config = super::measuring_for(5).sample_size(10);
    targets = bench
}
