//! An instrumented program with one workload per scenario, run by the tests
//! in `e2e/tests/` as `workload <scenario>`; each writes a run under `$PERF_DIR`.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use perf_core::profile;

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

fn main() -> ExitCode {
    let scenario = std::env::args().nth(1).unwrap_or_default();
    #[cfg(unix)]
    if scenario == "until-signal" {
        return until_signal();
    }
    let workload: fn() = match scenario.as_str() {
        "threads" => threads,
        "allocs" => allocs,
        "recursion" => recursion,
        "panic" => panic,
        "async" => async_tasks,
        "off-cpu" => off_cpu,
        "toggle" => toggle,
        "shapes" => shapes,
        "interrupted" => interrupted,
        "empty" => || {},
        _ => {
            eprintln!(
                "usage: workload <threads|allocs|recursion|panic|async|off-cpu|toggle|shapes|interrupted|empty|until-signal>"
            );
            return ExitCode::from(2);
        }
    };
    perf_e2e::run_in_session(&scenario, workload)
}

/// Keeps 1 KiB a call, a call every 10 ms, until SIGINT or SIGTERM, whose
/// handler (`Session::finish_on_signal`) writes the run and ends the process;
/// says `ready` once it has made ten calls.
#[cfg(unix)]
fn until_signal() -> ExitCode {
    let session = perf_core::Session::start("until-signal").and_then(|s| s.finish_on_signal());
    let _session = match session {
        Ok(session) => session,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(3);
        }
    };
    for i in 0u64.. {
        keep_a_kib(i);
        if i == 10 {
            println!("ready");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    unreachable!("the loop ends with the process")
}

/// Keeps 1 KiB.
#[cfg(unix)]
#[profile]
fn keep_a_kib(i: u64) {
    black_box(Box::leak(vec![i as u8; 1024].into_boxed_slice()));
}

#[profile]
fn tick(n: u64) -> u64 {
    black_box(n) + 1
}

/// 8 threads × 100 000 calls; all threads end before the session finishes.
fn threads() {
    let handles: Vec<_> = (0..8)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("worker-{t}"))
                .spawn(|| (0..100_000).fold(0, |acc, i| acc ^ tick(i)))
                .expect("spawn")
        })
        .collect();
    for handle in handles {
        black_box(handle.join().expect("join"));
    }
}

/// Exactly three allocations per call.
#[profile]
fn three_allocs(n: usize) -> usize {
    let a = black_box(Box::new(n));
    let b = black_box(vec![0u8; 16]);
    let c = black_box(String::from("abc"));
    *a + b.len() + c.len()
}

/// One allocation of its own, plus its callee's three.
#[profile]
fn caller_of_allocs(n: usize) -> usize {
    let own = black_box(Vec::<u64>::with_capacity(4));
    three_allocs(n) + own.capacity()
}

fn allocs() {
    for i in 0..1000 {
        black_box(caller_of_allocs(i));
    }
}

#[profile]
fn fib(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    fib(n - 1) + fib(n - 2)
}

fn recursion() {
    black_box(fib(15));
}

#[profile]
fn fails(fail: bool) -> u32 {
    if fail {
        panic!("deliberate panic inside an instrumented function");
    }
    1
}

#[profile]
fn after_panic() -> u32 {
    2
}

fn panic() {
    std::panic::set_hook(Box::new(|_| {}));
    for i in 0..10 {
        let result = std::panic::catch_unwind(|| fails(i % 2 == 0));
        black_box(result.ok());
    }
    black_box(after_panic());
}

#[profile]
async fn handle_request(id: u64) -> (std::thread::ThreadId, std::thread::ThreadId) {
    let first = std::thread::current().id();
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(2)).await;
    black_box(tick(id));
    (first, std::thread::current().id())
}

/// Futures on a multi-threaded runtime; prints how many moved between threads.
fn async_tasks() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .expect("runtime");
    let moved = runtime.block_on(async {
        let tasks: Vec<_> = (0..200).map(|i| tokio::spawn(handle_request(i))).collect();
        let mut moved = 0;
        for task in tasks {
            let (first, last) = task.await.expect("task");
            moved += usize::from(first != last);
        }
        moved
    });
    println!("moved={moved}");
}

#[profile(cpu)]
fn sleeps() {
    std::thread::sleep(Duration::from_millis(30));
}

#[profile(cpu)]
fn spins() {
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(30) {
        black_box(0);
    }
}

/// About 20 µs of work per call; call `stall` also sleeps 4 ms, as a call
/// that lost its timeslice would.
#[profile]
fn steady(stall: bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_micros(20) {
        black_box(0);
    }
    if stall {
        std::thread::sleep(Duration::from_millis(4));
    }
}

/// 1 000 calls of `steady`, one of them interrupted.
fn interrupted() {
    for i in 0..1000 {
        steady(i == 500);
    }
}

fn off_cpu() {
    sleeps();
    spins();
}

fn toggle() {
    for i in 0..100 {
        tick(i);
    }
    perf_core::set_enabled(false);
    for i in 0..1000 {
        tick(i);
    }
    perf_core::set_enabled(true);
    let _block = perf_core::scope!("toggle::block");
    for i in 0..10 {
        tick(i);
    }
}

/// Every shape of function the attribute must accept.
mod shapes {
    use std::fmt::Display;

    use perf_core::profile;

    pub(crate) struct Counter(pub(crate) u64);

    impl Counter {
        #[profile]
        pub(crate) fn add(&mut self, n: u64) -> u64 {
            self.0 += n;
            self.0
        }
    }

    pub(crate) trait Shape {
        fn area(&self) -> f64;
    }

    impl Shape for Counter {
        #[profile(name = "shapes::Counter::area")]
        fn area(&self) -> f64 {
            self.0 as f64
        }
    }

    #[profile]
    pub(crate) fn generic<T: Display>(value: T) -> String {
        value.to_string()
    }

    #[profile]
    pub(crate) fn evens(n: u32) -> impl Iterator<Item = u32> {
        (0..n).filter(|x| x % 2 == 0)
    }

    #[profile]
    pub(crate) fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
        if s.is_empty() {
            return Ok(0);
        }
        let n: u32 = s.parse()?;
        Ok(n * 2)
    }

    /// # Safety
    /// `p` must be valid for reads.
    #[profile]
    pub(crate) unsafe fn read(p: *const u32) -> u32 {
        // SAFETY: the caller guarantees `p` is valid.
        unsafe { *p }
    }

    #[profile]
    pub(crate) async fn fetch(x: &str) -> Result<usize, String> {
        let n: usize = x.parse().map_err(|_| format!("bad {x}"))?;
        Ok(n)
    }
}

fn shapes() {
    use shapes::Shape;
    let mut counter = shapes::Counter(0);
    counter.add(2);
    black_box(counter.area());
    black_box(shapes::generic(5u8));
    black_box(shapes::generic("x"));
    black_box(shapes::evens(10).count());
    black_box(shapes::parse("21").ok());
    black_box(shapes::parse("").ok());
    black_box(shapes::parse("x").ok());
    let value = 7u32;
    // SAFETY: a pointer to a live local.
    black_box(unsafe { shapes::read(&value) });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    black_box(runtime.block_on(shapes::fetch("12")).ok());
    black_box(runtime.block_on(shapes::fetch("no")).ok());
}
