//! The budgets of `cargo perf check` as a table, Markdown or JSON
//! (`perf-check/1`).

use std::fmt::Write as _;
use std::path::Path;

use perf_format::schema::compare::BudgetReport;
use perf_format::units;

use super::color::{Palette, Tone};
use super::{Format, budget_line, json, text, tone_of_budget};

/// The budgets of `report` (from the `perf.toml` at `config`) in
/// `format`, exceeded ones painted by `palette` in a table.
pub(crate) fn budgets(
    report: &BudgetReport,
    config: &Path,
    format: Format,
    palette: Palette,
) -> String {
    let palette = match format {
        Format::Table => palette,
        _ => Palette::default(),
    };
    if format == Format::Json {
        return json(report);
    }
    let bullet = if format == Format::Markdown {
        "- "
    } else {
        "  "
    };
    let name = |name: &str| match format {
        Format::Markdown => text::markdown(name).into_owned(),
        _ => text::terminal(name).into_owned(),
    };
    let mut text = format!(
        "budgets of record {} ({}):\n",
        name(&report.record),
        name(&config.display().to_string())
    );
    for check in &report.budgets {
        let line = format!("{bullet}{}", budget_line(check, &name));
        let _ = writeln!(
            text,
            "{}",
            palette.paint(tone_of_budget(check.exceeded), &line)
        );
    }
    let outcome = if report.failed {
        format!(
            "FAILED: {} of {} exceeded.",
            units::count(report.exceeded as f64),
            units::plural(report.budgets.len() as u64, "limit")
        )
    } else {
        format!(
            "{} met.",
            units::plural(report.budgets.len() as u64, "limit")
        )
    };
    let tone = if report.failed {
        Tone::Worse
    } else {
        Tone::Better
    };
    let _ = writeln!(text, "{}", palette.paint(Some(tone), &outcome));
    text
}
