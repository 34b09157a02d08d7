//! An HTML fragment for `cargo perf report`: the outcome, where to look,
//! the table (rows classed by verdict, so the page's CSS can highlight
//! regressions), budgets and notes. Every name is escaped.

use std::fmt::Write as _;

use perf_format::html::escape as e;
use perf_format::schema::compare::{OnlyIn, Row, Verdict};

use super::Part::{Budgets, Culprits, Heading, Hidden, Mismatches, Notes, Rows};
use super::{Output, Part, View};

/// The fragment of the report's comparison section.
pub(super) struct Html;

/// A number a sortable cell sorts by.
fn sort_key(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v}"))
}

impl Output for Html {
    fn parts(&self) -> &'static [Part] {
        &[Heading, Mismatches, Culprits, Rows, Hidden, Budgets, Notes]
    }

    fn heading(&self, view: &View<'_>, out: &mut String) {
        let _ = writeln!(
            out,
            "<p class=\"outcome {}\">{}</p>\n\
             <p class=\"sides\">Baseline {} · current {}<br><span class=\"muted\">{}</span></p>",
            if view.comparison.failed {
                "failed"
            } else {
                "passed"
            },
            e(&view.outcome),
            e(&view.baseline.replace('`', "")),
            e(&view.current.replace('`', "")),
            e(&view.settings)
        );
    }

    fn culprits(&self, lines: &[String], out: &mut String) {
        out.push_str(
            "<div class=\"culprits\"><strong>Where to look</strong> (own cost changed):<ul>\n",
        );
        for line in lines {
            let _ = writeln!(out, "<li>{}</li>", e(line));
        }
        out.push_str("</ul></div>\n");
    }

    fn rows(&self, view: &View<'_>, out: &mut String) {
        let _ = writeln!(
            out,
            "<table class=\"sortable compare\"><thead><tr><th>function</th><th>metric</th>\
             <th class=\"num\">baseline</th><th class=\"num\">current</th><th class=\"num\">change</th>\
             <th>{}</th><th class=\"num\">{}</th><th>verdict</th></tr></thead><tbody>",
            e(&view.interval_heading),
            view.p_label
        );
        for cells in &view.rows {
            let row = cells.row;
            let class = match row.verdict() {
                Verdict::Regressed if row.gated() => "regressed",
                Verdict::Regressed => "regressed not-gated",
                other => other.word(),
            };
            let (baseline, current, change, p) = match row {
                Row::Judged(j) => (Some(j.baseline), Some(j.current), j.change, j.p_adjusted),
                Row::Presence(p) => match p.only_in {
                    OnlyIn::Baseline => (p.time_per_call, None, None, None),
                    OnlyIn::Current => (None, p.time_per_call, None, None),
                },
            };
            let _ = writeln!(
                out,
                "<tr class=\"{class}\"><td class=\"fn\">{}</td><td>{}</td>\
                 <td class=\"num\" data-v=\"{}\">{}</td><td class=\"num\" data-v=\"{}\">{}</td>\
                 <td class=\"num\" data-v=\"{}\">{}</td><td>{}</td>\
                 <td class=\"num\" data-v=\"{}\">{}</td><td class=\"verdict\">{}</td></tr>",
                e(row.function()),
                e(&cells.metric),
                sort_key(baseline),
                e(&cells.baseline),
                sort_key(current),
                e(&cells.current),
                sort_key(change),
                e(&cells.change),
                e(&cells.interval),
                sort_key(p),
                e(&cells.p),
                e(&cells.verdict),
            );
        }
        out.push_str("</tbody></table>\n");
    }

    fn hidden(&self, count: usize, out: &mut String) {
        let _ = writeln!(
            out,
            "<p class=\"muted\">{} not shown: unchanged, or not gated and inconclusive (<code>cargo perf compare --all</code> shows them).</p>",
            perf_format::units::plural(count as u64, "row")
        );
    }

    fn budgets(&self, budgets: &[(String, bool)], out: &mut String) {
        out.push_str("<p><strong>Budgets</strong> (perf.toml):</p><ul class=\"budgets\">\n");
        for (line, exceeded) in budgets {
            let class = if *exceeded { "regressed" } else { "unchanged" };
            let _ = writeln!(out, "<li class=\"{class}\">{}</li>", e(line));
        }
        out.push_str("</ul>\n");
    }

    fn note(&self, note: &str, out: &mut String) {
        let _ = writeln!(out, "<p class=\"note\">Note: {}</p>", e(note));
    }

    fn mismatch(&self, difference: &str, out: &mut String) {
        let _ = writeln!(
            out,
            "<p class=\"warning\">Not the same program (compared anyway): {}</p>",
            e(difference)
        );
    }
}
