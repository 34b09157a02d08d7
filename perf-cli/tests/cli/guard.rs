//! Records that are not the same program or build are refused (exit 2, one
//! line naming what differs) unless `--allow-mismatch`; a dirty working
//! tree is shown, not refused.

use std::path::Path;

use predicates::prelude::*;
use predicates::str::contains;

use crate::util::{Project, program, record, service, trouble};

/// Baseline `main` of [`program`] and a record `cur` of it, changed by `change`.
fn project(change: impl Fn(&mut perf_format::schema::record::Record)) -> Project {
    let project = Project::new();
    project.write_baseline("main", &record("base", &program(), 5, 1));
    let mut current = record("cur", &program(), 5, 2);
    change(&mut current);
    project.write_record(&current);
    project
}

fn stdout(output: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&output.get_output().stdout).into_owned()
}

#[test]
fn a_criterion_import_is_not_a_record_of_the_program() {
    let project = Project::new();
    project.write_baseline("main", &record("base", &program(), 5, 1));
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/criterion-current");
    project
        .perf()
        .args(["import", "criterion"])
        .arg(&fixture)
        .assert()
        .code(0);
    // Before: "no regressions (6 functions new, 4 functions gone)", exit 0.
    trouble(&project, &["compare"], "error: baseline main and record ");
    trouble(
        &project,
        &["compare"],
        "-criterion are not the same program: perf runs vs criterion benchmarks; program \"app\" vs \"criterion\"; no function in both (of 10) (--allow-mismatch compares them anyway)",
    );
}

#[test]
fn another_compiler_feature_set_or_profile_is_refused() {
    let project = project(|r| {
        r.env.rustc = Some("rustc 1.92.0 (ded5c06cf 2025-12-08)".to_owned());
    });
    // The baseline does not know its compiler: nothing to hold against.
    project.perf().args(["compare"]).assert().code(0);
    let mut base = record("base", &program(), 5, 1);
    base.env.rustc = Some("rustc 1.91.0 (f8297e351 2025-10-28)".to_owned());
    base.env.perf_features = Some(vec!["enabled".to_owned()]);
    base.env.build_profile = Some("release".to_owned());
    project.write_baseline("main", &base);
    trouble(
        &project,
        &["compare"],
        "error: baseline main and record cur are not the same program: rustc 1.91.0 (f8297e351 2025-10-28) vs 1.92.0 (ded5c06cf 2025-12-08) (--allow-mismatch compares them anyway)",
    );

    let mut heap = record("heap", &program(), 5, 2);
    heap.env = base.env.clone();
    heap.env.perf_features = Some(vec!["enabled".to_owned(), "heap".to_owned()]);
    project.write_record(&heap);
    trouble(
        &project,
        &["compare"],
        "not the same program: perf-core features enabled vs enabled, heap (--allow-mismatch",
    );

    let mut debug = record("debug", &program(), 5, 2);
    debug.env = base.env.clone();
    debug.env.build_profile = Some("debug".to_owned());
    debug.env.debug_build = true;
    project.write_record(&debug);
    trouble(
        &project,
        &["compare"],
        "not the same program: build release vs debug (--allow-mismatch",
    );
    // The other commands that compare refuse alike.
    trouble(
        &project,
        &["flamegraph", "--diff", "main"],
        "build release vs debug",
    );
    trouble(
        &project,
        &["report", "--baseline", "main", "-o", "-"],
        "build release vs debug",
    );
    // `main` taken by default does not fail the report: it says why it is not compared.
    project
        .perf()
        .args(["report", "-o", "-"])
        .assert()
        .code(0)
        .stdout(contains(
            "Not compared: baseline main and record debug are not the same program: build release vs debug",
        ));
    // Budgets hold one record only: no refusal.
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"db::query\"\nallocs_per_call = 4\n",
    )
    .unwrap();
    project.perf().args(["check"]).assert().code(0);
}

#[test]
fn allow_mismatch_compares_and_says_what_differs_above_the_table() {
    let project = project(|r| {
        r.name = "tool".to_owned();
        r.command = vec!["target/release/tool".to_owned()];
    });
    trouble(
        &project,
        &["compare"],
        "error: baseline main and record cur are not the same program: program \"app\" vs \"tool\" (--allow-mismatch compares them anyway)",
    );
    let output = project
        .perf()
        .args(["compare", "--allow-mismatch"])
        .assert()
        .code(0);
    let text = stdout(&output);
    let warning = text
        .find("warning: not the same program (compared anyway): program \"app\" vs \"tool\"")
        .unwrap_or_else(|| panic!("{text}"));
    let table = text.find("function ").unwrap();
    assert!(warning < table, "above the table:\n{text}");
    assert!(text.starts_with("perf compare: baseline"), "{text}");

    let output = project
        .perf()
        .args(["compare", "--allow-mismatch", "--format", "json"])
        .assert()
        .code(0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        json["mismatches"],
        serde_json::json!(["program \"app\" vs \"tool\""])
    );
    project
        .perf()
        .args(["compare", "--allow-mismatch", "--format", "markdown"])
        .assert()
        .code(0)
        .stdout(contains(
            "> ⚠️ **Not the same program** (compared anyway): program \"app\" vs \"tool\"",
        ));
}

#[test]
fn a_record_sharing_too_few_functions_is_refused() {
    let project = Project::new();
    project.write_baseline("main", &record("base", &service(), 5, 1));
    // 2 of the 5 service functions, and 4 of another program under the same name.
    let mut funcs: Vec<_> = service().into_iter().take(2).collect();
    funcs.extend(program());
    project.write_record(&record("cur", &funcs, 5, 2));
    trouble(
        &project,
        &["compare"],
        "error: baseline main and record cur are not the same program: only 2 of 9 functions in both (at least half are needed) (--allow-mismatch compares them anyway)",
    );
    project
        .perf()
        .args(["compare", "--allow-mismatch"])
        .assert()
        .code(0)
        .stdout(contains("only 2 of 9 functions in both"));
}

#[test]
fn a_dirty_tree_is_shown_not_refused() {
    let project = project(|r| r.env.git_dirty = true);
    project
        .perf()
        .args(["compare"])
        .assert()
        .code(0)
        .stdout(contains(
            "current `cur` (2026-11-01T00:00:00Z, 5 samples, commit 0123456789ab-dirty)",
        ));
    project
        .perf()
        .args(["baseline", "save", "dirty"])
        .assert()
        .code(0);
    project
        .perf()
        .args(["baseline", "list"])
        .assert()
        .code(0)
        .stdout(contains("commit 0123456789ab-dirty"))
        .stdout(contains("main").and(contains("commit 0123456789ab\n")));
}

#[test]
fn files_written_before_the_build_facts_still_compare() {
    let project = Project::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/baseline-before-build-facts.json");
    let dir = project.path().join(".perf/baselines");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&fixture, dir.join("main.json")).unwrap();
    let mut current = record("cur", &program(), 5, 2);
    current.env.build_profile = Some("release".to_owned());
    current.env.rustc = Some("rustc 1.91.0 (f8297e351 2025-10-28)".to_owned());
    current.env.perf_features = Some(vec!["enabled".to_owned()]);
    project.write_record(&current);
    project
        .perf()
        .args(["compare"])
        .assert()
        .code(0)
        .stdout(contains("baseline `main` (record 20261101T000000-app"));
    project
        .perf()
        .args(["baseline", "show", "main"])
        .assert()
        .code(0)
        .stdout(contains("db::query"));
}

#[test]
fn an_instruction_record_is_not_compared_with_normal_runs() {
    let project = project(|r| r.instructions = true);
    trouble(
        &project,
        &["compare"],
        "error: baseline main and record cur are not the same program: a record of normal runs vs an instruction record (--instructions) (--allow-mismatch compares them anyway)",
    );
    let output = project
        .perf()
        .args(["compare", "--allow-mismatch"])
        .assert()
        .code(0);
    assert!(stdout(&output).contains("a record of normal runs vs an instruction record"));
}
