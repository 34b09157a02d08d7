//! The gate as a whole on synthetic records with seeded noise: false alarms
//! stay below α on identical programs, a 10% slowdown under realistic noise
//! is found and named, and a slower machine is not blamed on a function.
//! (The rank test's own properties are tested beside it, in `stats`.)

use perf_cli::{Gate, compare};
use perf_format::schema::compare::{ALL_FUNCTIONS, Comparison, Row, Verdict};
use perf_format::schema::record::{Metric, Record};

use crate::util::{Func, record_on, record_wandering, with};

/// The default gate: 5% for time, any increase of a count, α = 0.01.
fn judge(baseline: &Record, current: &Record) -> Comparison {
    compare(
        ("b", baseline),
        ("c", current),
        &Gate::default(),
        Vec::new(),
    )
}

/// Twelve functions of similar weight under one handler, each with its own
/// run-to-run noise, as in a real service.
fn service(noise: f64) -> Vec<Func> {
    let mut funcs = vec![Func::new("svc::handle", None, 1_000.0, 2_000.0)];
    const NAMES: [&str; 12] = [
        "svc::a", "svc::b", "svc::c", "svc::d", "svc::e", "svc::f", "svc::g", "svc::h", "svc::i",
        "svc::j", "svc::k", "svc::l",
    ];
    for (i, name) in NAMES.into_iter().enumerate() {
        let mut f = Func::new(
            name,
            Some("svc::handle"),
            1_000.0,
            1_000.0 * (1 + i % 4) as f64,
        );
        f.noise = noise;
        funcs.push(f);
    }
    funcs
}

#[test]
fn the_gate_keeps_false_alarms_below_alpha_across_many_functions() {
    // Both records from the same distribution: each function with its own
    // noise, and the machine's speed wandering by 3% from run to run.
    let trials = 400;
    let mut failed = 0;
    for trial in 0..trials {
        let baseline = record_wandering("b", &service(0.015), 5, 2 * trial, 1.0, 0.03);
        let current = record_wandering("c", &service(0.015), 5, 2 * trial + 1, 1.0, 0.03);
        let comparison = judge(&baseline, &current);
        if comparison.failed {
            failed += 1;
        }
    }
    let rate = f64::from(failed) / f64::from(trials as u32);
    assert!(rate < 0.01, "gate false-alarm rate {rate}");
}

#[test]
fn the_gate_finds_a_ten_percent_slowdown_under_realistic_noise() {
    let trials = 200;
    let mut found = 0;
    for trial in 0..trials {
        let baseline = record_wandering("b", &service(0.015), 5, 2 * trial, 1.0, 0.03);
        let slower = with(&service(0.015), "svc::g", |f| f.self_ns *= 1.10);
        let current = record_wandering("c", &slower, 5, 2 * trial + 1, 1.0, 0.03);
        let comparison = judge(&baseline, &current);
        if comparison.failed && comparison.culprits().any(|r| r.function == "svc::g") {
            found += 1;
        }
    }
    assert!(found >= trials * 95 / 100, "found {found} of {trials}");
}

#[test]
fn a_function_missing_from_a_run_is_judged_on_the_runs_it_was_in() {
    // svc::a is not called in the third current run: its samples must meet
    // their own runs' speed factors, or the machine's wander becomes a change.
    let mut failed = 0;
    for trial in 0..100 {
        let baseline = record_wandering("b", &service(0.015), 5, 2 * trial, 1.0, 0.05);
        let mut current = record_wandering("c", &service(0.015), 5, 2 * trial + 1, 1.0, 0.05);
        let function = current
            .functions
            .iter_mut()
            .find(|f| f.name == "svc::a")
            .unwrap();
        for (metric, samples) in &mut function.samples {
            if *metric == Metric::Calls {
                samples[2] = 0.0;
            } else {
                samples.remove(2);
            }
        }
        let comparison = judge(&baseline, &current);
        if comparison.failed {
            failed += 1;
        }
    }
    assert!(failed <= 1, "{failed} of 100 failed");
}

#[test]
fn slowing_most_functions_fails_the_gate_as_a_whole() {
    // Two thirds of the functions 10% slower cannot be told from a slower
    // machine function by function; the whole program's row catches it,
    // and the functions left alone are not called faster.
    let mut slower = service(0.015);
    for f in slower.iter_mut().skip(1).take(8) {
        f.self_ns *= 1.10;
    }
    let baseline = record_wandering("b", &service(0.015), 5, 1, 1.0, 0.03);
    let current = record_wandering("c", &slower, 5, 2, 1.0, 0.03);
    let comparison = judge(&baseline, &current);
    assert!(comparison.failed);
    let own: Vec<&str> = comparison.culprits().map(|r| r.function.as_str()).collect();
    assert!(own.contains(&ALL_FUNCTIONS), "{own:?}");
    let improved: Vec<_> = comparison
        .rows
        .iter()
        .filter_map(Row::judged)
        .filter(|r| r.verdict == Verdict::Improved)
        .map(|r| (&r.function, r.metric, r.change))
        .collect();
    assert!(
        improved.is_empty(),
        "an unchanged function is not called faster: {improved:?}"
    );
}

#[test]
fn an_unchanged_record_never_regresses_against_itself() {
    let record = record_on("same", &service(0.02), 5, 3, 1.0);
    let comparison = judge(&record, &record);
    assert!(!comparison.failed);
    assert!(
        comparison
            .rows
            .iter()
            .all(|r| r.verdict() == Verdict::Unchanged)
    );
}
