//! `cargo perf record` when the program misbehaves: it stops, shows why,
//! and leaves no record behind. (Recording a real instrumented program is
//! tested in `e2e/tests/record.rs`.)

use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use predicates::str::contains;

use crate::util::{Func, Project, record, running, wait_until, write_run};

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

/// A record stopped mid-way: its first run is made (a prepared run copied
/// into `$PERF_DIR`), its second sleeps; returns the running `cargo perf`,
/// and the sleeping program's pid once it runs.
fn record_mid_way(project: &Project) -> (std::process::Child, i32) {
    write_run(project, "r1", None);
    let script = r#"
        if [ -f made ]; then echo $$ > sleeper.pid; exec sleep 60; fi
        touch made
        mkdir -p "$PERF_DIR/runs" && cp -r target/perf/runs/r1 "$PERF_DIR/runs/r1"
        echo r1 > "$PERF_DIR/runs/latest"
    "#;
    let perf = project
        .perf_process()
        .args([
            "record", "--runs", "3", "--warmup", "0", "--", "sh", "-c", script,
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid_file = project.path().join("sleeper.pid");
    let sleeper = wait_until(|| std::fs::read_to_string(&pid_file).ok()?.trim().parse().ok())
        .expect("the second run starts");
    (perf, sleeper)
}

fn send(pid: u32, signal: i32) {
    // SAFETY: kill(2) with plain integers.
    assert_eq!(unsafe { libc::kill(pid as i32, signal) }, 0);
}

/// The staging directories under `records/`.
fn staged(project: &Project) -> Vec<PathBuf> {
    let records = project.path().join("target/perf/records");
    std::fs::read_dir(records)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".staging-")
        })
        .collect()
}

/// Makes `dir` look a minute old, older than the sweep's grace period.
fn age(dir: &Path) {
    std::fs::File::open(dir)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
}

#[test]
fn an_interrupted_record_stops_its_program_and_keeps_nothing() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let project = Project::new();
        let (perf, sleeper) = record_mid_way(&project);
        // A live writer's staging is never swept, however old it looks.
        let [staging] = &staged(&project)[..] else {
            panic!("one staging directory: {:?}", staged(&project));
        };
        age(staging);
        project.perf().args(["baseline", "list"]).assert().success();
        assert!(staging.is_dir(), "the live record's staging was swept");

        send(perf.id(), signal);
        let output = perf.wait_with_output().unwrap();
        assert_eq!(output.status.signal(), Some(signal), "ends by the signal");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("error: interrupted by SIG")
                && stderr.contains("nothing of its run was kept"),
            "{stderr}"
        );
        assert!(
            wait_until(|| (!running(sleeper)).then_some(())).is_some(),
            "the program was stopped"
        );
        assert!(!has_records(&project), "nothing is left in records/");
    }
}

#[test]
fn a_killed_record_stops_its_program_and_the_next_command_sweeps_its_staging() {
    let project = Project::new();
    let (mut perf, sleeper) = record_mid_way(&project);
    send(perf.id(), libc::SIGKILL);
    assert_eq!(perf.wait().unwrap().signal(), Some(libc::SIGKILL));
    assert!(
        wait_until(|| (!running(sleeper)).then_some(())).is_some(),
        "the program does not run on as an orphan"
    );
    let [staging] = &staged(&project)[..] else {
        panic!("one staging directory: {:?}", staged(&project));
    };
    age(staging);
    project.perf().args(["baseline", "list"]).assert().success();
    assert!(!has_records(&project), "the next command swept the staging");
}

#[test]
fn too_few_runs_for_the_rows_of_the_program_are_told_before_any_run() {
    // The baseline's program, `app`, has 12 functions: 13 rows to test,
    // which 5 runs a side cannot decide (their best p is 0.0079, and a
    // first finding needs 0.01/13).
    let project = Project::new();
    let names: Vec<&'static str> = (0..12)
        .map(|i| &*Box::leak(format!("app::f{i:02}").into_boxed_str()))
        .collect();
    let funcs: Vec<Func> = names
        .iter()
        .map(|name| Func::new(name, None, 100.0, 1_000.0))
        .collect();
    project.write_baseline("main", &record("base", &funcs, 10, 1));
    let started = project.path().join("started");
    let script = format!("touch {}; exit 3", started.display());
    project
        .perf()
        .args(["record", "--runs", "5", "--name", "app", "--", "sh", "-c", &script])
        .assert()
        .code(2)
        .stderr(contains(
            "warning: 5 runs a side cannot decide a row of `app`: with the 12 rows of baseline main",
        ))
        .stderr(contains("7 runs would decide them (--runs 7)"));
    // Said before the program ran, which then failed as it does.
    assert!(started.exists());
    let output = project
        .perf()
        .args([
            "record", "--runs", "7", "--name", "app", "--", "sh", "-c", "exit 3",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("cannot decide"), "{stderr}");
}

#[test]
fn a_failed_record_leaves_no_output_root_it_made() {
    let project = Project::new();
    let record_into = |perf_dir: &str| {
        project
            .perf()
            .args(["record", "--runs", "1", "--warmup", "0"])
            .args(["--perf-dir", perf_dir, "--", "true"])
            .assert()
            .code(2);
    };
    record_into("made");
    assert!(!project.path().join("made").exists());
    // One that was there stays, with what it held.
    std::fs::create_dir_all(project.path().join("kept/records")).unwrap();
    record_into("kept");
    assert!(project.path().join("kept/records").is_dir());
}
