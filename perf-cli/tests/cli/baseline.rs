//! `cargo perf baseline save | list | show | delete`.

use predicates::str::contains;

use crate::util::{Project, program, record};

#[test]
fn save_list_show_and_delete() {
    let project = Project::new();
    project.write_record(&record("20261101T000000-app", &program(), 10, 1));
    project
        .perf()
        .args(["baseline", "save", "main"])
        .assert()
        .code(0)
        .stdout(contains(
            "saved baseline main from record 20261101T000000-app (4 functions, 10 samples each) to ",
        ));
    let path = project.path().join(".perf/baselines/main.json");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved["schema"], "perf-baseline/1");
    assert_eq!(saved["baseline"]["name"], "main");
    assert_eq!(saved["baseline"]["from_record"], "20261101T000000-app");
    assert_eq!(saved["functions"].as_array().unwrap().len(), 4);

    project
        .perf()
        .args(["baseline", "list"])
        .assert()
        .code(0)
        .stdout(contains("main "))
        .stdout(contains("4 functions, 10 samples, commit 0123456789"));
    project
        .perf()
        .args(["baseline", "show", "main"])
        .assert()
        .code(0)
        .stdout(contains("baseline main, saved "))
        .stdout(contains("db::query"))
        .stdout(contains("calls/run"));
    project
        .perf()
        .args(["baseline", "delete", "main"])
        .assert()
        .code(0)
        .stdout(contains("deleted baseline main"));
    assert!(!path.exists());
    project
        .perf()
        .args(["baseline", "list"])
        .assert()
        .code(0)
        .stdout(contains("no baselines in "));
}

#[test]
fn save_from_a_record_id_or_path_and_compare_against_it() {
    let project = Project::new();
    let first = project.write_record(&record("first", &program(), 10, 1));
    project.write_record(&record("second", &program(), 10, 2));
    project
        .perf()
        .args(["baseline", "save", "old", "--from", "first"])
        .assert()
        .code(0)
        .stdout(contains("from record first"));
    project
        .perf()
        .args(["baseline", "save", "path"])
        .arg("--from")
        .arg(&first)
        .assert()
        .code(0);
    // A baseline given as a path works as well as one given by name.
    let baseline = project.path().join(".perf/baselines/old.json");
    project
        .perf()
        .arg("compare")
        .arg(&baseline)
        .assert()
        .code(0)
        .stdout(contains("no regressions."));
    project
        .perf()
        .args(["compare", "old", "--against", "first"])
        .assert()
        .code(0);
}

#[test]
fn a_corrupt_baseline_is_listed_as_such() {
    let project = Project::new();
    project.write_baseline("good", &record("a", &program(), 10, 1));
    std::fs::write(
        project.path().join(".perf/baselines/bad.json"),
        "{\"schema\":",
    )
    .unwrap();
    project
        .perf()
        .args(["baseline", "list"])
        .assert()
        .code(2)
        .stdout(contains("good "))
        .stdout(contains("bad                  UNREADABLE: "))
        .stderr(contains("bad.json is not valid JSON"));
}

#[test]
fn concurrent_saves_leave_one_whole_baseline() {
    let project = Project::new();
    let records: Vec<_> = (0..4)
        .map(|i| {
            let r = record(&format!("rec{i}"), &program(), 10, i);
            project.write_record(&r);
            r
        })
        .collect();
    let path = project.path().join(".perf/baselines/main.json");
    for _ in 0..5 {
        let children: Vec<_> = records
            .iter()
            .map(|r| {
                let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-perf"));
                command
                    .current_dir(project.path())
                    .env_remove("PERF_DIR")
                    .env_remove("CARGO_TARGET_DIR")
                    .args(["baseline", "save", "main", "--from", &r.id])
                    .stdout(std::process::Stdio::null());
                command.spawn().unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        // The last writer wins, whole: the file is one of the records.
        let saved: perf_format::schema::record::Record =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let from = saved.baseline.as_ref().unwrap().from_record.clone();
        let original = records.iter().find(|r| r.id == from).unwrap();
        assert_eq!(saved.functions, original.functions);
    }
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers, ["main.json"], "no temporary files are left");
}

#[test]
fn works_as_a_cargo_subcommand_and_helps() {
    let project = Project::new();
    // cargo runs `cargo-perf perf baseline list` for `cargo perf baseline list`.
    project
        .perf()
        .args(["perf", "baseline", "list"])
        .assert()
        .code(0)
        .stdout(contains("no baselines in "));
    project
        .perf()
        .args(["--help"])
        .assert()
        .code(0)
        .stdout(contains("Exit status: 0 nothing regressed"));
}

#[test]
fn a_baseline_is_saved_from_another_perf_directory_into_the_workspace() {
    let project = Project::new();
    project.write_record(&record("cur", &program(), 3, 1));
    std::fs::rename(
        project.path().join("target/perf"),
        project.path().join("elsewhere"),
    )
    .unwrap();
    project
        .perf()
        .args(["baseline", "save", "main"])
        .assert()
        .code(2)
        .stderr(contains("no record \"latest\""));
    project
        .perf()
        .args(["baseline", "save", "main", "--perf-dir", "elsewhere"])
        .assert()
        .code(0)
        .stdout(contains("saved baseline main from record cur"));
    assert!(project.path().join(".perf/baselines/main.json").is_file());
}
