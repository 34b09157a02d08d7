//! What each subcommand does, from parsed arguments to printed output and
//! an outcome.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use perf_format::files;
use perf_format::layout::{self, Layout, RECORD_JSON, check_name};
use perf_format::schema::compare::{BudgetReport, Comparison, WHOLE_PROGRAM};
use perf_format::schema::env::Environment;
use perf_format::schema::record::{FunctionSamples, Record, Source};
use perf_format::schema::soak::Growth;
use perf_format::units;

use crate::ab::{self, AbOptions};
use crate::cargo::{CargoBuild, CargoTarget, Metadata};
use crate::cli::{
    AbArgs, BaselineCommand, BenchArgs, CargoFlags, CheckArgs, Cli, Command, CompareArgs,
    FlamegraphArgs, GateFlags, ImportCommand, ImportCriterionArgs, RecordArgs, ReportArgs,
    SoakArgs, SoakFormat, VerdictFlags,
};
use crate::color::{Palette, Surroundings};
use crate::compare::{self, Gate, guard};
use crate::config::{Budget, Config};
use crate::filter::Filter;
use crate::flamegraph::{self, Before};
use crate::record::{self, RecordOptions, Target, shell_words};
use crate::render::{self, Detail, Format};
use crate::report::{self, Report};
use crate::soak::{self, SoakOptions};
use crate::{Error, baseline, budget, criterion, settings, show, store};

/// How a command ended, when it ended without trouble.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing regressed (exit 0).
    Passed,
    /// A regression or an exceeded budget (exit 1).
    Failed,
}

/// Runs the command line.
pub(crate) fn run(cli: Cli) -> Result<Outcome, Error> {
    let palette = cli.color.palette(Surroundings::of_process());
    match cli.command {
        Command::Record(args) => record_command(args),
        Command::Bench(args) => bench_command(args),
        Command::Import(ImportCommand::Criterion(args)) => import_command(args),
        Command::Baseline(command) => baseline_command(command),
        Command::Compare(args) => compare_command(args, palette),
        Command::Ab(args) => ab_command(args, palette),
        Command::Check(args) => check_command(args, palette),
        Command::Flamegraph(args) => flamegraph_command(args),
        Command::Report(args) => report_command(args),
        Command::Records { perf_dir } => {
            let layout = settings::layout(perf_dir.as_deref())?;
            print(&store::list_records(&layout)?)?;
            Ok(Outcome::Passed)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(
                shell,
                &mut <crate::Cli as clap::CommandFactory>::command(),
                "cargo-perf",
                &mut script,
            );
            to_stdout(&script)?;
            Ok(Outcome::Passed)
        }
        Command::History(command) => crate::history::command::run(
            command,
            &crate::history::command::current_dir()?,
            palette,
            &mut |text| print(text),
        ),
        Command::Soak(args) => soak_command(args, palette),
    }
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
            let cwd = crate::history::command::current_dir()?;
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

fn record_command(args: RecordArgs) -> Result<Outcome, Error> {
    let layout = settings::layout(args.perf_dir.as_deref())?;
    let target = target(args.build, args.command)?;
    let options = RecordOptions {
        runs: args.plan.runs(args.instructions),
        warmup: args.plan.warmup(args.instructions),
        name: args.name,
        target,
        quiet: false,
        instructions: args.instructions,
    };
    let recorded = record::record(&layout, &options)?;
    print(&format!(
        "{}record: {}\n",
        show::record_table(&recorded.record, 15),
        recorded.path.display()
    ))?;
    Ok(Outcome::Passed)
}

fn soak_command(args: SoakArgs, palette: Palette) -> Result<Outcome, Error> {
    let layout = settings::layout(args.perf_dir.as_deref())?;
    let options = SoakOptions {
        target: target(args.build, args.command)?,
        duration: args.duration,
        warmup: args.warmup,
        grace: args.grace,
        load: args.load,
        threshold: args.threshold,
    };
    let soaked = soak::soak(&layout, &options)?;
    match args.format {
        SoakFormat::Table => print(&soak::render(&soaked, palette))?,
        SoakFormat::Json => print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&soaked.soak).expect("numbers and strings serialise")
        ))?,
    }
    Ok(match soaked.soak.verdict {
        Growth::Stable => Outcome::Passed,
        Growth::Growing => Outcome::Failed,
    })
}

fn bench_command(args: BenchArgs) -> Result<Outcome, Error> {
    let layout = settings::layout(args.perf_dir.as_deref())?;
    check_name("record", &args.name)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command_line = vec!["cargo".to_owned(), "bench".to_owned()];
    command_line.extend(args.cargo_args.iter().cloned());
    let shown = command_line.join(" ");
    // File times have coarse resolution on some file systems.
    let started = SystemTime::now() - Duration::from_secs(2);
    let status = std::process::Command::new(&cargo)
        .arg("bench")
        .args(&args.cargo_args)
        .status()
        .map_err(Error::spawn(&shown))?;
    if !status.success() {
        return Err(Error::Cargo {
            command: shown,
            status,
        });
    }
    let dir = criterion::default_dir(layout.workspace());
    let functions = criterion::import(&dir, "new", Some(started))?;
    write_imported(&layout, &args.name, command_line, functions)
}

fn import_command(args: ImportCriterionArgs) -> Result<Outcome, Error> {
    let layout = settings::layout(args.perf_dir.as_deref())?;
    check_name("record", &args.name)?;
    let dir = args
        .dir
        .unwrap_or_else(|| criterion::default_dir(layout.workspace()));
    let functions = criterion::import(&dir, &args.baseline, None)?;
    write_imported(&layout, &args.name, Vec::new(), functions)
}

/// Writes criterion's benchmarks as a record under `records/`.
fn write_imported(
    layout: &Layout,
    name: &str,
    command: Vec<String>,
    functions: Vec<FunctionSamples>,
) -> Result<Outcome, Error> {
    let records = layout.records_dir();
    files::create_dir_all(&records)?;
    let created = SystemTime::now();
    // The benchmarks ran in cargo's bench profile, optimised.
    let env = Environment::capture(created);
    let created_at = humantime::format_rfc3339_seconds(created).to_string();
    let claim = record::claim_id(&records, name, created)?;
    let id = claim.name().to_owned();
    let mut record = Record::new(id.clone(), name, Source::Criterion, created_at, env);
    record.command = command;
    record.functions = functions;
    let path = claim.path().join(RECORD_JSON);
    files::Document::validate(&record, &path)?;
    files::write_json(&path, &record)?;
    claim.keep();
    layout::set_latest(&records, &id)?;
    print(&format!(
        "{}record: {}\n",
        show::record_table(&record, 15),
        path.display()
    ))?;
    Ok(Outcome::Passed)
}

fn baseline_command(command: BaselineCommand) -> Result<Outcome, Error> {
    let layout = settings::layout(None)?;
    match command {
        BaselineCommand::Save {
            name,
            from,
            perf_dir,
        } => {
            // Records may be under another perf directory; baselines are
            // the workspace's wherever records are.
            let layout = match perf_dir {
                Some(dir) => settings::layout(Some(&dir))?,
                None => layout,
            };
            let (record, path) = baseline::save(&layout, &name, from.as_deref())?;
            print(&format!(
                "saved baseline {name} from record {} ({}, {} each) to {}\n",
                record.id,
                units::plural(record.functions.len() as u64, "function"),
                units::plural(record.sample_count() as u64, "sample"),
                path.display()
            ))?;
        }
        BaselineCommand::List => {
            let listed = baseline::list(&layout)?;
            if listed.is_empty() {
                print(&format!(
                    "no baselines in {} (save one with `cargo perf baseline save main`)\n",
                    layout.baselines_dir().display()
                ))?;
            }
            let mut trouble = None;
            for entry in listed {
                match entry.record {
                    Ok(record) => {
                        let saved = record
                            .baseline
                            .as_ref()
                            .map_or("?", |b| b.saved_at.as_str())
                            .to_owned();
                        let commit = record
                            .env
                            .commit_label()
                            .map(|c| format!(", commit {c}"))
                            .unwrap_or_default();
                        print(&format!(
                            "{:<20} saved {saved}, {}, {}{commit}\n",
                            entry.name,
                            units::plural(record.functions.len() as u64, "function"),
                            units::plural(record.sample_count() as u64, "sample"),
                        ))?;
                    }
                    Err(e) => {
                        print(&format!("{:<20} UNREADABLE: {e}\n", entry.name))?;
                        trouble.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = trouble {
                return Err(e);
            }
        }
        BaselineCommand::Show { name, filter } => {
            let (full, path) = store::load_baseline(&layout, &name)?;
            let filter = Filter::new(&filter.filter);
            filter.check(&[&full])?;
            let record = filter.apply(&full);
            let saved = record
                .baseline
                .as_ref()
                .map(|b| format!(", saved {} from record {}", b.saved_at, b.from_record))
                .unwrap_or_default();
            print(&format!(
                "baseline {name}{saved}\n{}file: {}\n",
                show::record_table(&record, usize::MAX),
                path.display()
            ))?;
        }
        BaselineCommand::Delete { name } => {
            let path = baseline::delete(&layout, &name)?;
            print(&format!("deleted baseline {name} ({})\n", path.display()))?;
        }
    }
    Ok(Outcome::Passed)
}

fn compare_command(args: CompareArgs, palette: Palette) -> Result<Outcome, Error> {
    let layout = settings::layout(args.perf_dir.as_deref())?;
    let config = Config::load(&layout.config_file())?;
    let (current, _) = store::load_record(&layout, Some(&args.against))?;
    let (name, base, notes) = if args.history {
        let cwd = crate::history::command::current_dir()?;
        let (base, note) = crate::history::baseline::from_history(&cwd, &current)?;
        ("history".to_owned(), base, vec![note])
    } else {
        let name = args.baseline.unwrap_or_else(|| "main".to_owned());
        let (base, _) = store::load_baseline_or_record(&layout, &name)?;
        (name, base, Vec::new())
    };
    let verdict = Verdict {
        baseline: (&name, &base),
        current: &current,
        notes,
        interleaved: false,
    };
    show_verdict(&layout, &config, &args.verdict, verdict, palette)
}

fn ab_command(args: AbArgs, palette: Palette) -> Result<Outcome, Error> {
    let layout = settings::layout(args.perf_dir.as_deref())?;
    // A perf.toml that cannot be read stops it before anything is built.
    let config = Config::load(&layout.config_file())?;
    let (kind, name, build) = cargo_program(args.build)?;
    let options = AbOptions {
        base: args.base,
        head: args.head,
        runs: args.plan.runs(args.instructions),
        warmup: args.plan.warmup(args.instructions),
        seed: args.seed,
        kind,
        name,
        build,
        args: args.args,
        quiet: false,
        instructions: args.instructions,
    };
    let made = ab::ab(&layout, &options)?;
    let verdict = Verdict {
        baseline: (&made.base.record.id, &made.base.record),
        current: &made.head.record,
        notes: made.notes,
        interleaved: true,
    };
    show_verdict(&layout, &config, &args.verdict, verdict, palette)
}

/// What the gate judges: `current` against `baseline` (named as given),
/// notes of the command's own to add, and whether the two sides' runs were
/// interleaved (so the program's wall time gates too).
struct Verdict<'a> {
    baseline: (&'a str, &'a Record),
    current: &'a Record,
    notes: Vec<String>,
    interleaved: bool,
}

/// What `compare` and `ab` share: the gate from `flags` over `config`,
/// the budgets, the verdict printed as `flags` say (Markdown also appended
/// to `$GITHUB_STEP_SUMMARY`), and its outcome.
fn show_verdict(
    layout: &Layout,
    config: &Config,
    flags: &VerdictFlags,
    verdict: Verdict<'_>,
    palette: Palette,
) -> Result<Outcome, Error> {
    let gate = Gate {
        interleaved: verdict.interleaved,
        ..settings::gate(config, &flags.gate)
    };
    let filter = Filter::new(&flags.filter.filter);
    filter.check(&[verdict.current, verdict.baseline.1])?;
    let mut comparison = judge(
        layout,
        config,
        &gate,
        verdict.baseline,
        verdict.current,
        flags.gate.allow_mismatch,
        &filter,
    )?;
    comparison.notes.extend(verdict.notes);
    let detail = Detail {
        all: flags.all,
        color: palette.enabled(),
    };
    let text = render::render(&comparison, flags.format, detail);
    if flags.format == Format::Markdown {
        append_step_summary(&text);
    }
    print(&text)?;
    Ok(if comparison.failed {
        Outcome::Failed
    } else {
        Outcome::Passed
    })
}

/// `current` judged against `baseline` by `gate`, with the budgets of
/// perf.toml: every command that compares records comes here. Records of
/// another program or build are refused first (`compare::guard`), unless
/// `allow_mismatch`: then what differs is shown above the comparison. Only
/// the functions `filter` keeps are judged, and only their budgets.
fn judge(
    layout: &Layout,
    config: &Config,
    gate: &Gate,
    baseline: (&str, &Record),
    current: &Record,
    allow_mismatch: bool,
    filter: &Filter,
) -> Result<Comparison, Error> {
    let mismatches = guard::check(baseline, (&current.id, current), allow_mismatch)?;
    let budgets = filtered_budgets(config, filter);
    let budgets = budget::check(
        &budgets,
        current,
        &layout.config_file(),
        gate.settings.significance,
    )?;
    let mut comparison =
        compare::compare_filtered(baseline, (&current.id, current), gate, budgets, filter);
    comparison.mismatches = mismatches;
    Ok(comparison)
}

/// The budgets of perf.toml that `filter` keeps: those of the functions it
/// keeps, and none of the whole program's unless it keeps everything.
fn filtered_budgets(config: &Config, filter: &Filter) -> Vec<Budget> {
    config
        .budgets
        .iter()
        .filter(|b| {
            filter.is_empty() || (b.function != WHOLE_PROGRAM && filter.matches(&b.function))
        })
        .cloned()
        .collect()
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
    files::write_atomic(&path, |w| w.write_all(bytes))?;
    Ok(Some(path))
}

fn flamegraph_command(args: FlamegraphArgs) -> Result<Outcome, Error> {
    let layout = settings::layout(args.perf_dir.as_deref())?;
    let (record, path) = store::load_record(&layout, Some(&args.record))?;
    let filter = Filter::new(&args.filter.filter);
    let base = match args.diff.as_deref() {
        Some(reference) => {
            let (base, base_path) = store::load_baseline_or_record(&layout, reference)?;
            filter.check(&[&record, &base])?;
            // The colours are the comparison's figures, judged as `compare` would.
            let config = Config::load(&layout.config_file())?;
            let gate = settings::gate(&config, &GateFlags::default());
            let comparison = judge(
                &layout,
                &config,
                &gate,
                (reference, &base),
                &record,
                args.allow_mismatch,
                &filter,
            )?;
            Some((filter.apply(&base), base_path, comparison))
        }
        None => {
            filter.check(&[&record])?;
            None
        }
    };
    let full = record;
    let record = filter.apply(&full);
    if let Some(error) = flamegraph::filtered_out(&full, &record, &path, args.metric, &filter) {
        return Err(error);
    }
    let before = base.as_ref().map(|(record, path, comparison)| Before {
        record,
        path,
        comparison,
    });
    let caption = filter.caption();
    let filtered = caption.as_deref().map(|caption| (caption, &full));
    let svg = flamegraph::draw_noted(&record, &path, args.metric, before, filtered)?;
    let default = flamegraph::default_dir(&layout, &record, &path)
        .join(flamegraph::file_name(args.metric, before.as_ref()));
    if let Some(written) = write_output(args.output, default, &svg)? {
        print(&format!("flamegraph: {}\n", written.display()))?;
    }
    Ok(Outcome::Passed)
}

fn report_command(args: ReportArgs) -> Result<Outcome, Error> {
    let layout = settings::layout(args.perf_dir.as_deref())?;
    let config = Config::load(&layout.config_file())?;
    let (record, path) = store::load_record(&layout, Some(&args.record))?;
    let filter = Filter::new(&args.filter.filter);
    let base = match &args.baseline {
        Some(reference) => Some((
            reference.clone(),
            store::load_baseline_or_record(&layout, reference)?,
        )),
        None if layout.baseline_file("main").exists() => {
            Some(("main".to_owned(), store::load_baseline(&layout, "main")?))
        }
        None => None,
    };
    match &base {
        Some((_, (base, _))) => filter.check(&[&record, base])?,
        None => filter.check(&[&record])?,
    }
    let gate = settings::gate(&config, &GateFlags::default());
    let mut not_compared = None;
    let comparison = match &base {
        Some((name, (base, _))) => {
            match judge(
                &layout,
                &config,
                &gate,
                (name, base),
                &record,
                args.allow_mismatch,
                &filter,
            ) {
                Ok(comparison) => Some(comparison),
                // `main`, taken because it exists, is no reason to fail
                // the report of another program: the page says why.
                Err(mismatch @ Error::Mismatch { .. }) if args.baseline.is_none() => {
                    not_compared = Some(mismatch.to_string());
                    None
                }
                Err(e) => return Err(e),
            }
        }
        None => None,
    };
    // The page shows the kept functions only: tables, flamegraphs, trends.
    let filtered = (!filter.is_empty()).then(|| {
        let kept = record.functions.iter().filter(|f| filter.matches(&f.name)).count();
        format!(
            "Filtered: {} of the record's {} functions, those whose name holds {}, and the stacks through them.",
            kept,
            record.functions.len(),
            filter
                .texts()
                .iter()
                .map(|t| format!("{t:?}"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    });
    let record = filter.apply(&record);
    let base = base.map(|(name, (base, base_path))| (name, (filter.apply(&base), base_path)));
    let baseline =
        base.as_ref()
            .zip(comparison.as_ref())
            .map(|((_, (base, base_path)), comparison)| report::Baseline {
                before: Before {
                    record: base,
                    path: base_path,
                    comparison,
                },
            });
    let trends = match args.history {
        true => Some(crate::history::trend::trends(
            &crate::history::command::current_dir()?,
            &record,
        )?),
        false => None,
    };
    let page = report::html(&Report {
        record: &record,
        path: &path,
        baseline,
        not_compared: not_compared.as_deref(),
        history: trends.as_ref(),
        filtered: filtered.as_deref(),
    })?;
    let default = flamegraph::default_dir(&layout, &record, &path).join("report.html");
    if let Some(written) = write_output(args.output, default, page.as_bytes())? {
        print(&format!("report: {}\n", written.display()))?;
    }
    Ok(Outcome::Passed)
}

/// Appends to `$GITHUB_STEP_SUMMARY` when set; trouble there is a warning,
/// not a reason to hide the verdict.
fn append_step_summary(text: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let path = Path::new(&path);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    if let Err(e) = written {
        tracing::warn!(
            "cannot append to GITHUB_STEP_SUMMARY={}: {e}",
            path.display()
        );
    }
}

fn check_command(args: CheckArgs, palette: Palette) -> Result<Outcome, Error> {
    let layout = settings::layout(args.perf_dir.as_deref())?;
    let config_path = layout.config_file();
    let config = Config::load(&config_path)?;
    if config.budgets.is_empty() {
        // The example names a function of the record when there is one.
        let function = store::load_record(&layout, Some(&args.against))
            .ok()
            .and_then(|(record, _)| record.functions.first().map(|f| f.name.clone()));
        return Err(Error::NoBudgets {
            exists: config_path.exists(),
            path: config_path,
            example: budget::example(function.as_deref().unwrap_or("my_crate::module::function")),
        });
    }
    let (current, _) = store::load_record(&layout, Some(&args.against))?;
    let filter = Filter::new(&args.filter.filter);
    filter.check(&[&current])?;
    let budgets = filtered_budgets(&config, &filter);
    if budgets.is_empty() {
        let named: Vec<&str> = config.budgets.iter().map(|b| b.function.as_str()).collect();
        return Err(Error::Config {
            path: config_path,
            problem: format!(
                "no [[budget]] entry is for a function that --filter {} keeps; the entries are for {}",
                filter
                    .texts()
                    .iter()
                    .map(|t| format!("{t:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                named.join(", ")
            ),
        });
    }
    let checks = budget::check(
        &budgets,
        &current,
        &config_path,
        config.compare.significance,
    )?;
    let report = BudgetReport::new(current.id.clone(), checks);
    print(&render::budgets(
        &report,
        &config_path,
        args.format,
        palette,
    ))?;
    Ok(if report.failed {
        Outcome::Failed
    } else {
        Outcome::Passed
    })
}
