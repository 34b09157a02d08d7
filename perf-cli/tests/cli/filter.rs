//! `--filter TEXT` on compare, check, baseline show, flamegraph and report,
//! and the one way a
//! BASELINE argument is read by compare, `flamegraph --diff` and `report
//! --baseline`.

use perf_format::schema::compare::{Comparison, Correction, Row, WHOLE_PROGRAM};
use predicates::prelude::PredicateBooleanExt as _;
use predicates::str::contains;

use crate::report::report;
use crate::util::{Project, program, record, trouble, with};

/// Baseline `main` and the latest record `cur`, in which `db::query` is
/// 50% slower (`program()`: app::handler calls db::query and app::render,
/// which calls app::format).
fn project() -> Project {
    let slower = with(&program(), "db::query", |f| f.self_ns *= 1.5);
    let project = Project::new();
    project.write_baseline("main", &record("base", &program(), 10, 1));
    project.write_record(&record("cur", &slower, 10, 2));
    project
}

fn json(project: &Project, args: &[&str]) -> (Comparison, i32) {
    let output = project
        .perf()
        .args(["compare", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let comparison = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&output.stderr));
    });
    (comparison, output.status.code().unwrap())
}

fn tests(comparison: &Comparison) -> usize {
    match comparison.correction {
        Correction::BenjaminiHochberg { tests, .. } => tests,
        _ => 0,
    }
}

#[test]
fn compare_shows_only_the_matching_functions_tested_with_all_the_others() {
    let project = project();
    let (all, code) = json(&project, &[]);
    assert_eq!(code, 1);
    let (render, code) = json(&project, &["--filter", "app::render"]);
    assert_eq!(code, 0, "db::query's regression is filtered out");
    let functions: Vec<&str> = render.rows.iter().map(Row::function).collect();
    assert!(
        !functions.is_empty() && functions.iter().all(|f| *f == "app::render"),
        "{functions:?}"
    );
    // The family adjusted together is every row, as without the filter: a
    // filter chosen after looking cannot make a row significant.
    assert_eq!(tests(&render), tests(&all));
    assert!(
        render.notes[0].starts_with(
            "--filter \"app::render\": 1 of 4 functions shown, 3 filtered out, with the whole-program rows"
        ),
        "{:?}",
        render.notes
    );
    // Any of several texts; the regression is found among them.
    let (two, code) = json(&project, &["--filter", "db::", "--filter", "format"]);
    assert_eq!(code, 1);
    let mut functions: Vec<&str> = two.rows.iter().map(Row::function).collect();
    functions.dedup();
    functions.sort_unstable();
    functions.dedup();
    assert_eq!(functions, ["app::format", "db::query"]);
    assert!(!functions.contains(&WHOLE_PROGRAM));
    // The table says so too.
    project
        .perf()
        .args(["compare", "--filter", "query"])
        .assert()
        .code(1)
        .stdout(contains("1 of 4 functions shown, 3 filtered out"))
        .stdout(contains("db::query"))
        .stdout(contains("app::render").not());
}

#[test]
fn a_filter_leaves_out_the_budgets_of_other_functions() {
    let project = project();
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"app::render\"\nmean = \"1ns\"\n",
    )
    .unwrap();
    project
        .perf()
        .args(["compare", "--filter", "render"])
        .assert()
        .code(1);
    let (comparison, code) = json(&project, &["--filter", "app::format"]);
    assert_eq!((code, comparison.budgets.len()), (0, 0));
}

#[test]
fn check_holds_only_the_budgets_of_the_matching_functions() {
    let project = project();
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"app::render\"\nmean = \"1ns\"\n\n\
         [[budget]]\nfunction = \"db::query\"\nmean = \"1s\"\n",
    )
    .unwrap();
    project.perf().arg("check").assert().code(1);
    project
        .perf()
        .args(["check", "--filter", "db::"])
        .assert()
        .code(0)
        .stdout(contains("db::query"))
        .stdout(contains("app::render").not());
    project
        .perf()
        .args(["check", "--filter", "render"])
        .assert()
        .code(1)
        .stdout(contains("app::render"));
    trouble(
        &project,
        &["check", "--filter", "app::format"],
        "no [[budget]] entry is for a function that --filter \"app::format\" keeps; the entries are for app::render, db::query",
    );
    trouble(
        &project,
        &["check", "--filter", "nothing"],
        "--filter \"nothing\" matches no function of cur",
    );
}

#[test]
fn baseline_show_lists_only_the_matching_functions() {
    let project = project();
    project
        .perf()
        .args(["baseline", "show", "main", "--filter", "app::"])
        .assert()
        .success()
        .stdout(contains("app::render"))
        .stdout(contains("app::handler"))
        .stdout(contains("db::query").not());
}

#[test]
fn a_filter_matching_nothing_names_the_closest_names() {
    let project = project();
    trouble(
        &project,
        &["compare", "--filter", "db::qeury"],
        "--filter \"db::qeury\" matches no function of cur and base; the closest names: `db::query`",
    );
    trouble(
        &project,
        &["flamegraph", "--filter", "Render"],
        "--filter \"Render\" matches no function of cur; the closest names: `app::render`",
    );
    trouble(
        &project,
        &["report", "--filter", "nothing-like-it"],
        "--filter \"nothing-like-it\" matches no function of cur and base (`cargo perf baseline show NAME` lists a baseline's functions, `cargo perf report` a record's",
    );
}

#[test]
fn flamegraph_keeps_the_stacks_through_a_matching_frame() {
    let project = project();
    let output = project
        .perf()
        .args(["flamegraph", "--filter", "app::render", "-o", "-"])
        .assert()
        .code(0);
    let svg = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    // Its callee and its caller's frame stay; the sibling's stack goes.
    for kept in ["app::render (", "app::format (", "app::handler ("] {
        assert!(svg.contains(&format!("<title>{kept}")), "{kept} in {svg}");
    }
    assert!(!svg.contains("db::query"), "{svg}");
    assert!(
        svg.contains("app: wall time by call stack (only stacks through &quot;app::render&quot;)"),
        "the title says what it keeps"
    );
    // The differential picture, alike.
    let output = project
        .perf()
        .args([
            "flamegraph",
            "--diff",
            "main",
            "--filter",
            "db::",
            "-o",
            "-",
        ])
        .assert()
        .code(0);
    let svg = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    assert!(svg.contains("<title>db::query (") && !svg.contains("app::render"));
    // The caller the filter dropped still says how often it was called.
    let handler = svg
        .split("<title>app::handler (")
        .nth(1)
        .and_then(|rest| rest.split("</title>").next())
        .unwrap_or_else(|| panic!("{svg}"));
    assert!(handler.contains("; 100 calls/run"), "{handler}");
}

#[test]
fn report_filters_its_table_and_pictures_alike() {
    let project = project();
    let (page, _) = report(&project, &["--filter", "db::", "-o", "filtered.html"]);
    assert!(page.contains(
        "Filtered: 1 of the record&#39;s 4 functions, those whose name holds &quot;db::&quot;"
    ));
    assert!(page.contains("<td class=\"fn\">db::query</td>"));
    assert!(!page.contains("app::render"), "the table is filtered");
    let pictures = crate::browser::embedded_svgs(&page);
    assert!(!pictures.is_empty());
    assert!(
        pictures.iter().all(|svg| !svg.contains("app::render")),
        "and so are the pictures"
    );
    assert!(pictures.iter().all(|svg| svg.contains("db::query")));
    let (page, _) = report(&project, &["-o", "whole.html"]);
    assert!(!page.contains("Filtered:"));
    assert!(
        crate::browser::embedded_svgs(&page)
            .iter()
            .all(|svg| svg.contains("app::render"))
    );
}

#[test]
fn a_baseline_argument_is_a_saved_baseline_a_path_or_a_record_alike() {
    let project = project();
    // `base` is only a record id here: compare takes it as flamegraph does.
    project.write_record(&record("base", &program(), 10, 1));
    project.write_record(&record(
        "cur",
        &with(&program(), "db::query", |f| f.self_ns *= 1.5),
        10,
        2,
    ));
    project
        .perf()
        .args(["compare", "base"])
        .assert()
        .code(1)
        .stdout(contains("db::query"));
    project
        .perf()
        .args(["flamegraph", "--diff", "base", "-o", "-"])
        .assert()
        .code(0);
    report(&project, &["--baseline", "base", "-o", "r.html"]);
    let path = project.path().join("target/perf/records/base/record.json");
    project
        .perf()
        .args(["compare", path.to_str().unwrap()])
        .assert()
        .code(1);
    // What none of them finds, all say alike: what was tried, where.
    let tried = format!(
        "no baseline \"nightly\": not a saved baseline ({} does not exist), not a file or directory, not a record ({} does not exist)",
        project
            .path()
            .join(".perf/baselines/nightly.json")
            .display(),
        project.path().join("target/perf/records/nightly").display()
    );
    trouble(&project, &["compare", "nightly"], &tried);
    trouble(&project, &["flamegraph", "--diff", "nightly"], &tried);
    trouble(&project, &["report", "--baseline", "nightly"], &tried);
}
