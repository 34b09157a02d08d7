//! `/`: a page a person can leave open. The top functions by self time over
//! the last interval (since the page's previous load, or the session's
//! start), with calls, errors, p50/p95/p99 and the heap; it reloads itself
//! every few seconds with a `<meta>` refresh: no script, no font to fetch.

use std::fmt::Write;

use perf_format::html::escape;
use perf_format::units::{bytes, count, duration};

use super::figures::Figures;
use crate::model::FunctionStats;

/// How often the page reloads itself, in seconds.
pub(crate) const REFRESH_SECONDS: u32 = 2;

/// Functions shown.
const TOP: usize = 25;

/// One function's row: its figures over the interval.
struct Row<'a> {
    function: &'a FunctionStats,
    calls: u64,
    errors: u64,
    self_ns: u64,
}

/// The page for `now`, the interval running from the functions as they
/// were `before` (`None`: at the session's start) over `interval_s` seconds.
pub(crate) fn render(
    name: &str,
    now: &Figures,
    before: Option<&[FunctionStats]>,
    interval_s: f64,
) -> String {
    let earlier = |f: &FunctionStats| {
        before
            .and_then(|b| b.iter().find(|e| e.name == f.name))
            .map_or((0, 0, 0), |e| (e.calls, e.errors, e.self_ns))
    };
    let mut rows: Vec<Row<'_>> = now
        .functions
        .iter()
        .map(|f| {
            let (calls, errors, self_ns) = earlier(f);
            Row {
                function: f,
                calls: f.calls.saturating_sub(calls),
                errors: f.errors.saturating_sub(errors),
                self_ns: f.self_ns.saturating_sub(self_ns),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.self_ns
            .cmp(&a.self_ns)
            .then(b.function.self_ns.cmp(&a.function.self_ns))
            .then_with(|| a.function.name.cmp(&b.function.name))
    });
    let name = escape(name);
    let mut html = String::with_capacity(8 * 1024);
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>perf · {name}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ padding: 0.25em 0.8em; border-bottom: 1px solid #ddd; }}
th {{ text-align: left; background: #f4f4f4; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.bad {{ color: #b00020; font-weight: 600; }}
.muted {{ color: #666; }}
</style></head><body>
<h1>{name}</h1>
<p class="muted">Live figures of a running perf session: the last {interval}; this page reloads every {REFRESH_SECONDS} s.</p>
"#,
        interval = if before.is_some() {
            format!("{interval_s:.1} s")
        } else {
            format!("{interval_s:.1} s (since the session started)")
        },
    );
    if let Some((live, peak)) = now.heap {
        let _ = writeln!(
            html,
            r#"<p id="heap">Heap: <b>{}</b> live, {} at its peak.</p>"#,
            bytes(live as f64),
            bytes(peak as f64)
        );
    }
    html.push_str(
        r#"<table id="functions"><thead><tr><th>function</th><th>self time</th><th>calls</th><th>errors</th><th>p50</th><th>p95</th><th>p99</th><th>calls in all</th></tr></thead><tbody>
"#,
    );
    for row in rows.iter().take(TOP) {
        let f = row.function;
        let errors_class = if row.errors > 0 { "n bad" } else { "n" };
        let _ = writeln!(
            html,
            r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="{errors_class}">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
            escape(&f.name),
            duration(row.self_ns as f64),
            count(row.calls as f64),
            count(row.errors as f64),
            duration(f.p50_ns as f64),
            duration(f.p95_ns as f64),
            duration(f.p99_ns as f64),
            count(f.calls as f64),
        );
    }
    if rows.is_empty() {
        html.push_str("<tr><td colspan=\"8\" class=\"muted\">Nothing recorded yet.</td></tr>\n");
    }
    let _ = write!(
        html,
        r#"</tbody></table>
<p class="muted">p50/p95/p99 over the whole session. {shown} of {all} functions.</p>
<h2>More</h2>
<ul>
<li><a href="/metrics">/metrics</a>: Prometheus and OpenMetrics</li>
<li><a href="/debug/perf/flamegraph.svg?seconds=5">/debug/perf/flamegraph.svg?seconds=5</a>: wall-time flamegraph of the next 5 s</li>
<li><a href="/debug/perf/run.json">/debug/perf/run.json</a>: the run so far</li>
<li><a href="/debug/pprof/allocs">/debug/pprof/allocs</a>: allocations by call path, for <code>go tool pprof</code></li>
<li><a href="/debug/pprof/profile?seconds=10">/debug/pprof/profile?seconds=10</a>: a CPU profile of the next 10 s (feature <code>cpu</code>)</li>
</ul>
</body></html>
"#,
        shown = rows.len().min(TOP),
        all = rows.len(),
    );
    html
}
