//! `perf.toml` at the workspace root: compare thresholds and budgets.
//!
//! ```toml
//! [compare]
//! threshold = "5%"          # time metrics: smallest change that counts
//! alloc_threshold = "0%"    # allocation counts and bytes per call
//! instructions_threshold = "0.5%"  # instructions and est. cycles per call (instruction records)
//! significance = 0.01       # α of the rank test
//!
//! [[budget]]
//! function = "app::handler"
//! p95 = "200us"             # per-call p95 (median over runs)
//! p99 = "1ms"               # per-call p99 (median over runs)
//! mean = "150us"            # mean time per call
//! allocs_per_call = 4
//! net_bytes_per_call = 0    # bytes a call keeps (runs that count frees)
//! error_rate = "1%"         # calls that return Err or unwind, of all calls
//!
//! [[budget]]                # no function: the whole program
//! peak_heap = "64MiB"       # the most heap live at once in a run
//! ```

use std::path::Path;

use perf_format::schema::compare::{Settings, WHOLE_PROGRAM};
use perf_format::{files, units};
use perf_stats::budget::Budget;
use serde::Deserialize;
use toml::Spanned;

use crate::Error;

/// The settings `perf.toml` holds, checked; without the file, the defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Config {
    /// `[compare]`: thresholds and α.
    pub(crate) compare: Settings,
    /// Absolute limits per function.
    pub(crate) budgets: Vec<BudgetEntry>,
}

/// A `[[budget]]` of `perf.toml`: its limits, and where it is set.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct BudgetEntry {
    /// The limits.
    pub(crate) budget: Budget,
    /// The line of `perf.toml` where it is set (its `function`, else its
    /// `[[budget]]` table), for messages.
    pub(crate) line: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    compare: CompareTable,
    #[serde(default)]
    budget: Vec<Spanned<BudgetTable>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompareTable {
    threshold: Option<Percent>,
    alloc_threshold: Option<Percent>,
    significance: Option<f64>,
    instructions_threshold: Option<Percent>,
}

/// A percentage written as "5%" or as a number of percent.
#[derive(Deserialize)]
#[serde(untagged)]
enum Percent {
    Text(String),
    Number(f64),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetTable {
    function: Option<Spanned<String>>,
    p95: Option<Spanned<String>>,
    p99: Option<Spanned<String>>,
    mean: Option<Spanned<String>>,
    allocs_per_call: Option<Spanned<f64>>,
    net_bytes_per_call: Option<Spanned<f64>>,
    peak_heap: Option<Spanned<Size>>,
    error_rate: Option<Spanned<Percent>>,
}

/// A size written as "64MiB" or as a number of bytes.
#[derive(Deserialize)]
#[serde(untagged)]
enum Size {
    Text(String),
    Number(f64),
}

impl Config {
    /// Reads `path` if it exists; no file means the defaults.
    pub(crate) fn load(path: &Path) -> Result<Config, Error> {
        if !path.exists() {
            return Ok(Config::default());
        }
        let text = files::read_text(path).or_else(|e| match e {
            perf_format::Error::EmptyFile { .. } => Ok(String::new()),
            other => Err(other),
        })?;
        Config::parse(path, &text)
    }

    /// Parses the text of `perf.toml` (read from `path`).
    fn parse(path: &Path, text: &str) -> Result<Config, Error> {
        let fail = |problem: String| Error::Config {
            path: path.to_owned(),
            problem,
        };
        let file: File = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_owned();
            match e.span() {
                Some(span) => {
                    // In a [[budget]] table, the help describes its fields.
                    let before = &text[..span.start.min(text.len())];
                    let in_budget = before.rfind("[[budget]]") > before.rfind("[compare]");
                    let help = match in_budget {
                        true => {
                            " (`cargo perf check --help` describes a [[budget]]'s fields and units)"
                        }
                        false => "",
                    };
                    fail(format!(
                        "line {}: {message}{help}",
                        Lines::new(text).line_of(span.start)
                    ))
                }
                None => fail(message),
            }
        })?;
        let percent = |key: &str, value: Option<Percent>, default: f64| match value {
            None => Ok(default),
            Some(Percent::Text(text)) => {
                units::parse_percent(&text).map_err(|why| fail(format!("[compare] {key}: {why}")))
            }
            Some(Percent::Number(n)) => units::parse_percent(&n.to_string())
                .map_err(|why| fail(format!("[compare] {key}: {why}"))),
        };
        let defaults = Settings::default();
        let threshold = percent("threshold", file.compare.threshold, defaults.threshold)?;
        let alloc_threshold = percent(
            "alloc_threshold",
            file.compare.alloc_threshold,
            defaults.alloc_threshold,
        )?;
        let instructions_threshold = percent(
            "instructions_threshold",
            file.compare.instructions_threshold,
            defaults.instructions_threshold,
        )?;
        let significance = match file.compare.significance {
            None => defaults.significance,
            Some(value) => units::check_significance(value)
                .map_err(|why| fail(format!("[compare] significance: {why}")))?,
        };
        let lines = Lines::new(text);
        let mut budgets = Vec::with_capacity(file.budget.len());
        for (i, table) in file.budget.into_iter().enumerate() {
            budgets.push(budget(path, &lines, i + 1, table)?);
        }
        Ok(Config {
            compare: Settings::new(
                threshold,
                alloc_threshold,
                significance,
                instructions_threshold,
            ),
            budgets,
        })
    }
}

/// Budget `number` (from 1) of `perf.toml` (`path`, whose `lines` these
/// are), checked: each mistake names its line, the field, and what to write.
fn budget(
    path: &Path,
    lines: &Lines,
    number: usize,
    table: Spanned<BudgetTable>,
) -> Result<BudgetEntry, Error> {
    let table_line = lines.line_of(table.span().start);
    let table = table.into_inner();
    let fail = |line: usize, problem: String| Error::Config {
        path: path.to_owned(),
        problem: format!("line {line}: {problem}"),
    };
    let function = table
        .function
        .as_ref()
        .map_or(WHOLE_PROGRAM, |f| f.get_ref().as_str())
        .to_owned();
    let whole = table.function.is_none();
    let at = |field: &str| match whole {
        true => format!("[[budget]] #{number} (the whole program) {field}"),
        false => format!("[[budget]] #{number} ({function:?}) {field}"),
    };
    let line = |span: std::ops::Range<usize>| lines.line_of(span.start);
    if let Some(f) = &table.function {
        if f.get_ref().trim().is_empty() {
            return Err(fail(
                line(f.span()),
                format!(
                    "[[budget]] #{number}: function is empty: write the function's full name, such as \"app::handler\", or leave function out for a peak_heap budget"
                ),
            ));
        }
    }
    let duration = |field: &str, value: &Option<Spanned<String>>| {
        value
            .as_ref()
            .map(|v| {
                units::parse_duration(v.get_ref()).map_err(|why| {
                    fail(
                        line(v.span()),
                        format!(
                            "{}: {why} (write a time per call such as \"200us\" or \"1.5ms\")",
                            at(field)
                        ),
                    )
                })
            })
            .transpose()
    };
    let p95_ns = duration("p95", &table.p95)?;
    let p99_ns = duration("p99", &table.p99)?;
    let mean_ns = duration("mean", &table.mean)?;
    let allocs_per_call = match &table.allocs_per_call {
        Some(v) if !v.get_ref().is_finite() || *v.get_ref() < 0.0 => {
            return Err(fail(
                line(v.span()),
                format!(
                    "{}: must be 0 or more (a count of allocations per call, such as 4)",
                    at("allocs_per_call")
                ),
            ));
        }
        v => v.as_ref().map(|v| *v.get_ref()),
    };
    let net_bytes_per_call = match &table.net_bytes_per_call {
        Some(v) if !v.get_ref().is_finite() => {
            return Err(fail(
                line(v.span()),
                format!(
                    "{}: must be a number of bytes, such as 0",
                    at("net_bytes_per_call")
                ),
            ));
        }
        v => v.as_ref().map(|v| *v.get_ref()),
    };
    let peak_heap = match &table.peak_heap {
        None => None,
        Some(v) => Some(
            match v.get_ref() {
                Size::Text(text) => units::parse_bytes(text),
                Size::Number(n) => units::parse_bytes(&n.to_string()),
            }
            .map_err(|why| fail(line(v.span()), format!("{}: {why}", at("peak_heap"))))?,
        ),
    };
    let error_rate = match &table.error_rate {
        None => None,
        Some(v) => {
            let refuse = |why: &str| {
                fail(
                    line(v.span()),
                    format!(
                        "{}: {why} (write a share of the calls such as \"1%\" or \"0.1%\")",
                        at("error_rate")
                    ),
                )
            };
            let rate = match v.get_ref() {
                Percent::Text(text) if text.trim().ends_with('%') => {
                    units::parse_percent(text).map_err(|why| refuse(&why))?
                }
                Percent::Text(_) => return Err(refuse("a rate needs its % sign")),
                // 0.01 could mean 1% or 0.01%: the sign says which.
                Percent::Number(_) => {
                    return Err(refuse("a rate is written as a percentage, in quotes"));
                }
            };
            if rate > 1.0 {
                return Err(refuse("a rate is at most 100%"));
            }
            Some(rate)
        }
    };
    let per_call = [
        ("p95", table.p95.as_ref().map(Spanned::span)),
        ("p99", table.p99.as_ref().map(Spanned::span)),
        ("mean", table.mean.as_ref().map(Spanned::span)),
        (
            "allocs_per_call",
            table.allocs_per_call.as_ref().map(Spanned::span),
        ),
        (
            "net_bytes_per_call",
            table.net_bytes_per_call.as_ref().map(Spanned::span),
        ),
        ("error_rate", table.error_rate.as_ref().map(Spanned::span)),
    ];
    match (whole, &table.peak_heap) {
        (true, _) => {
            if let Some((key, Some(span))) = per_call.iter().find(|(_, span)| span.is_some()) {
                return Err(fail(
                    line(span.clone()),
                    format!(
                        "{}: a limit per call needs the function it is for (function = \"module::fn\")",
                        at(key)
                    ),
                ));
            }
            if peak_heap.is_none() {
                return Err(fail(
                    table_line,
                    format!(
                        "{}: set function and a limit per call, or peak_heap for the whole program",
                        at("")
                    ),
                ));
            }
        }
        (false, Some(v)) => {
            return Err(fail(
                line(v.span()),
                format!(
                    "{}: the peak heap is the whole program's: put it in a [[budget]] without function",
                    at("peak_heap")
                ),
            ));
        }
        (false, None) if per_call.iter().all(|(_, span)| span.is_none()) => {
            return Err(fail(
                table_line,
                format!(
                    "{}: set at least one of p95, p99, mean, allocs_per_call, net_bytes_per_call, error_rate",
                    at("")
                ),
            ));
        }
        (false, None) => {}
    }
    Ok(BudgetEntry {
        budget: Budget {
            function,
            p95_ns,
            p99_ns,
            mean_ns,
            allocs_per_call,
            net_bytes_per_call,
            peak_heap,
            error_rate,
        },
        line: Some(match &table.function {
            Some(f) => line(f.span()),
            None => table_line,
        }),
    })
}

/// Where each line of a text starts, to turn byte offsets into line
/// numbers in O(log n) each: counting newlines from the start for every
/// budget made a file of 20 000 budgets take seconds.
struct Lines {
    /// The byte offset of each `\n`, in order.
    newlines: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        Lines {
            newlines: text
                .bytes()
                .enumerate()
                .filter_map(|(i, b)| (b == b'\n').then_some(i))
                .collect(),
        }
    }

    /// The line (from 1) holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&newline| newline < offset) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Error> {
        Config::parse(Path::new("perf.toml"), text)
    }

    #[test]
    fn lines_number_offsets_as_counting_newlines_does() {
        for text in [
            "",
            "a",
            "\n",
            "a\nb",
            "\n\nab\n",
            "[[budget]]\nfunction = \"f\"\n\n",
        ] {
            let lines = Lines::new(text);
            for offset in 0..=text.len() + 2 {
                let counted = text[..offset.min(text.len())].matches('\n').count() + 1;
                assert_eq!(lines.line_of(offset), counted, "{text:?} at {offset}");
            }
        }
    }

    #[test]
    fn reads_thresholds_and_budgets() {
        let config = parse(
            r#"
            [compare]
            threshold = "3%"
            alloc_threshold = 10
            significance = 0.05
            instructions_threshold = "0.5%"

            [[budget]]
            function = "app::handler"
            p95 = "200us"
            allocs_per_call = 4
            "#,
        )
        .unwrap();
        assert_eq!(config.compare, Settings::new(0.03, 0.1, 0.05, 0.005));
        assert_eq!(
            config.budgets,
            vec![BudgetEntry {
                budget: Budget {
                    function: "app::handler".into(),
                    p95_ns: Some(200_000.0),
                    allocs_per_call: Some(4.0),
                    ..Budget::default()
                },
                line: Some(9),
            }]
        );
        assert_eq!(parse("").unwrap().compare, Settings::default());
    }

    #[test]
    fn mistakes_name_the_file_and_the_line() {
        let err = parse("[compare]\nthreshhold = \"5%\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("perf.toml: line 2:"), "{err}");
        assert!(err.contains("threshhold"), "{err}");
        let err = parse("[[budget]]\nfunction = \"f\"\np95 = \"200\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "perf.toml: line 3: [[budget]] #1 (\"f\") p95: a duration needs a unit"
            ) && err.ends_with("(write a time per call such as \"200us\" or \"1.5ms\")"),
            "{err}"
        );
        let err = parse("[[budget]]\nfunction = \"f\"\np99 = \"1 sec\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("perf.toml: line 3: [[budget]] #1 (\"f\") p99: unknown unit \"sec\""),
            "{err}"
        );
        let err = parse("\n[[budget]]\nfunction = \"f\"\np90 = \"1ms\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("perf.toml: line 4: unknown field `p90`")
                && err.contains("p99")
                && err.ends_with(
                    "(`cargo perf check --help` describes a [[budget]]'s fields and units)"
                ),
            "{err}"
        );
        let err = parse("[compare]\nsignificance = 2.0\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("significance"), "{err}");
        let err = parse("[[budget]]\nfunction = \"f\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least one of p95, p99, mean"), "{err}");
        assert_eq!(
            parse("[[budget]]\nfunction = \"f\"\np99 = \"2ms\"\n")
                .unwrap()
                .budgets[0]
                .budget
                .p99_ns,
            Some(2e6)
        );
    }

    #[test]
    fn an_error_rate_is_a_percentage() {
        let rate = |value: &str| {
            parse(&format!(
                "[[budget]]\nfunction = \"f\"\nerror_rate = {value}\n"
            ))
            .map(|c| c.budgets[0].budget.error_rate)
            .map_err(|e| e.to_string())
        };
        assert_eq!(rate("\"1%\""), Ok(Some(0.01)));
        assert_eq!(rate("\"0.5 %\""), Ok(Some(0.005)));
        assert_eq!(rate("\"0%\""), Ok(Some(0.0)));
        let hint = "(write a share of the calls such as \"1%\" or \"0.1%\")";
        for (value, why) in [
            ("0.01", "a rate is written as a percentage, in quotes"),
            ("\"1\"", "a rate needs its % sign"),
            ("\"lots%\"", "expected a percentage such as 5% or 0.5%"),
            ("\"-1%\"", "a threshold must be a percentage of 0% or more"),
            ("\"150%\"", "a rate is at most 100%"),
        ] {
            assert_eq!(
                rate(value),
                Err(format!(
                    "perf.toml: line 3: [[budget]] #1 (\"f\") error_rate: {why} {hint}"
                )),
                "{value}"
            );
        }
        let whole = parse("[[budget]]\nerror_rate = \"1%\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            whole.starts_with("perf.toml: line 2: [[budget]] #1 (the whole program) error_rate: a limit per call needs the function"),
            "{whole}"
        );
    }

    #[test]
    fn heap_budgets_per_call_and_for_the_whole_program() {
        let config = parse(
            r#"
            [[budget]]
            function = "cache::put"
            net_bytes_per_call = 0

            [[budget]]
            peak_heap = "64MiB"
            "#,
        )
        .unwrap();
        assert_eq!(
            config.budgets,
            vec![
                BudgetEntry {
                    budget: Budget {
                        function: "cache::put".into(),
                        net_bytes_per_call: Some(0.0),
                        ..Budget::default()
                    },
                    line: Some(3),
                },
                BudgetEntry {
                    budget: Budget {
                        function: WHOLE_PROGRAM.into(),
                        peak_heap: Some(64.0 * 1024.0 * 1024.0),
                        ..Budget::default()
                    },
                    line: Some(6),
                },
            ]
        );
        assert_eq!(
            parse("[[budget]]\npeak_heap = 1048576\n").unwrap().budgets[0]
                .budget
                .peak_heap,
            Some(1_048_576.0)
        );
        let problem = |text: &str| parse(text).unwrap_err().to_string();
        assert_eq!(
            problem("[[budget]]\npeak_heap = \"64Mb\"\n"),
            "perf.toml: line 2: [[budget]] #1 (the whole program) peak_heap: unknown unit \"Mb\": use B, KiB, MiB, GiB (or kB, MB, GB)"
        );
        assert_eq!(
            problem("[[budget]]\nfunction = \"f\"\npeak_heap = \"1MiB\"\n"),
            "perf.toml: line 3: [[budget]] #1 (\"f\") peak_heap: the peak heap is the whole program's: put it in a [[budget]] without function"
        );
        assert!(problem("[[budget]]\nnet_bytes_per_call = 0\n").contains(
            "#1 (the whole program) net_bytes_per_call: a limit per call needs the function"
        ),);
        assert!(problem("[[budget]]\n").contains("or peak_heap for the whole program"));
        assert!(
            problem("[[budget]]\nfunction = \"f\"\nnet_bytes_per_call = \"x\"\n")
                .starts_with("perf.toml: line 3:")
        );
    }
}
