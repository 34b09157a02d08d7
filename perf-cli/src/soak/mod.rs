//! `cargo perf soak`: run a program once, for a while, with a load
//! alongside if given, and say whether its heap grows.
//!
//! The program runs with `PERF_DIR` pointing into a hidden staging
//! directory under `runs/` (see [`process`] for how it is started, loaded
//! and stopped). Its run's heap timeline is fitted after the warm-up (see
//! [`fit`]); `soak.json` (`perf-soak/1`) is written beside its `run.json`,
//! and the run directory is moved to `runs/<id>/` whole, `runs/latest`
//! pointing at it. Trouble — the program fails, writes no run, ignores
//! SIGINT and SIGTERM, has no heap timeline, or the load fails — keeps
//! nothing.

#[cfg(test)]
mod evaluation;
pub(crate) mod fit;
#[cfg(unix)]
mod process;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use perf_format::files::{self, Claim, StagedDir};
use perf_format::layout::{self, Layout, run_files};
use perf_format::schema::run::RunData;
use perf_format::schema::soak::{Ending, FloorPoint, Growth, HeapFigures, Soak, Suspect};
use perf_format::table::{Align, Table};
use perf_format::units;

use crate::Error;
use crate::color::{Palette, Tone};
use crate::interrupt::Watch;
use crate::record::{self, Target, seconds, shell_words};

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
    let (program, _) = record::resolve(&options.target, &watch, false)?;
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
    program: &record::Program,
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
    _: &record::Program,
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
    let fitted = fit::fit(&heap.timeline, warmup_ns).map_err(|unfit| {
        too_short(match unfit {
            fit::Unfit::TooFewSamples { samples } => format!(
                "its heap timeline holds {} after the warm-up of {} (it ends at {}), {} are needed: soak longer (--duration) or warm up less (--warmup)",
                units::plural(samples as u64, "sample"),
                seconds(options.warmup),
                seconds(Duration::from_nanos(last)),
                fit::MIN_SAMPLES,
            ),
            fit::Unfit::TooFewFloors { floors } => format!(
                "its heap timeline after the warm-up has samples in {floors} of {} stretches, {} are needed: did the program stall?",
                fit::BLOCKS,
                fit::MIN_FLOORS,
            ),
        })
    })?;
    let slope = fitted.slope;
    let growth = match fit::verdict(&slope, options.threshold) {
        fit::Growth::Stable => Growth::Stable,
        fit::Growth::Growing => Growth::Growing,
    };
    let bound = |b: f64| b.is_finite().then_some(b);
    let mut fit = perf_format::schema::soak::Fit::default();
    fit.samples = fitted.samples;
    fit.blocks = fit::BLOCKS;
    fit.floor = fitted
        .floor
        .iter()
        .map(|&(t, bytes)| FloorPoint::new(t as u64, bytes as u64))
        .collect();
    fit.slope_bytes_per_min = slope.estimate;
    fit.lower_bytes_per_min = bound(slope.lower);
    fit.upper_bytes_per_min = bound(slope.upper);
    fit.confidence = fit::CONFIDENCE;
    let ending = match ended {
        Ended::Exited(_) => Ending::Exited,
        Ended::Stopped(signal) => Ending::Stopped {
            signal: signal.to_owned(),
        },
    };
    let mut soak = Soak::new(run.id.clone(), ending, fit, growth);
    soak.load = options.load.clone();
    soak.duration_ns = options.duration.as_nanos() as u64;
    soak.warmup_ns = warmup_ns;
    soak.threshold_bytes_per_min = options.threshold;
    soak.heap = HeapFigures::new(heap.live_bytes, heap.peak_bytes, heap.peak_at_ns);
    if growth == Growth::Growing {
        soak.suspects = suspects(run);
    }
    Ok(soak)
}

/// The functions whose calls kept the most bytes each, most first: at most
/// [`SUSPECTS`], each keeping more than zero.
fn suspects(run: &RunData) -> Vec<Suspect> {
    let mut kept: Vec<Suspect> = run
        .functions
        .iter()
        .filter_map(|f| {
            let net = f.net_bytes_per_call();
            (net > 0.0).then(|| Suspect::new(f.name.clone(), f.calls, net))
        })
        .collect();
    kept.sort_by(|a, b| {
        b.net_bytes_per_call
            .total_cmp(&a.net_bytes_per_call)
            .then_with(|| a.function.cmp(&b.function))
    });
    kept.truncate(SUSPECTS);
    kept
}

/// A growth per minute, signed: "+1.50 MiB/min", "-512 B/min".
fn per_minute(bytes: f64) -> String {
    let sign = if bytes > 0.0 { "+" } else { "" };
    format!("{sign}{}/min", units::bytes(bytes.round()))
}

/// The soak as a person reads it.
pub(crate) fn render(soaked: &Soaked, palette: Palette) -> String {
    let soak = &soaked.soak;
    let fit = &soak.fit;
    let mut out = String::new();
    let ns = |n: u64| units::duration(n as f64);
    let ended = match &soak.ended {
        Ending::Stopped { signal } => format!("stopped by {signal} at {}", ns(soak.duration_ns)),
        _ => "exited by itself".to_owned(),
    };
    let _ = writeln!(
        out,
        "soak of `{}`: run {}, {ended}{}",
        shell_words(&soak.command),
        soak.run,
        soak.load
            .as_deref()
            .map(|l| format!(", load `{l}`"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "  heap: {} live at the finish, peak {} at {}",
        units::bytes(soak.heap.live_bytes as f64),
        units::bytes(soak.heap.peak_bytes as f64),
        ns(soak.heap.peak_at_ns)
    );
    if let (Some(first), Some(last)) = (fit.floor.first(), fit.floor.last()) {
        let _ = writeln!(
            out,
            "  floor after the warm-up of {}: {} at {} → {} at {} (lowest of each of {} stretches, {})",
            ns(soak.warmup_ns),
            units::bytes(first.live_bytes as f64),
            ns(first.t_ns),
            units::bytes(last.live_bytes as f64),
            ns(last.t_ns),
            units::count(fit.blocks as f64),
            units::plural(fit.samples as u64, "sample")
        );
    }
    let bound = |b: Option<f64>, infinite: &str| b.map_or_else(|| infinite.to_owned(), per_minute);
    let _ = writeln!(
        out,
        "  growth of the floor: {} ({} CI {} to {}, Theil–Sen)",
        per_minute(fit.slope_bytes_per_min),
        units::percent(fit.confidence),
        bound(fit.lower_bytes_per_min, "-∞"),
        bound(fit.upper_bytes_per_min, "+∞"),
    );
    let threshold = match soak.threshold_bytes_per_min {
        0.0 => String::new(),
        t => format!(", threshold {}", per_minute(t)),
    };
    match soak.verdict {
        Growth::Stable => {
            let why = if fit.lower_bytes_per_min.is_none_or(|l| l <= 0.0) {
                "no growth shown"
            } else {
                "growth shown to stay below the threshold"
            };
            let line = format!("stable: {why}{threshold}");
            let _ = writeln!(out, "{}", palette.paint(Some(Tone::Better), &line));
        }
        Growth::Growing => {
            let line = format!(
                "GROWING by {} per minute{threshold}",
                units::bytes(fit.slope_bytes_per_min.round())
            );
            let _ = writeln!(out, "{}", palette.paint(Some(Tone::Worse), &line));
            if soak.suspects.is_empty() {
                let _ = writeln!(
                    out,
                    "  no #[profile] function kept bytes past its calls: what grows is allocated outside them"
                );
            } else {
                let _ = writeln!(
                    out,
                    "  the functions whose calls kept the most bytes (allocated in the call, not freed by its end):"
                );
                let mut table = Table::new()
                    .indent("  ")
                    .column("function", Align::Left)
                    .fitted(50)
                    .column("net bytes/call", Align::Right)
                    .column("calls", Align::Right)
                    .column("net bytes", Align::Right);
                for suspect in &soak.suspects {
                    table.push([
                        suspect.function.clone(),
                        units::bytes(suspect.net_bytes_per_call),
                        units::count(suspect.calls as f64),
                        units::bytes(suspect.net_bytes.round()),
                    ]);
                }
                out.push_str(&table.to_string());
            }
        }
    }
    let _ = writeln!(out, "soak: {}", soaked.path.display());
    out
}
