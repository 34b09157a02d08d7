//! The program's children are the program's: `record` and `soak` end when
//! the program does, however many processes it leaves behind holding its
//! pipes, and leave none of them running — after a normal end (also those
//! that left its process group, `setsid`), a signal to `cargo perf`, or
//! `kill -9` of it.

use std::os::unix::process::ExitStatusExt as _;
use std::process::{Child, Stdio};

use predicates::str::contains;

use crate::soak::prepared_run;
use crate::util::{Project, running, wait_until, write_run};

/// Shell lines that fork three children (subshells, one ignoring SIGTERM)
/// and spawn one (`sleep`), all holding the program's stdout and stderr,
/// each pid appended to `pids`.
const LEAVE_CHILDREN: &str = r#"
    for i in 1 2; do ( while :; do sleep 1; done ) & echo $! >> pids; done
    ( trap '' TERM; while :; do sleep 1; done ) & echo $! >> pids
    sleep 600 & echo $! >> pids
"#;

/// A shell line that starts a child in a session of its own (`setsid`),
/// out of the program's group, its pid appended to `pids`.
const LEAVE_A_DAEMON: &str = "setsid sleep 600 & echo $! >> pids\n";

/// Shell lines that write the prepared run `r1` as the program's run.
const WRITE_RUN: &str = r#"
    mkdir -p "$PERF_DIR/runs" && cp -r target/perf/runs/r1 "$PERF_DIR/runs/r1"
    echo r1 > "$PERF_DIR/runs/latest"
"#;

/// The pids the program wrote, once it wrote `count`.
fn pids(project: &Project, count: usize) -> Vec<i32> {
    let file = project.path().join("pids");
    wait_until(|| {
        let pids: Vec<i32> = std::fs::read_to_string(&file)
            .ok()?
            .lines()
            .filter_map(|line| line.trim().parse().ok())
            .collect();
        (pids.len() >= count).then_some(pids)
    })
    .expect("the program wrote its children's pids")
}

/// Asserts that none of `pids` runs, allowing a moment for them to go.
fn none_running(pids: &[i32]) {
    let left = wait_until(|| {
        let left: Vec<i32> = pids.iter().copied().filter(|&p| running(p)).collect();
        left.is_empty().then_some(())
    });
    let still: Vec<i32> = pids.iter().copied().filter(|&p| running(p)).collect();
    assert!(left.is_some(), "still running: {still:?} of {pids:?}");
}

/// `cargo perf args` started, its stderr piped.
fn start(project: &Project, args: &[&str]) -> Child {
    project
        .perf_process()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (30 s at most) for `cargo perf` to end; its stderr.
fn ended(mut perf: Child) -> (std::process::ExitStatus, String) {
    let status = wait_until(|| perf.try_wait().unwrap());
    let Some(status) = status else {
        let _ = perf.kill();
        panic!("cargo perf still waits, 30 s on");
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut perf.stderr.take().unwrap(), &mut stderr).unwrap();
    (status, stderr)
}

#[test]
fn a_record_ends_with_its_program_and_stops_what_it_left_running() {
    let project = Project::new();
    write_run(&project, "r1", None);
    let script = format!("{LEAVE_CHILDREN}{LEAVE_A_DAEMON}{WRITE_RUN}");
    let perf = start(
        &project,
        &[
            "record", "--runs", "1", "--warmup", "0", "--", "sh", "-c", &script,
        ],
    );
    let (status, stderr) = ended(perf);
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("`sh` left processes running when it ended: perf stopped them"),
        "{stderr}"
    );
    none_running(&pids(&project, 5));
}

#[test]
fn a_failing_program_that_left_children_still_shows_its_stderr() {
    let project = Project::new();
    let script = format!("{LEAVE_CHILDREN}echo 'database is down' >&2; exit 3");
    project
        .perf()
        .args([
            "record", "--runs", "1", "--warmup", "0", "--", "sh", "-c", &script,
        ])
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(contains("failed: exit status: 3; its stderr:"))
        .stderr(contains("  | database is down"));
    none_running(&pids(&project, 4));
}

#[test]
fn a_record_stopped_by_a_signal_or_killed_leaves_none_of_the_programs_processes() {
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGKILL] {
        let project = Project::new();
        let script = format!("{LEAVE_CHILDREN}echo $$ >> pids; sleep 600");
        let perf = start(
            &project,
            &[
                "record", "--runs", "1", "--warmup", "0", "--", "sh", "-c", &script,
            ],
        );
        let pids = pids(&project, 5);
        // SAFETY: kill(2) with plain integers.
        assert_eq!(unsafe { libc::kill(perf.id() as i32, signal) }, 0);
        let (status, stderr) = ended(perf);
        assert_eq!(status.signal(), Some(signal), "{stderr}");
        none_running(&pids);
    }
}

#[test]
fn a_soak_stops_what_the_program_left_running() {
    let project = Project::new();
    let run = prepared_run(&project, 2, |_| 1 << 20, true);
    let script = format!(
        "trap 'mkdir -p \"$PERF_DIR/runs/r1\" && cp {} \"$PERF_DIR/runs/r1/run.json\" && echo r1 > \"$PERF_DIR/runs/latest\"; exit 0' INT; \
         {LEAVE_CHILDREN}{LEAVE_A_DAEMON} echo ready; while :; do sleep 0.05; done",
        run.display()
    );
    let perf = start(
        &project,
        &[
            "soak",
            "--duration",
            "2s",
            "--warmup",
            "0s",
            "--",
            "sh",
            "-c",
            &script,
        ],
    );
    let (status, stderr) = ended(perf);
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("left processes running when it ended: perf stopped them"),
        "{stderr}"
    );
    none_running(&pids(&project, 5));
}
