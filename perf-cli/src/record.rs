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

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use perf_format::files::{self, Claim, StagedDir};
use perf_format::layout::{self, Layout, RECORD_JSON, run_files};
use perf_format::schema::record::{Record, Source};
use perf_format::schema::run::RunData;

use crate::Error;
use crate::interrupt::Watch;
use crate::merge::{self, RecordMeta};

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
}

/// The program to run.
#[derive(Clone, Debug)]
pub enum Target {
    /// A command line, run as given.
    Command(Vec<String>),
    /// An example or binary of the workspace, built with `cargo build
    /// --release` once and then run directly.
    Cargo {
        /// `--example` or `--bin`.
        kind: CargoTarget,
        /// Its name.
        name: String,
        /// The package, when the name alone is ambiguous.
        package: Option<String>,
        /// Arguments for the program.
        args: Vec<String>,
    },
}

/// The kinds of cargo target `record` can build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CargoTarget {
    /// `--example NAME`.
    Example,
    /// `--bin NAME`.
    Bin,
}

/// A record written to disk.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// What it holds.
    pub record: Record,
    /// Its `record.json`.
    pub path: PathBuf,
}

/// Runs the program `options.warmup + options.runs` times and writes the
/// record under `layout`'s records directory.
pub fn record(layout: &Layout, options: &RecordOptions) -> Result<Recorded, Error> {
    if options.runs == 0 {
        return Err(perf_format::Error::setting("--runs", "0", "record at least one run").into());
    }
    if let Some(name) = &options.name {
        layout::check_name("record", name)?;
    }
    let watch = Watch::begin();
    let (program, args, default_name) = resolve(&options.target, &watch)?;
    let command_line: Vec<String> = std::iter::once(program.display().to_string())
        .chain(args.iter().cloned())
        .collect();
    let shown = shell_words(&command_line);

    let records = layout.records_dir();
    files::create_dir_all(&records)?;
    let staging = StagedDir::new_in(&records)?;
    let progress = Progress::new(options.warmup + options.runs, &shown, options.quiet);

    if options.warmup > 0 {
        let scratch = tempfile::Builder::new()
            .prefix("warmup-")
            .tempdir_in(staging.path())
            .map_err(|e| perf_format::Error::write(staging.path(), e))?;
        for i in 1..=options.warmup {
            progress.start(format!("warm-up {i} of {}", options.warmup));
            let elapsed = run_once(&watch, &program, &args, scratch.path(), &shown, || {
                format!("warm-up {i} of {}", options.warmup)
            })?;
            progress.done(&format!("warm-up {i}: {}", seconds(elapsed)));
        }
    }

    let mut runs: Vec<merge::Run> = Vec::with_capacity(options.runs);
    let runs_dir = staging.path().join(layout::RUNS);
    let mut earlier_trace: Option<PathBuf> = None;
    for i in 1..=options.runs {
        let what = || format!("run {i} of {}", options.runs);
        progress.start(what());
        let before = layout::read_latest(&runs_dir).ok().flatten();
        let elapsed = run_once(&watch, &program, &args, staging.path(), &shown, what)?;
        let after = layout::read_latest(&runs_dir).ok().flatten();
        let id = match after {
            Some(id) if Some(&id) != before.as_ref() => id,
            _ => {
                return Err(Error::NoRun {
                    run: i,
                    command: shown,
                    dir: staging.path().to_owned(),
                });
            }
        };
        let run_json = runs_dir.join(&id).join(run_files::RUN_JSON);
        let data = RunData::load(&run_json)?;
        let run = merge::Run::with_cpu_beside(data, &run_json)?;
        if let Some(trace) = earlier_trace.replace(run_json.with_file_name(run_files::TRACE)) {
            std::fs::remove_file(&trace)
                .or_else(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => Ok(()),
                    _ => Err(e),
                })
                .map_err(|e| perf_format::Error::write(&trace, e))?;
        }
        progress.done(&format!(
            "run {i} of {}: {} wall, {} functions",
            options.runs,
            seconds(elapsed),
            run.data.functions.len()
        ));
        runs.push(run);
    }
    drop(progress);

    watch.check()?;
    let name = options.name.clone().unwrap_or(default_name);
    let created = SystemTime::now();
    let claim = claim_id(&records, &name, created)?;
    let id = claim.name().to_owned();
    let meta = RecordMeta {
        id: id.clone(),
        name,
        source: Source::Perf,
        command: command_line,
        created_at: humantime::format_rfc3339_seconds(created).to_string(),
    };
    let record = merge::merge(meta, &runs);
    let staged_json = staging.path().join(RECORD_JSON);
    files::Document::validate(&record, &staged_json).map_err(|e| match e {
        perf_format::Error::Invalid { problem, .. } => Error::Unusable {
            command: shown.clone(),
            problem,
        },
        other => other.into(),
    })?;
    files::write_json(&staged_json, &record)?;

    let final_dir = claim.path().to_owned();
    staging.publish(claim)?;
    layout::set_latest(&records, &id)?;
    Ok(Recorded {
        record,
        path: final_dir.join(RECORD_JSON),
    })
}

/// The program, its arguments and the record's default name.
fn resolve(target: &Target, watch: &Watch) -> Result<(PathBuf, Vec<String>, String), Error> {
    match target {
        Target::Command(words) => {
            let Some((program, args)) = words.split_first() else {
                return Err(perf_format::Error::setting(
                    "command",
                    "",
                    "give the program after `--`, or use --example NAME / --bin NAME",
                )
                .into());
            };
            let name = Path::new(program)
                .file_stem()
                .map_or_else(|| "record".to_owned(), |s| s.to_string_lossy().into_owned());
            Ok((PathBuf::from(program), args.to_vec(), name))
        }
        Target::Cargo {
            kind,
            name,
            package,
            args,
        } => {
            let executable = build(watch, *kind, name, package.as_deref())?;
            Ok((executable, args.clone(), name.clone()))
        }
    }
}

/// `cargo build --release` of one example or binary; its path.
fn build(
    watch: &Watch,
    kind: CargoTarget,
    name: &str,
    package: Option<&str>,
) -> Result<PathBuf, Error> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let flag = match kind {
        CargoTarget::Example => "--example",
        CargoTarget::Bin => "--bin",
    };
    let mut shown_words = vec!["cargo", "build", "--release", flag, name];
    if let Some(package) = package {
        shown_words.extend(["--package", package]);
    }
    let shown = shell_words(&shown_words);
    let mut command = Command::new(&cargo);
    command
        .args(&shown_words[1..])
        .arg("--message-format=json-render-diagnostics");
    tracing::info!("building: {shown}");
    // Compiler messages go to the terminal as usual; the JSON to us.
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let output = watch.output(&mut command, Error::spawn(&shown))?;
    if !output.status.success() {
        return Err(Error::Cargo {
            command: shown,
            status: output.status,
        });
    }
    let wanted_kind = match kind {
        CargoTarget::Example => "example",
        CargoTarget::Bin => "bin",
    };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == name)
        .filter(|message| {
            message["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == wanted_kind))
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or(Error::NoExecutable {
            command: shown,
            target: name.to_owned(),
        })
}

/// One run with `PERF_DIR` set to `perf_dir`; its wall time.
fn run_once(
    watch: &Watch,
    program: &Path,
    args: &[String],
    perf_dir: &Path,
    shown: &str,
    what: impl Fn() -> String,
) -> Result<Duration, Error> {
    tracing::debug!("{}: PERF_DIR={} {shown}", what(), perf_dir.display());
    let started = Instant::now();
    let mut command = Command::new(program);
    command
        .args(args)
        .env("PERF_DIR", perf_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let output = watch.output(&mut command, Error::spawn(shown))?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        return Err(Error::CommandFailed {
            what: what(),
            command: shown.to_owned(),
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(elapsed)
}

/// Claims a record id in `records`: `<UTC time>-<name>`, with a numeric
/// suffix if another record has it.
pub(crate) fn claim_id(records: &Path, name: &str, created: SystemTime) -> Result<Claim, Error> {
    let stamp = humantime::format_rfc3339_seconds(created).to_string();
    Ok(layout::claim_id(records, &stamp, name)?)
}

/// A command line as a person would type it.
fn shell_words(words: &[impl AsRef<str>]) -> String {
    words
        .iter()
        .map(|w| {
            let w = w.as_ref();
            if !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                w.to_owned()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn seconds(elapsed: Duration) -> String {
    perf_format::units::duration(elapsed.as_nanos() as f64)
}

/// A progress bar on a terminal; plain lines elsewhere (CI logs); nothing
/// when quiet.
struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    fn new(total: usize, command: &str, quiet: bool) -> Self {
        let interactive = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        if quiet || !interactive {
            if !quiet {
                eprintln!("recording `{command}`");
            }
            return Progress { bar: None, quiet };
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
                .expect("a valid progress template")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.println(format!("recording `{command}`"));
        Progress {
            bar: Some(bar),
            quiet,
        }
    }

    fn start(&self, what: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(what);
        }
    }

    fn done(&self, line: &str) {
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.println(format!("  {line}"));
            }
            None if !self.quiet => eprintln!("  {line}"),
            None => {}
        }
    }
}

/// The bar is cleared when recording ends, however it ends.
impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_are_quoted_only_where_needed() {
        let words = ["prog", "--n=5", "two words", "it's"].map(String::from);
        assert_eq!(shell_words(&words), r"prog --n=5 'two words' 'it'\''s'");
    }
}
