//! What each subcommand does, from parsed arguments to printed output and
//! an outcome: one file per subcommand. Each reads its settings through a
//! [`Context`] (the perf directory, the colour) and the settings module,
//! runs programs through `run`, reads and writes files through `store`,
//! judges through `perf_stats`, and prints what `render` draws.

mod ab;
mod alerts;
mod baseline;
mod bench;
mod check;
mod compare;
mod completions;
mod flamegraph;
mod history;
mod import;
mod record;
mod records;
mod report;
mod soak;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use perf_format::files;
use perf_format::layout::Layout;
use perf_format::schema::record::Record;

use crate::Error;
use crate::cli::{CargoFlags, Cli, Command, ImportCommand};
use crate::render::color::{ColorChoice, Palette, Surroundings};
use crate::run::cargo::{CargoBuild, CargoTarget, Metadata};
use crate::run::program::Target;
use crate::settings;
use crate::shell::shell_words;

/// How a command ended, when it ended without trouble.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing regressed (exit 0).
    Passed,
    /// A regression or an exceeded budget (exit 1).
    Failed,
}

impl Outcome {
    /// Failed when `failed`, else passed.
    fn failed_if(failed: bool) -> Outcome {
        if failed {
            Outcome::Failed
        } else {
            Outcome::Passed
        }
    }
}

/// What every command may read besides its own arguments: the global flags.
struct Context {
    /// `--perf-dir`, if given.
    perf_dir: Option<PathBuf>,
    /// How tables are painted.
    palette: Palette,
}

impl Context {
    /// The workspace and perf directory seen from here (see [`settings::layout`]).
    fn layout(&self) -> Result<Layout, Error> {
        settings::layout(self.perf_dir.as_deref())
    }
}

/// Runs the command line.
pub(crate) fn run(cli: Cli) -> Result<Outcome, Error> {
    let context = Context {
        perf_dir: cli.perf_dir,
        palette: ColorChoice::from(cli.color).palette(Surroundings::of_process()),
    };
    // A command that makes records may make the output root; failing, it
    // leaves none of the directories it made.
    let made = match &cli.command {
        Command::Record(_)
        | Command::Bench(_)
        | Command::Import(_)
        | Command::Ab(_)
        | Command::Soak(_) => MadeRoot::note(&context),
        _ => MadeRoot(None),
    };
    let outcome = run_command(&context, cli.command);
    if outcome.is_err() {
        made.undo();
    }
    outcome
}

/// Runs one command.
fn run_command(context: &Context, command: Command) -> Result<Outcome, Error> {
    match command {
        Command::Record(args) => record::run(context, args),
        Command::Bench(args) => bench::run(context, args),
        Command::Import(ImportCommand::Criterion(args)) => import::run(context, args),
        Command::Baseline(command) => baseline::run(context, command),
        Command::Compare(args) => compare::run(context, args),
        Command::Ab(args) => ab::run(context, args),
        Command::Check(args) => check::run(context, args),
        Command::Alerts(args) => alerts::run(context, args),
        Command::Flamegraph(args) => flamegraph::run(context, args),
        Command::Report(args) => report::run(context, args),
        Command::Records => records::run(context),
        Command::Completions { shell } => completions::run(shell),
        Command::History(command) => history::run(context, command),
        Command::Soak(args) => soak::run(context, args),
    }
}

/// The output root, if it did not exist before the command ran.
struct MadeRoot(Option<PathBuf>);

impl MadeRoot {
    /// Notes whether the output root exists.
    fn note(context: &Context) -> MadeRoot {
        MadeRoot(
            context
                .layout()
                .ok()
                .map(|layout| layout.output().to_owned())
                .filter(|root| !root.exists()),
        )
    }

    /// Removes the directories the command made under a root that did not
    /// exist, if they hold no file.
    fn undo(self) {
        if let Some(root) = self.0 {
            remove_if_empty(&root);
        }
    }
}

/// Removes `dir` and the directories in it, bottom up, if no file is in
/// them; whether it was removed.
fn remove_if_empty(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let mut empty = true;
    for entry in entries.flatten() {
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        empty &= is_dir && remove_if_empty(&entry.path());
    }
    empty && std::fs::remove_dir(dir).is_ok()
}

/// A path the user gave, as a terminal shows it (control characters
/// escaped, see [`crate::render::text::terminal`]).
fn shown_path(path: &Path) -> String {
    crate::render::text::terminal(&path.display().to_string()).into_owned()
}

/// Writes text to stdout (see [`to_stdout`]).
fn print(text: &str) -> Result<(), Error> {
    to_stdout(text.as_bytes())
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn to_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(perf_format::Error::write("standard output", e).into())
        }
        _ => Ok(()),
    }
}

/// Writes `bytes` to `output` (`-` is standard output), else to `default`
/// in a directory made if need be; whole or not at all. Returns the file
/// written, if any.
fn write_output(
    output: Option<PathBuf>,
    default: PathBuf,
    bytes: &[u8],
) -> Result<Option<PathBuf>, Error> {
    let path = match output {
        Some(path) if path.as_os_str() == "-" => return to_stdout(bytes).map(|()| None),
        Some(path) => path,
        None => {
            if let Some(dir) = default.parent() {
                files::create_dir_all(dir)?;
            }
            default
        }
    };
    write_file(&path, bytes)?;
    Ok(Some(path))
}

/// Writes `bytes` to the file at `path` given by the user (`-o`), whole or
/// not at all; to a device or a FIFO there (`/dev/null`, a pipe) they are
/// written through, never replacing it by a file.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if !special {
        files::write_atomic(path, |w| w.write_all(bytes))?;
        return Ok(());
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut device| {
            device.write_all(bytes)?;
            device.flush()
        })
        .map_err(|e| perf_format::Error::write(path, e).into())
}

/// The current directory: where git and cargo are asked about the
/// repository and the workspace.
fn current_dir() -> Result<PathBuf, Error> {
    Ok(perf_format::layout::current_dir()?)
}

/// The program of `record` and `soak`: an example or binary to build,
/// else the command after `--`, else the binary `cargo run` would run
/// (see [`cargo_program`]).
fn target(build: CargoFlags, command: Vec<String>) -> Result<Target, Error> {
    if build.example.is_none() && build.bin.is_none() && !command.is_empty() {
        // Nothing is built: a build flag would be silently lost.
        let features = build.features.join(",");
        let given = [
            build.package.as_ref().map(|p| format!("--package {p}")),
            (!build.features.is_empty()).then(|| format!("--features {features}")),
            build.all_features.then(|| "--all-features".to_owned()),
            build
                .no_default_features
                .then(|| "--no-default-features".to_owned()),
            build.profile.as_ref().map(|p| format!("--profile {p}")),
        ];
        if let Some(flag) = given.into_iter().flatten().next() {
            return Err(perf_format::Error::setting(
                "build flag",
                flag,
                format!(
                    "nothing is built for the command after `--` (`{}`), which is run as it is: build it yourself, or add --bin NAME or --example NAME (its arguments then go after `--`)",
                    shell_words(&command)
                ),
            )
            .into());
        }
        return Ok(Target::Command(command));
    }
    let (kind, name, flags) = cargo_program(build)?;
    Ok(Target::Cargo {
        kind,
        name,
        build: flags,
        args: command,
    })
}

/// The example or binary to build and how: as given, else, as `cargo run`
/// picks one, the package's `default-run` or only binary (found with
/// `cargo metadata`, its package then named in the build).
fn cargo_program(build: CargoFlags) -> Result<(CargoTarget, String, CargoBuild), Error> {
    let mut flags = CargoBuild {
        package: build.package,
        features: build.features,
        all_features: build.all_features,
        no_default_features: build.no_default_features,
        profile: build.profile,
    };
    let (kind, name) = match (build.example, build.bin) {
        (Some(name), _) => (CargoTarget::Example, name),
        (None, Some(name)) => (CargoTarget::Bin, name),
        (None, None) => {
            let cwd = current_dir()?;
            let metadata = Metadata::load(&cwd).map_err(|e| match e {
                Error::CargoMetadata { dir, problem } => Error::NothingToRun { dir, problem },
                other => other,
            })?;
            let (bin, package) = metadata.pick_binary(flags.package.as_deref(), &cwd)?;
            tracing::info!(
                "running binary `{bin}` of package `{package}`, the one `cargo run` runs"
            );
            flags.package = Some(package);
            (CargoTarget::Bin, bin)
        }
    };
    Ok((kind, name, flags))
}

/// Where a record's pictures and report go by default: beside the file it
/// was read from (`records/<id>/`, or a run's directory), but for a saved
/// baseline `<output>/baselines/<name>/`, not the committed `.perf/`.
fn pictures_dir(layout: &Layout, record: &Record, path: &Path) -> PathBuf {
    match &record.baseline {
        Some(info) => layout.output().join("baselines").join(&info.name),
        None => path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned(),
    }
}

/// Says on stderr, before anything runs, when `runs` runs a side cannot
/// decide any row of program `name`: the rows of its baseline `main`, else
/// of its latest record, tested at `alpha`, need the rank test to reach
/// α/m for a first finding ([`perf_stats::gate::runs_to_decide`]), which too few runs never
/// do — every row would come out inconclusive and the gate pass. Nothing
/// is said for a program perf has no record of yet.
fn warn_of_too_few_runs(layout: &Layout, alpha: f64, name: &str, runs: usize) {
    let Some((rows, source)) = rows_of(layout, name) else {
        return;
    };
    let needed = perf_stats::gate::runs_to_decide(rows, alpha);
    if runs >= needed {
        return;
    }
    eprintln!(
        "warning: {runs} run{} a side cannot decide a row of `{name}`: with the {rows} rows of {source}, the rank test must reach α/{rows} = {:.2e} for a first finding, and {runs} run{} a side give at best p = {:.2e}; every row would be inconclusive and the gate pass. {needed} runs would decide them (--runs {needed}).",
        if runs == 1 { "" } else { "s" },
        alpha / rows as f64,
        if runs == 1 { "" } else { "s" },
        perf_stats::rank::smallest_p_value(runs, runs),
    );
}

/// How many rows a comparison of program `name` tests together (one time
/// row per function; the whole program is tested apart, or not gated),
/// and where that count comes from: its baseline `main`, else its latest
/// record.
fn rows_of(layout: &Layout, name: &str) -> Option<(usize, String)> {
    let rows = |record: &Record| {
        record
            .functions
            .iter()
            .filter(|f| {
                f.get(perf_format::schema::record::Metric::TimePerCall)
                    .is_some()
            })
            .count()
    };
    if let Ok((main, _)) = crate::store::baselines::load_baseline(layout, "main") {
        if main.name == name && !main.instructions {
            return Some((rows(&main), "baseline main".to_owned()));
        }
    }
    crate::store::records::list(layout)
        .ok()?
        .into_iter()
        .filter_map(|listed| listed.record.ok())
        .find(|record| record.name == name && !record.instructions)
        .map(|record| (rows(&record), format!("record {}", record.id)))
}
