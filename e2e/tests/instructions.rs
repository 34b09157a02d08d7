//! `cargo perf record --instructions` on a real program: `known_counts` is
//! built with `--cfg perf_instructions` (into `<target>/perf-instructions`),
//! each run goes through Valgrind's callgrind, and its per-call instruction
//! counts are checked against values known in advance (a loop of exactly
//! `BODY` instructions per iteration, see `perf_e2e::known`); then the gate
//! on two such records.
//!
//! Valgrind must be installed; with `PERF_SKIP_VALGRIND_TESTS=1` the tests
//! say they are skipped and pass.

use std::io::Write as _;
use std::sync::Mutex;

use perf_cli::{CargoBuild, CargoTarget, RecordOptions, Target, record};
use perf_e2e::known::{BODY, N};
use perf_format::layout::Layout;
use perf_format::schema::compare::{Cause, Comparison, Judged, Method, Row, Verdict};
use perf_format::schema::record::{Kind, Metric, Record};
use perf_stats::gate::{Gate, compare};

/// The tests build into one target directory and run Valgrind, slow and
/// single-threaded: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Whether Valgrind tests run; says why not when they do not, on the
/// process's stderr itself (the test harness hides what passing tests
/// print with `eprintln!`).
fn valgrind_tests_run(test: &str) -> bool {
    if std::env::var_os("PERF_SKIP_VALGRIND_TESTS").is_some_and(|v| v == "1") {
        let _ = writeln!(
            std::io::stderr(),
            "skipped {test}: PERF_SKIP_VALGRIND_TESTS=1 (it runs a program under Valgrind's callgrind)"
        );
        return false;
    }
    true
}

/// An instruction record of `runs` runs of `known_counts EXTRA`, under `dir`.
fn record_known_counts(dir: &std::path::Path, runs: usize, extra: u64) -> perf_cli::Recorded {
    record_known_counts_with(dir, runs, vec![extra.to_string()])
}

/// An instruction record of `runs` runs of `known_counts ARGS`, under `dir`.
fn record_known_counts_with(
    dir: &std::path::Path,
    runs: usize,
    args: Vec<String>,
) -> perf_cli::Recorded {
    let options = RecordOptions {
        runs,
        warmup: 0,
        name: None,
        target: Target::Cargo {
            kind: CargoTarget::Bin,
            name: "known_counts".to_owned(),
            build: CargoBuild {
                package: Some("perf-e2e".to_owned()),
                ..CargoBuild::default()
            },
            args,
        },
        quiet: true,
        instructions: true,
    };
    record(&Layout::new(dir, dir), &options).expect("an instruction record of known_counts")
}

/// The samples of `metric` of `known_counts::<function>`.
fn samples(record: &Record, function: &str, metric: Metric) -> Vec<f64> {
    let name = format!("known_counts::{function}");
    let function = record.function(&name).unwrap_or_else(|| panic!("{name}"));
    function
        .get(metric)
        .unwrap_or_else(|| panic!("{name}: no {metric}"))
        .to_vec()
}

/// The first run's value of `metric` of `function`, every run within
/// 0.001% of it.
fn steady(record: &Record, function: &str, metric: Metric) -> f64 {
    let values = samples(record, function, metric);
    assert!(
        values
            .iter()
            .all(|&v| (v - values[0]).abs() <= 1e-5 * values[0].abs()),
        "{function} {metric} moved by more than 0.001% between runs of unchanged code: {values:?}"
    );
    values[0]
}

/// The one value of `metric` of `function`, the same in every run.
fn exact(record: &Record, function: &str, metric: Metric) -> f64 {
    let values = samples(record, function, metric);
    assert!(
        values.iter().all(|&v| v == values[0]),
        "{function} {metric} moved between runs of unchanged code: {values:?}"
    );
    values[0]
}

fn judged<'a>(comparison: &'a Comparison, function: &str, metric: Metric) -> &'a Judged {
    let name = format!("known_counts::{function}");
    comparison
        .rows
        .iter()
        .filter_map(Row::judged)
        .find(|r| r.function == name && r.metric == metric)
        .unwrap_or_else(|| panic!("no row {name} {metric}"))
}

#[test]
fn counts_per_call_are_known_in_advance_and_the_same_in_every_run() {
    if !valgrind_tests_run("counts_per_call_are_known_in_advance_and_the_same_in_every_run") {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let recorded = record_known_counts(dir.path(), 2, 0);
    let record = &recorded.record;
    assert!(record.instructions);
    assert_eq!(record.runs.len(), 2);

    let ir = |function| exact(record, function, Metric::InstructionsPerCall);
    let self_ir = |function| exact(record, function, Metric::SelfInstructionsPerCall);
    // N more iterations are BODY × N more instructions, to the instruction:
    // the fixed cost of a call (its slot, perf's closure, the function's
    // frame) is the same in each.
    if cfg!(target_arch = "x86_64") {
        assert_eq!(ir("twice") - ir("once"), (BODY * N) as f64);
        assert_eq!(ir("thrice") - ir("twice"), (BODY * N) as f64);
    }
    // That fixed cost is small: a few dozen instructions.
    let fixed = ir("once") - (BODY * N) as f64;
    assert!((0.0..100.0).contains(&fixed), "fixed cost per call {fixed}");
    // Leaves are all self; `tweaked` with EXTRA 0 is `once`'s loop.
    for leaf in ["once", "twice", "thrice", "tweaked"] {
        assert_eq!(self_ir(leaf), ir(leaf), "{leaf}");
    }
    assert!((ir("tweaked") - ir("once")).abs() < 10.0);
    // `outer` pays for `once` in its total, not in its self: its self is
    // its own loop, its fixed cost and what calling an instrumented
    // function costs the caller (perf's guard, ≈ 75 instructions).
    assert_eq!(ir("outer") - self_ir("outer"), ir("once"));
    let own = self_ir("outer") - (BODY * N) as f64;
    assert!(
        (0.0..300.0).contains(&own),
        "outer's own beyond its loop: {own}"
    );
    // `twice` ran on two threads: the same count per call on each.
    assert_eq!(exact(record, "twice", Metric::Calls), 6.0);
    // An async fn counts both of its polls: two loops of N, and a small
    // fixed cost (its state machine, two polls through its slot).
    let polled = ir("polled") - (2 * BODY * N) as f64;
    assert!(
        (0.0..300.0).contains(&polled),
        "polled beyond its loops: {polled}"
    );
    // A `scope!` guard and a tracing span cannot run through a slot: they
    // are counted between the callgrind dumps that mark their edges, as
    // exactly. The scope holds its loop and a few instructions; the tracing
    // span also holds tracing's own dispatch (`in_scope`, the layer's
    // bookkeeping outside perf-core), a few hundred instructions.
    let scoped = ir("scoped") - (BODY * N) as f64;
    assert!(
        (0.0..100.0).contains(&scoped),
        "scoped beyond its loop: {scoped}"
    );
    assert_eq!(self_ir("scoped"), ir("scoped"));
    let traced = ir("traced") - (BODY * N) as f64;
    assert!(
        (0.0..2_000.0).contains(&traced),
        "traced beyond its loop: {traced}"
    );
    // A scope pays for the instrumented call inside it in its total only.
    assert_eq!(ir("wrapper") - self_ir("wrapper"), ir("once"));
    // Estimated cycles count every instruction at least once. They come
    // from callgrind's cache simulation, where the layout of the stack and
    // the heap (randomised per process) can move a few misses between runs:
    // steady to 0.001%, not exact (seen: outer 2 000 214 vs 2 000 212.7).
    for function in [
        "once", "twice", "thrice", "tweaked", "outer", "polled", "scoped", "wrapper", "traced",
    ] {
        let cycles = steady(record, function, Metric::EstCyclesPerCall);
        assert!(cycles >= ir(function), "{function}: {cycles} cycles");
        steady(record, function, Metric::SelfEstCyclesPerCall);
    }

    // Each run keeps callgrind's profile beside its run.json.
    let runs = recorded.path.parent().unwrap().join("runs");
    for run in &record.runs {
        assert!(runs.join(&run.id).join("callgrind.out").is_file());
    }
}

#[test]
fn unchanged_code_compares_clean_and_1pc_more_work_is_caught_and_named() {
    if !valgrind_tests_run("unchanged_code_compares_clean_and_1pc_more_work_is_caught_and_named") {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::default();
    let baseline = record_known_counts(dir.path(), 1, 0).record;
    let unchanged = record_known_counts(dir.path(), 1, 0).record;

    // One run a side: the counts are judged exactly, and are equal.
    let same = compare(
        ("main", &baseline),
        (&unchanged.id, &unchanged),
        &gate,
        Vec::new(),
    );
    assert!(!same.failed, "{:#?}", same.rows);
    for row in same.rows.iter().filter_map(Row::judged) {
        match row.metric.kind() {
            Kind::Instructions => {
                assert!(row.gated);
                assert_eq!(row.method, Method::Exact, "{row:?}");
                if row.metric == Metric::InstructionsPerCall {
                    assert_eq!(row.change, Some(0.0), "{row:?}");
                }
                assert_eq!(row.verdict, Verdict::Unchanged, "{row:?}");
            }
            // Times under Valgrind are shown, never gated.
            Kind::Time => assert!(!row.gated, "{row:?}"),
            Kind::Count => {}
        }
    }

    // 1% more work in `tweaked`: at least 1% more of its instructions per
    // call, in extra iterations of its loop (its code is unchanged).
    let tweaked = exact(&baseline, "tweaked", Metric::InstructionsPerCall);
    let extra = (tweaked / 100.0 / BODY as f64).floor() as u64 + 1;
    let more = record_known_counts(dir.path(), 1, extra).record;
    let caught = compare(("main", &baseline), (&more.id, &more), &gate, Vec::new());
    assert!(caught.failed, "{:#?}", caught.rows);
    let row = judged(&caught, "tweaked", Metric::InstructionsPerCall);
    assert_eq!(row.verdict, Verdict::Regressed, "{row:?}");
    assert_eq!(row.cause, Some(Cause::Own));
    let change = row.change.unwrap();
    assert!((0.01..0.0101).contains(&change), "{change}");
    // Named under "where to look", and nothing else is.
    let culprits: Vec<(&str, Metric)> = caught
        .culprits()
        .map(|r| (r.function.as_str(), r.metric))
        .collect();
    assert!(
        culprits.contains(&("known_counts::tweaked", Metric::InstructionsPerCall)),
        "{culprits:?}"
    );
    assert!(
        culprits.iter().all(|(f, _)| *f == "known_counts::tweaked"),
        "{culprits:?}"
    );
}

/// Sets (or, with `None`, removes) variable `name` of this process.
///
/// # Safety
/// No other thread may read or write the environment meanwhile: the
/// tests of this binary hold [`ONE_AT_A_TIME`] around it.
unsafe fn set(name: &str, value: Option<&str>) {
    // SAFETY: the caller holds ONE_AT_A_TIME, and nothing else in this
    // binary reads the environment while it does.
    unsafe {
        match value {
            Some(value) => std::env::set_var(name, value),
            None => std::env::remove_var(name),
        }
    }
}

#[test]
fn the_users_environment_reaches_the_program_and_its_size_moves_no_count() {
    if !valgrind_tests_run("the_users_environment_reaches_the_program_and_its_size_moves_no_count")
    {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    // SAFETY: ONE_AT_A_TIME is held for the whole test.
    unsafe {
        set("KNOWN_COUNTS_EXTRA", None);
        set("PERF_TEST_FILLER", None);
    }
    let plain = record_known_counts_with(dir.path(), 1, Vec::new()).record;
    // A larger environment: every count the same, to the instruction.
    // SAFETY: as above.
    unsafe { set("PERF_TEST_FILLER", Some(&"x".repeat(777))) };
    let larger = record_known_counts_with(dir.path(), 1, Vec::new()).record;
    for function in ["once", "twice", "thrice", "tweaked", "outer"] {
        assert_eq!(
            exact(&plain, function, Metric::InstructionsPerCall),
            exact(&larger, function, Metric::InstructionsPerCall),
            "{function}"
        );
    }
    // The program reads the user's variable: 1% more turns of `tweaked`'s
    // loop (a little under 1% of its instructions), caught at the default
    // threshold.
    // SAFETY: as above.
    unsafe {
        set("PERF_TEST_FILLER", None);
        set("KNOWN_COUNTS_EXTRA", Some(&(N / 100).to_string()));
    }
    let more = record_known_counts_with(dir.path(), 1, Vec::new()).record;
    // SAFETY: as above.
    unsafe { set("KNOWN_COUNTS_EXTRA", None) };
    let change = exact(&more, "tweaked", Metric::InstructionsPerCall)
        / exact(&plain, "tweaked", Metric::InstructionsPerCall)
        - 1.0;
    assert!((0.009..0.01).contains(&change), "{change}");
    let caught = compare(
        ("main", &plain),
        (&more.id, &more),
        &Gate::default(),
        Vec::new(),
    );
    assert!(caught.failed, "{:#?}", caught.rows);
    assert_eq!(
        judged(&caught, "tweaked", Metric::InstructionsPerCall).verdict,
        Verdict::Regressed
    );
}

#[test]
fn a_program_not_built_for_counting_is_refused() {
    if !valgrind_tests_run("a_program_not_built_for_counting_is_refused") {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    // The normal build of known_counts, given as a command: no counts.
    let options = RecordOptions {
        runs: 1,
        warmup: 0,
        name: None,
        target: Target::Command(vec![env!("CARGO_BIN_EXE_known_counts").to_owned()]),
        quiet: true,
        instructions: true,
    };
    let err = record(&Layout::new(dir.path(), dir.path()), &options)
        .expect_err("a record without counts")
        .to_string();
    assert!(
        err.contains(
            "has no instruction counts: it was not built with RUSTFLAGS=\"--cfg perf_instructions\""
        ),
        "{err}"
    );
    // Nothing is kept.
    let records = dir.path().join("records");
    assert!(
        std::fs::read_dir(&records).map_or(true, |mut e| e
            .all(|e| { e.unwrap().file_name().to_string_lossy().starts_with('.') })),
        "a record was kept"
    );
}
