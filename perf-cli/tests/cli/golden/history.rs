//! The history's outputs: `history list`, `show` and `detect` in each
//! format, `compare --history`, `report --history` with its trend charts,
//! and an imported Otava file.

use std::path::Path;

use perf_format::schema::record::Record;

use super::bless::check;
use super::{readable_pictures, stdout};
use crate::util::{Project, record, service, with};

/// Commits in the history.
const COMMITS: usize = 16;

/// Where `svc::price` gets 12% slower.
const STEP: usize = 5;

/// `git ARGS` in `dir` as `util::git` runs it, and with fixed dates, so
/// that the commits' ids are the same in every run.
fn git(dir: &Path, args: &[&str], day: usize) -> String {
    let date = format!("2026-11-{:02}T09:00:00Z", day + 1);
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "perf")
        .env("GIT_AUTHOR_EMAIL", "perf@example.invalid")
        .env("GIT_COMMITTER_NAME", "perf")
        .env("GIT_COMMITTER_EMAIL", "perf@example.invalid")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The record of `service()` at commit `i`: `svc::price` 12% slower from
/// commit [`STEP`] on, `svc::render` 1% slower each commit, and after the
/// history (at commit [`COMMITS`]) `svc::validate` 20% slower.
fn record_at(i: usize, commit: &str) -> Record {
    let price = if i >= STEP { 1.12 } else { 1.0 };
    let validate = if i >= COMMITS { 1.2 } else { 1.0 };
    let funcs = with(&service(), "svc::price", |f| f.self_ns *= price);
    let funcs = with(&funcs, "svc::validate", |f| f.self_ns *= validate);
    let funcs = with(&funcs, "svc::render", |f| {
        f.self_ns *= 1.0 + 0.01 * i as f64
    });
    let mut record = record(
        &format!("202611{:02}T090000-svc", i + 1),
        &funcs,
        5,
        100 + i as u64,
    );
    record.name = "svc".to_owned();
    record.created_at = format!("2026-11-{:02}T09:00:00Z", i + 1);
    record.env.started_at = format!("2026-11-{:02}T09:00:00.000Z", i + 1);
    record.env.git_commit = Some(commit.to_owned());
    record
}

/// A repository of [`COMMITS`] commits, each with its record filed in the
/// history, and one more whose record is the latest, not filed.
fn project() -> Project {
    project_of(COMMITS)
}

/// A repository of `commits` commits, each with its record filed in the
/// history, and one more whose record is the latest, not filed.
fn project_of(commits: usize) -> Project {
    let project = Project::new();
    let dir = project.path();
    git(dir, &["init", "--quiet", "--initial-branch=main"], 0);
    for i in 0..=commits {
        let subject = format!("change {i}");
        git(
            dir,
            &["commit", "--quiet", "--allow-empty", "-m", &subject],
            i,
        );
        let commit = git(dir, &["rev-parse", "HEAD"], i);
        let path = project.write_record(&record_at(i, &commit));
        if i < commits {
            let added = stdout(&project, &["history", "add", path.to_str().unwrap()], 0);
            if i == 0 && commits == COMMITS {
                check("history-add.txt", &added);
            }
        }
    }
    project
}

#[test]
fn golden_history_list_show_and_detect() {
    let project = project();
    check(
        "history-list.txt",
        &stdout(&project, &["history", "list"], 0),
    );
    let show = ["history", "show", "svc::price", "--metric", "time/call"];
    check("history-show.txt", &stdout(&project, &show, 0));
    for (format, name) in [
        ("markdown", "history-show.md"),
        ("json", "history-show.json"),
    ] {
        check(
            name,
            &stdout(&project, &[&show[..], &["--format", format]].concat(), 0),
        );
    }
    check(
        "history-detect.txt",
        &stdout(&project, &["history", "detect"], 1),
    );
    for (format, name) in [
        ("markdown", "history-detect.md"),
        ("json", "history-detect.json"),
    ] {
        check(
            name,
            &stdout(&project, &["history", "detect", "--format", format], 1),
        );
    }
    check(
        "compare-history.txt",
        &stdout(&project, &["compare", "--history"], 1),
    );
    check(
        "report-history.html",
        &readable_pictures(&stdout(
            &project,
            &["report", "--history", "--filter", "svc::price", "-o", "-"],
            0,
        )),
    );
}

/// Two commits: too short to search, and `detect` says how many it needs.
#[test]
fn golden_a_history_too_short_to_search() {
    let project = project_of(2);
    check(
        "history-detect-short.txt",
        &stdout(&project, &["history", "detect"], 0),
    );
    for (format, name) in [
        ("markdown", "history-detect-short.md"),
        ("json", "history-detect-short.json"),
    ] {
        check(
            name,
            &stdout(&project, &["history", "detect", "--format", format], 0),
        );
    }
}

#[test]
fn golden_an_imported_otava_file() {
    let project = Project::new();
    git(
        project.path(),
        &["init", "--quiet", "--initial-branch=main"],
        0,
    );
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history/local_sample.csv"),
        project.path().join("local_sample.csv"),
    )
    .unwrap();
    check(
        "history-import-otava.txt",
        &stdout(
            &project,
            &["history", "import", "--csv", "local_sample.csv"],
            0,
        ),
    );
    check(
        "history-list-otava.txt",
        &stdout(&project, &["history", "list"], 0),
    );
    check(
        "history-detect-otava.txt",
        &stdout(&project, &["history", "detect"], 0),
    );
}
