//! A session says what its figures leave out: the clock's step (no
//! duration is finer) and, in its time flamegraph, the wall time no
//! instrumented call covered.
#![cfg(feature = "runtime")]

use std::time::Duration;

use perf_core::{Session, profile};

#[profile]
fn busy() {
    std::thread::sleep(Duration::from_millis(5));
}

#[test]
fn a_session_records_its_clock_step_and_draws_its_uninstrumented_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let session = Session::builder("uninstrumented")
        .dir(dir.path())
        .start()
        .expect("session");
    busy();
    // Time in no instrumented function.
    std::thread::sleep(Duration::from_millis(20));
    let run = session.finish().expect("finish");
    let data = run.data();
    let step = data.env.clock_step_ns.expect("the clock's step");
    assert!(step > 0.0 && step < 1e6, "{step}");
    // The time picture, where the session draws one (feature `svg`).
    if let Some(svg) = run
        .files()
        .flamegraph
        .as_ref()
        .map(|path| std::fs::read_to_string(path).expect("flamegraph.svg"))
    {
        assert!(svg.contains("<title>[uninstrumented] ("), "{svg}");
        assert!(svg.contains("([uninstrumented]: the rest)"), "{svg}");
    }
}
