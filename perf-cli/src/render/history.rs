//! The history as people read it: `history list`, `show` and `detect` as
//! tables, Markdown and JSON (`perf-detect/1`), and the trend charts of
//! `report --history`, change points marked.

use std::fmt::Write as _;

use perf_format::html::escape;
use perf_format::schema::env::short_commit;
use perf_format::schema::history::Entry;
use perf_format::table::{Align, Table};
use perf_format::units;
use perf_stats::history::detect::{DetectOptions, Detection, Verdict};
use perf_stats::history::series::Series;
use serde::Serialize;

use super::Format;
use super::chart::{self, ChartChange, ChartPoint};
use super::color::{Palette, Tone};
use super::text::{self, terminal as t};

/// The schema tag of `history detect --format json`.
pub(crate) const DETECT_SCHEMA: &str = "perf-detect/1";

/// `history list`: the commits with figures and the imports.
pub(crate) fn list(
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
                        t(&e.name),
                        units::plural(e.functions.len() as u64, "function")
                    )
                })
                .collect();
            let _ = writeln!(out, "  {}  {}", t(short_commit(commit)), names.join("; "));
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

/// `history show`: each series' points, oldest first.
pub(crate) fn show(found: &[Series], format: Format) -> String {
    if format == Format::Json {
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
            match format {
                Format::Markdown => text::markdown(&series.function),
                _ => t(&series.function),
            },
            series.metric_label(),
            units::plural(series.points.len() as u64, "commit")
        );
        let markdown = format == Format::Markdown;
        if markdown {
            out.push_str("\n| commit | recorded | value |\n|---|---|---:|\n");
        }
        for point in &series.points {
            let value = series.format(point.value);
            let commit = short_commit(&point.commit);
            if markdown {
                let _ = writeln!(
                    out,
                    "| {} | {} | {value} |",
                    text::code(commit),
                    text::markdown(&point.recorded_at)
                );
            } else {
                let _ = writeln!(
                    out,
                    "  {:<12}  {:<24}  {value:>12}",
                    t(commit),
                    t(&point.recorded_at)
                );
            }
        }
        out.push('\n');
    }
    out
}

/// What `history detect` found: the view its table, Markdown and JSON
/// are drawn from.
pub(crate) struct Detected<'a> {
    /// Every series looked at.
    pub(crate) series: &'a [Series],
    /// What was found in each, in the same order.
    pub(crate) detections: &'a [Detection],
    /// Commits in the history (not counting imports).
    pub(crate) commits: usize,
    /// How it was looked for.
    pub(crate) options: &'a DetectOptions,
}

impl Detected<'_> {
    /// The series whose newest change or creep is a regression beyond the
    /// threshold.
    pub(crate) fn alarms(&self) -> impl Iterator<Item = (&Series, &Detection)> {
        self.series
            .iter()
            .zip(self.detections)
            .filter(|(_, d)| d.verdict != Verdict::Steady)
    }

    /// The series too short for a change point to be searched for
    /// ([`DetectOptions::shortest_searched`]).
    fn too_short(&self) -> Vec<&Series> {
        let need = self.options.shortest_searched();
        self.series
            .iter()
            .filter(|s| s.points.len() < need)
            .collect()
    }

    /// What the series too short to search say: how many commits a search
    /// needs and how many the longest of them has; empty when every series
    /// was searched.
    fn too_short_line(&self) -> String {
        let short = self.too_short();
        let Some(longest) = short.iter().map(|s| s.points.len()).max() else {
            return String::new();
        };
        let need = self.options.shortest_searched();
        let what = if short.len() == self.series.len() {
            format!(
                "too short to search: a change point needs {} with figures ({} on each side of it), creep {}; ",
                units::plural(need as u64, "commit"),
                need / 2,
                self.options.min_creep.max(need)
            )
        } else {
            format!(
                "{} of {} too short to search (a change point needs {} with figures, {} on each side of it): ",
                units::count(short.len() as f64),
                units::count(self.series.len() as f64),
                units::plural(need as u64, "point"),
                need / 2
            )
        };
        let has = match short.len() {
            1 => format!("it has {longest}"),
            _ if short.iter().all(|s| s.points.len() == longest) => {
                format!("each has {longest}")
            }
            _ => format!("the longest has {longest}"),
        };
        let more = need - longest;
        format!(
            "{what}{has}: {more} more commit{} needed\n",
            if more == 1 { "" } else { "s" }
        )
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

    /// The detection as `format` says; a table's rows painted by `palette`.
    pub(crate) fn render(&self, format: Format, palette: Palette) -> String {
        match format {
            Format::Json => self.json(),
            Format::Markdown => self.text(true, Palette::default()),
            Format::Table | Format::Html => self.text(false, palette),
        }
    }

    /// `--format json`: `perf-detect/1`, every series.
    fn json(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            schema: &'static str,
            threshold: f64,
            min_change: f64,
            significance: f64,
            shortest_searched: usize,
            series: Vec<OutSeries<'a>>,
        }
        #[derive(Serialize)]
        struct OutSeries<'a> {
            function: &'a str,
            metric: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            import: Option<&'a str>,
            points: usize,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            too_short: bool,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            higher_is_better: bool,
            change_points: Vec<OutChange<'a>>,
            creep: Option<OutCreep<'a>>,
            verdict: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            q: Option<f64>,
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
                too_short: s.points.len() < self.options.shortest_searched(),
                higher_is_better: s.higher_is_better,
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
                q: d.q,
            })
            .collect();
        let out = Out {
            schema: DETECT_SCHEMA,
            threshold: self.options.threshold,
            min_change: self.options.smallest_change(),
            significance: self.options.significance,
            shortest_searched: self.options.shortest_searched(),
            series,
        };
        serde_json::to_string_pretty(&out).expect("plain data") + "\n"
    }

    /// The table, or Markdown; the table's rows painted by `palette`
    /// (regressed and creeping red, worse yellow, better green).
    fn text(&self, markdown: bool, palette: Palette) -> String {
        // A name within a line, and a name in a cell of the table.
        let name = |name: &str| match markdown {
            true => text::markdown(name).into_owned(),
            false => t(name).into_owned(),
        };
        let cell = |name: &str| match markdown {
            true => text::markdown_cell(name),
            false => t(name).into_owned(),
        };
        let mut out = String::new();
        let imports: std::collections::BTreeSet<&str> = self
            .series
            .iter()
            .filter_map(|s| s.import.as_deref())
            .collect();
        let _ = writeln!(
            out,
            "history detect: {} series over {} (first-parent from HEAD){}; threshold {}, smallest change {}, significance {} (false alarms held to it across every series)",
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
            units::percent(self.options.smallest_change()),
            self.options.significance
        );
        out.push('\n');
        let notable = self.notable();
        let short = self.too_short_line();
        let none_searched = !self.series.is_empty() && self.too_short().len() == self.series.len();
        if none_searched {
            out.push_str(&short);
        } else if notable.is_empty() {
            out.push_str("no change points and no creep in any series\n");
        } else {
            let header = [
                "function", "metric", "commit", "index", "before", "after", "change", "p",
                "verdict",
            ];
            // Every column keeps to the left, as the table always has.
            let mut table = header.iter().fold(Table::new(), |table, heading| {
                table.column(*heading, Align::Left)
            });
            let mut tones = vec![None];
            for (series, detection) in &notable {
                let newest = detection.change_points.len().saturating_sub(1);
                for (i, change) in detection.change_points.iter().enumerate() {
                    let (verdict, tone) = if i == newest && detection.verdict == Verdict::Regressed
                    {
                        ("regressed", Tone::Worse)
                    } else if (change.change_pct > 0.0) != series.higher_is_better {
                        ("worse", Tone::Unsure)
                    } else {
                        ("better", Tone::Better)
                    };
                    tones.push(Some(tone));
                    table.push([
                        cell(&series.function),
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
                    table.push([
                        cell(&series.function),
                        series.metric_label().to_owned(),
                        format!("{}…", short_commit(&series.points[creep.start].commit)),
                        format!("{}–{}", creep.start, creep.start + creep.len - 1),
                        String::new(),
                        String::new(),
                        if creep.slope_pct.is_finite() {
                            format!(
                                "{} ({:+.2}%/commit)",
                                units::change(creep.change_pct / 100.0),
                                creep.slope_pct
                            )
                        } else {
                            // From a level of 0, no percentage means anything.
                            format!("{} (from 0)", units::change(creep.change_pct / 100.0))
                        },
                        format!("{:.2e}", creep.p),
                        verdict.to_owned(),
                    ]);
                }
            }
            let text = match markdown {
                true => table.markdown(),
                false => table.to_string(),
            };
            out.push_str(&palette.paint_lines(&text, tones));
            out.push_str(
                "\nindex: where the new level starts, counting the series' commits from 0 (oldest); \
                 before and after: the levels' means; p: the chance of so large a shift in noise alone\n",
            );
        }
        if !none_searched && !short.is_empty() {
            out.push('\n');
            out.push_str(&short);
        }
        out.push('\n');
        let alarms: Vec<String> = self
            .alarms()
            .map(|(s, d)| {
                let what = match (d.verdict, d.change_points.last(), &d.creep) {
                    (Verdict::Regressed, Some(c), _) => format!(
                        "{} at {}",
                        units::change(c.change_pct / 100.0),
                        short_commit(&s.points[c.index].commit)
                    ),
                    (_, _, Some(creep)) => format!(
                        "creeping {} since {}",
                        units::change(creep.change_pct / 100.0),
                        short_commit(&s.points[creep.start].commit)
                    ),
                    _ => String::new(),
                };
                format!("{} {} ({what})", name(&s.function), s.metric_label())
            })
            .collect();
        let held_back: Vec<String> = self
            .series
            .iter()
            .zip(self.detections)
            .filter_map(|(s, d)| match (d.verdict, d.q) {
                (Verdict::Steady, Some(q)) => Some(format!(
                    "{} {} (q {q:.2e})",
                    name(&s.function),
                    s.metric_label()
                )),
                _ => None,
            })
            .collect();
        if !held_back.is_empty() {
            let _ = writeln!(
                out,
                "not failing: {} series changed beyond the threshold, but not beyond chance among the {} series looked at (q above {}): {}.",
                units::count(held_back.len() as f64),
                units::count(self.series.len() as f64),
                self.options.significance,
                held_back.join(", ")
            );
        }
        if none_searched {
            out.push_str("no verdict yet: no series is long enough to search.\n");
        } else if alarms.is_empty() {
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

/// Charts beyond which the section shows only the series with change
/// points or creep (then the rest, by name, up to this many).
const MAX_CHARTS: usize = 60;

/// The charts of a report's history section.
#[derive(Debug, Default)]
pub(crate) struct Trends {
    /// One chart per series, most alarming first: its title and SVG.
    pub(crate) charts: Vec<(String, String)>,
    /// Series left out beyond [`MAX_CHARTS`].
    pub(crate) left_out: usize,
    /// Commits in the history.
    pub(crate) commits: usize,
    /// The commits, oldest first, with their subject line: what the points
    /// link to when the repository has no web address to link to.
    pub(crate) listed: Vec<(String, String)>,
}

/// The trend charts of `series` (a record's functions' history over
/// `commits` commits) and what was detected in each: one chart per series,
/// most alarming first, each point linking to its commit on `web` (the
/// repository's web address), else to `listed`, the commits with their
/// subject lines.
pub(crate) fn trends(
    series: &[Series],
    detections: &[Detection],
    commits: usize,
    web: Option<&str>,
    listed: Vec<(String, String)>,
) -> Trends {
    let mut ranked: Vec<(usize, &Series, &Detection)> = series
        .iter()
        .zip(detections)
        .map(|(s, d)| {
            let rank = match d.verdict {
                Verdict::Regressed => 0,
                Verdict::Creeping => 1,
                Verdict::Steady if !d.change_points.is_empty() => 2,
                Verdict::Steady => 3,
            };
            (rank, s, d)
        })
        .collect();
    ranked
        .sort_by(|a, b| (a.0, &a.1.function, &a.1.metric).cmp(&(b.0, &b.1.function, &b.1.metric)));
    let mut trends = Trends {
        commits,
        listed,
        ..Trends::default()
    };
    for (_, series, detection) in ranked.iter().take(MAX_CHARTS) {
        let points: Vec<ChartPoint> = series
            .points
            .iter()
            .map(|p| ChartPoint {
                title: format!(
                    "{} · {} · {}",
                    short_commit(&p.commit),
                    series.format(p.value),
                    p.recorded_at
                ),
                value: p.value,
                link: Some(match web {
                    Some(base) => format!("{base}/commit/{}", p.commit),
                    None => format!("#commit-{}", p.commit),
                }),
            })
            .collect();
        let changes: Vec<ChartChange> = detection
            .change_points
            .iter()
            .map(|c| ChartChange {
                index: c.index,
                change_pct: c.change_pct,
            })
            .collect();
        let title = format!("{} · {}", series.function, series.metric_label());
        if let Some(svg) = chart::line_chart(&title, unit(series), &points, &changes) {
            trends.charts.push((title, svg));
        }
    }
    trends.left_out = ranked.len().saturating_sub(MAX_CHARTS);
    trends
}

/// The unit of a series' axis.
fn unit(series: &Series) -> &'static str {
    use perf_format::schema::record::{Kind, Metric};
    match series.known {
        Some(Metric::BytesPerCall | Metric::SelfBytesPerCall) => "bytes per call",
        Some(metric) if metric.kind() == Kind::Time => "ns per call",
        Some(metric) if metric.kind() == Kind::Instructions => "per call",
        Some(_) => "per call",
        None => "value",
    }
}

/// The report's history section.
pub(crate) fn section(page: &mut String, trends: &Trends) {
    let _ = writeln!(
        page,
        "<section id=\"history\"><h2>History</h2>\
         <p class=\"muted\">{} with figures (first-parent from HEAD). Each function's series, \
         oldest first; the shaded steps are the levels between change points (dashed: red worse, \
         green better), found as <code>cargo perf history detect</code> finds them. A point links to \
         its commit.</p>",
        perf_format::units::plural(trends.commits as u64, "commit")
    );
    if trends.charts.is_empty() {
        page.push_str(
            "<p class=\"muted\">No history of this record's functions yet: \
             <code>cargo perf history add</code> files a record under its commit.</p>\n",
        );
    }
    for (title, svg) in &trends.charts {
        let _ = writeln!(
            page,
            "<figure class=\"trend\" title=\"{}\">{svg}</figure>",
            escape(title)
        );
    }
    if trends.left_out > 0 {
        let _ = writeln!(
            page,
            "<p class=\"muted\">{} more series without change points are not drawn \
             (<code>cargo perf history show FUNCTION</code> lists any of them).</p>",
            perf_format::units::count(trends.left_out as f64)
        );
    }
    if !trends.listed.is_empty() {
        page.push_str("<details><summary>Commits</summary><ol class=\"commits\">");
        for (commit, subject) in &trends.listed {
            let _ = write!(
                page,
                "<li id=\"commit-{commit}\"><code>{}</code> {}</li>",
                short_commit(commit),
                escape(subject)
            );
        }
        page.push_str("</ol></details>\n");
    }
    page.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use perf_stats::history::detect::detect;
    use perf_stats::history::series::Point;

    use super::*;

    fn series(function: &str, values: &[f64]) -> Series {
        Series {
            function: function.to_owned(),
            metric: "time_per_call_ns".to_owned(),
            known: None,
            import: None,
            points: values
                .iter()
                .enumerate()
                .map(|(i, &value)| Point {
                    commit: format!("{i:040}"),
                    recorded_at: String::new(),
                    value,
                })
                .collect(),
            higher_is_better: false,
        }
    }

    #[test]
    fn series_too_short_to_search_are_counted_beside_the_searched() {
        let options = DetectOptions::default();
        let all = [series("long", &[100.0; 8]), series("short", &[100.0; 4])];
        let detections: Vec<Detection> =
            all.iter().map(|s| detect(&s.values(), &options)).collect();
        let detected = Detected {
            series: &all,
            detections: &detections,
            commits: 8,
            options: &options,
        };
        let text = detected.render(Format::Table, Palette::default());
        assert!(
            text.contains(
                "1 of 2 too short to search (a change point needs 6 points with figures, 3 on each side of it): it has 4: 2 more commits needed"
            ),
            "{text}"
        );
        // The long one was searched, and judged.
        assert!(text.contains("no series regressed"), "{text}");
        let json = detected.render(Format::Json, Palette::default());
        assert_eq!(json.matches("\"too_short\": true").count(), 1, "{json}");
    }
}
