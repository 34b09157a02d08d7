//! The command line of `cargo perf`: clap's types only. Flags that choose
//! among the domain's values (`--format`, `--fail-on`, `--metric`,
//! `--color`) have enums of their own here, mapped into the domain's
//! (`render::Format`, `perf_stats::gate::FailOn`, …) with `From`, so that
//! no verdict or renderer knows clap (only the entry point, which parses,
//! and `completions`, which asks clap for the script, use it besides);
//! `settings` resolves the rest over `perf.toml` and the environment.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};
use perf_format::schema::record::MAX_SAMPLES;
use perf_format::units;

use perf_stats::gate::FailOn;

use crate::render::Format;
use crate::render::alerts::Duration;
use crate::render::color::{ColorChoice, Surroundings};
use crate::render::flamegraph::Weight;

/// Record runs of an instrumented program, keep baselines, and fail CI on
/// real performance regressions only.
///
/// Exit status: 0 nothing regressed, 1 a regression or an exceeded budget,
/// 2 trouble (bad arguments, a missing or corrupt file).
#[derive(Debug, Parser)]
#[command(name = "cargo-perf", bin_name = "cargo perf", version)]
pub struct Cli {
    /// Log what cargo perf does (-v), and in detail (-vv).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    /// Colour regressed rows red, improvements green, inconclusive and
    /// not-gated ones yellow: `auto` on a terminal, unless NO_COLOR or CI is set
    /// (CLICOLOR_FORCE colours a pipe too). JSON, Markdown and HTML are never coloured.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t, global = true)]
    pub(crate) color: ColorArg,
    /// The perf directory: where records and runs are read and written
    /// (DIR/records/, DIR/runs/, DIR/ab/); overrides $PERF_DIR [default:
    /// target/perf of the workspace]. Baselines stay in .perf/baselines/ at
    /// the workspace root.
    #[arg(long, value_name = "DIR", global = true)]
    pub(crate) perf_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a program N times (after warm-ups) and merge its runs into a record.
    Record(RecordArgs),
    /// Run `cargo bench` (criterion) and turn the benchmarks it ran into a record.
    Bench(BenchArgs),
    /// Turn results of another tool into a record.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Save, list, show or delete baselines (.perf/baselines/ at the workspace root).
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Compare a record against a baseline; exit 1 on a regression.
    Compare(CompareArgs),
    /// Build two git revisions, run them interleaved on this machine, and
    /// compare them as `compare` does; exit 1 on a regression.
    #[command(long_about = AB_ABOUT)]
    Ab(AbArgs),
    /// Hold a record against the budgets in perf.toml only; exit 1 if one is exceeded.
    #[command(long_about = CHECK_ABOUT)]
    Check(CheckArgs),
    /// Write Prometheus alerting rules from the budgets in perf.toml (and
    /// `promtool test rules` tests that prove each fires).
    #[command(long_about = ALERTS_ABOUT)]
    Alerts(AlertsArgs),
    /// Draw a record's flamegraph SVG (wall time, bytes allocated, CPU
    /// samples or instructions), or a differential one against a baseline.
    Flamegraph(FlamegraphArgs),
    /// Write one self-contained HTML page about a record: functions,
    /// interactive flamegraphs, the comparison against a baseline, the machine.
    Report(ReportArgs),
    /// List the records under the perf directory, newest first.
    Records,
    /// Print a completion script for SHELL (bash, zsh, fish, powershell,
    /// elvish) on stdout, e.g. `cargo perf completions bash > ~/.local/share/bash-completion/completions/cargo-perf`;
    /// it completes `cargo-perf …` typed as one word (cargo's own
    /// completion does not pass `cargo perf …` on to it).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Keep every commit's figures in git (notes on refs/notes/perf), find
    /// change points and slow creep in them, and share them through a remote.
    #[command(subcommand)]
    History(HistoryCommand),
    /// Run a program once for a while, a load alongside if given, and say
    /// whether its heap grows; exit 1 when it does.
    #[command(long_about = SOAK_ABOUT)]
    Soak(SoakArgs),
}

/// `cargo perf soak --help`.
const SOAK_ABOUT: &str = "\
Run a program once for a while, a load alongside if given, and say whether its heap grows; exit 1 \
when it does.

The program (built as `record` builds it) runs with PERF_DIR set, so that its perf_core::Session \
writes its run; it needs perf_core::PerfAlloc as its global allocator, for the heap timeline. \
The load command, run by `sh -c` in a process group of its own, starts once the program is \
ready: when it prints its first line on stdout (a server's `listening on …`), or 2 s after it \
started if it prints none. The program's stdout is passed on to stderr; the verdict is on \
stdout. When the duration is up the load is stopped, then the program: SIGINT, SIGTERM after \
the grace period, SIGKILL after another; it must finish its session on SIGINT or SIGTERM (or \
exit by itself before the duration is up).

The verdict: after the warm-up, the timeline is cut into 10 equal stretches and the lowest \
live heap of each is kept: the floor, which a leak raises and a buffer that fills and is \
cleared (a sawtooth) does not. A Theil–Sen line through the floor, with Sen's 95% interval, \
says stable when the interval holds zero or lies below --threshold, and growing otherwise, \
naming the functions that kept the most bytes per call. soak.json (perf-soak/1) is written \
beside the run's run.json.

Exit status: 0 stable, 1 growing, 2 trouble (bad settings, a program that fails, writes no \
run, ignores SIGINT and SIGTERM or has no heap timeline, a load that fails); trouble keeps \
nothing.";

/// `cargo perf soak`.
#[derive(Debug, Args)]
pub(crate) struct SoakArgs {
    /// How long the program runs before it is stopped (60s, 10m, 1h; at most a year).
    #[arg(long, value_name = "TIME", value_parser = parse_time, default_value = "60s")]
    pub(crate) duration: std::time::Duration,
    /// The start of the run left out of the fit: start-up, caches filling.
    #[arg(long, value_name = "TIME", value_parser = parse_time, default_value = "10s")]
    pub(crate) warmup: std::time::Duration,
    /// How long the program gets to finish after SIGINT, and again after SIGTERM.
    #[arg(long, value_name = "TIME", value_parser = parse_time, default_value = "5s")]
    pub(crate) grace: std::time::Duration,
    /// A command to load the program with, run by `sh -c` once the program
    /// is ready, such as "wrk -c16 -d60s http://127.0.0.1:8080/".
    #[arg(long, value_name = "CMD")]
    pub(crate) load: Option<String>,
    /// Growth per minute of the floor (a size: 512KiB, 1MiB) below which a
    /// heap shown to grow less is stable [default: 0: any growth shown].
    #[arg(long, value_name = "SIZE", value_parser = units::parse_bytes, default_value = "0")]
    pub(crate) threshold: f64,
    /// Output format of the verdict.
    #[arg(long, value_enum, default_value_t = SoakFormat::Table)]
    pub(crate) format: SoakFormat,
    /// What cargo builds.
    #[command(flatten)]
    pub(crate) build: CargoFlags,
    /// The program and its arguments (after `--`); with --example/--bin, the program's arguments.
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
}

/// How `soak` prints its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SoakFormat {
    /// Lines for a terminal.
    Table,
    /// `perf-soak/1`, as written to soak.json.
    Json,
}

/// The longest time a flag takes: a year, far beyond any soak, and far
/// below what an `Instant` can be advanced by.
const MAX_TIME: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 60 * 60);

/// A span of time such as "60s", "10m", "1h 30m" or "500ms", of at most
/// [`MAX_TIME`].
fn parse_time(text: &str) -> Result<std::time::Duration, String> {
    let time = humantime::parse_duration(text.trim()).map_err(|e| match e {
        humantime::DurationError::NumberOverflow => too_long(),
        _ => "expected a time such as 60s, 10m, 1h or 500ms".to_owned(),
    })?;
    if time > MAX_TIME {
        return Err(too_long());
    }
    Ok(time)
}

/// Why a time above [`MAX_TIME`] is refused.
fn too_long() -> String {
    "a time must be at most a year (365d)".to_owned()
}

/// `cargo perf history`.
#[derive(Debug, Subcommand)]
pub(crate) enum HistoryCommand {
    /// Add a record's figures (the median of its runs per function and
    /// metric) to the history of its commit.
    Add {
        /// The record: an id, `latest` or a path.
        #[arg(default_value = "latest")]
        record: String,
        /// The commit to file it under [default: the record's own; a record
        /// of a dirty working tree needs this].
        #[arg(long, value_name = "REV")]
        commit: Option<String>,
    },
    /// List the commits with figures, oldest first (first-parent order from
    /// HEAD), and the imported series.
    List,
    /// Show one function's series, oldest first.
    Show {
        /// The function (or an imported series' name).
        function: String,
        /// Only this metric (a key such as `time_per_call_ns`, or a label
        /// such as `time/call`) [default: every metric it has].
        #[arg(long, value_name = "METRIC")]
        metric: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = HistoryFormat::Table)]
        format: HistoryFormat,
    },
    /// Find the level shifts (E-divisive means with a t-test, as Apache
    /// Otava) and slow creep in every function × metric series; exit 1 when
    /// a series' newest change, or its creep, is a regression beyond the
    /// threshold.
    Detect {
        /// Only this metric [default: time/call, allocs/call, bytes/call and,
        /// in instruction records, instr/call and est. cycles/call; every
        /// column of an import].
        #[arg(long, value_name = "METRIC")]
        metric: Option<String>,
        /// A change this large (worse) fails [default: 5%].
        #[arg(long, value_name = "PERCENT", value_parser = units::parse_percent, default_value = "5%")]
        threshold: f64,
        /// The smallest change point listed, as Otava's minimum magnitude
        /// [default: the threshold].
        #[arg(long, value_name = "PERCENT", value_parser = units::parse_percent, conflicts_with = "all")]
        min_change: Option<f64>,
        /// List every significant change point, however small
        /// (`--min-change 0`).
        #[arg(long)]
        all: bool,
        /// The significance level of each change point's test.
        #[arg(long, value_name = "ALPHA", value_parser = units::parse_significance, default_value = "0.01")]
        significance: f64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = HistoryFormat::Table)]
        format: HistoryFormat,
    },
    /// Import another tool's history: an Apache Otava (Hunter) CSV file,
    /// `time,commit,<one column per series>`, one row per commit, oldest first.
    Import {
        /// The CSV file.
        #[arg(long, value_name = "FILE")]
        csv: PathBuf,
        /// The import's name [default: the file's stem].
        #[arg(long)]
        name: Option<String>,
        /// A column whose rise is an improvement (throughput, requests per
        /// second); repeatable. Kept with the import.
        #[arg(long, value_name = "COLUMN")]
        higher_is_better: Vec<String>,
    },
    /// Push the history to a remote (fetching and merging what others
    /// pushed meanwhile; no entry is lost).
    Push {
        /// The remote.
        #[arg(default_value = "origin")]
        remote: String,
    },
    /// Fetch a remote's history and merge it into this repository's.
    Pull {
        /// The remote.
        #[arg(default_value = "origin")]
        remote: String,
    },
}

/// How `history` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum HistoryFormat {
    /// Aligned columns for a terminal.
    Table,
    /// JSON (`perf-detect/1` for `detect`).
    Json,
    /// A Markdown table, for a pull request or a job summary.
    Markdown,
}

/// `--format` of `compare`, `ab` and `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FormatArg {
    /// Aligned columns for a terminal.
    Table,
    /// A Markdown table for a pull request (also appended to $GITHUB_STEP_SUMMARY).
    Markdown,
    /// JSON, schema perf-compare/1 (perf-check/1 for `check`; see docs/formats.md).
    Json,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Table => Format::Table,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Json => Format::Json,
        }
    }
}

impl From<HistoryFormat> for Format {
    fn from(format: HistoryFormat) -> Format {
        match format {
            HistoryFormat::Table => Format::Table,
            HistoryFormat::Markdown => Format::Markdown,
            HistoryFormat::Json => Format::Json,
        }
    }
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailOnArg {
    /// On a regression or an exceeded budget.
    #[default]
    Regression,
    /// Also on a row that gates but is inconclusive: strict, for a gate
    /// that must have enough runs to decide every row.
    Inconclusive,
    /// Never: report only.
    Never,
}

impl From<FailOnArg> for FailOn {
    fn from(fail_on: FailOnArg) -> FailOn {
        match fail_on {
            FailOnArg::Regression => FailOn::Regression,
            FailOnArg::Inconclusive => FailOn::Inconclusive,
            FailOnArg::Never => FailOn::Never,
        }
    }
}

/// `flamegraph --metric`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum WeightArg {
    /// Self wall time of instrumented functions (ns per run).
    Time,
    /// Bytes allocated by instrumented functions' own code (per run).
    Alloc,
    /// CPU samples (perf-core's `cpu` feature).
    Cpu,
    /// Self instructions of instrumented functions (per run), in
    /// instruction records (`record --instructions`).
    Instructions,
}

impl From<WeightArg> for Weight {
    fn from(weight: WeightArg) -> Weight {
        match weight {
            WeightArg::Time => Weight::Time,
            WeightArg::Alloc => Weight::Alloc,
            WeightArg::Cpu => Weight::Cpu,
            WeightArg::Instructions => Weight::Instructions,
        }
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorArg {
    /// On a terminal, unless `NO_COLOR` is set or `CI` is (or
    /// `CLICOLOR_FORCE` asks for colour anyway).
    #[default]
    Auto,
    /// Always, also into a pipe or a file.
    Always,
    /// Never.
    Never,
}

impl From<ColorArg> for ColorChoice {
    fn from(color: ColorArg) -> ColorChoice {
        match color {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        }
    }
}

/// The colour clap's own help and errors get for the command line `args`,
/// read before clap parses it (clap decides about terminals): the last
/// `--color` before `--`, in the surroundings of this process.
pub(crate) fn clap_color(args: &[OsString]) -> clap::ColorChoice {
    let mut choice = ColorChoice::Auto;
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        let value = match word.strip_prefix("--color") {
            Some("") => words.next().map(|v| v.into_owned()),
            Some(rest) => rest.strip_prefix('=').map(str::to_owned),
            None => None,
        };
        choice = match value.as_deref() {
            Some("always") => ColorChoice::Always,
            Some("never") => ColorChoice::Never,
            Some("auto") => ColorChoice::Auto,
            _ => choice,
        };
    }
    let surroundings = Surroundings::of_process();
    match choice {
        ColorChoice::Always => clap::ColorChoice::Always,
        ColorChoice::Never => clap::ColorChoice::Never,
        _ if surroundings.no_color => clap::ColorChoice::Never,
        _ if surroundings.clicolor_force => clap::ColorChoice::Always,
        _ if surroundings.ci => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}

/// `cargo perf record`.
#[derive(Debug, Args)]
pub(crate) struct RecordArgs {
    /// How many runs.
    #[command(flatten)]
    pub(crate) plan: RunPlan,
    /// The record's name (default: the program's).
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// What cargo builds.
    #[command(flatten)]
    pub(crate) build: CargoFlags,
    /// Count instructions: build with `--cfg perf_instructions` (with
    /// --example/--bin) and run under Valgrind's callgrind; the record is an
    /// instruction record, gated on instructions and estimated cycles per call.
    #[arg(long)]
    pub(crate) instructions: bool,
    /// The program and its arguments (after `--`); with --example/--bin, the program's arguments.
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
}

/// `cargo perf bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// The record's name.
    #[arg(long, default_value = "bench")]
    pub(crate) name: String,
    /// Arguments for `cargo bench` (after `--`).
    #[arg(last = true, value_name = "CARGO BENCH ARGS")]
    pub(crate) cargo_args: Vec<String>,
}

/// `cargo perf import`.
#[derive(Debug, Subcommand)]
pub(crate) enum ImportCommand {
    /// Read an existing criterion results tree (default: target/criterion).
    Criterion(ImportCriterionArgs),
}

/// `cargo perf import criterion`.
#[derive(Debug, Args)]
pub(crate) struct ImportCriterionArgs {
    /// The criterion directory (default: $CRITERION_HOME, else target/criterion).
    pub(crate) dir: Option<PathBuf>,
    /// Which of criterion's sample sets to read: `new` (its latest run),
    /// `base`, or a name given to criterion's --save-baseline.
    #[arg(long, value_name = "NAME", default_value = "new")]
    pub(crate) baseline: String,
    /// The record's name.
    #[arg(long, default_value = "criterion")]
    pub(crate) name: String,
}

/// `cargo perf baseline`.
#[derive(Debug, Subcommand)]
pub(crate) enum BaselineCommand {
    /// Save a record as baseline NAME (replacing one of that name).
    Save {
        /// The baseline's name, such as `main`.
        name: String,
        /// The record to save: an id, `latest` or a path.
        #[arg(long, value_name = "RECORD")]
        from: Option<String>,
    },
    /// List the saved baselines.
    List,
    /// Show a baseline's functions and figures.
    Show {
        /// The baseline's name.
        name: String,
        /// Which functions are shown.
        #[command(flatten)]
        filter: FilterFlags,
    },
    /// Delete a baseline.
    Delete {
        /// The baseline's name.
        name: String,
    },
}

/// `cargo perf compare`.
#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// What to judge against: a baseline saved in .perf/baselines/, else
    /// a path to a record, baseline or run, else a record id or `latest`
    /// [default: main].
    pub(crate) baseline: Option<String>,
    /// The record to judge: an id, `latest` or a path.
    #[arg(long, value_name = "RECORD", default_value = "latest")]
    pub(crate) against: String,
    /// Judge against the history instead of a baseline
    /// (`cargo perf history`): the program's commits since its last change
    /// point, one sample each.
    #[arg(long, conflicts_with = "baseline")]
    pub(crate) history: bool,
    /// How the verdict is reached and shown.
    #[command(flatten)]
    pub(crate) verdict: VerdictFlags,
}

/// `cargo perf ab --help`.
const AB_ABOUT: &str = "\
Build two git revisions, run them interleaved on this machine, and compare them as `compare` does; \
exit 1 on a regression.

BASE and HEAD are git revisions (anything `git rev-parse` takes: a branch, tag, commit, \
origin/main, HEAD~1); HEAD defaults to the working tree, uncommitted changes included. A \
revision is built in a worktree and target directory of its own under <perf dir>/ab/, kept \
for later calls (the base of a pull request is built once); the working tree is built in place, \
as `record` builds it. Both sides are built with the same flags (--package, --features, \
--profile …); without --example or --bin, the binary `cargo run` would run in the current \
directory is built on both sides. After the warm-ups the two programs run in pairs, one run of each side \
per pair, half the pairs BASE first, in an order drawn from a seed (printed; --seed repeats it): \
a machine that drifts slows both sides alike. Each side becomes a record (ab-base-COMMIT, \
ab-head-COMMIT) and the gate judges HEAD against BASE with perf.toml's settings and budgets: \
the same tables, formats and exit status as `compare`, with a note on the drift the \
interleaving took out.

Exit status: 0 nothing regressed, 1 a regression or an exceeded budget, 2 trouble (not a git \
repository, an unknown revision, a side that does not build or whose run fails).";

/// `cargo perf ab`.
#[derive(Debug, Args)]
pub(crate) struct AbArgs {
    /// The revision to judge against: a branch, tag or commit (anything `git rev-parse` takes).
    pub(crate) base: String,
    /// The revision to judge [default: the working tree, uncommitted changes included].
    pub(crate) head: Option<String>,
    /// How many runs a side.
    #[command(flatten)]
    pub(crate) plan: RunPlan,
    /// The seed of the run order, to repeat one [default: a fresh one, printed].
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Count instructions: build each side with `--cfg perf_instructions`
    /// and run it under Valgrind's callgrind; both records are instruction
    /// records, gated on instructions and estimated cycles per call.
    #[arg(long)]
    pub(crate) instructions: bool,
    /// What cargo builds, of each revision.
    #[command(flatten)]
    pub(crate) build: CargoFlags,
    /// How the verdict is reached and shown.
    #[command(flatten)]
    pub(crate) verdict: VerdictFlags,
    /// Arguments for the program (after `--`).
    #[arg(last = true, value_name = "ARGS")]
    pub(crate) args: Vec<String>,
}

/// How many runs `record` and `ab` make (a side, for `ab`).
#[derive(Debug, Args)]
pub(crate) struct RunPlan {
    /// Measured runs (a side with `ab`; a record keeps at most 2 000). Ten
    /// let the gate decide rows among hundreds of tests; five cannot reach
    /// significance once more than one row is tested. Instruction counts
    /// do not need more than one [default: 10; 1 with --instructions].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_SAMPLES as i64))]
    pub(crate) runs: Option<u32>,
    /// Runs before them whose results are thrown away, at most 2 000
    /// [default: 1; 0 with --instructions, whose counts need no warming].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=MAX_SAMPLES as i64))]
    pub(crate) warmup: Option<u32>,
}

impl RunPlan {
    /// Measured runs: as given, else 10, or 1 when counting instructions
    /// (under callgrind a run takes 40–100× as long, and counts are the
    /// same in every run).
    pub(crate) fn runs(&self, instructions: bool) -> usize {
        self.runs.unwrap_or(if instructions { 1 } else { 10 }) as usize
    }

    /// Warm-up runs: as given, else 1, or 0 when counting instructions.
    pub(crate) fn warmup(&self, instructions: bool) -> usize {
        self.warmup.unwrap_or(if instructions { 0 } else { 1 }) as usize
    }
}

/// What `record`, `ab` and `soak` build, with the flags of `cargo build`
/// (of each revision, for `ab`). Without --example or --bin (or a command
/// after `--`) they run the package's only binary, as `cargo run` does.
#[derive(Debug, Default, Args)]
pub(crate) struct CargoFlags {
    /// Build this example and run it.
    #[arg(long, value_name = "NAME", help_heading = "Build")]
    pub(crate) example: Option<String>,
    /// Build this binary and run it [default: the package's only binary,
    /// or its `default-run`].
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with = "example",
        help_heading = "Build"
    )]
    pub(crate) bin: Option<String>,
    /// The package to build [default: the package in the current directory].
    #[arg(short, long, value_name = "SPEC", help_heading = "Build")]
    pub(crate) package: Option<String>,
    /// Features to activate, comma or space separated (repeatable).
    #[arg(short = 'F', long, value_name = "FEATURES", action = ArgAction::Append, help_heading = "Build")]
    pub(crate) features: Vec<String>,
    /// Activate all available features.
    #[arg(long, help_heading = "Build")]
    pub(crate) all_features: bool,
    /// Do not activate the `default` feature.
    #[arg(long, help_heading = "Build")]
    pub(crate) no_default_features: bool,
    /// Build with this cargo profile, such as `profiling` (`dev` is cargo's
    /// debug build) [default: release].
    #[arg(long, value_name = "PROFILE-NAME", help_heading = "Build")]
    pub(crate) profile: Option<String>,
}

/// How `compare` and `ab` judge and show their verdict.
#[derive(Debug, Args)]
pub(crate) struct VerdictFlags {
    /// How the gate judges.
    #[command(flatten)]
    pub(crate) gate: GateFlags,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub(crate) format: FormatArg,
    /// Show every row, also unchanged ones.
    #[arg(long)]
    pub(crate) all: bool,
    /// Which functions are judged.
    #[command(flatten)]
    pub(crate) filter: FilterFlags,
}

/// `--filter`, on the commands that show a record's functions.
#[derive(Debug, Default, Args)]
pub(crate) struct FilterFlags {
    /// Only functions whose name contains TEXT (plain text, case-sensitive,
    /// as `cargo test` filters; repeat it to keep functions matching any).
    /// compare and ab show and gate on only their rows (the whole-program
    /// rows and the budgets of other functions are left out), tested with
    /// every other row, so that a filter chosen after looking cannot make
    /// a row significant; check holds only their budgets; baseline show
    /// lists only them; flamegraph and report keep only the stacks that
    /// pass through a matching frame.
    #[arg(long, value_name = "TEXT", action = ArgAction::Append)]
    pub(crate) filter: Vec<String>,
}

/// The gate's flags, over `[compare]` in perf.toml.
#[derive(Debug, Default, Args)]
pub(crate) struct GateFlags {
    /// A time row proven slower that may be this much slower or more is a
    /// regression; calls per run and the peak heap count from it too [perf.toml, else 5%].
    #[arg(long, value_name = "PERCENT", value_parser = units::parse_percent)]
    pub(crate) threshold: Option<f64>,
    /// Smallest change of allocations, bytes or net bytes per call that
    /// counts [perf.toml, else 0%].
    #[arg(long, value_name = "PERCENT", value_parser = units::parse_percent)]
    pub(crate) alloc_threshold: Option<f64>,
    /// Smallest change of instructions or estimated cycles per call that
    /// counts, in instruction records (`record --instructions`) [perf.toml, else 0.5%].
    #[arg(long, value_name = "PERCENT", value_parser = units::parse_percent)]
    pub(crate) instructions_threshold: Option<f64>,
    /// α: the false discovery rate of the rows that gate, after the
    /// Benjamini–Hochberg adjustment [perf.toml, else 0.01].
    #[arg(long, value_name = "ALPHA", value_parser = units::parse_significance)]
    pub(crate) significance: Option<f64>,
    /// When to exit 1: on a regression (or exceeded budget), also on an
    /// inconclusive row that gates, or never.
    #[arg(long, value_enum, default_value_t = FailOnArg::Regression)]
    pub(crate) fail_on: FailOnArg,
    /// Compare records of another program or build (profile, perf-core
    /// features, rustc) too, showing what differs above the table.
    #[arg(long)]
    pub(crate) allow_mismatch: bool,
}

/// `cargo perf check --help`: what a budget is.
const CHECK_ABOUT: &str = "\
Hold a record against the budgets in perf.toml only (no baseline); exit 1 if one is exceeded.

Budgets are absolute limits, one [[budget]] table each in perf.toml at the workspace root:

    [[budget]]
    function = \"app::handler\"   # the full name, module::path::fn
    p95 = \"200us\"               # 95th percentile of the time per call
    p99 = \"1ms\"                 # 99th percentile of the time per call
    mean = \"150us\"              # mean time per call, callees included
    allocs_per_call = 4         # allocations per call, callees included
    net_bytes_per_call = 0      # bytes a call allocates and does not free
    error_rate = \"1%\"           # calls that return Err or unwind, of all calls

    [[budget]]                  # no function: the whole program
    peak_heap = \"64MiB\"         # the most heap live at once in a run

The allocation limits need perf_core::PerfAlloc as the program's global allocator. A function's \
name is written in full, as `cargo perf baseline show` lists it. Times take a unit: ns, us (or µs), ms, s. Sizes: B, KiB, MiB, GiB (or kB, MB, GB), or a \
number of bytes. A function's figure is the median over the record's runs; for p95 and p99, \
the median of each run's own percentile per call. A limit is exceeded when even the lower \
confidence bound of that median (at 1 − significance of [compare]) is above it, so a function \
whose runs straddle its limit does not flip from record to record. An error rate is the \
failed calls over all calls of all runs (a run of a perf-core that counted no errors reads as \
none), exceeded when the lower end of its Wilson score interval, at the same confidence, is \
above the limit. `compare` and `ab` check the same budgets beside their verdict; `cargo perf \
alerts` turns them into Prometheus alerting rules.

Exit status: 0 every limit met, 1 a limit exceeded, 2 trouble (no perf.toml or no [[budget]] \
in it, a mistake in it, a function the record does not have: the message names the file, the \
line and the fix).";

/// `cargo perf check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The record to check: an id, `latest` or a path.
    #[arg(long, value_name = "RECORD", default_value = "latest")]
    pub(crate) against: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub(crate) format: FormatArg,
    /// Which functions' budgets are checked.
    #[command(flatten)]
    pub(crate) filter: FilterFlags,
}

/// `cargo perf alerts --help`: what the rules are.
const ALERTS_ABOUT: &str = "\
Write Prometheus alerting rules from the budgets in perf.toml, for a program that serves its \
figures (perf-core's `serve` feature, or PERF_SERVE=ADDR): one rule per limit, in one group \
`perf-budgets`, each labelled with its budget's file and line (budget=\"perf.toml:12\") and \
firing once its condition held for --for.

    p95, p99  histogram_quantile over rate(perf_function_duration_seconds_bucket[5m])
    mean      rate(perf_function_duration_seconds_sum) / rate(…_count)
    error_rate  rate(perf_function_errors_total) / rate(perf_function_calls_total)
    allocs_per_call  rate(perf_function_allocations_total) / rate(…calls_total)
    net_bytes_per_call  rate(…allocated_bytes_total) - rate(…freed_bytes_total), per call
    peak_heap  perf_heap_peak_bytes (the whole program, per instance)

A function's figures are summed over the instances that serve it (`sum by (function)`). Every \
field of a budget becomes a rule. The rules go to stdout, or to -o FILE (replaced whole, never \
left half written). With --tests, FILE's tests go beside it as FILE's name with `.test` before \
its extension (rules.yml → rules.test.yml): for each rule, series above its limit for longer than \
--for (it fires, with exactly its labels and summary) and below it (it does not); run them with \
`promtool test rules rules.test.yml`.

Exit status: 0 written, 2 trouble (no perf.toml, no [[budget]] in it, a mistake in it, a bad \
--for: the message names the file, the line and the fix).";

/// `cargo perf alerts`.
#[derive(Debug, Args)]
pub(crate) struct AlertsArgs {
    /// The perf.toml to read [default: perf.toml at the workspace root].
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// How long a limit must stay exceeded before its alert fires, in
    /// Prometheus's syntax (30s, 5m, 1h30m).
    #[arg(long = "for", value_name = "DURATION", default_value = "5m", value_parser = Duration::parse)]
    pub(crate) hold: Duration,
    /// Also write `promtool test rules` tests of the rules beside -o FILE
    /// (FILE's name with `.test` before its extension).
    #[arg(long, requires = "output")]
    pub(crate) tests: bool,
    /// Where to write the rules (`-` for standard output) [default: standard output].
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// `cargo perf flamegraph`.
#[derive(Debug, Args)]
pub(crate) struct FlamegraphArgs {
    /// The record to draw: an id, `latest` or a path to a record or run file.
    #[arg(default_value = "latest")]
    pub(crate) record: String,
    /// What the widths stand for: self wall time, bytes allocated, CPU
    /// samples (perf-core's `cpu` feature), or self instructions
    /// (instruction records: `record --instructions`).
    #[arg(long, value_enum, default_value_t = WeightArg::Time)]
    pub(crate) metric: WeightArg,
    /// Draw a differential flamegraph against BASELINE, read as `compare`
    /// reads it (a baseline saved in .perf/baselines/, else a path, else a
    /// record id or `latest`): red grew, blue shrank.
    #[arg(long, value_name = "BASELINE")]
    pub(crate) diff: Option<String>,
    /// With --diff: draw against a record of another program or build too.
    #[arg(long, requires = "diff")]
    pub(crate) allow_mismatch: bool,
    /// Which functions' stacks are drawn.
    #[command(flatten)]
    pub(crate) filter: FilterFlags,
    /// Where to write the SVG (`-` for standard output) [default:
    /// flamegraph-METRIC.svg in the record's directory].
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// `cargo perf report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The record to report on: an id, `latest` or a path to a record or run file.
    #[arg(default_value = "latest")]
    pub(crate) record: String,
    /// Compare against BASELINE, read as `compare` reads it (a baseline
    /// saved in .perf/baselines/, else a path, else a record id or
    /// `latest`) [default: `main` when it exists].
    #[arg(long, value_name = "BASELINE")]
    pub(crate) baseline: Option<String>,
    /// Compare against a baseline of another program or build too.
    #[arg(long)]
    pub(crate) allow_mismatch: bool,
    /// Which functions the page shows.
    #[command(flatten)]
    pub(crate) filter: FilterFlags,
    /// Where to write the page (`-` for standard output) [default:
    /// report.html in the record's directory].
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Add the history's trend charts (`cargo perf history`): each
    /// function's series, its change points marked.
    #[arg(long)]
    pub(crate) history: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn record_takes_a_command_after_the_separator() {
        let cli = Cli::try_parse_from(["cargo-perf", "record", "--runs", "3", "--", "prog", "-x"])
            .unwrap();
        let Command::Record(args) = cli.command else {
            panic!("not record")
        };
        assert_eq!((args.plan.runs(false), args.plan.warmup(false)), (3, 1));
        assert_eq!(args.command, ["prog", "-x"]);
        // With nothing to run, the package's only binary is built.
        let Command::Record(args) = Cli::try_parse_from(["cargo-perf", "record"])
            .unwrap()
            .command
        else {
            panic!("not record")
        };
        assert!(args.build.bin.is_none() && args.command.is_empty());
        assert!(Cli::try_parse_from(["cargo-perf", "record", "--runs", "0", "--", "p"]).is_err());
    }

    #[test]
    fn counting_instructions_takes_one_run_and_no_warm_up_unless_told() {
        let plan = |args: &[&str]| {
            let argv = ["cargo-perf", "record"]
                .iter()
                .chain(args)
                .chain(&["--", "p"]);
            let Command::Record(args) = Cli::try_parse_from(argv).unwrap().command else {
                panic!("not record")
            };
            (
                args.plan.runs(args.instructions),
                args.plan.warmup(args.instructions),
            )
        };
        assert_eq!(plan(&[]), (10, 1));
        assert_eq!(plan(&["--instructions"]), (1, 0));
        assert_eq!(
            plan(&["--instructions", "--runs", "3", "--warmup", "1"]),
            (3, 1)
        );
    }

    #[test]
    fn thresholds_are_percentages() {
        let cli = Cli::try_parse_from(["cargo-perf", "compare", "--threshold", "3%"]).unwrap();
        let Command::Compare(args) = cli.command else {
            panic!("not compare")
        };
        assert_eq!(args.verdict.gate.threshold, Some(0.03));
        assert_eq!(args.baseline, None);
        let err = Cli::try_parse_from(["cargo-perf", "compare", "--threshold", "x"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let cli =
            Cli::try_parse_from(["cargo-perf", "compare", "--instructions-threshold", "0.5%"])
                .unwrap();
        let Command::Compare(args) = cli.command else {
            panic!("not compare")
        };
        assert_eq!(args.verdict.gate.instructions_threshold, Some(0.005));
    }

    #[test]
    fn flamegraph_and_report_default_to_the_latest_record() {
        let cli = Cli::try_parse_from(["cargo-perf", "flamegraph", "--metric", "alloc"]).unwrap();
        let Command::Flamegraph(args) = cli.command else {
            panic!("not flamegraph")
        };
        assert_eq!(
            (args.record.as_str(), Weight::from(args.metric)),
            ("latest", Weight::Alloc)
        );
        let cli = Cli::try_parse_from(["cargo-perf", "report", "x", "-o", "-"]).unwrap();
        let Command::Report(args) = cli.command else {
            panic!("not report")
        };
        assert_eq!(args.record, "x");
        assert_eq!(args.output, Some(PathBuf::from("-")));
        assert!(Cli::try_parse_from(["cargo-perf", "flamegraph", "--metric", "heap"]).is_err());
    }

    #[test]
    fn build_flags_are_cargos() {
        let cli = Cli::try_parse_from([
            "cargo-perf",
            "record",
            "-p",
            "app",
            "-F",
            "a,b",
            "--features",
            "c",
            "--no-default-features",
            "--profile",
            "profiling",
        ])
        .unwrap();
        let Command::Record(args) = cli.command else {
            panic!("not record")
        };
        assert_eq!(args.build.package.as_deref(), Some("app"));
        assert_eq!(args.build.features, ["a,b", "c"]);
        assert!(args.build.no_default_features && !args.build.all_features);
        assert_eq!(args.build.profile.as_deref(), Some("profiling"));
    }

    #[test]
    fn the_perf_directory_is_perf_dir_and_a_file_is_output() {
        let cli = Cli::try_parse_from([
            "cargo-perf",
            "flamegraph",
            "--perf-dir",
            "d",
            "-o",
            "f.svg",
            "--filter",
            "db::",
            "--filter",
            "parse",
        ])
        .unwrap();
        assert_eq!(cli.perf_dir, Some(PathBuf::from("d")));
        let Command::Flamegraph(args) = cli.command else {
            panic!("not flamegraph")
        };
        assert_eq!(args.output, Some(PathBuf::from("f.svg")));
        assert_eq!(args.filter.filter, ["db::", "parse"]);
        assert!(Cli::try_parse_from(["cargo-perf", "records", "--out", "d"]).is_err());
        // Before the command or after it, on every command.
        for argv in [
            &["cargo-perf", "--perf-dir", "d", "baseline", "list"][..],
            &["cargo-perf", "history", "add", "--perf-dir", "d"],
            &["cargo-perf", "records", "--perf-dir", "d"],
        ] {
            let cli = Cli::try_parse_from(argv).unwrap();
            assert_eq!(cli.perf_dir, Some(PathBuf::from("d")), "{argv:?}");
        }
    }

    #[test]
    fn soak_takes_times_and_a_size() {
        let cli = Cli::try_parse_from([
            "cargo-perf",
            "soak",
            "--duration",
            "2m",
            "--threshold",
            "1MiB",
            "--example",
            "leak",
        ])
        .unwrap();
        let Command::Soak(args) = cli.command else {
            panic!("not soak")
        };
        assert_eq!(args.duration, std::time::Duration::from_secs(120));
        assert_eq!(args.warmup, std::time::Duration::from_secs(10));
        assert_eq!(args.threshold, 1024.0 * 1024.0);
        let err = Cli::try_parse_from(["cargo-perf", "soak", "--duration", "soon", "--", "p"])
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains("expected a time such as 60s"),
            "{err}"
        );
        assert!(
            Cli::try_parse_from(["cargo-perf", "soak", "--example", "a", "--bin", "b"]).is_err()
        );
    }

    #[test]
    fn clap_follows_the_flag_wherever_it_is() {
        let args = |words: &[&str]| words.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            clap_color(&args(&["cargo-perf", "compare", "--color", "never"])),
            clap::ColorChoice::Never
        );
        assert_eq!(
            clap_color(&args(&["cargo-perf", "--color=always", "check"])),
            clap::ColorChoice::Always
        );
        assert_eq!(
            clap_color(&args(&["cargo-perf", "record", "--", "--color=always"])),
            clap_color(&args(&["cargo-perf", "record"]))
        );
    }
}
