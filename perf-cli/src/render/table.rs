//! The plain-text table for a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

use perf_format::table::{Align, Table as Columns};

use super::Part::{Budgets, Culprits, Heading, Hidden, Mismatches, Notes, Outcome, Rows};
use super::color::{Palette, Tone};
use super::{Output, Part, View, text};

/// Aligned columns, then where to look, budgets, notes and the outcome;
/// verdicts painted by `palette` (plain unless colour is on).
pub(super) struct Table {
    /// Paints regressed rows, exceeded budgets and the outcome.
    pub(super) palette: Palette,
}

impl Output for Table {
    fn parts(&self) -> &'static [Part] {
        &[
            Heading, Mismatches, Rows, Hidden, Culprits, Budgets, Notes, Outcome,
        ]
    }

    fn heading(&self, view: &View<'_>, out: &mut String) {
        let _ = writeln!(
            out,
            "perf compare: baseline {} vs current {}\n{}\n",
            view.baseline, view.current, view.settings
        );
    }

    fn rows(&self, view: &View<'_>, out: &mut String) {
        if view.rows.is_empty() {
            out.push_str("no functions to compare\n");
            return;
        }
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
        let mut tones = vec![None];
        for cells in &view.rows {
            tones.push(super::tone_of_row(cells.row));
            columns.push([
                &cells.function,
                &cells.metric,
                &cells.baseline,
                &cells.current,
                &cells.change,
                &cells.interval,
                &cells.p,
                &cells.verdict,
            ]);
        }
        out.push_str(&self.palette.paint_lines(&columns.to_string(), tones));
    }

    fn hidden(&self, count: usize, out: &mut String) {
        let _ = writeln!(
            out,
            "({} not shown: unchanged, or not gated and inconclusive; --all shows them)",
            perf_format::units::plural(count as u64, "row")
        );
    }

    fn culprits(&self, lines: &[String], out: &mut String) {
        out.push_str("\nwhere to look (own cost changed):\n");
        for line in lines {
            let _ = writeln!(out, "  {line}");
        }
    }

    fn budgets(&self, budgets: &[(String, bool)], out: &mut String) {
        out.push_str("\nbudgets (perf.toml):\n");
        for (line, exceeded) in budgets {
            let line = format!("  {line}");
            let _ = writeln!(
                out,
                "{}",
                self.palette.paint(super::tone_of_budget(*exceeded), &line)
            );
        }
    }

    fn note(&self, note: &str, out: &mut String) {
        let _ = writeln!(out, "\nnote: {}", text::terminal(note));
    }

    fn mismatch(&self, difference: &str, out: &mut String) {
        let _ = writeln!(
            out,
            "warning: not the same program (compared anyway): {}\n",
            text::terminal(difference)
        );
    }

    fn name<'n>(&self, name: &'n str) -> Cow<'n, str> {
        text::terminal(name)
    }

    fn outcome(&self, view: &View<'_>, out: &mut String) {
        let tone = match (view.comparison.failed, view.comparison.totals.regressed) {
            (true, _) => Tone::Worse,
            (false, 0) => Tone::Better,
            (false, _) => Tone::Unsure,
        };
        let _ = writeln!(out, "\n{}", self.palette.paint(Some(tone), &view.outcome));
    }
}
