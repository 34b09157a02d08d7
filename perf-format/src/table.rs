//! Tables for a terminal — columns padded to their widest cell, two spaces
//! apart, names shortened from the left where a column has a width limit —
//! and the same tables in Markdown, for a pull request.

use std::fmt;

/// Which side of its column a cell keeps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Names and words.
    Left,
    /// Figures.
    Right,
}

#[derive(Clone, Debug)]
struct Column {
    heading: String,
    align: Align,
    max_width: Option<usize>,
}

/// A table built row by row and shown with [`Display`](fmt::Display): one
/// line per row under a heading line, trailing spaces trimmed.
///
/// ```
/// use perf_format::table::{Align, Table};
///
/// let mut table = Table::new()
///     .column("function", Align::Left)
///     .column("calls", Align::Right);
/// table.push(["app::run", "1"]);
/// table.push(["app::parse", "1,000"]);
/// assert_eq!(
///     table.to_string(),
///     "function    calls\napp::run        1\napp::parse  1,000\n"
/// );
/// ```
#[derive(Clone, Debug, Default)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
    indent: String,
}

impl Table {
    /// A table with no columns yet.
    pub fn new() -> Self {
        Table::default()
    }

    /// Adds a column.
    pub fn column(mut self, heading: impl Into<String>, align: Align) -> Self {
        self.columns.push(Column {
            heading: heading.into(),
            align,
            max_width: None,
        });
        self
    }

    /// Limits the last column added to `width` characters: longer cells
    /// keep their end ("…:function", see [`fit`](crate::units::fit)).
    pub fn fitted(mut self, width: usize) -> Self {
        if let Some(column) = self.columns.last_mut() {
            column.max_width = Some(width);
        }
        self
    }

    /// Starts every line with `indent`.
    pub fn indent(mut self, indent: impl Into<String>) -> Self {
        self.indent = indent.into();
        self
    }

    /// Adds a row: one cell per column (missing cells are empty).
    pub fn push<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.columns.len(), String::new());
        for (cell, column) in row.iter_mut().zip(&self.columns) {
            if let Some(width) = column.max_width {
                *cell = crate::units::fit(cell, width);
            }
        }
        self.rows.push(row);
    }

    /// Leaves out the columns after the first in which every cell is
    /// `empty`: figures the rows do not have.
    pub fn without_empty_columns(mut self, empty: &str) -> Self {
        let keep: Vec<bool> = (0..self.columns.len())
            .map(|i| i == 0 || self.rows.iter().any(|row| row[i] != empty))
            .collect();
        let mut kept = keep.iter();
        self.columns.retain(|_| *kept.next().unwrap_or(&true));
        for row in &mut self.rows {
            let mut kept = keep.iter();
            row.retain(|_| *kept.next().unwrap_or(&true));
        }
        self
    }
}

impl Table {
    /// The table in Markdown: a heading row, a rule (`---:` for a column
    /// of figures), one row per row; a `|` in a cell is escaped.
    ///
    /// ```
    /// use perf_format::table::{Align, Table};
    ///
    /// let mut table = Table::new()
    ///     .column("function", Align::Left)
    ///     .column("calls", Align::Right);
    /// table.push(["a|b", "1"]);
    /// assert_eq!(
    ///     table.markdown(),
    ///     "| function | calls |\n|---|---:|\n| a\\|b | 1 |\n"
    /// );
    /// ```
    pub fn markdown(&self) -> String {
        let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
        let mut out = line(self.columns.iter().map(|c| c.heading.clone()).collect());
        out.push('|');
        for column in &self.columns {
            out.push_str(match column.align {
                Align::Left => "---|",
                Align::Right => "---:|",
            });
        }
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row.iter().map(|c| c.replace('|', "\\|")).collect()));
        }
        out
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|row| row[i].chars().count())
                .chain([self.columns[i].heading.chars().count()])
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.columns.len()).map(width).collect();
        let headings: Vec<&str> = self.columns.iter().map(|c| c.heading.as_str()).collect();
        let rows = self
            .rows
            .iter()
            .map(|row| row.iter().map(String::as_str).collect::<Vec<&str>>());
        for cells in std::iter::once(headings).chain(rows) {
            let mut line = self.indent.clone();
            for (i, cell) in cells.into_iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = " ".repeat(widths[i].saturating_sub(cell.chars().count()));
                match self.columns[i].align {
                    Align::Left => {
                        line.push_str(cell);
                        line.push_str(&pad);
                    }
                    Align::Right => {
                        line.push_str(&pad);
                        line.push_str(cell);
                    }
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_aligned_and_fitted() {
        let mut table = Table::new()
            .indent("  ")
            .column("function", Align::Left)
            .fitted(10)
            .column("time", Align::Right)
            .column("verdict", Align::Left);
        table.push(["crate::module::function", "1.20 µs", "regressed"]);
        table.push(["main", "3 ns", "ok"]);
        assert_eq!(
            table.to_string(),
            "  function       time  verdict\n  …:function  1.20 µs  regressed\n  main           3 ns  ok\n"
        );
    }

    #[test]
    fn empty_columns_can_be_left_out() {
        let mut table = Table::new()
            .column("function", Align::Left)
            .column("cpu", Align::Right)
            .column("calls", Align::Right);
        table.push(["a", "-", "1"]);
        let table = table.without_empty_columns("-");
        assert_eq!(table.to_string(), "function  calls\na             1\n");
    }
}
