//! Runs the service examples — `async_service`, `http_service`,
//! `tracing_bridge` — as a user does, each with its own `PERF_DIR`, and
//! checks what they printed and the run they wrote: structure and counts,
//! never absolute timings.
//!
//! `cargo test` builds the examples next to this test (`target/<profile>/examples/`).
//! The load test of `http_service` needs `wrk` (`apt-get install wrk`);
//! `PERF_SKIP_WRK_TESTS=1` skips it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use perf_core::model::{FunctionStats, RunData};

mod common;
use common::example;

/// Generous: debug builds on a loaded 2-core machine.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Runs example `name` with `args` and `PERF_DIR` = `perf_dir`, to completion.
fn run(name: &str, args: &[&str], perf_dir: &Path) -> Output {
    let child = Command::new(example(name))
        .args(args)
        .env("PERF_DIR", perf_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start example {name}: {e}"));
    let mut child = Killed(child);
    // Read both pipes off-thread, so that a full pipe cannot stall the child.
    let stdout = drain(child.0.stdout.take().expect("piped"));
    let stderr = drain(child.0.stderr.take().expect("piped"));
    let status = wait(&mut child.0, TIMEOUT)
        .unwrap_or_else(|| panic!("example {name} did not finish within {TIMEOUT:?}"));
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

fn wait(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("waiting on the example") {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A child that is killed if the test fails before it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs example `name` with `args` in a fresh `PERF_DIR` and checks that it
/// succeeded: that directory (removed when dropped) and what it printed.
fn run_to_success(name: &str, args: &[&str]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = run(name, args, dir.path());
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "example {name} failed ({}):\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    (dir, stdout)
}

/// The newest run under `perf_dir` (`runs/latest`), and its directory.
fn latest_run(perf_dir: &Path) -> (RunData, PathBuf) {
    let runs = perf_dir.join("runs");
    let id = std::fs::read_to_string(runs.join("latest")).expect("runs/latest is written");
    let dir = runs.join(id.trim());
    let run = RunData::load(&dir.join("run.json")).expect("run.json reads back");
    (run, dir)
}

fn function<'a>(run: &'a RunData, name: &str) -> &'a FunctionStats {
    run.function(name)
        .unwrap_or_else(|| panic!("{name} is not in run.json; it holds {:?}", names(run)))
}

fn names(run: &RunData) -> Vec<&str> {
    run.functions.iter().map(|f| f.name.as_str()).collect()
}

/// The printed flamegraph and trace paths exist and lie in the run's directory.
fn printed_files_exist(stdout: &str, run_dir: &Path) {
    for file in ["flamegraph.svg", "trace.json"] {
        let suffix = format!("{}{file}", std::path::MAIN_SEPARATOR);
        let path = stdout
            .lines()
            .filter_map(|line| line.split_whitespace().last())
            .find(|last| last.ends_with(&suffix))
            .map(PathBuf::from)
            .unwrap_or_else(|| panic!("the output names no path to {file}:\n{stdout}"));
        assert!(path.is_file(), "{} does not exist", path.display());
        assert_eq!(path, run_dir.join(file));
    }
}

fn percentiles_ordered(f: &FunctionStats) {
    assert!(
        f.p50_ns <= f.p95_ns && f.p95_ns <= f.p99_ns && f.p99_ns <= f.max_ns,
        "{}: p50 {} ≤ p95 {} ≤ p99 {} ≤ max {}",
        f.name,
        f.p50_ns,
        f.p95_ns,
        f.p99_ns,
        f.max_ns
    );
}

/// The number after `key` in `line` (e.g. "served 12," → 12).
fn number_after(line: &str, key: &str) -> u64 {
    let rest = line
        .split_once(key)
        .unwrap_or_else(|| panic!("no {key:?} in {line:?}"))
        .1;
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {key:?} in {line:?}"))
}

/// The printed line that starts (after indentation) with `prefix` and holds `key`.
fn line_with<'a>(stdout: &'a str, prefix: &str, key: &str) -> &'a str {
    stdout
        .lines()
        .find(|line| line.trim_start().starts_with(prefix) && line.contains(key))
        .unwrap_or_else(|| panic!("no line {prefix:?} … {key:?} in the output:\n{stdout}"))
}

/// Off-CPU share of a `#[profile(cpu)]` function: (wall − cpu) / wall.
fn off_cpu(f: &FunctionStats) -> f64 {
    let cpu = f
        .cpu_ns
        .unwrap_or_else(|| panic!("{} has no CPU time", f.name));
    f.total_ns.saturating_sub(cpu) as f64 / f.total_ns.max(1) as f64
}

#[test]
fn async_service_tells_the_waiting_handler_from_the_busy_one() {
    let requests = 12;
    let (dir, stdout) = run_to_success("async_service", &["--requests", &requests.to_string()]);
    let (run, run_dir) = latest_run(dir.path());
    assert_eq!(run.name, "async_service");

    let handlers = [
        "handler::user_profile",
        "handler::thumbnail",
        "handler::checkout",
    ];
    for handler in handlers {
        let f = function(&run, handler);
        assert_eq!(f.calls, requests, "{handler} calls");
        assert!(f.cpu_ns.is_some(), "{handler} is #[profile(cpu)]");
        percentiles_ordered(f);
        // The printed row agrees with run.json.
        let row = line_with(&stdout, handler, "%");
        assert_eq!(number_after(row, handler), requests, "{row}");
    }
    assert!(stdout.contains(&format!("served {} requests", 3 * requests)));
    // The callees nest under their handlers.
    assert_eq!(function(&run, "compute::price").calls, requests);
    assert_eq!(function(&run, "gateway::authorize").calls, requests);
    assert_eq!(function(&run, "compute::digest").calls, 2 * requests);
    assert_under(&run, "gateway::authorize", "handler::checkout");
    assert_under(&run, "compute::price", "handler::checkout");

    // The handler that waits on the database is off the CPU far more than
    // the one that digests images.
    let waiting = off_cpu(function(&run, "handler::user_profile"));
    let busy = off_cpu(function(&run, "handler::thumbnail"));
    assert!(
        waiting > busy,
        "off-CPU share: user_profile {waiting:.2} vs thumbnail {busy:.2}"
    );
    assert!(
        stdout.contains("mostly waiting: handler::user_profile"),
        "{stdout}"
    );
    printed_files_exist(&stdout, &run_dir);
}

/// Every call-tree node of `callee` hangs under a node of `caller`.
fn assert_under(run: &RunData, callee: &str, caller: &str) {
    let tree = &run.call_tree;
    let nodes: Vec<_> = tree.iter().filter(|n| n.function == callee).collect();
    assert!(!nodes.is_empty(), "{callee} is not in the call tree");
    for node in nodes {
        let parent = node
            .parent
            .map(|p| tree[p as usize].function.as_str())
            .unwrap_or("(top level)");
        assert_eq!(parent, caller, "the caller of {callee}");
    }
}

#[test]
fn tracing_bridge_lands_spans_in_the_run() {
    let requests = 20;
    let (dir, stdout) = run_to_success("tracing_bridge", &["--requests", &requests.to_string()]);
    let (run, run_dir) = latest_run(dir.path());

    let calls = [
        ("tracing_bridge::handle_request", requests),
        ("tracing_bridge::parse_request", requests),
        ("tracing_bridge::load_user", requests),
        ("tracing_bridge::price_items", requests),
        ("tracing_bridge::price", 3 * requests),
        ("tracing_bridge::render_page", requests),
    ];
    for (name, expected) in calls {
        let f = function(&run, name);
        assert_eq!(f.calls, expected, "{name} calls");
        percentiles_ordered(f);
        assert_eq!(
            number_after(line_with(&stdout, name, "per call"), name),
            expected
        );
    }
    assert_eq!(run.functions.len(), calls.len(), "{:?}", names(&run));
    // Nested as in the code; the async handler is counted once per request.
    let top: Vec<_> = run
        .call_tree
        .iter()
        .filter(|n| n.parent.is_none())
        .collect();
    assert!(
        top.iter()
            .all(|n| n.function == "tracing_bridge::handle_request"),
        "top-level spans: {top:?}"
    );
    for callee in ["parse_request", "load_user", "price_items", "render_page"] {
        assert_under(
            &run,
            &format!("tracing_bridge::{callee}"),
            "tracing_bridge::handle_request",
        );
    }
    assert_under(&run, "tracing_bridge::price", "tracing_bridge::price_items");
    // The printed tree (after the list of functions) indents as the code nests.
    let tree = stdout
        .split_once("nested as in the code")
        .expect("the call tree is printed")
        .1;
    let indent = |name: &str| {
        let line = tree
            .lines()
            .find(|line| line.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} is not in the printed tree:\n{tree}"));
        line.len() - line.trim_start().len()
    };
    let handle = indent("tracing_bridge::handle_request");
    assert_eq!(indent("tracing_bridge::price_items"), handle + 2);
    assert_eq!(indent("tracing_bridge::price"), handle + 4);
    printed_files_exist(&stdout, &run_dir);
    let svg = std::fs::read_to_string(run_dir.join("flamegraph.svg")).unwrap();
    assert!(svg.contains("tracing_bridge::price_items"));
}

#[test]
fn a_bad_argument_is_named_on_stderr_with_exit_1() {
    for name in ["async_service", "tracing_bridge"] {
        let dir = tempfile::tempdir().unwrap();
        let output = run(name, &["--requests", "many"], dir.path());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert_eq!(
            stderr,
            format!("{name}: --requests: not a number: \"many\"\n"),
            "{name}"
        );
        assert!(!dir.path().join("runs").exists(), "{name}: no run");
    }
}

fn wrk_installed() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("wrk").is_file()))
}

#[test]
fn http_service_under_wrk_counts_every_request() {
    if std::env::var_os("PERF_SKIP_WRK_TESTS").is_some_and(|v| v == "1") {
        eprintln!("skipped: PERF_SKIP_WRK_TESTS=1");
        return;
    }
    assert!(
        wrk_installed(),
        "this test needs `wrk` on PATH: install it with `apt-get install wrk` \
         (or set PERF_SKIP_WRK_TESTS=1 to skip it)"
    );
    let (dir, stdout) = run_to_success("http_service", &["--duration", "1s"]);
    let (run, run_dir) = latest_run(dir.path());

    for (path, handler) in [
        ("/health", "handler::health"),
        ("/items/{id}", "handler::item"),
        ("/search?q=", "handler::search"),
    ] {
        let f = function(&run, handler);
        percentiles_ordered(f);
        let wrk_line = line_with(&stdout, path, "wrk:");
        let wrk_requests = number_after(wrk_line, "wrk:");
        let socket_errors = number_after(wrk_line, "4xx/5xx, ");
        let served = number_after(line_with(&stdout, path, "served"), "served");
        assert!(wrk_requests > 0, "{wrk_line}");
        // The server's own count is the profiler's; wrk counts the answers
        // it read, which leaves out those in flight when it stopped (at most
        // one per connection) or lost to a socket error.
        assert_eq!(f.calls, served, "{handler}: calls vs served");
        assert!(
            wrk_requests <= f.calls && f.calls <= wrk_requests + 16 + socket_errors,
            "{handler}: {} calls, wrk read {wrk_requests} answers",
            f.calls
        );
    }
    // Callees, nested under their handlers, once per call.
    let items = function(&run, "handler::item").calls;
    let searches = function(&run, "handler::search").calls;
    assert_eq!(function(&run, "store::get").calls, items);
    assert_eq!(function(&run, "search::rank").calls, searches);
    assert_eq!(function(&run, "search::render").calls, searches);
    assert_under(&run, "store::get", "handler::item");
    assert_under(&run, "search::rank", "handler::search");
    // Ids above 1,000 are missing: some answers were 404s.
    let error_statuses = number_after(line_with(&stdout, "/items/{id}", "wrk:"), "/s, ");
    assert!(error_statuses > 0, "no 404 from /items/{{id}}:\n{stdout}");
    assert!(stdout.contains("perf run http_service"), "the summary");
    printed_files_exist(&stdout, &run_dir);
}

#[test]
fn http_service_without_wrk_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let output = Command::new(example("http_service"))
        .env("PATH", empty.path())
        .env("PERF_DIR", dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("apt-get install wrk"), "{stderr}");
    assert!(!dir.path().join("runs").exists(), "no run without load");
}

/// `--serve`: serves until `signal`, which finishes its session
/// (`Session::finish_on_signal`): the run of the requests it served is
/// written, then the process ends by the signal.
fn serve_until(signal: libc::c_int, signal_name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Killed(
        Command::new(example("http_service"))
            .args(["--serve", "--port", "0"])
            .env("PERF_DIR", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start http_service --serve"),
    );
    let stderr = drain(child.0.stderr.take().expect("piped"));
    let (lines_tx, lines) = mpsc::channel();
    let stdout = BufReader::new(child.0.stdout.take().expect("piped"));
    std::thread::spawn(move || {
        for line in stdout.lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    let addr = loop {
        let line = lines
            .recv_timeout(TIMEOUT)
            .expect("http_service --serve prints `listening on http://ADDR`");
        printed.push(line.clone());
        if let Some(addr) = line.strip_prefix("listening on http://") {
            break addr.to_owned();
        }
    };

    let requests = [
        ("/health", 200),
        ("/health", 200),
        ("/items/7", 200),
        ("/items/5000", 404),
        ("/search?q=rust", 200),
        ("/health", 200),
    ];
    for (path, status) in requests {
        let response = get(&addr, path);
        assert!(
            response.starts_with(&format!("HTTP/1.1 {status} ")),
            "GET {path}: {response}"
        );
    }
    // SAFETY: kill(2) with a valid signal on our own child's pid.
    let sent = unsafe { libc::kill(child.0.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0, "kill failed");
    let status = wait(&mut child.0, TIMEOUT).expect("http_service exits after the signal");
    printed.extend(lines.iter());
    let stdout = printed.join("\n");
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(signal),
        "ended by {signal_name}: {status}\n{stdout}\nstderr:\n{stderr}"
    );

    let (run, run_dir) = latest_run(dir.path());
    assert!(
        stderr.contains(&format!("perf: {signal_name} received: run {}", run.id)),
        "{stderr}"
    );
    assert!(run_dir.join("run.json").is_file());
    assert_eq!(function(&run, "handler::health").calls, 3);
    assert_eq!(function(&run, "handler::item").calls, 2);
    assert_eq!(function(&run, "handler::search").calls, 1);
    assert_eq!(function(&run, "store::get").calls, 2);
    // The heap was watched until the signal.
    let heap = run.heap.as_ref().expect("heap");
    assert!(heap.timeline.len() >= 2 && heap.peak_bytes >= heap.live_bytes);
    for file in ["flamegraph.svg", "trace.json", "memory.svg"] {
        assert!(run_dir.join(file).is_file(), "{file}");
    }
}

/// One HTTP/1.1 GET on a fresh connection; the whole response.
fn get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    response
}

#[test]
fn http_service_serves_until_sigterm_and_writes_the_run() {
    serve_until(libc::SIGTERM, "SIGTERM");
}

#[test]
fn http_service_serves_until_ctrl_c_and_writes_the_run() {
    serve_until(libc::SIGINT, "SIGINT");
}
