//! `cargo perf history import --csv FILE`: a history kept elsewhere, in the
//! CSV layout of Apache Otava (formerly Hunter): a header
//! `time,commit,<series>…`, then one row per measured commit, oldest first,
//! each series' value in its column (an empty cell: not measured then), as
//! in Otava's `examples/csv/data/local_sample.csv`:
//!
//! ```text
//! time,commit,metric1,metric2
//! 2026.01.01 3:00:00 +0100,aaa0,154023,10.43
//! ```
//!
//! Each column is a series named by its header; the rows' order is the
//! series' order (their times are kept as written, not parsed).

use std::path::{Path, PathBuf};

/// A CSV file read: its series and rows, in the file's order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Imported {
    /// The series' names: the header's columns after `time` and `commit`.
    pub(crate) series: Vec<String>,
    pub(crate) rows: Vec<ImportedRow>,
}

/// One row: a commit and its value in each series.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImportedRow {
    /// The `time` cell, as written.
    pub(crate) time: String,
    /// The `commit` cell: any text (the commit need not exist here).
    pub(crate) commit: String,
    /// One value per series (`None`: an empty cell).
    pub(crate) values: Vec<Option<f64>>,
}

/// A CSV file that cannot be imported: the file, the line (1-based; 1 is
/// the header) and what is wrong there.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{}{}: {problem}", path.display(), line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub(crate) struct ImportError {
    pub(crate) path: PathBuf,
    pub(crate) line: Option<u64>,
    pub(crate) problem: String,
}

/// Reads `text`, the contents of `path` (named in errors).
pub(crate) fn parse(path: &Path, text: &str) -> Result<Imported, ImportError> {
    let error = |line: Option<u64>, problem: String| ImportError {
        path: path.to_owned(),
        line,
        problem,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| error(Some(1), e.to_string()))?
        .clone();
    let columns: Vec<&str> = header.iter().collect();
    if columns.len() < 3
        || !columns[0].eq_ignore_ascii_case("time")
        || !columns[1].eq_ignore_ascii_case("commit")
    {
        return Err(error(
            Some(1),
            format!(
                "the header is {:?}: it must be `time,commit,<series>…` (Otava's CSV layout), with at least one series",
                columns.join(",")
            ),
        ));
    }
    let series: Vec<String> = columns[2..].iter().map(|s| (*s).to_owned()).collect();
    if let Some(empty) = series.iter().position(String::is_empty) {
        return Err(error(Some(1), format!("column {} has no name", empty + 3)));
    }
    if let Some(twice) = series
        .iter()
        .enumerate()
        .find_map(|(i, name)| series[..i].contains(name).then_some(name))
    {
        return Err(error(Some(1), format!("series {twice:?} is named twice")));
    }
    let mut rows = Vec::new();
    // The line each commit was first seen on: a commit is one point.
    let mut seen: std::collections::HashMap<String, Option<u64>> = std::collections::HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(csv::Position::line);
            error(line, e.to_string())
        })?;
        let line = record.position().map(csv::Position::line);
        if record.len() != columns.len() {
            return Err(error(
                line,
                format!(
                    "{} fields where the header has {}",
                    record.len(),
                    columns.len()
                ),
            ));
        }
        let commit = record[1].to_owned();
        if commit.is_empty() {
            return Err(error(line, "the commit is empty".to_owned()));
        }
        if let Some(first) = seen.insert(commit.clone(), line) {
            let on = first.map_or_else(String::new, |first| format!(" on line {first}"));
            return Err(error(
                line,
                format!("commit {commit:?} has a row already{on}: one row per commit"),
            ));
        }
        let mut values = Vec::with_capacity(series.len());
        for (name, cell) in series.iter().zip(record.iter().skip(2)) {
            if cell.is_empty() {
                values.push(None);
                continue;
            }
            let value: f64 = cell
                .parse()
                .map_err(|_| error(line, format!("{name}: {cell:?} is not a number")))?;
            if !value.is_finite() {
                return Err(error(
                    line,
                    format!("{name}: {cell:?} is not a finite number"),
                ));
            }
            values.push(Some(value));
        }
        rows.push(ImportedRow {
            time: record[0].to_owned(),
            commit,
            values,
        });
    }
    if rows.is_empty() {
        return Err(error(None, "no rows after the header".to_owned()));
    }
    if let Some(empty) = (0..series.len()).find(|&i| rows.iter().all(|row| row.values[i].is_none()))
    {
        return Err(error(
            None,
            format!("series {:?} has no value in any row", series[empty]),
        ));
    }
    Ok(Imported { series, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Otava's `examples/csv/data/local_sample.csv`.
    const OTAVA_SAMPLE: &str = include_str!("../../tests/fixtures/history/local_sample.csv");

    fn read(text: &str) -> Result<Imported, ImportError> {
        parse(Path::new("h.csv"), text)
    }

    #[test]
    fn otavas_sample_reads_as_two_series_in_row_order() {
        let imported = read(OTAVA_SAMPLE).unwrap();
        assert_eq!(imported.series, ["metric1", "metric2"]);
        assert_eq!(imported.rows.len(), 10);
        assert_eq!(imported.rows[0].commit, "aaa0");
        assert_eq!(imported.rows[0].time, "2026.01.01 3:00:00 +0100");
        assert_eq!(imported.rows[0].values, [Some(154023.0), Some(10.43)]);
        assert_eq!(imported.rows[9].commit, "aaa9");
    }

    #[test]
    fn empty_cells_are_missing_and_quotes_are_understood() {
        let imported = read("time,commit,a,b\n\"2026-01-01, noon\",c1,,2\n3,c2,1,\n").unwrap();
        assert_eq!(imported.rows[0].time, "2026-01-01, noon");
        assert_eq!(imported.rows[0].values, [None, Some(2.0)]);
        assert_eq!(imported.rows[1].values, [Some(1.0), None]);
    }

    #[test]
    fn a_commit_twice_and_a_series_without_values_are_refused() {
        let twice = read("time,commit,a\n1,c1,1\n2,c2,2\n3,c1,3\n").unwrap_err();
        assert_eq!(twice.line, Some(4));
        assert_eq!(
            twice.problem,
            "commit \"c1\" has a row already on line 2: one row per commit"
        );
        let empty = read("time,commit,a,b\n1,c1,1,\n2,c2,2,\n").unwrap_err();
        assert_eq!(empty.problem, "series \"b\" has no value in any row");
    }

    #[test]
    fn bad_rows_are_named_by_line() {
        let bad = read("time,commit,a\nt,c1,1\nt,c2,fast\n").unwrap_err();
        assert_eq!(bad.line, Some(3));
        assert_eq!(
            bad.to_string(),
            "h.csv, line 3: a: \"fast\" is not a number"
        );
        let short = read("time,commit,a,b\nt,c1,1\n").unwrap_err();
        assert_eq!(
            (short.line, short.problem.as_str()),
            (Some(2), "3 fields where the header has 4")
        );
        assert_eq!(read("time,commit,a\nt,,1\n").unwrap_err().line, Some(2));
        assert_eq!(read("time,commit,a\nt,c,inf\n").unwrap_err().line, Some(2));
    }

    #[test]
    fn a_header_that_is_not_otavas_is_refused() {
        for header in [
            "when,commit,a\n",
            "time,commit\n",
            "time,commit,a,a\n",
            "time,commit,,b\n",
        ] {
            let error = read(&format!("{header}t,c,1\n")).unwrap_err();
            assert_eq!(error.line, Some(1), "{header}: {error}");
        }
        assert_eq!(read("time,commit,a\n").unwrap_err().line, None);
    }
}
