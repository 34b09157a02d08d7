//! One figure, one heading: the session summary a program prints and the
//! table `cargo perf baseline show` prints of the same run agree on the
//! figures they share, under the same headings and in the same format.

use std::collections::BTreeMap;
use std::process::Command;

/// A table's cells by heading, per function: columns are two or more
/// spaces apart, cells hold at most single spaces.
fn cells(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let fields = |line: &str| -> Vec<String> {
        line.trim()
            .split("  ")
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut lines = text.lines();
    let header = lines
        .by_ref()
        .map(fields)
        .find(|f| f.first().is_some_and(|h| h == "function"))
        .unwrap_or_else(|| panic!("no table in:\n{text}"));
    let mut table = BTreeMap::new();
    for line in lines {
        let row = fields(line);
        if row.len() != header.len() {
            break;
        }
        let by_heading = header.iter().cloned().zip(row.iter().cloned()).collect();
        table.insert(row[0].clone(), by_heading);
    }
    table
}

#[test]
fn the_summary_and_baseline_show_print_the_same_figures_under_the_same_headings() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_service"))
        .args(["--requests", "1500"])
        .env("PERF_DIR", dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let summary = String::from_utf8(output.stdout).unwrap();
    let id = std::fs::read_to_string(dir.path().join("runs/latest")).unwrap();
    let run = dir.path().join("runs").join(id.trim()).join("run.json");
    let record = perf_cli::load_record_file(&run).unwrap();
    let show = perf_cli::record_table(&record, 50);

    let summary_cells = cells(&summary);
    let show_cells = cells(&show);
    let handle = "service::handle";
    let (in_summary, in_show) = (&summary_cells[handle], &show_cells[handle]);
    for heading in [
        "total allocs/call",
        "self allocs/call",
        "total bytes/call",
        "self bytes/call",
    ] {
        assert_eq!(
            in_summary.get(heading),
            in_show.get(heading),
            "{heading}\nsummary:\n{summary}\nbaseline show:\n{show}"
        );
    }
    // It allocates in its callees (parse's Vec, render's String), so the
    // two headings hold two different figures.
    assert_ne!(
        in_summary["total allocs/call"],
        in_summary["self allocs/call"]
    );
    // A count over a thousand is written the same way by both.
    assert_eq!(in_summary["calls"], "1,500", "{summary}");
    assert_eq!(in_show["calls/run"], "1,500", "{show}");
}
