//! Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;

use perf_format::schema::compare::Verdict;

use super::{Cells, Output, View};

/// The outcome as a heading, where to look, changed rows, the unchanged
/// ones folded away, budgets and notes.
pub(super) struct Markdown;

impl Output for Markdown {
    fn comparison(&self, view: &View<'_>) -> String {
        let mut out = String::new();
        let icon = if view.comparison.failed { "❌" } else { "✅" };
        let _ = writeln!(
            out,
            "### {icon} perf: {}\n",
            view.outcome.trim_end_matches('.')
        );
        let _ = writeln!(
            out,
            "Baseline {} · current {}  \n{}\n",
            view.baseline.replace('`', ""),
            view.current.replace('`', ""),
            view.settings
        );
        if !view.culprits.is_empty() {
            out.push_str("**Where to look** (own cost changed):\n\n");
            for line in &view.culprits {
                let _ = writeln!(out, "- {}", line.replace('`', ""));
            }
            out.push('\n');
        }
        let (changed, unchanged): (Vec<&Cells<'_>>, Vec<&Cells<'_>>) = view
            .rows
            .iter()
            .partition(|cells| cells.row.verdict() != Verdict::Unchanged);
        if !changed.is_empty() {
            table(&mut out, view, &changed);
        }
        if !unchanged.is_empty() {
            let _ = writeln!(
                out,
                "<details><summary>{} unchanged</summary>\n",
                unchanged.len()
            );
            table(&mut out, view, &unchanged);
            out.push_str("</details>\n\n");
        }
        if !view.budgets.is_empty() {
            out.push_str("**Budgets** (perf.toml):\n\n");
            for (line, _) in &view.budgets {
                let _ = writeln!(out, "- {line}");
            }
            out.push('\n');
        }
        for note in view.notes() {
            let _ = writeln!(out, "> **Note:** {note}\n");
        }
        out
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
        let change = if matches!(verdict, Verdict::Regressed | Verdict::Improved) {
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
            "| `{}` | {} | {} | {} | {change} | {} | {mark}{} |",
            cells.row.function().replace('|', "\\|").replace('`', "'"),
            cells.metric,
            cells.baseline,
            cells.current,
            cells.interval,
            cells.verdict.replace('|', "\\|"),
        );
    }
    out.push('\n');
}
