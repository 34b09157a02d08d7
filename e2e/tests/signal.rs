//! `Session::finish_on_signal`: a program stopped by SIGINT or SIGTERM still
//! leaves its whole run, then ends by that signal.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use perf_core::model::RunData;

fn stopped_by(flag: &str, signal: i32, name: &str) {
    let root = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_workload"))
        .arg("until-signal")
        .env("PERF_DIR", root.path())
        .env_remove("CARGO_TARGET_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run workload");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read stdout");
    assert_eq!(line.trim(), "ready");
    // Let the heap's sampler look a few times.
    std::thread::sleep(Duration::from_millis(300));
    let sent = Command::new("kill")
        .args([flag, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(signal),
        "{}: {stderr}",
        out.status
    );

    let runs = root.path().join("runs");
    let id = std::fs::read_to_string(runs.join("latest")).expect("runs/latest");
    let dir = runs.join(id.trim());
    assert!(
        stderr.contains(&format!("perf: {name} received: run {}", id.trim())),
        "{stderr}"
    );
    let run = RunData::load(&dir.join("run.json")).expect("a whole run.json");
    let keep = run
        .function("workload::keep_a_kib")
        .expect("the calls made before the signal");
    assert!(keep.calls > 10, "{keep:?}");
    assert_eq!(keep.net_bytes_per_call(), 1024.0);
    let heap = run.heap.as_ref().expect("heap");
    assert!(heap.timeline.len() >= 4, "{heap:?}");
    assert!(
        heap.live_bytes >= heap.start_live_bytes + keep.calls * 1024,
        "{heap:?}"
    );
    for file in ["flamegraph.svg", "trace.json", "memory.svg"] {
        assert!(dir.join(file).is_file(), "{file}");
    }
}

#[test]
fn sigint_writes_the_run_and_ends_the_program_by_it() {
    stopped_by("-INT", 2, "SIGINT");
}

#[test]
fn sigterm_writes_the_run_and_ends_the_program_by_it() {
    stopped_by("-TERM", 15, "SIGTERM");
}

/// With stderr a broken pipe, the line saying where the run went cannot be
/// written; the signal must still end the program (it once panicked the
/// signal thread, and the program ignored SIGINT and SIGTERM from then on).
#[test]
fn sigterm_ends_the_program_when_stderr_is_a_broken_pipe() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_workload"))
        .arg("until-signal")
        .env("PERF_DIR", root.path())
        .env_remove("CARGO_TARGET_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run workload");
    // Closing the only read end makes every write to its stderr fail (EPIPE).
    drop(child.stderr.take());
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read stdout");
    assert_eq!(line.trim(), "ready");
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    // Not a speed figure: a guard against waiting forever on a program that
    // lost the signal (it ends in milliseconds; the contract says a second).
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running 10 s after SIGTERM: the signal was lost");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status}");
    let runs = root.path().join("runs");
    let id = std::fs::read_to_string(runs.join("latest")).expect("runs/latest");
    RunData::load(&runs.join(id.trim()).join("run.json")).expect("a whole run.json");
}
