//! `cargo perf soak --example leak`, on a temporary copy of the `leak`
//! example as a project of its own (as `story.rs` copies `checkout`): the
//! cache without eviction is called growing (exit 1) and named, the one
//! with a bound stable (exit 0), each soaked for a few seconds, stopped by
//! SIGINT and finishing its session on it. A test binary of its own, so
//! that no other test loads the machine while the heap is watched.

use std::path::{Path, PathBuf};
use std::process::Output;

use perf_format::schema::soak::{Ending, Growth, Soak};

/// The workspace this test belongs to.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// The target directory of this build, shared so that the copy reuses
/// perf-core built in release.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_cargo-perf"))
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_owned()
}

/// A project holding a copy of the `leak` example, depending on this
/// workspace's perf-core, with the workspace's lock file.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    let perf_core = workspace().join("perf-core");
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"leaky\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nperf-core = {{ path = {:?} }}\n\n[workspace]\n",
            perf_core.display().to_string()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("examples")).unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/lib.rs"), "//! The leaky service.\n").unwrap();
    std::fs::copy(
        workspace().join("examples/leak.rs"),
        root.join("examples/leak.rs"),
    )
    .unwrap();
    std::fs::copy(workspace().join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    dir
}

/// `cargo perf soak` of the example's `mode` for 5 s (1.5 s of warm-up).
fn soak(project: &Path, mode: &str) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cargo-perf"))
        .args(["perf", "soak", "--duration", "5s", "--warmup", "1500ms"])
        .args(["--format", "json", "--example", "leak", "--", mode])
        .current_dir(project)
        .env("CI", "true")
        .env("CARGO_TARGET_DIR", target_dir())
        .env("PERF_DIR", project.join("perf"))
        .env_remove("LEAK_CACHE")
        .output()
        .expect("run cargo-perf")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The soak printed, checked against the `soak.json` beside its run.
fn verdict(project: &Path, output: &Output) -> Soak {
    let soak: Soak = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&output.stdout), text(&output.stderr)));
    let runs = project.join("perf/runs");
    let latest = std::fs::read_to_string(runs.join("latest")).unwrap();
    assert_eq!(latest.trim(), soak.run);
    let written: Soak =
        serde_json::from_slice(&std::fs::read(runs.join(&soak.run).join("soak.json")).unwrap())
            .unwrap();
    assert_eq!(written, soak);
    assert!(runs.join(&soak.run).join("run.json").is_file());
    assert_eq!(
        soak.ended,
        Ending::Stopped {
            signal: "SIGINT".to_owned()
        }
    );
    soak
}

#[test]
fn a_cache_without_eviction_grows_and_one_with_a_bound_does_not() {
    let project = project();
    let growing = soak(project.path(), "growing");
    assert_eq!(
        growing.status.code(),
        Some(1),
        "{}{}",
        text(&growing.stdout),
        text(&growing.stderr)
    );
    let soak_of = verdict(project.path(), &growing);
    assert_eq!(soak_of.verdict, Growth::Growing);
    // 512 bytes 200 times a second is 6 MiB a minute, fewer on a busy machine.
    let mib_per_min = soak_of.fit.slope_bytes_per_min / f64::from(1 << 20);
    assert!((1.0..12.0).contains(&mib_per_min), "{soak_of:?}");
    let remember = soak_of
        .suspects
        .iter()
        .find(|s| s.function == "cache::remember")
        .unwrap_or_else(|| panic!("cache::remember not named: {:?}", soak_of.suspects));
    // Its answer, and its share of the map's growth.
    assert!(
        (512.0..2048.0).contains(&remember.net_bytes_per_call),
        "{remember:?}"
    );

    let bounded = soak(project.path(), "bounded");
    assert_eq!(
        bounded.status.code(),
        Some(0),
        "{}{}",
        text(&bounded.stdout),
        text(&bounded.stderr)
    );
    let soak_of = verdict(project.path(), &bounded);
    assert_eq!(soak_of.verdict, Growth::Stable, "{soak_of:?}");
    assert!(soak_of.suspects.is_empty());
}
