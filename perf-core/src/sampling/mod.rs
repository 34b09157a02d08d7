//! CPU sampling of the whole process (feature `cpu`, unix only): pprof's
//! SIGPROF profiler runs for the session; at the end its samples become
//! folded stacks (`cpu.folded`, `cpu-flamegraph.svg`), a `profile.pb` for
//! `go tool pprof`, and a CPU share for each instrumented function.

mod credit;
mod profile_pb;
mod symbols;
#[cfg(any(test, feature = "serve"))]
pub(crate) mod window;

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use crate::Error;
use perf_format::stacks::{CpuStack, SampleCount, Stack};

pub(crate) use credit::{CodeSite, credit};

/// Samples per second of CPU time asked for unless told otherwise. The
/// kernel's tick bounds what arrives (250 Hz with `CONFIG_HZ=250`), and a
/// period of whole ticks keeps the count honest.
pub const DEFAULT_CPU_FREQUENCY: u32 = 250;

/// Shared objects whose code is never unwound from a signal handler:
/// unwinding inside the C library, the unwinder or the vDSO can deadlock.
const BLOCKLIST: [&str; 4] = ["libc", "libgcc", "pthread", "vdso"];

/// A running sampler.
pub(crate) struct CpuSampler {
    guard: pprof::ProfilerGuard<'static>,
    frequency_hz: u32,
    /// Process CPU time when sampling started, and when it was paused.
    cpu_ns_at_start: u64,
    cpu_ns_at_pause: Option<u64>,
}

impl std::fmt::Debug for CpuSampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpuSampler")
            .field("frequency_hz", &self.frequency_hz)
            .finish_non_exhaustive()
    }
}

/// What the sampler saw.
pub(crate) struct CpuProfile {
    pub(crate) frequency_hz: u32,
    /// Root (thread name) first, with the sampler's own frames taken off.
    pub(crate) stacks: Vec<SampledStack>,
    /// When sampling started, and for how long it ran.
    started: SystemTime,
    duration: Duration,
    /// CPU time the process used while sampling ran.
    pub(crate) cpu_time: Duration,
}

/// One distinct stack and how often it was sampled.
pub(crate) struct SampledStack {
    /// The thread's name, then the frames from the outermost in.
    pub(crate) frames: Vec<Frame>,
    pub(crate) samples: u64,
}

/// One frame of a sampled stack, inlined functions included.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Frame {
    /// The demangled name: a full path from the symbol table, or only the
    /// function's own name for an inlined frame read from line tables.
    pub(crate) name: String,
    /// The source file, with debug info.
    pub(crate) file: Option<std::path::PathBuf>,
    /// The line being run in that file, with debug info (0 if unknown).
    pub(crate) line: u32,
}

impl CpuProfile {
    /// Samples taken.
    pub(crate) fn samples(&self) -> u64 {
        self.stacks.iter().map(|s| s.samples).sum()
    }

    /// The samples in pprof's protobuf format (`profile.pb`).
    pub(crate) fn encode_pprof(&self) -> Vec<u8> {
        profile_pb::encode(self, self.period())
    }

    /// The CPU time one sample stands for: the process's CPU time over the
    /// samples taken. Samples the kernel's tick did not deliver (it caps the
    /// rate, at 250 Hz with `CONFIG_HZ=250`) or that were skipped (in a
    /// blocklisted library) make it longer than one period of the asked rate.
    fn period(&self) -> Duration {
        let samples = self.samples();
        if samples == 0 || self.cpu_time.is_zero() {
            return Duration::from_secs(1) / self.frequency_hz.max(1);
        }
        self.cpu_time / u32::try_from(samples).unwrap_or(u32::MAX)
    }

    /// The stacks for a flamegraph.
    pub(crate) fn flamegraph_stacks(&self) -> Vec<CpuStack> {
        self.stacks
            .iter()
            .map(|s| Stack {
                frames: s.frames.iter().map(|f| f.name.clone()).collect(),
                weight: SampleCount {
                    samples: s.samples as f64,
                },
            })
            .collect()
    }
}

impl CpuSampler {
    /// Starts sampling every thread of the process `frequency_hz` times per
    /// second of CPU time.
    pub(crate) fn start(frequency_hz: u32) -> Result<CpuSampler, Error> {
        let frequency = i32::try_from(frequency_hz)
            .ok()
            .filter(|f| (1..=10_000).contains(f))
            .ok_or_else(|| Error::CpuSampling {
                reason: format!(
                    "the sampling frequency {frequency_hz} Hz is outside 1..=10000 (see SessionBuilder::cpu_sampling)"
                ),
            })?;
        let guard = pprof::ProfilerGuardBuilder::default()
            .frequency(frequency)
            .blocklist(&BLOCKLIST)
            .build()
            .map_err(|e| Error::CpuSampling {
                reason: match e {
                    pprof::Error::Running => {
                        "a pprof profiler is already running in this process".to_owned()
                    }
                    other => other.to_string(),
                },
            })?;
        Ok(CpuSampler {
            guard,
            frequency_hz,
            cpu_ns_at_start: crate::cpu_time::process_cpu_ns(),
            cpu_ns_at_pause: None,
        })
    }

    /// Stops the sampling signal, so that the session's own finishing (and
    /// the heap profiler's) is not sampled; the samples are read by `finish`.
    pub(crate) fn pause(&mut self) {
        if self.cpu_ns_at_pause.is_some() {
            return;
        }
        let off = libc::itimerval {
            it_interval: libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            },
            it_value: libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            },
        };
        // SAFETY: `off` is a valid itimerval; a null old value is allowed.
        // pprof set this timer and sets it to zero again when its guard drops.
        unsafe { libc::setitimer(libc::ITIMER_PROF, &off, std::ptr::null_mut()) };
        self.cpu_ns_at_pause = Some(crate::cpu_time::process_cpu_ns());
    }

    /// Stops sampling and resolves the samples to names.
    pub(crate) fn finish(mut self) -> Result<CpuProfile, Error> {
        self.pause();
        let cpu_ns = self
            .cpu_ns_at_pause
            .unwrap_or_default()
            .saturating_sub(self.cpu_ns_at_start);
        let report = self.guard.report().build().map_err(unreadable)?;
        drop(self.guard);
        let stacks = report
            .data
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|(frames, count)| SampledStack {
                frames: symbols::root_first(frames),
                samples: *count as u64,
            });
        let stacks = merged(stacks);
        Ok(CpuProfile {
            frequency_hz: self.frequency_hz,
            stacks,
            started: report.timing.start_time,
            duration: report.timing.duration,
            cpu_time: Duration::from_nanos(cpu_ns),
        })
    }
}

/// pprof's report could not be read.
fn unreadable(e: pprof::Error) -> Error {
    Error::CpuSampling {
        reason: format!("could not read the samples: {e}"),
    }
}

/// The stacks with equal frames (pprof tells apart threads of one name and
/// addresses of one line) made one, the most sampled first.
fn merged(stacks: impl Iterator<Item = SampledStack>) -> Vec<SampledStack> {
    let mut samples: HashMap<Vec<Frame>, u64> = HashMap::new();
    for stack in stacks {
        *samples.entry(stack.frames).or_default() += stack.samples;
    }
    let mut stacks: Vec<SampledStack> = samples
        .into_iter()
        .map(|(frames, samples)| SampledStack { frames, samples })
        .collect();
    stacks.sort_by(|a, b| b.samples.cmp(&a.samples).then(a.frames.cmp(&b.frames)));
    stacks
}
