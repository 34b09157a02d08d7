//! `cargo perf history …`: what each subcommand does with the store, the
//! series and the detector, and how it prints.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use perf_format::schema::env::short_commit;
use perf_format::schema::history::Entry;
use perf_format::units;
use serde::Serialize;

use super::detect::{self, DetectOptions, Detection, Verdict};
use super::import;
use super::series::{self, Metrics, Series};
use super::store::{Pulled, Pushed, Store};
use crate::Error;
use crate::cli::{HistoryCommand, HistoryFormat};
use crate::color::{Palette, Tone};
use crate::commands::Outcome;

/// The schema tag of `history detect --format json`.
pub(crate) const DETECT_SCHEMA: &str = "perf-detect/1";

/// Runs `cargo perf history <command>` from directory `cwd`; what to print
/// goes to `print`, its tables painted by `palette`.
pub(crate) fn run(
    command: HistoryCommand,
    cwd: &Path,
    palette: Palette,
    print: &mut dyn FnMut(&str) -> Result<(), Error>,
) -> Result<Outcome, Error> {
    match command {
        HistoryCommand::Add {
            record,
            commit,
            perf_dir,
        } => {
            let layout = crate::settings::layout(perf_dir.as_deref())?;
            let (record, path) = crate::store::load_record(&layout, Some(&record))?;
            let entry = Entry::from_record(&record);
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
            print(&list(&store.history()?, &store.imports()?))?;
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
            print(&show(&found, format))?;
            Ok(Outcome::Passed)
        }
        HistoryCommand::Detect {
            metric,
            threshold,
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
            let options = DetectOptions {
                significance,
                threshold,
                ..DetectOptions::default()
            };
            let values: Vec<Vec<f64>> = all.iter().map(Series::values).collect();
            let detections = detect::detect_many(&values, &options);
            let found = Found {
                series: &all,
                detections: &detections,
                commits: history.len(),
                options: &options,
            };
            print(&match format {
                HistoryFormat::Json => found.json(),
                HistoryFormat::Table => found.text(false, palette),
                HistoryFormat::Markdown => found.text(true, Palette::default()),
            })?;
            Ok(if found.alarms().next().is_some() {
                Outcome::Failed
            } else {
                Outcome::Passed
            })
        }
        HistoryCommand::Import { csv, name } => {
            let text =
                std::fs::read_to_string(&csv).map_err(|e| perf_format::Error::read(&csv, e))?;
            let imported = import::parse(&csv, &text).map_err(|e| Error::HistoryImport {
                path: e.path,
                line: e.line,
                problem: e.problem,
            })?;
            let name = match name {
                Some(name) => name,
                None => import_name(&csv)?,
            };
            let entries: Vec<Entry> = imported
                .rows
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    let mut entry =
                        Entry::new(format!("{name}-{i}"), &name, &row.commit, &row.time);
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
                imported.series.join(", "),
                csv.display()
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

/// `history list`.
fn list(
    history: &[(String, Vec<Entry>)],
    imports: &std::collections::BTreeMap<String, Vec<Entry>>,
) -> String {
    let mut out = String::new();
    if history.is_empty() && imports.is_empty() {
        out.push_str(
            "the history is empty: `cargo perf history add` files a record under its commit\n",
        );
        return out;
    }
    if !history.is_empty() {
        let _ = writeln!(
            out,
            "{} with figures, oldest first (first-parent from HEAD):",
            units::plural(history.len() as u64, "commit")
        );
        for (commit, entries) in history {
            let names: Vec<String> = entries
                .iter()
                .map(|e| {
                    let kind = if e.instructions { ", instructions" } else { "" };
                    format!(
                        "{} ({}{kind})",
                        e.name,
                        units::plural(e.functions.len() as u64, "function")
                    )
                })
                .collect();
            let _ = writeln!(out, "  {}  {}", short_commit(commit), names.join("; "));
        }
    }
    for (name, rows) in imports {
        let columns: std::collections::BTreeSet<&String> =
            rows.iter().flat_map(|r| r.series.keys()).collect();
        let _ = writeln!(
            out,
            "import {name:?}: {} of {} series",
            units::plural(rows.len() as u64, "row"),
            units::count(columns.len() as f64)
        );
    }
    out
}

/// `history show`.
fn show(found: &[Series], format: HistoryFormat) -> String {
    if format == HistoryFormat::Json {
        #[derive(Serialize)]
        struct Shown<'a> {
            function: &'a str,
            metric: &'a str,
            points: Vec<ShownPoint<'a>>,
        }
        #[derive(Serialize)]
        struct ShownPoint<'a> {
            commit: &'a str,
            recorded_at: &'a str,
            value: f64,
        }
        let shown: Vec<Shown<'_>> = found
            .iter()
            .map(|s| Shown {
                function: &s.function,
                metric: &s.metric,
                points: s
                    .points
                    .iter()
                    .map(|p| ShownPoint {
                        commit: &p.commit,
                        recorded_at: &p.recorded_at,
                        value: p.value,
                    })
                    .collect(),
            })
            .collect();
        return serde_json::to_string_pretty(&shown).expect("plain data") + "\n";
    }
    let mut out = String::new();
    for series in found {
        let _ = writeln!(
            out,
            "{} · {} ({})",
            series.function,
            series.metric_label(),
            units::plural(series.points.len() as u64, "commit")
        );
        let markdown = format == HistoryFormat::Markdown;
        if markdown {
            out.push_str("\n| commit | recorded | value |\n|---|---|---:|\n");
        }
        for point in &series.points {
            let value = series.format(point.value);
            let commit = short_commit(&point.commit);
            if markdown {
                let _ = writeln!(out, "| `{commit}` | {} | {value} |", point.recorded_at);
            } else {
                let _ = writeln!(
                    out,
                    "  {commit:<12}  {:<24}  {value:>12}",
                    point.recorded_at
                );
            }
        }
        out.push('\n');
    }
    out
}

/// What `detect` found.
struct Found<'a> {
    series: &'a [Series],
    detections: &'a [Detection],
    /// Commits in the history (not counting imports).
    commits: usize,
    options: &'a DetectOptions,
}

impl Found<'_> {
    /// The series whose newest change or creep is a regression beyond the
    /// threshold.
    fn alarms(&self) -> impl Iterator<Item = (&Series, &Detection)> {
        self.series
            .iter()
            .zip(self.detections)
            .filter(|(_, d)| d.verdict != Verdict::Steady)
    }

    /// The series with anything to say, most alarming first.
    fn notable(&self) -> Vec<(&Series, &Detection)> {
        let mut notable: Vec<(&Series, &Detection)> = self
            .series
            .iter()
            .zip(self.detections)
            .filter(|(_, d)| !d.change_points.is_empty() || d.creep.is_some())
            .collect();
        notable.sort_by_key(|(s, d)| {
            let rank = match d.verdict {
                Verdict::Regressed => 0,
                Verdict::Creeping => 1,
                Verdict::Steady => 2,
            };
            (rank, s.function.clone(), s.metric.clone())
        });
        notable
    }

    /// `--format json`: `perf-detect/1`, every series.
    fn json(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            schema: &'static str,
            threshold: f64,
            significance: f64,
            series: Vec<OutSeries<'a>>,
        }
        #[derive(Serialize)]
        struct OutSeries<'a> {
            function: &'a str,
            metric: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            import: Option<&'a str>,
            points: usize,
            change_points: Vec<OutChange<'a>>,
            creep: Option<OutCreep<'a>>,
            verdict: &'static str,
        }
        #[derive(Serialize)]
        struct OutChange<'a> {
            index: usize,
            commit: &'a str,
            before: f64,
            after: f64,
            change_pct: Option<f64>,
            p: f64,
        }
        #[derive(Serialize)]
        struct OutCreep<'a> {
            start: usize,
            commit: &'a str,
            points: usize,
            slope_pct: f64,
            change_pct: f64,
            p: f64,
        }
        let series = self
            .series
            .iter()
            .zip(self.detections)
            .map(|(s, d)| OutSeries {
                function: &s.function,
                metric: &s.metric,
                import: s.import.as_deref(),
                points: s.points.len(),
                change_points: d
                    .change_points
                    .iter()
                    .map(|c| OutChange {
                        index: c.index,
                        commit: &s.points[c.index].commit,
                        before: c.before,
                        after: c.after,
                        change_pct: c.change_pct.is_finite().then_some(c.change_pct),
                        p: c.p,
                    })
                    .collect(),
                creep: d.creep.as_ref().map(|c| OutCreep {
                    start: c.start,
                    commit: &s.points[c.start].commit,
                    points: c.len,
                    slope_pct: c.slope_pct,
                    change_pct: c.change_pct,
                    p: c.p,
                }),
                verdict: verdict_name(d.verdict),
            })
            .collect();
        let out = Out {
            schema: DETECT_SCHEMA,
            threshold: self.options.threshold,
            significance: self.options.significance,
            series,
        };
        serde_json::to_string_pretty(&out).expect("plain data") + "\n"
    }

    /// The table, or Markdown; the table's rows painted by `palette`
    /// (regressed and creeping red, worse yellow, better green).
    fn text(&self, markdown: bool, palette: Palette) -> String {
        let mut out = String::new();
        let imports: std::collections::BTreeSet<&str> = self
            .series
            .iter()
            .filter_map(|s| s.import.as_deref())
            .collect();
        let _ = writeln!(
            out,
            "history detect: {} series over {} (first-parent from HEAD){}; threshold {}, significance {}",
            units::count(self.series.len() as f64),
            units::plural(self.commits as u64, "commit"),
            if imports.is_empty() {
                String::new()
            } else {
                format!(
                    " and {} import{}",
                    imports.len(),
                    if imports.len() == 1 { "" } else { "s" }
                )
            },
            units::percent(self.options.threshold),
            self.options.significance
        );
        out.push('\n');
        let notable = self.notable();
        if notable.is_empty() {
            out.push_str("no change points and no creep in any series\n");
        } else {
            let header = [
                "function", "metric", "commit", "index", "before", "after", "change", "p",
                "verdict",
            ];
            let mut rows: Vec<[String; 9]> = Vec::new();
            let mut tones = vec![None];
            for (series, detection) in &notable {
                let newest = detection.change_points.len().saturating_sub(1);
                for (i, change) in detection.change_points.iter().enumerate() {
                    let (verdict, tone) = if i == newest && detection.verdict == Verdict::Regressed
                    {
                        ("regressed", Tone::Worse)
                    } else if change.change_pct > 0.0 {
                        ("worse", Tone::Unsure)
                    } else {
                        ("better", Tone::Better)
                    };
                    tones.push(Some(tone));
                    rows.push([
                        series.function.clone(),
                        series.metric_label().to_owned(),
                        short_commit(&series.points[change.index].commit).to_owned(),
                        change.index.to_string(),
                        series.format(change.before),
                        series.format(change.after),
                        units::change(change.change_pct / 100.0),
                        format!("{:.2e}", change.p),
                        verdict.to_owned(),
                    ]);
                }
                if let Some(creep) = &detection.creep {
                    let (verdict, tone) = if detection.verdict == Verdict::Creeping {
                        ("creeping", Tone::Worse)
                    } else {
                        ("creep", Tone::Unsure)
                    };
                    tones.push(Some(tone));
                    rows.push([
                        series.function.clone(),
                        series.metric_label().to_owned(),
                        format!("{}…", short_commit(&series.points[creep.start].commit)),
                        format!("{}–{}", creep.start, creep.start + creep.len - 1),
                        String::new(),
                        String::new(),
                        format!(
                            "{} ({:+.2}%/commit)",
                            units::change(creep.change_pct / 100.0),
                            creep.slope_pct
                        ),
                        format!("{:.2e}", creep.p),
                        verdict.to_owned(),
                    ]);
                }
            }
            out.push_str(&palette.paint_lines(&table(&header, &rows, markdown), tones));
            out.push_str(
                "\nindex: where the new level starts, counting the series' commits from 0 (oldest); \
                 before and after: the levels' means; p: the chance of so large a shift in noise alone\n",
            );
        }
        out.push('\n');
        let alarms: Vec<String> = self
            .alarms()
            .map(|(s, d)| {
                let what = match (d.verdict, d.change_points.last(), &d.creep) {
                    (Verdict::Regressed, Some(c), _) => format!(
                        "{:+.1}% at {}",
                        c.change_pct,
                        short_commit(&s.points[c.index].commit)
                    ),
                    (_, _, Some(creep)) => format!(
                        "creeping {:+.1}% since {}",
                        creep.change_pct,
                        short_commit(&s.points[creep.start].commit)
                    ),
                    _ => String::new(),
                };
                format!("{} {} ({what})", s.function, s.metric_label())
            })
            .collect();
        if alarms.is_empty() {
            let line = "no series regressed at its newest change or creeps beyond the threshold.";
            let _ = writeln!(out, "{}", palette.paint(Some(Tone::Better), line));
        } else {
            let line = format!(
                "FAILED: {} series regressed beyond {}: {}.",
                units::count(alarms.len() as f64),
                units::percent(self.options.threshold),
                alarms.join(", ")
            );
            let _ = writeln!(out, "{}", palette.paint(Some(Tone::Worse), &line));
        }
        out
    }
}

/// A verdict as JSON says it.
fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Steady => "steady",
        Verdict::Regressed => "regressed",
        Verdict::Creeping => "creeping",
    }
}

/// Rows under a header, as aligned columns or a Markdown table.
fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]], markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(N));
        for row in rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        return out;
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, &width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned() + "\n"
    };
    out.push_str(&line(header.to_vec()));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// The current directory, for the store.
pub(crate) fn current_dir() -> Result<PathBuf, Error> {
    std::env::current_dir().map_err(|e| perf_format::Error::read(".", e).into())
}
