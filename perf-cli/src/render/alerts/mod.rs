//! `cargo perf alerts`: the budgets of `perf.toml` as Prometheus alerting
//! rules ([`rules`], a pure mapping) written as a rule file, and the
//! tests that prove each rule fires ([`promtool`]). Function names reach
//! the files only as PromQL string literals ([`promql`]) inside quoted
//! YAML scalars ([`yaml`]), and reach a summary only through the alert's
//! `function` label, so no name is read as query, YAML or template.

pub(crate) mod promql;
mod promtool;
pub(crate) mod rules;
mod yaml;

use std::fmt::Write as _;

pub(crate) use promql::Duration;
pub(crate) use promtool::tests;
pub(crate) use rules::{Rule, rules};

/// The group every rule is in.
pub(crate) const GROUP: &str = "perf-budgets";

/// The rule file of `rules`, from the budgets of `config` (as shown),
/// each alert firing once its condition held for `hold`.
pub(crate) fn rule_file(rules: &[Rule], config: &str, hold: &Duration) -> String {
    let mut out = format!(
        "# Prometheus alerting rules from the [[budget]] entries of {config},\n\
         # written by `cargo perf alerts`: one rule per limit, labelled with\n\
         # the file and line of its budget, over the metrics perf-core's\n\
         # `serve` feature serves. `promtool check rules FILE` checks them.\n\
         groups:\n  - name: {GROUP}\n    rules:\n"
    );
    for rule in rules {
        let _ = write!(
            out,
            "      - alert: {}\n        expr: {}\n        for: {}\n        labels:\n          severity: {}\n          budget: {}\n        annotations:\n          summary: {}\n",
            rule.alert,
            yaml::string(&rule.expr()),
            hold.text,
            yaml::string("warning"),
            yaml::string(&rule.budget_template()),
            yaml::string(&rule.summary_template()),
        );
    }
    out
}
