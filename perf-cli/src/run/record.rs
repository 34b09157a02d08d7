//! `cargo perf record`: run an instrumented program several times, each run
//! writing its own `run.json`, and merge the runs into one record.
//!
//! The record is assembled in a hidden staging directory under `records/`
//! and renamed into place only when every run succeeded, so a failed or
//! interrupted record leaves nothing behind (a killed one leaves staging
//! that the next command sweeps); then `records/latest` is replaced. Each
//! run's directory is kept, but only the last run keeps its `trace.json`:
//! a timeline of one run is what a person opens, and twenty of a busy
//! program's would take gigabytes.

use std::time::SystemTime;

use perf_format::files::{self};
use perf_format::layout::{self, Layout};
use perf_format::units;

use super::build::resolve;
use super::program::{Target, check_runs, seconds};
use super::progress::Progress;
use super::runner::{Recorded, Runner};
use super::signals::Watch;
use super::valgrind;
use crate::Error;

/// What to record and how often.
#[derive(Clone, Debug)]
pub struct RecordOptions {
    /// Measured runs (at least one).
    pub runs: usize,
    /// Runs before them whose results are thrown away.
    pub warmup: usize,
    /// The record's name; by default the program's.
    pub name: Option<String>,
    /// The program.
    pub target: Target,
    /// No progress on stderr.
    pub quiet: bool,
    /// Count instructions under callgrind: an example or binary is built
    /// with `--cfg perf_instructions`, each run goes through Valgrind, each
    /// call-tree node and function of its `run.json` gets its instructions
    /// and estimated cycles, and the record is an instruction record.
    pub instructions: bool,
}

/// Runs the program `options.warmup + options.runs` times and writes the
/// record under `layout`'s records directory.
pub fn record(layout: &Layout, options: &RecordOptions) -> Result<Recorded, Error> {
    check_runs(options.runs)?;
    if let Some(name) = &options.name {
        layout::check_name("record", name)?;
    }
    let valgrind = match options.instructions {
        true => Some(valgrind::find(std::env::var_os("PATH").as_ref())?),
        false => None,
    };
    let watch = Watch::begin();
    let (program, default_name) = resolve(&options.target, &watch, options.instructions)?;
    let records = layout.records_dir();
    files::create_dir_all(&records)?;
    let mut runner = Runner::new(&watch, program, &records)?;
    runner.valgrind = valgrind;
    let progress = Progress::new(
        options.warmup + options.runs,
        &format!("recording `{}`", runner.shown()),
        options.quiet,
    );

    for i in 1..=options.warmup {
        let what = format!("warm-up {i} of {}", options.warmup);
        progress.start(what.clone());
        let elapsed = runner.warm_up(&what)?;
        progress.done(&format!("warm-up {i}: {}", seconds(elapsed)));
    }
    for i in 1..=options.runs {
        let what = format!("run {i} of {}", options.runs);
        progress.start(what.clone());
        let (elapsed, run) = runner.run(i, &what)?;
        progress.done(&format!(
            "{what}: {} wall, {}",
            seconds(elapsed),
            units::plural(run.data.functions.len() as u64, "function")
        ));
    }
    drop(progress);

    watch.check()?;
    let name = options.name.clone().unwrap_or(default_name);
    let recorded = runner.finish(&name, SystemTime::now())?;
    layout::set_latest(&records, &recorded.record.id)?;
    Ok(recorded)
}
