//! Instrumented workloads shared by the end-to-end tests, the `service`
//! binary and the gate-quality example.
#![warn(missing_docs, unreachable_pub)]

pub mod known;
pub mod service;

use std::process::ExitCode;

/// Runs `work` inside a perf session called `name` (writing its run under
/// `$PERF_DIR`) and prints the summary; a session that cannot start or
/// finish is reported on stderr with exit status 3.
pub fn run_in_session(name: &str, work: impl FnOnce()) -> ExitCode {
    let run = perf_core::Session::start(name).and_then(|session| {
        work();
        session.finish()
    });
    match run {
        Ok(run) => {
            println!("{}", run.summary());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(3)
        }
    }
}

/// The order-pricing service as a program: reads its knobs from `args`
/// (`--slow FN[:PCT]`, `--whole PCT`, `--alloc FN`, `--requests N`; exit 2
/// on a bad one) and
/// serves the requests in a session called `service`.
pub fn serve(args: impl IntoIterator<Item = String>) -> ExitCode {
    let knobs = match service::Knobs::from_args(args) {
        Ok(knobs) => knobs,
        Err(why) => {
            eprintln!(
                "error: {why}\nusage: service [--slow FN[:PCT]] [--whole PCT] [--alloc FN] [--requests N]"
            );
            return ExitCode::from(2);
        }
    };
    run_in_session("service", || {
        std::hint::black_box(service::serve(&knobs));
    })
}
