//! `cargo perf report --history`: the history of the record's functions as
//! charts in the report, one per function and metric, change points marked
//! and each point linking to its commit.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use perf_format::html::escape;
use perf_format::schema::env::short_commit;
use perf_format::schema::record::Record;

use super::chart::{self, ChartChange, ChartPoint};
use super::detect::{self, DetectOptions, Verdict};
use super::series::{self, Metrics, Series};
use super::store::Store;
use crate::Error;
use crate::git;

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

/// The trend charts of `record`'s functions, from the history of the git
/// repository holding `dir`.
pub(crate) fn trends(dir: &Path, record: &Record) -> Result<Trends, Error> {
    let store = Store::open(dir)?;
    let history = store.history()?;
    let names: BTreeSet<&str> = record.functions.iter().map(|f| f.name.as_str()).collect();
    let all: Vec<Series> = series::series(&history, &Default::default(), Metrics::Detected)
        .into_iter()
        .filter(|s| names.contains(s.function.as_str()))
        .collect();
    let options = DetectOptions::default();
    let values: Vec<Vec<f64>> = all.iter().map(Series::values).collect();
    let detections = detect::detect_many(&values, &options);
    let mut ranked: Vec<(usize, &Series, detect::Detection)> = all
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
    let web = web_address(dir);
    let mut trends = Trends {
        commits: history.len(),
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
                link: Some(match &web {
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
    if web.is_none() {
        trends.listed = subjects(
            dir,
            &history.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        );
    }
    Ok(trends)
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

/// The web address of the repository's `origin` (`https://host/owner/repo`),
/// whose `/commit/<id>` pages GitHub, GitLab and Gitea all serve; `None`
/// without one.
fn web_address(dir: &Path) -> Option<String> {
    let url = git::run(dir, &["remote", "get-url", "origin"], None).ok()?;
    web_address_of(url.trim())
}

/// `git@github.com:o/r.git` or `https://github.com/o/r.git` →
/// `https://github.com/o/r`.
fn web_address_of(url: &str) -> Option<String> {
    let url = url.strip_suffix(".git").unwrap_or(url);
    if let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    {
        let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
        return Some(format!("https://{rest}"));
    }
    let rest = url.strip_prefix("ssh://").unwrap_or(url);
    let rest = rest.split_once('@').map_or(rest, |(_, host)| host);
    let (host, path) = rest.split_once([':', '/'])?;
    let hostname = |h: &str| {
        h.contains('.')
            && !h.starts_with('.')
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    };
    (hostname(host) && !path.is_empty())
        .then(|| format!("https://{host}/{}", path.trim_start_matches('/')))
}

/// Each commit with its subject line, for the list the points link to.
fn subjects(dir: &Path, commits: &[&str]) -> Vec<(String, String)> {
    if commits.is_empty() {
        return Vec::new();
    }
    let mut args = vec!["show", "-s", "--format=%H %s"];
    args.extend(commits);
    let Ok(out) = git::run(dir, &args, None) else {
        return commits
            .iter()
            .map(|c| ((*c).to_owned(), String::new()))
            .collect();
    };
    out.lines()
        .filter_map(|line| line.split_once(' ').or(Some((line, ""))))
        .map(|(commit, subject)| (commit.to_owned(), subject.to_owned()))
        .collect()
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
    use super::*;

    #[test]
    fn remotes_become_web_addresses() {
        for (url, web) in [
            ("git@github.com:o/r.git", Some("https://github.com/o/r")),
            ("https://github.com/o/r.git", Some("https://github.com/o/r")),
            (
                "https://token@gitlab.com/g/r",
                Some("https://gitlab.com/g/r"),
            ),
            (
                "ssh://git@host.example/o/r.git",
                Some("https://host.example/o/r"),
            ),
            ("/srv/git/r.git", None),
            ("../remote.git", None),
        ] {
            assert_eq!(web_address_of(url).as_deref(), web, "{url}");
        }
    }
}
