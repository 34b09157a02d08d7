//! `perf.toml` at the workspace root: compare thresholds and budgets.
//!
//! ```toml
//! [compare]
//! threshold = "5%"          # time metrics: smallest change that counts
//! alloc_threshold = "0%"    # allocation counts and bytes per call
//! instructions_threshold = "1%"  # instructions and est. cycles per call (instruction records)
//! significance = 0.01       # α of the rank test
//!
//! [[budget]]
//! function = "app::handler"
//! p95 = "200us"             # per-call p95 (median over runs)
//! mean = "150us"            # mean time per call
//! allocs_per_call = 4
//! net_bytes_per_call = 0    # bytes a call keeps (runs that count frees)
//!
//! [[budget]]                # no function: the whole program
//! peak_heap = "64MiB"       # the most heap live at once in a run
//! ```

use std::path::Path;

use perf_format::schema::compare::{Settings, WHOLE_PROGRAM};
use perf_format::{files, units};
use serde::Deserialize;

use crate::Error;

/// The settings `perf.toml` holds, checked; without the file, the defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Config {
    /// `[compare]`: thresholds and α.
    pub(crate) compare: Settings,
    /// Absolute limits per function.
    pub(crate) budgets: Vec<Budget>,
}

/// An absolute limit on one function, or on the whole program (an SLO).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Budget {
    /// The function's full name, or [`WHOLE_PROGRAM`] for a budget that
    /// names none.
    pub(crate) function: String,
    /// Largest allowed p95 per call, in ns.
    pub(crate) p95_ns: Option<f64>,
    /// Largest allowed mean time per call, in ns.
    pub(crate) mean_ns: Option<f64>,
    /// Largest allowed allocations per call.
    pub(crate) allocs_per_call: Option<f64>,
    /// Largest allowed net bytes per call: allocated in a call and not
    /// freed by its end.
    pub(crate) net_bytes_per_call: Option<f64>,
    /// Largest allowed peak heap per run, in bytes (the whole program's).
    pub(crate) peak_heap: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    compare: CompareTable,
    #[serde(default)]
    budget: Vec<BudgetTable>,
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
    function: Option<String>,
    p95: Option<String>,
    mean: Option<String>,
    allocs_per_call: Option<f64>,
    net_bytes_per_call: Option<f64>,
    peak_heap: Option<Size>,
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
            match e.span().map(|span| line_of(text, span.start)) {
                Some(line) => fail(format!("line {line}: {message}")),
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
        let mut budgets = Vec::with_capacity(file.budget.len());
        for (i, table) in file.budget.into_iter().enumerate() {
            let function = table
                .function
                .clone()
                .unwrap_or_else(|| WHOLE_PROGRAM.to_owned());
            let whole = function == WHOLE_PROGRAM;
            let at = |field: &str| match whole {
                true => format!("[[budget]] #{} (the whole program) {field}", i + 1),
                false => format!("[[budget]] #{} ({function:?}) {field}", i + 1),
            };
            if function.trim().is_empty() {
                return Err(fail(format!("[[budget]] #{}: function is empty", i + 1)));
            }
            let duration = |field: &str, value: &Option<String>| {
                value
                    .as_deref()
                    .map(units::parse_duration)
                    .transpose()
                    .map_err(|why| fail(format!("{}: {why}", at(field))))
            };
            let p95_ns = duration("p95", &table.p95)?;
            let mean_ns = duration("mean", &table.mean)?;
            if let Some(allocs) = table.allocs_per_call {
                if !allocs.is_finite() || allocs < 0.0 {
                    return Err(fail(format!(
                        "{}: must be 0 or more",
                        at("allocs_per_call")
                    )));
                }
            }
            if let Some(net) = table.net_bytes_per_call {
                if !net.is_finite() {
                    return Err(fail(format!(
                        "{}: must be a number",
                        at("net_bytes_per_call")
                    )));
                }
            }
            let peak_heap = match &table.peak_heap {
                None => None,
                Some(Size::Text(text)) => Some(units::parse_bytes(text)),
                Some(Size::Number(n)) => Some(units::parse_bytes(&n.to_string())),
            }
            .transpose()
            .map_err(|why| fail(format!("{}: {why}", at("peak_heap"))))?;
            let per_call = [
                ("p95", p95_ns.is_some()),
                ("mean", mean_ns.is_some()),
                ("allocs_per_call", table.allocs_per_call.is_some()),
                ("net_bytes_per_call", table.net_bytes_per_call.is_some()),
            ];
            match (whole, peak_heap.is_some()) {
                (true, _) => {
                    if let Some((key, _)) = per_call.iter().find(|(_, set)| *set) {
                        return Err(fail(format!(
                            "{}: a limit per call needs the function it is for (function = \"module::fn\")",
                            at(key)
                        )));
                    }
                    if peak_heap.is_none() {
                        return Err(fail(format!(
                            "{}: set function and a limit per call, or peak_heap for the whole program",
                            at("")
                        )));
                    }
                }
                (false, true) => {
                    return Err(fail(format!(
                        "{}: the peak heap is the whole program's: put it in a [[budget]] without function",
                        at("peak_heap")
                    )));
                }
                (false, false) if !per_call.iter().any(|(_, set)| *set) => {
                    return Err(fail(format!(
                        "{}: set at least one of p95, mean, allocs_per_call, net_bytes_per_call",
                        at("")
                    )));
                }
                (false, false) => {}
            }
            budgets.push(Budget {
                function,
                p95_ns,
                mean_ns,
                allocs_per_call: table.allocs_per_call,
                net_bytes_per_call: table.net_bytes_per_call,
                peak_heap,
            });
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

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Error> {
        Config::parse(Path::new("perf.toml"), text)
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
            vec![Budget {
                function: "app::handler".into(),
                p95_ns: Some(200_000.0),
                allocs_per_call: Some(4.0),
                ..Budget::default()
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
            err.contains("#1 (\"f\") p95: a duration needs a unit"),
            "{err}"
        );
        let err = parse("[compare]\nsignificance = 2.0\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("significance"), "{err}");
        let err = parse("[[budget]]\nfunction = \"f\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least one"), "{err}");
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
                Budget {
                    function: "cache::put".into(),
                    net_bytes_per_call: Some(0.0),
                    ..Budget::default()
                },
                Budget {
                    function: WHOLE_PROGRAM.into(),
                    peak_heap: Some(64.0 * 1024.0 * 1024.0),
                    ..Budget::default()
                },
            ]
        );
        assert_eq!(
            parse("[[budget]]\npeak_heap = 1048576\n").unwrap().budgets[0].peak_heap,
            Some(1_048_576.0)
        );
        let problem = |text: &str| parse(text).unwrap_err().to_string();
        assert_eq!(
            problem("[[budget]]\npeak_heap = \"64Mb\"\n"),
            "perf.toml: [[budget]] #1 (the whole program) peak_heap: unknown unit \"Mb\": use B, KiB, MiB, GiB (or kB, MB, GB)"
        );
        assert_eq!(
            problem("[[budget]]\nfunction = \"f\"\npeak_heap = \"1MiB\"\n"),
            "perf.toml: [[budget]] #1 (\"f\") peak_heap: the peak heap is the whole program's: put it in a [[budget]] without function"
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
