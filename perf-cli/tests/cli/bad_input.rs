//! Trouble: exit 2, one clear line naming the file at fault, and nothing
//! touched.

use predicates::str::contains;

use crate::util::{Project, program, record, trouble};

/// A project with a good baseline and record, and the bytes of every file.
fn project() -> Project {
    let project = Project::new();
    project.write_baseline("main", &record("base", &program(), 10, 1));
    project.write_record(&record("cur", &program(), 10, 2));
    project
}

fn baseline_file(project: &Project) -> std::path::PathBuf {
    project.path().join(".perf/baselines/main.json")
}

#[test]
fn a_missing_baseline() {
    let project = project();
    trouble(
        &project,
        &["compare", "release"],
        "no baseline \"release\": ",
    );
    trouble(
        &project,
        &["compare", "release"],
        ".perf/baselines/release.json does not exist",
    );
    trouble(
        &project,
        &["baseline", "show", "nope"],
        "nope.json does not exist",
    );
    trouble(
        &project,
        &["baseline", "delete", "nope"],
        "nope.json does not exist",
    );
}

#[test]
fn a_missing_record() {
    let project = Project::new();
    project.write_baseline("main", &record("base", &program(), 10, 1));
    trouble(&project, &["compare"], "no record \"latest\": ");
    trouble(
        &project,
        &["compare", "--against", "20260101T000000-x"],
        "no record \"20260101T000000-x\"",
    );
    trouble(
        &project,
        &["baseline", "save", "main"],
        "make one with `cargo perf record`",
    );
}

#[test]
fn truncated_and_corrupt_json() {
    let project = project();
    let path = baseline_file(&project);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    trouble(
        &project,
        &["compare"],
        "main.json is not valid JSON (EOF while parsing",
    );
    std::fs::write(&path, "{\"schema\": \"perf-baseline/1\", \"id\": 12,,}").unwrap();
    trouble(&project, &["compare"], "main.json is not valid JSON");
    std::fs::write(&path, "").unwrap();
    trouble(&project, &["compare"], "main.json is empty");
    std::fs::write(&path, "{\"schema\": \"perf-baseline/1\", \"id\": 12}").unwrap();
    trouble(
        &project,
        &["compare"],
        "main.json does not match schema \"perf-baseline/1\"",
    );
}

#[test]
fn an_unknown_schema_version() {
    let project = project();
    let path = baseline_file(&project);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("perf-baseline/1", "perf-baseline/2")).unwrap();
    trouble(
        &project,
        &["compare"],
        "main.json has schema \"perf-baseline/2\", but this version of perf reads one of \"perf-record/1\", \"perf-baseline/1\", \"perf-run/1\"",
    );
    std::fs::write(&path, "{\"functions\": []}").unwrap();
    trouble(&project, &["compare"], "main.json has schema \"(none)\"");
}

/// Edits the record's JSON and expects `compare` to refuse it.
fn refuse_record(edit: impl Fn(&mut serde_json::Value), expected: &str) {
    let project = project();
    let path = project.path().join("target/perf/records/cur/record.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut json);
    std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
    trouble(&project, &["compare"], expected);
}

#[test]
fn an_empty_record() {
    refuse_record(
        |json| json["functions"] = serde_json::json!([]),
        "cur/record.json: the record is empty: it holds no functions",
    );
}

#[test]
fn a_record_with_zero_calls() {
    refuse_record(
        |json| {
            for function in json["functions"].as_array_mut().unwrap() {
                function["samples"]["calls"] = serde_json::json!([0.0, 0.0, 0.0, 0.0, 0.0]);
            }
        },
        "function \"app::handler\" has zero calls in every run",
    );
}

#[test]
fn negative_and_non_numeric_values() {
    refuse_record(
        |json| json["functions"][1]["samples"]["time_per_call_ns"][2] = serde_json::json!(-5.0),
        "function \"db::query\", time_per_call_ns sample 3: -5 is not a finite, non-negative value",
    );
    // JSON has no NaN; a writer that emits it makes invalid JSON.
    let project = project();
    let path = project.path().join("target/perf/records/cur/record.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find("\"time_per_call_ns\": [").unwrap() + "\"time_per_call_ns\": [".len();
    std::fs::write(&path, format!("{}NaN, {}", &text[..at], &text[at..])).unwrap();
    trouble(&project, &["compare"], "record.json is not valid JSON");
    refuse_record(
        |json| json["functions"][1]["samples"]["p95_ns"] = serde_json::json!([]),
        "function \"db::query\" has an empty p95_ns list",
    );
}

#[test]
fn a_directory_where_a_file_should_be() {
    let project = project();
    let path = baseline_file(&project);
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    trouble(&project, &["compare"], "cannot read ");
    trouble(
        &project,
        &["compare"],
        "main.json: it is a directory, not a file",
    );
    trouble(
        &project,
        &["baseline", "save", "main"],
        "main.json: it is a directory",
    );
}

#[test]
fn an_unwritable_baselines_directory() {
    let project = Project::new();
    project.write_record(&record("cur", &program(), 10, 2));
    // A file where the .perf directory should be stops even root.
    std::fs::write(project.path().join(".perf"), "not a directory").unwrap();
    trouble(&project, &["baseline", "save", "main"], ".perf/baselines: ");
    std::fs::remove_file(project.path().join(".perf")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = project.path().join(".perf/baselines");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        // Root writes anyway; the check means something only for others.
        if std::fs::write(dir.join("probe"), "").is_err() {
            trouble(&project, &["baseline", "save", "main"], "permission denied");
        }
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn bad_settings_and_names() {
    let project = project();
    trouble(
        &project,
        &["baseline", "save", "../escape"],
        "invalid baseline name \"../escape\"",
    );
    std::fs::write(
        project.path().join("perf.toml"),
        "[compare]\nthreshold = \"lots\"\n",
    )
    .unwrap();
    trouble(
        &project,
        &["compare"],
        "perf.toml: [compare] threshold: expected a percentage",
    );
    std::fs::write(project.path().join("perf.toml"), "[compare\n").unwrap();
    trouble(&project, &["compare"], "perf.toml: line 1:");
    // clap's own errors use the same exit status.
    project
        .perf()
        .args(["compare", "--threshold=-3%"])
        .assert()
        .code(2)
        .stderr(contains("--threshold"));
    project
        .perf()
        .args(["compare", "--format", "yaml"])
        .assert()
        .code(2);
    project
        .perf()
        .args(["record", "--runs", "3"])
        .assert()
        .code(2)
        .stderr(contains(
            "error: nothing to run: give the program after `--`",
        ))
        .stderr(contains("could not find `Cargo.toml`"));
}

#[test]
fn perf_dir_set_but_empty() {
    let project = project();
    let before = project.snapshot();
    project
        .perf()
        .args(["compare"])
        .env("PERF_DIR", "")
        .assert()
        .code(2)
        .stderr(contains("invalid PERF_DIR \"\": it is set but empty"));
    assert_eq!(before, project.snapshot());
}

#[test]
fn too_many_samples() {
    refuse_record(
        |json| {
            json["functions"][1]["samples"]["time_per_call_ns"] =
                serde_json::json!(vec![1.0; 2_001])
        },
        "function \"db::query\" has 2001 time_per_call_ns samples; at most 2000 are read",
    );
}

#[test]
fn samples_runs_and_names_that_do_not_add_up() {
    refuse_record(
        |json| {
            json["functions"][1]["samples"]["time_per_call_ns"] = serde_json::json!(vec![1.0; 11])
        },
        "function \"db::query\" has 11 time_per_call_ns samples for 10 runs",
    );
    refuse_record(
        |json| json["runs"] = serde_json::json!([]),
        "it lists no runs",
    );
    refuse_record(
        |json| json["functions"][1]["name"] = json["functions"][0]["name"].clone(),
        "is listed twice",
    );
}

#[test]
fn a_commit_that_is_not_ascii_is_shown_not_sliced() {
    let project = Project::new();
    let mut odd = record("cur", &program(), 10, 2);
    odd.env.git_commit = Some("aéééééééééééé".to_owned());
    project.write_baseline("main", &odd);
    project.write_record(&odd);
    project
        .perf()
        .args(["compare"])
        .assert()
        .code(0)
        .stdout(contains("commit aééééééééééé)"));
    project.perf().args(["baseline", "list"]).assert().code(0);
    project
        .perf()
        .args(["baseline", "show", "main"])
        .assert()
        .code(0);
}

/// Names read from a file never choose where perf writes: a baseline whose
/// name is a path or odd bytes is refused by every command that reads it,
/// and so is a `latest` pointer that holds anything but an id.
#[test]
fn names_in_files_never_name_paths() {
    let outside = tempfile::tempdir().unwrap();
    let absolute = outside.path().join("abs").display().to_string();
    let names = [
        "../../../../perf-escaped",
        "..",
        &absolute,
        "a/b",
        "a\\b",
        "two words",
        "é",
        "tab\there",
        ".hidden",
        "-flag",
        "x\u{202e}y",
        "",
    ];
    for name in names {
        let project = project();
        let path = baseline_file(&project);
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        json["baseline"]["name"] = serde_json::json!(name);
        std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
        let file = path.display().to_string();
        let refused = "main.json: its baseline name";
        for args in [
            &["flamegraph", &file][..],
            &["report", &file],
            &["flamegraph", "--diff", "main"],
            &["compare", "main"],
            &["baseline", "show", "main"],
        ] {
            trouble(&project, args, refused);
        }
        let before = project.snapshot();
        let listed = project.perf().args(["baseline", "list"]).assert().code(2);
        let stderr = String::from_utf8_lossy(&listed.get_output().stderr).into_owned();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(refused), "{stderr}");
        assert_eq!(before, project.snapshot());
        let parent = project.path().parent().unwrap();
        assert!(!parent.join("perf-escaped").exists() && !outside.path().join("abs").exists());
    }
    for pointer in ["../../../../perf-escaped", &absolute, "a/b", ".."] {
        let project = project();
        let latest = project.path().join("target/perf/records/latest");
        std::fs::write(&latest, format!("{pointer}\n")).unwrap();
        for args in [&["compare"][..], &["report"], &["flamegraph"]] {
            trouble(&project, args, "records/latest: it holds");
        }
    }
}
