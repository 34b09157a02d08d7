//! `cargo perf flamegraph`: the pictures of a record, a run and a change.

use predicates::prelude::PredicateBooleanExt as _;
use predicates::str::contains;

use crate::util::{Project, program, record, record_on, service, trouble, with, write_run};

/// A project with baseline `main` and record `cur` (the latest).
fn project() -> Project {
    let project = Project::new();
    project.write_baseline("main", &record("base", &program(), 10, 1));
    project.write_record(&record("cur", &program(), 10, 2));
    project
}

fn stdout(output: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&output.get_output().stdout).into_owned()
}

/// The tooltip and fill of the first frame of `function` in `svg`.
fn frame<'a>(svg: &'a str, function: &str) -> (&'a str, &'a str) {
    let start = svg
        .find(&format!("<title>{function} ("))
        .unwrap_or_else(|| panic!("no frame of {function} in {svg}"));
    let title = &svg[start + "<title>".len()..];
    let title = &title[..title.find("</title>").unwrap()];
    let fill = &svg[start..];
    let fill = &fill[fill.find("fill=\"").unwrap() + 6..];
    (title, &fill[..fill.find('"').unwrap()])
}

/// Every frame's tooltip in `svg`: (name, figures).
fn tooltips(svg: &str) -> Vec<(String, String)> {
    svg.match_indices("<title>")
        .map(|(i, open)| {
            let text = &svg[i + open.len()..];
            let text = &text[..text.find("</title>").unwrap()];
            let (name, figures) = text.rsplit_once(" (").unwrap();
            (
                name.to_owned(),
                figures.strip_suffix(')').unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_tooltip_says_its_value_with_unit_share_of_the_total_and_calls() {
    let project = project();
    for (metric, units) in [
        ("time", &["ns", "µs", "ms", "s"][..]),
        ("alloc", &["B", "KiB", "MiB"][..]),
    ] {
        let output = project
            .perf()
            .args(["flamegraph", "--metric", metric, "-o", "-"])
            .assert()
            .code(0);
        let titles = tooltips(&stdout(&output));
        assert_eq!(titles.len(), 5, "all and four functions: {titles:?}");
        let (_, whole) = titles.iter().find(|(name, _)| name == "all").unwrap();
        // "77.7 ms/run in all": a record's picture is of the mean run.
        let (total, rest) = whole.split_once(" in all").unwrap();
        let total = total
            .strip_suffix("/run")
            .unwrap_or_else(|| panic!("{whole}"));
        assert!(rest.is_empty(), "{whole}");
        for (name, figures) in titles.iter().filter(|(name, _)| name != "all") {
            // "60.0 ms/run with callees, 77.2% of 77.7 ms/run; 1,000 calls/run"
            let (value, rest) = figures.split_once("/run with callees, ").unwrap();
            let (share, rest) = rest.split_once(" of ").unwrap();
            let (of, calls) = rest.split_once("/run; ").unwrap();
            let unit = value.rsplit_once(' ').unwrap().1;
            assert!(units.contains(&unit), "{name}: {figures}");
            assert!(share.ends_with('%'), "{name}: {figures}");
            assert_eq!(of, total, "{name}: {figures}");
            let expected = match name.as_str() {
                "db::query" => "1,000 calls/run",
                "app::format" => "500 calls/run",
                _ => "100 calls/run",
            };
            assert_eq!(calls, expected, "{name}: {figures}");
        }
        let (_, handler) = titles
            .iter()
            .find(|(name, _)| name == "app::handler")
            .unwrap();
        assert!(
            handler.contains(", 100.0% of "),
            "the root caller holds it all: {handler}"
        );
    }
}

#[test]
fn the_latest_record_by_wall_time_lands_beside_it() {
    let project = project();
    let output = project.perf().args(["flamegraph"]).assert().code(0);
    let path = project
        .path()
        .join("target/perf/records/cur/flamegraph-time.svg");
    assert_eq!(stdout(&output), format!("flamegraph: {}\n", path.display()));
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("app: wall time by call stack"), "{svg}");
    assert!(svg.contains("db::query") && svg.contains("app::render"));
    assert!(svg.contains("function init(evt)"), "inferno's script is in");
}

#[test]
fn bytes_allocated_and_an_explicit_output() {
    let project = project();
    project
        .perf()
        .args(["flamegraph", "cur", "--metric", "alloc", "-o", "alloc.svg"])
        .assert()
        .code(0)
        .stdout("flamegraph: alloc.svg\n");
    let svg = std::fs::read_to_string(project.path().join("alloc.svg")).unwrap();
    assert!(svg.contains("app: bytes allocated by call stack"));
    let (title, _) = frame(&svg, "db::query");
    assert!(
        title.contains(" KiB/run with callees, "),
        "hover text counts bytes: {title}"
    );
    let output = project
        .perf()
        .args(["flamegraph", "-o", "-"])
        .assert()
        .code(0);
    assert!(stdout(&output).starts_with("<?xml"), "-o - writes the SVG");
}

#[test]
fn a_change_is_drawn_against_the_baseline_with_both_ids() {
    let slower = with(&program(), "db::query", |f| f.self_ns *= 1.5);
    let project = Project::new();
    project.write_baseline("main", &record("20261101T000000-app", &program(), 10, 1));
    project.write_record(&record("20261123T091803-app", &slower, 10, 2));
    project
        .perf()
        .args(["flamegraph", "--diff", "main"])
        .assert()
        .code(0)
        .stdout(contains("flamegraph-time-diff-main.svg"));
    let svg = std::fs::read_to_string(
        project
            .path()
            .join("target/perf/records/20261123T091803-app/flamegraph-time-diff-main.svg"),
    )
    .unwrap();
    assert!(
        svg.contains("app: wall time, main (record 20261101T000000-app) → 20261123T091803-app"),
        "{svg}"
    );
    assert!(
        svg.contains("colour: total time/call vs main as `cargo perf compare` judges it"),
        "{svg}"
    );
    // The frames show the comparison's figures, and say what each one is.
    let (title, fill) = frame(&svg, "db::query");
    assert!(
        title.contains("; 1,000 calls/run; total time/call ")
            && title.contains(" µs → ")
            && title.contains(" vs main")
            && title.ends_with(": regressed)"),
        "{title}"
    );
    assert!(fill.starts_with("rgb(255,"), "red: {fill}");
    let (title, fill) = frame(&svg, "app::format");
    assert!(title.ends_with(": unchanged)"), "{title}");
    assert_eq!(fill, "rgb(224,224,224)");
    // A record id works too.
    project.write_record(&record("20261101T000000-app", &program(), 10, 1));
    project.write_record(&record("20261123T091803-app", &slower, 10, 2));
    let output = project
        .perf()
        .args(["flamegraph", "--diff", "20261101T000000-app", "-o", "-"])
        .assert()
        .code(0);
    assert!(stdout(&output).contains("app: wall time, 20261101T000000-app → 20261123T091803-app"));
}

#[test]
fn a_function_slower_only_with_the_whole_machine_is_not_red() {
    // Everything ran 15% slower: every mean grew, none relative to the rest.
    let project = Project::new();
    project.write_baseline("main", &record("base", &service(), 10, 1));
    project.write_record(&record_on("cur", &service(), 10, 2, 1.15));
    let output = project
        .perf()
        .args(["flamegraph", "--diff", "main", "-o", "-"])
        .assert()
        .code(0);
    let svg = stdout(&output);
    assert!(
        svg.contains("colour: total time/call vs main as `cargo perf compare` judges it, drift-corrected (everything +1"),
        "{svg}"
    );
    for function in ["svc::handle", "svc::parse", "svc::price", "svc::render"] {
        let (title, fill) = frame(&svg, function);
        assert!(
            title.contains("vs main, drift-corrected: unchanged)"),
            "{title}"
        );
        assert_eq!(fill, "rgb(224,224,224)", "{function} is not coloured");
    }
    // compare says the same of them (and shows the program's wall time on
    // its own row, not gated: the records were made apart).
    let output = project.perf().args(["compare", "--all"]).assert().code(0);
    let table = stdout(&output);
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("svc::")).collect();
    assert!(
        !rows.is_empty() && rows.iter().all(|l| !l.contains("regressed")),
        "{table}"
    );
    assert!(table.contains("(whole program)"), "{table}");
}

#[test]
fn a_diff_against_another_program_is_refused() {
    let project = project();
    let mut other = record("other", &program(), 5, 3);
    other.name = "tool".to_owned();
    other.command = vec!["target/release/tool".to_owned()];
    project.write_record(&other);
    trouble(
        &project,
        &["flamegraph", "--diff", "main"],
        "error: baseline main and record other are not the same program: program \"app\" vs \"tool\" (--allow-mismatch compares them anyway)",
    );
    project
        .perf()
        .args([
            "flamegraph",
            "--diff",
            "main",
            "--allow-mismatch",
            "-o",
            "-",
        ])
        .assert()
        .code(0)
        .stdout(contains("db::query"));
}

/// The session's wall time that no instrumented call covered is a frame
/// of its own, and the subtitle gives both figures.
#[test]
fn the_wall_time_outside_instrumented_calls_has_a_frame() {
    let project = Project::new();
    // 60 ms of wall time, 55 ms in app::handler and its callee.
    let run = write_run(&project, "20261123T091803-app", None);
    let output = project
        .perf()
        .args(["flamegraph", run.to_str().unwrap(), "-o", "-"])
        .assert()
        .code(0);
    let svg = stdout(&output);
    assert!(
        svg.contains("wall 60.0 ms, recorded 55.0 ms ([uninstrumented]: the rest)"),
        "{svg}"
    );
    let (title, _) = frame(&svg, "[uninstrumented]");
    assert_eq!(
        title,
        "[uninstrumented] (5.00 ms/run of the wall time in no instrumented call, 8.3% of 60.0 ms/run)"
    );
    let (all, _) = frame(&svg, "all");
    assert!(all.starts_with("all (60.0 ms/run in all"), "{all}");
    // A filtered picture is part of the calls: no such frame.
    let output = project
        .perf()
        .args(["flamegraph", run.to_str().unwrap(), "-o", "-"])
        .args(["--filter", "db::query"])
        .assert()
        .code(0);
    assert!(!stdout(&output).contains("[uninstrumented]"));
}

#[test]
fn cpu_samples_of_a_run_file() {
    let project = Project::new();
    let run = write_run(
        &project,
        "20261123T091803-app",
        Some("main;app::handler;db::query 5\nmain;app::handler;<Vec<u8> as Clone>::clone 1\n"),
    );
    let output = project
        .perf()
        .args(["flamegraph", run.to_str().unwrap(), "--metric", "cpu"])
        .assert()
        .code(0);
    let written = run.with_file_name("flamegraph-cpu.svg");
    assert_eq!(
        stdout(&output),
        format!("flamegraph: {}\n", written.display())
    );
    let svg = std::fs::read_to_string(written).unwrap();
    assert!(svg.contains("app: CPU samples by call stack"));
    assert!(svg.contains("6 samples over 1 run"), "{svg}");
    // Spaces in names are drawn as no-break spaces (a space ends a folded stack).
    assert!(svg.contains("&lt;Vec&lt;u8&gt;\u{a0}as\u{a0}Clone&gt;::clone"));
    // The run read as a record carries the stacks.
    project
        .perf()
        .args([
            "flamegraph",
            run.parent().unwrap().to_str().unwrap(),
            "-o",
            "-",
        ])
        .assert()
        .code(0)
        .stdout(contains("db::query"));
}

#[test]
fn trouble_names_the_record_and_writes_nothing() {
    let project = project();
    trouble(
        &project,
        &["flamegraph", "20990101T000000-x"],
        "no record \"20990101T000000-x\"",
    );
    trouble(
        &project,
        &["flamegraph", "--diff", "release"],
        "no baseline \"release\": ",
    );
    trouble(
        &project,
        &["flamegraph", "--metric", "cpu"],
        "record.json: record cur has no CPU samples: build the program with perf-core's `cpu` feature",
    );
    trouble(
        &project,
        &["flamegraph", "--metric", "instructions"],
        "record.json: record cur has no instruction counts: make one with `cargo perf record --instructions`",
    );
    trouble(
        &project,
        &["flamegraph", "-o", "no/such/dir/x.svg"],
        "cannot write no/such/dir/x.svg: no such file or directory",
    );
    let mut untracked = record("untracked", &program(), 10, 3);
    untracked.alloc_tracking = false;
    project.write_record(&untracked);
    trouble(
        &project,
        &["flamegraph", "--metric", "alloc"],
        "record untracked has no allocation figures: make perf_core::PerfAlloc the program's #[global_allocator]",
    );
    trouble(
        &project,
        &[
            "flamegraph",
            "untracked",
            "--metric",
            "alloc",
            "--diff",
            "main",
        ],
        "record untracked has no allocation figures",
    );
}

#[test]
fn a_malformed_cpu_folded_is_named_with_its_line() {
    let project = Project::new();
    let run = write_run(&project, "r1", Some("main;a 3\nmain;b three\n"));
    trouble(
        &project,
        &["flamegraph", run.to_str().unwrap()],
        &format!(
            "{}: line 2: \"three\" is not a sample count",
            run.with_file_name("cpu.folded").display()
        ),
    );
}

#[test]
fn an_instruction_record_is_drawn_by_self_instructions_and_coloured_by_instr_per_call() {
    let project = Project::new();
    let instructions = |id: &str, query: f64| {
        let mut record = record(id, &program(), 1, 1);
        record.instructions = true;
        for stack in &mut record.stacks {
            stack.weight.self_instructions = match stack.frames.last().map(String::as_str) {
                Some("db::query") => query,
                _ => 1_000.0,
            };
        }
        for function in &mut record.functions {
            let value = if function.name == "db::query" {
                query
            } else {
                1_000.0
            };
            function.samples.insert(
                perf_format::schema::record::Metric::InstructionsPerCall,
                vec![value],
            );
        }
        record
    };
    project.write_baseline("main", &instructions("base", 4_000.0));
    project.write_record(&instructions("cur", 4_400.0));
    project
        .perf()
        .args(["flamegraph", "--metric", "instructions", "--diff", "main"])
        .assert()
        .code(0);
    let svg = std::fs::read_to_string(
        project
            .path()
            .join("target/perf/records/cur/flamegraph-instructions-diff-main.svg"),
    )
    .unwrap();
    assert!(svg.contains("instructions"), "{svg}");
    let (title, _) = frame(&svg, "db::query");
    assert!(
        title.contains("; total instr/call 4,000 → 4,400, +10.0% vs main: regressed"),
        "{title}"
    );
    // Its times ran under Valgrind: the picture and the command say so.
    let output = project
        .perf()
        .args(["flamegraph", "-o", "-"])
        .assert()
        .code(0)
        .stderr(contains(
            "note: record cur is an instruction record: its runs ran under Valgrind's callgrind, which slows their times down",
        ))
        .stderr(contains("`--metric instructions` draws the figures to read"));
    let svg = stdout(&output);
    assert!(
        svg.contains(
            "times slowed down by Valgrind (an instruction record): read --metric instructions"
        ),
        "{svg}"
    );
    // Its instructions are the figures to read: no note there.
    project
        .perf()
        .args(["flamegraph", "--metric", "instructions", "-o", "-"])
        .assert()
        .code(0)
        .stderr(contains("Valgrind").not());
}
