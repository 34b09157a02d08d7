//! Everything `cargo perf` shows: tables, Markdown, JSON, HTML, SVG and
//! charts, painted by one palette ([`color`]). Each output is drawn from one
//! view of its data, in every format it has: a comparison (here and in
//! `table`, `markdown`, `html`), budgets ([`budgets`]), a record
//! ([`record`]), the records and baselines ([`records`], [`baselines`]), a
//! soak ([`soak`]), the history ([`history`], [`chart`]), flamegraphs
//! ([`flamegraph`]), the report page ([`report`]), and the budgets as
//! Prometheus alerting rules with their tests ([`alerts`]).
//!
//! A comparison as a terminal table, Markdown for a pull request, an HTML
//! fragment for `cargo perf report`, or JSON (`perf-compare/1`).
//!
//! One path: [`render`] computes a [`View`] of the comparison once — the
//! p/q label, the rows shown and their cells, where to look, the outcome —
//! and walks the parts of it that the format shows, in the format's order,
//! calling the format's [`Output`] hook for each part that has something
//! to show, as criterion calls each of its reports' hooks.

pub(crate) mod alerts;
pub(crate) mod baselines;
pub(crate) mod budgets;
pub(crate) mod chart;
pub(crate) mod color;
pub(crate) mod flamegraph;
pub(crate) mod history;
mod html;
mod markdown;
pub(crate) mod record;
pub(crate) mod records;
pub(crate) mod report;
pub(crate) mod soak;
mod table;
pub(crate) mod text;

use std::borrow::Cow;
use std::fmt::Write as _;

use perf_format::schema::compare::{
    BudgetCheck, Cause, Comparison, Correction, Drift, Judged, Method, OnlyIn, Presence, Row, Side,
    Verdict,
};
use perf_format::schema::env::{self, clock_step_legend, commit_label};
use perf_format::schema::record::Metric;
use perf_format::units;

use color::{Palette, Tone};

/// Output formats of `compare` and `check`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    #[default]
    Table,
    /// A Markdown table for a pull request (also appended to $GITHUB_STEP_SUMMARY).
    Markdown,
    /// JSON, schema perf-compare/1 (see docs/formats.md).
    Json,
    /// An HTML fragment, for `cargo perf report`.
    Html,
}

/// How much of a comparison to show, and how.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Detail {
    /// Every row, also unchanged ones other than total time/call.
    pub all: bool,
    /// Colour the table's verdicts for a terminal (regressed red, improved
    /// green, inconclusive yellow); other formats are never coloured.
    pub color: bool,
}

/// `comparison` in `format`, showing as much as `detail` says.
pub fn render(comparison: &Comparison, format: Format, detail: Detail) -> String {
    let terminal = table::Table {
        palette: Palette::new(detail.color),
    };
    let output: &dyn Output = match format {
        // The comparison itself: stable and documented.
        Format::Json => return json(comparison),
        Format::Table => &terminal,
        Format::Markdown => &markdown::Markdown,
        Format::Html => &html::Html,
    };
    let view = View::new(comparison, detail, output);
    let mut out = String::new();
    for part in output.parts() {
        match part {
            Part::Heading => output.heading(&view, &mut out),
            Part::Mismatches => {
                for line in &comparison.mismatches {
                    output.mismatch(line, &mut out);
                }
            }
            Part::Rows => output.rows(&view, &mut out),
            Part::Hidden if view.hidden > 0 => output.hidden(view.hidden, &mut out),
            Part::Culprits if !view.culprits.is_empty() => {
                output.culprits(&view.culprits, &mut out)
            }
            Part::Budgets if !view.budgets.is_empty() => output.budgets(&view.budgets, &mut out),
            Part::Notes => {
                output.note(&view.legend, &mut out);
                for note in &comparison.notes {
                    output.note(note, &mut out);
                }
            }
            Part::Outcome => output.outcome(&view, &mut out),
            _ => {}
        }
    }
    out
}

/// The parts of a comparison's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// The sides, the settings (and in some formats the outcome).
    Heading,
    /// What makes the records not comparable, when compared anyway.
    Mismatches,
    /// The rows shown.
    Rows,
    /// How many unchanged rows were left out, when any were.
    Hidden,
    /// Where to look, when a function's own cost regressed.
    Culprits,
    /// The budgets of perf.toml, when there are any.
    Budgets,
    /// Each note.
    Notes,
    /// The outcome at the end.
    Outcome,
}

/// One output format of a comparison: the parts it shows, in its order,
/// and a hook writing each (a no-op unless the format shows the part).
trait Output {
    /// The parts shown, in order.
    fn parts(&self) -> &'static [Part];

    /// The sides and settings.
    fn heading(&self, _view: &View<'_>, _out: &mut String) {}

    /// The rows shown.
    fn rows(&self, _view: &View<'_>, _out: &mut String) {}

    /// `count` unchanged rows were left out.
    fn hidden(&self, _count: usize, _out: &mut String) {}

    /// Where to look: one line per culprit.
    fn culprits(&self, _lines: &[String], _out: &mut String) {}

    /// One line per budget, and whether it was exceeded.
    fn budgets(&self, _budgets: &[(String, bool)], _out: &mut String) {}

    /// One note.
    fn note(&self, _note: &str, _out: &mut String) {}

    /// One difference that makes the records not comparable.
    fn mismatch(&self, _difference: &str, _out: &mut String) {}

    /// The outcome.
    fn outcome(&self, _view: &View<'_>, _out: &mut String) {}

    /// A name from a file (a function's) as this format shows it within
    /// its lines ([`text`]); as it is for a format that escapes whole lines.
    fn name<'n>(&self, name: &'n str) -> Cow<'n, str> {
        Cow::Borrowed(name)
    }

    /// A side's name as the heading shows it: in backticks.
    fn side_name(&self, name: &str) -> String {
        format!("`{}`", self.name(name))
    }
}

/// How an output shows a name from a file.
type Name<'o> = &'o dyn Fn(&str) -> String;

fn json(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("perf's outputs serialise");
    text.push('\n');
    text
}

/// What every output of a comparison shows, computed once.
struct View<'a> {
    comparison: &'a Comparison,
    /// `q` for p-values adjusted by Benjamini–Hochberg, else `p`.
    p_label: &'static str,
    /// "99.9% CI".
    interval_heading: String,
    /// What the three verdicts mean, in one line.
    legend: String,
    /// The baseline side, in words.
    baseline: String,
    /// The current side, in words.
    current: String,
    /// Thresholds, test and adjustment, in one line.
    settings: String,
    /// "no regressions." or "FAILED: 1 regression."
    outcome: String,
    /// Where to look: one line per culprit.
    culprits: Vec<String>,
    /// The rows shown, with their cells.
    rows: Vec<Cells<'a>>,
    /// Rows left out: unchanged ones, and inconclusive ones that do not gate.
    hidden: usize,
    /// One line per budget, and whether it was exceeded.
    budgets: Vec<(String, bool)>,
}

/// How a row is painted on a terminal: regressed red (yellow when it does
/// not gate), improved green, inconclusive yellow, the others plain.
fn tone_of_row(row: &Row) -> Option<Tone> {
    match row.verdict() {
        Verdict::Regressed if row.gated() => Some(Tone::Worse),
        Verdict::Regressed | Verdict::Inconclusive => Some(Tone::Unsure),
        Verdict::Improved => Some(Tone::Better),
        _ => None,
    }
}

/// Exceeded budgets are painted red.
fn tone_of_budget(exceeded: bool) -> Option<Tone> {
    exceeded.then_some(Tone::Worse)
}

/// Whether a verdict is a change that counts, either way.
fn is_change(verdict: Verdict) -> bool {
    matches!(verdict, Verdict::Regressed | Verdict::Improved)
}

/// A row's cells as every output shows them.
struct Cells<'a> {
    row: &'a Row,
    /// The function, as the output shows a name.
    function: String,
    metric: String,
    baseline: String,
    current: String,
    change: String,
    interval: String,
    p: String,
    verdict: String,
}

impl<'a> View<'a> {
    fn new(comparison: &'a Comparison, detail: Detail, output: &dyn Output) -> View<'a> {
        let name: Name<'_> = &|name| output.name(name).into_owned();
        // Rows to show: every row that is not unchanged (but for rows that
        // do not gate and are inconclusive: p95s on a few runs), time/call
        // of every function (so each function appears once) and the whole
        // program's time/run and peak heap, unless all are asked for.
        // Instruction records show instr/call of every function instead:
        // their times, under Valgrind, do not gate.
        let instructions = comparison.baseline.instructions || comparison.current.instructions;
        let (shown, hidden): (Vec<&Row>, Vec<&Row>) = comparison.rows.iter().partition(|row| {
            let quiet = row.verdict() == Verdict::Unchanged
                || (row.verdict() == Verdict::Inconclusive && !row.gated());
            let always = match instructions {
                true => matches!(
                    row.metric(),
                    Some(Metric::InstructionsPerCall | Metric::PeakHeapBytes)
                ),
                false => matches!(
                    row.metric(),
                    Some(Metric::TimePerCall | Metric::TimePerRun | Metric::PeakHeapBytes)
                ),
            };
            detail.all || !quiet || always
        });
        // Percentiles under a few steps of either side's clock are
        // marked `~`; the legend then says the step.
        let mut legend = legend(comparison);
        let coarsest = [&comparison.baseline, &comparison.current]
            .iter()
            .filter_map(|side| side.clock_step_ns)
            .reduce(f64::max);
        let marked = shown.iter().any(|row| {
            [OnlyIn::Baseline, OnlyIn::Current]
                .into_iter()
                .any(|side| near_clock_step(row, side, comparison))
        });
        if let Some(step) = clock_step_legend(coarsest).filter(|_| marked) {
            let _ = write!(legend, "; {step}");
        }
        View {
            comparison,
            p_label: match comparison.correction {
                Correction::BenjaminiHochberg { .. } => "q",
                _ => "p",
            },
            interval_heading: format!("{} CI", confidence(comparison)),
            legend,
            baseline: describe_side(&comparison.baseline, true, output),
            current: describe_side(&comparison.current, false, output),
            settings: settings_line(comparison),
            outcome: outcome_line(comparison, name),
            culprits: comparison
                .culprits()
                .map(|row| culprit_line(row, name))
                .collect(),
            rows: shown
                .iter()
                .map(|row| Cells::of(row, name, comparison))
                .collect(),
            hidden: hidden.len(),
            budgets: comparison
                .budgets
                .iter()
                .map(|check| (budget_line(check, name), check.exceeded))
                .collect(),
        }
    }
}

impl<'a> Cells<'a> {
    fn of(row: &'a Row, name: Name<'_>, comparison: &Comparison) -> Cells<'a> {
        let value = |side| match near_clock_step(row, side, comparison) {
            true => format!("~{}", value(row, side)),
            false => value(row, side),
        };
        Cells {
            row,
            function: name(row.function()),
            metric: row
                .metric()
                .map_or_else(|| "-".to_owned(), |m| m.label().to_owned()),
            baseline: value(OnlyIn::Baseline),
            current: value(OnlyIn::Current),
            change: change(row),
            interval: interval(row),
            p: p_value(row),
            verdict: verdict(row, name),
        }
    }
}

/// Whether `side`'s figure of `row` is a per-call percentile under a few
/// steps of the clock that side was timed with.
fn near_clock_step(row: &Row, side: OnlyIn, comparison: &Comparison) -> bool {
    let Some(judged) = row.judged() else {
        return false;
    };
    let (step, figure) = match side {
        OnlyIn::Baseline => (comparison.baseline.clock_step_ns, judged.baseline),
        OnlyIn::Current => (comparison.current.clock_step_ns, judged.current),
    };
    matches!(judged.metric, Metric::P50 | Metric::P95 | Metric::P99)
        && env::near_clock_step(step, figure)
}

/// A side's figure: the metric's median, or a function's time per call
/// on the side that has it.
fn value(row: &Row, side: OnlyIn) -> String {
    match row {
        Row::Judged(j) => j.metric.format(match side {
            OnlyIn::Baseline => j.baseline,
            OnlyIn::Current => j.current,
        }),
        Row::Presence(Presence {
            only_in,
            time_per_call: Some(time),
            ..
        }) if *only_in == side => format!("{}/call", units::duration(*time)),
        Row::Presence(_) => "-".to_owned(),
    }
}

fn change(row: &Row) -> String {
    row.judged()
        .map_or_else(|| "-".to_owned(), |j| change_of(j.change))
}

/// An estimated change; `None` is a change from zero.
fn change_of(change: Option<f64>) -> String {
    change.map_or_else(|| "from 0".to_owned(), units::change)
}

fn interval(row: &Row) -> String {
    let Some(judged) = row.judged() else {
        return "-".to_owned();
    };
    let Some(interval) = judged.interval else {
        return match judged.method {
            Method::Exact => "exact".to_owned(),
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
    match row.judged().and_then(|j| j.p_adjusted) {
        Some(p) if p < 0.001 => "<0.001".to_owned(),
        Some(p) => format!("{p:.3}"),
        None => "-".to_owned(),
    }
}

fn verdict(row: &Row, name: Name<'_>) -> String {
    let word = match (row.verdict(), row.gated(), row.judged()) {
        (Verdict::Regressed, false, _) => "regressed, not gated".to_owned(),
        (
            Verdict::Inconclusive,
            _,
            Some(Judged {
                runs_needed: Some(n),
                ..
            }),
        ) => {
            format!("inconclusive (~{})", units::plural(*n, "run"))
        }
        (verdict, ..) => verdict.word().to_owned(),
    };
    match row.judged().and_then(|j| j.cause.as_ref()) {
        Some(Cause::Callees { functions }) if functions.is_empty() => {
            format!("{word} (in callees)")
        }
        Some(Cause::Callees { functions }) => format!("{word} (via {})", list(functions, 2, name)),
        Some(Cause::CalledBy { functions }) => {
            format!("{word} (calls from {})", list(functions, 2, name))
        }
        _ => word.to_owned(),
    }
}

/// The first `at_most` of `names`, each as the output shows a name, and
/// how many more.
fn list(names: &[String], at_most: usize, name: Name<'_>) -> String {
    let mut shown: Vec<String> = names.iter().take(at_most).map(|n| name(n)).collect();
    let more = names.len().saturating_sub(at_most);
    if more > 0 {
        shown.push(format!("{more} more"));
    }
    shown.join(", ")
}

fn culprit_line(row: &Judged, name: Name<'_>) -> String {
    let mut line = format!(
        "{}: {} {} ({} → {})",
        name(&row.function),
        row.metric.label(),
        change_of(row.change),
        row.metric.format(row.baseline),
        row.metric.format(row.current)
    );
    if let Some(Cause::CalledBy { functions }) = &row.cause {
        let _ = write!(line, ", called more often by {}", list(functions, 3, name));
    }
    line
}

/// A budget's check in one line, its function as `name` shows it.
pub(crate) fn budget_line(check: &BudgetCheck, name: Name<'_>) -> String {
    let metric = match check.metric {
        Metric::TimePerCall => "mean",
        other => other.label(),
    };
    let (relation, outcome) = if check.exceeded {
        (">", "EXCEEDED")
    } else if check.measured > check.limit {
        // The median is over, but some runs are under: not proven.
        (">", "over in the median only, not exceeded for sure")
    } else {
        ("≤", "ok")
    };
    format!(
        "{} {metric} {} (at least {}) {relation} {} {outcome}",
        name(&check.function),
        check.metric.format(check.measured),
        check.metric.format(check.lower_bound),
        check.metric.format(check.limit),
    )
}

fn describe_side(side: &Side, is_baseline: bool, output: &dyn Output) -> String {
    let mut text = if is_baseline && side.name != side.record {
        format!(
            "{} (record {}",
            output.side_name(&side.name),
            output.name(&side.record)
        )
    } else {
        format!(
            "{} ({}",
            output.side_name(&side.name),
            output.name(&side.created_at)
        )
    };
    let _ = write!(text, ", {}", units::plural(side.samples as u64, "sample"));
    if let Some(commit) = &side.git_commit {
        let commit = commit_label(commit, side.git_dirty);
        let _ = write!(text, ", commit {}", output.name(&commit));
    }
    text.push(')');
    text
}

/// The confidence of the intervals of the rows that gate, as a percentage
/// with the digits that tell it from 100%.
fn confidence(comparison: &Comparison) -> String {
    let level = match comparison.correction {
        Correction::BenjaminiHochberg { confidence, .. } => confidence,
        _ => 1.0 - comparison.settings.significance,
    };
    units::level(level)
}

/// The levels of the intervals of rows outside the family whose level
/// heads the table: rows shown only (another family) and the paired
/// whole-program row of `ab` (its own share of α), as a clause of the
/// legend; empty when every interval has the heading's level.
fn other_levels(comparison: &Comparison) -> String {
    let mut others = Vec::new();
    let level_of = |pick: &dyn Fn(&Judged) -> bool| {
        comparison
            .rows
            .iter()
            .filter_map(Row::judged)
            .filter(|r| pick(r))
            .find_map(|r| r.interval.map(|i| i.confidence))
    };
    if let Some(level) = level_of(&|r| !r.gated && r.method == Method::RankTest) {
        others.push(format!("rows not gated at {}", units::level(level)));
    }
    if let Some(level) = level_of(&|r| r.method == Method::SignedRank) {
        others.push(format!(
            "the whole program's, paired run by run, at {} (two-sided at α; α/2 spent on a slowdown)",
            units::level(level)
        ));
    }
    match others.is_empty() {
        true => String::new(),
        false => format!(" ({})", others.join("; ")),
    }
}

/// What regressed, unchanged and inconclusive mean, with this comparison's
/// threshold and confidence, and what the columns that are not figures of
/// a side say.
fn legend(comparison: &Comparison) -> String {
    let alpha = comparison.settings.significance;
    let p = match comparison.correction {
        Correction::BenjaminiHochberg { .. } => format!(
            "q: the row's p-value adjusted for the rows tested with it that moved the same way (Benjamini–Hochberg), a change for sure when q ≤ {alpha} — not the chance that the change is real"
        ),
        _ => format!(
            "p: the chance of a difference this large between two samples of one distribution (Mann–Whitney U), a change for sure when p ≤ {alpha}"
        ),
    };
    format!(
        "{}; baseline and current: medians over their runs; CI: where the true change lies, \
         with {} confidence{}; {p}",
        verdicts(comparison),
        confidence(comparison),
        other_levels(comparison)
    )
}

/// What regressed, unchanged and inconclusive mean, with this comparison's
/// threshold and confidence.
fn verdicts(comparison: &Comparison) -> String {
    if comparison.baseline.instructions || comparison.current.instructions {
        let threshold = units::percent(comparison.settings.instructions_threshold);
        return format!(
            "regressed: more instructions or estimated cycles per call, by {threshold} or more when every run counts the same (exact), else with {level} confidence and possibly by {threshold} or more; unchanged: within ±{threshold}; inconclusive: neither, more runs would decide",
            level = confidence(comparison)
        );
    }
    let threshold = units::percent(comparison.settings.threshold);
    format!(
        "regressed: slower for sure, the estimate at least half of {threshold} and the {level} interval reaching {threshold}; unchanged: within ±{threshold} with {level} confidence; inconclusive: neither, more runs would decide",
        level = confidence(comparison)
    )
}

/// Whether the comparison has `ab`'s paired `(whole program)` row that
/// gates, which takes its share of α from the other rows.
fn is_paired(comparison: &Comparison) -> bool {
    comparison
        .rows
        .iter()
        .filter_map(Row::judged)
        .any(|r| r.method == Method::SignedRank && r.gated)
}

/// The paired whole-program row's test, as the settings line names it.
fn paired_test(comparison: &Comparison) -> Option<String> {
    is_paired(comparison).then(|| {
        let alpha = comparison.settings.significance;
        format!(
            "; the whole program by Wilcoxon's signed-rank test on the pairs at α = {alpha} (two-sided: {} for a slowdown)",
            alpha / 2.0
        )
    })
}

fn settings_line(comparison: &Comparison) -> String {
    let settings = &comparison.settings;
    let correction = match &comparison.correction {
        Correction::BenjaminiHochberg {
            tests, selected, ..
        } => format!(
            "; Benjamini–Hochberg across {} ({selected} significant), intervals at {}",
            units::plural(*tests as u64, "test"),
            confidence(comparison)
        ),
        _ => String::new(),
    };
    let instructions = match comparison.baseline.instructions || comparison.current.instructions {
        true => format!(
            ", {} for instructions (times under Valgrind shown only)",
            units::percent(settings.instructions_threshold)
        ),
        false => String::new(),
    };
    format!(
        "threshold {} for time, {} for counts{instructions}; Mann–Whitney U at α = {}{correction}{}",
        units::percent(settings.threshold),
        units::percent(settings.alloc_threshold),
        settings.significance,
        paired_test(comparison).unwrap_or_default(),
    )
}

fn outcome_line(comparison: &Comparison, name: Name<'_>) -> String {
    let totals = &comparison.totals;
    let count = |n: usize, noun: &str| units::plural(n as u64, noun);
    let mut parts = Vec::new();
    if totals.regressed > 0 {
        // Root causes first: the rows whose own cost moved; the others
        // follow from them (callers, callees).
        let roots: Vec<&str> = comparison
            .culprits()
            .map(|row| row.function.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let following = totals
            .regressed
            .saturating_sub(comparison.culprits().count());
        parts.push(if roots.is_empty() {
            count(totals.regressed, "regression")
        } else {
            let mut text = format!(
                "{}: {}",
                count(roots.len(), "regression"),
                list(
                    &roots.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>(),
                    3,
                    name
                )
            );
            if following > 0 {
                let _ = write!(
                    text,
                    "; {} {} from {}",
                    count(following, "row"),
                    if following == 1 { "follows" } else { "follow" },
                    if roots.len() == 1 { "it" } else { "them" }
                );
            }
            text
        });
    }
    let inconclusive_fails =
        comparison.failed && totals.regressed == 0 && totals.budgets_exceeded == 0;
    if totals.inconclusive > 0 && inconclusive_fails {
        parts.push(format!(
            "{} inconclusive (--fail-on inconclusive)",
            count(totals.inconclusive, "row")
        ));
    }
    if totals.budgets_exceeded > 0 {
        parts.push(format!(
            "{} exceeded",
            count(totals.budgets_exceeded, "budget")
        ));
    }
    let mut extra = Vec::new();
    if totals.regressed_not_gated > 0 {
        extra.push(format!(
            "{} not gated",
            count(totals.regressed_not_gated, "regression")
        ));
    }
    if totals.inconclusive > 0 && !inconclusive_fails {
        extra.push(format!(
            "{} inconclusive",
            count(totals.inconclusive, "row")
        ));
    }
    if totals.improved > 0 {
        extra.push(count(totals.improved, "improvement"));
    }
    if totals.new > 0 {
        extra.push(format!("{} new", count(totals.new, "function")));
    }
    if totals.gone > 0 {
        extra.push(format!("{} gone", count(totals.gone, "function")));
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" ({})", extra.join(", "))
    };
    // A group that moved against the rest: say how to decide it.
    let decide = match &comparison.drift {
        Drift::Estimated {
            split: Some(split), ..
        } if !split.judged => match is_paired(comparison) {
            true => format!(
                " {} moved together against the rest, which moved too: `--instructions` decides.",
                count(split.functions.len(), "function")
            ),
            false => format!(
                " {} moved together against the rest, which two sessions cannot judge: `cargo perf ab` or `--instructions` decides.",
                count(split.functions.len(), "function")
            ),
        },
        _ => String::new(),
    };
    if parts.is_empty() {
        format!("no regressions{extra}.{decide}")
    } else if comparison.failed {
        format!("FAILED: {}{extra}.{decide}", parts.join(" and "))
    } else {
        format!(
            "{} (not failing: --fail-on never){extra}.{decide}",
            parts.join(" and ")
        )
    }
}

#[cfg(test)]
mod tests {
    use perf_stats::gate::evaluation::{Noise, record_on};
    use perf_stats::gate::{Gate, compare};
    use perf_stats::random::Rng;

    use super::*;

    /// Ten interleaved pairs of a 50-function program, unchanged.
    fn interleaved() -> Comparison {
        let noise = Noise {
            functions: 50,
            runs: 10,
            noise: 0.01,
            drift: 0.0,
            outliers: 0.0,
        };
        let mut rng = Rng::new(7);
        let base = record_on(&mut rng, "base", &noise, None, &[1.0; 10]);
        let current = record_on(&mut rng, "current", &noise, None, &[1.0; 10]);
        let gate = Gate {
            interleaved: true,
            ..Gate::default()
        };
        compare(("base", &base), ("current", &current), &gate, Vec::new())
    }

    #[test]
    fn ab_names_the_level_of_each_family() {
        let comparison = interleaved();
        let settings = settings_line(&comparison);
        assert!(
            settings.contains("Mann–Whitney U at α = 0.01;"),
            "{settings}"
        );
        assert!(
            settings.ends_with("; the whole program by Wilcoxon's signed-rank test on the pairs at α = 0.01 (two-sided: 0.005 for a slowdown)"),
            "{settings}"
        );
        let legend = legend(&comparison);
        assert!(
            legend.contains("a change for sure when q ≤ 0.01"),
            "{legend}"
        );
        assert!(
            legend.contains(
                "the whole program's, paired run by run, at 99% (two-sided at α; α/2 spent on a slowdown)"
            ),
            "{legend}"
        );
    }
}
