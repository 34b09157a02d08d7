//! `cargo perf soak` on stand-in programs: a shell script that writes a
//! prepared `run.json` where `PERF_DIR` says when SIGINT comes. The
//! verdicts, where the soak is written, and trouble: exit 2, one clear
//! line, nothing kept. (A real program is soaked in `tests/soak.rs`.)

use std::path::{Path, PathBuf};

use predicates::str::contains;

use crate::util::{Project, trouble, write_run};

const MIB: u64 = 1 << 20;

/// A prepared `run.json` (id `soaked`) outside the output root: the run
/// of `util::write_run`, its heap a timeline of 100 ms samples for
/// `seconds` of `live(t in s)`, `db::query` keeping 64 of its 64 bytes a
/// call and `app::handler` none. `heap: false` leaves the heap out (a
/// program without `PerfAlloc`).
pub(crate) fn prepared_run(
    project: &Project,
    seconds: u64,
    live: impl Fn(f64) -> u64,
    heap: bool,
) -> PathBuf {
    let scratch = Project::new();
    let written = write_run(&scratch, "soaked", None);
    let mut run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(written).unwrap()).unwrap();
    for function in run["functions"].as_array_mut().unwrap() {
        let kept = function["name"] == "db::query";
        let allocated = function["total_alloc_bytes"].as_u64().unwrap();
        function["total_freed_bytes"] = (if kept { 0 } else { allocated }).into();
        function["self_freed_bytes"] = function["total_freed_bytes"].clone();
    }
    if heap {
        let timeline: Vec<serde_json::Value> = (0..seconds * 10)
            .map(|i| serde_json::json!({"t_ns": i * 100_000_000, "live_bytes": live(i as f64 / 10.0)}))
            .collect();
        let last = timeline.last().unwrap()["live_bytes"].clone();
        run["heap"] = serde_json::json!({
            "live_bytes": last, "peak_bytes": last, "peak_at_ns": (seconds * 10 - 1) * 100_000_000,
            "frees": 10, "reallocs": 1, "timeline": timeline,
        });
    }
    let dir = project.path().join("prepared");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.json");
    std::fs::write(&path, serde_json::to_string(&run).unwrap()).unwrap();
    path
}

/// A stand-in program: says it is ready, then on SIGINT writes `run` as
/// run `id` under `$PERF_DIR` and exits 0.
pub(crate) fn program(run: &Path, id: &str) -> Vec<String> {
    let script = format!(
        "trap 'mkdir -p \"$PERF_DIR/runs/{id}\" && sed s/soaked/{id}/ {} > \"$PERF_DIR/runs/{id}/run.json\" && echo {id} > \"$PERF_DIR/runs/latest\"; exit 0' INT; \
         echo ready; while :; do sleep 0.05; done",
        run.display()
    );
    vec!["sh".to_owned(), "-c".to_owned(), script]
}

/// `cargo perf soak` with `flags` of `command`, for 2 s without warm-up
/// unless the flags say otherwise.
fn soak(project: &Project, flags: &[&str], command: &[String]) -> assert_cmd::assert::Assert {
    let mut args = vec!["soak"];
    for (flag, default) in [("--duration", "2s"), ("--warmup", "0s")] {
        if !flags.contains(&flag) {
            args.extend([flag, default]);
        }
    }
    project
        .perf()
        .args(args)
        .args(flags)
        .arg("--")
        .args(command)
        .assert()
}

/// The runs directory holds no run: trouble kept nothing.
fn nothing_kept(project: &Project) {
    let runs = project.path().join("target/perf/runs");
    let entries: Vec<_> = std::fs::read_dir(&runs)
        .map(|dir| dir.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        entries.is_empty(),
        "left in {}: {entries:?}",
        runs.display()
    );
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn a_growing_heap_exits_1_naming_what_kept_bytes_and_a_level_one_0() {
    let project = Project::new();
    // 6 MiB a minute on 8 MiB, under a 2 MiB tooth of 0.7 s.
    let tooth = |t: f64| (2.0 * MIB as f64 * (t / 0.7).fract()) as u64;
    let growing = prepared_run(
        &project,
        30,
        |t| 8 * MIB + (6.0 * MIB as f64 * t / 60.0) as u64 + tooth(t),
        true,
    );
    let output = soak(&project, &[], &program(&growing, "soaked"))
        .code(1)
        .stdout(contains("GROWING by 6.00 MiB per minute"))
        .stdout(contains("db::query"))
        .stdout(contains("stopped by SIGINT at 2.00 s"));
    let stdout = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    // app::handler frees what it allocates: not named.
    assert!(!stdout.contains("app::handler"), "{stdout}");
    let soak_json = project.path().join("target/perf/runs/soaked/soak.json");
    assert!(
        stdout.contains(&format!("soak: {}", soak_json.display())),
        "{stdout}"
    );
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&soak_json).unwrap()).unwrap();
    assert_eq!(written["schema"], "perf-soak/1");
    assert_eq!(written["verdict"], "growing");
    assert_eq!(written["suspects"][0]["function"], "db::query");
    assert_eq!(written["suspects"][0]["net_bytes_per_call"], 64.0);
    assert!(
        project
            .path()
            .join("target/perf/runs/soaked/run.json")
            .is_file()
    );
    assert_eq!(
        std::fs::read_to_string(project.path().join("target/perf/runs/latest")).unwrap(),
        "soaked\n"
    );

    let level = Project::new();
    let sawtooth = prepared_run(&level, 30, |t| 8 * MIB + tooth(t), true);
    let output = soak(&level, &["--format", "json"], &program(&sawtooth, "soaked")).code(0);
    let printed: serde_json::Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    assert_eq!(printed["verdict"], "stable");
    assert_eq!(printed["suspects"], serde_json::json!([]));
    assert_eq!(
        printed["ended"],
        serde_json::json!({"how": "stopped", "signal": "SIGINT"})
    );
    let written: serde_json::Value = serde_json::from_slice(
        &std::fs::read(level.path().join("target/perf/runs/soaked/soak.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(written, printed);
}

#[test]
fn growth_below_the_threshold_is_stable() {
    let project = Project::new();
    // 1 MiB a minute, shown to stay below 4.
    let run = prepared_run(
        &project,
        30,
        |t| 8 * MIB + (MIB as f64 * t / 60.0) as u64,
        true,
    );
    soak(&project, &["--threshold", "4MiB"], &program(&run, "soaked"))
        .code(0)
        .stdout(contains(
            "stable: growth shown to stay below the threshold, threshold +4.00 MiB/min",
        ));
    soak(&project, &["--threshold", "512KiB"], &program(&run, "two")).code(1);
}

#[test]
fn a_program_that_fails_keeps_nothing() {
    let project = Project::new();
    let command = ["sh", "-c", "echo 'no database' >&2; exit 3"].map(String::from);
    let assert = soak(&project, &[], &command).code(2).stdout("");
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("error: the soak of `sh -c 'echo '\\''no database'\\'' >&2; exit 3'` failed: exit status: 3; its stderr:\n  | no database"),
        "{stderr}"
    );
    nothing_kept(&project);
}

#[test]
fn a_program_that_writes_no_run_says_so() {
    let project = Project::new();
    let assert = soak(&project, &[], &["true".to_owned()]).code(2);
    assert!(
        stderr_of(&assert).contains(
            "error: `true` exited after "
        ) && stderr_of(&assert).contains("without writing a perf run (run.json where PERF_DIR said): does it start a perf_core::Session? Nothing was kept"),
        "{}",
        stderr_of(&assert)
    );
    // Stopped by SIGINT, which ends it: it must finish its session on it.
    let assert = soak(
        &project,
        &["--duration", "2s"],
        &["sleep".to_owned(), "30".to_owned()],
    )
    .code(2);
    assert!(
        stderr_of(&assert).contains(
            "error: `sleep 30` ended on SIGINT without writing a perf run (run.json where PERF_DIR said): does it start a perf_core::Session, and finish it on SIGINT or SIGTERM? Nothing was kept"
        ),
        "{}",
        stderr_of(&assert)
    );
    nothing_kept(&project);
}

#[test]
fn a_program_that_ignores_sigint_and_sigterm_is_killed_after_the_grace_period() {
    let project = Project::new();
    let command = [
        "sh",
        "-c",
        "trap '' INT TERM; echo ready; while :; do sleep 0.05; done",
    ]
    .map(String::from);
    let started = std::time::Instant::now();
    let assert = soak(
        &project,
        &["--duration", "2s", "--grace", "400ms"],
        &command,
    )
    .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("after 2.00 s: SIGINT\nstill running 400 ms later: SIGTERM\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ignored SIGINT and SIGTERM: killed (SIGKILL) 400 ms after SIGTERM, its run unfinished, nothing kept"),
        "{stderr}"
    );
    // The duration and two grace periods, not more.
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    nothing_kept(&project);
}

#[test]
fn a_program_without_perf_alloc_is_told_how_to_add_it() {
    let project = Project::new();
    let run = prepared_run(&project, 30, |_| MIB, false);
    let assert = soak(&project, &[], &program(&run, "soaked")).code(2);
    assert!(
        stderr_of(&assert).contains(
            "has no heap timeline, so its growth cannot be measured: make perf_core::PerfAlloc the global allocator (`#[global_allocator] static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();`)"
        ),
        "{}",
        stderr_of(&assert)
    );
    nothing_kept(&project);
    // A timeline that ends too soon after the warm-up.
    let short = prepared_run(&project, 2, |_| MIB, true);
    let assert = soak(
        &project,
        &["--duration", "3s", "--warmup", "1s"],
        &program(&short, "soaked"),
    )
    .code(2);
    assert!(
        stderr_of(&assert).contains(
            "its heap timeline holds 10 samples after the warm-up of 1.00 s (it ends at 1.90 s), 20 are needed: soak longer (--duration) or warm up less (--warmup)"
        ),
        "{}",
        stderr_of(&assert)
    );
    nothing_kept(&project);
}

#[test]
fn a_load_that_fails_stops_the_soak() {
    let project = Project::new();
    let run = prepared_run(&project, 30, |_| MIB, true);
    let assert = soak(
        &project,
        &["--load", "echo overloaded >&2; exit 4"],
        &program(&run, "soaked"),
    )
    .code(2);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("overloaded"), "{stderr}");
    assert!(
        stderr.contains("error: the load `echo overloaded >&2; exit 4` failed ")
            && stderr.contains(" into the soak (exit status: 4; its output is above): the program was stopped and nothing was kept"),
        "{stderr}"
    );
    nothing_kept(&project);
    // A load that ends by itself, successfully, is no trouble.
    soak(&project, &["--load", "true"], &program(&run, "soaked"))
        .code(0)
        .stderr(contains("load after "))
        .stderr(contains("the load ended by itself after "));
}

#[test]
fn an_interrupted_soak_stops_its_program_and_keeps_nothing() {
    use std::io::{BufRead as _, BufReader};
    use std::os::unix::process::ExitStatusExt as _;

    let project = Project::new();
    let run = prepared_run(&project, 30, |_| MIB, true);
    let mut perf = project
        .perf_process()
        .args(["soak", "--duration", "60s", "--warmup", "0s", "--"])
        .args(program(&run, "soaked"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The program's first line, passed on: it runs.
    let mut stderr = BufReader::new(perf.stderr.take().unwrap());
    let mut line = String::new();
    while line.trim() != "ready" {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no `ready`");
    }
    // SAFETY: kill(2) with plain integers.
    assert_eq!(unsafe { libc::kill(perf.id() as i32, libc::SIGINT) }, 0);
    let status = perf.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(
        status.signal(),
        Some(libc::SIGINT),
        "ends by the signal: {rest}"
    );
    assert!(
        rest.contains(
            "error: interrupted by SIGINT: the program was stopped and nothing of its run was kept"
        ),
        "{rest}"
    );
    nothing_kept(&project);
}

#[test]
fn bad_settings_are_refused_before_anything_runs() {
    let project = Project::new();
    trouble(
        &project,
        &["soak", "--duration", "5s", "--warmup", "10s", "--", "true"],
        "invalid --warmup \"10s\": the warm-up must end before the soak does (--duration 5s)",
    );
    trouble(
        &project,
        &["soak", "--duration", "0s", "--", "true"],
        "invalid --duration \"0s\"",
    );
    trouble(
        &project,
        &["soak", "--duration", "1ms", "--warmup", "0s", "--", "true"],
        "invalid --duration \"1ms\": too short: the heap timeline has a point every 100 ms and a soak judges 20 of them after the warm-up (--warmup 0s), so it lasts 2s at least",
    );
    trouble(
        &project,
        &["soak", "--duration", "11s", "--", "true"],
        "so it lasts 12s at least",
    );
    trouble(
        &project,
        &["soak", "--grace", "0s", "--", "true"],
        "invalid --grace \"0s\"",
    );
    project
        .perf()
        .args(["soak", "--duration", "a while", "--", "true"])
        .assert()
        .code(2)
        .stderr(contains(
            "invalid value 'a while' for '--duration <TIME>': expected a time such as 60s, 10m, 1h or 500ms",
        ));
    project
        .perf()
        .args(["soak", "--threshold", "1 MB/s", "--", "true"])
        .assert()
        .code(2)
        .stderr(contains("--threshold"));
}

/// A time, size, threshold or run count too large to use is refused when
/// the flags are read (exit 2, one line naming the flag), never a panic
/// ("overflow when adding duration to instant") once the program ran.
#[test]
fn out_of_range_flags_are_refused_before_anything_runs() {
    let project = Project::new();
    for (args, flag, why) in [
        (
            &["soak", "--duration", "9223372036854775807s", "--", "true"][..],
            "--duration <TIME>",
            "at most a year",
        ),
        (
            &["soak", "--duration", "2562047788015215h", "--", "true"],
            "--duration <TIME>",
            "at most a year",
        ),
        (
            &[
                "soak",
                "--duration",
                "99999999999999999999999s",
                "--",
                "true",
            ],
            "--duration <TIME>",
            "at most a year",
        ),
        (
            &["soak", "--duration", "366d", "--", "true"],
            "--duration <TIME>",
            "at most a year",
        ),
        (
            &["soak", "--grace", "9223372036854775807s", "--", "true"],
            "--grace <TIME>",
            "at most a year",
        ),
        (
            &["soak", "--warmup", "2562047788015215h", "--", "true"],
            "--warmup <TIME>",
            "at most a year",
        ),
        (
            &[
                "soak",
                "--threshold",
                "99999999999999999999999TB",
                "--",
                "true",
            ],
            "--threshold <SIZE>",
            "at most",
        ),
        (
            &["record", "--warmup", "4294967295", "--", "true"],
            "--warmup <WARMUP>",
            "0..=2000",
        ),
        (
            &["record", "--runs", "2001", "--", "true"],
            "--runs <RUNS>",
            "1..=2000",
        ),
        (
            &["compare", "--threshold", "1e300%"],
            "--threshold <PERCENT>",
            "at most 10000%",
        ),
        (
            &["compare", "--alloc-threshold", "1e300%"],
            "--alloc-threshold <PERCENT>",
            "at most 10000%",
        ),
    ] {
        let before = project.snapshot();
        let output = project.perf().args(args).assert().code(2);
        let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: ") && first.contains(flag) && first.contains(why),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(before, project.snapshot(), "{args:?} touched a file");
    }
}
