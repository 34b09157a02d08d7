//! The command line of an example: its one argument, and how it exits.

use std::fmt::Display;
use std::process::ExitCode;

/// The exit of an example's `main`: success, or `NAME: error` on stderr and
/// exit status 1.
///
/// ```no_run
/// # fn run() -> Result<(), perf_core::Error> { Ok(()) }
/// fn main() -> std::process::ExitCode {
///     perf_examples::exit_with("quickstart", run())
/// }
/// ```
pub fn exit_with(name: &str, result: Result<(), impl Display>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{name}: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The `N` of `--requests N` on the command line, or `default` without it;
/// any other argument is an error.
pub fn requests_arg(default: u64) -> Result<u64, String> {
    let mut args = std::env::args().skip(1);
    let mut requests = default;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--requests" => {
                let value = args.next().ok_or("--requests needs a number")?;
                requests = value
                    .parse()
                    .map_err(|_| format!("--requests: not a number: {value:?}"))?;
            }
            other => return Err(format!("unknown argument {other:?} (try --requests N)")),
        }
    }
    Ok(requests)
}
