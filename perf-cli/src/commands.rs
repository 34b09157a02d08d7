//! What each subcommand does, from parsed arguments to printed output and
//! an outcome.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::cli::{
    BaselineCommand, BenchArgs, CheckArgs, Cli, Command, CompareArgs, FailOn, FlamegraphArgs,
    Format, ImportCommand, ImportCriterionArgs, RecordArgs, ReportArgs,
};
use crate::compare::render::{self, Detail};
use crate::compare::{self, Comparison, Settings};
use crate::config::Config;
use crate::flamegraph::{self, Before};
use crate::model::{RECORD_SCHEMA, Record, Source};
use crate::record::{self, CargoTarget, RecordOptions, Target};
use crate::report::{self, Report};
use crate::store::{self, Paths};
use crate::{Error, baseline, budget, criterion, files, show};

/// How a command ended, when it ended without trouble.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing regressed (exit 0).
    Passed,
    /// A regression or an exceeded budget (exit 1).
    Failed,
}

/// Runs the command line.
pub fn run(cli: Cli) -> Result<Outcome, Error> {
    match cli.command {
        Command::Record(args) => record_command(args),
        Command::Bench(args) => bench_command(args),
        Command::Import(ImportCommand::Criterion(args)) => import_command(args),
        Command::Baseline(command) => baseline_command(command),
        Command::Compare(args) => compare_command(args),
        Command::Check(args) => check_command(args),
        Command::Flamegraph(args) => flamegraph_command(args),
        Command::Report(args) => report_command(args),
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::write("standard output", e))
        }
        _ => Ok(()),
    }
}

fn record_command(args: RecordArgs) -> Result<Outcome, Error> {
    let paths = Paths::discover(args.out.as_deref())?;
    let target = match (args.example, args.bin) {
        (Some(name), _) => Target::Cargo {
            kind: CargoTarget::Example,
            name,
            package: args.package,
            args: args.command,
        },
        (None, Some(name)) => Target::Cargo {
            kind: CargoTarget::Bin,
            name,
            package: args.package,
            args: args.command,
        },
        (None, None) => Target::Command(args.command),
    };
    let options = RecordOptions {
        runs: args.runs as usize,
        warmup: args.warmup as usize,
        name: args.name,
        target,
        quiet: false,
    };
    let recorded = record::record(&paths, &options)?;
    print(&format!(
        "{}record: {}\n",
        show::record_table(&recorded.record, 15),
        recorded.path.display()
    ))?;
    Ok(Outcome::Passed)
}

fn bench_command(args: BenchArgs) -> Result<Outcome, Error> {
    let paths = Paths::discover(args.out.as_deref())?;
    store::check_name("record", &args.name)?;
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
        .map_err(|source| Error::Spawn {
            command: shown.clone(),
            source,
        })?;
    if !status.success() {
        return Err(Error::Cargo {
            command: shown,
            status,
        });
    }
    let dir = criterion::default_dir(&paths.root);
    let functions = criterion::import(&dir, "new", Some(started))?;
    write_imported(&paths, &args.name, command_line, functions)
}

fn import_command(args: ImportCriterionArgs) -> Result<Outcome, Error> {
    let paths = Paths::discover(args.out.as_deref())?;
    store::check_name("record", &args.name)?;
    let dir = args
        .dir
        .unwrap_or_else(|| criterion::default_dir(&paths.root));
    let functions = criterion::import(&dir, &args.baseline, None)?;
    write_imported(&paths, &args.name, Vec::new(), functions)
}

/// Writes criterion's benchmarks as a record under `records/`.
fn write_imported(
    paths: &Paths,
    name: &str,
    command: Vec<String>,
    functions: Vec<crate::model::FunctionSamples>,
) -> Result<Outcome, Error> {
    let records = paths.records_dir();
    files::create_dir_all(&records)?;
    let created = SystemTime::now();
    let id = record::unused_id(&records, name, created);
    let record = Record {
        schema: RECORD_SCHEMA.to_owned(),
        id: id.clone(),
        name: name.to_owned(),
        source: Source::Criterion,
        created_at: humantime::format_rfc3339_seconds(created).to_string(),
        command,
        // The benchmarks ran in cargo's bench profile, optimised.
        env: perf_core::model::Environment {
            debug_build: false,
            ..perf_core::model::Environment::current()
        },
        runs: Vec::new(),
        alloc_tracking: false,
        functions,
        stacks: Vec::new(),
        cpu_stacks: Vec::new(),
        baseline: None,
    };
    let dir = records.join(&id);
    let path = dir.join("record.json");
    record.validate(&path)?;
    files::create_dir_all(&dir)?;
    files::write_json_atomic(&path, &record)?;
    store::set_latest(&records, &id)?;
    print(&format!(
        "{}record: {}\n",
        show::record_table(&record, 15),
        path.display()
    ))?;
    Ok(Outcome::Passed)
}

fn baseline_command(command: BaselineCommand) -> Result<Outcome, Error> {
    let paths = Paths::discover(None)?;
    match command {
        BaselineCommand::Save { name, from } => {
            let (record, path) = baseline::save(&paths, &name, from.as_deref())?;
            print(&format!(
                "saved baseline {name} from record {} ({} functions, {} samples each) to {}\n",
                record.id,
                record.functions.len(),
                record.sample_count(),
                path.display()
            ))?;
        }
        BaselineCommand::List => {
            let listed = baseline::list(&paths)?;
            if listed.is_empty() {
                print(&format!(
                    "no baselines in {} (save one with `cargo perf baseline save main`)\n",
                    paths.baselines_dir().display()
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
                            .short_commit()
                            .map(|c| format!(", commit {c}"))
                            .unwrap_or_default();
                        print(&format!(
                            "{:<20} saved {saved}, {} functions, {} samples{commit}\n",
                            entry.name,
                            record.functions.len(),
                            record.sample_count()
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
        BaselineCommand::Show { name } => {
            let (record, path) = store::load_baseline(&paths, &name)?;
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
            let path = baseline::delete(&paths, &name)?;
            print(&format!("deleted baseline {name} ({})\n", path.display()))?;
        }
    }
    Ok(Outcome::Passed)
}

fn compare_command(args: CompareArgs) -> Result<Outcome, Error> {
    let paths = Paths::discover(args.out.as_deref())?;
    let config = Config::load(&paths.config_file())?;
    let (base, _) = store::load_baseline(&paths, &args.baseline)?;
    let (current, _) = store::load_record(&paths, Some(&args.against))?;
    let settings = Settings {
        threshold: args.threshold.unwrap_or(config.threshold),
        alloc_threshold: args.alloc_threshold.unwrap_or(config.alloc_threshold),
        significance: args.significance.unwrap_or(config.significance),
    };
    let mut comparison =
        compare_with_budgets(&paths, &config, (&args.baseline, &base), &current, settings)?;
    if args.fail_on == FailOn::Never {
        comparison.failed = false;
    }
    let detail = Detail { all: args.all };
    let text = match args.format {
        Format::Table => render::table(&comparison, detail),
        Format::Json => render::json(&comparison),
        Format::Markdown => {
            let text = render::markdown(&comparison, detail);
            append_step_summary(&text);
            text
        }
    };
    print(&text)?;
    Ok(if comparison.failed {
        Outcome::Failed
    } else {
        Outcome::Passed
    })
}

/// `current` compared with `baseline`, with the budgets of perf.toml.
fn compare_with_budgets(
    paths: &Paths,
    config: &Config,
    baseline: (&str, &Record),
    current: &Record,
    settings: Settings,
) -> Result<Comparison, Error> {
    let budgets = budget::check(&config.budgets, current, &paths.config_file())?;
    Ok(compare::compare(baseline, (&current.id, current), settings).with_budgets(budgets))
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
        Some(path) if path.as_os_str() == "-" => {
            let mut stdout = std::io::stdout().lock();
            return match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Error::write("standard output", e))
                }
                _ => Ok(None),
            };
        }
        Some(path) => path,
        None => {
            if let Some(dir) = default.parent() {
                files::create_dir_all(dir)?;
            }
            default
        }
    };
    files::write_atomic(&path, bytes)?;
    Ok(Some(path))
}

fn flamegraph_command(args: FlamegraphArgs) -> Result<Outcome, Error> {
    let paths = Paths::discover(args.out.as_deref())?;
    let (record, path) = store::load_record(&paths, Some(&args.record))?;
    let base = args
        .diff
        .as_deref()
        .map(|reference| store::load_baseline_or_record(&paths, reference))
        .transpose()?;
    let before = base.as_ref().map(|(record, path)| Before { record, path });
    let svg = match &before {
        Some(before) => flamegraph::diff_svg(&record, &path, *before, args.metric)?,
        None => flamegraph::svg(&record, &path, args.metric)?,
    };
    let default = flamegraph::default_dir(&paths, &record, &path)
        .join(flamegraph::file_name(args.metric, before.as_ref()));
    if let Some(written) = write_output(args.output, default, &svg)? {
        print(&format!("flamegraph: {}\n", written.display()))?;
    }
    Ok(Outcome::Passed)
}

fn report_command(args: ReportArgs) -> Result<Outcome, Error> {
    let paths = Paths::discover(args.out.as_deref())?;
    let config = Config::load(&paths.config_file())?;
    let (record, path) = store::load_record(&paths, Some(&args.record))?;
    let base = match &args.baseline {
        Some(reference) => Some((
            reference.clone(),
            store::load_baseline_or_record(&paths, reference)?,
        )),
        None if paths.baseline_file("main").exists() => {
            Some(("main".to_owned(), store::load_baseline(&paths, "main")?))
        }
        None => None,
    };
    let settings = Settings {
        threshold: config.threshold,
        alloc_threshold: config.alloc_threshold,
        significance: config.significance,
    };
    let comparison = base
        .as_ref()
        .map(|(name, (base, _))| {
            compare_with_budgets(&paths, &config, (name, base), &record, settings)
        })
        .transpose()?;
    let baseline =
        base.as_ref()
            .zip(comparison.as_ref())
            .map(|((_, (base, base_path)), comparison)| report::Baseline {
                before: Before {
                    record: base,
                    path: base_path,
                },
                comparison,
            });
    let page = report::html(&Report {
        record: &record,
        path: &path,
        baseline,
    })?;
    let default = flamegraph::default_dir(&paths, &record, &path).join("report.html");
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

fn check_command(args: CheckArgs) -> Result<Outcome, Error> {
    let paths = Paths::discover(args.out.as_deref())?;
    let config_path = paths.config_file();
    let config = Config::load(&config_path)?;
    if config.budgets.is_empty() {
        return Err(Error::Config {
            path: config_path,
            problem: "no [[budget]] entries: nothing to check (see `cargo perf check --help`)"
                .to_owned(),
        });
    }
    let (current, _) = store::load_record(&paths, Some(&args.against))?;
    let checks = budget::check(&config.budgets, &current, &config_path)?;
    let exceeded = checks.iter().filter(|c| c.exceeded).count();
    let text = match args.format {
        Format::Json => {
            let value = serde_json::json!({
                "schema": "perf-check/1",
                "record": current.id,
                "budgets": checks,
                "exceeded": exceeded,
                "failed": exceeded > 0,
            });
            format!("{value:#}\n")
        }
        Format::Table | Format::Markdown => {
            let bullet = if args.format == Format::Markdown {
                "- "
            } else {
                "  "
            };
            let mut text = format!(
                "budgets of record {} ({}):\n",
                current.id,
                config_path.display()
            );
            for check in &checks {
                text.push_str(bullet);
                text.push_str(&render::budget_line(check));
                text.push('\n');
            }
            text.push_str(&if exceeded > 0 {
                format!("FAILED: {exceeded} of {} limits exceeded.\n", checks.len())
            } else {
                format!("all {} limits met.\n", checks.len())
            });
            text
        }
    };
    print(&text)?;
    Ok(if exceeded > 0 {
        Outcome::Failed
    } else {
        Outcome::Passed
    })
}
