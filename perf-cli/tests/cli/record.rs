//! `cargo perf record` when the program misbehaves: it stops, shows why,
//! and leaves no record behind. (Recording a real instrumented program is
//! tested in `e2e/tests/record.rs`.)

use predicates::str::contains;

use crate::util::Project;

/// Whether the project holds a record or a `latest` pointer.
fn has_records(project: &Project) -> bool {
    let records = project.path().join("target/perf/records");
    std::fs::read_dir(&records).is_ok_and(|mut entries| entries.next().is_some())
}

#[test]
fn a_failing_command_stops_the_record_with_its_status_and_stderr() {
    let project = Project::new();
    project
        .perf()
        .args(["record", "--runs", "3", "--", "sh", "-c", "echo 'database is down' >&2; exit 3"])
        .assert()
        .code(2)
        .stderr(contains(
            "error: warm-up 1 of 1 of `sh -c 'echo '\\''database is down'\\'' >&2; exit 3'` failed: exit status: 3; its stderr:",
        ))
        .stderr(contains("  | database is down"));
    assert!(!has_records(&project));
}

#[test]
fn a_run_failing_after_others_succeeded_leaves_nothing() {
    let project = Project::new();
    // Succeeds once (the warm-up), then fails.
    let script = "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; test $n -lt 1";
    project
        .perf()
        .args(["record", "--runs", "3", "--", "sh", "-c", script])
        .assert()
        .code(2)
        .stderr(contains("run 1 of 3 of `sh -c"))
        .stderr(contains(
            "failed: exit status: 1 (it wrote nothing to stderr)",
        ));
    assert!(!has_records(&project));
}

#[test]
fn a_program_without_a_session_writes_no_run() {
    let project = Project::new();
    project
        .perf()
        .args(["record", "--warmup", "0", "--", "true"])
        .assert()
        .code(2)
        .stderr(contains("run 1 of `true` wrote no perf run under "))
        .stderr(contains("does the program start a perf_core::Session"));
    assert!(!has_records(&project));
}

#[test]
fn a_missing_program() {
    let project = Project::new();
    project
        .perf()
        .args(["record", "--", "./no-such-program"])
        .assert()
        .code(2)
        .stderr(contains(
            "cannot run `./no-such-program`: no such file or directory",
        ));
    assert!(!has_records(&project));
}
