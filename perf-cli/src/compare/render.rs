//! A comparison as a terminal table, as Markdown for a pull request, as an
//! HTML fragment for `cargo perf report`, or as JSON (`perf-compare/1`,
//! documented in `docs/formats.md`).

use std::fmt::Write as _;

use super::{Cause, Comparison, Correction, Method, Row, Side, Verdict};
use crate::budget::BudgetCheck;
use crate::model::Metric;
use crate::units;

/// How much of the comparison to show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Detail {
    /// Every row, also unchanged ones other than time/call.
    pub all: bool,
}

/// The JSON form: stable, with `"schema": "perf-compare/1"`.
pub fn json(comparison: &Comparison) -> String {
    let mut text = serde_json::to_string_pretty(comparison).expect("a comparison serialises");
    text.push('\n');
    text
}

/// The plain-text table for a terminal.
pub fn table(comparison: &Comparison, detail: Detail) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "perf compare: baseline {} vs current {}",
        describe_side(&comparison.baseline, true),
        describe_side(&comparison.current, false)
    );
    let _ = writeln!(out, "{}", settings_line(comparison));
    out.push('\n');
    let (shown, hidden) = visible_rows(comparison, detail);
    if shown.is_empty() {
        out.push_str("no functions to compare\n");
    } else {
        let mut header = vec![
            "function".to_owned(),
            "metric".to_owned(),
            "baseline".to_owned(),
            "current".to_owned(),
            "change".to_owned(),
        ];
        header.push(interval_heading(comparison));
        // After Benjamini–Hochberg the column holds adjusted p-values.
        let p = match comparison.correction {
            Correction::BenjaminiHochberg { .. } => "q",
            Correction::None { .. } => "p",
        };
        header.extend([p.to_owned(), "verdict".to_owned()]);
        let cells: Vec<Vec<String>> = shown
            .iter()
            .map(|row| {
                let mut cells = vec![
                    row.function.clone(),
                    metric_label(row),
                    value(row, row.baseline),
                    value(row, row.current),
                    change(row),
                    interval(row),
                    p_value(row),
                    verdict(row),
                ];
                cells[0] = perf_core::format::fit(&cells[0], 48);
                cells
            })
            .collect();
        out.push_str(&align(&header, &cells, &[2, 3, 4, 6]));
    }
    if hidden > 0 {
        let _ = writeln!(out, "({hidden} unchanged rows not shown; --all shows them)");
    }
    let culprits: Vec<&Row> = comparison.culprits().collect();
    if !culprits.is_empty() {
        out.push_str("\nwhere to look (own cost changed):\n");
        for row in culprits {
            let _ = writeln!(out, "  {}", culprit_line(row));
        }
    }
    if !comparison.budgets.is_empty() {
        out.push_str("\nbudgets (perf.toml):\n");
        for check in &comparison.budgets {
            let _ = writeln!(out, "  {}", budget_line(check));
        }
    }
    for note in &comparison.notes {
        let _ = writeln!(out, "\nnote: {note}");
    }
    let _ = writeln!(out, "\n{}", outcome_line(comparison));
    out
}

/// Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
pub fn markdown(comparison: &Comparison, detail: Detail) -> String {
    let mut out = String::new();
    let icon = if comparison.failed { "❌" } else { "✅" };
    let _ = writeln!(
        out,
        "### {icon} perf: {}\n",
        outcome_line(comparison).trim_end_matches('.')
    );
    let _ = writeln!(
        out,
        "Baseline {} · current {}  \n{}\n",
        describe_side(&comparison.baseline, true).replace('`', ""),
        describe_side(&comparison.current, false).replace('`', ""),
        settings_line(comparison)
    );
    let culprits: Vec<&Row> = comparison.culprits().collect();
    if !culprits.is_empty() {
        out.push_str("**Where to look** (own cost changed):\n\n");
        for row in culprits {
            let _ = writeln!(out, "- {}", culprit_line(row).replace(['`'], ""));
        }
        out.push('\n');
    }
    let (shown, _) = visible_rows(comparison, detail);
    let (changed, unchanged): (Vec<&Row>, Vec<&Row>) = shown
        .into_iter()
        .partition(|r| r.verdict != Verdict::Unchanged);
    if !changed.is_empty() {
        markdown_table(&mut out, comparison, &changed);
    }
    if !unchanged.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} unchanged</summary>\n",
            unchanged.len()
        );
        markdown_table(&mut out, comparison, &unchanged);
        out.push_str("</details>\n\n");
    }
    if !comparison.budgets.is_empty() {
        out.push_str("**Budgets** (perf.toml):\n\n");
        for check in &comparison.budgets {
            let _ = writeln!(out, "- {}", budget_line(check));
        }
        out.push('\n');
    }
    for note in &comparison.notes {
        let _ = writeln!(out, "> **Note:** {note}\n");
    }
    out
}

fn markdown_table(out: &mut String, comparison: &Comparison, rows: &[&Row]) {
    let _ = writeln!(
        out,
        "| function | metric | baseline | current | change | {} | verdict |",
        interval_heading(comparison)
    );
    out.push_str("|---|---|---:|---:|---:|---|---|\n");
    for row in rows {
        let change = change(row);
        let change = if row.verdict == Verdict::Regressed || row.verdict == Verdict::Improved {
            format!("**{change}**")
        } else {
            change
        };
        let mark = match row.verdict {
            Verdict::Regressed => "🔴 ",
            Verdict::Improved => "🟢 ",
            Verdict::New | Verdict::Gone => "⚪ ",
            Verdict::Unchanged => "",
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {mark}{} |",
            row.function.replace('|', "\\|").replace('`', "'"),
            metric_label(row),
            value(row, row.baseline),
            value(row, row.current),
            change,
            interval(row),
            verdict(row).replace('|', "\\|"),
        );
    }
    out.push('\n');
}

/// An HTML fragment for `cargo perf report`: the outcome, where to look,
/// the table (rows classed by verdict, so a page's CSS can highlight
/// regressions), budgets and notes. Every name is escaped.
pub fn html(comparison: &Comparison, detail: Detail) -> String {
    let e = crate::html::escape;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<p class=\"outcome {}\">{}</p>",
        if comparison.failed {
            "failed"
        } else {
            "passed"
        },
        e(&outcome_line(comparison))
    );
    let _ = writeln!(
        out,
        "<p class=\"sides\">Baseline {} · current {}<br><span class=\"muted\">{}</span></p>",
        e(&describe_side(&comparison.baseline, true).replace('`', "")),
        e(&describe_side(&comparison.current, false).replace('`', "")),
        e(&settings_line(comparison))
    );
    let culprits: Vec<&Row> = comparison.culprits().collect();
    if !culprits.is_empty() {
        out.push_str(
            "<div class=\"culprits\"><strong>Where to look</strong> (own cost changed):<ul>\n",
        );
        for row in culprits {
            let _ = writeln!(out, "<li>{}</li>", e(&culprit_line(row)));
        }
        out.push_str("</ul></div>\n");
    }
    let (shown, hidden) = visible_rows(comparison, detail);
    let p = match comparison.correction {
        Correction::BenjaminiHochberg { .. } => "q",
        Correction::None { .. } => "p",
    };
    let _ = writeln!(
        out,
        "<table class=\"sortable compare\"><thead><tr><th>function</th><th>metric</th>\
         <th class=\"num\">baseline</th><th class=\"num\">current</th><th class=\"num\">change</th>\
         <th>{}</th><th class=\"num\">{p}</th><th>verdict</th></tr></thead><tbody>",
        e(&interval_heading(comparison))
    );
    for row in &shown {
        let class = match row.verdict {
            Verdict::Regressed if row.gated => "regressed",
            Verdict::Regressed => "regressed not-gated",
            other => other.word(),
        };
        let sort = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v}"));
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td class=\"fn\">{}</td><td>{}</td>\
             <td class=\"num\" data-v=\"{}\">{}</td><td class=\"num\" data-v=\"{}\">{}</td>\
             <td class=\"num\" data-v=\"{}\">{}</td><td>{}</td>\
             <td class=\"num\" data-v=\"{}\">{}</td><td class=\"verdict\">{}</td></tr>",
            e(&row.function),
            e(&metric_label(row)),
            sort(row.baseline),
            e(&value(row, row.baseline)),
            sort(row.current),
            e(&value(row, row.current)),
            sort(row.change),
            e(&change(row)),
            e(&interval(row)),
            sort(row.p_adjusted),
            e(&p_value(row)),
            e(&verdict(row)),
        );
    }
    out.push_str("</tbody></table>\n");
    if hidden > 0 {
        let _ = writeln!(
            out,
            "<p class=\"muted\">{hidden} unchanged rows not shown (<code>cargo perf compare --all</code> shows them).</p>"
        );
    }
    if !comparison.budgets.is_empty() {
        out.push_str("<p><strong>Budgets</strong> (perf.toml):</p><ul class=\"budgets\">\n");
        for check in &comparison.budgets {
            let _ = writeln!(
                out,
                "<li class=\"{}\">{}</li>",
                if check.exceeded {
                    "regressed"
                } else {
                    "unchanged"
                },
                e(&budget_line(check))
            );
        }
        out.push_str("</ul>\n");
    }
    for note in &comparison.notes {
        let _ = writeln!(out, "<p class=\"note\">Note: {}</p>", e(note));
    }
    out
}

/// Rows to show: every row that is not unchanged, time/call of every
/// function (so each function appears once) and the whole program's
/// time/run, unless all are asked for.
fn visible_rows(comparison: &Comparison, detail: Detail) -> (Vec<&Row>, usize) {
    let (shown, hidden): (Vec<&Row>, Vec<&Row>) = comparison.rows.iter().partition(|row| {
        detail.all
            || row.verdict != Verdict::Unchanged
            || matches!(row.metric, Some(Metric::TimePerCall | Metric::TimePerRun))
    });
    (shown, hidden.len())
}

fn describe_side(side: &Side, is_baseline: bool) -> String {
    let mut text = if is_baseline && side.name != side.record {
        format!("`{}` (record {}", side.name, side.record)
    } else {
        format!("`{}` ({}", side.name, side.created_at)
    };
    let _ = write!(text, ", {} samples", side.samples);
    if let Some(commit) = &side.git_commit {
        let short: String = commit.chars().take(10).collect();
        let _ = write!(text, ", commit {short}");
    }
    text.push(')');
    text
}

fn settings_line(comparison: &Comparison) -> String {
    let settings = &comparison.settings;
    let correction = match &comparison.correction {
        Correction::BenjaminiHochberg { tests } => {
            format!("; Benjamini–Hochberg across {tests} tests")
        }
        Correction::None { .. } => String::new(),
    };
    format!(
        "threshold {} for time, {} for counts; Mann–Whitney U at α = {}{correction}",
        units::percent(settings.threshold),
        units::percent(settings.alloc_threshold),
        settings.significance,
    )
}

fn interval_heading(comparison: &Comparison) -> String {
    format!(
        "{}% CI",
        units::percent(1.0 - comparison.settings.significance).trim_end_matches('%')
    )
}

fn metric_label(row: &Row) -> String {
    row.metric
        .map_or_else(|| "-".to_owned(), |m| m.label().to_owned())
}

fn value(row: &Row, value: Option<f64>) -> String {
    match (row.metric, value) {
        (Some(metric), Some(v)) => metric.format(v),
        (None, Some(v)) => format!("{}/call", units::duration(v)),
        (_, None) => "-".to_owned(),
    }
}

fn change(row: &Row) -> String {
    match (row.method, row.change) {
        (Method::Presence, _) => "-".to_owned(),
        (_, Some(c)) => units::change(c),
        (_, None) => "from 0".to_owned(),
    }
}

fn interval(row: &Row) -> String {
    let Some(interval) = row.interval else {
        return match row.method {
            Method::Exact => "exact".to_owned(),
            Method::ThresholdOnly => "(threshold only)".to_owned(),
            Method::TooFewCalls => "(too few calls)".to_owned(),
            _ => "-".to_owned(),
        };
    };
    let bound =
        |b: Option<f64>, infinite: &str| b.map_or_else(|| infinite.to_owned(), units::change);
    format!(
        "{} … {}",
        bound(interval.lower, "-∞"),
        bound(interval.upper, "+∞")
    )
}

fn p_value(row: &Row) -> String {
    match row.p_adjusted {
        Some(p) if p < 0.001 => "<0.001".to_owned(),
        Some(p) => format!("{p:.3}"),
        None => "-".to_owned(),
    }
}

fn verdict(row: &Row) -> String {
    let word = if row.verdict == Verdict::Regressed && !row.gated {
        "regressed, not gated"
    } else {
        row.verdict.word()
    };
    match &row.cause {
        Some(Cause::Callees { functions }) if functions.is_empty() => {
            format!("{word} (in callees)")
        }
        Some(Cause::Callees { functions }) => format!("{word} (via {})", list(functions, 2)),
        Some(Cause::CalledBy { functions }) => {
            format!("{word} (calls from {})", list(functions, 2))
        }
        Some(Cause::Own) | None => word.to_owned(),
    }
}

fn list(names: &[String], at_most: usize) -> String {
    let mut shown: Vec<&str> = names.iter().take(at_most).map(String::as_str).collect();
    let more = names.len().saturating_sub(at_most);
    let extra;
    if more > 0 {
        extra = format!("{more} more");
        shown.push(&extra);
    }
    shown.join(", ")
}

fn culprit_line(row: &Row) -> String {
    let metric = metric_label(row);
    let mut line = format!(
        "{}: {metric} {} ({} → {})",
        row.function,
        change(row),
        value(row, row.baseline),
        value(row, row.current)
    );
    if let Some(Cause::CalledBy { functions }) = &row.cause {
        let _ = write!(line, ", called more often by {}", list(functions, 3));
    }
    line
}

pub(crate) fn budget_line(check: &BudgetCheck) -> String {
    let name = match check.metric {
        Metric::TimePerCall => "mean",
        Metric::P95 => "p95",
        _ => "allocs/call",
    };
    format!(
        "{} {name} {} {} {} {}",
        check.function,
        check.metric.format(check.measured),
        if check.exceeded { ">" } else { "≤" },
        check.metric.format(check.limit),
        if check.exceeded { "EXCEEDED" } else { "ok" }
    )
}

fn outcome_line(comparison: &Comparison) -> String {
    let totals = &comparison.totals;
    let mut parts = Vec::new();
    if totals.regressed > 0 {
        parts.push(plural(totals.regressed, "regression"));
    }
    if totals.budgets_exceeded > 0 {
        parts.push(format!(
            "{} exceeded",
            plural(totals.budgets_exceeded, "budget")
        ));
    }
    let mut extra = Vec::new();
    if totals.regressed_not_gated > 0 {
        extra.push(format!(
            "{} not gated",
            plural(totals.regressed_not_gated, "p95 regression")
        ));
    }
    if totals.improved > 0 {
        extra.push(plural(totals.improved, "improvement"));
    }
    if totals.new > 0 {
        extra.push(format!("{} new", plural(totals.new, "function")));
    }
    if totals.gone > 0 {
        extra.push(format!("{} gone", plural(totals.gone, "function")));
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" ({})", extra.join(", "))
    };
    if parts.is_empty() {
        format!("no regressions{extra}.")
    } else if comparison.failed {
        format!("FAILED: {}{extra}.", parts.join(" and "))
    } else {
        format!(
            "{} (not failing: --fail-on never){extra}.",
            parts.join(" and ")
        )
    }
}

fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Columns padded to their widest cell; `right` lists right-aligned columns.
fn align(header: &[String], rows: &[Vec<String>], right: &[usize]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let mut text = String::new();
        for (i, cell) in line.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i > 0 {
                text.push_str("  ");
            }
            if right.contains(&i) {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}
