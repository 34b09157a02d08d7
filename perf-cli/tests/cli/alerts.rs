//! `cargo perf alerts`: its mistakes (exit 2, one line naming the file),
//! and its rules and tests run by the real `promtool` (`check rules`,
//! `test rules`) for the examples' perf.toml and for names and paths that
//! PromQL, YAML and Go templates must not misread.
//!
//! Needs `promtool` on PATH (Debian's `prometheus`; `.ci/run` installs
//! it); without it the tests fail and say so, unless
//! `PERF_SKIP_PROMTOOL_TESTS=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Project, trouble};

/// A project whose perf.toml is the examples' (`examples/perf.toml`).
pub fn examples_project() -> Project {
    let project = Project::new();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/perf.toml");
    std::fs::copy(examples, project.path().join("perf.toml")).expect("examples/perf.toml");
    project
}

/// promtool on PATH; `None` (the test is skipped) only when
/// `PERF_SKIP_PROMTOOL_TESTS=1`.
fn promtool() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("promtool"))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() && std::env::var_os("PERF_SKIP_PROMTOOL_TESTS").is_some_and(|v| v == "1") {
        eprintln!("skipped: promtool is not installed and PERF_SKIP_PROMTOOL_TESTS=1");
        return None;
    }
    Some(found.expect(
        "the alerts tests need `promtool` on PATH: install it (Debian: `apt-get install prometheus`; \
         .ci/run does) or set PERF_SKIP_PROMTOOL_TESTS=1 to skip them",
    ))
}

/// `promtool ARGS` in `dir`, which must succeed; its stdout.
fn run_promtool(promtool: &Path, dir: &Path, args: &[&str]) -> String {
    let output = Command::new(promtool)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "promtool {args:?}: {}\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Writes the rules and tests of `project` to `dir/rules.yml` with the
/// flags `extra`, and has promtool check the rules and run the tests.
fn promtool_passes(project: &Project, config: &str, extra: &[&str], rules: usize) {
    let Some(promtool) = promtool() else { return };
    let dir = project.path().join("out");
    std::fs::create_dir_all(&dir).unwrap();
    let mut args = vec![
        "alerts",
        "--config",
        config,
        "-o",
        "out/rules.yml",
        "--tests",
    ];
    args.extend(extra);
    project.perf().args(&args).assert().success();
    let checked = run_promtool(&promtool, &dir, &["check", "rules", "rules.yml"]);
    assert!(
        checked.contains(&format!("SUCCESS: {rules} rules found")),
        "{checked}"
    );
    let tested = run_promtool(&promtool, &dir, &["test", "rules", "rules.test.yml"]);
    assert!(tested.contains("SUCCESS"), "{tested}");
    // Each rule is tested twice: above its limit and below it.
    let tests = std::fs::read_to_string(dir.join("rules.test.yml")).unwrap();
    assert_eq!(tests.matches("\n  - name: ").count(), 2 * rules, "{tests}");
}

#[test]
fn promtool_accepts_the_rules_of_the_examples_and_their_tests_pass() {
    let project = examples_project();
    promtool_passes(&project, "perf.toml", &[], 9);
}

#[test]
fn promtool_reads_odd_names_and_paths_as_they_are() {
    let project = Project::new();
    let dir = project.path().join("a {{ dir }}'s");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("perf.toml"),
        r#"
[[budget]]
function = "<impl Fmt for \"Q\">::fmt\n{{ $value }}\\"
p95 = "1ns"
p99 = "2s"
mean = "90s"
allocs_per_call = 0.5
net_bytes_per_call = -64
error_rate = "99.5%"

[[budget]]
function = "<impl Fmt for \"Q\">::fmt\n{{ $value }}\\"
p95 = "3ms"
error_rate = "0%"

[[budget]]
peak_heap = 0

[[budget]]
peak_heap = "1GiB"
"#,
    )
    .unwrap();
    promtool_passes(
        &project,
        "a {{ dir }}'s/perf.toml",
        &["--for", "1h2m3s"],
        10,
    );
}

#[test]
fn a_missing_or_wrong_perf_toml_is_trouble_naming_it() {
    let project = Project::new();
    trouble(
        &project,
        &["alerts"],
        "perf.toml: does not exist: `cargo perf alerts` turns its [[budget]] entries into alerting rules",
    );
    trouble(
        &project,
        &["alerts", "--config", "elsewhere.toml"],
        "error: elsewhere.toml: does not exist",
    );
    std::fs::write(
        project.path().join("perf.toml"),
        "[compare]\nthreshold = \"5%\"\n",
    )
    .unwrap();
    trouble(
        &project,
        &["alerts"],
        "perf.toml: has no [[budget]] entry to turn into an alerting rule",
    );
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"f\"\nerror_rate = 0.01\n",
    )
    .unwrap();
    trouble(
        &project,
        &["alerts", "-o", "rules.yml"],
        "perf.toml: line 3: [[budget]] #1 (\"f\") error_rate: a rate is written as a percentage, in quotes",
    );
}

#[test]
fn a_bad_for_or_tests_without_a_file_is_refused() {
    let project = examples_project();
    for (args, expected) in [
        (
            &["alerts", "--for", "5min"][..],
            "\"5min\" is not a Prometheus duration: write whole numbers with units, largest first",
        ),
        (
            &["alerts", "--for", "1.5m"][..],
            "\"1.5m\" is not a Prometheus duration",
        ),
        (&["alerts", "--tests"][..], "--output <FILE>"),
        (&["alerts", "--tests", "-o", "-"][..], "give -o FILE"),
    ] {
        let before = project.snapshot();
        let output = project.perf().args(args).assert().code(2);
        let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(before, project.snapshot(), "{args:?} touched a file");
    }
}

#[test]
fn check_holds_an_error_rate_against_the_failed_calls_of_a_record() {
    use perf_format::schema::record::Metric;

    let project = Project::new();
    let mut record = crate::util::record("r1", &crate::util::program(), 10, 1);
    let function = record.functions[0].name.clone();
    let calls: f64 = record.functions[0].get(Metric::Calls).unwrap().iter().sum();
    std::fs::write(
        project.path().join("perf.toml"),
        format!("[[budget]]\nfunction = {function:?}\nerror_rate = \"1%\"\n"),
    )
    .unwrap();
    // No errors in the record (as one of a perf-core that counted none): met.
    project.write_record(&record);
    let output = project.perf().args(["check"]).assert().code(0);
    let stdout = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    assert!(
        stdout.contains(&format!("{function} error rate 0% (at least 0%) ≤ 1% ok")),
        "{stdout}"
    );
    // 5% of the calls failed: exceeded for sure.
    let runs = record.runs.len();
    record.functions[0]
        .samples
        .insert(Metric::Errors, vec![0.05 * calls / runs as f64; runs]);
    project.write_record(&record);
    let output = project.perf().args(["check"]).assert().code(1);
    let stdout = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    assert!(
        stdout.contains(&format!("{function} error rate 5% (at least "))
            && stdout.contains("> 1% EXCEEDED"),
        "{stdout}"
    );
}

#[test]
fn output_onto_a_fifo_is_written_through_not_replaced() {
    use std::os::unix::fs::FileTypeExt as _;
    let project = Project::new();
    std::fs::write(
        project.path().join("perf.toml"),
        "[[budget]]\nfunction = \"app::handler\"\np95 = \"2ms\"\n",
    )
    .unwrap();
    let fifo = project.path().join("rules.fifo");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    let reading = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    project
        .perf()
        .args(["alerts", "-o", "rules.fifo"])
        .assert()
        .success();
    let read = reading.join().unwrap();
    assert!(read.contains("app::handler"), "{read}");
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced: {kind:?}");
}
