//! Shows that a scrape of `/metrics` pauses no instrumented thread, with
//! figures and no timed assertion:
//! `cargo run --release -p perf-benches --example no_pause [-- SECONDS]`.
//!
//! 16 threads call the same 1,000 `#[profile]` functions, warmed up first so
//! that every node of their call trees exists and their trace logs are full:
//! from then on an owner thread takes no lock to record a call. Then three
//! phases of equal length (`SECONDS`, default 3), the threads calling all
//! along:
//! - **quiet**: nothing else runs;
//! - **scraped**: the main thread GETs `/metrics` back to back, hundreds of
//!   scrapes where Prometheus would make one a second, each copying all 16
//!   trees under their mutexes;
//! - **control**: no scrape, but every 20 ms the main thread holds for 2 ms
//!   a mutex that the threads take once per round of 1,000 calls: the pause
//!   a lock shared with the scraper would cause, to show that the measure
//!   sees one.
//!
//! For each phase and thread it counts calls, the longest gap between two
//! consecutive calls' ends, the gaps over 100 µs and 1 ms, and the thread's
//! voluntary and involuntary context switches (`/proc/thread-self/status`,
//! Linux). A thread that waits — for a lock, a futex, I/O — leaves the CPU
//! voluntarily; one the scheduler preempts (16 busy threads on fewer cores)
//! involuntarily. A scrape that paused the threads would show as the
//! control phase does: voluntary switches and long gaps. No pause is the
//! scraped phase's voluntary switches staying at the quiet phase's (none),
//! its long gaps being preemption as in the quiet phase (involuntary
//! switches), and its calls per second lower only by the CPU the server
//! and scraper take from the threads.
//!
//! At the end, one more scrape must hold each function's exact count.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

#[path = "../benches/benchmarks/thousand.rs"]
#[allow(dead_code)] // `call_all` is the benches'.
mod thousand;

/// Instrumented threads, each calling all the functions.
const THREADS: usize = 16;
/// Rounds of 1,000 calls before the phases: fills each trace log (20,000
/// spans a thread by default), so the owner never makes a chunk again.
const WARM_UP_ROUNDS: u64 = 30;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Phase {
    Quiet,
    Scraped,
    Control,
}

const PHASES: [Phase; 3] = [Phase::Quiet, Phase::Scraped, Phase::Control];

/// What one thread saw in one phase.
#[derive(Default, Clone, Copy)]
struct Seen {
    rounds: u64,
    longest_gap: Duration,
    gaps_over_100us: u64,
    gaps_over_1ms: u64,
    /// Context switches, voluntary and involuntary, and minor page faults;
    /// `None` off Linux.
    switches: Option<(u64, u64, u64)>,
}

/// This thread's voluntary and involuntary context switches and minor page
/// faults so far.
fn switches() -> Option<(u64, u64, u64)> {
    let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // `minflt` is the 10th field, the 8th after the name's `)`.
    let minflt = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(7)?
        .parse()
        .ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .parse()
            .ok()
    };
    Some((
        field("voluntary_ctxt_switches:")?,
        field("nonvoluntary_ctxt_switches:")?,
        minflt,
    ))
}

/// Taken once per round in the control phase; held by the main thread 2 ms
/// in every 20.
static GATE: Mutex<()> = Mutex::new(());

/// Calls the functions round after round while `running`, watching gaps.
fn calling(phase: Phase, running: &AtomicBool) -> Seen {
    let before = switches();
    let mut seen = Seen::default();
    let mut last = Instant::now();
    while running.load(Ordering::Relaxed) {
        if phase == Phase::Control {
            drop(GATE.lock().expect("gate"));
        }
        for f in thousand::functions() {
            black_box(f(black_box(seen.rounds)));
            let now = Instant::now();
            let gap = now - last;
            last = now;
            seen.longest_gap = seen.longest_gap.max(gap);
            seen.gaps_over_100us += u64::from(gap > Duration::from_micros(100));
            seen.gaps_over_1ms += u64::from(gap > Duration::from_millis(1));
        }
        seen.rounds += 1;
    }
    seen.switches = before
        .zip(switches())
        .map(|((v0, i0, f0), (v1, i1, f1))| (v1 - v0, i1 - i0, f1 - f0));
    seen
}

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("SECONDS: a whole number"))
        .unwrap_or(3);
    let length = Duration::from_secs(seconds);
    let out = tempfile::tempdir().expect("tempdir");
    let session = perf_core::Session::builder("no-pause")
        .dir(out.path())
        .start()
        .expect("session");

    let barrier = Arc::new(Barrier::new(THREADS + 1));
    let running = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (barrier, running) = (Arc::clone(&barrier), Arc::clone(&running));
            thread::spawn(move || {
                for round in 0..WARM_UP_ROUNDS {
                    for f in thousand::functions() {
                        black_box(f(round));
                    }
                }
                PHASES.map(|phase| {
                    barrier.wait();
                    let seen = calling(phase, &running);
                    barrier.wait();
                    seen
                })
            })
        })
        .collect();

    let live = session.serve("127.0.0.1:0").expect("serve");
    let addr = live.addr();
    let mut scrapes: Vec<Duration> = Vec::new();
    let mut body_bytes = 0;
    for phase in PHASES {
        running.store(true, Ordering::Relaxed);
        barrier.wait();
        let start = Instant::now();
        while start.elapsed() < length {
            match phase {
                Phase::Quiet => thread::sleep(Duration::from_millis(10)),
                Phase::Scraped => {
                    let t = Instant::now();
                    body_bytes = thousand::get(addr, "/metrics").len();
                    scrapes.push(t.elapsed());
                }
                Phase::Control => {
                    let held = GATE.lock().expect("gate");
                    thread::sleep(Duration::from_millis(2));
                    drop(held);
                    thread::sleep(Duration::from_millis(18));
                }
            }
        }
        running.store(false, Ordering::Relaxed);
        barrier.wait();
    }
    let seen: Vec<[Seen; 3]> = threads
        .into_iter()
        .map(|t| t.join().expect("an instrumented thread panicked"))
        .collect();

    // The counts served are the exact ones.
    let rounds: u64 = seen.iter().flatten().map(|s| s.rounds).sum();
    let each = rounds + WARM_UP_ROUNDS * THREADS as u64;
    let body = thousand::get(addr, "/metrics");
    let exact = body
        .lines()
        .filter(|l| l.starts_with("perf_function_calls_total{") && l.contains("thousand::"))
        .filter(|l| l.rsplit(' ').next() == Some(each.to_string().as_str()))
        .count();
    assert_eq!(exact, thousand::functions().len(), "{each} calls each");

    let total_ms = |d: Duration| d.as_secs_f64() * 1e3;
    scrapes.sort();
    println!(
        "{THREADS} threads x {} functions, {seconds} s a phase; {} scrapes of {body_bytes} bytes in the scraped phase: \
         median {:.2} ms, max {:.2} ms",
        thousand::functions().len(),
        scrapes.len(),
        scrapes.get(scrapes.len() / 2).map_or(0.0, |d| total_ms(*d)),
        scrapes.last().map_or(0.0, |d| total_ms(*d)),
    );
    println!(
        "{:<8} {:>12} {:>14} {:>12} {:>10} {:>15} {:>17} {:>13}",
        "phase",
        "calls/s",
        "longest gap",
        "gaps>100µs",
        "gaps>1ms",
        "voluntary sw.",
        "involuntary sw.",
        "page faults"
    );
    for (i, phase) in PHASES.iter().enumerate() {
        let all: Vec<Seen> = seen.iter().map(|s| s[i]).collect();
        let calls = all.iter().map(|s| s.rounds).sum::<u64>() * thousand::functions().len() as u64;
        let longest = all.iter().map(|s| s.longest_gap).max().unwrap_or_default();
        let switches = all
            .iter()
            .map(|s| s.switches)
            .try_fold((0, 0, 0), |(v, n, f), s| {
                s.map(|(dv, dn, df)| (v + dv, n + dn, f + df))
            });
        let [voluntary, involuntary, faults] = switches.map_or(
            ["n/a".to_owned(), "n/a".to_owned(), "n/a".to_owned()],
            |(v, n, f)| [v.to_string(), n.to_string(), f.to_string()],
        );
        println!(
            "{:<8} {:>12.3e} {:>11.2} ms {:>12} {:>10} {:>15} {:>17} {:>13}",
            format!("{phase:?}").to_lowercase(),
            calls as f64 / length.as_secs_f64(),
            total_ms(longest),
            all.iter().map(|s| s.gaps_over_100us).sum::<u64>(),
            all.iter().map(|s| s.gaps_over_1ms).sum::<u64>(),
            voluntary,
            involuntary,
            faults,
        );
    }
    drop(live);
    drop(session.finish().expect("finish"));
}
