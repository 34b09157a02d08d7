//! A CPU profile of a time window of a running sampler, as Go's
//! `/debug/pprof/profile?seconds=N` serves it: a mark, then the samples
//! taken since. The sampler keeps every sample for the session's own
//! profile; the window is a difference of its counts.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::time::{Duration, Instant, SystemTime};

use crate::Error;

use super::{CpuProfile, CpuSampler, SampledStack, symbols, unreadable};

/// Where a window starts: the sampler's count of each stack then, the time,
/// and the process's CPU time.
pub(crate) struct CpuMark {
    /// Samples per stack, keyed by a 64-bit hash of pprof's unresolved stack
    /// (its addresses and thread): 16 bytes a stack instead of pprof's ~4 KB.
    counts: HashMap<u64, isize>,
    started: SystemTime,
    instant: Instant,
    cpu_ns: u64,
}

/// A fixed-key hasher: the same stack hashes the same in the mark and later.
type StackHasher = BuildHasherDefault<DefaultHasher>;

impl CpuSampler {
    /// Marks the start of a window; sampling goes on.
    pub(crate) fn mark(&self) -> Result<CpuMark, Error> {
        let report = self.guard.report().build_unresolved().map_err(unreadable)?;
        let counts = report
            .data
            .iter()
            .map(|(frames, &count)| (StackHasher::default().hash_one(frames), count))
            .collect();
        Ok(CpuMark {
            counts,
            started: SystemTime::now(),
            instant: Instant::now(),
            cpu_ns: self.cpu_ns_now(),
        })
    }

    /// The samples taken since `mark`, resolved to names; sampling goes on.
    pub(crate) fn profile_since(&self, mark: &CpuMark) -> Result<CpuProfile, Error> {
        let report = self.guard.report().build_unresolved().map_err(unreadable)?;
        let cpu_ns = self.cpu_ns_now().saturating_sub(mark.cpu_ns);
        let duration = mark.instant.elapsed();
        // Only the stacks sampled since are resolved to names.
        let stacks = report.data.into_iter().filter_map(|(frames, count)| {
            let before = mark.counts.get(&StackHasher::default().hash_one(&frames));
            let since = count - before.copied().unwrap_or(0);
            (since > 0).then(|| SampledStack {
                frames: symbols::root_first(&pprof::Frames::from(frames)),
                samples: since as u64,
            })
        });
        Ok(CpuProfile {
            frequency_hz: self.frequency_hz,
            stacks: super::merged(stacks),
            started: mark.started,
            duration,
            cpu_time: Duration::from_nanos(cpu_ns),
        })
    }

    /// The process's CPU time now, or when sampling was paused.
    fn cpu_ns_now(&self) -> u64 {
        self.cpu_ns_at_pause
            .unwrap_or_else(crate::cpu_time::process_cpu_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Burns `cpu` of this thread's CPU time in a frame of its own.
    #[inline(never)]
    fn spin_before_the_mark(cpu: Duration) -> u64 {
        spin(cpu)
    }

    /// Burns `cpu` of this thread's CPU time in a frame of its own.
    #[inline(never)]
    fn spin_in_the_window(cpu: Duration) -> u64 {
        spin(cpu)
    }

    /// Burns `cpu` of this thread's CPU time, however loaded the machine.
    #[inline(never)]
    fn spin(cpu: Duration) -> u64 {
        let until = crate::cpu_time::thread_cpu_ns() + cpu.as_nanos() as u64;
        let mut x = 1u64;
        while crate::cpu_time::thread_cpu_ns() < until {
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
        x
    }

    /// The samples of stacks that pass through a function named `name`.
    fn samples_in(profile: &CpuProfile, name: &str) -> u64 {
        profile
            .stacks
            .iter()
            .filter(|s| s.frames.iter().any(|f| f.name.ends_with(name)))
            .map(|s| s.samples)
            .sum()
    }

    #[test]
    fn a_window_holds_the_samples_since_its_mark_and_the_session_keeps_them_all() {
        let sampler = CpuSampler::start(super::super::DEFAULT_CPU_FREQUENCY).unwrap();
        spin_before_the_mark(Duration::from_millis(700));
        let mark = sampler.mark().unwrap();
        spin_in_the_window(Duration::from_secs(1));
        let window = sampler.profile_since(&mark).unwrap();
        let whole = sampler.finish().unwrap();

        let (before, inside) = ("spin_before_the_mark", "spin_in_the_window");
        let summary = format!(
            "window: {} samples, {before} {}, {inside} {}; session: {} samples, {before} {}, {inside} {}",
            window.samples(),
            samples_in(&window, before),
            samples_in(&window, inside),
            whole.samples(),
            samples_in(&whole, before),
            samples_in(&whole, inside),
        );
        eprintln!("{summary}");
        // 1 s of CPU at 250 Hz: 250 samples, less those dropped while a
        // report was read or landing on other tests' threads.
        assert!(samples_in(&window, inside) >= 100, "{summary}");
        assert!(
            samples_in(&window, before) * 10 <= samples_in(&window, inside),
            "{summary}"
        );
        // The session's own profile still holds every sample, the window's too.
        assert!(samples_in(&whole, before) >= 70, "{summary}");
        assert!(
            samples_in(&whole, inside) >= samples_in(&window, inside),
            "{summary}"
        );
        assert!(whole.samples() >= window.samples() + samples_in(&whole, before));
        // The window's own time: from the mark, 1 s of this thread's CPU time.
        assert!(
            (Duration::from_millis(990)..Duration::from_secs(60)).contains(&window.duration),
            "{:?}",
            window.duration
        );
        assert!(
            window.cpu_time >= Duration::from_millis(500),
            "{:?}",
            window.cpu_time
        );
        assert!(window.started > whole.started);

        // As Go's /debug/pprof/profile?seconds=1 would serve it.
        let Some(top) = crate::pprof::tests::go_tool_pprof(
            &window.encode_pprof(),
            &["-top", "-symbolize=none"],
        ) else {
            return;
        };
        let hot = top
            .lines()
            .find(|line| line.contains(inside))
            .unwrap_or_else(|| panic!("{inside} in\n{top}"));
        assert!(!top.contains(before), "{top}");
        eprintln!("{hot}");
    }
}
