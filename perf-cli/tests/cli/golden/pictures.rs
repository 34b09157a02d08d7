//! The pictures: `flamegraph` by each metric and against a baseline, and
//! the `report` page.

use super::bless::check;
use super::gate;
use super::{readable_pictures, stdout};

#[test]
fn golden_flamegraphs_of_each_metric_and_against_a_baseline() {
    let project = gate::project();
    for (metric, name) in [
        ("time", "flamegraph-time.svg"),
        ("alloc", "flamegraph-alloc.svg"),
        ("cpu", "flamegraph-cpu.svg"),
    ] {
        check(
            name,
            &stdout(&project, &["flamegraph", "--metric", metric, "-o", "-"], 0),
        );
    }
    check(
        "flamegraph-time-diff.svg",
        &stdout(&project, &["flamegraph", "--diff", "main", "-o", "-"], 0),
    );
    for (metric, name) in [
        ("alloc", "flamegraph-alloc-diff.svg"),
        ("cpu", "flamegraph-cpu-diff.svg"),
    ] {
        check(
            name,
            &stdout(
                &project,
                &[
                    "flamegraph",
                    "--metric",
                    metric,
                    "--diff",
                    "main",
                    "-o",
                    "-",
                ],
                0,
            ),
        );
    }
    check(
        "flamegraph-time-filtered.svg",
        &stdout(
            &project,
            &["flamegraph", "--filter", "app::render", "-o", "-"],
            0,
        ),
    );
    let project = gate::instruction_project();
    check(
        "flamegraph-instructions.svg",
        &stdout(
            &project,
            &["flamegraph", "--metric", "instructions", "-o", "-"],
            0,
        ),
    );
    check(
        "flamegraph-instructions-diff.svg",
        &stdout(
            &project,
            &[
                "flamegraph",
                "--metric",
                "instructions",
                "--diff",
                "main-instructions",
                "-o",
                "-",
            ],
            0,
        ),
    );
}

#[test]
fn golden_report() {
    let project = gate::project();
    check(
        "report.html",
        &readable_pictures(&stdout(&project, &["report", "-o", "-"], 0)),
    );
}
