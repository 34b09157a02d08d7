//! The examples of performance problems — `n_plus_one`, `cache_aside`,
//! `quadratic`, `alloc_regression` — run as a user runs them: each built
//! example program is started with `PERF_DIR` pointing at a temporary
//! directory (and `PERF_EXAMPLE_QUICK=1` for a small workload); the test
//! then checks what it printed against the `run.json` it wrote, and the
//! files beside it. Assertions are on counts and structure, never on time.
//!
//! `cargo test` builds the examples into `target/<profile>/examples/`
//! before it runs the tests; `cargo test --test performance_problems`
//! alone does not, so a missing or stale program fails with a note.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use perf_core::model::{CallNode, FunctionStats, RunData};

mod common;
use common::example;

/// What one run of an example left behind.
struct Ran {
    stdout: String,
    run: RunData,
    dir: PathBuf,
    /// Keeps the output directory until the test ends.
    _perf_dir: tempfile::TempDir,
}

impl Ran {
    fn function(&self, name: &str) -> &FunctionStats {
        self.run
            .function(name)
            .unwrap_or_else(|| panic!("{name} is not in {}", self.dir.display()))
    }

    /// The first line after the session summary (which ends with the
    /// `files:` line) that starts, after spaces, with `prefix`.
    fn line(&self, prefix: &str) -> &str {
        self.stdout
            .lines()
            .skip_while(|line| !line.starts_with("files: "))
            .find(|line| line.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{}", self.stdout))
    }

    /// The calls of `callee` whose path in the call tree runs through `ancestor`.
    fn calls_under(&self, ancestor: &str, callee: &str) -> u64 {
        let tree = &self.run.call_tree;
        let runs_through = |node: &CallNode| {
            let mut parent = node.parent;
            while let Some(i) = parent {
                if tree[i as usize].function == ancestor {
                    return true;
                }
                parent = tree[i as usize].parent;
            }
            false
        };
        tree.iter()
            .filter(|node| node.function == callee && runs_through(node))
            .map(|node| node.calls)
            .sum()
    }

    fn read(&self, file: &str) -> String {
        let path = self.dir.join(file);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }
}

/// Runs example `name` with `PERF_DIR=perf_dir` and a small workload,
/// failing the test if it has not finished after a minute.
fn output(name: &str, perf_dir: &Path) -> Output {
    let child = Command::new(example(name))
        .env("PERF_DIR", perf_dir)
        .env("PERF_EXAMPLE_QUICK", "1")
        .env_remove("CARGO_TARGET_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    // The pipes are read while it runs (a full pipe would stall it).
    let pid = child.id().to_string();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.expect("the example's output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid]).status();
            panic!("{name} did not finish within a minute");
        }
    }
}

/// Runs example `name` to success and reads back the run it wrote.
fn run_example(name: &str) -> Ran {
    let perf_dir = tempfile::tempdir().expect("a temporary PERF_DIR");
    let out = output(name, perf_dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");

    let runs = perf_dir.path().join("runs");
    let id = std::fs::read_to_string(runs.join("latest")).expect("runs/latest");
    let dir = runs.join(id.trim());
    let run = RunData::load(&dir.join("run.json")).expect("a readable run.json");
    assert_eq!(run.name, name);
    assert!(run.alloc_tracking, "{name} counts allocations");

    // The summary, and every file the run wrote where the example says.
    assert!(
        stdout.starts_with(&format!("perf run {name} ({})", run.id)),
        "{stdout}"
    );
    for file in [
        "run.json",
        "flamegraph.svg",
        "alloc-flamegraph.svg",
        "trace.json",
    ] {
        let path = dir.join(file);
        assert!(path.is_file(), "{} missing", path.display());
        if file.ends_with(".svg") {
            let svg = std::fs::read_to_string(&path).expect("svg");
            assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
            assert!(
                stdout.contains(&path.display().to_string()),
                "{name} does not print where {file} is:\n{stdout}"
            );
        }
    }
    assert!(stdout.contains(&dir.join("trace.json").display().to_string()));
    Ran {
        stdout,
        run,
        dir,
        _perf_dir: perf_dir,
    }
}

/// The numbers in a line of text, in order (`1,234` is one number).
fn numbers(line: &str) -> Vec<f64> {
    line.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .map(|s| s.replace(',', ""))
        .filter_map(|s| s.trim_matches('.').parse().ok())
        .collect()
}

#[test]
fn n_plus_one_counts_one_query_per_order_and_one_per_page_when_joined() {
    // PERF_EXAMPLE_QUICK: 10 customers with 20 orders each, one page view each.
    let (pages, orders) = (10, 20);
    let ran = run_example("n_plus_one");

    for handler in ["handler::n_plus_one", "handler::batched", "handler::joined"] {
        assert_eq!(ran.function(handler).calls, pages, "{handler}");
    }
    // One query per order, all made by the N+1 handler.
    assert_eq!(ran.function("db::user_by_id").calls, pages * orders);
    assert_eq!(
        ran.calls_under("handler::n_plus_one", "db::user_by_id"),
        pages * orders
    );
    assert_eq!(ran.function("db::orders_of_customer").calls, 2 * pages);
    assert_eq!(
        ran.calls_under("handler::batched", "db::users_by_ids"),
        pages
    );
    assert_eq!(
        ran.calls_under("handler::joined", "db::orders_with_users"),
        pages
    );
    assert_eq!(ran.function("page::render").calls, 3 * pages);

    // The table: queries and queries per page of each handler.
    let row = |handler| numbers(ran.line(handler));
    assert_eq!(
        row("handler::n_plus_one ")[..2],
        [(pages * (orders + 1)) as f64, (orders + 1) as f64]
    );
    assert_eq!(row("handler::batched ")[..2], [(2 * pages) as f64, 2.0]);
    assert_eq!(row("handler::joined ")[..2], [pages as f64, 1.0]);
    for handler in [
        "handler::n_plus_one ",
        "handler::batched ",
        "handler::joined ",
    ] {
        let share = row(handler)[3];
        assert!(
            (0.0..=100.0).contains(&share),
            "{share}% of time in queries"
        );
    }
    assert_eq!(
        numbers(ran.line("db::user_by_id: "))[0],
        (pages * orders) as f64
    );
    assert!(ran.read("flamegraph.svg").contains("db::user_by_id"));
}

#[test]
fn cache_aside_fetches_from_the_backend_only_on_a_miss() {
    // PERF_EXAMPLE_QUICK: 200 lookups without the cache, 2,000 with it.
    let (uncached, cached) = (200, 2_000);
    let ran = run_example("cache_aside");

    assert_eq!(ran.function("lookup::uncached").calls, uncached);
    assert_eq!(ran.function("lookup::cached").calls, cached);
    let cache = numbers(ran.line("cache: TTL"));
    let (hits, misses, expired) = (cache[2] as u64, cache[3] as u64, cache[4] as u64);
    assert_eq!(hits + misses, cached, "{cache:?}");
    assert!(expired <= misses);
    // How many hit depends on the TTL, that is on the machine's speed: only
    // that some do is certain (a tenth of the requests ask for product 0).
    assert!(hits > 0, "{cache:?}");
    assert_eq!(
        ran.calls_under("lookup::uncached", "backend::fetch"),
        uncached
    );
    assert_eq!(ran.calls_under("lookup::cached", "backend::fetch"), misses);
    let fetch = ran.function("backend::fetch");
    assert_eq!(fetch.calls, uncached + misses);
    assert!(fetch.cpu_ns.is_some(), "backend::fetch measures CPU time");

    // The percentiles printed are run.json's.
    for lookup in ["lookup::uncached", "lookup::cached"] {
        let f = ran.function(lookup);
        let line = ran.line(lookup);
        for (label, ns) in [("p50", f.p50_ns), ("p95", f.p95_ns), ("p99", f.p99_ns)] {
            let shown = perf_core::format::duration(ns as f64);
            assert!(
                line.contains(&format!("{label} {shown:>8}")),
                "{lookup}: {label} {shown} not in {line:?}"
            );
        }
        assert!(f.p50_ns <= f.p95_ns && f.p95_ns <= f.p99_ns && f.p99_ns <= f.max_ns);
    }
    assert!(ran.line("the cache took the median from").contains(" to "));
}

#[test]
fn quadratic_prints_time_per_call_at_each_size_from_the_call_tree() {
    // PERF_EXAMPLE_QUICK: the three smallest sizes.
    let sizes = [500u64, 1_000, 2_000];
    let ran = run_example("quadratic");

    let mut per_call = Vec::new();
    for n in sizes {
        let size = format!("size::{n}");
        assert_eq!(ran.function(&size).calls, 1, "{size}");
        let nested = ran.calls_under(&size, "dups::nested_loops");
        let hashed = ran.calls_under(&size, "dups::hash_set");
        assert_eq!(nested, (16_000 / n).max(3), "{size}");
        assert_eq!(hashed, 101, "{size}: 100 timed calls and the reference one");

        let row = numbers(ran.line(&format!("{n} ")));
        assert_eq!(row[0], n as f64);
        assert!(row[1] > 0.0, "{n}: duplicates found");
        let node = |function: &str| {
            let scope = ran
                .run
                .call_tree
                .iter()
                .find(|node| node.function == size)
                .expect("size scope");
            ran.run
                .call_tree
                .iter()
                .find(|node| node.parent == Some(scope.id) && node.function == function)
                .map(|node| node.total_ns as f64 / node.calls as f64)
                .expect("node")
        };
        per_call.push((node("dups::nested_loops"), node("dups::hash_set")));
    }
    // A ratio to the size before on every row but the first.
    for n in sizes {
        let row = ran.line(&format!("{n} "));
        assert_eq!(
            row.matches('×').count(),
            if n == sizes[0] { 0 } else { 2 },
            "{row}"
        );
    }
    // At 2,000 items, n²/2 string comparisons against 2,000 hash-set
    // inserts: far apart on any machine, however loaded.
    let (nested, hashed) = per_call[sizes.len() - 1];
    assert!(
        nested > hashed,
        "nested {nested} ns vs hash set {hashed} ns"
    );
    assert!(ran.read("flamegraph.svg").contains("dups::nested_loops"));
}

#[test]
fn alloc_regression_counts_five_allocations_per_owned_parse_and_none_borrowed() {
    // PERF_EXAMPLE_QUICK: 2,000 lines, read twice by each parser.
    let calls = 2 * 2_000;
    let ran = run_example("alloc_regression");

    let borrowed = ran.function("log::parse_request");
    let owned = ran.function("log::parse_request_owned");
    assert_eq!((borrowed.calls, owned.calls), (calls, calls));
    assert_eq!(borrowed.total_allocs, 0);
    assert_eq!(
        owned.total_allocs,
        calls * perf_examples::alloc_regression::OWNED_ALLOCS_PER_LINE
    );
    assert_eq!(numbers(ran.line("log::parse_request "))[1], 0.0);
    assert_eq!(numbers(ran.line("log::parse_request_owned "))[1], 5.0);
    assert_eq!(
        numbers(ran.line("the owned parse makes"))[0],
        perf_examples::alloc_regression::OWNED_ALLOCS_PER_LINE as f64
    );

    // Every byte is the owned parse's: the borrowing one is not in the picture.
    let svg = ran.read("alloc-flamegraph.svg");
    assert!(svg.contains("<title>log::parse_request_owned ("), "{svg}");
    assert!(!svg.contains("<title>log::parse_request ("));
}

#[test]
fn a_perf_dir_that_cannot_be_made_is_a_clear_error_not_a_panic() {
    let parent = tempfile::tempdir().expect("a temporary directory");
    // A file stands where the directory would go.
    let blocked = parent.path().join("blocked");
    std::fs::write(&blocked, "keep me").expect("write");
    let perf_dir = blocked.join("perf");
    for name in ["n_plus_one", "cache_aside", "quadratic", "alloc_regression"] {
        let out = output(name, &perf_dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.starts_with(&format!(
                "{name}: cannot use output directory {}",
                perf_dir.display()
            )),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert_eq!(std::fs::read_to_string(&blocked).expect("read"), "keep me");
    }
}
