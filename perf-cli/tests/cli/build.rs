//! `record`, `ab` and `soak` build the user's program as cargo does: the
//! only binary when none is named, `--features`, `--profile`. Each test
//! builds a tiny crate that depends on nothing: its program writes its
//! `run.json` by hand, as perf-core would, naming one function whose name
//! says how it was built.

use perf_format::schema::record::Record;
use predicates::str::contains;

use crate::util::{Project, WRITE_RUN, git, trouble};

/// A program that writes one run of one function into `$PERF_DIR`, named
/// `app::` and the value of the Rust expression `name` (a `&str`).
fn program(name: &str) -> String {
    format!(
        r#"fn main() {{
    let name: &str = {name};
    write_run("tiny", &format!("app::{{name}}"), false, 0, 0, "");
}}
{WRITE_RUN}"#
    )
}

/// Says which of the features `fast` and `extra` it was built with.
const BY_FEATURES: &str = r#"match (cfg!(feature = "fast"), cfg!(feature = "extra")) {
        (true, true) => "fast_extra",
        (true, false) => "fast",
        (false, true) => "extra",
        (false, false) => "plain",
    }"#;

/// Says whether it was built with debug assertions (cargo's `dev`).
const BY_PROFILE: &str = r#"if cfg!(debug_assertions) { "debug" } else { "optimised" }"#;

/// A package `tiny` whose `src/main.rs` is `main`, with features `fast`
/// and `extra` and a profile `profiling`; `more` adds to its Cargo.toml.
fn crate_with(main: &str, more: &str) -> Project {
    let project = Project::new();
    let dir = project.path();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{more}\n\n\
             [features]\nfast = []\nextra = []\n\n\
             [profile.profiling]\ninherits = \"release\"\ndebug = \"line-tables-only\"\n\n\
             [workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join(".gitignore"), "/target\n").unwrap();
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
    project
}

/// The latest record.
fn latest(project: &Project) -> Record {
    let records = project.path().join("target/perf/records");
    let id = std::fs::read_to_string(records.join("latest")).unwrap();
    let text = std::fs::read_to_string(records.join(id.trim()).join("record.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn function_names(record: &Record) -> Vec<&str> {
    record.functions.iter().map(|f| f.name.as_str()).collect()
}

/// `record` with one run and no warm-up, and `args`; expects success.
fn record(project: &Project, args: &[&str]) -> Record {
    project
        .perf()
        .args(["record", "--runs", "1", "--warmup", "0"])
        .args(args)
        .assert()
        .success();
    latest(project)
}

#[test]
fn the_only_binary_is_built_and_run_as_cargo_run_would() {
    let project = crate_with(&program(BY_FEATURES), "");
    let recorded = record(&project, &[]);
    assert_eq!(recorded.name, "tiny");
    assert_eq!(function_names(&recorded), ["app::plain"]);
    assert!(
        recorded.command[0].ends_with("target/release/tiny"),
        "{:?}",
        recorded.command
    );
    // After `--` without --example or --bin comes a command, as before.
    project
        .perf()
        .args([
            "record",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--",
            "./no-such-program",
        ])
        .assert()
        .code(2)
        .stderr(contains("cannot run `./no-such-program`"));
    // … and a build flag beside it is refused, not lost.
    trouble(
        &project,
        &["record", "-F", "fast", "--", "./my-program", "-x"],
        "invalid build flag \"--features fast\": nothing is built for the command after `--` (`./my-program -x`), which is run as it is",
    );
}

#[test]
fn two_binaries_and_no_choice_is_trouble_naming_both() {
    let project = crate_with(&program(BY_FEATURES), "");
    std::fs::create_dir_all(project.path().join("src/bin")).unwrap();
    std::fs::write(
        project.path().join("src/bin/other.rs"),
        program("\"other\""),
    )
    .unwrap();
    trouble(
        &project,
        &["record"],
        "package `tiny` has several binaries, other, tiny: choose one with --bin NAME (and --package), or set `default-run` in the package's Cargo.toml",
    );
    trouble(
        &project,
        &["soak", "--duration", "2s", "--warmup", "0s"],
        "several binaries, other, tiny",
    );
    // default-run settles it, as it does for cargo run.
    let project = crate_with(&program(BY_FEATURES), "default-run = \"other\"");
    std::fs::create_dir_all(project.path().join("src/bin")).unwrap();
    std::fs::write(
        project.path().join("src/bin/other.rs"),
        program("\"other\""),
    )
    .unwrap();
    assert_eq!(function_names(&record(&project, &[])), ["app::other"]);
}

#[test]
fn no_binary_and_an_unknown_package_are_trouble() {
    let project = crate_with(&program(BY_FEATURES), "");
    std::fs::rename(
        project.path().join("src/main.rs"),
        project.path().join("src/lib.rs"),
    )
    .unwrap();
    trouble(
        &project,
        &["record"],
        "package `tiny` has no binary to run: give --example NAME, --bin NAME with --package, or the program after `--`",
    );
    trouble(
        &project,
        &["record", "-p", "tiy"],
        "--package \"tiy\": no such package in the workspace at ",
    );
}

#[test]
fn features_reach_the_program() {
    let project = crate_with(&program(BY_FEATURES), "");
    assert_eq!(
        function_names(&record(&project, &["--features", "fast"])),
        ["app::fast"]
    );
    assert_eq!(
        function_names(&record(&project, &["-F", "fast,extra"])),
        ["app::fast_extra"]
    );
    assert_eq!(
        function_names(&record(
            &project,
            &["-F", "extra", "--bin", "tiny", "-p", "tiny"]
        )),
        ["app::extra"]
    );
    assert_eq!(
        function_names(&record(&project, &["--all-features"])),
        ["app::fast_extra"]
    );
    // A feature cargo does not know stops the build, and the record.
    project
        .perf()
        .args(["record", "--runs", "1", "-F", "turbo"])
        .assert()
        .code(2)
        .stderr(contains(
            "`cargo build --release --bin tiny --package tiny --features turbo` failed",
        ));
}

#[test]
fn a_profile_builds_into_its_own_directory() {
    let project = crate_with(&program(BY_PROFILE), "");
    let recorded = record(&project, &["--profile", "profiling"]);
    assert_eq!(function_names(&recorded), ["app::optimised"]);
    assert!(
        recorded.command[0].ends_with("target/profiling/tiny"),
        "{:?}",
        recorded.command
    );
    // `dev` is cargo's debug build, in target/debug.
    let recorded = record(&project, &["--profile", "dev"]);
    assert_eq!(function_names(&recorded), ["app::debug"]);
    assert!(
        recorded.command[0].ends_with("target/debug/tiny"),
        "{:?}",
        recorded.command
    );
    // CARGO_TARGET_DIR is where cargo builds, and so where perf runs from.
    let elsewhere = tempfile::tempdir().unwrap();
    project
        .perf()
        .args([
            "record",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--profile",
            "profiling",
        ])
        .env("CARGO_TARGET_DIR", elsewhere.path())
        .assert()
        .success();
    let command = &latest_under(&elsewhere.path().join("perf")).command;
    assert_eq!(
        std::path::Path::new(&command[0]),
        elsewhere.path().join("profiling/tiny"),
    );
}

/// The latest record under the perf directory `dir`.
fn latest_under(dir: &std::path::Path) -> Record {
    let records = dir.join("records");
    let id = std::fs::read_to_string(records.join("latest")).unwrap();
    let text = std::fs::read_to_string(records.join(id.trim()).join("record.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn ab_builds_both_revisions_with_the_same_flags() {
    let project = crate_with(&program(BY_FEATURES), "");
    let dir = project.path();
    git(dir, &["init", "--quiet", "--initial-branch=main"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "-m", "tiny"]);
    project
        .perf()
        .args([
            "ab", "main", "--runs", "1", "--warmup", "0", "-F", "fast", "--format", "json",
        ])
        .assert()
        .success();
    let records = dir.join("target/perf/records");
    let mut names: Vec<(String, Vec<String>)> = std::fs::read_dir(&records)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("record.json").is_file())
        .map(|e| {
            let text = std::fs::read_to_string(e.path().join("record.json")).unwrap();
            let record: Record = serde_json::from_str(&text).unwrap();
            let functions = function_names(&record)
                .iter()
                .map(|f| f.to_string())
                .collect();
            (record.name, functions)
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|(_, f)| f == &["app::fast"]), "{names:?}");
}
