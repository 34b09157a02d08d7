//! `cargo perf report`: one self-contained page about a record. (What a
//! browser shows of it is tested in `browser.rs`.)

use predicates::str::contains;

use crate::util::{Project, program, record, report_project, trouble};

/// The page `cargo perf report ARGS` wrote, and where.
pub fn report(project: &Project, args: &[&str]) -> (String, std::path::PathBuf) {
    let output = project.perf().arg("report").args(args).assert().code(0);
    let stdout = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    let path = stdout
        .strip_prefix("report: ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("prints the path: {stdout:?}"));
    let path = project.path().join(path);
    (std::fs::read_to_string(&path).unwrap(), path)
}

#[test]
fn the_page_shows_functions_pictures_comparison_and_machine() {
    let project = report_project();
    let (page, path) = report(&project, &[]);
    assert_eq!(
        path,
        project
            .path()
            .join("target/perf/records/20261123T091803-app/report.html")
    );
    assert!(page.starts_with("<!DOCTYPE html>"));
    // Names from the record are escaped, never markup.
    assert!(
        page.contains("&lt;Vec&lt;u8&gt; as app::Encode&lt;&#39;_&gt;&gt;::encode &amp; flush")
    );
    assert!(!page.contains("<Vec<u8>"));
    for heading in [
        "calls/run",
        "total time/call",
        "p50",
        "p95",
        "p99",
        "self%",
        "total allocs/call",
        "self allocs/call",
        "total cpu%",
    ] {
        assert!(
            page.contains(&format!("<th class=\"num\">{heading}</th>")),
            "{heading}"
        );
    }
    // Time, bytes and CPU pictures, and the time, bytes and CPU differences
    // (the baseline has no CPU samples: no CPU difference).
    assert_eq!(page.matches("<iframe class=\"flamegraph\"").count(), 5);
    assert!(page.contains("Compared with main (record 20261101T000000-app)"));
    assert!(page.contains("<tr class=\"regressed\"><td class=\"fn\">db::query</td>"));
    assert!(page.contains("class=\"outcome failed\">FAILED: "));
    assert!(page.contains("<dt>CPU</dt><dd>Test CPU</dd>"));
    assert!(page.contains("<dt>commit</dt><dd>0123456789abcdef0123456789abcdef01234567</dd>"));
}

#[test]
fn the_page_fetches_nothing() {
    let project = report_project();
    let (page, _) = report(&project, &[]);
    for pattern in ["http://", "https://", "//cdn", "@import", "url("] {
        assert!(!page.contains(pattern), "the page holds {pattern:?}");
    }
    // Inside the pictures, web addresses name XML namespaces and the DTD,
    // or stand in comments and messages, never in what loads anything.
    // (`browser.rs` checks the browser's network log.)
    for svg in crate::browser::embedded_svgs(&page) {
        assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        for (at, _) in svg.match_indices("http") {
            let before = svg[..at].trim_end_matches(['"', '\'', '(', ' ']);
            for loader in ["href=", "src=", "url", "@import", "fetch", "open", "import"] {
                assert!(
                    !before.ends_with(loader),
                    "a picture loads …{}",
                    &svg[at.saturating_sub(40)..(at + 60).min(svg.len())]
                );
            }
        }
    }
}

#[test]
fn without_a_baseline_the_page_says_how_to_get_one() {
    let project = Project::new();
    let mut untracked = record("cur", &program(), 3, 1);
    untracked.alloc_tracking = false;
    project.write_record(&untracked);
    let (page, _) = report(&project, &["latest"]);
    assert!(page.contains("No baseline: save one with <code>cargo perf baseline save main</code>"));
    assert!(page.contains("No bytes allocated flamegraph: record cur has no allocation figures"));
    assert!(page.contains("No CPU samples flamegraph: record cur has no CPU samples"));
    assert_eq!(page.matches("<iframe").count(), 1);
}

#[test]
fn another_baseline_and_standard_output() {
    let project = report_project();
    project.write_baseline("release", &record("20261001T000000-app", &program(), 10, 9));
    let output = project
        .perf()
        .args(["report", "--baseline", "release", "-o", "-"])
        .assert()
        .code(0)
        .stdout(contains(
            "Compared with release (record 20261001T000000-app)",
        ));
    assert!(
        String::from_utf8_lossy(&output.get_output().stdout).ends_with("</html>\n"),
        "the page whole on standard output"
    );
    assert!(
        !project
            .path()
            .join("target/perf/records/20261123T091803-app/report.html")
            .exists()
    );
}

#[test]
fn trouble_writes_no_page() {
    let project = report_project();
    trouble(
        &project,
        &["report", "--baseline", "nightly"],
        "no baseline \"nightly\": ",
    );
    trouble(
        &project,
        &["report", "20990101T000000-x"],
        "no record \"20990101T000000-x\"",
    );
    trouble(
        &project,
        &["report", "-o", "missing/report.html"],
        "cannot write missing/report.html: no such file or directory",
    );
    let empty = Project::new();
    trouble(&empty, &["report"], "make one with `cargo perf record`");
}

/// Percentiles under a few steps of the clock are marked as bounds, in
/// the page and in `baseline show`'s table, with the step said.
#[test]
fn percentiles_near_the_clock_step_are_marked() {
    use perf_format::schema::record::Metric;
    let project = Project::new();
    let mut tiny = record("cur", &program(), 3, 2);
    tiny.env.clock_step_ns = Some(10.0);
    for function in &mut tiny.functions {
        for metric in [Metric::P50, Metric::P95, Metric::P99] {
            function.samples.insert(metric, vec![20.0; 3]);
        }
    }
    project.write_record(&tiny);
    project.write_baseline("main", &tiny);
    let (page, _) = report(&project, &[]);
    assert!(page.contains(">~20 ns<"), "{page}");
    assert!(page.contains("~ = under 5 clock steps of 10 ns: read as a bound, not a figure."));
    project
        .perf()
        .args(["baseline", "show", "main"])
        .assert()
        .code(0)
        .stdout(contains("~20 ns"))
        .stdout(contains("~ = under 5 clock steps of 10 ns"));
}
