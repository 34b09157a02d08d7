//! The order-pricing service as a program: `service [--slow FN[:PCT]]
//! [--whole PCT] [--alloc FN] [--requests N]` serves the requests inside a
//! perf session (writing a run under `$PERF_DIR`) and prints the summary.

use std::process::ExitCode;

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

fn main() -> ExitCode {
    perf_e2e::serve(std::env::args().skip(1))
}
