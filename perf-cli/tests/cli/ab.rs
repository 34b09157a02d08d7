//! `cargo perf ab` in a real git repository with a real cargo build: two
//! revisions of a tiny program built in their worktrees, run interleaved,
//! judged. The program depends on nothing (it writes its `run.json` by
//! hand, as perf-core would), so each build takes about a second; its
//! figures are constants, so nothing depends on timing: the alloc count
//! per call is what changes between the revisions.

use std::path::{Path, PathBuf};

use perf_format::schema::compare::{Comparison, Row, Verdict};
use perf_format::schema::record::{Metric, Record};
use predicates::str::contains;

use crate::util::{Project, WRITE_RUN, git, trouble};

/// A program that writes one run of `app::work` (called 100 times,
/// `allocs` allocations a call) into `$PERF_DIR`, its commit taken from
/// `$PERF_GIT_COMMIT`.
fn program(allocs: u32) -> String {
    format!(
        r#"fn main() {{
    let allocs = 100 * {allocs};
    write_run("abdemo", "app::work", true, allocs, 64 * allocs, "");
}}
{WRITE_RUN}"#
    )
}

/// A program like [`program`]'s whose `app::work` runs through a slot, as
/// in perf-core's instruction build: `perf_slot_0`, an out-of-line function
/// running `work` turns of a loop, called 100 times; its run.json's node
/// names slot 0, so that `--instructions` takes its counts from callgrind.
fn counted_program(work: u64) -> String {
    format!(
        r##"use std::hint::black_box;

#[no_mangle]
#[inline(never)]
pub extern "C" fn perf_slot_0(turns: u64) -> u64 {{
    let mut sum = 0u64;
    for i in 0..turns {{
        sum = sum.wrapping_add(black_box(i));
    }}
    sum
}}

fn main() {{
    for _ in 0..100 {{
        black_box(perf_slot_0(black_box({work})));
    }}
    write_run("abdemo", "app::work", false, 0, 0, r#", "slots": [0]"#);
}}
{WRITE_RUN}"##
    )
}

/// A git repository holding the program with one allocation a call,
/// committed; returns the project and the commit.
fn repository() -> (Project, String) {
    repository_of(&program(1))
}

/// A git repository holding `source` as its program, committed; returns
/// the project and the commit.
fn repository_of(source: &str) -> (Project, String) {
    let project = Project::new();
    let dir = project.path();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"abdemo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.join(".gitignore"), "/target\n").unwrap();
    std::fs::write(dir.join("src/main.rs"), source).unwrap();
    git(dir, &["init", "--quiet", "--initial-branch=main"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "-m", "one allocation a call"]);
    let commit = git(dir, &["rev-parse", "HEAD"]);
    (project, commit)
}

/// The record of each id in `records/`, by name.
fn records(project: &Project) -> Vec<Record> {
    let dir = project.path().join("target/perf/records");
    let mut records: Vec<Record> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let text = std::fs::read_to_string(e.path().join("record.json")).unwrap();
            serde_json::from_str(&text).unwrap()
        })
        .collect();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    records
}

fn alloc_row(comparison: &Comparison) -> &perf_format::schema::compare::Judged {
    comparison
        .rows
        .iter()
        .filter_map(Row::judged)
        .find(|r| r.function == "app::work" && r.metric == Metric::AllocsPerCall)
        .expect("a row of app::work's allocations")
}

#[test]
fn the_working_tree_against_a_commit_built_in_its_worktree_and_reused() {
    let (project, commit) = repository();
    let short = &commit[..12];
    // The working tree allocates twice a call: a regression, not committed.
    std::fs::write(project.path().join("src/main.rs"), program(2)).unwrap();
    let ab = |runs: &str| {
        let args = [
            "ab", "HEAD", "--bin", "abdemo", "--runs", runs, "--seed", "42",
        ];
        let output = project
            .perf()
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        let comparison: Comparison = serde_json::from_slice(&output.stdout).expect("JSON");
        (comparison, stderr)
    };

    let (comparison, stderr) = ab("3");
    let row = alloc_row(&comparison);
    assert_eq!(row.verdict, Verdict::Regressed);
    assert_eq!((row.baseline, row.current), (1.0, 2.0));
    assert!(comparison.failed);
    assert!(stderr.contains("(seed 42)"), "{stderr}");
    let notes = comparison.notes.join("\n");
    assert!(
        notes.contains(&format!(
            "ab: the working tree ({short}-dirty) against HEAD ({short}); 3 runs a side after 1 warm-up, interleaved in a balanced random order (seed 42: `--seed 42` repeats it)."
        )),
        "{notes}"
    );
    assert!(
        notes.contains("interleaving: whole-run wall time drifted"),
        "{notes}"
    );
    assert!(notes.contains("(median of 3 pairs"), "{notes}");

    // A record a side, the commit of each in its runs, HEAD's the latest.
    let made = records(&project);
    let names: Vec<&str> = made.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [format!("ab-base-{short}"), format!("ab-head-{short}-dirty")]
    );
    assert_eq!(made[0].env.git_commit.as_deref(), Some(commit.as_str()));
    assert_eq!(made[1].env.git_commit, Some(format!("{commit}-dirty")));
    assert_eq!((made[0].runs.len(), made[1].runs.len()), (3, 3));
    let latest =
        std::fs::read_to_string(project.path().join("target/perf/records/latest")).unwrap();
    assert_eq!(latest.trim(), made[1].id);
    // Each side runs its own copy of its build.
    let ab_dir = project.path().join("target/perf/ab");
    assert!(made[0].command[0].starts_with(ab_dir.join("bin").join(short).to_str().unwrap()));
    assert!(made[1].command[0].starts_with(ab_dir.join("bin/working-tree").to_str().unwrap()));

    // The worktree stays for the next call, which reuses it as it is.
    let worktree = ab_dir.join("worktrees").join(short);
    assert_eq!(git(&worktree, &["rev-parse", "HEAD"]), commit);
    std::fs::write(worktree.join("left-by-the-first-call"), "").unwrap();
    ab("2");
    assert!(worktree.join("left-by-the-first-call").exists());

    // Deleted by hand, it is made again.
    std::fs::remove_dir_all(&worktree).unwrap();
    let (comparison, _) = ab("1");
    assert_eq!(alloc_row(&comparison).verdict, Verdict::Regressed);
    assert_eq!(git(&worktree, &["rev-parse", "HEAD"]), commit);
    assert_eq!(records(&project).len(), 6);
}

#[test]
fn two_commits_with_the_same_code_pass() {
    let (project, first) = repository();
    std::fs::write(project.path().join("README"), "no code changed\n").unwrap();
    git(project.path(), &["add", "README"]);
    git(project.path(), &["commit", "--quiet", "-m", "a readme"]);
    project
        .perf()
        .args(["ab", &first, "main", "--bin", "abdemo", "--runs", "2"])
        .args(["--warmup", "0", "--format", "markdown"])
        .assert()
        .code(0)
        .stdout(contains(
            "interleaving: HEAD/BASE whole-run wall time within a pair",
        ))
        // HEAD and BASE in plain words; a commit given by its id, once.
        .stderr(contains(format!(
            "ab: main ({}) against {}: 0 warm-ups",
            &git(project.path(), &["rev-parse", "main"])[..12],
            &git(project.path(), &["rev-parse", &first])[..12]
        )))
        // Told before the runs: 2 pairs never decide the whole program.
        .stderr(contains(
            "warning: 2 pairs of runs cannot decide (whole program)",
        ))
        .stderr(contains("8 pairs would decide it (--runs 8)"));
}

/// A lockfile in cargo's older format, which cargo keeps as it is but
/// never writes afresh: a side built with it was given it.
const OLD_LOCKFILE: &str = "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 3\n\n[[package]]\nname = \"abdemo\"\nversion = \"0.1.0\"\n";

#[test]
fn a_revision_without_its_lockfile_is_built_with_the_working_trees_and_the_phases_are_timed() {
    let (project, commit) = repository();
    let dir = project.path();
    let short = &commit[..12];
    // Libraries often keep Cargo.lock out of git.
    std::fs::write(dir.join(".gitignore"), "/target\n/Cargo.lock\n").unwrap();
    git(dir, &["commit", "--quiet", "-am", "lockfile ignored"]);
    let commit = git(dir, &["rev-parse", "HEAD"]);
    let short_now = &commit[..12];
    assert_ne!(short, short_now);
    std::fs::write(dir.join("Cargo.lock"), OLD_LOCKFILE).unwrap();
    let output = project
        .perf()
        .args([
            "ab", "HEAD", "--bin", "abdemo", "--runs", "1", "--warmup", "0",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    // BASE's worktree built with the working tree's lockfile, kept as it was.
    let worktree = dir.join("target/perf/ab/worktrees").join(short_now);
    assert_eq!(
        std::fs::read_to_string(worktree.join("Cargo.lock")).unwrap(),
        OLD_LOCKFILE
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("Cargo.lock")).unwrap(),
        OLD_LOCKFILE
    );
    let said = format!(
        "ab: BASE HEAD ({short_now}) was built with a copy of {} (its commit has no Cargo.lock of its own), so both sides use the same dependency versions.",
        dir.join("Cargo.lock").display()
    );
    assert!(stderr.contains(&said), "{stderr}");
    let comparison: Comparison = serde_json::from_slice(&output.stdout).unwrap();
    assert!(comparison.notes.contains(&said), "{:?}", comparison.notes);
    // Each phase, said with its time.
    for phase in [
        format!("ab: building BASE HEAD ({short_now}) …"),
        "ab: built BASE in ".to_owned(),
        format!("ab: building HEAD the working tree ({short_now}) …"),
        "ab: built HEAD in ".to_owned(),
        "ab: ran both sides in ".to_owned(),
    ] {
        assert!(stderr.contains(&phase), "{phase}: {stderr}");
    }
}

#[test]
fn outside_a_git_repository() {
    let project = Project::new();
    trouble(
        &project,
        &["ab", "main", "--example", "checkout"],
        "is not in a git repository: `cargo perf ab` builds git revisions",
    );
}

#[test]
fn an_unknown_revision() {
    let (project, _) = repository();
    trouble(
        &project,
        &["ab", "no-such-branch", "--bin", "abdemo"],
        "unknown git revision \"no-such-branch\" in ",
    );
    trouble(
        &project,
        &["ab", "main", "nope~3", "--bin", "abdemo"],
        "unknown git revision \"nope~3\"",
    );
}

#[test]
fn a_program_missing_at_base_names_the_side_and_revision() {
    let (project, commit) = repository();
    let dir = project.path();
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::write(dir.join("src/bin/extra.rs"), program(1)).unwrap();
    let output = project
        .perf()
        .args(["ab", "main", "--bin", "extra", "--runs", "1"])
        .assert()
        .code(2)
        .stdout(predicates::str::is_empty())
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.trim_end().lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!(
            "error: BASE main ({}): `cargo build --release --bin extra` failed (exit status: 101): see its output above",
            &commit[..12]
        ),
        "{stderr}"
    );
    assert!(!has_records(dir));
}

fn has_records(dir: &Path) -> bool {
    let records: PathBuf = dir.join("target/perf/records");
    std::fs::read_dir(records).is_ok_and(|mut e| e.any(|e| e.is_ok_and(|e| e.path().is_dir())))
}

#[test]
fn instructions_without_valgrind_say_how_to_install_it_before_building() {
    let (project, _) = repository();
    let empty = tempfile::tempdir().unwrap();
    for args in [
        &["ab", "main", "--instructions", "--bin", "abdemo"][..],
        &["record", "--instructions", "--bin", "abdemo"][..],
    ] {
        let output = project
            .perf()
            .args(args)
            .env("PATH", empty.path())
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: valgrind not found on PATH")
                && stderr.contains("apt-get install valgrind"),
            "{args:?}: {stderr}"
        );
    }
    // Nothing was built.
    assert!(!project.path().join("target/perf/ab").exists());
}

#[test]
fn instructions_count_both_sides_under_callgrind_and_name_the_function() {
    if std::env::var_os("PERF_SKIP_VALGRIND_TESTS").is_some_and(|v| v == "1") {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "skipped instructions_count_both_sides_under_callgrind_and_name_the_function: PERF_SKIP_VALGRIND_TESTS=1"
        );
        return;
    }
    let (project, _) = repository_of(&counted_program(100_000));
    // 2% more turns of the loop in the working tree.
    std::fs::write(project.path().join("src/main.rs"), counted_program(102_000)).unwrap();
    let output = project
        .perf()
        .args(["ab", "HEAD", "--instructions", "--bin", "abdemo"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let comparison: Comparison = serde_json::from_slice(&output.stdout).expect("JSON");
    let rows: Vec<_> = comparison.rows.iter().filter_map(Row::judged).collect();
    let instructions = rows
        .iter()
        .find(|r| r.function == "app::work" && r.metric == Metric::InstructionsPerCall)
        .expect("an instructions row");
    assert_eq!(instructions.verdict, Verdict::Regressed);
    let change = instructions.change.expect("a change");
    assert!((0.019..0.021).contains(&change), "{change}");
    // Times under Valgrind are shown, never gated.
    assert!(
        rows.iter()
            .filter(|r| r.metric == Metric::TimePerCall)
            .all(|r| !r.gated)
    );
    // One run a side, no warm-up: the defaults of an instruction record.
    let made = records(&project);
    assert_eq!(made.len(), 2);
    assert!(made.iter().all(|r| r.instructions && r.runs.len() == 1));
}
