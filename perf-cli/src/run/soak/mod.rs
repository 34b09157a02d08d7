//! `cargo perf soak`: run a program once, for a while, with a load
//! alongside if given, and say whether its heap grows.
//!
//! The program runs with `PERF_DIR` pointing into a hidden staging
//! directory under `runs/` (see [`process`] for how it is started, loaded
//! and stopped). Its run's heap timeline is fitted after the warm-up (see
//! `perf_stats::soak`); `soak.json` (`perf-soak/1`) is written beside its `run.json`,
//! and the run directory is moved to `runs/<id>/` whole, `runs/latest`
//! pointing at it. Trouble — the program fails, writes no run, ignores
//! SIGINT and SIGTERM, has no heap timeline, or the load fails — keeps
//! nothing.

#[cfg(unix)]
mod process;

use std::path::PathBuf;
use std::time::Duration;

use perf_format::files::{self, Claim, StagedDir};
use perf_format::layout::{self, Layout, run_files};
use perf_format::schema::run::RunData;
use perf_format::schema::soak::{Ending, Growth, HeapFigures, Soak};
use perf_format::units;

use perf_stats::soak;

use super::build;
use super::program::{self, Target, seconds};
use super::signals::Watch;
use crate::Error;
use crate::shell::shell_words;

/// The functions a growing verdict names at most.
const SUSPECTS: usize = 5;

/// What to soak, and how.
#[derive(Clone, Debug)]
pub(crate) struct SoakOptions {
    /// The program.
    pub(crate) target: Target,
    /// When it is stopped, from its start.
    pub(crate) duration: Duration,
    /// The start of its run left out of the fit.
    pub(crate) warmup: Duration,
    /// How long it gets after SIGINT, and again after SIGTERM.
    pub(crate) grace: Duration,
    /// A command run by `sh -c` alongside it, once it is ready.
    pub(crate) load: Option<String>,
    /// Growth in bytes per minute below which a heap shown to grow less
    /// is stable.
    pub(crate) threshold: f64,
}

/// A soak written to disk.
#[derive(Clone, Debug)]
pub(crate) struct Soaked {
    /// What it found.
    pub(crate) soak: Soak,
    /// Its `soak.json`, beside the run's `run.json`.
    pub(crate) path: PathBuf,
}

/// Refuses settings that cannot make a soak, before anything is built.
fn check(options: &SoakOptions) -> Result<(), Error> {
    let shown = |d: Duration| humantime::format_duration(d).to_string();
    if options.duration.is_zero() {
        return Err(perf_format::Error::setting(
            "--duration",
            "0s",
            "a soak lasts a while: 60s, 10m",
        )
        .into());
    }
    if options.warmup >= options.duration {
        return Err(perf_format::Error::setting(
            "--warmup",
            shown(options.warmup),
            format!(
                "the warm-up must end before the soak does (--duration {})",
                shown(options.duration)
            ),
        )
        .into());
    }
    let span = Duration::from_nanos(soak::MIN_SPAN_NS);
    if options.duration.saturating_sub(options.warmup) < span {
        return Err(perf_format::Error::setting(
            "--duration",
            shown(options.duration),
            format!(
                "too short: the heap timeline has a point every {} and a soak judges {} of them after the warm-up (--warmup {}), so it lasts {} at least",
                seconds(Duration::from_nanos(soak::SAMPLE_EVERY_NS)),
                soak::MIN_SAMPLES,
                shown(options.warmup),
                shown(options.warmup + span),
            ),
        )
        .into());
    }
    if options.grace.is_zero() {
        return Err(perf_format::Error::setting(
            "--grace",
            "0s",
            "a stopped program needs time to finish its session",
        )
        .into());
    }
    if options.load.as_deref().is_some_and(|l| l.trim().is_empty()) {
        return Err(perf_format::Error::setting("--load", "", "an empty command").into());
    }
    Ok(())
}

/// Builds the program if need be, soaks it, and writes `soak.json` beside
/// its run under `layout`'s runs directory. Progress goes to stderr.
pub(crate) fn soak(layout: &Layout, options: &SoakOptions) -> Result<Soaked, Error> {
    check(options)?;
    let watch = Watch::begin();
    let (program, _) = build::resolve(&options.target, &watch, false)?;
    let shown = shell_words(&program.command_line());
    let runs = layout.runs_dir();
    files::create_dir_all(&runs)?;
    let staging = StagedDir::new_in(&runs)?;
    let say = |line: &str| eprintln!("{line}");
    say(&format!(
        "soaking `{shown}` for {}{}",
        seconds(options.duration),
        options
            .load
            .as_deref()
            .map(|l| format!(" under `{l}`"))
            .unwrap_or_default()
    ));
    let ended = run_program(&watch, &program, &shown, staging.path(), options, &say)?;
    watch.check()?;

    let written = staging.path().join(layout::RUNS);
    let ending = match ended {
        Ended::Exited(after) => (format!("exited after {}", seconds(after)), ""),
        Ended::Stopped(signal) => (
            format!("ended on {signal}"),
            ", and finish it on SIGINT or SIGTERM",
        ),
    };
    let Some(id) = layout::read_latest(&written).ok().flatten() else {
        return Err(Error::SoakNoRun {
            command: shown,
            ended: ending.0,
            finish: ending.1,
        });
    };
    let run_dir = written.join(&id);
    let run = RunData::load(&run_dir.join(run_files::RUN_JSON))?;
    let mut soak = judge(&run, &shown, options, ended)?;
    soak.command = program.command_line();
    files::write_json(&run_dir.join(run_files::SOAK_JSON), &soak)?;

    let Some(claim) = Claim::try_new(&runs, &id)? else {
        return Err(perf_format::Error::invalid(
            runs.join(&id),
            "a run of this id is there already: soak again",
        )
        .into());
    };
    files::rename(&run_dir, claim.path())?;
    let path = claim.path().join(run_files::SOAK_JSON);
    claim.keep();
    layout::set_latest(&runs, &id)?;
    Ok(Soaked { soak, path })
}

/// How the program ended.
#[derive(Clone, Copy, Debug)]
enum Ended {
    /// By itself, after this long.
    Exited(Duration),
    /// On this signal, at the end of the duration.
    Stopped(&'static str),
}

/// Runs the program once under the plan of `options`.
#[cfg(unix)]
fn run_program(
    watch: &Watch,
    program: &program::Program,
    shown: &str,
    perf_dir: &std::path::Path,
    options: &SoakOptions,
    say: &dyn Fn(&str),
) -> Result<Ended, Error> {
    let plan = process::Plan {
        program,
        shown,
        perf_dir,
        load: options.load.as_deref(),
        duration: options.duration,
        grace: options.grace,
        say,
    };
    Ok(match process::run(watch, &plan)? {
        process::Ended::Exited(after) => Ended::Exited(after),
        process::Ended::Stopped(libc::SIGINT) => Ended::Stopped("SIGINT"),
        process::Ended::Stopped(_) => Ended::Stopped("SIGTERM"),
    })
}

/// Where there are no signals to stop a program with, there is no soak.
#[cfg(not(unix))]
fn run_program(
    _: &Watch,
    _: &program::Program,
    _: &str,
    _: &std::path::Path,
    _: &SoakOptions,
    _: &dyn Fn(&str),
) -> Result<Ended, Error> {
    Err(perf_format::Error::setting(
        "cargo perf soak",
        "",
        "it stops the program by SIGINT and SIGTERM, which this system does not have",
    )
    .into())
}

/// The soak of `run`: its heap's floor fitted after the warm-up, the
/// verdict, and, when growing, the functions that kept the most per call.
fn judge(run: &RunData, shown: &str, options: &SoakOptions, ended: Ended) -> Result<Soak, Error> {
    let Some(heap) = &run.heap else {
        return Err(Error::SoakNoHeap {
            run: run.id.clone(),
            command: shown.to_owned(),
        });
    };
    let warmup_ns = options.warmup.as_nanos() as u64;
    let too_short = |problem: String| Error::SoakTooShort {
        run: run.id.clone(),
        command: shown.to_owned(),
        problem,
    };
    let last = heap.timeline.iter().map(|p| p.t_ns).max().unwrap_or(0);
    let fitted = soak::fit(&heap.timeline, warmup_ns).map_err(|unfit| {
        too_short(match unfit {
            soak::Unfit::TooFewSamples { samples } => format!(
                "its heap timeline holds {} after the warm-up of {} (it ends at {}), {} are needed: soak longer (--duration) or warm up less (--warmup)",
                units::plural(samples as u64, "sample"),
                seconds(options.warmup),
                seconds(Duration::from_nanos(last)),
                soak::MIN_SAMPLES,
            ),
            soak::Unfit::TooFewFloors { floors } => format!(
                "its heap timeline after the warm-up has samples in {floors} of {} stretches, {} are needed: did the program stall?",
                soak::BLOCKS,
                soak::MIN_FLOORS,
            ),
        })
    })?;
    let growth = soak::verdict(&fitted.slope, options.threshold);
    let fit = fitted.figures();
    let ending = match ended {
        Ended::Exited(_) => Ending::Exited,
        Ended::Stopped(signal) => Ending::Stopped {
            signal: signal.to_owned(),
        },
    };
    let mut judged = Soak::new(run.id.clone(), ending, fit, growth);
    judged.load = options.load.clone();
    judged.duration_ns = options.duration.as_nanos() as u64;
    judged.warmup_ns = warmup_ns;
    judged.threshold_bytes_per_min = options.threshold;
    judged.heap = HeapFigures::new(heap.live_bytes, heap.peak_bytes, heap.peak_at_ns);
    if growth == Growth::Growing {
        judged.suspects = soak::suspects(&run.functions, SUSPECTS);
    }
    Ok(judged)
}
