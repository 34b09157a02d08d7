//! The gate's outputs: `compare` in every format and with its flags,
//! `check`, `baseline show` and `list`, and `records`.

use perf_format::schema::record::{Metric, Record};

use super::bless::check;
use super::{perf, stdout};
use crate::util::{Func, Project, program, record, with};

/// The program of the gate's goldens: `app::handler` serving a page with
/// ten queries, a render that formats, a parser, a check of the session, a
/// route, a log line and a cache.
pub(super) fn app() -> Vec<Func> {
    let mut funcs = program();
    funcs.push(Func::new(
        "app::parse",
        Some("app::handler"),
        100.0,
        5_000.0,
    ));
    funcs.push(Func::new("app::auth", Some("app::handler"), 100.0, 1_500.0));
    funcs.push(Func::new("app::route", Some("app::handler"), 100.0, 600.0));
    let mut log = Func::new("app::log", Some("app::handler"), 100.0, 3_000.0);
    // A noisy function: a small change in it is more than ten runs decide.
    log.noise = 0.2;
    funcs.push(log);
    funcs.push(Func::new("cache::get", Some("app::handler"), 100.0, 800.0));
    funcs
}

/// `app` after a change: `db::query` 10% slower (its callers follow),
/// `app::format` one allocation more per call, `app::parse` 20% faster,
/// `app::log` 4% slower in its noise, `cache::get` gone and `cache::warm`
/// new.
pub(super) fn changed() -> Vec<Func> {
    let funcs = with(&app(), "db::query", |f| f.self_ns *= 1.10);
    let funcs = with(&funcs, "app::format", |f| f.allocs += 1.0);
    let funcs = with(&funcs, "app::parse", |f| f.self_ns *= 0.8);
    let mut funcs = with(&funcs, "app::log", |f| f.self_ns *= 1.04);
    funcs.retain(|f| f.name != "cache::get");
    funcs.push(Func::new(
        "cache::warm",
        Some("app::handler"),
        1.0,
        40_000.0,
    ));
    funcs
}

/// A record of `funcs`, its runs' peak heap `peak` bytes.
fn with_peak(mut record: Record, peak: u64) -> Record {
    for (i, run) in record.runs.iter_mut().enumerate() {
        run.peak_heap_bytes = Some(peak + (i as u64 % 3) * 4_096);
    }
    record
}

/// Budgets of `app`: two met, two exceeded.
const BUDGETS: &str = r#"[[budget]]
function = "app::handler"
p95 = "2ms"

[[budget]]
function = "db::query"
mean = "52us"

[[budget]]
function = "app::format"
allocs_per_call = 1

[[budget]]
peak_heap = "64MiB"
"#;

/// A project with baseline `main` (record `20261101T000000-app`), the
/// changed program as the latest record (`20261123T091803-app`, with CPU
/// samples), and [`BUDGETS`] in perf.toml.
pub(super) fn project() -> Project {
    let project = Project::new();
    let mut base = with_peak(record("20261101T000000-app", &app(), 10, 1), 6_291_456);
    add_cpu_samples(&mut base, 27.0);
    // `cache::warm` is new since.
    base.cpu_stacks
        .retain(|s| !s.frames.iter().any(|f| f == "cache::warm"));
    project.write_baseline("main", &base);
    let mut current = with_peak(
        record("20261123T091803-app", &changed(), 10, 2),
        6_291_456 + 65_536,
    );
    current.created_at = "2026-11-23T09:18:03Z".to_owned();
    current.env.started_at = "2026-11-23T09:18:03.117Z".to_owned();
    current.env.git_commit = Some("5a37189f0c1d5f6e2b3a4c5d6e7f8091a2b3c4d5".to_owned());
    current.env.git_dirty = true;
    add_cpu_samples(&mut current, 30.0);
    project.write_record(&current);
    std::fs::write(project.path().join("perf.toml"), BUDGETS).unwrap();
    project
}

/// CPU samples as perf-core's `cpu` feature records them: stacks by thread
/// (`query` samples a run in `db::query`'s copy), and each function's share
/// of them.
fn add_cpu_samples(record: &mut Record, query: f64) {
    use perf_format::stacks::{SampleCount, Stack};
    let stack = |frames: &[&str], samples: f64| Stack {
        frames: frames.iter().map(|f| (*f).to_owned()).collect(),
        weight: SampleCount { samples },
    };
    record.cpu_stacks = vec![
        stack(&["main", "app::handler", "db::query", "memcpy"], query),
        stack(&["main", "app::handler", "db::query"], 8.0),
        stack(&["main", "app::handler", "app::render", "app::format"], 6.0),
        stack(&["main", "app::handler", "app::render"], 4.0),
        stack(&["main", "app::handler", "app::parse"], 3.0),
        stack(&["main", "app::handler"], 2.0),
        stack(&["worker-1", "std::thread::run", "cache::warm"], 1.0),
    ];
    for function in &mut record.functions {
        let share = match function.name.as_str() {
            "app::handler" => 0.98,
            "db::query" => 0.70,
            "app::render" => 0.19,
            "app::format" => 0.11,
            "app::parse" => 0.06,
            _ => continue,
        };
        function.samples.insert(Metric::CpuShare, vec![share; 10]);
    }
}

#[test]
fn golden_compare_in_every_format() {
    let project = project();
    let table = stdout(&project, &["compare", "main"], 1);
    check("compare.txt", &table);
    check(
        "compare-all.txt",
        &stdout(&project, &["compare", "main", "--all"], 1),
    );
    check(
        "compare-color.txt",
        &stdout(&project, &["--color", "always", "compare", "main"], 1),
    );
    check(
        "compare.md",
        &stdout(&project, &["compare", "main", "--format", "markdown"], 1),
    );
    check(
        "compare.json",
        &stdout(&project, &["compare", "main", "--format", "json"], 1),
    );
    check(
        "compare-filtered.txt",
        &stdout(&project, &["compare", "main", "--filter", "app::"], 1),
    );
}

#[test]
fn golden_check_in_every_format() {
    let project = project();
    check("check.txt", &stdout(&project, &["check"], 1));
    check(
        "check.md",
        &stdout(&project, &["check", "--format", "markdown"], 1),
    );
    check(
        "check.json",
        &stdout(&project, &["check", "--format", "json"], 1),
    );
}

#[test]
fn golden_baselines_and_records() {
    let project = project();
    project.write_baseline(
        "before-cache",
        &record("20261020T120000-app", &program(), 5, 3),
    );
    check(
        "baseline-show.txt",
        &stdout(&project, &["baseline", "show", "main"], 0),
    );
    check(
        "baseline-list.txt",
        &stdout(&project, &["baseline", "list"], 0),
    );
    check("records.txt", &stdout(&project, &["records"], 0));
}

/// `baseline show` of the other kinds of record: an instruction record
/// (one run: no spread) and criterion benchmarks (criterion's own
/// estimate as the headline), imported from the criterion fixtures and
/// given this fixture's machine, id and time.
#[test]
fn golden_baseline_show_of_instructions_and_criterion() {
    let project = Project::new();
    project.write_baseline("main", &fixture("service-instructions-main"));
    check(
        "baseline-show-instructions.txt",
        &stdout(&project, &["baseline", "show", "main"], 0),
    );
    let criterion =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/criterion-current");
    stdout(
        &project,
        &["import", "criterion", criterion.to_str().unwrap()],
        0,
    );
    let records = project.path().join("target/perf/records");
    let id = std::fs::read_to_string(records.join("latest")).unwrap();
    let mut imported: Record =
        perf_format::files::load(&records.join(id.trim()).join("record.json")).unwrap();
    imported.id = "20261101T000000-criterion".to_owned();
    imported.created_at = "2026-11-01T00:00:00Z".to_owned();
    imported.env = crate::util::environment();
    project.write_baseline("criterion", &imported);
    check(
        "baseline-show-criterion.txt",
        &stdout(&project, &["baseline", "show", "criterion"], 0),
    );
}

/// Baseline `main` of another build than the latest record: perf-core's
/// `heap` feature turned on since.
fn mismatched() -> Project {
    let project = Project::new();
    let mut base = record("20261101T000000-app", &program(), 10, 1);
    base.env.perf_features = Some(vec!["enabled".to_owned()]);
    project.write_baseline("main", &base);
    let slower = with(&program(), "db::query", |f| f.self_ns *= 1.5);
    let mut current = record("20261123T093000-app", &slower, 10, 2);
    current.env.perf_features = Some(vec!["enabled".to_owned(), "heap".to_owned()]);
    project.write_record(&current);
    project
}

#[test]
fn golden_a_mismatch_refused_and_allowed() {
    let project = mismatched();
    let (out, refused) = perf(&project, &["compare", "main"], 2);
    assert_eq!(out, "");
    check("compare-mismatch-refused.txt", &refused);
    check(
        "compare-mismatch-allowed.txt",
        &stdout(&project, &["compare", "main", "--allow-mismatch"], 1),
    );
}

/// An instruction record of `app` (one run, as `record --instructions`
/// makes by default), `db::query` running `query` instructions a call.
pub(super) fn instructions(id: &str, query: f64) -> Record {
    let mut record = record(id, &program(), 1, 1);
    record.instructions = true;
    let own = |name: &str| match name {
        "db::query" => query,
        "app::format" => 1_200.0,
        "app::render" => 3_500.0,
        _ => 2_000.0,
    };
    for stack in &mut record.stacks {
        let name = stack.frames.last().expect("a frame").clone();
        stack.weight.self_instructions = own(&name) * stack.weight.calls;
    }
    let total = |name: &str| match name {
        "app::handler" => own("app::handler") + 10.0 * query + own("app::render") + 5.0 * 1_200.0,
        "app::render" => own("app::render") + 5.0 * 1_200.0,
        name => own(name),
    };
    for function in &mut record.functions {
        let (own, total) = (own(&function.name), total(&function.name));
        for (metric, value) in [
            (Metric::InstructionsPerCall, total),
            (Metric::SelfInstructionsPerCall, own),
            (Metric::EstCyclesPerCall, (total * 1.37).round()),
            (Metric::SelfEstCyclesPerCall, (own * 1.37).round()),
        ] {
            function.samples.insert(metric, vec![value]);
        }
    }
    record
}

/// Baseline `main-instructions` and a latest instruction record whose
/// `db::query` runs 2% more instructions.
pub(super) fn instruction_project() -> Project {
    let project = Project::new();
    project.write_baseline(
        "main-instructions",
        &instructions("20261101T000000-app", 40_000.0),
    );
    project.write_record(&instructions("20261123T094500-app", 40_800.0));
    project
}

#[test]
fn golden_an_instruction_comparison() {
    let project = instruction_project();
    check(
        "compare-instructions.txt",
        &stdout(&project, &["compare", "main-instructions"], 1),
    );
}

/// A record of `perf-cli/tests/fixtures/golden/NAME.json`.
pub(super) fn fixture(name: &str) -> Record {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/golden")
        .join(format!("{name}.json"));
    perf_format::files::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// The docs' story: records of the `checkout` example as `cargo perf
/// record --example checkout` made them on this project's 2-core VM, saved
/// as baseline `main`, then with `CHECKOUT_REGRESSION=slow` (real runs: the
/// README's and gate.md's figures).
fn checkout_project() -> Project {
    let project = Project::new();
    project.write_baseline("main", &fixture("checkout-main"));
    project.write_record(&fixture("checkout-slow"));
    project
}

#[test]
fn golden_the_checkout_comparison_of_the_docs() {
    let project = checkout_project();
    check(
        "checkout-compare.txt",
        &stdout(&project, &["compare", "main"], 1),
    );
    check(
        "checkout-flamegraph-time-diff.svg",
        &stdout(&project, &["flamegraph", "--diff", "main", "-o", "-"], 0),
    );
}

/// instructions.md's comparison: instruction records of the `service`
/// test program (`cargo perf record --instructions --bin service -p
/// perf-e2e -- --requests 200`, saved as `main`), then with 1% more work
/// in `price` (`-- --requests 200 --slow price:1`).
#[test]
fn golden_the_instruction_comparison_of_the_docs() {
    let project = Project::new();
    project.write_baseline("main", &fixture("service-instructions-main"));
    project.write_record(&fixture("service-instructions-slow"));
    check(
        "service-compare-instructions.txt",
        &stdout(&project, &["compare"], 1),
    );
}
