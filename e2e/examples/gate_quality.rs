//! How good is the gate of `cargo perf ab`? Trial after trial, two programs
//! are run interleaved exactly as `ab` runs them ([`perf_cli::interleave`]:
//! a warm-up of each, then 10 pairs in a balanced random order), a fresh
//! BASE beside every HEAD, and judged by `compare`'s gate with the whole
//! program's wall time gating. On the same per-run samples, the rules of
//! the tools perf is held against give their verdicts too (see
//! `gate_quality/anchors.rs`): benchstat's U test, criterion's interval
//! beyond a 2% noise band, and Welch's t-test as Bencher uses it.
//!
//! - **Scenarios**: the machine idle, and with one core busy (a spinning
//!   child process, started for the trial and stopped after it). "Idle"
//!   means nothing of ours runs beside the trial; the machine is shared, so
//!   the CSV keeps the 1-minute load average at each trial's start.
//! - **Programs**: the order-pricing `service` (5 instrumented functions;
//!   `service::price` is the one slowed, 52% of the self time), and `wide`
//!   (300 instrumented functions, each 0.1–1% of the time; `wide::f257`,
//!   0.98%, is the one slowed).
//! - **Changes**: none (A/A: any regression is a false alarm), one function
//!   1%, 2%, 5%, 10% slower (caught when the gate fails *and* names it among
//!   the culprits), the whole program 5% slower (every function's work;
//!   caught when the gate fails on the `(whole program)` row), and a shared
//!   helper 10% slower: `wide --broad 60:10`, 180 of the 300 functions,
//!   59.8% of the time (judged in a table of its own: did the gate fail,
//!   did it call untouched functions improved, did it name the group).
//! - **How**: `ab` as above; `ab` with outliers in the workload (`wide
//!   --outliers 3`: each function in each run, on both sides, hit with
//!   probability 3% by 10–50% more work); and `compare` between sessions:
//!   BASE recorded (a warm-up, then its runs), then HEAD after it, as
//!   `cargo perf record` makes them, judged as `cargo perf compare` judges
//!   a record against a baseline (the whole program does not gate).
//!
//! For the anchors, a row is a function's time per call or the program's
//! wall time per run, taken from the records as measured; an A/A trial is a
//! false alarm for a rule when it calls any row slower, an A/B trial is
//! caught when it calls the changed row slower.
//!
//! Each trial appends one row to `gate_quality/results.csv` (beside this
//! file), so that the run can stop and go on later: `--append` skips the
//! trials already there. Trials go in an order that keeps a partial run
//! balanced: first the machine idle with no change, 5% and 10% (both
//! programs, interleaved), then the same with a core busy, then the rest.
//!
//! ```text
//! GATE_QUALITY_GATE=$(git log -1 --format=%h -- perf-core perf-macros perf-cli perf-format perf-stats e2e/src) \
//!   cargo build --release -p perf-e2e --example gate_quality --bin wide --bin service
//! target/release/examples/gate_quality [--append] [--runs 10] [--aa 100] [--ab 30] [--max N]
//! target/release/examples/gate_quality --summary      # the table, as Markdown
//! ```
//!
//! `--balanced` runs the chosen cells side by side, each furthest from
//! its target first, instead of stage after stage.
//!
//! `--only busy/5/fn+10%,idle/` runs only the cells whose key
//! (`scenario/functions/change[/sessions][/outliers3%]`) contains one of
//! those texts
//! (with `--csv` elsewhere, for a probe), and `--keep DIR` keeps each
//! trial's two records (`record.json`, not the runs) under `DIR`, for
//! `cargo perf compare` to judge again.
//!
//! It is not part of `cargo test`: a full run takes hours.

#[path = "gate_quality/anchors.rs"]
mod anchors;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

use perf_cli::{RecordOptions, Recorded, Target, interleave, record};
use perf_format::layout::Layout;
use perf_format::schema::compare::{
    Comparison, Correction, Drift, Judged, Row, Verdict, WHOLE_PROGRAM,
};
use perf_format::schema::record::{Metric, Record};
use perf_stats::gate::{FailOn, Gate, compare};

/// The results, beside this file.
const RESULTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/gate_quality/results.csv"
);

/// The CSV's columns, in order.
const COLUMNS: [&str; 35] = [
    "scenario",
    "functions",
    "change",
    "trial",
    "seed",
    "runs",
    "perf_failed",
    "perf_named",
    "perf_rows",
    "perf_regressed",
    "perf_target_verdict",
    "perf_target_change",
    "whole_verdict",
    "whole_change",
    "anchor_rows",
    "benchstat_flags",
    "benchstat_target",
    "criterion_flags",
    "criterion_target",
    "welch_flags",
    "welch_target",
    "perf_alarms",
    "drift_note",
    "wall_s",
    "finished_unix",
    "perf_tests",
    "load1",
    "gate",
    "other_cores",
    "method",
    "outliers",
    "perf_improved",
    "split_functions",
    "split_in_helper",
    "perf_failed_strict",
];

/// Which perf this program and its workloads were built with: the last
/// commit that touched `perf-core/`, `perf-macros/`, `perf-cli/`,
/// `perf-format/`, `perf-stats/` or the workloads (`e2e/src/`), given at build time as
/// `GATE_QUALITY_GATE`. Trials of one gate are counted, and summed up,
/// apart from another's.
const GATE: &str = match option_env!("GATE_QUALITY_GATE") {
    Some(gate) => gate,
    None => "unknown",
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Scenario {
    Idle,
    Busy,
    /// A trial of either scenario during which other processes used the
    /// CPU too (a build, another benchmark): counted apart, never run as
    /// such.
    Contended,
}

impl Scenario {
    /// The scenarios trials are run in.
    const ALL: [Scenario; 2] = [Scenario::Idle, Scenario::Busy];

    fn name(self) -> &'static str {
        match self {
            Scenario::Idle => "idle",
            Scenario::Busy => "busy",
            Scenario::Contended => "contended",
        }
    }

    /// Runnable processes of our own during a trial: the program, and the
    /// spinner when busy.
    fn own_load(self) -> f64 {
        match self {
            Scenario::Idle | Scenario::Contended => 1.0,
            Scenario::Busy => 2.0,
        }
    }
}

/// Other processes' CPU use, in cores, above which a trial counts as
/// contended.
const CONTENDED_CORES: f64 = 0.25;

/// CPU time in clock ticks: of the whole machine (busy, not idle or
/// stolen), and of this process with its waited-for children.
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let machine: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …
    let busy = [0, 1, 2, 5, 6]
        .iter()
        .map(|&i| machine.get(i).copied().unwrap_or(0))
        .sum();
    let own = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command's closing parenthesis; utime is the 14th.
    let after = own.rsplit_once(')')?.1;
    let fields: Vec<u64> = after
        .split_whitespace()
        .skip(11)
        .take(4)
        .filter_map(|v| v.parse().ok())
        .collect();
    Some((busy, fields.iter().sum()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Change {
    /// A/A: the same program on both sides.
    None,
    /// One function this many percent slower.
    Function(u64),
    /// Every function this many percent slower.
    Whole(u64),
    /// The functions of a shared helper ([`BROAD_SHARE`]% of them) this
    /// many percent slower.
    Broad(u64),
}

/// The share of `wide`'s functions, in percent, that call the shared
/// helper of [`Change::Broad`].
const BROAD_SHARE: u64 = 60;

impl Change {
    /// The changes of the main grid, tried in every scenario on both
    /// programs.
    const ALL: [Change; 6] = [
        Change::None,
        Change::Function(1),
        Change::Function(2),
        Change::Function(5),
        Change::Function(10),
        Change::Whole(5),
    ];

    /// As the CSV keeps it.
    fn key(self) -> String {
        match self {
            Change::None => "aa".to_owned(),
            Change::Function(pct) => format!("fn+{pct}%"),
            Change::Whole(pct) => format!("whole+{pct}%"),
            Change::Broad(pct) => format!("broad+{pct}%"),
        }
    }

    /// As the table shows it.
    fn shown(self, program: &Program) -> String {
        match self {
            Change::None => "A/A (false alarm)".to_owned(),
            Change::Function(pct) => format!("`{}` +{pct}%", program.target),
            Change::Whole(pct) => format!("whole program +{pct}%"),
            Change::Broad(pct) => {
                format!("shared helper +{pct}% ({BROAD_SHARE}% of the functions)")
            }
        }
    }

    fn from_key(key: &str) -> Option<Change> {
        Change::ALL
            .into_iter()
            .chain([Change::Broad(10)])
            .find(|c| c.key() == key)
    }
}

/// One of the two programs.
struct Program {
    /// Instrumented functions.
    functions: usize,
    /// The executable.
    path: PathBuf,
    /// The function slowed down, as records name it.
    target: &'static str,
    /// Its name for the program's `--slow`.
    knob: &'static str,
    /// Percent more work per percent more time of the target function
    /// (`--slow`) and of the program's wall time per run (`--whole`): the
    /// knobs add work, and fixed costs (perf's own, the run's start and
    /// end) do not grow with it, so "5% slower" asks for a little more than
    /// 5% more work. Measured on this machine: `price` +5% work gave
    /// +4.96% time/call (median of 7 busy trials), `f257` +5.0%; `--whole 5`
    /// gave +4.85% and +4.67% process wall time (8 runs each).
    scale: (f64, f64),
}

impl Program {
    fn both(dir: &Path) -> [Program; 2] {
        [
            Program {
                functions: 5,
                path: dir.join("service"),
                target: "service::price",
                knob: "price",
                scale: (1.01, 1.03),
            },
            Program {
                functions: 300,
                path: dir.join("wide"),
                target: "wide::f257",
                knob: "f257",
                scale: (1.0, 1.07),
            },
        ]
    }

    /// The command line with `change` and `outliers` (percent of function
    /// runs hit), its percentages of time turned into percentages of work
    /// by [`Program::scale`].
    fn command(&self, change: Change, outliers: u8) -> Vec<String> {
        let mut words = vec![self.path.display().to_string()];
        if outliers > 0 {
            words.extend(["--outliers".to_owned(), outliers.to_string()]);
        }
        match change {
            Change::None => {}
            Change::Function(pct) => {
                let work = pct as f64 * self.scale.0;
                words.extend(["--slow".to_owned(), format!("{}:{work:.3}", self.knob)]);
            }
            Change::Whole(pct) => {
                let work = pct as f64 * self.scale.1;
                words.extend(["--whole".to_owned(), format!("{work:.3}")]);
            }
            Change::Broad(pct) => {
                let work = pct as f64 * self.scale.1;
                words.extend(["--broad".to_owned(), format!("{BROAD_SHARE}:{work:.3}")]);
            }
        }
        words
    }
}

/// How BASE and HEAD are run and judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Method {
    /// Interleaved, as `cargo perf ab` runs them; the whole program gates.
    Ab,
    /// One after the other, as two `cargo perf record`s, judged as
    /// `cargo perf compare` judges a record against its baseline.
    Sessions,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Ab => "ab",
            Method::Sessions => "sessions",
        }
    }

    /// From the CSV: rows from before the column was added are `ab`.
    fn from_name(name: &str) -> Option<Method> {
        match name {
            "" | "ab" => Some(Method::Ab),
            "sessions" => Some(Method::Sessions),
            _ => None,
        }
    }
}

/// Runs a side, unless `--runs` says otherwise.
const RUNS: usize = 10;

/// The share of function runs, in percent, hit by an outlier in the
/// trials with outliers.
const OUTLIERS: u8 = 3;

/// A group of trials: how the sides are run, the outliers in the workload,
/// a scenario, a program (by its number of functions) and a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Cell {
    method: Method,
    /// Percent of function runs hit by an outlier (0: none added).
    outliers: u8,
    /// Runs a side.
    runs: usize,
    scenario: Scenario,
    functions: usize,
    change: Change,
}

impl Cell {
    /// `scenario/functions/change[/sessions][/outliers3%][/runsN]`, as
    /// `--only` matches it (runs named when not [`RUNS`]).
    fn key(&self) -> String {
        let mut key = format!(
            "{}/{}/{}",
            self.scenario.name(),
            self.functions,
            self.change.key()
        );
        if self.method == Method::Sessions {
            key.push_str("/sessions");
        }
        if self.outliers > 0 {
            let _ = write!(key, "/outliers{}%", self.outliers);
        }
        if self.runs != RUNS {
            let _ = write!(key, "/runs{}", self.runs);
        }
        key
    }

    /// When its trials run: the idle headline figures first, then the busy
    /// ones, then the rest of the grid, then the cells beside it.
    fn stage(&self) -> u8 {
        let headline = matches!(
            self.change,
            Change::None | Change::Function(5) | Change::Function(10)
        );
        match (self.method, self.outliers, headline, self.scenario) {
            (Method::Ab, 0, true, Scenario::Idle) => 0,
            (Method::Ab, 0, true, Scenario::Busy | Scenario::Contended) => 1,
            (Method::Ab, 0, false, _) => 2,
            _ => 3,
        }
    }

    /// Every cell trials are run for: the grid (both scenarios, both
    /// programs, every change of [`Change::ALL`], by `ab`), and beside it
    /// the 300-function program with outliers, a shared helper slowed for
    /// `ab` in both scenarios, and `compare` between sessions, idle.
    fn all(runs: usize) -> Vec<Cell> {
        let cell = |method, outliers, scenario, functions, change| Cell {
            method,
            outliers,
            runs,
            scenario,
            functions,
            change,
        };
        let mut cells = Vec::new();
        for scenario in Scenario::ALL {
            for change in Change::ALL {
                for functions in [5, 300] {
                    cells.push(cell(Method::Ab, 0, scenario, functions, change));
                }
            }
        }
        for change in &Change::ALL[..5] {
            cells.push(cell(Method::Ab, OUTLIERS, Scenario::Idle, 300, *change));
        }
        for scenario in Scenario::ALL {
            cells.push(cell(Method::Ab, 0, scenario, 300, Change::Broad(10)));
        }
        for change in [Change::None, Change::Function(5), Change::Function(10)] {
            for functions in [5, 300] {
                cells.push(cell(Method::Sessions, 0, Scenario::Idle, functions, change));
            }
        }
        cells.push(cell(
            Method::Sessions,
            0,
            Scenario::Idle,
            300,
            Change::Broad(10),
        ));
        cells
    }
}

struct Options {
    runs: usize,
    warmup: usize,
    aa: usize,
    ab: usize,
    max: Option<usize>,
    append: bool,
    csv: PathBuf,
    /// Run only the cells whose `scenario/functions/change` key contains
    /// one of these comma-separated parts.
    only: Option<String>,
    /// Keep each trial's records under this directory.
    keep: Option<PathBuf>,
    /// Every chosen cell at once, furthest from its target first, instead
    /// of stage after stage.
    balanced: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--spin") {
        spin();
    }
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let number =
        |name: &str, default: usize| value(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    let options = Options {
        runs: number("--runs", RUNS),
        warmup: number("--warmup", 1),
        aa: number("--aa", 100),
        ab: number("--ab", 30),
        max: value("--max").and_then(|v| v.parse().ok()),
        append: args.iter().any(|a| a == "--append"),
        csv: value("--csv").map_or_else(|| PathBuf::from(RESULTS), PathBuf::from),
        only: value("--only").cloned(),
        keep: value("--keep").map(PathBuf::from),
        balanced: args.iter().any(|a| a == "--balanced"),
    };
    let outcome = if args.iter().any(|a| a == "--summary") {
        summary(&options.csv).map(|table| print!("{table}"))
    } else {
        measure(&options)
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs the trials still missing, appending each to the CSV.
fn measure(options: &Options) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("where am I: {e}"))?;
    // target/release/examples/gate_quality → target/release/{service,wide}
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot find the target directory")?;
    let programs = Program::both(dir);
    for program in &programs {
        if !program.path.is_file() {
            return Err(format!(
                "{} is missing: cargo build --release -p perf-e2e --bin service --bin wide",
                program.path.display()
            ));
        }
    }

    let mut done = read_done(&options.csv, options.append)?;
    let mut counts: BTreeMap<Cell, usize> = BTreeMap::new();
    let cells = Cell::all(options.runs);
    for cell in &cells {
        let n = done.iter().filter(|t| t.counted == *cell).count();
        counts.insert(*cell, n);
    }
    let wanted = |cell: &Cell| match cell.change {
        Change::None => options.aa,
        _ => options.ab,
    };

    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&options.csv)
        .map_err(|e| format!("{}: {e}", options.csv.display()))?;
    if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        writeln!(file, "{}", COLUMNS.join(",")).map_err(|e| e.to_string())?;
    }
    println!(
        "gate quality (gate {GATE}): ab with {} runs a side after {} warm-up(s); {} A/A and {} A/B trials per scenario and program; {} trials of this gate already in {}",
        options.runs,
        options.warmup,
        options.aa,
        options.ab,
        done.len(),
        options.csv.display()
    );

    let mut ran = 0;
    let mut failures_in_a_row = 0;
    loop {
        if options.max.is_some_and(|max| ran >= max) {
            break;
        }
        // The cell furthest from its target, in the earliest stage.
        let Some(cell) = cells
            .iter()
            .filter(|c| counts[c] < wanted(c))
            .filter(|c| {
                options
                    .only
                    .as_ref()
                    .is_none_or(|only| only.split(',').any(|part| c.key().contains(part)))
            })
            .min_by(|a, b| {
                let ratio = |c: &Cell| counts[c] as f64 / wanted(c) as f64;
                let stage = |c: &Cell| if options.balanced { 0 } else { c.stage() };
                stage(a).cmp(&stage(b)).then(ratio(a).total_cmp(&ratio(b)))
            })
            .copied()
        else {
            break;
        };
        let trial = (1..)
            .find(|t| !done.iter().any(|d| d.run == cell && d.trial == *t))
            .expect("a free trial number");
        let program = programs
            .iter()
            .find(|p| p.functions == cell.functions)
            .expect("a program of that size");
        let seed = seed_of(&cell, trial);
        let counted = match run_trial(&cell, program, trial, seed, options) {
            Ok(line) => {
                writeln!(file, "{line}").map_err(|e| e.to_string())?;
                file.flush().map_err(|e| e.to_string())?;
                failures_in_a_row = 0;
                // A trial during which other work ran counts as contended,
                // not for the cell it was run for.
                CsvRow::from_line(&line).cell().unwrap_or(cell)
            }
            Err(e) => {
                eprintln!("trial {} #{trial}: {e}", cell.key());
                failures_in_a_row += 1;
                if failures_in_a_row >= 3 {
                    return Err("three trials in a row failed".to_owned());
                }
                continue;
            }
        };
        if let Some(count) = counts.get_mut(&counted) {
            *count += 1;
        }
        done.push(Done {
            counted,
            run: cell,
            trial,
        });
        ran += 1;
    }
    println!("done: {ran} trials this session");
    Ok(())
}

/// A trial already in the CSV.
struct Done {
    /// The cell it counts for (contended trials apart).
    counted: Cell,
    /// The cell it was run for.
    run: Cell,
    trial: usize,
}

/// The trials of this gate already in the CSV; refuses a CSV with trials
/// unless appending. A CSV from before a column was added gets the new
/// header (and an empty field on each old row), rewritten whole.
fn read_done(csv: &Path, append: bool) -> Result<Vec<Done>, String> {
    let rows = match read_csv(csv) {
        Ok(rows) => rows,
        Err(_) if !csv.exists() => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    if !rows.is_empty() && !append {
        return Err(format!(
            "{} already holds {} trials: --append goes on with them (or move it away)",
            csv.display(),
            rows.len()
        ));
    }
    widen_header(csv)?;
    Ok(rows
        .iter()
        .filter(|r| r.get("gate") == GATE)
        .filter_map(|r| {
            Some(Done {
                counted: r.cell()?,
                run: r.cell_as_run()?,
                trial: r.int("trial")?,
            })
        })
        .collect())
}

/// Rewrites `csv` with today's header if it has an older, shorter one.
fn widen_header(csv: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(csv).map_err(|e| format!("{}: {e}", csv.display()))?;
    let header = COLUMNS.join(",");
    let Some((first, rest)) = text.split_once('\n') else {
        return Ok(());
    };
    if first == header {
        return Ok(());
    }
    let missing = header
        .strip_prefix(first)
        .filter(|m| m.starts_with(','))
        .ok_or_else(|| format!("{}: its columns are not this program's", csv.display()))?;
    let padding = ",".repeat(missing.matches(',').count());
    let mut widened = format!("{header}\n");
    for line in rest.lines().filter(|l| !l.trim().is_empty()) {
        widened.push_str(line);
        widened.push_str(&padding);
        widened.push('\n');
    }
    let staged = csv.with_extension("csv.tmp");
    std::fs::write(&staged, widened).map_err(|e| format!("{}: {e}", staged.display()))?;
    std::fs::rename(&staged, csv).map_err(|e| format!("{}: {e}", csv.display()))
}

/// A trial's seed, from its cell and number: the same trial gets the same
/// order of runs.
fn seed_of(cell: &Cell, trial: usize) -> u64 {
    let key = format!("{}/{trial}", cell.key());
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    perf_stats::order::seed_from(hash)
}

/// One trial: BASE and HEAD run interleaved, judged by the gate and by the
/// anchors' rules; its CSV line.
fn run_trial(
    cell: &Cell,
    program: &Program,
    trial: usize,
    seed: u64,
    options: &Options,
) -> Result<String, String> {
    let started = Instant::now();
    // Other work on the shared machine, before ours starts.
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next().map(str::to_owned))
        .unwrap_or_default();
    let ticks_before = cpu_ticks();
    let scratch = tempfile::tempdir().map_err(|e| format!("a scratch directory: {e}"))?;
    let kept = options
        .keep
        .as_ref()
        .map(|dir| dir.join(format!("{}-{trial}", cell.key().replace(['%', '/'], "-"))));
    let output = kept.as_deref().unwrap_or(scratch.path());
    let layout = Layout::new(output, output);
    let spinner = match cell.scenario {
        Scenario::Busy => Some(Spinner::start()?),
        Scenario::Idle | Scenario::Contended => None,
    };
    let base_command = program.command(Change::None, cell.outliers);
    let head_command = program.command(cell.change, cell.outliers);
    let made = match cell.method {
        Method::Ab => interleave(
            &layout,
            &base_command,
            &head_command,
            options.runs,
            options.warmup,
            seed,
        )
        .map(|ab| (ab.base, ab.head, ab.notes)),
        Method::Sessions => one_after_the_other(&layout, &base_command, &head_command, options),
    };
    drop(spinner);
    let other_cores = match (ticks_before, cpu_ticks()) {
        (Some((busy0, own0)), Some((busy1, own1))) => {
            // Clock ticks are 1/100 s on Linux.
            let other = busy1.saturating_sub(busy0) as f64 - own1.saturating_sub(own0) as f64;
            format!(
                "{:.2}",
                (other / 100.0 / started.elapsed().as_secs_f64()).max(0.0)
            )
        }
        _ => String::new(),
    };
    let (base, head, notes) = made.map_err(|e| e.to_string())?;
    if kept.is_some() {
        // The two records are all `compare` reads: the runs they were
        // merged from would take a few MB a trial.
        for recorded in [&base, &head] {
            if let Some(dir) = recorded.path.parent() {
                let _ = std::fs::remove_dir_all(dir.join("runs"));
            }
        }
    }
    let (base, head) = (&base.record, &head.record);
    let gate = Gate {
        interleaved: cell.method == Method::Ab,
        ..Gate::default()
    };
    let comparison = compare(("BASE", base), ("HEAD", head), &gate, Vec::new());
    let strict = Gate {
        fail_on: FailOn::Inconclusive,
        ..gate
    };
    let failed_strict = compare(("BASE", base), ("HEAD", head), &strict, Vec::new()).failed;

    let target = match cell.change {
        Change::None | Change::Broad(_) => None,
        Change::Function(_) => Some((program.target, Metric::TimePerCall)),
        Change::Whole(_) => Some((WHOLE_PROGRAM, Metric::TimePerRun)),
    };
    let row = |function: &str, metric: Metric| {
        comparison
            .rows
            .iter()
            .filter_map(Row::judged)
            .find(|r| r.function == function && r.metric == metric)
    };
    let target_row = target.and_then(|(f, m)| row(f, m));
    let whole_row = row(WHOLE_PROGRAM, Metric::TimePerRun);
    let named = target.is_some_and(|(function, _)| {
        comparison.failed && comparison.culprits().any(|r| r.function == function)
    });
    let alarms = regressions(&comparison);

    let rows = anchor_rows(base, head);
    let target_index = target.and_then(|(f, _)| rows.iter().position(|(name, _, _)| name == f));
    let mut verdicts = [(0usize, false); 3];
    for (i, (_, b, h)) in rows.iter().enumerate() {
        let said = [
            anchors::benchstat_slower(b, h),
            anchors::criterion_slower(b, h, seed ^ (i as u64).wrapping_mul(0x9E37_79B9)),
            anchors::welch_slower(b, h),
        ];
        for (verdict, slower) in verdicts.iter_mut().zip(said) {
            if slower {
                verdict.0 += 1;
                if Some(i) == target_index {
                    verdict.1 = true;
                }
            }
        }
    }
    let improved = comparison
        .rows
        .iter()
        .filter_map(Row::judged)
        .filter(|r| r.gated && r.verdict == Verdict::Improved)
        .count();
    let split = match &comparison.drift {
        Drift::Estimated {
            split: Some(split), ..
        } => Some(split),
        _ => None,
    };
    let split_in_helper = split.map(|split| {
        split
            .functions
            .iter()
            .filter(|name| in_shared_helper(name))
            .count()
    });
    let drift = notes
        .iter()
        .find_map(|n| n.split("within a pair: ").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("");
    let wall = started.elapsed();

    let flag = |b: bool| if b { "1" } else { "0" };
    let change_of = |r: Option<&Judged>| {
        r.and_then(|r| r.change)
            .map_or_else(String::new, |c| format!("{c:.4}"))
    };
    let target_columns = |slower: bool| match target {
        Some(_) => flag(slower).to_owned(),
        None => String::new(),
    };
    let fields = [
        cell.scenario.name().to_owned(),
        cell.functions.to_string(),
        cell.change.key(),
        trial.to_string(),
        seed.to_string(),
        options.runs.to_string(),
        flag(comparison.failed).to_owned(),
        match target {
            Some(_) => flag(named).to_owned(),
            None => String::new(),
        },
        comparison
            .rows
            .iter()
            .filter(|r| r.gated())
            .count()
            .to_string(),
        alarms.len().to_string(),
        target_row.map_or_else(String::new, |r| r.verdict.word().to_owned()),
        change_of(target_row),
        whole_row.map_or_else(String::new, |r| r.verdict.word().to_owned()),
        change_of(whole_row),
        rows.len().to_string(),
        verdicts[0].0.to_string(),
        target_columns(verdicts[0].1),
        verdicts[1].0.to_string(),
        target_columns(verdicts[1].1),
        verdicts[2].0.to_string(),
        target_columns(verdicts[2].1),
        alarms.join(";"),
        drift.to_owned(),
        format!("{:.1}", wall.as_secs_f64()),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .to_string(),
        match comparison.correction {
            Correction::BenjaminiHochberg { tests, .. } => tests.to_string(),
            _ => String::new(),
        },
        load,
        GATE.to_owned(),
        other_cores,
        cell.method.name().to_owned(),
        cell.outliers.to_string(),
        improved.to_string(),
        split.map_or_else(String::new, |s| s.functions.len().to_string()),
        split_in_helper.map_or_else(String::new, |n| n.to_string()),
        flag(failed_strict).to_owned(),
    ];
    debug_assert_eq!(fields.len(), COLUMNS.len());
    println!(
        "{:<28} #{trial:<3} perf {}{}{}  benchstat {} criterion {} welch {}  whole {} ({:.1} s)",
        cell.key(),
        if comparison.failed { "FAIL" } else { "pass" },
        if named { " named" } else { "" },
        match alarms.len() {
            0 => String::new(),
            1..=3 => format!(" [{}]", alarms.join("; ")),
            n => format!(" [{}; {} more]", alarms[..3].join("; "), n - 3),
        },
        verdicts[0].0,
        verdicts[1].0,
        verdicts[2].0,
        fields[12],
        wall.as_secs_f64()
    );
    Ok(fields.join(","))
}

/// BASE then HEAD, each recorded as `cargo perf record` records: a
/// warm-up, then its runs.
fn one_after_the_other(
    layout: &Layout,
    base: &[String],
    head: &[String],
    options: &Options,
) -> Result<(Recorded, Recorded, Vec<String>), perf_cli::Error> {
    let side = |name: &str, command: &[String]| {
        record(
            layout,
            &RecordOptions {
                runs: options.runs,
                warmup: options.warmup,
                name: Some(name.to_owned()),
                target: Target::Command(command.to_vec()),
                quiet: true,
                instructions: false,
            },
        )
    };
    Ok((side("base", base)?, side("head", head)?, Vec::new()))
}

/// Whether `wide`'s function `name` (as records name it) calls the shared
/// helper of [`Change::Broad`]: its number ends in a digit below
/// [`BROAD_SHARE`]/10, as `wide --broad` picks them.
fn in_shared_helper(name: &str) -> bool {
    name.strip_prefix("wide::f")
        .and_then(|n| n.parse::<u64>().ok())
        .is_some_and(|n| n % 10 < BROAD_SHARE / 10)
}

/// The gated regressions, as `function metric change`.
fn regressions(comparison: &Comparison) -> Vec<String> {
    comparison
        .rows
        .iter()
        .filter_map(Row::judged)
        .filter(|r| r.gated && r.verdict == Verdict::Regressed)
        .map(|r| {
            format!(
                "{} {} {}",
                r.function,
                r.metric.label(),
                r.change
                    .map_or("from 0".to_owned(), |c| format!("{:+.1}%", c * 100.0))
            )
        })
        .collect()
}

/// The rows the anchors judge: each function's time per call, and the
/// program's wall time per run, as measured.
fn anchor_rows(base: &Record, head: &Record) -> Vec<(String, Vec<f64>, Vec<f64>)> {
    let mut rows: Vec<(String, Vec<f64>, Vec<f64>)> = base
        .functions
        .iter()
        .filter_map(|b| {
            let h = head.functions.iter().find(|h| h.name == b.name)?;
            Some((
                b.name.clone(),
                b.get(Metric::TimePerCall)?.to_vec(),
                h.get(Metric::TimePerCall)?.to_vec(),
            ))
        })
        .collect();
    let wall = |r: &Record| r.runs.iter().map(|run| run.duration_ns as f64).collect();
    rows.push((WHOLE_PROGRAM.to_owned(), wall(base), wall(head)));
    rows
}

/// A child process that keeps one core busy until it is stopped (or its
/// parent is gone).
struct Spinner(Child);

impl Spinner {
    fn start() -> Result<Spinner, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let child = Command::new(exe)
            .arg("--spin")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("the spinning process: {e}"))?;
        // Let it get going before the first run.
        std::thread::sleep(Duration::from_millis(50));
        Ok(Spinner(child))
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spins until the parent process is gone.
fn spin() -> ! {
    let parent = std::os::unix::process::parent_id();
    let mut x = 1u64;
    loop {
        for _ in 0..10_000_000 {
            x = std::hint::black_box(x.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ (x >> 7));
        }
        if std::os::unix::process::parent_id() != parent {
            std::process::exit(0);
        }
    }
}

/// One CSV row by column name.
struct CsvRow(BTreeMap<String, String>);

impl CsvRow {
    /// A line of [`COLUMNS`].
    fn from_line(line: &str) -> CsvRow {
        CsvRow(
            COLUMNS
                .iter()
                .zip(line.split(','))
                .map(|(k, v)| ((*k).to_owned(), v.to_owned()))
                .collect(),
        )
    }

    fn get(&self, column: &str) -> &str {
        self.0.get(column).map_or("", String::as_str)
    }

    fn int(&self, column: &str) -> Option<usize> {
        self.get(column).parse().ok()
    }

    fn yes(&self, column: &str) -> bool {
        self.get(column) == "1"
    }

    /// The trial's cell; a trial during which other work ran is
    /// [`Scenario::Contended`]: by the CPU other processes used, or, for
    /// trials from before that was measured, by a 1-minute load average at
    /// its start more than half a process above the scenario's own.
    fn cell(&self) -> Option<Cell> {
        let run = self.cell_as_run()?;
        let mut scenario = run.scenario;
        let contended = match self.get("other_cores").parse::<f64>() {
            Ok(cores) => cores > CONTENDED_CORES,
            Err(_) => self
                .get("load1")
                .parse::<f64>()
                .is_ok_and(|load| load > scenario.own_load() + 0.5),
        };
        if contended {
            scenario = Scenario::Contended;
        }
        Some(Cell { scenario, ..run })
    }

    /// The cell the trial was run for.
    fn cell_as_run(&self) -> Option<Cell> {
        let scenario = Scenario::ALL
            .into_iter()
            .find(|s| s.name() == self.get("scenario"))?;
        Some(Cell {
            method: Method::from_name(self.get("method"))?,
            outliers: self.get("outliers").parse().unwrap_or(0),
            runs: self.int("runs")?,
            scenario,
            functions: self.int("functions")?,
            change: Change::from_key(self.get("change"))?,
        })
    }
}

fn read_csv(path: &Path) -> Result<Vec<CsvRow>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Ok(Vec::new());
    };
    let header: Vec<&str> = header.split(',').collect();
    Ok(lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            CsvRow(
                header
                    .iter()
                    .zip(line.split(','))
                    .map(|(k, v)| ((*k).to_owned(), v.to_owned()))
                    .collect(),
            )
        })
        .collect())
}

/// The rates so far, as a Markdown table with Clopper–Pearson 95%
/// intervals.
fn summary(csv: &Path) -> Result<String, String> {
    let rows = read_csv(csv)?;
    // One table per gate, the newest first.
    let mut gates: Vec<(&str, usize)> = Vec::new();
    for row in &rows {
        let finished = row.int("finished_unix").unwrap_or(0);
        match gates.iter_mut().find(|(g, _)| *g == row.get("gate")) {
            Some((_, last)) => *last = (*last).max(finished),
            None => gates.push((row.get("gate"), finished)),
        }
    }
    gates.sort_by_key(|&(_, finished)| std::cmp::Reverse(finished));
    let mut out = String::new();
    for (gate, _) in gates {
        let of_gate: Vec<&CsvRow> = rows.iter().filter(|r| r.get("gate") == gate).collect();
        let _ = writeln!(out, "### The gate as of {gate}\n");
        out.push_str(&table(&of_gate));
        out.push('\n');
    }
    Ok(out)
}

/// How a cell's sides were run, as the tables show it.
fn how(cell: &Cell) -> String {
    let mut how = match cell.method {
        Method::Ab => "ab".to_owned(),
        Method::Sessions => "compare, sessions".to_owned(),
    };
    if cell.outliers > 0 {
        let _ = write!(how, ", {}% outliers", cell.outliers);
    }
    if cell.runs != RUNS {
        let _ = write!(how, ", {} runs", cell.runs);
    }
    how
}

/// The rates of one gate's trials as Markdown tables: the changes of one
/// function or the whole program, then the shared helper's.
fn table(rows: &[&CsvRow]) -> String {
    let programs = Program::both(Path::new(""));
    let mut by_cell: BTreeMap<Cell, Vec<&CsvRow>> = BTreeMap::new();
    let mut broad: BTreeMap<Cell, Vec<&CsvRow>> = BTreeMap::new();
    for &row in rows {
        if let Some(cell) = row.cell() {
            match cell.change {
                Change::Broad(_) => broad.entry(cell).or_default().push(row),
                _ => by_cell.entry(cell).or_default().push(row),
            }
        }
    }
    let runs: HashSet<&str> = rows.iter().map(|r| r.get("runs")).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} runs a side, on a shared 2-core VM; {} trials, each with a fresh BASE. \
         How: `ab` runs the sides interleaved (`cargo perf ab`), with outliers in the workload \
         or without; `compare, sessions` records BASE, then HEAD, and judges as `cargo perf compare`. \
         A/A: the share of trials that raised any alarm (perf: the gate failed). \
         A/B: the share that caught the change (perf: the gate failed and named the function, \
         or the whole program, among the culprits; the anchors: the rule called that row slower). \
         In brackets, Clopper–Pearson 95% intervals.\n",
        runs.into_iter().collect::<Vec<_>>().join("/"),
        rows.len()
    );
    let _ = writeln!(
        out,
        "| machine | how | functions | change | trials | perf measured | **perf** | benchstat (U, α 0.05) | criterion (CI beyond ±2%) | Welch t (α 0.05) |"
    );
    let _ = writeln!(out, "|---|---|---:|---|---:|---:|---|---|---|---|");
    let mut pooled: BTreeMap<usize, [usize; 5]> = BTreeMap::new();
    for (cell, trials) in &by_cell {
        let program = programs
            .iter()
            .find(|p| p.functions == cell.functions)
            .expect("a known program");
        let n = trials.len();
        let count = |hit: &dyn Fn(&CsvRow) -> bool| trials.iter().filter(|r| hit(r)).count();
        let counts = match cell.change {
            Change::None => [
                count(&|r| r.yes("perf_failed")),
                count(&|r| r.int("benchstat_flags").unwrap_or(0) > 0),
                count(&|r| r.int("criterion_flags").unwrap_or(0) > 0),
                count(&|r| r.int("welch_flags").unwrap_or(0) > 0),
            ],
            _ => [
                count(&|r| r.yes("perf_failed") && r.yes("perf_named")),
                count(&|r| r.yes("benchstat_target")),
                count(&|r| r.yes("criterion_target")),
                count(&|r| r.yes("welch_target")),
            ],
        };
        if cell.change == Change::None
            && cell.method == Method::Ab
            && cell.outliers == 0
            && cell.runs == RUNS
        {
            let total = pooled.entry(cell.functions).or_default();
            total[0] += n;
            for (t, c) in total[1..].iter_mut().zip(counts) {
                *t += c;
            }
        }
        let column = match cell.change {
            Change::None => "whole_change",
            Change::Function(_) | Change::Whole(_) | Change::Broad(_) => "perf_target_change",
        };
        let mut measured: Vec<f64> = trials
            .iter()
            .filter_map(|r| r.get(column).parse::<f64>().ok())
            .collect();
        measured.sort_by(f64::total_cmp);
        let measured = measured
            .get(measured.len() / 2)
            .map_or_else(|| "–".to_owned(), |m| format!("{:+.1}%", m * 100.0));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {n} | {measured} | **{}** | {} | {} | {} |",
            cell.scenario.name(),
            how(cell),
            cell.functions,
            cell.change.shown(program),
            rate(counts[0], n),
            rate(counts[1], n),
            rate(counts[2], n),
            rate(counts[3], n),
        );
    }
    for (functions, [n, perf, benchstat, criterion, welch]) in &pooled {
        let _ = writeln!(
            out,
            "| all | ab | {functions} | A/A (false alarm), pooled | {n} | | **{}** | {} | {} | {} |",
            rate(*perf, *n),
            rate(*benchstat, *n),
            rate(*criterion, *n),
            rate(*welch, *n),
        );
    }
    let _ = writeln!(
        out,
        "\n\"perf measured\": the median over the trials of the change perf estimated for the \
         changed row (for A/A, of the whole program's wall time)."
    );
    if !broad.is_empty() {
        out.push('\n');
        out.push_str(&broad_table(&broad));
    }
    out
}

/// The functions a trial named, and how many of them call the shared
/// helper: the group that moved together (between sessions), else the
/// functions called regressed.
fn named_group(row: &CsvRow) -> Option<(usize, usize)> {
    if let (Some(functions), Some(in_helper)) =
        (row.int("split_functions"), row.int("split_in_helper"))
    {
        return Some((functions, in_helper));
    }
    let regressed: HashSet<&str> = row
        .get("perf_alarms")
        .split(';')
        .filter_map(|alarm| alarm.split(' ').next())
        .filter(|function| function.starts_with("wide::"))
        .collect();
    let in_helper = regressed.iter().filter(|f| in_shared_helper(f)).count();
    (!regressed.is_empty()).then_some((regressed.len(), in_helper))
}

/// The shared helper's trials: did the gate fail, did it call untouched
/// functions improved, did it name the group that moved.
fn broad_table(cells: &BTreeMap<Cell, Vec<&CsvRow>>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "A shared helper {BROAD_SHARE}% of the functions call made slower (`wide --broad`). \
         Failed: the gate failed (exit 1); strict: with `--fail-on inconclusive`. \
         Improved: the gate passed with functions called improved. \
         Named: the comparison named a group of functions that moved together \
         (between sessions), or called functions regressed (`ab`); \
         the median group, and how many of it call the helper.\n"
    );
    let _ = writeln!(
        out,
        "| machine | how | change | trials | **failed** | failed, strict | **passed with improved rows** | group named | named group (median) |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---|---|---|---|---|");
    for (cell, trials) in cells {
        let n = trials.len();
        let count = |hit: &dyn Fn(&CsvRow) -> bool| trials.iter().filter(|r| hit(r)).count();
        let failed = count(&|r| r.yes("perf_failed"));
        let strict = count(&|r| r.yes("perf_failed_strict"));
        let improved =
            count(&|r| !r.yes("perf_failed") && r.int("perf_improved").is_some_and(|i| i > 0));
        let named: Vec<(usize, usize)> = trials.iter().filter_map(|r| named_group(r)).collect();
        let median = |mut values: Vec<usize>| {
            values.sort_unstable();
            values.get(values.len() / 2).copied()
        };
        let group = match (
            median(named.iter().map(|n| n.0).collect()),
            median(named.iter().map(|n| n.1).collect()),
        ) {
            (Some(functions), Some(in_helper)) => {
                format!("{functions} functions, {in_helper} in the helper")
            }
            _ => "–".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | +{}% | {n} | **{}** | {} | **{}** | {} | {group} |",
            cell.scenario.name(),
            how(cell),
            match cell.change {
                Change::Broad(pct) => pct,
                _ => 0,
            },
            rate(failed, n),
            rate(strict, n),
            rate(improved, n),
            rate(named.len(), n),
        );
    }
    out
}

/// `k/n = rate [low–high]`.
fn rate(k: usize, n: usize) -> String {
    if n == 0 {
        return "–".to_owned();
    }
    let (low, high) = perf_stats::probability::clopper_pearson(k, n);
    format!(
        "{k}/{n} = {:.1}% [{:.1}–{:.1}%]",
        100.0 * k as f64 / n as f64,
        100.0 * low,
        100.0 * high
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The docs page that quotes the summary.
    fn docs() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/gate-quality.md")
    }

    /// The headings of the summary's tables: one function or the whole
    /// program, and the shared helper.
    const HEADINGS: [&str; 2] = [
        "| machine | how | functions | change |",
        "| machine | how | change | trials | **failed** |",
    ];

    /// The table of `text` under `heading`, as lines.
    fn quoted_table<'t>(text: &'t str, heading: &str) -> Vec<&'t str> {
        text.lines()
            .skip_while(|l| !l.starts_with(heading))
            .take_while(|l| l.starts_with('|'))
            .collect()
    }

    /// The docs' quotes of the summary: each part that begins "With the
    /// gate as of `GATE`", with the gate it names.
    fn quoted_gates(text: &str) -> Vec<(&str, &str)> {
        const OPENING: &str = "With the gate as of `";
        let starts: Vec<usize> = text.match_indices(OPENING).map(|(i, _)| i).collect();
        starts
            .iter()
            .enumerate()
            .map(|(k, &start)| {
                let part = &text[start..starts.get(k + 1).copied().unwrap_or(text.len())];
                let after = &part[OPENING.len()..];
                (
                    &after[..after.find('`').expect("a closing backquote")],
                    part,
                )
            })
            .collect()
    }

    #[test]
    fn the_docs_quote_the_summary_of_the_recorded_trials() {
        let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/gate_quality/results.csv");
        let summary = summary(&csv).expect("the recorded trials");
        let text = std::fs::read_to_string(docs()).expect("docs/gate-quality.md");
        let quotes = quoted_gates(&text);
        assert!(!quotes.is_empty(), "docs/gate-quality.md quotes no gate");
        let bless = std::env::var_os("PERF_BLESS").is_some();
        let mut blessed = text.clone();
        for (gate, part) in quotes {
            let of_gate = &summary[summary
                .find(&format!("### The gate as of {gate}\n"))
                .unwrap_or_else(|| panic!("no trials of gate {gate} in {}", csv.display()))..];
            let of_gate = of_gate[1..]
                .find("### The gate as of ")
                .map_or(of_gate, |end| &of_gate[..end + 1]);
            for heading in HEADINGS {
                let measured = quoted_table(of_gate, heading);
                let quoted = quoted_table(part, heading);
                if measured == quoted {
                    continue;
                }
                if bless && !quoted.is_empty() {
                    blessed = blessed.replacen(&quoted.join("\n"), &measured.join("\n"), 1);
                    continue;
                }
                panic!(
                    "docs/gate-quality.md quotes a table that the trials of gate {gate} in {} do not give; they give:\n{}\n(PERF_BLESS=1 writes it where the docs quote one)",
                    csv.display(),
                    measured.join("\n")
                );
            }
        }
        if blessed != text {
            std::fs::write(docs(), blessed).expect("a writable docs page");
            return;
        }
        // Every count the prose quotes (29/30, 0/95) is one of a table's.
        let prose = &text[text.find("What the table says").expect("the reading")..];
        for word in prose.split(|c: char| !(c.is_ascii_digit() || c == '/')) {
            let Some((k, n)) = word.split_once('/') else {
                continue;
            };
            if k.is_empty() || n.is_empty() {
                continue;
            }
            assert!(
                summary.contains(&format!("| **{word} ="))
                    || summary.contains(&format!("| {word} =")),
                "docs/gate-quality.md quotes {word}, which no table of {} holds",
                csv.display()
            );
        }
    }
}
