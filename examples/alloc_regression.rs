//! An allocation regression: the same access-log parse written twice, the
//! second copying every field into a `String`, profiled with perf.
//!
//! `log::parse_request` borrows the method and path from the line and
//! allocates nothing; `log::parse_request_owned` splits the line into a
//! `Vec<String>` first — one allocation for the `Vec` and one per field,
//! five per line — and returns the same request. The parsers live in the
//! examples' library (`examples/src/alloc_regression.rs`), where
//! `examples/tests/alloc_regression.rs` pins their allocation counts
//! exactly with `perf_core::measure`, so such a regression fails a test.
//! This example prints allocations per call from `run.json`, and
//! `alloc-flamegraph.svg` shows where the bytes go: all of them under
//! `log::parse_request_owned`.
//!
//! Run: `cargo run --release --example alloc_regression`
//! (`PERF_EXAMPLE_QUICK=1`: a smaller workload, as the tests run it)

use std::process::ExitCode;

use perf_core::{Session, profile};
use perf_examples::alloc_regression::{ParseError, Request, parse_request, parse_request_owned};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

const METHODS: [&str; 4] = ["GET", "GET", "POST", "DELETE"];
const STATUSES: [u16; 5] = [200, 200, 304, 404, 500];

/// Responses by status class (`1xx` to `5xx`) and the bytes they sent: an
/// access-log report that keeps nothing of the lines it reads.
#[derive(Debug, Default, PartialEq, Eq)]
struct Report {
    responses: [u64; 5],
    bytes: u64,
}

impl Report {
    fn add(&mut self, request: Request<'_>) {
        let class = usize::from(request.status / 100).clamp(1, 5) - 1;
        self.responses[class] += 1;
        self.bytes += request.bytes;
    }
}

/// `n` request lines of an access log.
fn access_log(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "{} /api/orders/{} {} {}",
                METHODS[i % METHODS.len()],
                i * 7 % 1000,
                STATUSES[i % STATUSES.len()],
                200 + i * 37 % 5000
            )
        })
        .collect()
}

/// The report from borrowed requests.
#[profile(name = "report::borrowed")]
fn report(lines: &[String]) -> Result<Report, ParseError> {
    let mut report = Report::default();
    for line in lines {
        report.add(parse_request(line)?);
    }
    Ok(report)
}

/// The same report from requests that own their text.
#[profile(name = "report::owned")]
fn report_owned(lines: &[String]) -> Result<Report, ParseError> {
    let mut report = Report::default();
    for line in lines {
        report.add(parse_request_owned(line)?.as_request());
    }
    Ok(report)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("PERF_EXAMPLE_QUICK").is_some();
    let (lines, rounds) = if quick { (2_000, 2) } else { (20_000, 10) };
    let log = access_log(lines);

    let session = Session::start("alloc_regression")?;
    for _ in 0..rounds {
        if report(&log)? != report_owned(&log)? {
            return Err("the two parsers disagree".into());
        }
    }
    let run = session.finish()?;

    println!("{}", run.summary());
    println!(
        "{} log lines, read {rounds} times by each parser (from run.json):",
        perf_core::format::count(lines as f64),
    );
    for name in ["log::parse_request", "log::parse_request_owned"] {
        let Some(f) = run.function(name) else {
            continue;
        };
        let calls = f.calls.max(1) as f64;
        println!(
            "  {name:<26} {:>9} calls  {:>5.2} allocations/call  {:>8}/call  p50 {:>8}",
            perf_core::format::count(f.calls as f64),
            f.total_allocs as f64 / calls,
            perf_core::format::bytes((f.total_alloc_bytes as f64 / calls).round()),
            perf_core::format::duration(f.p50_ns as f64),
        );
    }
    if let (Some(borrowed), Some(owned)) = (
        run.function("log::parse_request"),
        run.function("log::parse_request_owned"),
    ) {
        println!(
            "  the owned parse makes {} more allocations per line and takes {:.1}× the time",
            (owned.total_allocs - borrowed.total_allocs.min(owned.total_allocs))
                / owned.calls.max(1),
            owned.p50_ns as f64 / borrowed.p50_ns.max(1) as f64,
        );
    }
    if !run.data().alloc_tracking {
        println!(
            "  (allocations are only counted with perf_core::PerfAlloc as the global allocator)"
        );
    }
    match &run.files().alloc_flamegraph {
        Some(alloc) => println!(
            "\nbytes by call stack (all under log::parse_request_owned):\n  {}",
            alloc.display()
        ),
        None => println!("\nno alloc-flamegraph.svg: allocations were not tracked"),
    }
    if let Some(flamegraph) = &run.files().flamegraph {
        println!("time by call stack:\n  {}", flamegraph.display());
    }
    println!("open in ui.perfetto.dev: {}", run.files().trace.display());
    Ok(())
}

fn main() -> ExitCode {
    perf_examples::exit_with("alloc_regression", run())
}
