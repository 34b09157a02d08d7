//! The tests of the rules, for `promtool test rules`: for each rule, one
//! group of series that keeps its figure above the limit for longer than
//! the rules' `for` (the alert fires, with exactly its labels and
//! summary), and one that keeps it below (it does not). The expected
//! summaries are the rules' templates filled as Prometheus fills them, so
//! the template functions it uses are written out here as Go writes them.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::promql::{self, Duration};
use super::rules::{Rule, Signal};
use super::yaml;

/// Calls per minute in the series of every test.
const CALLS: f64 = 1_000.0;

/// The tests file of `rules`, written to `rules_file` (its name, beside
/// the tests file) with `for` `hold`.
pub(crate) fn tests(rules: &[Rule], rules_file: &str, hold: &Duration) -> String {
    // Each series starts at 0 and rises every minute; the condition holds
    // from the second sample on, and must for `hold` before the alert fires.
    let eval_minutes = hold.ms.div_ceil(60_000) + 5;
    let mut out = format!(
        "# Tests of the alerting rules in {rules_file}, for `promtool test rules FILE`:\n\
         # each rule fires when its figure is above its budget's limit, and not\n\
         # when it is below. Written by `cargo perf alerts --tests`.\n\
         rule_files:\n  - {}\nevaluation_interval: 1m\ntests:\n",
        yaml::string(rules_file)
    );
    // The rules of each alert on each series, looked up once per test.
    let mut alike: HashMap<(&str, Option<&str>), Vec<&Rule>> = HashMap::new();
    for rule in rules {
        alike
            .entry((rule.alert, rule.function.as_deref()))
            .or_default()
            .push(rule);
    }
    for rule in rules {
        let same_series = &alike[&(rule.alert, rule.function.as_deref())];
        for above in [true, false] {
            let x = input(rule, above);
            let name = format!(
                "{} of {} ({}) {}",
                rule.alert,
                rule.function.as_deref().unwrap_or("the whole program"),
                rule.budget,
                if above {
                    "fires above its limit"
                } else {
                    "stays quiet below its limit"
                }
            );
            let _ = writeln!(out, "  - name: {}", yaml::string(&name));
            out.push_str("    interval: 1m\n    input_series:\n");
            for (series, values) in series(rule, x, eval_minutes) {
                let _ = writeln!(out, "      - series: {}", yaml::string(&series));
                let _ = writeln!(out, "        values: {}", yaml::string(&values));
            }
            let _ = write!(
                out,
                "    alert_rule_test:\n      - eval_time: {eval_minutes}m\n        alertname: {}\n",
                rule.alert
            );
            // Every rule of the same name on the same series sees `x`.
            let firing: Vec<&Rule> = same_series
                .iter()
                .copied()
                .filter(|other| value(other, x) > other.limit)
                .collect();
            if firing.is_empty() {
                out.push_str("        exp_alerts: []\n");
                continue;
            }
            out.push_str("        exp_alerts:\n");
            for fired in firing {
                out.push_str("          - exp_labels:\n");
                if let Some(function) = &fired.function {
                    let _ = writeln!(out, "              function: {}", yaml::string(function));
                }
                let _ = writeln!(out, "              severity: {}", yaml::string("warning"));
                let _ = writeln!(out, "              budget: {}", yaml::string(&fired.budget));
                let summary = fired.summary(
                    fired.function.as_deref().unwrap_or(""),
                    &shown(fired, value(fired, x)),
                    &fired.budget,
                );
                let _ = writeln!(
                    out,
                    "            exp_annotations:\n              summary: {}",
                    yaml::string(&summary)
                );
            }
        }
    }
    out
}

/// What the series of a test of `rule` hold: for a quantile, the one
/// bucket every call falls in; else the figure itself. Above: twice the
/// limit (a small figure over a limit of 0, half a negative one); below:
/// half of it (0 for a limit of 0, twice a negative one).
fn input(rule: &Rule, above: bool) -> f64 {
    let limit = rule.limit;
    let unit = match rule.signal {
        Signal::Quantile(_) | Signal::Mean => 0.001,
        Signal::ErrorRate => 0.01,
        Signal::AllocsPerCall => 1.0,
        Signal::NetBytesPerCall => 1_024.0,
        Signal::PeakHeap => 1_048_576.0,
    };
    let figure = match (above, limit > 0.0, limit == 0.0) {
        (true, true, _) => 2.0 * limit,
        (true, false, true) => unit,
        (true, false, false) => limit / 2.0,
        (false, true, _) | (false, false, true) => limit / 2.0,
        (false, false, false) => 2.0 * limit,
    };
    match rule.signal {
        // A rate is at most 1 (and a limit below it).
        Signal::ErrorRate if figure >= 1.0 => (1.0 + limit) / 2.0,
        _ => figure,
    }
}

/// The figure `rule` computes from series holding `x` (see [`input`]).
fn value(rule: &Rule, x: f64) -> f64 {
    match rule.signal {
        // The bucket's bound, interpolated from 0.
        Signal::Quantile(q) => x * q,
        _ => x,
    }
}

/// The series of a test of `rule` holding `x`, over `minutes` minutes:
/// `(selector, values)` in promtool's notation.
fn series(rule: &Rule, x: f64, minutes: u64) -> Vec<(String, String)> {
    let selector = |metric: &str, extra: &str| match &rule.function {
        Some(function) => format!("{metric}{{function={}{extra}}}", promql::string(function)),
        None => metric.to_owned(),
    };
    let rising = |per_minute: f64| format!("0+{}x{minutes}", promql::number(per_minute));
    let calls = || (selector("perf_function_calls_total", ""), rising(CALLS));
    match rule.signal {
        Signal::Quantile(_) => vec![
            (
                selector(
                    "perf_function_duration_seconds_bucket",
                    &format!(",le={}", promql::string(&promql::number(x))),
                ),
                rising(CALLS),
            ),
            (
                selector("perf_function_duration_seconds_bucket", ",le=\"+Inf\""),
                rising(CALLS),
            ),
        ],
        Signal::Mean => vec![
            (
                selector("perf_function_duration_seconds_sum", ""),
                rising(x * CALLS),
            ),
            (
                selector("perf_function_duration_seconds_count", ""),
                rising(CALLS),
            ),
        ],
        Signal::ErrorRate => vec![
            (
                selector("perf_function_errors_total", ""),
                rising(x * CALLS),
            ),
            calls(),
        ],
        Signal::AllocsPerCall => vec![
            (
                selector("perf_function_allocations_total", ""),
                rising(x * CALLS),
            ),
            calls(),
        ],
        Signal::NetBytesPerCall => {
            // Frees enough that neither counter falls.
            let freed = (x.abs() + 1_024.0) * CALLS;
            vec![
                (
                    selector("perf_function_allocated_bytes_total", ""),
                    rising(freed + x * CALLS),
                ),
                (
                    selector("perf_function_freed_bytes_total", ""),
                    rising(freed),
                ),
                calls(),
            ]
        }
        Signal::PeakHeap => vec![(
            selector("perf_heap_peak_bytes", ""),
            format!("{}+0x{minutes}", promql::number(x)),
        )],
    }
}

/// `figure` as the template of `rule`'s value shows it.
fn shown(rule: &Rule, figure: f64) -> String {
    match rule.signal {
        Signal::Quantile(_) | Signal::Mean => go::humanize_duration(figure),
        Signal::ErrorRate => go::humanize_percentage(figure),
        Signal::AllocsPerCall | Signal::NetBytesPerCall => go::g4(figure),
        Signal::PeakHeap => format!("{}B", go::humanize_1024(figure)),
    }
}

/// Prometheus's template functions, as Go formats numbers.
mod go {
    /// Go's `%.4g`: four significant digits, an exponent (two digits at
    /// least) below 1e-4 and from 1e4, no trailing zeros.
    pub(super) fn g4(value: f64) -> String {
        if value == 0.0 {
            return "0".to_owned();
        }
        let scientific = format!("{value:.3e}");
        let (mantissa, exponent) = scientific.split_once('e').expect("an exponent");
        let exponent: i32 = exponent.parse().expect("a number");
        let trim = |digits: &str| -> String {
            match digits.contains('.') {
                true => digits
                    .trim_end_matches('0')
                    .trim_end_matches('.')
                    .to_owned(),
                false => digits.to_owned(),
            }
        };
        if !(-4..4).contains(&exponent) {
            let sign = if exponent < 0 { '-' } else { '+' };
            format!("{}e{sign}{:02}", trim(mantissa), exponent.abs())
        } else {
            let decimals = (3 - exponent) as usize;
            trim(&format!("{value:.decimals$}"))
        }
    }

    /// `humanizeDuration`: seconds as `1.5s`, `380us`, `2m 5s`.
    pub(super) fn humanize_duration(seconds: f64) -> String {
        if seconds == 0.0 {
            return "0s".to_owned();
        }
        let (sign, mut v) = match seconds < 0.0 {
            true => ("-", -seconds),
            false => ("", seconds),
        };
        if v >= 1.0 {
            let whole = v as i64;
            let (s, m, h, d) = (
                whole % 60,
                whole / 60 % 60,
                whole / 3_600 % 24,
                whole / 86_400,
            );
            return match (d, h, m) {
                (0, 0, 0) => format!("{sign}{}s", g4(v)),
                (0, 0, _) => format!("{sign}{m}m {s}s"),
                (0, _, _) => format!("{sign}{h}h {m}m {s}s"),
                _ => format!("{sign}{d}d {h}h {m}m {s}s"),
            };
        }
        let mut prefix = "";
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
        format!("{sign}{}{prefix}s", g4(v))
    }

    /// `humanizePercentage`: a fraction as `3%`.
    pub(super) fn humanize_percentage(fraction: f64) -> String {
        format!("{}%", g4(fraction * 100.0))
    }

    /// `humanize1024`: `64Mi`, `512`.
    pub(super) fn humanize_1024(value: f64) -> String {
        if value.abs() <= 1.0 {
            return g4(value);
        }
        let mut v = value;
        let mut prefix = "";
        for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
            if v.abs() < 1024.0 {
                break;
            }
            prefix = p;
            v /= 1024.0;
        }
        format!("{}{prefix}", g4(v))
    }
}

#[cfg(test)]
mod tests {
    use super::go::*;

    #[test]
    fn numbers_are_shown_as_go_shows_them() {
        // fmt.Sprintf("%.4g", …) in Go.
        assert_eq!(g4(0.95833333), "0.9583");
        assert_eq!(g4(380.0), "380");
        assert_eq!(g4(12345.0), "1.234e+04");
        assert_eq!(g4(0.00002), "2e-05");
        assert_eq!(g4(0.0002), "0.0002");
        assert_eq!(g4(-8.0), "-8");
        assert_eq!(g4(9999.7), "1e+04");
        assert_eq!(humanize_duration(0.958_333_333), "958.3ms");
        assert_eq!(humanize_duration(0.00038), "380us");
        assert_eq!(humanize_duration(3.8), "3.8s");
        assert_eq!(humanize_duration(125.0), "2m 5s");
        assert_eq!(humanize_duration(0.0), "0s");
        assert_eq!(humanize_percentage(0.02), "2%");
        assert_eq!(humanize_1024(134_217_728.0), "128Mi");
        assert_eq!(humanize_1024(512.0), "512");
    }
}
