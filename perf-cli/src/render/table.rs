//! The plain-text table for a terminal.

use std::fmt::Write as _;

use perf_format::table::{Align, Table as Columns};

use super::{Output, View};

/// Aligned columns, then where to look, budgets, notes and the outcome.
pub(super) struct Table;

impl Output for Table {
    fn comparison(&self, view: &View<'_>) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "perf compare: baseline {} vs current {}",
            view.baseline, view.current
        );
        let _ = writeln!(out, "{}", view.settings);
        out.push('\n');
        if view.rows.is_empty() {
            out.push_str("no functions to compare\n");
        } else {
            let mut columns = Columns::new()
                .column("function", Align::Left)
                .fitted(48)
                .column("metric", Align::Left)
                .column("baseline", Align::Right)
                .column("current", Align::Right)
                .column("change", Align::Right)
                .column(&view.interval_heading, Align::Left)
                .column(view.p_label, Align::Right)
                .column("verdict", Align::Left);
            for cells in &view.rows {
                columns.push([
                    cells.row.function(),
                    &cells.metric,
                    &cells.baseline,
                    &cells.current,
                    &cells.change,
                    &cells.interval,
                    &cells.p,
                    &cells.verdict,
                ]);
            }
            let _ = write!(out, "{columns}");
        }
        if view.hidden > 0 {
            let _ = writeln!(
                out,
                "({} unchanged rows not shown; --all shows them)",
                view.hidden
            );
        }
        if !view.culprits.is_empty() {
            out.push_str("\nwhere to look (own cost changed):\n");
            for line in &view.culprits {
                let _ = writeln!(out, "  {line}");
            }
        }
        if !view.budgets.is_empty() {
            out.push_str("\nbudgets (perf.toml):\n");
            for (line, _) in &view.budgets {
                let _ = writeln!(out, "  {line}");
            }
        }
        for note in view.notes() {
            let _ = writeln!(out, "\nnote: {note}");
        }
        let _ = writeln!(out, "\n{}", view.outcome);
        out
    }
}
