//! What the evaluations share: a rate with its Clopper–Pearson interval,
//! the Markdown tables the docs quote, and the checks that hold a quoted
//! figure against a fresh evaluation.
//!
//! Each verdict's evaluation ([`crate::history::evaluation`],
//! [`crate::soak::evaluation`]) measures it on generated data from a seeded
//! generator, so a table is the same on every machine. The docs quote those
//! tables; the tests regenerate them and fail when a quoted figure is not
//! the one measured (the whole table, exactly: in release, or on every
//! test run where it is quick), and, on every test run, when a quoted
//! figure lies outside the interval of a smaller evaluation on fresh seeds.

use std::fmt;

use crate::probability::clopper_pearson;

/// `hits` of `trials`: a measured rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// How often it happened.
    pub hits: usize,
    /// Of how many.
    pub trials: usize,
}

impl Rate {
    /// `hits` of `trials`.
    pub fn new(hits: usize, trials: usize) -> Rate {
        Rate { hits, trials }
    }

    /// The share, from 0 to 1 (0 with no trials).
    pub fn share(&self) -> f64 {
        if self.trials == 0 {
            0.0
        } else {
            self.hits as f64 / self.trials as f64
        }
    }

    /// Whether a rate `quoted` elsewhere (a share, from 0 to 1, as printed:
    /// to a tenth of a percent) is consistent with this one: within its
    /// exact interval at `confidence` (Clopper–Pearson, two-sided), give or
    /// take the printed rounding.
    pub fn holds(&self, quoted: f64, confidence: f64) -> bool {
        let (low, high) = interval(self.hits, self.trials, confidence);
        (low - 0.0005..=high + 0.0005).contains(&quoted)
    }
}

/// `83.8% [80.3, 86.9]`: the share and its Clopper–Pearson 95% interval, in
/// percent, as the docs' tables print a rate.
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (low, high) = clopper_pearson(self.hits, self.trials);
        write!(
            f,
            "{:.1}% [{:.1}, {:.1}]",
            100.0 * self.share(),
            100.0 * low,
            100.0 * high
        )
    }
}

/// The exact (Clopper–Pearson) interval of `k` in `n` at `confidence`.
fn interval(k: usize, n: usize, confidence: f64) -> (f64, f64) {
    use crate::probability::beta_quantile;
    if n == 0 {
        return (0.0, 1.0);
    }
    let tail = (1.0 - confidence) / 2.0;
    let (kf, nf) = (k as f64, n as f64);
    let low = if k == 0 {
        0.0
    } else {
        beta_quantile(tail, kf, nf - kf + 1.0)
    };
    let high = if k >= n {
        1.0
    } else {
        beta_quantile(1.0 - tail, kf + 1.0, nf - kf)
    };
    (low, high)
}

/// A cell of an evaluation's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Words: what the row is.
    Text(String),
    /// A rate with its interval: `83.8% [80.3, 86.9]`.
    Rate(Rate),
    /// A rate that is a false alarm in its row, in parentheses:
    /// `(1.0% [0.3, 2.3])`.
    Aside(Rate),
    /// Shares without intervals, side by side: `2.0% / 74.9%`.
    Shares(Vec<Rate>),
    /// Nothing to measure: `—`.
    None,
}

impl Cell {
    /// The rates the cell holds.
    pub fn rates(&self) -> Vec<Rate> {
        match self {
            Cell::Rate(rate) | Cell::Aside(rate) => vec![*rate],
            Cell::Shares(rates) => rates.clone(),
            Cell::Text(_) | Cell::None => Vec::new(),
        }
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Text(text) => f.write_str(text),
            Cell::Rate(rate) => write!(f, "{rate}"),
            Cell::Aside(rate) => write!(f, "({rate})"),
            Cell::Shares(rates) => {
                let shares: Vec<String> = rates
                    .iter()
                    .map(|r| format!("{:.1}%", 100.0 * r.share()))
                    .collect();
                f.write_str(&shares.join(" / "))
            }
            Cell::None => f.write_str("—"),
        }
    }
}

/// A Markdown table of an evaluation: a header and rows of cells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// The column headings.
    pub header: Vec<String>,
    /// The rows, one cell per heading.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with `header` and no rows.
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// The table in Markdown, as the docs hold it (no alignment marks).
    pub fn markdown(&self) -> String {
        let mut out = format!("| {} |\n|", self.header.join(" | "));
        out.push_str(&"---|".repeat(self.header.len()));
        out.push('\n');
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }
}

/// The rows of the Markdown table that begins with the heading line of
/// `header` in `text`, cell by cell as written; `None` when there is none.
pub fn quoted_rows(text: &str, header: &[impl AsRef<str>]) -> Option<Vec<Vec<String>>> {
    let header: Vec<&str> = header.iter().map(AsRef::as_ref).collect();
    let heading = format!("| {} |", header.join(" | "));
    let mut lines = text.lines().skip_while(|line| line.trim() != heading);
    lines.next()?;
    lines.next()?; // the |---| line
    Some(
        lines
            .take_while(|line| line.starts_with('|'))
            .map(|line| {
                line.trim()
                    .trim_matches('|')
                    .split(" | ")
                    .map(|cell| cell.trim().to_owned())
                    .collect()
            })
            .collect(),
    )
}

/// Where each figure of `quoted` (rows as [`quoted_rows`] reads them) does
/// not hold against the same row and column of `fresh` (an evaluation on
/// other seeds): outside the interval of the fresh rate at `confidence`.
/// Rows are matched by their leading words; a row of `fresh` that
/// `quoted` lacks is a finding too.
pub fn figures_that_do_not_hold(
    quoted: &[Vec<String>],
    fresh: &Table,
    confidence: f64,
) -> Vec<String> {
    let mut found = Vec::new();
    for fresh_row in &fresh.rows {
        // A row is named by its leading words: "30 s, teeth 0.2–3 s", "1 MiB/min".
        let key: Vec<String> = fresh_row
            .iter()
            .take_while(|c| matches!(c, Cell::Text(_)))
            .map(ToString::to_string)
            .collect();
        let name = key.join(", ");
        let Some(row) = quoted.iter().find(|r| r.starts_with(&key)) else {
            found.push(format!("row {name:?} is not quoted"));
            continue;
        };
        for (column, (cell, fresh_cell)) in row.iter().zip(fresh_row).enumerate().skip(key.len()) {
            let shares: Vec<f64> = cell.split(" / ").filter_map(quoted_share).collect();
            for (share, rate) in shares.iter().zip(fresh_cell.rates()) {
                if !rate.holds(*share, confidence) {
                    found.push(format!(
                        "{name:?}, {}: quoted {:.1}%, measured afresh {rate}",
                        fresh.header[column],
                        100.0 * share
                    ));
                }
            }
        }
    }
    found
}

/// The share a cell quotes: `83.8% [80.3, 86.9]`, `(1.0% [0.3, 2.3])` or
/// `2.8%` → 0.838, 0.010, 0.028; `None` for a cell with no rate (`—`).
pub fn quoted_share(cell: &str) -> Option<f64> {
    let number = cell.trim_start_matches('(').split('%').next()?;
    number
        .trim()
        .parse::<f64>()
        .ok()
        .map(|percent| percent / 100.0)
}

/// Every percentage written in `text` (`98.6%`, `2.5%`), in order.
pub fn percentages(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for (end, _) in text.match_indices('%') {
        let start = text[..end]
            .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map_or(0, |i| i + 1);
        if start < end && text[start..end].contains(|c: char| c.is_ascii_digit()) {
            found.push(&text[start..=end]);
        }
    }
    found
}

/// The docs pages that quote the evaluations, held to them by the tests.
#[cfg(test)]
pub(crate) mod docs {
    use std::path::PathBuf;

    use super::{Table, figures_that_do_not_hold, quoted_rows};

    /// The docs page `name`, in the repository beside this crate.
    fn path(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../docs")
            .join(name)
    }

    /// The text of docs page `name`.
    pub(crate) fn read(name: &str) -> String {
        let path = path(name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    /// Holds the table of docs page `name` that has `measured`'s header to
    /// `measured` exactly; with `PERF_BLESS` set, writes `measured` there
    /// instead (a change then reviewed as a diff of the docs).
    pub(crate) fn hold_table(name: &str, measured: &Table) {
        let text = read(name);
        let Some(quoted) = quoted_rows(&text, &measured.header) else {
            panic!("docs/{name} has no table headed {:?}", measured.header);
        };
        let quoted_text = super::Table {
            header: measured.header.clone(),
            rows: Vec::new(),
        }
        .markdown()
            + &quoted
                .iter()
                .map(|row| format!("| {} |\n", row.join(" | ")))
                .collect::<String>();
        let measured_text = measured.markdown();
        if quoted_text == measured_text {
            return;
        }
        if std::env::var_os("PERF_BLESS").is_some() {
            std::fs::write(path(name), text.replacen(&quoted_text, &measured_text, 1))
                .expect("the docs page is writable");
            return;
        }
        panic!(
            "docs/{name} quotes a table the evaluation no longer measures; measured:\n{measured_text}\nquoted:\n{quoted_text}\n(review it, then PERF_BLESS=1 cargo test -p perf-stats writes the measured table there)"
        );
    }

    /// Holds the prose after docs page `name`'s table headed as `measured`
    /// (to the next heading) to it: every percentage written with a
    /// decimal there is one of the table's, or one of `nominal` (a level,
    /// not a measurement, such as the interval's 2.5%).
    pub(crate) fn hold_prose(name: &str, measured: &Table, nominal: &[&str]) {
        let text = read(name);
        // The whole heading line: a table whose heading begins another's
        // is not that one.
        let heading = format!("| {} |\n", measured.header.join(" | "));
        let after = &text[text.find(&heading).expect("the table")..];
        let after = after.find("\n\n").map_or(after, |end| &after[end..]);
        let prose = after.find("\n#").map_or(after, |end| &after[..end]);
        let table = measured.markdown();
        let unmeasured: Vec<&str> = super::percentages(prose)
            .into_iter()
            .filter(|p| p.contains('.') && !table.contains(p) && !nominal.contains(p))
            .collect();
        assert!(
            unmeasured.is_empty(),
            "docs/{name}: the prose after the table quotes figures the table does not hold: {unmeasured:?}"
        );
    }

    /// Holds every figure of docs page `name`'s table (the one headed as
    /// `fresh` is) against `fresh`, an evaluation on other seeds, at
    /// `confidence`.
    pub(crate) fn hold_figures(name: &str, fresh: &Table, confidence: f64) {
        let text = read(name);
        let quoted = quoted_rows(&text, &fresh.header)
            .unwrap_or_else(|| panic!("docs/{name} has no table headed {:?}", fresh.header));
        let found = figures_that_do_not_hold(&quoted, fresh, confidence);
        assert!(
            found.is_empty(),
            "docs/{name}: figures that do not hold on fresh seeds:\n{}",
            found.join("\n")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_prints_as_the_docs_quote_it_and_holds_its_own_figure() {
        let rate = Rate::new(419, 500);
        assert_eq!(rate.to_string(), "83.8% [80.3, 86.9]");
        assert!(rate.holds(0.838, 0.95));
        assert!(!rate.holds(0.70, 0.999));
        assert_eq!(Rate::new(0, 500).to_string(), "0.0% [0.0, 0.7]");
        assert!(Rate::new(0, 500).holds(0.0, 0.999));
    }

    #[test]
    fn tables_read_back_as_they_are_written() {
        let mut table = Table::new(&["series", "detected", "creep"]);
        table.rows.push(vec![
            Cell::Text("step 2%".to_owned()),
            Cell::Rate(Rate::new(419, 500)),
            Cell::Aside(Rate::new(5, 500)),
        ]);
        table.rows.push(vec![
            Cell::Text("no change".to_owned()),
            Cell::None,
            Cell::Shares(vec![Rate::new(20, 1000), Rate::new(749, 1000)]),
        ]);
        let text = format!("Some prose.\n\n{}\nMore prose.\n", table.markdown());
        let quoted = quoted_rows(&text, &table.header).unwrap();
        assert_eq!(
            quoted,
            [
                ["step 2%", "83.8% [80.3, 86.9]", "(1.0% [0.3, 2.3])"],
                ["no change", "—", "2.0% / 74.9%"]
            ]
        );
        assert_eq!(quoted_rows(&text, &["other"]), None);
        assert!(figures_that_do_not_hold(&quoted, &table, 0.999).is_empty());
        let mut moved = table.clone();
        moved.rows[0][1] = Cell::Rate(Rate::new(300, 500));
        assert_eq!(
            figures_that_do_not_hold(&quoted, &moved, 0.999),
            ["\"step 2%\", detected: quoted 83.8%, measured afresh 60.0% [55.6, 64.3]"]
        );
        assert_eq!(quoted_share("83.8% [80.3, 86.9]"), Some(0.838));
        assert_eq!(quoted_share("(1.0% [0.3, 2.3])"), Some(0.01));
        assert_eq!(quoted_share("—"), None);
        assert_eq!(
            percentages("called 91.7%, and 2.5% or 100% (5 MiB)"),
            ["91.7%", "2.5%", "100%"]
        );
    }
}
