//! `cargo perf alerts`: the rules and their promtool tests made from the
//! examples' perf.toml (`examples/perf.toml`), as the docs show them.

use super::bless::check;
use super::stdout;
use crate::alerts::examples_project;

#[test]
fn golden_the_alerting_rules_of_the_examples_and_their_tests() {
    let project = examples_project();
    let rules = stdout(&project, &["alerts"], 0);
    check("alerts.yml", &rules);
    let written = stdout(&project, &["alerts", "-o", "rules.yml", "--tests"], 0);
    assert_eq!(
        written,
        "alerting rules: rules.yml (9 rules)\npromtool tests: rules.test.yml (`promtool test rules rules.test.yml`)\n"
    );
    let read = |name: &str| std::fs::read_to_string(project.path().join(name)).unwrap();
    assert_eq!(read("rules.yml"), rules, "-o writes what stdout shows");
    check("alerts.test.yml", &read("rules.test.yml"));
}
