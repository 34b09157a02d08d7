//! The whole-process profilers (perf-core features `cpu`, `heap` and
//! `criterion`) in real programs. `profiled` and `criterion_profiled` are
//! built here by a cargo run of their own with `--features profilers`, so
//! the workspace's other tests run without sampling or heap profiling.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use perf_core::model::RunData;

/// `target/profiling/`, with both programs built into it.
fn programs() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--profile",
                "profiling",
                "-p",
                "perf-e2e",
                "--bins",
            ])
            .args(["--features", "profilers"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building the profiled programs failed");
        // This test runs from target/<profile>/deps/; the programs are in target/profiling/.
        let workload = Path::new(env!("CARGO_BIN_EXE_workload"));
        workload
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .join("profiling")
    })
}

/// Runs `program args` with `PERF_DIR=out`, failing the test if it has not
/// finished after `limit` (a deadlock).
fn run(program: &str, args: &[&str], env: &[(&str, &Path)], limit: Duration) -> Output {
    let mut command = Command::new(programs().join(program));
    command
        .args(args)
        .env_remove("CARGO_TARGET_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start program");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{program} {args:?} did not finish in {limit:?}: deadlocked?");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn profiled(args: &[&str], perf_dir: &Path) -> Vec<PathBuf> {
    let out = run(
        "profiled",
        args,
        &[("PERF_DIR", perf_dir)],
        Duration::from_secs(120),
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('/'))
        .map(PathBuf::from)
        .collect()
}

/// The strings of a pprof `Profile` message (field 6, `string_table`),
/// walking the protobuf wire format: enough to know the file is a
/// well-formed profile and what it names.
fn pprof_strings(bytes: &[u8]) -> Vec<String> {
    fn varint(bytes: &[u8], at: &mut usize) -> u64 {
        let mut value = 0;
        for shift in (0..64).step_by(7) {
            let byte = bytes[*at];
            *at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
        }
        value
    }
    let mut strings = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let key = varint(bytes, &mut at);
        match key & 7 {
            0 => {
                varint(bytes, &mut at);
            }
            1 => at += 8,
            2 => {
                let len = varint(bytes, &mut at) as usize;
                if key >> 3 == 6 {
                    strings.push(String::from_utf8(bytes[at..at + len].to_vec()).expect("utf-8"));
                }
                at += len;
            }
            5 => at += 4,
            wire => panic!("not a protobuf message: wire type {wire} at byte {at}"),
        }
    }
    assert_eq!(at, bytes.len(), "profile.pb ends inside a field");
    strings
}

#[test]
fn cpu_samples_make_a_flamegraph_a_pprof_profile_and_a_share_per_function() {
    let out = tempfile::tempdir().unwrap();
    let dirs = profiled(&["credit"], out.path());
    let dir = &dirs[0];
    let run = RunData::load(&dir.join("run.json")).unwrap();
    let cpu = run.cpu_profile.as_ref().expect("cpu_profile in run.json");
    assert_eq!(cpu.frequency_hz, 250);
    // About 600 ms of CPU at 250 Hz; a loaded machine gives fewer.
    assert!(cpu.samples >= 20, "{} samples", cpu.samples);

    let samples = |name: &str| {
        run.function(name)
            .and_then(|f| f.cpu_samples.clone())
            .unwrap_or_else(|| panic!("{name} has no cpu_samples"))
    };
    let (spin, digest, busy) = (
        samples("profiled::spin"),
        samples("profiled::digest"),
        samples("profiled::busy"),
    );
    let folded = std::fs::read_to_string(dir.join("cpu.folded")).unwrap();
    // Nearly all the CPU is in spin, inside digest, inside busy.
    assert!(spin.share > 0.6, "spin's share {}:\n{folded}", spin.share);
    assert!(spin.self_ > 0 && spin.self_ <= spin.total);
    assert!(digest.total >= spin.total && busy.total >= digest.total);
    assert!(busy.total <= cpu.samples);

    let svg = std::fs::read_to_string(dir.join("cpu-flamegraph.svg")).unwrap();
    assert!(svg.contains("CPU samples by stack") && svg.contains("profiled::spin"));
    let mut total = 0;
    for line in folded.lines() {
        let (stack, count) = line.rsplit_once(' ').expect("stack count");
        total += count.parse::<u64>().expect("count");
        assert!(!stack.contains("perf_signal_handler"), "{stack}");
    }
    assert_eq!(total, cpu.samples);
    let strings = pprof_strings(&std::fs::read(dir.join("profile.pb")).unwrap());
    for expected in ["samples", "count", "cpu", "nanoseconds"] {
        assert!(strings.iter().any(|s| s == expected), "{expected}");
    }
    assert!(strings.iter().any(|s| s.contains("profiled::spin")));
}

#[test]
fn sampling_survives_threads_that_allocate_hard_session_after_session() {
    let out = tempfile::tempdir().unwrap();
    let output = run(
        "profiled",
        &["stress", "12"],
        &[("PERF_DIR", out.path())],
        Duration::from_secs(180),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rounds: Vec<&str> = stdout.lines().filter(|l| l.starts_with("round")).collect();
    assert_eq!(rounds.len(), 12, "{stdout}");
    assert!(
        rounds.iter().all(|r| !r.ends_with(" 0 samples")),
        "{stdout}"
    );
}

#[test]
fn heap_profiles_sessions_one_after_another_with_exact_allocation_counts() {
    let out = tempfile::tempdir().unwrap();
    let dirs = profiled(&["twice"], out.path());
    assert_eq!(dirs.len(), 2);
    for dir in &dirs {
        let run = RunData::load(&dir.join("run.json")).unwrap();
        // dhat's own allocations (its backtraces) are not counted.
        let exact = run.function("profiled::three_allocs").unwrap();
        assert_eq!(
            (exact.calls, exact.self_allocs),
            (100, 300),
            "{}",
            dir.display()
        );
        let heap: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("dhat-heap.json")).unwrap())
                .unwrap();
        assert_eq!(heap["mode"], "rust-heap");
        assert!(heap["dhatFileVersion"].is_number());
        assert!(!heap["pps"].as_array().unwrap().is_empty());
        let frames = heap["ftbl"].to_string();
        assert!(
            frames.contains("churn (src/bin/profiled.rs:"),
            "no churn in dhat's frames"
        );
    }
}

#[test]
fn a_profiler_the_program_runs_itself_is_a_clear_error_not_a_panic() {
    for (mode, message) in [
        (
            "foreign-pprof",
            "refused: CPU sampling (perf-core feature `cpu`) failed: a pprof profiler is already running",
        ),
        (
            "foreign-dhat",
            "refused: heap profiling (perf-core feature `heap`) cannot start: another dhat profiler is running",
        ),
    ] {
        let out = tempfile::tempdir().unwrap();
        let output = run(
            "profiled",
            &[mode],
            &[("PERF_DIR", out.path())],
            Duration::from_secs(60),
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(message), "{mode}: {stdout}");
        assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
        // The refused session left nothing behind; the next one ran.
        let runs: Vec<_> = std::fs::read_dir(out.path().join("runs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != "latest")
            .collect();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert!(runs[0].ends_with("-after"), "{runs:?}");
    }
}

#[test]
fn criterion_benchmarks_get_a_cpu_flamegraph_each_under_profile_time() {
    let home = tempfile::tempdir().unwrap();
    run(
        "criterion_profiled",
        &["--bench", "--profile-time", "1"],
        &[("CRITERION_HOME", home.path())],
        Duration::from_secs(120),
    );
    for (bench, frame) in [("checksum_64KiB", "checksum"), ("sort_4096", "sort")] {
        let dir = home.path().join(bench).join("profile");
        let svg = std::fs::read_to_string(dir.join("cpu-flamegraph.svg"))
            .unwrap_or_else(|e| panic!("{bench}: {e}"));
        assert!(svg.contains("CPU samples by stack"), "{bench}");
        assert!(svg.contains(frame), "{bench}: no {frame} frame");
        assert!(dir.join("profile.pb").is_file() && dir.join("cpu.folded").is_file());
    }
}
