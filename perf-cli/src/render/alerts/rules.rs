//! The budgets of `perf.toml` as Prometheus alerting rules: one rule per
//! limit, over the metrics a program serves with perf-core's `serve`
//! feature. A pure mapping; [`super`] writes the rules as YAML.

use perf_format::schema::compare::WHOLE_PROGRAM;
use perf_format::units;
use perf_stats::budget::Budget;

use super::promql;

/// The window of every `rate()`.
pub(crate) const WINDOW: &str = "5m";

/// One alerting rule: a limit of one budget.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rule {
    /// The alert's name, shared by the rules of one kind of limit:
    /// `PerfBudgetP95`, `PerfBudgetErrorRate`, …
    pub(crate) alert: &'static str,
    /// The function the limit is for, or `None` for the whole program.
    pub(crate) function: Option<String>,
    /// What is limited, and how Prometheus computes it.
    pub(crate) signal: Signal,
    /// The limit, in the unit of the signal: seconds, a fraction, a count
    /// or bytes.
    pub(crate) limit: f64,
    /// The limit as `perf.toml` means it, for people: `200 µs`, `1%`.
    pub(crate) limit_text: String,
    /// Where the budget is set: `perf.toml:12`.
    pub(crate) budget: String,
}

/// What a rule watches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Signal {
    /// A percentile of the time per call (0.95 for p95), from the
    /// duration histogram's buckets.
    Quantile(f64),
    /// The mean time per call: the histogram's sum over its count.
    Mean,
    /// The share of calls that failed: errors over calls.
    ErrorRate,
    /// Allocations per call: allocations over calls.
    AllocsPerCall,
    /// Bytes kept per call: bytes allocated less bytes freed, over calls.
    NetBytesPerCall,
    /// The most heap live at once: the process's peak-heap gauge.
    PeakHeap,
}

/// Every limit of `budgets`, each set at `places[i]` (`perf.toml:12`), as a
/// rule, in the order of the budgets and, within one, of their fields
/// (p95, p99, mean, allocs_per_call, net_bytes_per_call, error_rate,
/// peak_heap). Every field of [`Budget`] maps to a rule: a field added to
/// it does not compile here until it is mapped.
pub(crate) fn rules(budgets: &[(&Budget, String)]) -> Vec<Rule> {
    let mut rules = Vec::new();
    for (budget, place) in budgets {
        let Budget {
            function,
            p95_ns,
            p99_ns,
            mean_ns,
            allocs_per_call,
            net_bytes_per_call,
            peak_heap,
            error_rate,
        } = budget;
        let function = (function != WHOLE_PROGRAM).then(|| function.clone());
        let mut add = |alert, signal, limit: f64, limit_text: String| {
            rules.push(Rule {
                alert,
                function: function.clone(),
                signal,
                limit,
                limit_text,
                budget: place.clone(),
            });
        };
        let seconds = |ns: f64| (ns / 1e9, units::duration(ns));
        for (alert, quantile, limit) in [
            ("PerfBudgetP95", 0.95, p95_ns),
            ("PerfBudgetP99", 0.99, p99_ns),
        ] {
            if let Some(ns) = limit {
                let (limit, text) = seconds(*ns);
                add(alert, Signal::Quantile(quantile), limit, text);
            }
        }
        if let Some(ns) = mean_ns {
            let (limit, text) = seconds(*ns);
            add("PerfBudgetMean", Signal::Mean, limit, text);
        }
        if let Some(count) = allocs_per_call {
            let text = units::count(*count);
            add(
                "PerfBudgetAllocsPerCall",
                Signal::AllocsPerCall,
                *count,
                text,
            );
        }
        if let Some(bytes) = net_bytes_per_call {
            let text = units::bytes(*bytes);
            add(
                "PerfBudgetNetBytesPerCall",
                Signal::NetBytesPerCall,
                *bytes,
                text,
            );
        }
        if let Some(rate) = error_rate {
            let text = units::percent(*rate);
            add("PerfBudgetErrorRate", Signal::ErrorRate, *rate, text);
        }
        if let Some(bytes) = peak_heap {
            let text = units::bytes(*bytes);
            add("PerfBudgetPeakHeap", Signal::PeakHeap, *bytes, text);
        }
    }
    rules
}

impl Rule {
    /// The PromQL expression that is true (has a sample) while the limit
    /// is exceeded. Per-function signals are summed by `function` over
    /// the program's instances.
    pub(crate) fn expr(&self) -> String {
        let selector = |metric: &str| match &self.function {
            Some(function) => format!("{metric}{{function={}}}", promql::string(function)),
            None => metric.to_owned(),
        };
        let rate =
            |metric: &str| format!("sum by (function) (rate({}[{WINDOW}]))", selector(metric));
        let value = match self.signal {
            Signal::Quantile(q) => format!(
                "histogram_quantile({q}, sum by (function, le) (rate({}[{WINDOW}])))",
                selector("perf_function_duration_seconds_bucket")
            ),
            Signal::Mean => format!(
                "{} / {}",
                rate("perf_function_duration_seconds_sum"),
                rate("perf_function_duration_seconds_count")
            ),
            Signal::ErrorRate => format!(
                "{} / {}",
                rate("perf_function_errors_total"),
                rate("perf_function_calls_total")
            ),
            Signal::AllocsPerCall => format!(
                "{} / {}",
                rate("perf_function_allocations_total"),
                rate("perf_function_calls_total")
            ),
            Signal::NetBytesPerCall => format!(
                "({} - {}) / {}",
                rate("perf_function_allocated_bytes_total"),
                rate("perf_function_freed_bytes_total"),
                rate("perf_function_calls_total")
            ),
            Signal::PeakHeap => selector("perf_heap_peak_bytes"),
        };
        format!("{value} > {}", promql::number(self.limit))
    }

    /// What is limited, for people: `p95`, `error rate`, …
    pub(crate) fn what(&self) -> &'static str {
        match self.signal {
            Signal::Quantile(0.99) => "p99",
            Signal::Quantile(_) => "p95",
            Signal::Mean => "mean time per call",
            Signal::ErrorRate => "error rate",
            Signal::AllocsPerCall => "allocations per call",
            Signal::NetBytesPerCall => "net bytes per call",
            Signal::PeakHeap => "peak heap",
        }
    }

    /// The template of the alert's value, as Prometheus's template
    /// functions show it (`{{ $value | humanizeDuration }}`).
    pub(crate) fn value_template(&self) -> &'static str {
        match self.signal {
            Signal::Quantile(_) | Signal::Mean => "{{ $value | humanizeDuration }}",
            Signal::ErrorRate => "{{ $value | humanizePercentage }}",
            Signal::AllocsPerCall | Signal::NetBytesPerCall => "{{ printf \"%.4g\" $value }}",
            Signal::PeakHeap => "{{ $value | humanize1024 }}B",
        }
    }

    /// The alert's summary with `function` and `value` for the templates
    /// of the function's label and the value, and `place` for where the
    /// budget is set. The rule's own summary passes templates for the
    /// function and the value, and its place as text a template shows as
    /// it is, so that nothing a user wrote is read as a template.
    pub(crate) fn summary(&self, function: &str, value: &str, place: &str) -> String {
        let of = match self.function {
            Some(_) => format!(" of {function}"),
            None => String::new(),
        };
        format!(
            "{}{of} is {value} (budget {}, {place})",
            self.what(),
            self.limit_text
        )
    }

    /// The summary annotation of the rule. (`$labels` are the series'
    /// labels, not the rule's: its `budget` label is not among them.)
    pub(crate) fn summary_template(&self) -> String {
        self.summary(
            "{{ $labels.function }}",
            self.value_template(),
            &self.budget_template(),
        )
    }

    /// Where the budget is set, as a template that shows it as it is: the
    /// rule's labels and annotations are templates, and a path may hold
    /// `{{`.
    pub(crate) fn budget_template(&self) -> String {
        match self.budget.contains("{{") {
            // A Go template's string constant, escaped as Go's are.
            true => format!("{{{{ {} }}}}", promql::string(&self.budget)),
            false => self.budget.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(line: usize) -> String {
        format!("perf.toml:{line}")
    }

    #[test]
    fn every_limit_is_a_rule_in_the_order_of_the_fields() {
        let handler = Budget {
            function: "app::handler".to_owned(),
            p95_ns: Some(200_000.0),
            p99_ns: Some(1e6),
            mean_ns: Some(150_000.0),
            allocs_per_call: Some(4.0),
            net_bytes_per_call: Some(0.0),
            error_rate: Some(0.01),
            ..Budget::default()
        };
        let whole = Budget {
            function: WHOLE_PROGRAM.to_owned(),
            peak_heap: Some(64.0 * 1024.0 * 1024.0),
            ..Budget::default()
        };
        let rules = rules(&[(&handler, place(2)), (&whole, place(11))]);
        let shown: Vec<(&str, String)> = rules.iter().map(|r| (r.alert, r.expr())).collect();
        let f = r#"{function="app::handler"}"#;
        let rate = |m: &str| format!("sum by (function) (rate({m}{f}[5m]))");
        assert_eq!(
            shown,
            [
                (
                    "PerfBudgetP95",
                    format!(
                        "histogram_quantile(0.95, sum by (function, le) (rate(perf_function_duration_seconds_bucket{f}[5m]))) > 0.0002"
                    )
                ),
                (
                    "PerfBudgetP99",
                    format!(
                        "histogram_quantile(0.99, sum by (function, le) (rate(perf_function_duration_seconds_bucket{f}[5m]))) > 0.001"
                    )
                ),
                (
                    "PerfBudgetMean",
                    format!(
                        "{} / {} > 0.00015",
                        rate("perf_function_duration_seconds_sum"),
                        rate("perf_function_duration_seconds_count")
                    )
                ),
                (
                    "PerfBudgetAllocsPerCall",
                    format!(
                        "{} / {} > 4",
                        rate("perf_function_allocations_total"),
                        rate("perf_function_calls_total")
                    )
                ),
                (
                    "PerfBudgetNetBytesPerCall",
                    format!(
                        "({} - {}) / {} > 0",
                        rate("perf_function_allocated_bytes_total"),
                        rate("perf_function_freed_bytes_total"),
                        rate("perf_function_calls_total")
                    )
                ),
                (
                    "PerfBudgetErrorRate",
                    format!(
                        "{} / {} > 0.01",
                        rate("perf_function_errors_total"),
                        rate("perf_function_calls_total")
                    )
                ),
                (
                    "PerfBudgetPeakHeap",
                    "perf_heap_peak_bytes > 67108864".to_owned()
                ),
            ]
        );
        assert!(rules[..6].iter().all(|r| r.budget == "perf.toml:2"));
        assert_eq!(rules[6].budget, "perf.toml:11");
        assert_eq!(
            rules[0].summary_template(),
            "p95 of {{ $labels.function }} is {{ $value | humanizeDuration }} (budget 200 µs, perf.toml:2)"
        );
        assert_eq!(
            rules[6].summary_template(),
            "peak heap is {{ $value | humanize1024 }}B (budget 64.0 MiB, perf.toml:11)"
        );
    }

    #[test]
    fn a_function_name_is_a_promql_string_whatever_it_holds() {
        let odd = Budget {
            function: "a\"b\\c\n{{ $value }}".to_owned(),
            mean_ns: Some(1.0),
            ..Budget::default()
        };
        let rule = &rules(&[(&odd, place(1))])[0];
        assert!(
            rule.expr()
                .contains(r#"{function="a\"b\\c\n{{ $value }}"}"#),
            "{}",
            rule.expr()
        );
        // The summary names the function through its label, never as text
        // a template would read, and a place holding `{{` as a constant.
        assert!(!rule.summary_template().contains("a\"b"));
        let mut rule = rule.clone();
        rule.budget = "{{ x }}.toml:1".to_owned();
        assert!(
            rule.summary_template()
                .ends_with(r#"(budget 1 ns, {{ "{{ x }}.toml:1" }})"#),
            "{}",
            rule.summary_template()
        );
    }
}
