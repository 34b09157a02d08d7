//! Instrumented workloads shared by the end-to-end tests, the `service`
//! binary and the gate-quality example.
#![warn(missing_docs, unreachable_pub)]

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
