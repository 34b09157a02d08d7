//! A program built with perf-core's whole-process profilers (features `cpu`
//! and `heap`), driven by `tests/profilers.rs`. Each mode prints what the
//! test checks; output goes under `$PERF_DIR`.
//!
//! ```text
//! profiled credit             CPU-bound instrumented functions: one run
//! profiled stress ROUNDS      sessions sampling threads that allocate hard
//! profiled twice              two sessions one after another, both profiling
//! profiled foreign-pprof      a pprof profiler of the program's own is running
//! profiled foreign-dhat       a dhat profiler of the program's own is running
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use perf_core::{Session, profile};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// Pure CPU work, never inlined away.
#[profile]
#[inline(never)]
fn spin(rounds: u64) -> u64 {
    let mut x = 1u64;
    for i in 0..rounds {
        x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
    }
    x
}

struct Hasher;

impl Hasher {
    /// A method, calling a free function: both must be credited.
    #[profile]
    #[inline(never)]
    fn digest(&self, rounds: u64) -> u64 {
        spin(rounds) ^ spin(rounds / 3)
    }
}

/// Work for about `millis` of CPU time.
#[profile]
fn busy(millis: u64) -> u64 {
    let until = Instant::now() + Duration::from_millis(millis);
    let mut acc = 0;
    while Instant::now() < until {
        acc ^= Hasher.digest(20_000);
    }
    acc
}

/// Allocation churn of several sizes and lifetimes.
#[profile]
fn churn(millis: u64) -> usize {
    let until = Instant::now() + Duration::from_millis(millis);
    let mut kept: Vec<Vec<u8>> = Vec::new();
    let mut total = 0;
    let mut i = 0usize;
    while Instant::now() < until {
        let v = vec![i as u8; 16 + (i % 700)];
        total += v.len();
        if i % 7 == 0 {
            kept.push(v);
        }
        if kept.len() > 256 {
            kept.drain(..128);
        }
        let s: String = format!("{i}-{total}");
        total += black_box(s).len();
        i += 1;
    }
    total
}

/// Exactly three allocations per call, whatever profiler runs.
#[profile]
fn three_allocs(i: usize) -> usize {
    let v = black_box(vec![i; 4]);
    let s = i.to_string();
    let b = Box::new(i);
    v.len() + s.len() + *b
}

fn credit() -> Result<(), perf_core::Error> {
    let session = Session::start("credit")?;
    black_box(busy(600));
    let run = session.finish()?;
    println!("{}", run.dir().display());
    println!("{}", run.summary());
    Ok(())
}

fn stress(rounds: u32) -> Result<(), perf_core::Error> {
    for round in 0..rounds {
        // Every other round also takes a heap profile: dhat's allocator locks.
        let session = Session::builder("stress")
            .cpu_sampling(1000)
            .heap_profile(round % 2 == 1)
            .start()?;
        let threads: Vec<_> = (0..4)
            .map(|t| {
                std::thread::Builder::new()
                    .name(format!("churn-{t}"))
                    .spawn(move || {
                        black_box(busy(20));
                        churn(150)
                    })
                    .expect("spawn")
            })
            .collect();
        let total: usize = threads.into_iter().map(|t| t.join().expect("join")).sum();
        let run = session.finish()?;
        let cpu = run.data().cpu_profile.as_ref().expect("cpu_profile");
        // What the kernel's 250 Hz tick could have delivered for the CPU used.
        let possible = cpu.cpu_time_ns * 250 / 1_000_000_000;
        println!(
            "round {round}: {total} bytes churned, {} samples of {possible} possible",
            cpu.samples
        );
    }
    Ok(())
}

fn twice() -> Result<(), perf_core::Error> {
    for name in ["first", "second"] {
        let session = Session::start(name)?;
        black_box(busy(100));
        black_box(churn(20));
        for i in 0..100 {
            black_box(three_allocs(i));
        }
        let run = session.finish()?;
        println!("{}", run.dir().display());
    }
    Ok(())
}

/// A session started while `profiler`, the program's own, runs is refused;
/// once it is dropped, nothing was left behind and a session starts.
fn refused_while<P>(profiler: P) -> Result<(), perf_core::Error> {
    match Session::start("refused") {
        Ok(_) => panic!("a session started while the program's own profiler ran"),
        Err(e) => println!("refused: {e}"),
    }
    drop(profiler);
    let run = Session::start("after")?.finish()?;
    println!("{}", run.dir().display());
    Ok(())
}

fn main() -> Result<(), perf_core::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("credit") => credit(),
        Some("stress") => stress(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(6)),
        Some("twice") => twice(),
        Some("foreign-pprof") => refused_while(
            pprof::ProfilerGuardBuilder::default()
                .frequency(100)
                .build()
                .expect("the program's own pprof profiler"),
        ),
        Some("foreign-dhat") => refused_while(dhat::Profiler::builder().testing().build()),
        _ => {
            eprintln!("usage: profiled credit|stress [ROUNDS]|twice|foreign-pprof|foreign-dhat");
            std::process::exit(2);
        }
    }
}
