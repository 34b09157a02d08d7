//! Sessions: turn recording on, and on finish write the run.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Instant, SystemTime};

use perf_format::files;
use perf_format::layout::{self, Layout};

use crate::aggregate::aggregate;
use crate::heap_watch::HeapWatch;
use crate::model::{Environment, FunctionStats, RunData, TraceInfo};
use crate::output::{self, RunContents, RunFiles, TraceInput};
use crate::overhead;
use crate::summary::Summary;
use crate::{Error, alloc, clock, recorder};

/// Spans each thread keeps for `trace.json` unless told otherwise.
pub const DEFAULT_TRACE_CAPACITY: usize = 20_000;

/// The name of the running session, if any: one at a time per process.
static ACTIVE: Mutex<Option<String>> = Mutex::new(None);
static NEXT_GENERATION: AtomicU32 = AtomicU32::new(1);

fn active() -> std::sync::MutexGuard<'static, Option<String>> {
    crate::sync::lock(&ACTIVE)
}

/// A recording session: from [`Session::start`] to [`Session::finish`], every
/// instrumented call on every thread is recorded; `finish` writes the run
/// under `<output root>/runs/<id>/`. Dropping an unfinished session finishes
/// it best-effort (errors go to stderr).
///
/// The output root is `$PERF_DIR` (created when missing), else
/// `$CARGO_TARGET_DIR/perf`, else `target/perf` of the enclosing cargo
/// workspace, else `./target/perf`, unless [`SessionBuilder::dir`] says
/// otherwise: the rule `cargo perf` follows too.
#[derive(Debug)]
pub struct Session {
    name: String,
    runs_dir: PathBuf,
    generation: u32,
    start_ticks: u64,
    started: Instant,
    /// When it started, for the environment read as it finishes.
    started_at: SystemTime,
    alloc_tracking: bool,
    /// perf's own cost per recorded call, measured as it started.
    overhead: Option<perf_format::schema::run::Overhead>,
    /// The heap's watch, when `PerfAlloc` tracks allocations.
    heap: Option<HeapWatch>,
    profilers: Profilers,
    /// The live servers (feature `serve`), stopped before the run is written.
    #[cfg(feature = "serve")]
    servers: Mutex<Vec<crate::live::Server>>,
    /// The server `PERF_SERVE` asked for, kept as long as the session.
    #[cfg(feature = "serve")]
    _served: Option<crate::live::Live>,
    finished: bool,
}

/// The whole-process profilers a session runs, with the features that have them.
#[derive(Debug, Default)]
struct Profilers {
    /// Shared with the live servers, which take profiles of windows of it.
    #[cfg(all(feature = "cpu", unix))]
    cpu: Option<std::sync::Arc<Mutex<crate::sampling::CpuSampler>>>,
    #[cfg(feature = "heap")]
    heap: Option<crate::heap::HeapProfiler>,
}

/// What the profilers saw.
struct Profiles {
    #[cfg(all(feature = "cpu", unix))]
    cpu: Option<crate::sampling::CpuProfile>,
    /// The file dhat wrote the heap profile to, removed unless moved.
    heap: Option<tempfile::TempPath>,
}

impl Profilers {
    /// Starts the profilers `builder` asks for; a heap profile is written
    /// into `runs_dir` at first.
    // `runs_dir` is the heap profile's alone.
    #[cfg_attr(not(feature = "heap"), allow(unused_variables))]
    fn start(builder: &SessionBuilder, runs_dir: &Path) -> Result<Profilers, Error> {
        #[cfg_attr(
            not(any(all(feature = "cpu", unix), feature = "heap")),
            allow(unused_mut)
        )]
        let mut profilers = Profilers::default();
        // The sampler first: the memory it sets up is not the program's.
        #[cfg(all(feature = "cpu", unix))]
        if builder.cpu_frequency > 0 {
            let sampler = crate::sampling::CpuSampler::start(builder.cpu_frequency)?;
            profilers.cpu = Some(std::sync::Arc::new(Mutex::new(sampler)));
        }
        #[cfg(feature = "heap")]
        match builder.heap_profile {
            Some(true) => profilers.heap = Some(crate::heap::HeapProfiler::start(runs_dir)?),
            // Asked for by the feature alone, perhaps for another crate:
            // without `PerfAlloc` there is no heap to see, and no reason to fail.
            None if !crate::alloc::is_tracking() => eprintln!(
                "perf: session {:?} takes no heap profile: perf-core's `heap` feature needs \
                 `perf_core::PerfAlloc` as the #[global_allocator]",
                builder.name
            ),
            None => profilers.heap = Some(crate::heap::HeapProfiler::start(runs_dir)?),
            Some(false) => {}
        }
        Ok(profilers)
    }

    /// Stops the CPU sampler's signal: what follows is the session's own work.
    fn pause(&mut self) {
        #[cfg(all(feature = "cpu", unix))]
        if let Some(cpu) = &self.cpu {
            crate::sync::lock(cpu).pause();
        }
    }

    /// Stops every profiler. A sampler that cannot read its samples costs
    /// the run its CPU profile only, said on stderr: the rest is still written.
    #[cfg_attr(not(all(feature = "cpu", unix)), allow(unused_variables))]
    fn finish(&mut self, session: &str) -> Profiles {
        // The heap first, so that its profile does not hold the sampler's
        // symbol tables (the sampler is paused already).
        #[cfg(feature = "heap")]
        let heap = self.heap.take().map(crate::heap::HeapProfiler::finish);
        #[cfg(not(feature = "heap"))]
        let heap = None;
        Profiles {
            #[cfg(all(feature = "cpu", unix))]
            cpu: self
                .cpu
                .take()
                .map(|cpu| match std::sync::Arc::try_unwrap(cpu) {
                    Ok(cpu) => cpu
                        .into_inner()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .finish(),
                    // The live servers stop before this: nothing else holds it.
                    Err(_) => Err(Error::CpuSampling {
                        reason: "the sampler is still in use by a live server".to_owned(),
                    }),
                })
                .and_then(|cpu| {
                    cpu.map_err(|e| {
                        eprintln!("perf: session {session:?} is written without CPU samples: {e}");
                    })
                    .ok()
                }),
            heap,
        }
    }
}

/// Options for a [`Session`].
#[derive(Debug, Clone)]
pub struct SessionBuilder {
    name: String,
    dir: Option<PathBuf>,
    trace_capacity: usize,
    #[cfg(all(feature = "cpu", unix))]
    cpu_frequency: u32,
    /// `None`: the feature's default, a profile if `PerfAlloc` allocates.
    #[cfg(feature = "heap")]
    heap_profile: Option<bool>,
}

impl SessionBuilder {
    /// Writes under `dir` instead of the default output root.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Keeps at most this many spans per thread for `trace.json` (default
    /// [`DEFAULT_TRACE_CAPACITY`]); later spans are still counted in `run.json`.
    pub fn trace_capacity(mut self, spans_per_thread: usize) -> Self {
        self.trace_capacity = spans_per_thread;
        self
    }

    /// Samples the whole process `hz` times per second of CPU time (default
    /// [`DEFAULT_CPU_FREQUENCY`](crate::DEFAULT_CPU_FREQUENCY)); 0 turns CPU
    /// sampling off for this session. Feature `cpu` (unix only).
    #[cfg(all(feature = "cpu", unix))]
    pub fn cpu_sampling(mut self, hz: u32) -> Self {
        self.cpu_frequency = hz;
        self
    }

    /// Whether the session takes a dhat heap profile. By default it does when
    /// [`PerfAlloc`](crate::PerfAlloc) is the global allocator (and says on
    /// stderr that it cannot otherwise); `true` makes a missing `PerfAlloc`
    /// an error of [`start`](Self::start). Feature `heap`.
    #[cfg(feature = "heap")]
    pub fn heap_profile(mut self, on: bool) -> Self {
        self.heap_profile = Some(on);
        self
    }

    /// Checks the output directory and starts recording.
    pub fn start(self) -> Result<Session, Error> {
        let mut session = self.begin()?;
        // Last, once the builder is gone: the heap the session starts from
        // is what the program holds, none of it freed by `start`.
        if session.alloc_tracking {
            session.heap = Some(HeapWatch::start());
        }
        serve_if_asked(&mut session)?;
        Ok(session)
    }

    /// Everything [`start`](Self::start) does but the heap's watch.
    fn begin(self) -> Result<Session, Error> {
        if self.name.trim().is_empty() {
            return Err(Error::SessionName {
                name: self.name,
                reason: "it is empty",
            });
        }
        if self.name.chars().any(char::is_control) {
            return Err(Error::SessionName {
                name: self.name,
                reason: "it holds control characters",
            });
        }
        let root = match self.dir.clone() {
            Some(dir) => dir,
            None => Layout::discover_output()?,
        };
        let runs_dir = root.join(layout::RUNS);
        files::ensure_writable_dir(&runs_dir)?;
        // What a killed program left half-written goes; a live one's stays.
        files::sweep(&runs_dir);
        let started_at = SystemTime::now();
        let alloc_tracking = alloc::is_tracking();
        clock::clock();

        let mut active = active();
        if let Some(running) = active.as_ref() {
            return Err(Error::SessionActive {
                running: running.clone(),
                requested: self.name,
            });
        }
        // Before anything else records: perf's own cost per call, measured
        // in a generation of its own that the session's then replaces.
        let overhead = overhead::calibrate(|| NEXT_GENERATION.fetch_add(1, Ordering::Relaxed));
        let profilers = Profilers::start(&self, &runs_dir)?;
        let generation = NEXT_GENERATION.fetch_add(1, Ordering::Relaxed);
        // A child forked while the session runs must not inherit a held lock.
        #[cfg(unix)]
        crate::fork::install();
        recorder::begin_generation(generation, self.trace_capacity);
        *active = Some(self.name.clone());
        drop(active);

        let session = Session {
            name: self.name,
            runs_dir,
            generation,
            start_ticks: clock::now(),
            started: Instant::now(),
            started_at,
            alloc_tracking,
            overhead,
            heap: None,
            profilers,
            #[cfg(feature = "serve")]
            servers: Mutex::new(Vec::new()),
            #[cfg(feature = "serve")]
            _served: None,
            finished: false,
        };
        recorder::set_session(generation);
        Ok(session)
    }
}

impl Session {
    /// Starts a session with default options.
    pub fn start(name: impl Into<String>) -> Result<Session, Error> {
        Session::builder(name).start()
    }

    /// Options for a session called `name`.
    pub fn builder(name: impl Into<String>) -> SessionBuilder {
        SessionBuilder {
            name: name.into(),
            dir: None,
            trace_capacity: DEFAULT_TRACE_CAPACITY,
            #[cfg(all(feature = "cpu", unix))]
            cpu_frequency: crate::DEFAULT_CPU_FREQUENCY,
            #[cfg(feature = "heap")]
            heap_profile: None,
        }
    }

    /// Stops recording and writes the run.
    pub fn finish(mut self) -> Result<Run, Error> {
        self.finish_recording()
    }

    /// Serves the session's figures live over HTTP on `addr` (`HOST:PORT`,
    /// or a port alone for 127.0.0.1) until the session finishes or the
    /// returned handle is dropped: `/metrics` for Prometheus, pprof
    /// profiles, a flamegraph of a window, the run so far and a live page.
    /// GET only; listen on loopback unless the service must be scraped from
    /// elsewhere. Feature `serve`; `PERF_SERVE=ADDR` does the same with no
    /// code change.
    ///
    /// ```no_run
    /// let session = perf_core::Session::start("checkout")?;
    /// let live = session.serve("127.0.0.1:9464")?;
    /// println!("figures at http://{}/", live.addr());
    /// # Ok::<(), perf_core::Error>(())
    /// ```
    #[cfg(feature = "serve")]
    pub fn serve(&self, addr: &str) -> Result<crate::live::Live, Error> {
        self.serve_from(addr, "Session::serve")
    }

    #[cfg(feature = "serve")]
    fn serve_from(&self, addr: &str, origin: &'static str) -> Result<crate::live::Live, Error> {
        let mut env = Environment::capture(self.started_at);
        describe_build(&mut env);
        let info = crate::live::SessionInfo {
            name: self.name.clone(),
            version: env.perf_version.clone(),
            commit: env.commit_label().unwrap_or_default(),
        };
        let source = crate::live::SessionSource {
            name: self.name.clone(),
            generation: self.generation,
            started: self.started,
            alloc_tracking: self.alloc_tracking,
            env,
        };
        let state = crate::live::State::new(
            source,
            info,
            #[cfg(all(feature = "cpu", unix))]
            self.profilers.cpu.clone(),
        );
        let (live, server) = crate::live::start(addr, origin, state)?;
        crate::sync::lock(&self.servers).push(server);
        Ok(live)
    }

    fn finish_recording(&mut self) -> Result<Run, Error> {
        self.finished = true;
        // The servers first: what they read goes, and they hold the sampler.
        #[cfg(feature = "serve")]
        for server in crate::sync::lock(&self.servers).drain(..) {
            server.stop();
        }
        // First, before finishing allocates.
        let heap = self.heap.take().map(|watch| watch.finish(self.start_ticks));
        self.profilers.pause();
        recorder::set_session(0);
        let duration_ns = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let threads = recorder::snapshot_threads(self.generation);
        // The next session may start once the profilers have stopped.
        #[cfg_attr(not(all(feature = "cpu", unix)), allow(unused_mut))]
        let mut profiles = self.profilers.finish(&self.name);
        *active() = None;

        #[cfg_attr(not(all(feature = "cpu", unix)), allow(unused_mut))]
        let mut aggregate = aggregate(&threads);
        #[cfg(all(feature = "cpu", unix))]
        let cpu_profile = profiles.cpu.as_mut().map(|profile| {
            crate::sampling::credit(profile, &code_sites(&threads), &mut aggregate.functions);
            crate::model::CpuProfileInfo::new(
                profile.frequency_hz,
                profile.samples(),
                profile.stacks.len() as u64,
                u64::try_from(profile.cpu_time.as_nanos()).unwrap_or(u64::MAX),
            )
        });
        #[cfg(not(all(feature = "cpu", unix)))]
        let cpu_profile = None;
        // Read now, not at the start: reading it allocates strings whose
        // lengths depend on the machine and the working tree (`git status`),
        // which would change the heap the program's recorded code meets, and
        // with it the allocator's paths and an instruction record's counts.
        let mut env = Environment::capture(self.started_at);
        describe_build(&mut env);
        env.clock_step_ns = Some(crate::clock::step_ns());
        let claim = layout::claim_id(&self.runs_dir, &env.started_at, &self.name)?;
        let mut data = RunData::new(claim.name(), self.name.clone(), env);
        data.duration_ns = duration_ns;
        data.alloc_tracking = self.alloc_tracking;
        data.overhead = self.overhead;
        data.threads = aggregate.threads;
        data.functions = aggregate.functions;
        data.call_tree = aggregate.call_tree;
        data.trace = TraceInfo::new(
            threads.iter().map(|t| t.events.len() as u64).sum(),
            threads.iter().map(|t| t.dropped_events).sum(),
        );
        data.cpu_profile = cpu_profile;
        data.heap = heap;
        let contents = RunContents {
            data: &data,
            trace: TraceInput {
                threads: &threads,
                start_ticks: self.start_ticks,
                ticks_to_ns: clock::ticks_to_ns,
            },
            #[cfg(all(feature = "cpu", unix))]
            cpu: profiles.cpu.as_ref(),
            #[cfg(not(all(feature = "cpu", unix)))]
            cpu: None,
            heap: profiles.heap.as_deref(),
        };
        let files = output::write_run(&self.runs_dir, claim, &contents)?;
        Ok(Run { data, files })
    }
}

/// Each instrumented function recorded, with the path of its code, for
/// crediting CPU samples.
#[cfg(all(feature = "cpu", unix))]
fn code_sites(threads: &[crate::recorder::ThreadSnapshot]) -> Vec<crate::sampling::CodeSite> {
    let mut seen = std::collections::HashSet::new();
    let mut sites = Vec::new();
    for node in threads.iter().flat_map(|t| t.nodes.iter().skip(1)) {
        let callsite = node.callsite;
        if seen.insert(std::ptr::from_ref(callsite)) {
            if let Some(code_path) = callsite.code_path() {
                sites.push(crate::sampling::CodeSite {
                    name: callsite.name(),
                    code_path,
                    file: callsite.file(),
                    line: callsite.line(),
                    end_line: callsite.end_line(),
                });
            }
        }
    }
    sites
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.finished {
            if let Err(err) = self.finish_recording() {
                eprintln!(
                    "perf: could not write the run of session {:?}: {err}",
                    self.name
                );
            }
        }
    }
}

/// A finished run: its figures and the files it was written to.
#[derive(Debug, Clone)]
pub struct Run {
    data: RunData,
    files: RunFiles,
}

impl Run {
    /// Everything `run.json` holds.
    pub fn data(&self) -> &RunData {
        &self.data
    }

    /// The files written.
    pub fn files(&self) -> &RunFiles {
        &self.files
    }

    /// The run's directory, `runs/<id>/`.
    pub fn dir(&self) -> &Path {
        &self.files.dir
    }

    /// The stats of the function called `name`.
    pub fn function(&self, name: &str) -> Option<&FunctionStats> {
        self.data.function(name)
    }

    /// A table of the top functions by self time, for the terminal.
    pub fn summary(&self) -> Summary<'_> {
        Summary::new(self)
    }
}

/// Serves the session live where `PERF_SERVE` says, if it is set.
fn serve_if_asked(session: &mut Session) -> Result<(), Error> {
    let Some(addr) = std::env::var_os("PERF_SERVE").filter(|addr| !addr.is_empty()) else {
        return Ok(());
    };
    #[cfg(feature = "serve")]
    {
        let addr = addr.to_string_lossy().into_owned();
        session._served = Some(session.serve_from(&addr, "PERF_SERVE")?);
    }
    #[cfg(not(feature = "serve"))]
    eprintln!(
        "perf: PERF_SERVE={addr:?} is ignored: session {:?} is built without perf-core's `serve` feature",
        session.name
    );
    Ok(())
}

/// What makes runs comparable that only the build knows: debug
/// assertions, the cargo profile and compiler (from `build.rs`), and
/// perf-core's features.
pub(crate) fn describe_build(env: &mut Environment) {
    env.debug_build = cfg!(debug_assertions);
    let known = |value: &str| (!value.is_empty()).then(|| value.to_owned());
    env.build_profile = known(env!("PERF_BUILD_PROFILE"));
    env.rustc = known(env!("PERF_RUSTC_VERSION"));
    // `runtime` is implied by every feature here, and `svg` draws pictures
    // after the session: neither changes a figure, so neither is named, and
    // a run with pictures compares with one without.
    let features = [
        ("cpu", cfg!(feature = "cpu")),
        ("criterion", cfg!(feature = "criterion")),
        ("enabled", cfg!(feature = "enabled")),
        ("heap", cfg!(feature = "heap")),
        ("serve", cfg!(feature = "serve")),
        ("tracing", cfg!(feature = "tracing")),
    ];
    env.perf_features = Some(
        features
            .iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| (*name).to_owned())
            .collect(),
    );
}
