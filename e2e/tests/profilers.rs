//! The whole-process profilers (perf-core features `cpu`, `heap` and
//! `criterion`) in real programs. `profiled` and `criterion_profiled` are
//! built here by a cargo run of their own with `--features profilers`, so
//! the workspace's other tests run without sampling or heap profiling.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use perf_core::model::RunData;

/// `target/profiling/`, with both programs built into it.
fn programs() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--profile",
                "profiling",
                "-p",
                "perf-e2e",
                "--bins",
            ])
            .args(["--features", "profilers"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building the profiled programs failed");
        // This test runs from target/<profile>/deps/; the programs are in target/profiling/.
        let workload = Path::new(env!("CARGO_BIN_EXE_workload"));
        workload
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .join("profiling")
    })
}

/// Runs `program args` with `PERF_DIR=out`, failing the test if it has not
/// finished after `limit` (a deadlock).
fn run(program: &str, args: &[&str], env: &[(&str, &Path)], limit: Duration) -> Output {
    let mut command = Command::new(programs().join(program));
    command
        .args(args)
        .env_remove("CARGO_TARGET_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start program");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{program} {args:?} did not finish in {limit:?}: deadlocked?");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn profiled(args: &[&str], perf_dir: &Path) -> Vec<PathBuf> {
    let out = run(
        "profiled",
        args,
        &[("PERF_DIR", perf_dir)],
        Duration::from_secs(120),
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('/'))
        .map(PathBuf::from)
        .collect()
}

/// One field of a protobuf message: a number (varint or fixed), or the
/// bytes of a length-delimited field.
enum Field<'a> {
    Number(u64),
    Bytes(&'a [u8]),
}

fn varint(bytes: &[u8], at: &mut usize) -> u64 {
    let mut value = 0;
    for shift in (0..64).step_by(7) {
        let byte = bytes[*at];
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
    }
    value
}

/// The fields of a protobuf message, walking the wire format: enough to
/// check that `profile.pb` is a well-formed pprof `Profile` and to read it.
fn fields(bytes: &[u8]) -> Vec<(u64, Field<'_>)> {
    let mut fields = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let key = varint(bytes, &mut at);
        let value = match key & 7 {
            0 => Field::Number(varint(bytes, &mut at)),
            1 => {
                at += 8;
                Field::Number(0)
            }
            2 => {
                let len = varint(bytes, &mut at) as usize;
                at += len;
                Field::Bytes(&bytes[at - len..at])
            }
            5 => {
                at += 4;
                Field::Number(0)
            }
            wire => panic!("not a protobuf message: wire type {wire} at byte {at}"),
        };
        fields.push((key >> 3, value));
    }
    assert_eq!(at, bytes.len(), "the message ends inside a field");
    fields
}

/// The values of varint field `number`, packed or not.
fn numbers(fields: &[(u64, Field<'_>)], number: u64) -> Vec<u64> {
    let mut out = Vec::new();
    for (_, value) in fields.iter().filter(|(n, _)| *n == number) {
        match value {
            Field::Number(v) => out.push(*v),
            Field::Bytes(packed) => {
                let mut at = 0;
                while at < packed.len() {
                    out.push(varint(packed, &mut at));
                }
            }
        }
    }
    out
}

/// The messages in field `number`.
fn messages<'a>(fields: &[(u64, Field<'a>)], number: u64) -> Vec<Vec<(u64, Field<'a>)>> {
    fields
        .iter()
        .filter_map(|(n, v)| match v {
            Field::Bytes(b) if *n == number => Some(self::fields(b)),
            _ => None,
        })
        .collect()
}

/// From a pprof `Profile`: its string table, and the function names of its
/// heaviest sample's locations, in the file's order (pprof's: leaf first).
fn pprof_strings_and_heaviest_stack(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let profile = fields(bytes);
    let strings: Vec<String> = profile
        .iter()
        .filter_map(|(n, v)| match v {
            Field::Bytes(b) if *n == 6 => Some(String::from_utf8(b.to_vec()).expect("utf-8")),
            _ => None,
        })
        .collect();
    assert_eq!(
        strings.first().map(String::as_str),
        Some(""),
        "string_table[0] must be empty"
    );
    // Profile: sample = 2, location = 4, function = 5. Sample: location_id
    // = 1, value = 2. Location: id = 1, line = 4 (Line: function_id = 1).
    // Function: id = 1, name = 2. Ids start at 1.
    let heaviest = messages(&profile, 2)
        .into_iter()
        .max_by_key(|sample| numbers(sample, 2).first().copied().unwrap_or(0))
        .expect("a sample");
    let locations = messages(&profile, 4);
    let functions = messages(&profile, 5);
    let names = numbers(&heaviest, 1)
        .into_iter()
        .map(|id| {
            assert!(id >= 1, "location ids start at 1");
            let location = locations
                .iter()
                .find(|l| numbers(l, 1) == [id])
                .expect("the sample's location");
            let function_id = numbers(&messages(location, 4)[0], 1)[0];
            let function = functions
                .iter()
                .find(|f| numbers(f, 1) == [function_id])
                .expect("the location's function");
            strings[numbers(function, 2)[0] as usize].clone()
        })
        .collect();
    (strings, names)
}

#[test]
fn cpu_samples_make_a_flamegraph_a_pprof_profile_and_a_share_per_function() {
    let out = tempfile::tempdir().unwrap();
    let dirs = profiled(&["credit"], out.path());
    let dir = &dirs[0];
    let run = RunData::load(&dir.join("run.json")).unwrap();
    let cpu = run.cpu_profile.as_ref().expect("cpu_profile in run.json");
    assert_eq!(cpu.frequency_hz, 250);
    // About 600 ms of CPU at 250 Hz; a loaded machine gives fewer.
    assert!(cpu.samples >= 20, "{} samples", cpu.samples);

    let samples = |name: &str| {
        run.function(name)
            .and_then(|f| f.cpu_samples.clone())
            .unwrap_or_else(|| panic!("{name} has no cpu_samples"))
    };
    let (spin, digest, busy) = (
        samples("profiled::spin"),
        samples("profiled::Hasher::digest"),
        samples("profiled::busy"),
    );
    let folded = std::fs::read_to_string(dir.join("cpu.folded")).unwrap();
    // Nearly all the CPU is in spin, inside digest, inside busy.
    assert!(spin.share > 0.6, "spin's share {}:\n{folded}", spin.share);
    assert!(spin.self_ > 0 && spin.self_ <= spin.total);
    assert!(digest.total >= spin.total && busy.total >= digest.total);
    assert!(busy.total <= cpu.samples);

    let svg = std::fs::read_to_string(dir.join("cpu-flamegraph.svg")).unwrap();
    assert!(svg.contains("CPU samples by stack") && svg.contains("profiled::spin"));
    let mut total = 0;
    for line in folded.lines() {
        let (stack, count) = line.rsplit_once(' ').expect("stack count");
        total += count.parse::<u64>().expect("count");
        assert!(!stack.contains("perf_signal_handler"), "{stack}");
    }
    assert_eq!(total, cpu.samples);
    let (strings, stack) =
        pprof_strings_and_heaviest_stack(&std::fs::read(dir.join("profile.pb")).unwrap());
    for expected in ["samples", "count", "cpu", "nanoseconds", "thread"] {
        assert!(strings.iter().any(|s| s == expected), "{expected}");
    }
    // Leaf first, with frames named as the flamegraph names them.
    let at = |name: &str| stack.iter().position(|f| f == name);
    let (spin, start) = (at("profiled::spin"), at("_start"));
    assert!(
        spin.is_some() && start.is_some() && spin < start,
        "heaviest stack, leaf first: {stack:?}"
    );
}

#[test]
fn sampling_survives_threads_that_allocate_hard_session_after_session() {
    let out = tempfile::tempdir().unwrap();
    let output = run(
        "profiled",
        &["stress", "12"],
        &[("PERF_DIR", out.path())],
        Duration::from_secs(180),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rounds: Vec<&str> = stdout.lines().filter(|l| l.starts_with("round")).collect();
    assert_eq!(rounds.len(), 12, "{stdout}");
    for round in rounds {
        // "round 3: … bytes churned, 31 samples of 170 possible"
        let words: Vec<&str> = round.split_whitespace().collect();
        let samples: u64 = words[words.len() - 5].parse().unwrap();
        let possible: u64 = words[words.len() - 2].parse().unwrap();
        // Samples in malloc (libc is blocklisted) and on two threads at once
        // (pprof drops one) are lost; a working sampler still keeps some.
        assert!(samples > 0 && samples * 20 >= possible, "{round}");
    }
}

#[test]
fn heap_profiles_sessions_one_after_another_with_exact_allocation_counts() {
    let out = tempfile::tempdir().unwrap();
    let dirs = profiled(&["twice"], out.path());
    assert_eq!(dirs.len(), 2);
    for dir in &dirs {
        let run = RunData::load(&dir.join("run.json")).unwrap();
        // dhat's own allocations (its backtraces) are not counted.
        let exact = run.function("profiled::three_allocs").unwrap();
        assert_eq!(
            (exact.calls, exact.self_allocs),
            (100, 300),
            "{}",
            dir.display()
        );
        let heap: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("dhat-heap.json")).unwrap())
                .unwrap();
        assert_eq!(heap["mode"], "rust-heap");
        assert!(heap["dhatFileVersion"].is_number());
        assert!(!heap["pps"].as_array().unwrap().is_empty());
        let frames = heap["ftbl"].to_string();
        assert!(
            frames.contains("churn (src/bin/profiled.rs:"),
            "no churn in dhat's frames"
        );
    }
}

#[test]
fn a_profiler_the_program_runs_itself_is_a_clear_error_not_a_panic() {
    for (mode, message) in [
        (
            "foreign-pprof",
            "refused: CPU sampling (perf-core feature `cpu`) failed: a pprof profiler is already running",
        ),
        (
            "foreign-dhat",
            "refused: heap profiling (perf-core feature `heap`) cannot start: another dhat profiler is running",
        ),
    ] {
        let out = tempfile::tempdir().unwrap();
        let output = run(
            "profiled",
            &[mode],
            &[("PERF_DIR", out.path())],
            Duration::from_secs(60),
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(message), "{mode}: {stdout}");
        // dhat itself panics when a second profiler starts; perf catches it
        // without touching the program's panic hook, which prints it.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let dhat_refused = stderr
            .matches("dhat: creating a profiler while a profiler is already running")
            .count();
        assert_eq!(stderr.matches("panicked").count(), dhat_refused, "{stderr}");
        assert_eq!(
            dhat_refused,
            usize::from(mode == "foreign-dhat"),
            "{stderr}"
        );
        // The refused session left nothing behind; the next one ran.
        let runs: Vec<_> = std::fs::read_dir(out.path().join("runs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != "latest")
            .collect();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert!(runs[0].ends_with("-after"), "{runs:?}");
    }
}

#[test]
fn criterion_benchmarks_get_a_cpu_flamegraph_each_under_profile_time() {
    let home = tempfile::tempdir().unwrap();
    run(
        "criterion_profiled",
        &["--bench", "--profile-time", "1"],
        &[("CRITERION_HOME", home.path())],
        Duration::from_secs(120),
    );
    for (bench, frame) in [("checksum_64KiB", "checksum"), ("sort_4096", "sort")] {
        let dir = home.path().join(bench).join("profile");
        let svg = std::fs::read_to_string(dir.join("cpu-flamegraph.svg"))
            .unwrap_or_else(|e| panic!("{bench}: {e}"));
        assert!(svg.contains("CPU samples by stack"), "{bench}");
        // The benchmark's own code is on the sampled stacks (not only in the title).
        let folded = std::fs::read_to_string(dir.join("cpu.folded")).unwrap();
        let samples_in = |frame: &str| -> u64 {
            folded
                .lines()
                .filter(|l| l.split(';').skip(1).any(|f| f.contains(frame)))
                .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
                .sum()
        };
        assert!(samples_in(frame) >= 20, "{bench}: {frame}:\n{folded}");
        assert!(dir.join("profile.pb").is_file());
    }
}
