//! What a session keeps for threads that have ended: starts a session,
//! spawns many short-lived threads one after another (each makes a few
//! instrumented calls and ends), and reads the process's resident memory
//! from `/proc/self/status` before `finish()`, when the recordings of all
//! those threads are held for the session to read.
//!
//! Run: `cargo run --release -p perf-e2e --example short_threads [-- --threads 40000 --calls 3]`
//!
//! Target: 40 000 short threads stay under 100 MB RSS before `finish()`.
//! Linux only (it reads `/proc`).

use std::process::ExitCode;

#[perf_core::profile]
#[inline(never)]
fn work(x: u64) -> u64 {
    std::hint::black_box(x).wrapping_mul(3)
}

/// A field of `/proc/self/status` such as `VmRSS`, in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let option = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let threads = option("--threads", 40_000);
    let calls = option("--calls", 3);

    let out = match tempfile::tempdir() {
        Ok(out) => out,
        Err(err) => {
            eprintln!("error: a temporary directory: {err}");
            return ExitCode::from(2);
        }
    };
    let session = match perf_core::Session::builder("short_threads")
        .dir(out.path())
        .start()
    {
        Ok(session) => session,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let (Some(start_rss), Some(_)) = (status_kib("VmRSS"), status_kib("VmHWM")) else {
        eprintln!("error: no VmRSS/VmHWM in /proc/self/status (Linux only)");
        return ExitCode::from(2);
    };
    for i in 0..threads {
        let spawned = std::thread::spawn(move || {
            for c in 0..calls {
                work(i + c);
            }
        });
        if spawned.join().is_err() {
            eprintln!("error: thread {i} panicked");
            return ExitCode::from(1);
        }
    }
    let rss = status_kib("VmRSS").unwrap_or(0);
    let hwm = status_kib("VmHWM").unwrap_or(0);
    let grown = rss.saturating_sub(start_rss);
    println!(
        "{threads} threads × {calls} calls: before finish() VmRSS {:.1} MiB, VmHWM {:.1} MiB; \
         {:.1} MiB more than at start, {:.0} bytes per ended thread",
        mib(rss),
        mib(hwm),
        mib(grown),
        grown as f64 * 1024.0 / threads.max(1) as f64,
    );
    match session.finish() {
        Ok(run) => {
            let recorded = run.data().threads.len();
            println!("the run holds {recorded} threads");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}
