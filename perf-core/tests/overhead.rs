//! perf's own cost, owned up to: a session measures what recording a call
//! costs on this machine, `run.json` keeps it, and the summary marks the
//! functions whose self time is mostly that cost — an empty function, and
//! (optimised) a caller whose self time is mostly its callees' recording —
//! but not a function that does real work.
#![cfg(feature = "enabled")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use perf_core::{Run, Session, profile};

#[profile(name = "overhead::tiny")]
fn tiny() {}

#[profile(name = "overhead::caller")]
fn caller() {
    for _ in 0..10_000 {
        tiny();
    }
}

#[profile(name = "overhead::busy")]
fn busy() {
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(5) {
        black_box(0);
    }
}

/// A session of ten rounds of `caller` and `busy`, in a directory of its own.
fn workload() -> (tempfile::TempDir, Run) {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::builder("overhead")
        .dir(dir.path())
        .start()
        .unwrap();
    for _ in 0..10 {
        caller();
        busy();
    }
    (dir, session.finish().unwrap())
}

#[test]
fn the_summary_marks_the_functions_whose_time_is_mostly_perfs_own() {
    let (_dir, run) = workload();
    let overhead = run
        .data()
        .overhead
        .expect("measured as the session started");
    assert!(
        overhead.call_ns > 0.0
            && overhead.inside_ns > 0.0
            && overhead.inside_ns <= overhead.call_ns,
        "{overhead:?}"
    );
    // The calibration's own calls are not the run's.
    assert!(run.function("perf::calibration").is_none());
    let shares = run.data().own_cost_shares();
    assert!(shares["overhead::tiny"] >= 0.5, "{shares:?}");
    // Its own work is a loop, far slower unoptimised (0.2–0.45 in a debug
    // build here, 0.6 optimised): a share of it all the same.
    assert!(shares["overhead::caller"] >= 0.1, "{shares:?}");
    assert!(shares["overhead::busy"] < 0.01, "{shares:?}");

    let summary = run.summary().to_string();
    let line = |name: &str| {
        summary
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name}: {summary}"))
            .to_owned()
    };
    assert!(
        line("overhead::tiny").contains("overhead::tiny †"),
        "{summary}"
    );
    assert_eq!(
        line("overhead::caller").contains("overhead::caller †"),
        shares["overhead::caller"] >= 0.5,
        "{summary}"
    );
    assert!(!line("overhead::busy").contains('†'), "{summary}");
    assert!(
        summary.contains(
            "† half or more of this self time is perf's own cost (its own calls' recording and its callees'): recording a call costs"
        ),
        "{summary}"
    );
    // run.json keeps it.
    let written = std::fs::read_to_string(run.files().dir.join("run.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert!(
        json["overhead"]["call_ns"].as_f64().unwrap() > 0.0,
        "{written}"
    );
}

#[test]
#[ignore = "prints the summary, for a person to read"]
fn print_summary() {
    let (_dir, run) = workload();
    println!(
        "{:?} {:?}\n{}",
        run.data().overhead,
        run.data().env.clock_step_ns,
        run.summary()
    );
}
