//! `cargo perf report`: one self-contained HTML page about a record — its
//! functions, its flamegraphs (still interactive), its comparison against a
//! baseline and the machine it ran on. The page fetches nothing: styles and
//! scripts are inline, and each flamegraph is its own document in an
//! `<iframe>` whose `src` is a `data:` URL of the SVG, because inferno's
//! script (search, click to zoom) expects to be the whole document.

use std::fmt::Write as _;
use std::path::Path;

use perf_format::html::escape;
use perf_format::schema::env::features_label;
use perf_format::schema::record::{FunctionSamples, Metric, Record, Source};
use perf_format::units;

use perf_stats::summary::median;

use super::flamegraph::{self, Before, Weight};
use super::{Detail, Format};
use crate::Error;

/// What a report shows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Report<'a> {
    /// The record the page is about.
    pub(crate) record: &'a Record,
    /// The file it was read from.
    pub(crate) path: &'a Path,
    /// The baseline it is compared against, if any.
    pub(crate) baseline: Option<Baseline<'a>>,
    /// Why the default baseline was not compared against, if it was not.
    pub(crate) not_compared: Option<&'a str>,
    /// The history's trend charts (`--history`), if asked for.
    pub(crate) history: Option<&'a super::history::Trends>,
    /// What `--filter` kept, when given: shown under the heading.
    pub(crate) filtered: Option<&'a str>,
}

/// The comparison part of a report.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Baseline<'a> {
    /// The baseline and the record judged against it, for the table and
    /// the differential flamegraphs.
    pub(crate) before: Before<'a>,
}

/// Added to each embedded flamegraph: inside a `data:` URL, inferno's
/// script cannot keep its zoom and search state in the address
/// (`history.replaceState` throws there), which would stop a search half
/// way; this lets the state go unsaved instead.
const EMBED_SHIM: &str = "<script><![CDATA[\n\
// cargo perf report: embedded as a data: URL, this picture has no address to keep its state in.\n\
(function () {\n\
    var replace = history.replaceState;\n\
    history.replaceState = function () {\n\
        try { return replace.apply(history, arguments); } catch (e) { return undefined; }\n\
    };\n\
})();\n\
]]></script>\n";

/// The page as HTML.
pub(crate) fn html(report: &Report<'_>) -> Result<String, Error> {
    let record = report.record;
    let mut page = String::with_capacity(256 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>perf report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&record.name)
    );
    header(&mut page, report);
    functions(&mut page, record);
    flamegraphs(&mut page, report)?;
    if let Some(baseline) = &report.baseline {
        comparison(&mut page, report, baseline)?;
    } else if let Some(why) = report.not_compared {
        let _ = writeln!(
            page,
            "<section id=\"compare\"><h2>Compared with a baseline</h2>\
             <p class=\"warning\">Not compared: {}</p></section>",
            escape(why)
        );
    } else {
        page.push_str(
            "<section id=\"compare\"><h2>Compared with a baseline</h2>\
             <p class=\"muted\">No baseline: save one with <code>cargo perf baseline save main</code> \
             or pass <code>--baseline NAME</code>.</p></section>\n",
        );
    }
    if let Some(trends) = report.history {
        super::history::section(&mut page, trends);
    }
    environment(&mut page, record);
    let _ = write!(
        page,
        "<footer>Made by cargo perf {} · this page is self-contained and fetches nothing.</footer>\n\
         <script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    Ok(page)
}

fn header(page: &mut String, report: &Report<'_>) {
    let record = report.record;
    let kind = match (&record.baseline, record.source) {
        (Some(_), _) => "baseline",
        (None, Source::Run) => "run",
        (None, _) => "record",
    };
    let samples = match record.source {
        Source::Criterion => format!("{} criterion samples", record.sample_count()),
        _ => {
            let runs = record.runs.len().max(record.sample_count());
            units::plural(runs as u64, "run")
        }
    };
    let _ = write!(
        page,
        "<header><h1>{}</h1><p class=\"id\">{kind} <code>{}</code></p><ul class=\"facts\">\
         <li><span>made</span> {}</li><li><span>commit</span> <code>{}</code></li>\
         <li><span>samples</span> {samples}</li><li><span>functions</span> {}</li>\
         <li><span>host</span> {}</li></ul>",
        escape(&record.name),
        escape(&record.id),
        escape(&record.created_at),
        escape(record.env.commit_label().as_deref().unwrap_or("unknown")),
        record.functions.len(),
        escape(&record.env.host),
    );
    if record.env.debug_build {
        page.push_str(
            "<p class=\"warning\">A debug build: its timings say little about a release build.</p>",
        );
    }
    if let Some(filtered) = report.filtered {
        let _ = write!(page, "<p class=\"muted\">{}</p>", escape(filtered));
    }
    page.push_str(
        "<nav><a href=\"#functions\">Functions</a><a href=\"#flamegraphs\">Flamegraphs</a>\
         <a href=\"#compare\">Comparison</a><a href=\"#environment\">Environment</a></nav></header>\n",
    );
}

/// A numeric cell: the value shown, and the number it sorts by.
fn cell(value: Option<f64>, shown: impl Fn(f64) -> String) -> String {
    match value {
        Some(v) => format!(
            "<td class=\"num\" data-v=\"{v}\">{}</td>",
            escape(&shown(v))
        ),
        None => "<td class=\"num\" data-v=\"\">-</td>".to_owned(),
    }
}

fn functions(page: &mut String, record: &Record) {
    let med = |f: &FunctionSamples, m: Metric| f.get(m).map(median);
    // Self time per run: what the function's own code cost.
    let own: Vec<Option<f64>> = record
        .functions
        .iter()
        .map(|f| Some(med(f, Metric::SelfTimePerCall)? * med(f, Metric::Calls)?))
        .collect();
    let all_own: f64 = own.iter().flatten().sum();
    let has = |m: Metric| record.functions.iter().any(|f| f.get(m).is_some());
    let columns: Vec<(Metric, &str)> = [
        Metric::Calls,
        Metric::TimePerCall,
        Metric::P50,
        Metric::P95,
        Metric::P99,
        Metric::CpuPerCall,
        Metric::AllocsPerCall,
        Metric::SelfAllocsPerCall,
        Metric::BytesPerCall,
        Metric::SelfBytesPerCall,
        Metric::CpuShare,
        // Instruction records (counted under callgrind).
        Metric::InstructionsPerCall,
        Metric::SelfInstructionsPerCall,
        Metric::EstCyclesPerCall,
        Metric::SelfEstCyclesPerCall,
    ]
    .map(|m| match m {
        Metric::Calls => (m, "calls/run"),
        _ => (m, m.label()),
    })
    .into_iter()
    .filter(|(m, _)| has(*m))
    .collect();
    let show_own = all_own > 0.0;
    page.push_str(
        "<section id=\"functions\"><h2>Functions</h2>\
         <p class=\"muted\">Medians over the runs. Total figures include the instrumented callees, \
         self ones leave them out; self% is the function's own time as a share \
         of all functions' self time; p50/p95/p99 are of total time per call. Click a heading to sort.",
    );
    let step_marked = record.functions.iter().any(|f| {
        [Metric::P50, Metric::P95, Metric::P99]
            .iter()
            .any(|m| med(f, *m).is_some_and(|v| record.env.near_clock_step(v)))
    });
    if let Some(legend) = record.env.clock_step_legend().filter(|_| step_marked) {
        let _ = write!(page, " {}.", escape(&legend));
    }
    if record.instructions {
        page.push_str(
            " An instruction record: every run ran under Valgrind's callgrind, which slows \
             the times down; instructions and estimated cycles per call are what <code>compare</code> gates.",
        );
    }
    page.push_str(
        "</p>\n\
         <div class=\"scroll\"><table class=\"sortable functions\"><thead><tr><th>function</th>",
    );
    for (i, (_, heading)) in columns.iter().enumerate() {
        if i == 2 && show_own {
            page.push_str("<th class=\"num\">self%</th>");
        }
        let _ = write!(page, "<th class=\"num\">{heading}</th>");
    }
    if columns.len() <= 2 && show_own {
        page.push_str("<th class=\"num\">self%</th>");
    }
    page.push_str("</tr></thead><tbody>\n");
    for (function, own) in record.functions.iter().zip(&own) {
        let place = match (&function.file, function.line) {
            (Some(file), Some(line)) => format!("<small>{}:{line}</small>", escape(file)),
            (Some(file), None) => format!("<small>{}</small>", escape(file)),
            _ => String::new(),
        };
        let _ = write!(
            page,
            "<tr><td class=\"fn\" data-v=\"{0}\"><code>{0}</code>{place}</td>",
            escape(&function.name)
        );
        let share_cell = || {
            let share = own.map(|v| v / all_own).unwrap_or(0.0);
            format!(
                "<td class=\"num share\" data-v=\"{share}\"><span class=\"bar\" style=\"width:{0}\"></span><span class=\"v\">{0}</span></td>",
                units::share(share)
            )
        };
        for (i, (metric, _)) in columns.iter().enumerate() {
            if i == 2 && show_own {
                page.push_str(&share_cell());
            }
            let percentile = matches!(metric, Metric::P50 | Metric::P95 | Metric::P99);
            page.push_str(&cell(med(function, *metric), |v| {
                match percentile && record.env.near_clock_step(v) {
                    true => format!("~{}", metric.format(v)),
                    false => metric.format(v),
                }
            }));
        }
        if columns.len() <= 2 && show_own {
            page.push_str(&share_cell());
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody></table></div></section>\n");
}

/// The SVG as an `<iframe>` holding it as its own document, so that its
/// script works as in a file of its own; its inner height is the
/// picture's (the frame's border lies outside it: `content-box`), and the
/// picture takes the frame's width (inferno's fluid drawing), so the frame
/// never scrolls.
fn embed(svg: &[u8], title: &str) -> String {
    let text = String::from_utf8_lossy(svg);
    let at = text.rfind("</svg>").unwrap_or(text.len());
    let mut shimmed = String::with_capacity(text.len() + EMBED_SHIM.len());
    shimmed.push_str(&text[..at]);
    shimmed.push_str(EMBED_SHIM);
    shimmed.push_str(&text[at..]);
    let height = svg_height(&text).unwrap_or(400);
    format!(
        "<iframe class=\"flamegraph\" title=\"{}\" style=\"height:{height}px\" src=\"{}\"></iframe>",
        escape(title),
        data_url("image/svg+xml", shimmed.as_bytes())
    )
}

/// The `height` of an SVG's root element, in pixels.
fn svg_height(svg: &str) -> Option<u32> {
    let root = &svg[svg.find("<svg")?..];
    let root = &root[..root.find('>')?];
    let value = &root[root.find(" height=\"")? + 9..];
    value[..value.find('"')?]
        .trim_end_matches("px")
        .parse()
        .ok()
}

fn figure(page: &mut String, caption: &str, svg: &[u8]) {
    let _ = writeln!(
        page,
        "<figure><figcaption>{}</figcaption>{}</figure>",
        escape(caption),
        embed(svg, caption)
    );
}

fn flamegraphs(page: &mut String, report: &Report<'_>) -> Result<(), Error> {
    let (record, path) = (report.record, report.path);
    page.push_str(
        "<section id=\"flamegraphs\"><h2>Flamegraphs</h2>\
         <p class=\"muted\">Click a frame to zoom in, “Search” (or Ctrl-F inside a picture) to \
         highlight frames by regular expression; hover for figures.</p>\n",
    );
    for weight in Weight::ALL {
        // Instruction pictures are for instruction records only, unmentioned elsewhere.
        if weight == Weight::Instructions && !record.instructions {
            continue;
        }
        if let Some(why) = flamegraph::unavailable(record, path, weight) {
            let why = why.to_string();
            let why = why.split_once(": ").map_or(why.as_str(), |(_, w)| w);
            let _ = writeln!(
                page,
                "<p class=\"muted\">No {} flamegraph: {}.</p>",
                weight.measure().what(),
                escape(why)
            );
            continue;
        }
        let svg = flamegraph::draw(record, path, weight, None, report.filtered.is_none())?;
        figure(
            page,
            &format!("{} by stack", capitalised(weight.measure().what())),
            &svg,
        );
    }
    page.push_str("</section>\n");
    Ok(())
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn comparison(
    page: &mut String,
    report: &Report<'_>,
    baseline: &Baseline<'_>,
) -> Result<(), Error> {
    let _ = write!(
        page,
        "<section id=\"compare\"><h2>Compared with {}</h2>\n{}",
        escape(&baseline.before.label()),
        super::render(baseline.before.comparison, Format::Html, Detail::default())
    );
    for weight in Weight::ALL {
        let drawable = |r: &Record, p: &Path| flamegraph::unavailable(r, p, weight).is_none();
        if !drawable(report.record, report.path)
            || !drawable(baseline.before.record, baseline.before.path)
        {
            continue;
        }
        let svg = flamegraph::draw(
            report.record,
            report.path,
            weight,
            Some(baseline.before),
            report.filtered.is_none(),
        )?;
        let colours = match weight {
            Weight::Cpu => "red grew, blue shrank in share of the samples",
            Weight::Time | Weight::Alloc | Weight::Instructions => {
                "red regressed, blue improved, as in the table"
            }
        };
        let caption = format!(
            "{}: {} → {} ({colours})",
            capitalised(weight.measure().what()),
            baseline.before.label(),
            report.record.id
        );
        figure(page, &caption, &svg);
    }
    page.push_str("</section>\n");
    Ok(())
}

fn environment(page: &mut String, record: &Record) {
    let env = &record.env;
    let cores = env.cores.to_string();
    let commit = match &env.git_commit {
        Some(commit) if env.git_dirty => format!("{commit} (uncommitted changes)"),
        Some(commit) => commit.clone(),
        None => "unknown".to_owned(),
    };
    let build = match &env.build_profile {
        Some(profile) => format!(
            "{profile}{}",
            if env.debug_build {
                " (debug assertions)"
            } else {
                ""
            }
        ),
        None if env.debug_build => "debug".to_owned(),
        None => "release".to_owned(),
    };
    let features = env
        .perf_features
        .as_ref()
        .map_or_else(|| "unknown".to_owned(), |f| features_label(f));
    let rows: [(&str, &str); 12] = [
        ("host", &env.host),
        ("OS", &env.os),
        ("architecture", &env.arch),
        ("CPU", env.cpu.as_deref().unwrap_or("unknown")),
        ("cores", &cores),
        ("commit", &commit),
        ("perf version", &env.perf_version),
        ("build", &build),
        ("perf-core features", &features),
        ("rustc", env.rustc.as_deref().unwrap_or("unknown")),
        ("started", &env.started_at),
        ("record made", &record.created_at),
    ];
    page.push_str("<section id=\"environment\"><h2>Environment</h2><dl class=\"env\">");
    for (key, value) in rows {
        let _ = write!(page, "<dt>{key}</dt><dd>{}</dd>", escape(value));
    }
    if !record.command.is_empty() {
        let _ = write!(
            page,
            "<dt>command</dt><dd><code>{}</code></dd>",
            escape(&record.command.join(" "))
        );
    }
    page.push_str("</dl>\n");
    if !record.runs.is_empty() {
        page.push_str(
            "<details><summary>Runs</summary><table class=\"runs\"><thead><tr><th>run</th>\
             <th class=\"num\">wall time</th><th class=\"num\">calls</th></tr></thead><tbody>",
        );
        for run in &record.runs {
            let _ = write!(
                page,
                "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&run.id),
                escape(&units::duration(run.duration_ns as f64)),
                escape(&units::count(run.calls as f64))
            );
        }
        page.push_str("</tbody></table></details>\n");
    }
    page.push_str("</section>\n");
}

const STYLE: &str = r#"
:root { --fg: #1d232b; --muted: #5f6b7a; --line: #e2e6eb; --bg: #f6f7f9; --card: #fff;
        --accent: #c2410c; --bad: #fde2e1; --bad-fg: #b42318; --good: #dcfae6; --good-fg: #067647; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, section, footer { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { margin: 0; font-size: 28px; }
h2 { font-size: 20px; margin: 0 0 8px; }
code, .fn { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.id { margin: 2px 0 10px; color: var(--muted); }
.facts { display: flex; flex-wrap: wrap; gap: 8px 22px; list-style: none; padding: 0; margin: 0 0 12px; }
.facts span { color: var(--muted); margin-right: 4px; }
nav { display: flex; gap: 18px; border-bottom: 1px solid var(--line); padding-bottom: 10px; }
nav a { color: var(--accent); text-decoration: none; font-weight: 600; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
          padding: 18px 24px; margin-top: 22px; max-width: 1232px; }
.muted { color: var(--muted); }
.warning { background: #fef0c7; border-radius: 6px; padding: 6px 10px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { position: sticky; top: 0; background: #eef1f4; font-weight: 600; white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th.asc::after { content: " ▲"; } table.sortable th.desc::after { content: " ▼"; }
tbody tr:nth-child(even) { background: #fafbfc; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.fn small { display: block; color: var(--muted); font-size: 11px; }
td.share { position: relative; min-width: 90px; }
td.share .bar { position: absolute; left: 0; top: 6px; bottom: 6px; background: #fed7aa; z-index: 0; }
td.share .v { position: relative; }
tr.regressed td { background: var(--bad); } tr.regressed td.verdict { color: var(--bad-fg); font-weight: 700; }
tr.not-gated td { background: #fff4e5; }
tr.improved td { background: var(--good); } tr.improved td.verdict { color: var(--good-fg); font-weight: 700; }
tr.new td.verdict, tr.gone td.verdict { font-style: italic; }
.outcome { font-size: 17px; font-weight: 700; padding: 8px 12px; border-radius: 6px; }
.outcome.failed { background: var(--bad); color: var(--bad-fg); }
.outcome.passed { background: var(--good); color: var(--good-fg); }
.culprits { border-left: 4px solid var(--bad-fg); padding: 4px 12px; margin: 10px 0; }
li.regressed { color: var(--bad-fg); font-weight: 600; }
figure { margin: 14px 0 20px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
/* The height set on a frame is its picture's: the border goes outside it, or the frame scrolls. */
iframe.flamegraph { display: block; box-sizing: content-box; width: calc(100% - 2px); border: 1px solid var(--line); border-radius: 6px; background: #fff; }
dl.env { display: grid; grid-template-columns: max-content 1fr; gap: 4px 20px; margin: 0 0 12px; }
dl.env dt { color: var(--muted); } dl.env dd { margin: 0; }
details summary { cursor: pointer; color: var(--accent); font-weight: 600; }
footer { color: var(--muted); font-size: 13px; padding: 22px 24px 40px; }
"#;

/// Sorts a `table.sortable` by the clicked column: by each cell's
/// `data-v` number when it has one, else by its text.
const SCRIPT: &str = r#"
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0];
      var descending = !th.classList.contains("desc");
      table.querySelectorAll("th").forEach(function (h) { h.classList.remove("asc", "desc"); });
      th.classList.add(descending ? "desc" : "asc");
      var key = function (row) {
        var cell = row.cells[column];
        var v = cell.getAttribute("data-v");
        var n = parseFloat(v);
        return v !== null && v !== "" && !isNaN(n) ? n : (v === "" ? -Infinity : (v || cell.textContent));
      };
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return descending ? -order : order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"#;

/// `bytes` as a `data:` URL of type `mime`, base64-encoded.
fn data_url(mime: &str, bytes: &[u8]) -> String {
    use base64::Engine as _;
    let mut out = format!("data:{mime};base64,");
    base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_are_base64() {
        assert_eq!(data_url("text/plain", b""), "data:text/plain;base64,");
        assert_eq!(data_url("t", b"f"), "data:t;base64,Zg==");
        assert_eq!(data_url("t", b"fo"), "data:t;base64,Zm8=");
        assert_eq!(data_url("t", b"foo"), "data:t;base64,Zm9v");
        assert_eq!(data_url("t", b"foobar\xff"), "data:t;base64,Zm9vYmFy/w==");
    }

    #[test]
    fn the_height_of_a_picture_is_read_from_its_root() {
        let svg = r#"<?xml version="1.0"?><svg version="1.1" width="1200" height="342" onload="init(evt)"><rect height="9"/></svg>"#;
        assert_eq!(svg_height(svg), Some(342));
        assert_eq!(svg_height("<svg width=\"1\">"), None);
    }

    #[test]
    fn an_embedded_picture_is_a_data_url_with_the_shim_inside() {
        let frame = embed(b"<svg height=\"80\"><text>a &amp; b</text></svg>", "x <y>");
        assert!(frame.starts_with("<iframe class=\"flamegraph\" title=\"x &lt;y&gt;\" style=\"height:80px\" src=\"data:image/svg+xml;base64,"));
        let encoded = frame.split("base64,").nth(1).unwrap();
        let encoded = &encoded[..encoded.find('"').unwrap()];
        assert!(
            encoded
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c))
        );
        assert!(frame.ends_with("\"></iframe>"));
    }
}
