//! `go tool pprof` (Debian's `golang-go`) reads the live profiles of
//! `http_service`: `/debug/pprof/allocs` and, under load on `/search`,
//! `/debug/pprof/profile?seconds=2`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::{Service, Wrk, get, one_at_a_time, run_to_end, tool};

/// `go tool pprof -top -symbolize=none ARGS URL` with its caches and
/// home in a temp dir; its report. `-symbolize=none`: the names must come
/// from the profile itself, not from a binary pprof looks up.
fn pprof_top(go: &Path, args: &[&str], url: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    run_to_end(
        Command::new(go)
            .args(["tool", "pprof", "-top", "-symbolize=none"])
            .args(args)
            .arg(url)
            .env("HOME", home.path())
            .env("PPROF_TMPDIR", home.path().join("pprof"))
            .env("GOCACHE", home.path().join("gocache"))
            .env("GOPATH", home.path().join("go"))
            .env_remove("GOFLAGS")
            .env_remove("PPROF_BINARY_PATH"),
        &format!("go tool pprof {args:?} {url}"),
    )
}

/// The rows of a `-top` report whose last column is `function`: the lines
/// after the header (`flat  flat%  sum%  cum  cum%`).
fn top_rows(report: &str) -> Vec<&str> {
    report
        .lines()
        .skip_while(|line| !line.trim_start().starts_with("flat"))
        .skip(1)
        .collect()
}

fn lists(report: &str, function: &str) -> bool {
    top_rows(report)
        .iter()
        .any(|row| row.split_whitespace().last() == Some(function))
}

#[test]
fn go_tool_pprof_reads_the_live_profiles() {
    let _one = one_at_a_time();
    let started = Instant::now();
    let Some(go) = tool("go", "golang-go", "PERF_SKIP_PPROF_TESTS") else {
        return;
    };
    let Some(wrk) = tool("wrk", "wrk", "PERF_SKIP_WRK_TESTS") else {
        return;
    };
    let service = Service::serve();
    let app = service.app.clone().expect("--serve");

    // Allocations by #[profile] function: searches render a page.
    for q in ["rust", "cache", "flame"] {
        let response = get(&app, &format!("/search?q={q}"), &[]);
        assert_eq!(response.status, 200);
    }
    let allocs = pprof_top(
        &go,
        &["-sample_index=alloc_space"],
        &format!("http://{}/debug/pprof/allocs", service.live),
    );
    assert!(
        lists(&allocs, "search::render"),
        "search::render in the allocations:\n{allocs}"
    );

    // CPU: two seconds of samples while wrk searches; the ranking is hot.
    let load = Wrk::start(&wrk, &app, "search", 4, 4);
    std::thread::sleep(Duration::from_millis(500));
    let cpu = pprof_top(
        &go,
        &[],
        &format!("http://{}/debug/pprof/profile?seconds=2", service.live),
    );
    let searched = load.finish();
    assert!(searched.requests > 0);
    // Native frames, named as the binary's symbols name them (`…::rank`;
    // in an optimised build an inlined `rank` is named by its short name).
    // Below it (its callees) the time is flat; it holds most of it
    // cumulatively.
    let rows = top_rows(&cpu);
    let rank = rows
        .iter()
        .find(|row| {
            let name = row.split_whitespace().last().unwrap_or_default();
            name == "rank" || name.ends_with("::rank")
        })
        .unwrap_or_else(|| panic!("search::rank's frame is listed:\n{cpu}"));
    let cum_percent: f64 = rank
        .split_whitespace()
        .nth(4)
        .and_then(|cum| cum.trim_end_matches('%').parse().ok())
        .unwrap_or_else(|| panic!("a cum% in {rank:?}"));
    assert!(
        cum_percent >= 50.0,
        "search::rank holds most of the CPU time under /search load:\n{cpu}"
    );
    eprintln!(
        "go tool pprof: allocations (alloc_space):\n{}\nCPU under /search load:\n{}\n{:.1} s",
        top_rows(&allocs).join("\n"),
        rows[..rows.len().min(3)]
            .iter()
            .chain([rank])
            .map(|row| &row[..row.len().min(120)])
            .collect::<Vec<_>>()
            .join("\n"),
        started.elapsed().as_secs_f64()
    );
    service.terminate();
}
