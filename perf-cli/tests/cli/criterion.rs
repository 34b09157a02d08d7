//! `cargo perf import criterion` and `cargo perf bench` on real criterion
//! output (fixtures written by criterion 0.8.2 and 0.3.2; see
//! `tests/fixtures/CRITERION-FORMATS.md`).

use std::path::{Path, PathBuf};

use predicates::str::contains;

use crate::util::Project;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn latest_record(project: &Project) -> perf_format::schema::record::Record {
    let records = project.path().join("target/perf/records");
    let id = std::fs::read_to_string(records.join("latest")).unwrap();
    let text = std::fs::read_to_string(records.join(id.trim()).join("record.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn names(record: &perf_format::schema::record::Record) -> Vec<&str> {
    record.functions.iter().map(|f| f.name.as_str()).collect()
}

#[test]
fn the_current_layout_imports_every_benchmark_with_its_samples() {
    let project = Project::new();
    project
        .perf()
        .args(["import", "criterion"])
        .arg(fixture("criterion-current"))
        .assert()
        .code(0)
        .stdout(contains("6 functions, 10 criterion samples"))
        // criterion's own headline, as it prints it: the slope (218.52 ns
        // for fib_10, where the samples' median is 220 ns), the mean for
        // flat sampling, which has no slope.
        .stdout(contains("time/iter (slope or mean)  95% CI"))
        .stdout(contains(
            "fib_10                             219 ns  [203 ns 236 ns]    slope",
        ))
        .stdout(contains(
            "flat/1k                            384 ns  [381 ns 386 ns]    mean",
        ));
    let record = latest_record(&project);
    let estimate = record.function("fib_10").unwrap().estimate.clone().unwrap();
    assert_eq!(
        estimate.kind,
        perf_format::schema::record::EstimateKind::Slope
    );
    assert!((estimate.point_ns - 218.524_728_555_902_78).abs() < 1e-9);
    let flat = record
        .function("flat/1k")
        .unwrap()
        .estimate
        .clone()
        .unwrap();
    assert_eq!(flat.kind, perf_format::schema::record::EstimateKind::Mean);
    assert_eq!(
        record.source,
        perf_format::schema::record::Source::Criterion
    );
    assert_eq!(
        names(&record),
        [
            "alloc/vec push",
            "fib_10",
            "flat/1k",
            "parse/float",
            "parse/int",
            "parse/split/64"
        ]
    );
    let fib = record.function("fib_10").unwrap();
    let samples = fib
        .get(perf_format::schema::record::Metric::TimePerCall)
        .unwrap();
    assert_eq!(samples.len(), 10);
    // times[0] / iters[0] of fib_10/new/sample.json.
    assert!(
        (samples[0] - 220.497_604_865_247_64).abs() < 1e-9,
        "{}",
        samples[0]
    );
}

#[test]
fn the_old_layout_and_paths_without_benchmark_json() {
    let project = Project::new();
    project
        .perf()
        .args(["import", "criterion"])
        .arg(fixture("criterion-old"))
        .assert()
        .code(0);
    assert_eq!(names(&latest_record(&project)), ["fib_15", "sort/vec/100"]);
    // Before 0.2.5 there was no benchmark.json: the id is the path.
    let tree = project.path().join("old");
    copy_tree(&fixture("criterion-old"), &tree);
    for dir in ["fib_15/new", "sort/vec/100/new"] {
        std::fs::remove_file(tree.join(dir).join("benchmark.json")).unwrap();
    }
    project
        .perf()
        .args(["import", "criterion", "old"])
        .assert()
        .code(0);
    assert_eq!(names(&latest_record(&project)), ["fib_15", "sort/vec/100"]);
}

#[test]
fn a_saved_criterion_baseline_is_read_by_name() {
    let project = Project::new();
    project
        .perf()
        .args([
            "import",
            "criterion",
            "--baseline",
            "mybase",
            "--name",
            "before",
        ])
        .arg(fixture("criterion-current"))
        .assert()
        .code(0);
    let record = latest_record(&project);
    assert_eq!(record.name, "before");
    assert_eq!(record.functions.len(), 6);
    project
        .perf()
        .args(["import", "criterion", "--baseline", "nosuch"])
        .arg(fixture("criterion-current"))
        .assert()
        .code(2)
        .stderr(contains(
            "no criterion benchmarks with a \"nosuch\" sample set",
        ));
}

#[test]
fn the_gate_works_on_criterion_benchmarks() {
    let project = Project::new();
    let tree = project.path().join("target/criterion");
    copy_tree(&fixture("criterion-current"), &tree);
    project
        .perf()
        .args(["import", "criterion", "--baseline", "base"])
        .assert()
        .code(0);
    project
        .perf()
        .args(["baseline", "save", "main"])
        .assert()
        .code(0);
    // parse/int gets 30% slower in criterion's latest run.
    let sample = tree.join("parse/int/new/sample.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sample).unwrap()).unwrap();
    let base: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tree.join("parse/int/base/sample.json")).unwrap(),
    )
    .unwrap();
    json["times"] = base["times"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| serde_json::json!(t.as_f64().unwrap() * 1.3))
        .collect();
    json["iters"] = base["iters"].clone();
    std::fs::write(&sample, json.to_string()).unwrap();
    project
        .perf()
        .args(["import", "criterion"])
        .assert()
        .code(0);
    project
        .perf()
        .args(["compare", "--all"])
        .assert()
        .code(1)
        .stdout(contains("parse/int: total time/call +30.0%"))
        .stdout(contains("Benjamini–Hochberg across 6 tests"))
        .stdout(contains("criterion samples are not runs of one program"));
}

#[test]
fn trouble_with_criterion_files() {
    let project = Project::new();
    project
        .perf()
        .args(["import", "criterion"])
        .assert()
        .code(2)
        .stderr(contains(
            "target/criterion: no such directory: run `cargo bench`",
        ));
    let tree = project.path().join("crit");
    copy_tree(&fixture("criterion-current"), &tree);
    std::fs::write(tree.join("fib_10/new/sample.json"), "{\"iters\": [1.0,").unwrap();
    project
        .perf()
        .args(["import", "criterion", "crit"])
        .assert()
        .code(2)
        .stderr(contains("fib_10/new/sample.json is not valid JSON"));
    std::fs::write(
        tree.join("fib_10/new/sample.json"),
        "{\"iters\": [0.0], \"times\": [5.0]}",
    )
    .unwrap();
    project
        .perf()
        .args(["import", "criterion", "crit"])
        .assert()
        .code(2)
        .stderr(contains(
            "fib_10/new/sample.json: a sample has no iterations",
        ));
    assert!(!project.path().join("target/perf/records/latest").exists());
}

/// A stand-in for cargo that plays `cargo bench`: it writes a criterion
/// tree and records its arguments, or fails.
fn fake_cargo(project: &Project, fail: bool) -> PathBuf {
    let script = project.path().join("fake-cargo");
    let body = if fail {
        "echo 'error: could not compile `app`' >&2\nexit 101\n".to_owned()
    } else {
        format!(
            "echo \"$@\" > cargo-args\nmkdir -p target/criterion\ncp -R '{}'/. target/criterion/\n",
            fixture("criterion-current").display()
        )
    };
    std::fs::write(&script, format!("#!/bin/sh\n{body}")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    script
}

#[cfg(unix)]
#[test]
fn bench_runs_cargo_bench_and_records_what_it_ran() {
    let project = Project::new();
    // An old tree: benchmarks this run did not write are left out.
    let stale = project.path().join("target/criterion/stale/new");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("sample.json"), "[[1.0],[100.0]]").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(stale.join("sample.json"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    project
        .perf()
        .env("CARGO", fake_cargo(&project, false))
        .args(["bench", "--", "--bench", "parsing", "--", "--quick"])
        .assert()
        .code(0)
        .stdout(contains("6 functions, 10 criterion samples"));
    assert_eq!(
        std::fs::read_to_string(project.path().join("cargo-args")).unwrap(),
        "bench --bench parsing -- --quick\n"
    );
    let record = latest_record(&project);
    assert_eq!(record.name, "bench");
    assert!(!names(&record).contains(&"stale"));
    assert_eq!(
        record.command,
        ["cargo", "bench", "--bench", "parsing", "--", "--quick"]
    );
}

#[cfg(unix)]
#[test]
fn bench_stops_when_cargo_bench_fails() {
    let project = Project::new();
    project
        .perf()
        .env("CARGO", fake_cargo(&project, true))
        .args(["bench"])
        .assert()
        .code(2)
        .stderr(contains(
            "`cargo bench` failed (exit status: 101): see its output above",
        ));
    assert!(!project.path().join("target/perf/records").exists());
}
