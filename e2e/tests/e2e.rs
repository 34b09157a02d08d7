//! Runs the instrumented `workload` program the way a user would and checks
//! what it wrote: run.json, the flamegraphs, the trace and `runs/latest`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use perf_core::model::{CallNode, FunctionStats, RunData};

struct Finished {
    run: RunData,
    dir: PathBuf,
    stdout: String,
    _root: tempfile::TempDir,
}

fn workload(scenario: &str, perf_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_workload"))
        .arg(scenario)
        .env("PERF_DIR", perf_dir)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run workload")
}

fn run(scenario: &str) -> Finished {
    let root = tempfile::tempdir().expect("tempdir");
    let out = workload(scenario, root.path());
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "workload {scenario} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = root.path().join("runs");
    let id = std::fs::read_to_string(runs.join("latest")).expect("runs/latest");
    let dir = runs.join(id.trim());
    let run = RunData::load(&dir.join("run.json")).expect("run.json");
    assert_eq!(run.id, id.trim(), "latest names the run");
    Finished {
        run,
        dir,
        stdout,
        _root: root,
    }
}

fn function<'a>(run: &'a RunData, name: &str) -> &'a FunctionStats {
    run.function(name).unwrap_or_else(|| {
        let names: Vec<_> = run.functions.iter().map(|f| &f.name).collect();
        panic!("no function {name} in {names:?}")
    })
}

fn nodes<'a>(run: &'a RunData, name: &str) -> Vec<&'a CallNode> {
    run.call_tree
        .iter()
        .filter(|n| n.function == name)
        .collect()
}

fn parent_name(run: &RunData, node: &CallNode) -> Option<String> {
    node.parent
        .map(|p| run.call_tree[p as usize].function.clone())
}

#[test]
fn counts_every_call_of_eight_threads_that_ended_before_finish() {
    let f = run("threads");
    let tick = function(&f.run, "workload::tick");
    assert_eq!(tick.calls, 800_000);
    assert_eq!(f.run.threads.len(), 8);
    assert!(f.run.threads.iter().all(|t| t.calls == 100_000));
    assert!(
        f.run
            .threads
            .iter()
            .all(|t| t.name.as_deref().unwrap_or("").starts_with("worker-"))
    );
    assert!(tick.p50_ns <= tick.p95_ns && tick.p95_ns <= tick.p99_ns && tick.p99_ns <= tick.max_ns);
    assert!(tick.mean_ns > 0 && tick.total_ns >= tick.self_ns);
}

#[test]
fn one_interrupted_call_moves_the_mean_but_not_the_trimmed_mean() {
    let f = run("interrupted");
    let steady = function(&f.run, "workload::steady");
    assert_eq!(steady.calls, 1000);
    // 4 ms over 1 000 calls of ~20 µs: the mean moves by about 4 µs (20%),
    // and the trimmed mean leaves that call out. How far each lies from
    // the typical call depends on what else the machine runs (the tests
    // beside this one do): what the trimming took out does not.
    let mean = steady.mean_ns as f64;
    let trimmed = mean * steady.trimmed_ratio.expect("trimmed");
    assert!(mean - trimmed >= 0.8 * 4_000.0, "{steady:?}");
    assert!(trimmed < mean, "{steady:?}");
}

#[test]
fn attributes_allocations_to_the_function_that_makes_them() {
    let f = run("allocs");
    let inner = function(&f.run, "workload::three_allocs");
    let outer = function(&f.run, "workload::caller_of_allocs");
    assert_eq!(inner.calls, 1000);
    assert_eq!((inner.self_allocs, inner.total_allocs), (3000, 3000));
    // Box<usize> + 16-byte Vec + "abc".
    assert_eq!(
        (inner.self_alloc_bytes, inner.total_alloc_bytes),
        (27_000, 27_000)
    );
    assert_eq!((outer.self_allocs, outer.total_allocs), (1000, 4000));
    assert_eq!(
        (outer.self_alloc_bytes, outer.total_alloc_bytes),
        (32_000, 59_000)
    );
    assert!(f.run.alloc_tracking);
    let edge = nodes(&f.run, "workload::three_allocs");
    assert_eq!(edge.len(), 1);
    assert_eq!(
        parent_name(&f.run, edge[0]).as_deref(),
        Some("workload::caller_of_allocs")
    );
    assert_eq!(edge[0].calls, 1000);
}

#[test]
fn counts_recursion_once_in_total_time() {
    let f = run("recursion");
    let fib = function(&f.run, "workload::fib");
    assert_eq!(fib.calls, 1973);
    let outermost = nodes(&f.run, "workload::fib")
        .into_iter()
        .find(|n| n.parent.is_none())
        .expect("top-level fib");
    assert_eq!(outermost.calls, 1);
    // The total is the outermost frame's time, not the sum over all frames.
    assert_eq!(fib.total_ns, outermost.total_ns);
    assert!(fib.total_ns <= f.run.duration_ns);
    let frames_sum: u64 = nodes(&f.run, "workload::fib")
        .iter()
        .map(|n| n.total_ns)
        .sum();
    assert!(frames_sum > 3 * fib.total_ns, "per-frame totals overlap");
    // Self time over all frames adds up to the one total.
    // (each node is rounded to whole ns on its own: allow 1 ns per node)
    let fib_nodes = nodes(&f.run, "workload::fib");
    let self_sum: u64 = fib_nodes.iter().map(|n| n.self_ns).sum();
    assert!(
        self_sum.abs_diff(fib.self_ns) <= fib_nodes.len() as u64,
        "{self_sum} vs {}",
        fib.self_ns
    );
    assert!(fib.self_ns <= fib.total_ns);
}

#[test]
fn a_panic_closes_the_span_and_counts_the_call() {
    let f = run("panic");
    assert_eq!(function(&f.run, "workload::fails").calls, 10);
    // After the panics the tree is back at the top: no span was left open.
    let after = nodes(&f.run, "workload::after_panic");
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].parent, None);
    assert!(
        nodes(&f.run, "workload::fails")
            .iter()
            .all(|n| n.parent.is_none())
    );
}

#[test]
fn async_fns_count_once_and_time_from_first_poll_to_completion() {
    let moved = |f: &Finished| -> usize {
        f.stdout
            .lines()
            .find_map(|l| l.strip_prefix("moved="))
            .and_then(|n| n.parse().ok())
            .expect("moved= line")
    };
    // Whether a future moves between threads is the scheduler's choice: on a
    // loaded machine a run may keep every future on one thread.
    let f = (0..5)
        .map(|_| run("async"))
        .find(|f| moved(f) > 0)
        .expect("no future moved between threads in 5 runs; the test proves nothing");
    let handler = function(&f.run, "workload::handle_request");
    assert_eq!(handler.calls, 200);
    // Each call sleeps 2 ms between its first poll and its completion.
    assert!(handler.p50_ns >= 2_000_000, "p50 {} ns", handler.p50_ns);
    // Calls made inside a poll nest under the async fn, whichever thread polled.
    let ticks = nodes(&f.run, "workload::tick");
    assert!(!ticks.is_empty());
    for node in ticks {
        assert_eq!(
            parent_name(&f.run, node).as_deref(),
            Some("workload::handle_request")
        );
    }
    assert_eq!(function(&f.run, "workload::tick").calls, 200);
}

#[test]
fn wall_minus_cpu_shows_time_off_the_cpu() {
    let f = run("off-cpu");
    let sleeps = function(&f.run, "workload::sleeps");
    let spins = function(&f.run, "workload::spins");
    let sleeps_cpu = sleeps.cpu_ns.expect("cpu measured");
    let spins_cpu = spins.cpu_ns.expect("cpu measured");
    assert!(
        sleeps.total_ns >= 30_000_000,
        "sleep wall {}",
        sleeps.total_ns
    );
    assert!(sleeps_cpu < sleeps.total_ns / 3, "sleep cpu {sleeps_cpu}");
    assert!(
        spins_cpu > 10 * sleeps_cpu,
        "spin cpu {spins_cpu} vs sleep {sleeps_cpu}"
    );
    assert!(spins_cpu <= spins.total_ns + 1_000_000);
}

#[test]
fn recording_can_be_switched_off_and_scopes_nest() {
    let f = run("toggle");
    assert_eq!(function(&f.run, "workload::tick").calls, 110);
    assert_eq!(function(&f.run, "toggle::block").calls, 1);
    let inside: Vec<_> = nodes(&f.run, "workload::tick")
        .into_iter()
        .filter(|n| parent_name(&f.run, n).as_deref() == Some("toggle::block"))
        .collect();
    assert_eq!(inside.len(), 1);
    assert_eq!(inside[0].calls, 10);
}

#[test]
fn every_shape_of_function_is_recorded() {
    let f = run("shapes");
    for (name, calls) in [
        ("workload::shapes::Counter::add", 1),
        ("shapes::Counter::area", 1),
        ("workload::shapes::generic", 2),
        ("workload::shapes::evens", 1),
        ("workload::shapes::parse", 3),
        ("workload::shapes::read", 1),
        ("workload::shapes::fetch", 2),
    ] {
        assert_eq!(function(&f.run, name).calls, calls, "{name}");
    }
}

#[test]
fn writes_flamegraphs_a_trace_and_the_environment() {
    let f = run("allocs");
    let svg = std::fs::read_to_string(f.dir.join("flamegraph.svg")).expect("flamegraph.svg");
    assert!(svg.contains("<svg") && svg.contains("workload::caller_of_allocs"));
    assert!(svg.contains("allocs: wall time by call stack"));
    let alloc_svg = std::fs::read_to_string(f.dir.join("alloc-flamegraph.svg")).expect("alloc svg");
    assert!(alloc_svg.contains("workload::three_allocs") && alloc_svg.contains("bytes"));

    let trace: serde_json::Value =
        serde_json::from_slice(&std::fs::read(f.dir.join("trace.json")).expect("trace.json"))
            .expect("trace is JSON");
    let events = trace["traceEvents"].as_array().expect("traceEvents");
    let spans = events.iter().filter(|e| e["ph"] == "X").count();
    assert_eq!(spans, 2000);
    assert!(
        events
            .iter()
            .any(|e| e["ph"] == "M" && e["name"] == "thread_name")
    );

    let env = &f.run.env;
    assert_eq!(f.run.schema, "perf-run/1");
    assert!(env.cores >= 1 && !env.host.is_empty() && !env.os.is_empty());
    assert!(env.started_at.starts_with("20") && env.started_at.ends_with('Z'));
    assert_eq!(env.pid, f.run.env.pid);
}

#[test]
fn the_trace_stays_bounded_and_says_so() {
    let f = run("threads");
    assert_eq!(
        f.run.trace.events,
        8 * perf_core::DEFAULT_TRACE_CAPACITY as u64
    );
    assert_eq!(f.run.trace.events + f.run.trace.dropped_events, 800_000);
    let trace: serde_json::Value =
        serde_json::from_slice(&std::fs::read(f.dir.join("trace.json")).expect("trace.json"))
            .expect("JSON");
    assert_eq!(
        trace["otherData"]["dropped_events"],
        f.run.trace.dropped_events
    );
    assert!(
        trace["otherData"]["note"]
            .as_str()
            .unwrap_or("")
            .contains("left out")
    );
}

#[test]
fn an_empty_run_still_writes_readable_files() {
    let f = run("empty");
    assert!(f.run.functions.is_empty());
    let svg = std::fs::read_to_string(f.dir.join("flamegraph.svg")).expect("svg");
    assert!(svg.contains("Nothing was recorded"));
    assert!(f.stdout.contains("no instrumented calls were recorded"));
}

fn fails_with(perf_dir: &Path, expect_in_stderr: &str) {
    let out = workload("empty", perf_dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert!(stderr.contains(expect_in_stderr), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

#[test]
fn a_missing_perf_dir_is_made_and_a_bad_one_is_an_error_naming_it() {
    let root = tempfile::tempdir().expect("tempdir");

    // As cargo makes its target directory: the run is written into it.
    let missing = root.path().join("no-such-dir/perf");
    let out = workload("empty", &missing);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(missing.join("runs/latest").is_file());

    let file = root.path().join("a-file");
    std::fs::write(&file, "keep me").expect("write");
    fails_with(&file, &file.display().to_string());
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "keep me");

    fails_with(Path::new(""), "invalid PERF_DIR \"\": it is set but empty");
    let mut entries: Vec<_> = std::fs::read_dir(root.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        ["a-file", "no-such-dir"],
        "nothing else was written"
    );
}
