//! `cargo perf history …`: what each subcommand does with the store (git
//! notes), the series and the detector; `render::history` draws it.

use std::path::Path;

use perf_format::schema::env::short_commit;
use perf_format::schema::history::Entry;
use perf_format::schema::record::Record;
use perf_format::units;
use perf_stats::history::detect::{self, DetectOptions};
use perf_stats::history::entry;
use perf_stats::history::series::{self, Metrics, Series};

use super::{Context, Outcome, current_dir, print, shown_path};
use crate::Error;
use crate::cli::HistoryCommand;
use crate::render::history::{Detected, Trends};
use crate::render::{self, Format};
use crate::run::git;
use crate::store::notes::{Pulled, Pushed, Store};
use crate::store::{csv, records};

/// Runs `cargo perf history <command>` in the repository of the current
/// directory.
pub(super) fn run(context: &Context, command: HistoryCommand) -> Result<Outcome, Error> {
    let cwd = &current_dir()?;
    match command {
        HistoryCommand::Add { record, commit } => {
            let layout = context.layout()?;
            let (record, path) = records::load_record(&layout, Some(&record))?;
            let entry = entry::of_record(&record);
            let revision = match (commit, record.env.git_commit.as_deref()) {
                (Some(revision), _) => revision,
                (None, Some(commit)) if commit.ends_with("-dirty") || record.env.git_dirty => {
                    return Err(Error::History(format!(
                        "record {} ({}) was made on a working tree with uncommitted changes ({commit}): its figures are not that commit's; pass --commit REV to file them under a commit anyway",
                        record.id,
                        path.display()
                    )));
                }
                (None, Some(commit)) => commit.to_owned(),
                (None, None) => {
                    return Err(Error::History(format!(
                        "record {} ({}) does not say which commit it measured; pass --commit REV",
                        record.id,
                        path.display()
                    )));
                }
            };
            let store = Store::open(cwd)?;
            let commit = store.add(&revision, &entry)?;
            print(&format!(
                "added record {} ({}) to the history of {}\n",
                record.id,
                units::plural(entry.functions.len() as u64, "function"),
                short_commit(&commit)
            ))?;
            Ok(Outcome::Passed)
        }
        HistoryCommand::List => {
            let store = Store::open(cwd)?;
            print(&render::history::list(&store.history()?, &store.imports()?))?;
            Ok(Outcome::Passed)
        }
        HistoryCommand::Show {
            function,
            metric,
            format,
        } => {
            let store = Store::open(cwd)?;
            let metrics = metric.as_deref().map_or(Metrics::All, Metrics::Named);
            let found: Vec<Series> = series::series(&store.history()?, &store.imports()?, metrics)
                .into_iter()
                .filter(|s| s.function == function)
                .collect();
            if found.is_empty() {
                return Err(Error::History(no_series(&function, metric.as_deref())));
            }
            print(&render::history::show(&found, Format::from(format)))?;
            Ok(Outcome::Passed)
        }
        HistoryCommand::Detect {
            metric,
            threshold,
            min_change,
            all: every,
            significance,
            format,
        } => {
            let store = Store::open(cwd)?;
            let history = store.history()?;
            let metrics = metric.as_deref().map_or(Metrics::Detected, Metrics::Named);
            let all = series::series(&history, &store.imports()?, metrics);
            if all.is_empty() {
                return Err(Error::History(match metric {
                    Some(metric) => format!("no series of metric {metric:?} in the history"),
                    None => "the history is empty: `cargo perf history add` files a record under its commit, `cargo perf history pull` fetches a remote's, `cargo perf history import --csv FILE` brings another tool's".to_owned(),
                }));
            }
            let mut options = DetectOptions::default();
            options.significance = significance;
            options.threshold = threshold;
            options.min_change = if every { Some(0.0) } else { min_change };
            let values: Vec<Vec<f64>> = all.iter().map(Series::values).collect();
            let mut detections = detect::detect_many(&values, |i| {
                let mut options = options;
                options.higher_is_better = all[i].higher_is_better;
                options
            });
            detect::control(&mut detections, significance);
            let found = Detected {
                series: &all,
                detections: &detections,
                commits: history.len(),
                options: &options,
            };
            print(&found.render(Format::from(format), context.palette))?;
            Ok(Outcome::failed_if(found.alarms().next().is_some()))
        }
        HistoryCommand::Import {
            csv: csv_path,
            name,
            higher_is_better,
        } => {
            // A regular file only: a FIFO would wait for a writer for ever.
            let text = perf_format::files::read_text(&csv_path)?;
            let imported = csv::parse(&csv_path, &text).map_err(|e| Error::HistoryImport {
                path: e.path,
                line: e.line,
                problem: e.problem,
            })?;
            let name = match name {
                Some(name) => name,
                None => import_name(&csv_path)?,
            };
            if name.trim().is_empty() || name.chars().any(char::is_control) {
                return Err(Error::History(format!(
                    "--name {name:?}: an import's name must be a line of visible text"
                )));
            }
            if let Some(unknown) = higher_is_better
                .iter()
                .find(|column| !imported.series.contains(column))
            {
                return Err(Error::History(format!(
                    "--higher-is-better {unknown:?}: {} has no such column (its series: {})",
                    csv_path.display(),
                    imported.series.join(", ")
                )));
            }
            let entries: Vec<Entry> = imported
                .rows
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    let mut entry =
                        Entry::new(format!("{name}-{i}"), &name, &row.commit, &row.time);
                    entry.higher_is_better = higher_is_better.iter().cloned().collect();
                    for (series, value) in imported.series.iter().zip(&row.values) {
                        if let Some(value) = value {
                            entry.series.insert(series.clone(), *value);
                        }
                    }
                    entry
                })
                .collect();
            let store = Store::open(cwd)?;
            store.add_imported(&name, &entries)?;
            print(&format!(
                "imported {} of {} series ({}) from {} as {name:?}\n",
                units::plural(entries.len() as u64, "row"),
                units::count(imported.series.len() as f64),
                imported
                    .series
                    .iter()
                    .map(|series| render::text::terminal(series))
                    .collect::<Vec<_>>()
                    .join(", "),
                shown_path(&csv_path)
            ))?;
            Ok(Outcome::Passed)
        }
        HistoryCommand::Push { remote } => {
            let store = Store::open(cwd)?;
            print(&match store.push(&remote)? {
                Pushed::Nothing => {
                    "no history to push: `cargo perf history add` makes some\n".to_owned()
                }
                Pushed::Pushed { attempts: 1 } => format!("pushed the history to {remote}\n"),
                Pushed::Pushed { attempts } => format!(
                    "pushed the history to {remote} (merged with what others pushed meanwhile; {attempts} attempts)\n"
                ),
            })?;
            Ok(Outcome::Passed)
        }
        HistoryCommand::Pull { remote } => {
            let store = Store::open(cwd)?;
            print(&match store.pull(&remote)? {
                Pulled::NoHistory => format!("{remote} has no history (refs/notes/perf) yet\n"),
                Pulled::UpToDate => format!("the history is up to date with {remote}'s\n"),
                Pulled::Merged => format!("merged {remote}'s history into this repository's\n"),
            })?;
            Ok(Outcome::Passed)
        }
    }
}

/// The name of an import of `csv`: its file stem.
fn import_name(csv: &Path) -> Result<String, Error> {
    csv.file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::History(format!(
                "{} has no file name to name the import by: pass --name NAME",
                csv.display()
            ))
        })
}

/// Why `show` found nothing.
fn no_series(function: &str, metric: Option<&str>) -> String {
    match metric {
        Some(metric) => {
            format!("no series of {function:?} and metric {metric:?} in the history")
        }
        None => format!(
            "no function or imported series {function:?} in the history (`cargo perf history list` shows what it holds)"
        ),
    }
}

/// The trend charts of `record`'s functions (`report --history`), from
/// the history of the git repository holding `dir`.
pub(super) fn trends(dir: &Path, record: &Record) -> Result<Trends, Error> {
    let store = Store::open(dir)?;
    let history = store.history()?;
    let names: std::collections::BTreeSet<&str> =
        record.functions.iter().map(|f| f.name.as_str()).collect();
    let all: Vec<Series> = series::series(&history, &Default::default(), Metrics::Detected)
        .into_iter()
        .filter(|s| names.contains(s.function.as_str()))
        .collect();
    let values: Vec<Vec<f64>> = all.iter().map(Series::values).collect();
    let options = DetectOptions::default();
    let mut detections = detect::detect_many(&values, |_| options);
    // As `history detect` judges them.
    detect::control(&mut detections, options.significance);
    let web = git::web_address(dir);
    let listed = match web {
        Some(_) => Vec::new(),
        None => git::subjects(
            dir,
            &history.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ),
    };
    Ok(render::history::trends(
        &all,
        &detections,
        history.len(),
        web.as_deref(),
        listed,
    ))
}
