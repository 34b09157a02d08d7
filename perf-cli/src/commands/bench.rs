//! `cargo perf bench`: run `cargo bench` (criterion) and turn the
//! benchmarks it ran into a record.

use std::time::{Duration, SystemTime};

use perf_format::layout::check_name;

use super::{Context, Outcome, import};
use crate::Error;
use crate::cli::BenchArgs;
use crate::run::signals::Watch;
use crate::store::criterion;

/// Runs `cargo bench` with `args` and records what criterion wrote.
pub(super) fn run(context: &Context, args: BenchArgs) -> Result<Outcome, Error> {
    let layout = context.layout()?;
    check_name("record", &args.name)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command_line = vec!["cargo".to_owned(), "bench".to_owned()];
    command_line.extend(args.cargo_args.iter().cloned());
    let shown = command_line.join(" ");
    // File times have coarse resolution on some file systems.
    let started = SystemTime::now() - Duration::from_secs(2);
    // Watched: Ctrl-C stops cargo and the benchmarks it runs, and none of
    // them runs on if `cargo perf` is killed.
    let watch = Watch::begin();
    let mut command = std::process::Command::new(&cargo);
    command.arg("bench").args(&args.cargo_args);
    let status = watch.output(&mut command, Error::spawn(&shown))?.status;
    if !status.success() {
        return Err(Error::Cargo {
            command: shown,
            status,
        });
    }
    let dir = criterion::default_dir(layout.workspace());
    let functions = criterion::import(&dir, "new", Some(started))?;
    import::write(&layout, &args.name, command_line, functions)
}
