//! `cargo perf flamegraph`: the pictures of a record, a run and a change.

use predicates::str::contains;

use crate::util::{Project, program, record, trouble, with, write_run};

/// A project with baseline `main` and record `cur` (the latest).
fn project() -> Project {
    let project = Project::new();
    project.write_baseline("main", &record("base", &program(), 10, 1));
    project.write_record(&record("cur", &program(), 10, 2));
    project
}

fn stdout(output: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&output.get_output().stdout).into_owned()
}

#[test]
fn the_latest_record_by_wall_time_lands_beside_it() {
    let project = project();
    let output = project.perf().args(["flamegraph"]).assert().code(0);
    let path = project
        .path()
        .join("target/perf/records/cur/flamegraph-time.svg");
    assert_eq!(stdout(&output), format!("flamegraph: {}\n", path.display()));
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("app: wall time by call stack"), "{svg}");
    assert!(svg.contains("db::query") && svg.contains("app::render"));
    assert!(svg.contains("function init(evt)"), "inferno's script is in");
}

#[test]
fn bytes_allocated_and_an_explicit_output() {
    let project = project();
    project
        .perf()
        .args(["flamegraph", "cur", "--metric", "alloc", "-o", "alloc.svg"])
        .assert()
        .code(0)
        .stdout("flamegraph: alloc.svg\n");
    let svg = std::fs::read_to_string(project.path().join("alloc.svg")).unwrap();
    assert!(svg.contains("app: bytes allocated by call stack"));
    assert!(svg.contains(" bytes, "), "hover text counts bytes");
    let output = project
        .perf()
        .args(["flamegraph", "-o", "-"])
        .assert()
        .code(0);
    assert!(stdout(&output).starts_with("<?xml"), "-o - writes the SVG");
}

#[test]
fn a_change_is_drawn_against_the_baseline_with_both_ids() {
    let slower = with(&program(), "db::query", |f| f.self_ns *= 1.5);
    let project = Project::new();
    project.write_baseline("main", &record("20261101T000000-app", &program(), 10, 1));
    project.write_record(&record("20261123T091803-app", &slower, 10, 2));
    project
        .perf()
        .args(["flamegraph", "--diff", "main"])
        .assert()
        .code(0)
        .stdout(contains("flamegraph-time-diff-main.svg"));
    let svg = std::fs::read_to_string(
        project
            .path()
            .join("target/perf/records/20261123T091803-app/flamegraph-time-diff-main.svg"),
    )
    .unwrap();
    assert!(
        svg.contains("app: wall time, main (record 20261101T000000-app) → 20261123T091803-app"),
        "{svg}"
    );
    assert!(svg.contains("red grew, blue shrank"));
    // A record id works too.
    project.write_record(&record("20261101T000000-app", &program(), 10, 1));
    project.write_record(&record("20261123T091803-app", &slower, 10, 2));
    let output = project
        .perf()
        .args(["flamegraph", "--diff", "20261101T000000-app", "-o", "-"])
        .assert()
        .code(0);
    assert!(stdout(&output).contains("app: wall time, 20261101T000000-app → 20261123T091803-app"));
}

#[test]
fn cpu_samples_of_a_run_file() {
    let project = Project::new();
    let run = write_run(
        &project,
        "20261123T091803-app",
        Some("main;app::handler;db::query 5\nmain;app::handler;<Vec<u8> as Clone>::clone 1\n"),
    );
    let output = project
        .perf()
        .args(["flamegraph", run.to_str().unwrap(), "--metric", "cpu"])
        .assert()
        .code(0);
    let written = run.with_file_name("flamegraph-cpu.svg");
    assert_eq!(
        stdout(&output),
        format!("flamegraph: {}\n", written.display())
    );
    let svg = std::fs::read_to_string(written).unwrap();
    assert!(svg.contains("app: CPU samples by call stack"));
    assert!(svg.contains("6 samples over 1 run"), "{svg}");
    // Spaces in names are drawn as no-break spaces (a space ends a folded stack).
    assert!(svg.contains("&lt;Vec&lt;u8&gt;\u{a0}as\u{a0}Clone&gt;::clone"));
    // The run read as a record carries the stacks.
    project
        .perf()
        .args([
            "flamegraph",
            run.parent().unwrap().to_str().unwrap(),
            "-o",
            "-",
        ])
        .assert()
        .code(0)
        .stdout(contains("db::query"));
}

#[test]
fn trouble_names_the_record_and_writes_nothing() {
    let project = project();
    trouble(
        &project,
        &["flamegraph", "20990101T000000-x"],
        "no record \"20990101T000000-x\"",
    );
    trouble(
        &project,
        &["flamegraph", "--diff", "release"],
        "no baseline \"release\": ",
    );
    trouble(
        &project,
        &["flamegraph", "--metric", "cpu"],
        "record.json: record cur has no CPU samples: build the program with perf-core's `cpu` feature",
    );
    trouble(
        &project,
        &["flamegraph", "-o", "no/such/dir/x.svg"],
        "cannot write no/such/dir/x.svg: no such file or directory",
    );
    let mut untracked = record("untracked", &program(), 10, 3);
    untracked.alloc_tracking = false;
    project.write_record(&untracked);
    trouble(
        &project,
        &["flamegraph", "--metric", "alloc"],
        "record untracked has no allocation figures: make perf_core::PerfAlloc the program's #[global_allocator]",
    );
    trouble(
        &project,
        &[
            "flamegraph",
            "untracked",
            "--metric",
            "alloc",
            "--diff",
            "main",
        ],
        "record untracked has no allocation figures",
    );
}

#[test]
fn a_malformed_cpu_folded_is_named_with_its_line() {
    let project = Project::new();
    let run = write_run(&project, "r1", Some("main;a 3\nmain;b three\n"));
    trouble(
        &project,
        &["flamegraph", run.to_str().unwrap()],
        &format!(
            "{}: line 2: \"three\" is not a sample count",
            run.with_file_name("cpu.folded").display()
        ),
    );
}
