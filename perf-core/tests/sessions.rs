//! Sessions in one process: one at a time, each seeing only its own calls.
#![cfg(feature = "runtime")]

use perf_core::{Error, Session, profile};

#[profile]
fn work(n: u64) -> u64 {
    std::hint::black_box(n * 2)
}

fn calls(run: &perf_core::model::RunData) -> u64 {
    run.function("sessions::work").map_or(0, |f| f.calls)
}

// One test: sessions are process-wide, and tests in one binary share the process.
#[test]
fn sessions_run_one_at_a_time_and_each_sees_only_its_own_calls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = |name: &str| Session::builder(name).dir(dir.path()).start();

    for i in 0..3 {
        work(i); // before any session: not recorded anywhere
    }
    let first = start("first").expect("first session");
    match start("second") {
        Err(err @ Error::SessionActive { .. }) => {
            let message = err.to_string();
            assert!(
                message.contains("\"first\"") && message.contains("\"second\""),
                "{message}"
            );
        }
        other => panic!("expected SessionActive, got {other:?}"),
    }
    for i in 0..10 {
        work(i);
    }
    // A thread still running when the session ends: only what it finished counts.
    let run1 = first.finish().expect("finish first");
    assert_eq!(calls(run1.data()), 10);
    // The run says how it was built, so that records of other builds are told apart.
    let env = &run1.data().env;
    assert_eq!(env.debug_build, cfg!(debug_assertions));
    assert_eq!(
        env.build_profile.as_deref(),
        Some(if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        })
    );
    assert!(
        env.rustc
            .as_deref()
            .is_some_and(|v| v.starts_with("rustc ")),
        "{env:?}"
    );
    assert!(
        env.perf_features
            .as_ref()
            .is_some_and(|f| f.iter().any(|f| f == "enabled")),
        "{env:?}"
    );

    for i in 0..7 {
        work(i); // between sessions
    }
    let second = start("second").expect("second session");
    for i in 0..5 {
        work(i);
    }
    drop(second); // an unfinished session is finished by Drop
    let latest = std::fs::read_to_string(dir.path().join("runs/latest")).expect("latest");
    let run2 = perf_core::model::RunData::load(
        &dir.path().join("runs").join(latest.trim()).join("run.json"),
    )
    .expect("second run.json");
    assert_eq!(run2.name, "second");
    assert_eq!(calls(&run2), 5);

    // Same name in the same second: a second directory, not an overwrite.
    let a = start("same").expect("start").finish().expect("finish");
    let b = start("same").expect("start").finish().expect("finish");
    assert_ne!(a.dir(), b.dir());
    assert!(a.files().run_json.exists() && b.files().run_json.exists());

    assert!(matches!(start(""), Err(Error::SessionName { .. })));
}
