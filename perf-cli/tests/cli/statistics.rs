//! Property tests of the statistics behind the gate, with seeded synthetic
//! noise: the rank test and the whole gate keep false alarms below α on
//! identical distributions, a 10% shift under realistic noise is found, and
//! the confidence intervals cover the true change as often as they claim.

use perf_cli::compare::{self, Settings, Verdict};
use perf_cli::stats::{RankTester, benjamini_hochberg};
use proptest::prelude::*;

use perf_cli::model::Metric;

use crate::util::{Func, Noise, record_on, record_wandering, with};

const SETTINGS: Settings = Settings {
    threshold: 0.05,
    alloc_threshold: 0.0,
    significance: 0.01,
};

fn lognormal(noise: &mut Noise, n: usize, centre: f64, sd: f64) -> Vec<f64> {
    (0..n)
        .map(|_| centre * (sd * noise.normal()).exp())
        .collect()
}

proptest! {
    #[test]
    fn p_values_are_probabilities_symmetric_and_rank_based(
        x in prop::collection::vec(1.0f64..1e6, 1..12),
        y in prop::collection::vec(1.0f64..1e6, 1..12),
    ) {
        let mut tester = RankTester::new();
        let forward = tester.test(&x, &y);
        prop_assert!((0.0..=1.0).contains(&forward.p_value));
        let backward = tester.test(&y, &x);
        prop_assert!((forward.p_value - backward.p_value).abs() < 1e-9);
        // Only the order matters: a monotone transform changes nothing.
        let (lx, ly): (Vec<f64>, Vec<f64>) = (
            x.iter().map(|v| v.ln()).collect(),
            y.iter().map(|v| v.ln()).collect(),
        );
        prop_assert!((tester.test(&lx, &ly).p_value - forward.p_value).abs() < 1e-9);
    }

    #[test]
    fn hodges_lehmann_recovers_a_pure_shift(
        x in prop::collection::vec(-1e3f64..1e3, 2..15),
        shift in -500.0f64..500.0,
    ) {
        let y: Vec<f64> = x.iter().map(|v| v + shift).collect();
        let estimate = RankTester::new().shift(&x, &y, 0.95);
        prop_assert!((estimate.estimate - shift).abs() < 1e-6, "{estimate:?} vs {shift}");
        prop_assert!(estimate.lower <= shift && shift <= estimate.upper);
    }

    #[test]
    fn benjamini_hochberg_only_raises_and_keeps_the_order(
        p in prop::collection::vec(0.0f64..=1.0, 0..40),
    ) {
        let q = benjamini_hochberg(&p);
        for i in 0..p.len() {
            prop_assert!(q[i] >= p[i] - 1e-15 && q[i] <= 1.0);
            for j in 0..p.len() {
                if p[i] < p[j] {
                    prop_assert!(q[i] <= q[j] + 1e-15);
                }
            }
        }
    }
}

#[test]
fn the_rank_test_keeps_false_alarms_below_alpha_on_identical_distributions() {
    let mut noise = Noise::new(7);
    let mut tester = RankTester::new();
    // The exact test (up to 60 samples in all) is at most α by
    // construction; the normal approximation beyond is α within sampling
    // error of the check (3 standard errors).
    for (n, trials, slack) in [(5, 20_000, 0.0), (8, 10_000, 0.0), (40, 4_000, 3.0)] {
        let alarms = (0..trials)
            .filter(|_| {
                let x = lognormal(&mut noise, n, 1000.0, 0.05);
                let y = lognormal(&mut noise, n, 1000.0, 0.05);
                tester.test(&x, &y).p_value <= 0.01
            })
            .count();
        let rate = alarms as f64 / trials as f64;
        let bound = 0.01 + slack * (0.01 * 0.99 / trials as f64).sqrt();
        assert!(
            rate <= bound,
            "{n} a side: false-alarm rate {rate} > {bound}"
        );
    }
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
        let comparison = compare::compare(("b", &baseline), ("c", &current), SETTINGS);
        if comparison.failed {
            failed += 1;
        }
    }
    let rate = f64::from(failed) / f64::from(trials as u32);
    assert!(rate < SETTINGS.significance, "gate false-alarm rate {rate}");
}

#[test]
fn the_gate_finds_a_ten_percent_slowdown_under_realistic_noise() {
    let trials = 200;
    let mut found = 0;
    for trial in 0..trials {
        let baseline = record_wandering("b", &service(0.015), 5, 2 * trial, 1.0, 0.03);
        let slower = with(&service(0.015), "svc::g", |f| f.self_ns *= 1.10);
        let current = record_wandering("c", &slower, 5, 2 * trial + 1, 1.0, 0.03);
        let comparison = compare::compare(("b", &baseline), ("c", &current), SETTINGS);
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
        let comparison = compare::compare(("b", &baseline), ("c", &current), SETTINGS);
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
    let comparison = compare::compare(("b", &baseline), ("c", &current), SETTINGS);
    assert!(comparison.failed);
    let own: Vec<&str> = comparison.culprits().map(|r| r.function.as_str()).collect();
    assert!(own.contains(&compare::ALL_FUNCTIONS), "{own:?}");
    assert!(
        comparison
            .rows
            .iter()
            .all(|r| r.verdict != Verdict::Improved),
        "an unchanged function is not called faster: {:?}",
        comparison
            .rows
            .iter()
            .filter(|r| r.verdict == Verdict::Improved)
            .map(|r| (&r.function, r.metric, r.change))
            .collect::<Vec<_>>()
    );
}

#[test]
fn confidence_intervals_cover_the_true_change_as_often_as_they_claim() {
    let mut noise = Noise::new(17);
    let mut tester = RankTester::new();
    let trials = 2_000;
    let mut covered = 0;
    for _ in 0..trials {
        let shift = 0.2 * noise.normal();
        let x = lognormal(&mut noise, 8, 1.0, 0.1);
        let y: Vec<f64> = lognormal(&mut noise, 8, 1.0, 0.1)
            .into_iter()
            .map(|v| v.ln() + shift)
            .collect();
        let x: Vec<f64> = x.into_iter().map(f64::ln).collect();
        let interval = tester.shift(&x, &y, 0.95);
        if interval.lower <= shift && shift <= interval.upper {
            covered += 1;
        }
    }
    let coverage = f64::from(covered) / f64::from(trials);
    assert!(coverage >= 0.94, "95% intervals covered {coverage}");
}

#[test]
fn an_unchanged_record_never_regresses_against_itself() {
    let record = record_on("same", &service(0.02), 5, 3, 1.0);
    let comparison = compare::compare(("a", &record), ("b", &record), SETTINGS);
    assert!(!comparison.failed);
    assert!(
        comparison
            .rows
            .iter()
            .all(|r| r.verdict == Verdict::Unchanged)
    );
}
