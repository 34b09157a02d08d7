//! CPU sampling of the whole process (feature `cpu`): pprof's SIGPROF
//! profiler runs for the session; at the end its samples become folded
//! stacks (`cpu.folded`, `cpu-flamegraph.svg`), a `profile.pb` for
//! `go tool pprof`, and a CPU share for each instrumented function.

mod credit;
mod profile_pb;
mod symbols;

use std::time::{Duration, SystemTime};

use crate::Error;
use crate::flamegraph::Stack;

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
}

/// One distinct stack and how often it was sampled.
pub(crate) struct SampledStack {
    /// The thread's name, then the frames from the outermost in.
    pub(crate) frames: Vec<Frame>,
    pub(crate) samples: u64,
}

/// One frame of a sampled stack, inlined functions included.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
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
        profile_pb::encode(&self.stacks, self.frequency_hz, self.started, self.duration)
    }

    /// The stacks for a flamegraph.
    pub(crate) fn flamegraph_stacks(&self) -> Vec<Stack> {
        self.stacks
            .iter()
            .map(|s| Stack {
                frames: s.frames.iter().map(|f| f.name.clone()).collect(),
                value: s.samples,
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
        })
    }

    /// Stops sampling and resolves the samples to names.
    pub(crate) fn finish(self) -> Result<CpuProfile, Error> {
        let failed = |e: pprof::Error| Error::CpuSampling {
            reason: format!("could not read the samples: {e}"),
        };
        let report = self.guard.report().build().map_err(failed)?;
        drop(self.guard);
        let mut stacks: Vec<SampledStack> = report
            .data
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|(frames, count)| SampledStack {
                frames: symbols::root_first(frames),
                samples: *count as u64,
            })
            .filter(|stack| !stack.frames.iter().any(|f| symbols::is_finishing(&f.name)))
            .collect();
        stacks.sort_by(|a, b| b.samples.cmp(&a.samples).then(a.frames.cmp(&b.frames)));
        Ok(CpuProfile {
            frequency_hz: self.frequency_hz,
            stacks,
            started: report.timing.start_time,
            duration: report.timing.duration,
        })
    }
}
