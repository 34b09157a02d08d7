//! Many writers in one output directory at once, as a test runner with one
//! process per test or parallel CI jobs make them: every run and record is
//! kept whole under an id of its own, and `latest` names a complete one.
//!
//! Each case is repeated `PERF_REPEAT` times (default 3; 20 for a
//! thorough check).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use perf_cli::{RecordOptions, Target, record};
use perf_format::layout::{self, Layout, RECORD_JSON, run_files};
use perf_format::schema::run::RunData;

fn repeats() -> usize {
    std::env::var("PERF_REPEAT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3)
}

/// Every entry of `dir`: the ids beside `latest`, and anything else.
fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != layout::LATEST)
        .collect()
}

#[test]
fn sixteen_programs_finishing_sessions_at_once_lose_no_run() {
    for _ in 0..repeats() {
        let root = tempfile::tempdir().unwrap();
        let programs: Vec<_> = (0..16)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_workload"))
                    .arg("empty")
                    .env("PERF_DIR", root.path())
                    .env_remove("CARGO_TARGET_DIR")
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for program in programs {
            let output = program.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let runs = root.path().join(layout::RUNS);
        let ids = entries(&runs);
        assert_eq!(
            ids.len(),
            16,
            "one directory per run, nothing else: {ids:?}"
        );
        for id in &ids {
            let run = RunData::load(&runs.join(id).join(run_files::RUN_JSON)).unwrap();
            assert_eq!(&run.id, id, "run.json names its own directory");
        }
        let latest = layout::read_latest(&runs).unwrap().unwrap();
        assert!(ids.contains(&latest), "latest {latest} is one of them");
    }
}

#[test]
fn eight_records_made_at_once_are_all_kept() {
    for _ in 0..repeats() {
        let root = tempfile::tempdir().unwrap();
        let layout = Layout::new(root.path(), root.path());
        let ids: Vec<String> = std::thread::scope(|scope| {
            let makers: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        let options = RecordOptions {
                            runs: 2,
                            warmup: 0,
                            name: None,
                            target: Target::Command(vec![
                                env!("CARGO_BIN_EXE_service").to_owned(),
                                "--requests".to_owned(),
                                "20".to_owned(),
                            ]),
                            quiet: true,
                            instructions: false,
                        };
                        record(&layout, &options).unwrap().record.id
                    })
                })
                .collect();
            makers.into_iter().map(|m| m.join().unwrap()).collect()
        });
        let records = layout.records_dir();
        let kept = entries(&records);
        assert_eq!(
            kept,
            ids.iter().cloned().collect(),
            "every record, nothing else"
        );
        for id in &ids {
            assert!(
                records.join(id).join(RECORD_JSON).is_file(),
                "{id} is whole"
            );
        }
        let latest = layout::read_latest(&records).unwrap().unwrap();
        assert!(ids.contains(&latest), "latest {latest} is one of them");
    }
}
