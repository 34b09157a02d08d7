//! A forked child never waits on a lock that a thread of its parent held at
//! the fork: with `PerfAlloc`, a running session and two threads allocating
//! in `#[profile]` functions (and starting threads), every child that
//! allocates and calls instrumented functions after `fork()` ends (issue 27).
//!
//! `PERF_FORKS=N` changes the number of forks (500 by default, which hung 9 children before the fix).
#![cfg(all(feature = "runtime", unix))]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use perf_core::{Session, profile};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// A child that has not ended by then is hung.
const PATIENCE: Duration = Duration::from_secs(2);
/// Threads that have allocated and wait.
const IDLE: usize = 256;

/// Allocates and frees a block larger than a thread's headroom: with the
/// live heap at its peak, each allocation reads the registry for a new
/// peak, under its lock.
#[profile]
fn churn(round: usize) -> usize {
    black_box(Vec::<u8>::with_capacity(32 * 1024 + round % 64)).capacity()
}

/// A thread of its own, whose start and end take a slot in the registry.
#[profile]
fn short_thread(round: usize) -> usize {
    std::thread::spawn(move || black_box(vec![0u8; 64 + round % 4096]).len())
        .join()
        .unwrap_or(0)
}

/// What a child does between `fork()` and `_exit`: allocates (past the
/// peak, so it reads the registry) and makes a new call-tree node. It
/// starts no thread: std's own locks (a thread's stack-overflow guard) are
/// not fork-safe.
#[profile]
fn in_child() -> usize {
    let big = black_box(vec![2u8; 1 << 20]);
    let s = black_box(String::from("forked"));
    big.len() + s.len() + churn(1)
}

#[test]
fn a_child_forked_under_load_never_hangs() {
    let forks: usize = std::env::var("PERF_FORKS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let session = Session::builder("fork")
        .dir(dir.path())
        .start()
        .expect("a session");
    let stop = Arc::new(AtomicBool::new(false));
    // Registered threads that wait: each look for a new peak reads them
    // all, so the registry's lock is held longer.
    let idle = Arc::new(std::sync::Barrier::new(IDLE + 1));
    let idlers: Vec<_> = (0..IDLE)
        .map(|_| {
            let idle = Arc::clone(&idle);
            std::thread::spawn(move || {
                black_box(Box::new(0u64));
                idle.wait();
            })
        })
        .collect();
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut round = w;
                while !stop.load(Ordering::Relaxed) {
                    black_box(churn(round));
                    if round % 16 == 0 {
                        black_box(short_thread(round));
                    }
                    round += 1;
                }
            })
        })
        .collect();
    black_box(churn(0));

    let started = Instant::now();
    let mut hung = 0;
    for _ in 0..forks {
        // SAFETY: the child only allocates, spawns and joins a thread and
        // calls `_exit`, which is what this test is about; it never returns
        // into the harness.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
        if pid == 0 {
            let code = i32::from(black_box(in_child()) == 0);
            // SAFETY: ends the child without running the parent's exit hooks.
            unsafe { libc::_exit(code) };
        }
        if !ended(pid) {
            hung += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    idle.wait();
    for thread in workers.into_iter().chain(idlers) {
        thread.join().expect("a thread of the test");
    }
    session.finish().expect("the session's run");
    eprintln!(
        "{hung} of {forks} children hung ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(hung, 0, "{hung} of {forks} forked children hung");
}

/// Waits for `pid` to end, up to [`PATIENCE`]; kills it past that.
/// Whether it ended by itself, with exit status 0.
fn ended(pid: libc::pid_t) -> bool {
    let deadline = Instant::now() + PATIENCE;
    let mut status = 0;
    loop {
        // SAFETY: `pid` is a child of this process; `status` is a valid out-pointer.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            return libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
        }
        if Instant::now() >= deadline {
            // SAFETY: `pid` is a child of this process not yet waited for.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return false;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}
