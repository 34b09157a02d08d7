//! Runs of one program into a record being staged: warm-ups into a scratch
//! directory, measured runs (under callgrind when counting instructions)
//! each into a run directory of its own, then the runs merged into a
//! record and published whole, or nothing left behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use perf_format::files::{self, Claim, StagedDir};
use perf_format::layout::{self, RECORD_JSON, run_files};
use perf_format::schema::record::{Record, Source};
use perf_format::schema::run::RunData;

use super::merge::{self, RecordMeta};
use super::program::Program;
use super::signals::Watch;
use super::{callgrind, valgrind};
use crate::Error;
use crate::shell::shell_words;

/// A record written to disk.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// What it holds.
    pub record: Record,
    /// Its `record.json`.
    pub path: PathBuf,
}

/// Runs one program again and again into a record being staged: warm-ups
/// into a scratch directory, measured runs into the staging directory's
/// `runs/`, then [`finish`](Self::finish) merges them into a record and
/// publishes it. Dropped unfinished (an error, an interrupt), it leaves
/// nothing behind.
pub(crate) struct Runner<'w> {
    watch: &'w Watch,
    program: Program,
    shown: String,
    staging: StagedDir,
    warmup_dir: Option<tempfile::TempDir>,
    runs: Vec<merge::Run>,
    earlier_trace: Option<PathBuf>,
    /// Valgrind, when each run goes through callgrind (`--instructions`).
    pub(crate) valgrind: Option<PathBuf>,
}

impl<'w> Runner<'w> {
    /// A runner of `program` staging its record in `records` (which exists).
    pub(crate) fn new(watch: &'w Watch, program: Program, records: &Path) -> Result<Self, Error> {
        let shown = shell_words(&program.command_line());
        Ok(Runner {
            watch,
            program,
            shown,
            staging: StagedDir::new_in(records)?,
            warmup_dir: None,
            runs: Vec::new(),
            earlier_trace: None,
            valgrind: None,
        })
    }

    /// The command line as a person would type it.
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// A run whose results are thrown away; its wall time.
    pub(crate) fn warm_up(&mut self, what: &str) -> Result<Duration, Error> {
        if self.warmup_dir.is_none() {
            let scratch = tempfile::Builder::new()
                .prefix("warmup-")
                .tempdir_in(self.staging.path())
                .map_err(|e| perf_format::Error::write(self.staging.path(), e))?;
            self.warmup_dir = Some(scratch);
        }
        let scratch = self.warmup_dir.as_ref().map(|d| d.path().to_owned());
        let scratch = scratch.expect("made above");
        self.run_once(&scratch, what)
    }

    /// Measured run `number` (1-based), named `what` in messages: its wall
    /// time and what it wrote.
    pub(crate) fn run(
        &mut self,
        number: usize,
        what: &str,
    ) -> Result<(Duration, &merge::Run), Error> {
        let staging = self.staging.path().to_owned();
        let runs_dir = staging.join(layout::RUNS);
        // Under callgrind each run writes into a fresh, empty directory of
        // the same path: what a program finds in its output directory (the
        // earlier runs perf-core's start-up sweep reads) changes its heap's
        // layout, hence the allocator's paths and its instruction counts.
        let perf_dir = match self.valgrind {
            Some(_) => fresh_dir(&staging.join(COUNTED_DIR))?,
            None => staging.clone(),
        };
        let written_runs = perf_dir.join(layout::RUNS);
        let before = layout::read_latest(&written_runs).ok().flatten();
        let elapsed = self.run_once(&perf_dir, what)?;
        let after = layout::read_latest(&written_runs).ok().flatten();
        let id = match after {
            Some(id) if Some(&id) != before.as_ref() => id,
            _ => {
                return Err(Error::NoRun {
                    run: number,
                    command: self.shown.clone(),
                    dir: perf_dir,
                });
            }
        };
        if perf_dir != staging {
            files::ensure_writable_dir(&runs_dir)?;
            let (from, to) = (written_runs.join(&id), runs_dir.join(&id));
            std::fs::rename(&from, &to).map_err(|e| perf_format::Error::write(&to, e))?;
            layout::set_latest(&runs_dir, &id)?;
        }
        let run_json = runs_dir.join(&id).join(run_files::RUN_JSON);
        let mut data = RunData::load(&run_json)?;
        if self.valgrind.is_some() {
            // Callgrind wrote its profile beside the runs: it goes into the
            // run's directory, and its counts into the run's call tree.
            let written = perf_dir.join(valgrind::OUT_FILE);
            let kept = run_json.with_file_name(valgrind::OUT_FILE);
            std::fs::rename(&written, &kept).map_err(|e| perf_format::Error::write(&kept, e))?;
            if perf_dir != staging {
                std::fs::remove_dir_all(&perf_dir)
                    .map_err(|e| perf_format::Error::write(&perf_dir, e))?;
            }
            let text =
                std::fs::read_to_string(&kept).map_err(|e| perf_format::Error::read(&kept, e))?;
            let profile = callgrind::parse(&text).map_err(|e| Error::Callgrind {
                path: kept.clone(),
                problem: e.to_string(),
            })?;
            callgrind::annotate_run(&mut data, &profile);
            files::write_json(&run_json, &data)?;
            if number == 1 {
                missing_slots(&data, &self.shown)?;
                warn_of_many_dumps(profile.marked_edges, &self.shown);
            }
        }
        let run = merge::Run::with_cpu_beside(data, &run_json)?;
        // Only the last run keeps its timeline.
        let trace = run_json.with_file_name(run_files::TRACE);
        if let Some(earlier) = self.earlier_trace.replace(trace) {
            std::fs::remove_file(&earlier)
                .or_else(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => Ok(()),
                    _ => Err(e),
                })
                .map_err(|e| perf_format::Error::write(&earlier, e))?;
        }
        self.runs.push(run);
        Ok((elapsed, self.runs.last().expect("pushed above")))
    }

    /// Merges the runs into record `name`, made at `created`, and
    /// publishes it under a new id (`records/latest` is the caller's).
    pub(crate) fn finish(self, name: &str, created: SystemTime) -> Result<Recorded, Error> {
        let records = self
            .staging
            .path()
            .parent()
            .expect("staged in the records directory")
            .to_owned();
        let claim = claim_id(&records, name, created)?;
        let id = claim.name().to_owned();
        let meta = RecordMeta {
            id,
            name: name.to_owned(),
            source: Source::Perf,
            command: self.program.command_line(),
            created_at: humantime::format_rfc3339_seconds(created).to_string(),
            instructions: self.valgrind.is_some(),
        };
        let record = merge::merge(meta, &self.runs);
        let staged_json = self.staging.path().join(RECORD_JSON);
        files::Document::validate(&record, &staged_json).map_err(|e| match e {
            perf_format::Error::Invalid { problem, .. } => Error::Unusable {
                command: self.shown.clone(),
                problem,
            },
            other => other.into(),
        })?;
        files::write_json(&staged_json, &record)?;
        // The scratch directory of the warm-ups is not part of the record.
        drop(self.warmup_dir);
        let final_dir = claim.path().to_owned();
        self.staging.publish(claim)?;
        Ok(Recorded {
            record,
            path: final_dir.join(RECORD_JSON),
        })
    }

    /// One run with `PERF_DIR` set to `perf_dir`; its wall time.
    fn run_once(&self, perf_dir: &Path, what: &str) -> Result<Duration, Error> {
        let shown = &self.shown;
        tracing::debug!("{what}: PERF_DIR={} {shown}", perf_dir.display());
        let program = &self.program;
        let mut command = match &self.valgrind {
            Some(valgrind) => valgrind::command(valgrind, program, perf_dir, std::env::vars_os()),
            None => {
                let mut command = Command::new(&program.path);
                command
                    .args(&program.args)
                    .envs(program.env.iter().map(|(k, v)| (k, v)))
                    .env("PERF_DIR", perf_dir);
                if let Some(dir) = &program.dir {
                    command.current_dir(dir);
                }
                command
            }
        };
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let output = self.watch.output(&mut command, Error::spawn(shown))?;
        let elapsed = started.elapsed();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            if let Some(detail) = self
                .valgrind
                .as_ref()
                .and_then(|_| valgrind::unsupported_instruction(&stderr))
            {
                return Err(Error::ValgrindUnsupported {
                    what: what.to_owned(),
                    command: shown.clone(),
                    detail,
                });
            }
            return Err(Error::CommandFailed {
                what: what.to_owned(),
                command: shown.clone(),
                status: output.status,
                stderr,
            });
        }
        Ok(elapsed)
    }
}

/// Warns when call-tree nodes of an instruction run have no slot: every
/// node of an instruction build gets one, so none at all means a program
/// built without `--cfg perf_instructions` (its counts are all missing:
/// an instruction record without them would gate nothing, so it is
/// refused), and some missing means more than 1 024 (thread, node)s: those
/// count in their callers' self.
fn missing_slots(run: &RunData, shown: &str) -> Result<(), Error> {
    let without = run.call_tree.iter().filter(|n| n.slots.is_empty()).count();
    if without == 0 {
        return Ok(());
    }
    if without == run.call_tree.len() {
        return Err(Error::NotCounted {
            command: shown.to_owned(),
        });
    } else {
        tracing::warn!(
            "{without} of {} call-tree nodes of `{shown}` got no instruction slot (the instruction build has {}): their instructions count in their callers' self",
            run.call_tree.len(),
            valgrind::SLOTS
        );
    }
    Ok(())
}

/// The directory, in the staging directory, that each run under callgrind
/// writes into, made afresh for it.
const COUNTED_DIR: &str = "counted";

/// `dir`, emptied (or made) for a run.
fn fresh_dir(dir: &Path) -> Result<PathBuf, Error> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(perf_format::Error::write(dir, e).into()),
    }
    std::fs::create_dir(dir).map_err(|e| perf_format::Error::write(dir, e))?;
    Ok(dir.to_owned())
}

/// Span edges marked by callgrind dumps (`scope!` guards, tracing spans)
/// above which a run is said to be slowed down by them.
const MANY_DUMPS: usize = 10_000;

/// Warns when `scope!` guards and tracing spans, whose edges are marked by a
/// callgrind dump each (≈ 0.2 ms and 1.3 KB of profile, measured), made
/// the run much slower.
fn warn_of_many_dumps(edges: usize, shown: &str) {
    if edges > MANY_DUMPS {
        tracing::warn!(
            "`{shown}` opened and closed `scope!` guards and tracing spans {edges} times: callgrind writes a part of its profile at each (≈ 0.2 ms each), so a span that hot is better made a `#[profile]` fn, which costs nothing of the kind"
        );
    }
}

/// Claims a record id in `records`: `<UTC time>-<name>`, with a numeric
/// suffix if another record has it.
pub(crate) fn claim_id(records: &Path, name: &str, created: SystemTime) -> Result<Claim, Error> {
    let stamp = humantime::format_rfc3339_seconds(created).to_string();
    Ok(layout::claim_id(records, &stamp, name)?)
}
