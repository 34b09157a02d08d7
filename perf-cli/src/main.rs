//! `cargo perf`: see the `perf_cli` library.

fn main() -> std::process::ExitCode {
    perf_cli::main()
}
