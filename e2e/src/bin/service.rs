//! The order-pricing service as a program: `service [--slow FN] [--alloc FN]
//! [--requests N]` serves the requests inside a perf session (writing a run
//! under `$PERF_DIR`) and prints the summary.

use std::process::ExitCode;

use perf_e2e::service::{self, Knobs};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

fn main() -> ExitCode {
    let knobs = match Knobs::from_args(std::env::args().skip(1)) {
        Ok(knobs) => knobs,
        Err(why) => {
            eprintln!("error: {why}\nusage: service [--slow FN] [--alloc FN] [--requests N]");
            return ExitCode::from(2);
        }
    };
    perf_e2e::run_in_session("service", || {
        std::hint::black_box(service::serve(&knobs));
    })
}
