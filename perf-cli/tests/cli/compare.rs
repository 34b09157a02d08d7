//! `cargo perf compare`: what it finds, what it names, how it exits.

use perf_format::schema::record::Metric;
use predicates::prelude::PredicateBooleanExt as _;
use predicates::str::contains;

use crate::util::{Project, program, record, record_on, record_wandering, service, with};

fn project_with(
    baseline: &perf_format::schema::record::Record,
    current: &perf_format::schema::record::Record,
) -> Project {
    let project = Project::new();
    project.write_baseline("main", baseline);
    project.write_record(current);
    project
}

#[test]
fn noise_alone_passes() {
    let project = project_with(
        &record("base", &program(), 10, 1),
        &record("cur", &program(), 10, 2),
    );
    project
        .perf()
        .args(["compare"])
        .assert()
        .code(0)
        .stdout(contains("no regressions."))
        .stdout(contains("db::query"));
}

#[test]
fn a_slower_function_fails_and_is_named_rather_than_its_callers() {
    let slower = with(&program(), "db::query", |f| f.self_ns *= 1.10);
    let project = project_with(
        &record("base", &program(), 10, 1),
        &record("cur", &slower, 10, 2),
    );
    let output = project.perf().args(["compare", "main"]).assert().code(1);
    let stdout = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    let where_to_look = stdout
        .split("where to look")
        .nth(1)
        .expect("a where-to-look section");
    assert!(
        where_to_look.contains("db::query: total time/call +"),
        "{stdout}"
    );
    assert!(!where_to_look.contains("app::handler"), "{stdout}");
    // The caller is slower too, and the table says through whom.
    assert!(
        stdout.contains("regressed (via db::query)"),
        "the caller's regression points at the callee:\n{stdout}"
    );
    assert!(stdout.contains("FAILED: "), "{stdout}");
}

#[test]
fn one_more_allocation_per_call_fails() {
    let allocating = with(&program(), "app::format", |f| f.allocs += 1.0);
    let project = project_with(
        &record("base", &program(), 10, 1),
        &record("cur", &allocating, 10, 2),
    );
    project
        .perf()
        .args(["compare"])
        .assert()
        .code(1)
        .stdout(contains("app::format: total allocs/call +100.0% (1 → 2)"))
        .stdout(contains("app::render      total allocs/call         6        11   +83.3%  exact              -  regressed (via app::format)"))
        .stdout(contains("FAILED: 1 regression: app::format; 4 rows follow from it."));
}

#[test]
fn more_calls_are_blamed_on_the_caller_that_makes_them() {
    let n_plus_one = with(&program(), "db::query", |f| f.calls *= 2.0);
    let project = project_with(
        &record("base", &program(), 10, 1),
        &record("cur", &n_plus_one, 10, 2),
    );
    project
        .perf()
        .args(["compare"])
        .assert()
        .code(1)
        .stdout(contains(
            "db::query: calls +100.0% (1,000 → 2,000), called more often by app::handler",
        ));
}

#[test]
fn improvements_and_never_do_not_fail() {
    let faster = with(&program(), "db::query", |f| f.self_ns *= 0.8);
    let project = project_with(
        &record("base", &program(), 10, 1),
        &record("cur", &faster, 10, 2),
    );
    project
        .perf()
        .args(["compare"])
        .assert()
        .code(0)
        .stdout(contains("improved"));
    let slower = with(&program(), "db::query", |f| f.self_ns *= 1.5);
    project.write_record(&record("cur2", &slower, 10, 3));
    project
        .perf()
        .args(["compare", "--fail-on", "never"])
        .assert()
        .code(0)
        .stdout(contains("not failing: --fail-on never"));
}

#[test]
fn the_threshold_decides_how_large_a_change_counts() {
    let slower = with(&program(), "db::query", |f| f.self_ns *= 1.10);
    let project = project_with(
        &record("base", &program(), 10, 1),
        &record("cur", &slower, 10, 2),
    );
    project
        .perf()
        .args(["compare", "--threshold", "20%"])
        .assert()
        .code(0);
    std::fs::write(
        project.path().join("perf.toml"),
        "[compare]\nthreshold = \"20%\"\n",
    )
    .unwrap();
    project.perf().args(["compare"]).assert().code(0);
    // A flag beats the file.
    project
        .perf()
        .args(["compare", "--threshold", "5%"])
        .assert()
        .code(1);
}

#[test]
fn one_run_a_side_is_inconclusive_and_says_how_many_runs_would_decide() {
    // No other rule judges what the runs cannot: the rows say so.
    let slower = with(&program(), "db::query", |f| f.self_ns *= 1.5);
    let project = project_with(
        &record("base", &program(), 1, 1),
        &record("cur", &slower, 1, 2),
    );
    project
        .perf()
        .args(["compare"])
        .assert()
        .code(0)
        .stdout(contains("inconclusive (~"))
        .stdout(contains("rows that gate are inconclusive"))
        .stdout(contains("runs a side would decide them all"));
    project
        .perf()
        .args(["compare", "--fail-on", "inconclusive"])
        .assert()
        .code(1)
        .stdout(contains("(--fail-on inconclusive)"));
}

#[test]
fn json_output_is_documented_and_complete() {
    let slower = with(&program(), "db::query", |f| f.self_ns *= 1.10);
    let project = project_with(
        &record("base", &program(), 10, 1),
        &record("cur", &slower, 10, 2),
    );
    let output = project
        .perf()
        .args(["compare", "--format", "json"])
        .assert()
        .code(1);
    let json: serde_json::Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    assert_eq!(json["schema"], "perf-compare/1");
    assert_eq!(json["failed"], true);
    assert_eq!(json["baseline"]["name"], "main");
    assert_eq!(json["current"]["record"], "cur");
    assert_eq!(json["settings"]["threshold"], 0.05);
    let rows = json["rows"].as_array().unwrap();
    let first = &rows[0];
    assert_eq!(first["function"], "db::query");
    assert_eq!(first["verdict"], "regressed");
    assert_eq!(first["cause"]["kind"], "own");
    assert_eq!(first["method"], "rank-test");
    for key in [
        "baseline",
        "current",
        "change",
        "interval",
        "p_value",
        "p_adjusted",
        "metric",
    ] {
        assert!(!first[key].is_null(), "{key} in {first}");
    }
    // Every function has a row for each compared metric it has: time/call,
    // p95, calls, allocs/call and bytes/call; and the whole program one.
    assert_eq!(rows.len(), 4 * 5 + 1);
}

#[test]
fn markdown_goes_to_the_step_summary_too() {
    let slower = with(&program(), "db::query", |f| f.self_ns *= 1.10);
    let project = project_with(
        &record("base", &program(), 10, 1),
        &record("cur", &slower, 10, 2),
    );
    let summary = project.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    project
        .perf()
        .args(["compare", "--format", "markdown"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .assert()
        .code(1)
        .stdout(contains("### ❌ perf: FAILED: "))
        .stdout(contains("| `db::query` | total time/call |"))
        .stdout(contains("<details><summary>"));
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.starts_with("earlier step\n### ❌ perf"),
        "{written}"
    );
}

#[test]
fn budgets_fail_compare_and_check() {
    let project = project_with(
        &record("base", &program(), 10, 1),
        &record("cur", &program(), 10, 2),
    );
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"db::query\"\np95 = \"10us\"\nallocs_per_call = 4\n",
    )
    .unwrap();
    project
        .perf()
        .args(["compare"])
        .assert()
        .code(1)
        .stdout(contains("db::query p95 "))
        .stdout(contains(" > 10.0 µs EXCEEDED"))
        .stdout(contains(
            "db::query total allocs/call 1 (at least 1) ≤ 4 ok",
        ));
    project
        .perf()
        .args(["check"])
        .assert()
        .code(1)
        .stdout(contains("FAILED: 1 of 2 limits exceeded."));
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"db::query\"\nmean = \"1ms\"\n",
    )
    .unwrap();
    project
        .perf()
        .args(["check"])
        .assert()
        .code(0)
        .stdout(contains("1 limit met."));
}

#[test]
fn a_budget_the_runs_straddle_is_not_exceeded_until_it_is_for_sure() {
    let current = record("cur", &program(), 10, 2);
    let mut times = current
        .function("db::query")
        .unwrap()
        .get(Metric::TimePerCall)
        .unwrap()
        .to_vec();
    times.sort_by(f64::total_cmp);
    let project = project_with(&record("base", &program(), 10, 1), &current);
    // Under the median, over the fastest runs: over in the median only.
    let limit = format!("{}ns", times[2].round());
    std::fs::write(
        project.path().join("perf.toml"),
        format!("[[budget]]\nfunction = \"db::query\"\nmean = \"{limit}\"\n"),
    )
    .unwrap();
    project
        .perf()
        .args(["check"])
        .assert()
        .code(0)
        .stdout(contains("over in the median only, not exceeded for sure"));
    // Under every run: exceeded.
    let limit = format!("{}ns", (times[0] * 0.9).round());
    std::fs::write(
        project.path().join("perf.toml"),
        format!("[[budget]]\nfunction = \"db::query\"\nmean = \"{limit}\"\n"),
    )
    .unwrap();
    project
        .perf()
        .args(["check"])
        .assert()
        .code(1)
        .stdout(contains("EXCEEDED"));
}

#[test]
fn a_budget_for_an_unknown_function_is_trouble() {
    let project = project_with(
        &record("base", &program(), 10, 1),
        &record("cur", &program(), 10, 2),
    );
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"db::querry\"\nmean = \"1ms\"\n",
    )
    .unwrap();
    project
        .perf()
        .args(["check"])
        .assert()
        .code(2)
        .stderr(contains(
            "perf.toml: line 2: budget for function \"db::querry\" matches no function in record cur; did you mean `db::query`? Write the full name there",
        ));
    // A path without its modules finds the full name.
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"query\"\np99 = \"1ms\"\n",
    )
    .unwrap();
    project
        .perf()
        .args(["compare"])
        .assert()
        .code(2)
        .stderr(contains("did you mean `db::query`?"));
    std::fs::write(project.path().join("perf.toml"), "").unwrap();
    let toml = project.path().join("perf.toml");
    project
        .perf()
        .args(["check"])
        .assert()
        .code(2)
        .stderr(contains(format!(
            "error: no budgets to check: {} has no [[budget]] entry; add a [[budget]] entry there, such as:\n\n[[budget]]\nfunction = \"",
            toml.display()
        )))
        .stderr(contains("`cargo perf check --help` describes every field and unit"));
    std::fs::remove_file(&toml).unwrap();
    let output = project.perf().args(["check"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!("{} does not exist;", toml.display())),
        "{stderr}"
    );
    // The example is ready to paste: it names a function of the record,
    // and `check` passes or fails on it, no longer trouble.
    let example = stderr
        .split("such as:\n\n")
        .nth(1)
        .and_then(|rest| rest.split("\n(`cargo perf").next())
        .expect("an example");
    assert!(example.contains("function = \"app::handler\""), "{example}");
    // Its limits are the record's own figures with headroom, and say so.
    let handler = record("cur", &program(), 10, 2)
        .functions
        .into_iter()
        .find(|f| f.name == "app::handler")
        .unwrap();
    let slowest = |metric: Metric| {
        handler
            .get(metric)
            .unwrap()
            .iter()
            .copied()
            .fold(0.0, f64::max)
    };
    let p95 = perf_stats::budget::suggest(&handler).p95_ns.unwrap();
    assert!(p95 >= 1.5 * slowest(Metric::P95), "{p95} {example}");
    assert!(
        example.contains(&format!(
            "the slowest run's in record cur ({}) × 1.5, rounded up",
            perf_format::units::duration(slowest(Metric::P95))
        )),
        "{example}"
    );
    assert!(
        example.contains(&format!(
            "allocs_per_call = {}",
            slowest(Metric::AllocsPerCall).ceil()
        )) && example.contains("the most of any run in record cur"),
        "{example}"
    );
    assert!(!example.contains("200us"), "{example}");
    std::fs::write(&toml, example).unwrap();
    // The record it was taken from passes it.
    project
        .perf()
        .args(["check"])
        .assert()
        .code(0)
        .stdout(contains("EXCEEDED").not());
}

#[test]
fn a_p99_budget_is_checked_on_the_median_of_the_runs_p99() {
    let project = project_with(
        &record("base", &program(), 10, 1),
        &record("cur", &program(), 10, 2),
    );
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"db::query\"\np99 = \"1us\"\n\n[[budget]]\nfunction = \"app::handler\"\np99 = \"10s\"\n",
    )
    .unwrap();
    project
        .perf()
        .args(["check"])
        .assert()
        .code(1)
        .stdout(contains("db::query p99 "))
        .stdout(contains("EXCEEDED"))
        .stdout(contains("app::handler p99 "))
        .stdout(contains("FAILED: 1 of 2 limits exceeded."));
}

#[test]
fn a_machine_that_wanders_between_runs_still_shows_a_ten_percent_slowdown() {
    // The machine's speed wanders by 4% from run to run, moving every
    // function alike; taken out, the runs agree and the change stands out.
    let slower = with(&service(), "svc::price", |f| f.self_ns *= 1.10);
    let project = project_with(
        &record_wandering("base", &service(), 10, 1, 1.0, 0.04),
        &record_wandering("cur", &slower, 10, 2, 1.0, 0.04),
    );
    let output = project
        .perf()
        .args(["compare", "--format", "json"])
        .assert()
        .code(1);
    let json: serde_json::Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    assert_eq!(json["drift"]["status"], "estimated");
    // svc::price changed on its own, so the factors rest on the other four.
    assert_eq!(json["drift"]["functions"], 4);
    let program = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["function"] == "(whole program)")
        .unwrap();
    assert_eq!(program["metric"], "time_per_run_ns");
    // Records made apart: the program's wall time is shown, not gated.
    assert_eq!(program["gated"], false);
    let row = &json["rows"][0];
    assert_eq!(row["function"], "svc::price");
    assert_eq!(row["metric"], "time_per_call_ns");
    let change = row["change"].as_f64().unwrap();
    assert!((0.07..0.14).contains(&change), "{change}");
    assert!(json["totals"]["regressed"].as_u64().unwrap() >= 1);
}

#[test]
fn a_change_that_slows_every_function_is_shown_and_says_so() {
    // A slower machine and a change that slows everything look alike
    // between two sessions: the program's wall time is shown as regressed,
    // not hidden, but only `cargo perf ab`, which interleaves the runs,
    // gates on it.
    let project = project_with(
        &record("base", &service(), 10, 1),
        &record_on("cur", &service(), 10, 2, 1.12),
    );
    project
        .perf()
        .args(["compare"])
        .assert()
        .code(0)
        .stdout(contains("(whole program)  time/run"))
        .stdout(contains("regressed, not gated"))
        // The whole program's time/run is no p95 in the summary line.
        .stdout(contains("not gated)"))
        .stdout(contains("p95 regression").not())
        .stdout(contains("the functions ran 1"))
        .stdout(contains(
            "% slower than in the baseline (the median over 5 functions): a slower machine, or a change that slows every function alike",
        ));
}

#[test]
fn few_functions_are_compared_as_measured_and_say_so() {
    let two = &program()[..2];
    let project = project_with(&record("base", two, 10, 1), &record("cur", two, 10, 2));
    project
        .perf()
        .args(["compare"])
        .assert()
        .code(0)
        .stdout(contains(
            "the machine's drift was not taken out of the times: 2 functions with 0.05% or more",
        ));
}

/// A p95 under a few steps of a side's clock is marked `~` in the
/// table, and the legend says the step.
#[test]
fn percentiles_near_the_clock_step_are_marked_in_the_table() {
    let near = |id: &str, seed: u64| {
        let mut record = record(id, &program(), 10, seed);
        record.env.clock_step_ns = Some(10.0);
        for function in &mut record.functions {
            if let Some(p95) = function.samples.get_mut(&Metric::P95) {
                p95.iter_mut()
                    .enumerate()
                    .for_each(|(i, v)| *v = 20.0 + i as f64);
            }
        }
        record
    };
    let project = project_with(&near("base", 1), &near("cur", 2));
    project
        .perf()
        .args(["compare", "--all"])
        .assert()
        .stdout(contains("  ~24.0 ns"))
        .stdout(contains(
            "~ = under 5 clock steps of 10 ns: read as a bound, not a figure",
        ));
    // JSON keeps the step of each side.
    let output = project
        .perf()
        .args(["compare", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["baseline"]["clock_step_ns"], 10.0);
}
