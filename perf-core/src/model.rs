//! `run.json`: what a session writes, as serde types that readers share.
//!
//! Durations are in nanoseconds; "self" excludes time or allocations of
//! instrumented callees, "total" includes them. Recursion counts once in
//! totals: a frame whose function is already on the stack adds its calls but
//! not its time.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The schema tag of `run.json`.
pub const RUN_SCHEMA: &str = "perf-run/1";

/// A whole run: one session of one process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunData {
    /// Always [`RUN_SCHEMA`].
    pub schema: String,
    /// The run's id, also its directory name under `runs/`.
    pub id: String,
    /// The session name given to `Session::start`.
    pub name: String,
    /// Where and when the run was made.
    pub env: Environment,
    /// Wall time from session start to finish.
    pub duration_ns: u64,
    /// Whether `PerfAlloc` was the global allocator (allocation fields are 0 if not).
    pub alloc_tracking: bool,
    /// Threads that recorded calls.
    pub threads: Vec<ThreadInfo>,
    /// Per function, by self time, largest first.
    pub functions: Vec<FunctionStats>,
    /// The call tree merged over threads, parents before children; a node is
    /// one edge caller → callee reached through one path.
    pub call_tree: Vec<CallNode>,
    /// How much of the run `trace.json` shows.
    pub trace: TraceInfo,
    /// The CPU sampling of the whole process (feature `cpu`), when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_profile: Option<CpuProfileInfo>,
}

/// What CPU sampling (feature `cpu`) saw of the whole run. Its stacks are
/// in `cpu.folded` beside `run.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CpuProfileInfo {
    /// Samples asked for per second of CPU time, per thread.
    pub frequency_hz: u32,
    /// Samples taken.
    pub samples: u64,
    /// Distinct stacks among them.
    pub stacks: u64,
    /// CPU time the whole process used while sampling ran: at the asked
    /// rate it would have given `cpu_time_ns × frequency_hz / 1e9` samples;
    /// fewer arrive when the kernel's tick caps the rate, and samples taken
    /// inside the C library or the vDSO are skipped.
    #[serde(default)]
    pub cpu_time_ns: u64,
}

/// Where and when a run was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// `git rev-parse HEAD` of the working directory, when known.
    pub git_commit: Option<String>,
    /// Host name.
    pub host: String,
    /// Operating system, with its release where known.
    pub os: String,
    /// CPU architecture.
    pub arch: String,
    /// CPU model name, when known.
    pub cpu: Option<String>,
    /// Logical cores available to the process.
    pub cores: usize,
    /// Session start, RFC 3339 in UTC.
    pub started_at: String,
    /// Process id.
    pub pid: u32,
    /// Whether the program was built with debug assertions (a debug build).
    pub debug_build: bool,
    /// Version of perf-core that wrote the run.
    pub perf_version: String,
}

impl Environment {
    /// The environment of this process now: for files made outside a
    /// session, such as records imported from criterion.
    pub fn current() -> Environment {
        crate::env::capture(std::time::SystemTime::now())
    }
}

/// One thread that recorded calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadInfo {
    /// The thread's number in the trace (`tid`).
    pub index: u32,
    /// The thread's name, if it has one.
    pub name: Option<String>,
    /// Calls recorded on the thread.
    pub calls: u64,
}

/// Everything measured about one function (or scope), over all threads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionStats {
    /// `module::path::fn_name`, or the name given.
    pub name: String,
    /// Source file.
    pub file: String,
    /// Source line.
    pub line: u32,
    /// Number of calls (every frame, recursive ones too).
    pub calls: u64,
    /// Wall time inside the function, callees included, recursion once.
    pub total_ns: u64,
    /// Wall time inside the function minus its instrumented callees.
    pub self_ns: u64,
    /// Mean wall time per call.
    pub mean_ns: u64,
    /// Median wall time per call (within 1.6%).
    pub p50_ns: u64,
    /// 95th percentile of wall time per call (within 1.6%).
    pub p95_ns: u64,
    /// 99th percentile of wall time per call (within 1.6%).
    pub p99_ns: u64,
    /// Longest call.
    pub max_ns: u64,
    /// Thread CPU time, for `#[profile(cpu)]` functions; wall − CPU is time
    /// spent off the CPU (I/O, locks, sleep).
    pub cpu_ns: Option<u64>,
    /// Allocations made by the function's own code.
    pub self_allocs: u64,
    /// Allocations made during its calls, callees included.
    pub total_allocs: u64,
    /// Bytes allocated by the function's own code.
    pub self_alloc_bytes: u64,
    /// Bytes allocated during its calls, callees included.
    pub total_alloc_bytes: u64,
    /// CPU samples taken while the function ran (feature `cpu`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_samples: Option<CpuSamples>,
}

/// The CPU samples (feature `cpu`) credited to one function: those whose
/// stack holds its code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CpuSamples {
    /// Samples with the function anywhere on the stack.
    pub total: u64,
    /// Samples with the function as the innermost instrumented one on the stack.
    #[serde(rename = "self")]
    pub self_: u64,
    /// `total` as a share of all the run's samples, 0 to 1.
    pub share: f64,
}

/// One node of the merged call tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallNode {
    /// Index of this node in `call_tree`.
    pub id: u32,
    /// The caller's node, `None` for a top-level call.
    pub parent: Option<u32>,
    /// The function called.
    pub function: String,
    /// Calls along this path.
    pub calls: u64,
    /// Wall time of those calls, callees included.
    pub total_ns: u64,
    /// Wall time of those calls minus instrumented callees.
    pub self_ns: u64,
    /// Allocations of those calls, callees included.
    pub total_allocs: u64,
    /// Allocations of those calls' own code.
    pub self_allocs: u64,
    /// Bytes of those calls, callees included.
    pub total_alloc_bytes: u64,
    /// Bytes of those calls' own code.
    pub self_alloc_bytes: u64,
}

/// How complete `trace.json` is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceInfo {
    /// Spans written to the trace.
    pub events: u64,
    /// Spans left out because a thread's trace log was full (the call
    /// statistics still count them).
    pub dropped_events: u64,
}

#[derive(Deserialize)]
struct SchemaOnly {
    schema: Option<String>,
}

/// An id for a run or record that names no existing entry of `dir`:
/// `<UTC time>-<name>` (`20261123T091803-quickstart`) from an RFC 3339
/// `timestamp`, with the name reduced to letters, digits, `.`, `_` and `-`,
/// and a numeric suffix (`-2`, `-3`, …) if that id is taken.
pub fn unique_id(dir: &Path, timestamp: &str, name: &str) -> String {
    let stamp: String = timestamp
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() && *c != 'Z')
        .take(15)
        .collect();
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let base = format!("{stamp}-{name}");
    let mut id = base.clone();
    let mut n = 2;
    while dir.join(&id).exists() {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

impl RunData {
    /// Reads a `run.json`, refusing files of another schema.
    pub fn load(path: &Path) -> Result<RunData, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        let json_error = |source| Error::Json {
            path: path.to_owned(),
            source,
        };
        let tag: SchemaOnly = serde_json::from_str(&text).map_err(json_error)?;
        match tag.schema.as_deref() {
            Some(RUN_SCHEMA) => serde_json::from_str(&text).map_err(json_error),
            found => Err(Error::Schema {
                path: path.to_owned(),
                found: found.unwrap_or("(none)").to_owned(),
                expected: RUN_SCHEMA,
            }),
        }
    }

    /// The stats of the function called `name`.
    pub fn function(&self, name: &str) -> Option<&FunctionStats> {
        self.functions.iter().find(|f| f.name == name)
    }
}
