//! `cargo perf records` lists what `record` made; `cargo perf completions`
//! prints a shell's completion script.

use predicates::prelude::PredicateBooleanExt as _;
use predicates::str::contains;

use crate::util::{Project, program, record};

#[test]
fn records_are_listed_newest_first_with_latest_marked_and_bad_ones_named() {
    let project = Project::new();
    project
        .perf()
        .arg("records")
        .assert()
        .code(0)
        .stdout(contains("no records in").and(contains("cargo perf record")));
    project.write_record(&record("20261101T000000-app", &program(), 3, 1));
    project.write_record(&record("20261102T000000-app", &program(), 5, 2));
    let broken = project
        .path()
        .join("target/perf/records/20261031T000000-old");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("record.json"), "{ not json").unwrap();
    let output = project.perf().arg("records").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("20261102T000000-app  app: 5 runs, 4 functions"),
        "{text}"
    );
    assert!(lines[0].ends_with("(latest)"), "{text}");
    assert!(
        lines[1].starts_with("20261101T000000-app  app: 3 runs"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("20261031T000000-old  cannot be read: "),
        "{text}"
    );
}

#[test]
fn completions_cover_every_command() {
    let project = Project::new();
    let output = project
        .perf()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let script = String::from_utf8(output.stdout).unwrap();
    for command in ["record", "compare", "history", "soak", "records"] {
        assert!(script.contains(command), "{command}");
    }
    // The flags follow the command line: one name for the perf directory.
    for flag in [
        "--perf-dir",
        "--filter",
        "--features",
        "--profile",
        "--all-features",
    ] {
        assert!(script.contains(flag), "{flag}");
    }
    assert!(!script.contains("--out "), "no --out left beside --output");
    project
        .perf()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(contains("invalid value 'tcsh'"));
}
