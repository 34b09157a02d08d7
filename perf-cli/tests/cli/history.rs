//! `cargo perf history` in a real git repository: records of twelve
//! commits filed, a planted +12% found at its commit and failing `detect`,
//! the history as `compare`'s baseline, its charts in the report, an
//! imported Otava file, and trouble in one line.

use std::path::Path;

use perf_format::schema::record::Record;
use predicates::str::contains;

use crate::util::{Project, git, record, service, trouble, with};

/// Where the planted regression starts.
const STEP: usize = 8;

/// A record of `service()` at `commit` (5 runs), `svc::price` 12% slower
/// from commit [`STEP`] on.
fn record_at(i: usize, commit: &str, slower: f64) -> Record {
    let funcs = with(&service(), "svc::price", |f| f.self_ns *= slower);
    let mut record = record(&format!("r{i:02}"), &funcs, 5, 100 + i as u64);
    record.name = "svc".to_owned();
    record.env.git_commit = Some(commit.to_owned());
    record
}

/// Commits in the history.
const COMMITS: usize = 16;

/// A repository of [`COMMITS`] commits, each with its record filed in the history.
fn history_project() -> (Project, Vec<String>) {
    let project = Project::new();
    let dir = project.path();
    git(dir, &["init", "--quiet", "--initial-branch=main"]);
    let mut commits = Vec::new();
    for i in 0..COMMITS {
        git(
            dir,
            &[
                "commit",
                "--quiet",
                "--allow-empty",
                "-m",
                &format!("change {i}"),
            ],
        );
        let commit = git(dir, &["rev-parse", "HEAD"]);
        let slower = if i >= STEP { 1.12 } else { 1.0 };
        let path = project.write_record(&record_at(i, &commit, slower));
        project
            .perf()
            .args(["history", "add", path.to_str().unwrap()])
            .assert()
            .code(0)
            .stdout(contains(format!("to the history of {}", &commit[..12])));
        commits.push(commit);
    }
    (project, commits)
}

#[test]
fn a_planted_step_is_found_at_its_commit_and_fails_detect() {
    let (project, commits) = history_project();
    project
        .perf()
        .args(["history", "list"])
        .assert()
        .code(0)
        .stdout(contains(format!("{COMMITS} commits with figures")));

    let output = project
        .perf()
        .args([
            "history",
            "detect",
            "--metric",
            "time/call",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["schema"], "perf-detect/1");
    let series = json["series"].as_array().unwrap();
    assert_eq!(series.len(), 5, "one series per function");
    for s in series {
        let changes = s["change_points"].as_array().unwrap();
        if s["function"] == "svc::price" {
            assert_eq!(changes.len(), 1, "{s}");
            assert_eq!(changes[0]["index"], STEP);
            assert_eq!(changes[0]["commit"], commits[STEP].as_str());
            let change = changes[0]["change_pct"].as_f64().unwrap();
            assert!((8.0..16.0).contains(&change), "{change}");
            assert_eq!(s["verdict"], "regressed");
        } else {
            // The handle's total includes price: it moves too, less.
            if s["function"] != "svc::handle" {
                assert!(changes.is_empty(), "{s}");
            }
        }
    }
    // The table names it; the threshold above the step passes.
    project
        .perf()
        .args(["history", "detect", "--metric", "time/call"])
        .assert()
        .code(1)
        .stdout(contains("svc::price"))
        .stdout(contains(&commits[STEP][..12]))
        .stdout(contains("FAILED"));
    project
        .perf()
        .args([
            "history",
            "detect",
            "--metric",
            "time/call",
            "--threshold",
            "30%",
        ])
        .assert()
        .code(0);

    // One function's series, oldest first.
    let shown = project
        .perf()
        .args([
            "history",
            "show",
            "svc::price",
            "--metric",
            "time_per_call_ns",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let points = shown[0]["points"].as_array().unwrap();
    assert_eq!(points.len(), COMMITS);
    assert_eq!(points[0]["commit"], commits[0].as_str());
}

#[test]
fn the_history_since_the_last_change_is_a_baseline() {
    let (project, commits) = history_project();
    git(
        project.path(),
        &["commit", "--quiet", "--allow-empty", "-m", "next"],
    );
    let head = git(project.path(), &["rev-parse", "HEAD"]);
    // At the new level: unchanged against the commits since the step.
    project.write_record(&record_at(COMMITS, &head, 1.12));
    project
        .perf()
        .args(["compare", "--history"])
        .assert()
        .code(0)
        .stdout(contains(format!(
            "{} commits since its last change point ({} … {})",
            COMMITS - STEP,
            &commits[STEP][..12],
            &commits[COMMITS - 1][..12]
        )));
    // 20% slower still: caught against those commits.
    project.write_record(&record_at(COMMITS + 1, &head, 1.12 * 1.2));
    project
        .perf()
        .args(["compare", "--history"])
        .assert()
        .code(1)
        .stdout(contains("svc::price"));
}

#[test]
fn the_report_draws_each_functions_series_with_its_change_marked() {
    let (project, commits) = history_project();
    let output = project
        .perf()
        .args(["report", "--history", "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(page.contains("<section id=\"history\">"));
    let charts = page.matches("<figure class=\"trend\"").count();
    assert!(charts >= 5, "{charts} charts");
    // The regressed series come first (price, and handle whose total holds
    // price's); every point links to its commit (no web remote here: to
    // the list of commits on the page).
    let titles: Vec<&str> = page
        .match_indices("<figure class=\"trend\" title=\"")
        .map(|(i, m)| {
            let rest = &page[i + m.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(
        titles[..2],
        [
            "svc::handle · total time/call",
            "svc::price · total time/call"
        ]
    );
    for commit in &commits {
        assert!(page.contains(&format!("href=\"#commit-{commit}\"")));
        assert!(page.contains(&format!("<li id=\"commit-{commit}\">")));
    }
    crate::browser::shows_history(&project, &page);
}

#[test]
fn an_otava_csv_imports_and_its_change_is_found() {
    let project = Project::new();
    git(
        project.path(),
        &["init", "--quiet", "--initial-branch=main"],
    );
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history/local_sample.csv");
    project
        .perf()
        .args(["history", "import", "--csv", csv.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout(contains("imported 10 rows of 2 series (metric1, metric2)"));
    let output = project
        .perf()
        .args(["history", "detect", "--format", "json"])
        .output()
        .unwrap();
    // metric2 falls by 12.9% at aaa6 (as Otava finds it): better, so exit 0.
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let metric2 = json["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["function"] == "metric2")
        .unwrap();
    assert_eq!(metric2["change_points"][0]["index"], 6);
    assert_eq!(metric2["change_points"][0]["commit"], "aaa6");
}

#[test]
fn a_series_creeping_up_from_zero_says_so_without_infinite_percentages() {
    let project = Project::new();
    git(
        project.path(),
        &["init", "--quiet", "--initial-branch=main"],
    );
    let csv = project.path().join("h.csv");
    let rows: String = (0..30).map(|i| format!("{i},c{i},{i}\n")).collect();
    std::fs::write(&csv, format!("time,commit,allocs\n{rows}")).unwrap();
    project
        .perf()
        .args(["history", "import", "--csv", "h.csv"])
        .assert()
        .code(0);
    let output = project.perf().args(["history", "detect"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("+∞ (from 0)"), "{stdout}");
    assert!(stdout.contains("(creeping +∞ since c0)"), "{stdout}");
    assert!(!stdout.contains("inf"), "{stdout}");
}

/// The change points `history detect --format json` finds in `function`,
/// and its exit code.
fn detected(project: &Project, function: &str, args: &[&str]) -> (Vec<u64>, Option<i32>) {
    let output = project
        .perf()
        .args(["history", "detect", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let series = json["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["function"] == function)
        .unwrap();
    let indexes = series["change_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["index"].as_u64().unwrap())
        .collect();
    (indexes, output.status.code())
}

/// Otava's TigerBeetle series, in Otava's CSV layout.
fn tigerbeetle_csv() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history/tigerbeetle.csv")
}

/// A new repository with Otava's TigerBeetle series imported, `args` added
/// to the import.
fn tigerbeetle(args: &[&str]) -> Project {
    let csv = tigerbeetle_csv();
    let project = Project::new();
    git(
        project.path(),
        &["init", "--quiet", "--initial-branch=main"],
    );
    project
        .perf()
        .args(["history", "import", "--csv", csv.to_str().unwrap()])
        .args(args)
        .assert()
        .code(0);
    project
}

#[test]
fn otavas_tigerbeetle_throughput_reads_as_otava_reads_it() {
    // Apache Otava's TigerBeetle demo series (perf-stats/tests/data/README.md):
    // Otava finds [15, 71]; a −41% outlier sits at 10.
    let as_time = tigerbeetle(&[]);
    // Read as a time, the 19% rise at 71 is the newest change: a regression.
    assert_eq!(
        detected(&as_time, "throughput", &[]),
        (vec![15, 71], Some(1))
    );
    // Throughput: the rise is better; kept with the import.
    let throughput = tigerbeetle(&["--higher-is-better", "throughput"]);
    assert_eq!(
        detected(&throughput, "throughput", &[]),
        (vec![15, 71], Some(0))
    );
    let (every, code) = detected(&throughput, "throughput", &["--all"]);
    assert!(every.len() > 2 && every.contains(&15) && every.contains(&71) && code == Some(0));
    assert!(!every.contains(&10), "{every:?}");
    let (twenty, _) = detected(&throughput, "throughput", &["--min-change", "20%"]);
    assert!(
        twenty.is_empty() || twenty == [71] || twenty == [15],
        "{twenty:?}"
    );
    // Imported again, the import is the file: its 365 rows once, and the
    // direction as the last import said.
    let again = tigerbeetle(&[]);
    let csv = tigerbeetle_csv();
    again
        .perf()
        .args(["history", "import", "--csv", csv.to_str().unwrap()])
        .args(["--higher-is-better", "throughput"])
        .assert()
        .code(0);
    assert_eq!(detected(&again, "throughput", &[]), (vec![15, 71], Some(0)));
    let shown = again
        .perf()
        .args(["history", "show", "throughput", "--format", "json"])
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown.to_string().matches("\"tb364\"").count(), 1, "{shown}");
    // A column the file does not have is refused.
    trouble(
        &throughput,
        &[
            "history",
            "import",
            "--csv",
            csv.to_str().unwrap(),
            "--higher-is-better",
            "latency",
        ],
        "--higher-is-better \"latency\": ",
    );
}

#[test]
fn trouble_is_one_line_and_changes_nothing() {
    let project = Project::new();
    // Not a git repository.
    let csv = project.path().join("h.csv");
    std::fs::write(&csv, "time,commit,a\nt,c1,1\n").unwrap();
    trouble(&project, &["history", "list"], "is not in a git repository");
    git(
        project.path(),
        &["init", "--quiet", "--initial-branch=main"],
    );
    // A bad row, named by its line.
    std::fs::write(&csv, "time,commit,a\nt,c1,1\nt,c2,fast\n").unwrap();
    trouble(
        &project,
        &["history", "import", "--csv", "h.csv"],
        "h.csv, line 3: a: \"fast\" is not a number",
    );
    // A commit twice, and an import's name that is not a line of text.
    std::fs::write(&csv, "time,commit,a\nt,c1,1\nt,c1,2\n").unwrap();
    trouble(
        &project,
        &["history", "import", "--csv", "h.csv"],
        "h.csv, line 3: commit \"c1\" has a row already on line 2",
    );
    std::fs::write(&csv, "time,commit,a\nt,c1,1\n").unwrap();
    for name in ["", "two\nlines"] {
        trouble(
            &project,
            &["history", "import", "--csv", "h.csv", "--name", name],
            "an import's name must be a line of visible text",
        );
    }
    // A record of a dirty working tree, or of no commit.
    git(
        project.path(),
        &["commit", "--quiet", "--allow-empty", "-m", "one"],
    );
    let head = git(project.path(), &["rev-parse", "HEAD"]);
    let mut dirty = record_at(0, &format!("{head}-dirty"), 1.0);
    dirty.env.git_dirty = true;
    let path = project.write_record(&dirty);
    trouble(
        &project,
        &["history", "add", path.to_str().unwrap()],
        "uncommitted changes",
    );
    // An empty history has nothing to detect.
    trouble(&project, &["history", "detect"], "the history is empty");
    // A corrupt note is named by its commit and line.
    git(
        project.path(),
        &["notes", "--ref", "perf", "add", "-m", "not json", &head],
    );
    trouble(
        &project,
        &["history", "list"],
        &format!(
            "the perf history note of commit {} is corrupt at line 1",
            &head[..12]
        ),
    );
}

/// How much power the history adds to the gate (the table in docs/history.md, for
/// `RUNS` of 3, 5 and 10): one function (`svc::price`,
/// half the program's self time) 5% slower, `RUNS` runs of the current
/// record, judged against one baseline record of `RUNS` runs and against
/// the history of 20 commits of `RUNS` runs each; every function with 3%
/// noise from run to run, every record on a machine of its own speed (5%
/// between sessions, 2% between runs). Fresh records every trial.
/// `cargo test --release -p perf-cli --test cli history::power -- --ignored --nocapture`
#[test]
#[ignore = "a measurement: prints rates with their intervals"]
fn power_of_the_history_as_baseline() {
    use perf_format::schema::compare::{Row, Verdict as RowVerdict};
    use perf_format::schema::history::Entry;
    use perf_format::schema::record::Metric;
    use perf_stats::gate::{Gate, compare};
    use perf_stats::history::baseline::from_entries;

    use crate::util::{Noise, record_on};

    const TRIALS: usize = 200;
    const RUNS: usize = 5;
    let noisy: Vec<_> = service()
        .into_iter()
        .map(|mut f| {
            f.noise = 0.03;
            f
        })
        .collect();
    let mut speed = Noise::new(7);
    let mut session = || (0.05 * speed.normal()).exp();
    let mut counts = [[0usize; 2]; 2]; // [baseline, history] × [A/A alarms, caught]
    for trial in 0..TRIALS {
        let seed = 10_000 + 100 * trial as u64;
        let base = record_on("base", &noisy, RUNS, seed, session());
        let history: Vec<(String, Vec<Entry>)> = (0..20)
            .map(|k| {
                let record = record_on(&format!("h{k}"), &noisy, RUNS, seed + 1 + k, session());
                (
                    format!("{:040x}", seed + k),
                    vec![perf_stats::history::entry::of_record(&record)],
                )
            })
            .collect();
        for (planted, slower) in [(0usize, 1.0), (1, 1.05)] {
            let funcs = with(&noisy, "svc::price", |f| f.self_ns *= slower);
            let current = record_on("cur", &funcs, RUNS, seed + 50 + planted as u64, session());
            let (from_history, _) = from_entries(history.clone(), &current).unwrap();
            for (side, baseline) in [(0, &base), (1, &from_history)] {
                let comparison = compare(
                    ("b", baseline),
                    ("c", &current),
                    &Gate::default(),
                    Vec::new(),
                );
                let hit = if planted == 0 {
                    comparison.failed
                } else {
                    comparison.rows.iter().filter_map(Row::judged).any(|r| {
                        r.function == "svc::price"
                            && r.metric == Metric::TimePerCall
                            && r.verdict == RowVerdict::Regressed
                    })
                };
                counts[side][planted] += usize::from(hit);
            }
        }
    }
    for (side, name) in [(0, "one baseline record"), (1, "history, 20 commits")] {
        println!(
            "{name}: A/A alarms {}/{TRIALS}, price +5% caught {}/{TRIALS}",
            counts[side][0], counts[side][1]
        );
    }
}

#[test]
fn importing_a_fifo_is_refused_not_waited_on() {
    let project = Project::new();
    git(
        project.path(),
        &["init", "--quiet", "--initial-branch=main"],
    );
    let fifo = std::ffi::CString::new(project.path().join("h.csv").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    // (`trouble` would read the FIFO to see nothing changed.)
    project
        .perf()
        .args(["history", "import", "--csv", "h.csv"])
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr("error: cannot read h.csv: not a regular file\n");
}
