//! Fixture tests of what a run writes: the flamegraphs (also a differential
//! one) and the trace, drawn from `tests/fixtures/run.json` with fixed
//! inputs and compared byte for byte with the files in `tests/fixtures/`.
//! After a deliberate change of the output, regenerate them with
//! `PERF_BLESS=1 cargo test -p perf-core --lib fixtures` and review the diff.

use std::path::{Path, PathBuf};

use perf_format::stacks::call_paths;
use perf_format::stacks::svg::{Chart, Measure, write_diff_svg};

use super::{TraceInput, flamegraph, trace};
use crate::callsite::Callsite;
use crate::model::RunData;
use crate::recorder::{Event, EventKind, ThreadSnapshot};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn run() -> RunData {
    RunData::load(&fixtures().join("run.json")).expect("tests/fixtures/run.json")
}

/// Compares `actual` with the fixture `name`, or writes it with `PERF_BLESS=1`.
pub(crate) fn check(name: &str, actual: &str) {
    let path = fixtures().join(name);
    if std::env::var_os("PERF_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, actual).expect("bless fixture");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (PERF_BLESS=1 writes it)", path.display()));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "the end".to_owned(), |l| format!("line {}", l + 1));
        panic!(
            "{name} differs from the fixture from {line}; if the change is meant, \
             regenerate with PERF_BLESS=1 and review the diff"
        );
    }
}

fn render(write: impl FnOnce(&Path)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out");
    write(&path);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn time_and_alloc_flamegraphs_match_their_fixtures() {
    let run = run();
    for (metric, name) in [
        (Measure::Time, "flamegraph.svg"),
        (Measure::Alloc, "alloc-flamegraph.svg"),
    ] {
        let svg = render(|path| flamegraph::write(path, &run, metric).unwrap());
        check(name, &svg);
    }
}

#[test]
fn differential_flamegraph_matches_its_fixture() {
    let after = run();
    let mut before = after.clone();
    for node in &mut before.call_tree {
        // The baseline's query was twice as fast; its render half as fast.
        match node.function.as_str() {
            "db::query<&str>" => node.self_ns /= 2,
            "app::render;fmt & <escape>" => node.self_ns *= 2,
            _ => {}
        }
    }
    let chart = Chart {
        title: "fixture: wall time, baseline → current".to_owned(),
        subtitle: Some("red grew, blue shrank".to_owned()),
        measure: Measure::Time,
        calls: None,
    };
    let mut svg = Vec::new();
    write_diff_svg(
        &mut svg,
        &chart,
        &call_paths(&before.call_tree),
        &call_paths(&after.call_tree),
        flamegraph::weight(Measure::Time),
    )
    .unwrap();
    check("diff-flamegraph.svg", &String::from_utf8(svg).unwrap());
}

#[test]
fn trace_matches_its_fixture() {
    static HANDLER: Callsite = Callsite::new("app::handler", "src/app.rs", 20, false);
    static QUERY: Callsite = Callsite::new("db::query<&str>", "src/app.rs", 30, false);
    static FETCH: Callsite = Callsite::new("app::fetch", "src/app.rs", 50, false);
    let event = |start, end, callsite, kind| Event {
        start,
        end,
        callsite,
        kind,
    };
    let threads = [
        ThreadSnapshot {
            index: 0,
            name: Some("main".to_owned()),
            nodes: Vec::new(),
            // Logged as they finish: the callee before its caller.
            events: vec![
                event(1_200, 1_800, &QUERY, EventKind::Sync),
                event(1_000, 2_000, &HANDLER, EventKind::Sync),
            ],
            dropped_events: 0,
        },
        ThreadSnapshot {
            index: 1,
            name: None,
            nodes: Vec::new(),
            events: vec![event(1_500, 9_000, &FETCH, EventKind::Async)],
            dropped_events: 0,
        },
    ];
    let mut run = run();
    run.trace.dropped_events = 7;
    let input = TraceInput {
        threads: &threads,
        start_ticks: 1_000,
        ticks_to_ns: |ticks| ticks,
    };
    let json = render(|path| trace::write(path, &run, &input).unwrap());
    serde_json::from_str::<serde_json::Value>(&json).expect("trace.json is JSON");
    check("trace.json", &json);
}
