//! The live pprof endpoints read by the real `go tool pprof` (features
//! `serve` and `cpu`): a CPU profile of a window of the running program and
//! its allocations by `#[profile]` call path, fetched over HTTP as Go's
//! `net/http/pprof` serves them.
//!
//! Needs `go` on PATH (`.ci/run` installs Debian's `golang-go`); without it
//! the test fails and says so, unless `PERF_SKIP_GO_TESTS=1`.
#![cfg(all(feature = "serve", feature = "cpu", unix))]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use perf_core::{Session, profile};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// `go` on PATH; `None` (the test is skipped) only when `PERF_SKIP_GO_TESTS=1`.
fn go() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("go"))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() && std::env::var_os("PERF_SKIP_GO_TESTS").is_some_and(|v| v == "1") {
        eprintln!("skipped: go is not installed and PERF_SKIP_GO_TESTS=1");
        return None;
    }
    Some(found.expect(
        "the pprof tests need `go` on PATH for `go tool pprof`: install it (Debian: \
         `apt-get install golang-go`; .ci/run does) or set PERF_SKIP_GO_TESTS=1 to skip them",
    ))
}

/// What `go tool pprof -top -symbolize=none ARGS URL` prints, with Go's
/// caches and pprof's fetched profiles under `dir`.
fn pprof_top(go: &Path, dir: &Path, args: &[&str], url: &str) -> String {
    let output = Command::new(go)
        .args(["tool", "pprof", "-top", "-symbolize=none"])
        .args(args)
        .arg(url)
        .env("HOME", dir)
        .env("GOCACHE", dir.join("go-cache"))
        .env("PPROF_TMPDIR", dir.join("pprof"))
        .output()
        .expect("go tool pprof runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "go tool pprof {url}: {}\n{stdout}\n{stderr}",
        output.status
    );
    stdout
}

/// Burns CPU and allocates, in a `#[profile]` function of its own.
#[profile]
fn hot() -> u64 {
    let buffer: Vec<u64> = (0..4096).map(std::hint::black_box).collect();
    buffer
        .iter()
        .fold(1u64, |x, &y| x.wrapping_mul(31).wrapping_add(y))
}

/// Runs only before the window: it must not be in the CPU profile.
#[profile]
fn cold() -> u64 {
    (0..100_000u64).map(std::hint::black_box).sum()
}

#[test]
fn go_tool_pprof_reads_the_live_cpu_and_allocs_profiles() {
    let Some(go) = go() else { return };
    let dir = tempfile::tempdir().unwrap();
    let session = Session::builder("pprof").dir(dir.path()).start().unwrap();
    let live = session.serve("127.0.0.1:0").unwrap();
    for _ in 0..100 {
        std::hint::black_box(cold());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::hint::black_box(hot());
            }
        })
    };
    let base = format!("http://{}", live.addr());
    let cpu = pprof_top(
        &go,
        dir.path(),
        &[],
        &format!("{base}/debug/pprof/profile?seconds=2"),
    );
    stop.store(true, Ordering::Relaxed);
    worker.join().unwrap();
    assert!(cpu.contains("Type: cpu"), "{cpu}");
    assert!(
        cpu.contains("serve_pprof::hot"),
        "the hot function in\n{cpu}"
    );
    assert!(
        !cpu.contains("serve_pprof::cold"),
        "before the window, in\n{cpu}"
    );

    let allocs = pprof_top(
        &go,
        dir.path(),
        &["-sample_index=alloc_space"],
        &format!("{base}/debug/pprof/allocs"),
    );
    assert!(allocs.contains("Type: alloc_space"), "{allocs}");
    let row = allocs
        .lines()
        .find(|line| line.ends_with("serve_pprof::hot"))
        .unwrap_or_else(|| panic!("hot's allocations in\n{allocs}"));
    eprintln!("{row}");
    session.finish().unwrap();
}
