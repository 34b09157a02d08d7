//! A recursion thousands of calls deep through a `#[profile]` function:
//! what depth costs the runtime.
//!
//! - `deep DEPTH` recurses DEPTH calls deep in a session called `deep`
//!   (writing its run under `$PERF_DIR`) and prints how long `finish()`
//!   took and the process's peak resident memory before and after it.
//! - `deep frames` prints the stack bytes one level of recursion takes,
//!   plain and through `#[profile]`.
//!
//! `cargo run --release -p perf-e2e --bin deep -- 20000`

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use perf_core::profile;

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// Recurses `depth` calls deep; not a tail call, so every level keeps its frame.
#[profile]
fn descend(depth: u32) -> u64 {
    if depth == 0 {
        return black_box(0);
    }
    black_box(descend(depth - 1)) + 1
}

/// The bytes of stack between this level and the one `depth` levels down,
/// `top` being the address of the first level's local (0 on the first call).
#[inline(never)]
fn plain_level(depth: u32, top: usize) -> usize {
    let here = 0u8;
    let addr = black_box(&here) as *const u8 as usize;
    let top = if top == 0 { addr } else { top };
    if depth == 0 {
        return top - addr;
    }
    black_box(plain_level(depth - 1, top))
}

/// [`plain_level`] through `#[profile]`.
#[profile]
#[inline(never)]
fn profiled_level(depth: u32, top: usize) -> usize {
    let here = 0u8;
    let addr = black_box(&here) as *const u8 as usize;
    let top = if top == 0 { addr } else { top };
    if depth == 0 {
        return top - addr;
    }
    black_box(profiled_level(depth - 1, top))
}

/// Runs `work` on a thread with a stack of `bytes`.
fn on_big_stack<T: Send + 'static>(bytes: usize, work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name("deep".to_owned())
        .stack_size(bytes)
        .spawn(work)
        .expect("spawn a thread")
        .join()
        .expect("the deep thread")
}

/// The process's peak resident memory in KiB (`VmHWM`), where Linux says.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "unknown".to_owned(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}

fn frames() -> ExitCode {
    const LEVELS: u32 = 10_000;
    let per_level = |bytes: usize| bytes as f64 / f64::from(LEVELS);
    let plain = on_big_stack(256 << 20, || plain_level(LEVELS, 0));
    let off = on_big_stack(256 << 20, || profiled_level(LEVELS, 0));
    let on = perf_core::Session::start("deep-frames").map(|session| {
        let bytes = on_big_stack(256 << 20, || profiled_level(LEVELS, 0));
        (bytes, session.finish())
    });
    println!("stack bytes per level: plain {}", per_level(plain));
    println!("#[profile], recording off: {}", per_level(off));
    match on {
        Ok((bytes, Ok(_))) => println!("#[profile], recording on: {}", per_level(bytes)),
        Ok((_, Err(err))) | Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(3);
        }
    }
    ExitCode::SUCCESS
}

fn deep(depth: u32) -> ExitCode {
    let session = match perf_core::Session::start("deep") {
        Ok(session) => session,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(3);
        }
    };
    let stack = 8 << 20 | (depth as usize) << 10;
    black_box(on_big_stack(stack, move || descend(depth)));
    let before = peak_rss_kib();
    let started = Instant::now();
    let run = session.finish();
    let elapsed = started.elapsed();
    match run {
        Ok(run) => {
            println!(
                "depth {depth}: finish() {:.3} s, peak RSS {} before it, {} after; {} call-tree nodes",
                elapsed.as_secs_f64(),
                mib(before),
                mib(peak_rss_kib()),
                run.data().call_tree.len(),
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(3)
        }
    }
}

fn main() -> ExitCode {
    let arg = std::env::args().nth(1).unwrap_or_default();
    match arg.as_str() {
        "frames" => frames(),
        depth => match depth.parse() {
            Ok(depth) => deep(depth),
            Err(_) => {
                eprintln!("usage: deep DEPTH | deep frames");
                ExitCode::from(2)
            }
        },
    }
}
