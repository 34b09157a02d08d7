//! Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`.

use std::borrow::Cow;
use std::fmt::Write as _;

use perf_format::schema::compare::Verdict;

use super::Part::{Budgets, Culprits, Heading, Mismatches, Notes, Rows};
use super::{Cells, Output, Part, View, is_change, text};

/// The outcome as a heading, where to look, changed rows, the unchanged
/// ones folded away, budgets and notes.
pub(super) struct Markdown;

impl Output for Markdown {
    fn parts(&self) -> &'static [Part] {
        &[Heading, Mismatches, Culprits, Rows, Budgets, Notes]
    }

    fn heading(&self, view: &View<'_>, out: &mut String) {
        let icon = if view.comparison.failed { "❌" } else { "✅" };
        let _ = writeln!(
            out,
            "### {icon} perf: {}\n\nBaseline {} · current {}  \n{}\n",
            view.outcome.trim_end_matches('.'),
            view.baseline,
            view.current,
            view.settings
        );
    }

    fn culprits(&self, lines: &[String], out: &mut String) {
        out.push_str("**Where to look** (own cost changed):\n\n");
        for line in lines {
            let _ = writeln!(out, "- {line}");
        }
        out.push('\n');
    }

    fn rows(&self, view: &View<'_>, out: &mut String) {
        let (changed, unchanged): (Vec<&Cells<'_>>, Vec<&Cells<'_>>) = view
            .rows
            .iter()
            .partition(|cells| cells.row.verdict() != Verdict::Unchanged);
        if !changed.is_empty() {
            table(out, view, &changed);
        }
        if !unchanged.is_empty() {
            let _ = writeln!(
                out,
                "<details><summary>{} unchanged</summary>\n",
                unchanged.len()
            );
            table(out, view, &unchanged);
            out.push_str("</details>\n\n");
        }
    }

    fn budgets(&self, budgets: &[(String, bool)], out: &mut String) {
        out.push_str("**Budgets** (perf.toml):\n\n");
        for (line, _) in budgets {
            let _ = writeln!(out, "- {line}");
        }
        out.push('\n');
    }

    fn note(&self, note: &str, out: &mut String) {
        let _ = writeln!(out, "> **Note:** {}\n", text::prose(note));
    }

    fn mismatch(&self, difference: &str, out: &mut String) {
        let _ = writeln!(
            out,
            "> ⚠️ **Not the same program** (compared anyway): {}\n",
            text::prose(difference)
        );
    }

    fn name<'n>(&self, name: &'n str) -> Cow<'n, str> {
        text::markdown(name)
    }

    /// Plain: Markdown escapes cannot be read within a code span.
    fn side_name(&self, name: &str) -> String {
        self.name(name).into_owned()
    }
}

fn table(out: &mut String, view: &View<'_>, rows: &[&Cells<'_>]) {
    let _ = writeln!(
        out,
        "| function | metric | baseline | current | change | {} | verdict |",
        view.interval_heading
    );
    out.push_str("|---|---|---:|---:|---:|---|---|\n");
    for cells in rows {
        let verdict = cells.row.verdict();
        let change = if is_change(verdict) {
            format!("**{}**", cells.change)
        } else {
            cells.change.clone()
        };
        let mark = match verdict {
            Verdict::Regressed => "🔴 ",
            Verdict::Improved => "🟢 ",
            Verdict::New | Verdict::Gone => "⚪ ",
            _ => "",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {change} | {} | {mark}{} |",
            text::code(cells.row.function()),
            cells.metric,
            cells.baseline,
            cells.current,
            cells.interval,
            cells.verdict,
        );
    }
    out.push('\n');
}
