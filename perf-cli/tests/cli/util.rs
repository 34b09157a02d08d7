//! A temporary project per test, synthetic records with seeded noise, and
//! the `cargo-perf` binary to drive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use perf_format::schema::env::Environment;
use perf_format::schema::record::{FunctionSamples, Metric, Record, RunSummary, Source};
use perf_format::stacks::{CallCost, SampleCount, Stack};

/// A temporary directory standing in for a user's project.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Self {
        Project {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `cargo-perf` run in the project, with no outside setting leaking in.
    pub fn perf(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.perf_process())
    }

    /// [`perf`](Self::perf) as a process to start and signal.
    pub fn perf_process(&self) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-perf"));
        command
            .current_dir(self.path())
            .env_remove("PERF_DIR")
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CRITERION_HOME")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("PERF_LOG")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env("CI", "true");
        command
    }

    /// Writes `record` under `target/perf/records/<id>/` and points `latest` at it.
    pub fn write_record(&self, record: &Record) -> PathBuf {
        let records = self.path().join("target/perf/records");
        let dir = records.join(&record.id);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("record.json");
        std::fs::write(&path, serde_json::to_string_pretty(record).unwrap()).unwrap();
        std::fs::write(records.join("latest"), format!("{}\n", record.id)).unwrap();
        path
    }

    /// Writes `record` as baseline `name` in `.perf/baselines/`.
    pub fn write_baseline(&self, name: &str, record: &Record) -> PathBuf {
        let baseline = record.clone().into_baseline(name, "2026-11-01T00:00:00Z");
        let dir = self.path().join(".perf/baselines");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&baseline).unwrap()).unwrap();
        path
    }

    /// Every file under the project with its bytes: to show nothing changed.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, files);
                } else {
                    files.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
                }
            }
        }
        let mut files = BTreeMap::new();
        walk(self.path(), &mut files);
        files
    }
}

/// Runs `args`, expects trouble mentioning `expected`, and checks that the
/// error is one line and that no file changed.
pub fn trouble(project: &Project, args: &[&str], expected: &str) {
    let before = project.snapshot();
    let output = project
        .perf()
        .args(args)
        .assert()
        .code(2)
        .stdout(predicates::str::is_empty())
        .stderr(predicates::str::contains(expected));
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "one line:\n{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(before, project.snapshot(), "{args:?} touched a file");
}

/// Writes a `run.json` of one run of [`program`] (with `cpu.folded` beside
/// it when `cpu` is given) under `runs/<id>/`, and returns its path.
pub fn write_run(project: &Project, id: &str, cpu: Option<&str>) -> PathBuf {
    let dir = project.path().join("target/perf/runs").join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let function = |name: &str, calls: u64, total: u64, own: u64| {
        serde_json::json!({
            "name": name, "file": "src/app.rs", "line": 1, "calls": calls,
            "total_ns": total, "self_ns": own, "mean_ns": total / calls,
            "p50_ns": total / calls, "p95_ns": total / calls, "p99_ns": total / calls,
            "max_ns": total / calls, "cpu_ns": null, "self_allocs": calls, "total_allocs": calls,
            "self_alloc_bytes": 64 * calls, "total_alloc_bytes": 64 * calls,
        })
    };
    let node = |id: u32, parent: Option<u32>, name: &str, calls: u64, total: u64, own: u64| {
        serde_json::json!({
            "id": id, "parent": parent, "function": name, "calls": calls,
            "total_ns": total, "self_ns": own, "total_allocs": calls, "self_allocs": calls,
            "total_alloc_bytes": 64 * calls, "self_alloc_bytes": 64 * calls,
        })
    };
    let mut run = serde_json::json!({
        "schema": "perf-run/1",
        "id": id,
        "name": "app",
        "env": environment(),
        "duration_ns": 60_000_000u64,
        "alloc_tracking": true,
        "threads": [{"index": 0, "name": "main", "calls": 1_100}],
        "functions": [
            function("db::query", 1_000, 50_000_000, 50_000_000),
            function("app::handler", 100, 55_000_000, 5_000_000),
        ],
        "call_tree": [
            node(0, None, "app::handler", 100, 55_000_000, 5_000_000),
            node(1, Some(0), "db::query", 1_000, 50_000_000, 50_000_000),
        ],
        "trace": {"events": 1_100, "dropped_events": 0},
    });
    if let Some(folded) = cpu {
        std::fs::write(dir.join("cpu.folded"), folded).unwrap();
        run["cpu_profile"] = serde_json::json!({"frequency_hz": 99, "samples": 6, "stacks": 2});
    }
    let path = dir.join("run.json");
    std::fs::write(&path, serde_json::to_string_pretty(&run).unwrap()).unwrap();
    path
}

/// A project for `cargo perf report`: baseline `main`, and as the latest
/// record the same program with `db::query` 50% slower, CPU samples, and a
/// function whose name holds HTML (`<`, `&`).
pub fn report_project() -> Project {
    let mut funcs = program();
    funcs.push(Func::new(
        "<Vec<u8> as app::Encode<'_>>::encode & flush",
        Some("app::render"),
        100.0,
        3_000.0,
    ));
    let slower = with(&funcs, "db::query", |f| f.self_ns *= 1.5);
    let project = Project::new();
    project.write_baseline("main", &record("20261101T000000-app", &funcs, 10, 1));
    let mut current = record("20261123T091803-app", &slower, 10, 2);
    let stack = |frames: &[&str], samples: f64| Stack {
        frames: frames.iter().map(|f| (*f).to_owned()).collect(),
        weight: SampleCount { samples },
    };
    current.cpu_stacks = vec![
        stack(&["main", "app::handler", "db::query", "memcpy"], 30.0),
        stack(&["main", "app::handler", "app::render"], 12.0),
        stack(&["main", "app::handler"], 2.0),
    ];
    for function in &mut current.functions {
        let share = match function.name.as_str() {
            "app::handler" => 1.0,
            "db::query" => 0.68,
            "app::render" => 0.27,
            _ => continue,
        };
        function.samples.insert(Metric::CpuShare, vec![share; 5]);
    }
    project.write_record(&current);
    project
}

/// One function of a synthetic program.
#[derive(Clone, Debug)]
pub struct Func {
    pub name: &'static str,
    pub caller: Option<&'static str>,
    /// Calls per run.
    pub calls: f64,
    /// Own wall time per call, ns.
    pub self_ns: f64,
    /// Own allocations per call.
    pub allocs: f64,
    /// Relative run-to-run noise of the time (standard deviation).
    pub noise: f64,
    /// The chance that a run of it is disturbed (a lost timeslice, a cold
    /// cache): its time that run is 1.3 to 3 times as long.
    pub tail: f64,
    /// The chance that it is called at all in a run.
    pub presence: f64,
}

impl Func {
    pub fn new(name: &'static str, caller: Option<&'static str>, calls: f64, self_ns: f64) -> Self {
        Func {
            name,
            caller,
            calls,
            self_ns,
            allocs: 1.0,
            noise: 0.01,
            tail: 0.0,
            presence: 1.0,
        }
    }
}

/// A handler calling a query N times and a renderer, as in an N+1 page.
pub fn program() -> Vec<Func> {
    vec![
        Func::new("app::handler", None, 100.0, 2_000.0),
        Func::new("db::query", Some("app::handler"), 1_000.0, 50_000.0),
        Func::new("app::render", Some("app::handler"), 100.0, 20_000.0),
        Func::new("app::format", Some("app::render"), 500.0, 1_000.0),
    ]
}

/// A service whose time is spread over five functions, as most programs'.
pub fn service() -> Vec<Func> {
    vec![
        Func::new("svc::handle", None, 1_000.0, 1_000.0),
        Func::new("svc::parse", Some("svc::handle"), 1_000.0, 4_000.0),
        Func::new("svc::validate", Some("svc::handle"), 1_000.0, 3_000.0),
        Func::new("svc::price", Some("svc::handle"), 1_000.0, 12_000.0),
        Func::new("svc::render", Some("svc::handle"), 1_000.0, 4_000.0),
    ]
}

/// A deterministic stream of standard normal numbers.
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Self {
        // Hashed, so that nearby seeds start far apart in the sequence.
        let mut z = seed ^ 0x6A09_E667_F3BC_C909;
        z = (z ^ (z >> 33)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        z = (z ^ (z >> 33)).wrapping_mul(0xC4CE_B9FE_1A85_EC53);
        Noise(z ^ (z >> 33))
    }

    fn uniform(&mut self) -> f64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Box–Muller.
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// A record of `runs` runs of `funcs`, each run's times scaled by its own noise.
pub fn record(id: &str, funcs: &[Func], runs: usize, seed: u64) -> Record {
    record_on(id, funcs, runs, seed, 1.0)
}

/// As [`record`], on a machine `speed` times slower, whose speed also
/// wanders by 2% from run to run, moving every function alike.
pub fn record_on(id: &str, funcs: &[Func], runs: usize, seed: u64, speed: f64) -> Record {
    record_wandering(id, funcs, runs, seed, speed, 0.02)
}

/// As [`record_on`], with the machine's speed wandering by `wander` (a
/// standard deviation) from run to run.
pub fn record_wandering(
    id: &str,
    funcs: &[Func],
    runs: usize,
    seed: u64,
    speed: f64,
    wander: f64,
) -> Record {
    let mut noise = Noise::new(seed);
    let mut samples: BTreeMap<&str, BTreeMap<Metric, Vec<f64>>> = BTreeMap::new();
    let mut stacks_total: BTreeMap<&str, f64> = BTreeMap::new();
    let mut durations = Vec::with_capacity(runs);
    for _ in 0..runs {
        // Own time per call this run.
        let machine = speed * (wander * noise.normal()).exp();
        let own: BTreeMap<&str, f64> = funcs
            .iter()
            .map(|f| {
                let jitter = (1.0 + f.noise * noise.normal()).max(0.01);
                let disturbed = if f.tail > 0.0 && noise.uniform() < f.tail {
                    1.3 + 1.7 * noise.uniform()
                } else {
                    1.0
                };
                (f.name, machine * f.self_ns * jitter * disturbed)
            })
            .collect();
        let present: BTreeMap<&str, bool> = funcs
            .iter()
            .map(|f| (f.name, f.presence >= 1.0 || noise.uniform() < f.presence))
            .collect();
        durations.push(
            funcs
                .iter()
                .filter(|f| f.caller.is_none())
                .map(|f| total_per_run(funcs, f.name, &own))
                .sum::<f64>(),
        );
        for f in funcs {
            if !present[f.name] {
                let entry = samples.entry(f.name).or_default();
                entry.entry(Metric::Calls).or_default().push(0.0);
                continue;
            }
            let total = total_per_run(funcs, f.name, &own);
            *stacks_total.entry(f.name).or_default() += total / runs as f64;
            let children_allocs: f64 = descendants(funcs, f.name)
                .iter()
                .map(|c| c.allocs * c.calls)
                .sum();
            let entry = samples.entry(f.name).or_default();
            let mut push = |m: Metric, v: f64| entry.entry(m).or_default().push(v);
            push(Metric::Calls, f.calls);
            push(Metric::TimePerCall, total / f.calls);
            push(Metric::SelfTimePerCall, own[f.name]);
            push(Metric::P50, total / f.calls * 0.95);
            push(Metric::P95, total / f.calls * 1.2);
            push(Metric::P99, total / f.calls * 1.5);
            push(Metric::AllocsPerCall, f.allocs + children_allocs / f.calls);
            push(Metric::SelfAllocsPerCall, f.allocs);
            push(
                Metric::BytesPerCall,
                64.0 * (f.allocs + children_allocs / f.calls),
            );
            push(Metric::SelfBytesPerCall, 64.0 * f.allocs);
        }
    }
    let mut record = Record::new(
        id,
        "app",
        Source::Perf,
        "2026-11-01T00:00:00Z",
        environment(),
    );
    record.command = vec!["target/release/app".to_owned()];
    record.runs = durations
        .iter()
        .enumerate()
        .map(|(i, &wall)| RunSummary::new(format!("{id}-run{i}"), wall as u64, 1_700))
        .collect();
    record.alloc_tracking = true;
    record.functions = funcs
        .iter()
        .map(|f| {
            let mut function = FunctionSamples::new(f.name);
            function.file = Some("src/app.rs".to_owned());
            function.line = Some(1);
            function.samples = samples.remove(f.name).unwrap();
            function
        })
        .collect();
    record.stacks = funcs
        .iter()
        .map(|f| {
            let mut cost = CallCost::default();
            cost.calls = f.calls;
            cost.total_ns = stacks_total[f.name];
            cost.self_ns = f.self_ns * f.calls;
            cost.self_allocs = f.allocs * f.calls;
            cost.self_alloc_bytes = 64.0 * f.allocs * f.calls;
            Stack {
                frames: path(funcs, f.name),
                weight: cost,
            }
        })
        .collect();
    record
}

fn descendants<'a>(funcs: &'a [Func], name: &str) -> Vec<&'a Func> {
    let mut out = Vec::new();
    for f in funcs.iter().filter(|f| f.caller == Some(name)) {
        out.push(f);
        out.extend(descendants(funcs, f.name));
    }
    out
}

fn total_per_run(funcs: &[Func], name: &str, own: &BTreeMap<&str, f64>) -> f64 {
    let f = funcs.iter().find(|f| f.name == name).unwrap();
    f.calls * own[name]
        + funcs
            .iter()
            .filter(|c| c.caller == Some(name))
            .map(|c| total_per_run(funcs, c.name, own))
            .sum::<f64>()
}

fn path(funcs: &[Func], name: &str) -> Vec<String> {
    let f = funcs.iter().find(|f| f.name == name).unwrap();
    let mut frames = f.caller.map(|c| path(funcs, c)).unwrap_or_default();
    frames.push(name.to_owned());
    frames
}

/// A fixed machine, so that comparisons carry no machine notes.
pub fn environment() -> Environment {
    let mut env = Environment::default();
    env.git_commit = Some("0123456789abcdef0123456789abcdef01234567".to_owned());
    env.host = "ci".to_owned();
    env.os = "Linux".to_owned();
    env.arch = "x86_64".to_owned();
    env.cpu = Some("Test CPU".to_owned());
    env.cores = 2;
    env.started_at = "2026-11-01T00:00:00.000Z".to_owned();
    env.pid = 1;
    env.perf_version = "0.1.0".to_owned();
    env
}

/// `funcs` with `name` changed by `change`.
pub fn with(funcs: &[Func], name: &str, change: impl Fn(&mut Func)) -> Vec<Func> {
    let mut funcs = funcs.to_vec();
    change(funcs.iter_mut().find(|f| f.name == name).unwrap());
    funcs
}

/// `git ARGS` in `dir`, with an author and no user configuration.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "perf")
        .env("GIT_AUTHOR_EMAIL", "perf@example.invalid")
        .env("GIT_COMMITTER_NAME", "perf")
        .env("GIT_COMMITTER_EMAIL", "perf@example.invalid")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Rust source of `write_run`, for the tiny programs the build and `ab`
/// tests compile: it writes one run of one function, called 100 times for
/// 1 ms, into `$PERF_DIR` as perf-core would (its commit from
/// `$PERF_GIT_COMMIT`, as `ab` sets it), with `allocs` allocations and
/// `bytes` bytes in all, `slots` the call-tree node's instruction slots
/// (`""`, or `, "slots": [0]`).
pub(crate) const WRITE_RUN: &str = r##"
fn write_run(program: &str, function: &str, alloc_tracking: bool, allocs: u64, bytes: u64, slots: &str) {
    let dir = std::path::PathBuf::from(std::env::var_os("PERF_DIR").expect("PERF_DIR"));
    let commit = match std::env::var("PERF_GIT_COMMIT") {
        Ok(c) => format!("\"{c}\""),
        Err(_) => "null".to_owned(),
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let id = format!("{nanos}-{}", std::process::id());
    let run = format!(r#"{{
  "schema": "perf-run/1", "id": "{id}", "name": "{program}",
  "env": {{"git_commit": {commit}, "host": "ci", "os": "Linux", "arch": "x86_64", "cpu": null,
           "cores": 2, "started_at": "2026-11-01T00:00:00.000Z", "pid": 1,
           "debug_build": false, "perf_version": "0.1.0"}},
  "duration_ns": 2000000, "alloc_tracking": {alloc_tracking},
  "threads": [{{"index": 0, "name": "main", "calls": 100}}],
  "functions": [{{"name": "{function}", "file": "src/main.rs", "line": 1, "calls": 100,
    "total_ns": 1000000, "self_ns": 1000000, "mean_ns": 10000, "p50_ns": 10000,
    "p95_ns": 10000, "p99_ns": 10000, "max_ns": 10000, "cpu_ns": null,
    "self_allocs": {allocs}, "total_allocs": {allocs},
    "self_alloc_bytes": {bytes}, "total_alloc_bytes": {bytes}}}],
  "call_tree": [{{"id": 0, "parent": null, "function": "{function}", "calls": 100,
    "total_ns": 1000000, "self_ns": 1000000, "total_allocs": {allocs}, "self_allocs": {allocs},
    "total_alloc_bytes": {bytes}, "self_alloc_bytes": {bytes}{slots}}}],
  "trace": {{"events": 100, "dropped_events": 0}}
}}"#);
    let runs = dir.join("runs");
    std::fs::create_dir_all(runs.join(&id)).unwrap();
    std::fs::write(runs.join(&id).join("run.json"), run).unwrap();
    std::fs::write(runs.join("latest"), format!("{id}\n")).unwrap();
}
"##;

/// Polls `check` for up to 30 s.
pub fn wait_until<T>(mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = check() {
            return Some(found);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` runs (a zombie no longer does).
pub fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(") ")
            .next()
            .is_some_and(|rest| !rest.starts_with('Z'))
    })
}
