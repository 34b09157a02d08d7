//! Thread CPU time, for `#[profile(cpu)]`: a system call (~390 ns here), so it
//! is read only where asked.

/// Whether this platform reports per-thread CPU time.
pub(crate) const SUPPORTED: bool = cfg!(unix);

/// CPU time the calling thread has used, in nanoseconds (0 where unsupported).
#[cfg(unix)]
pub(crate) fn thread_cpu_ns() -> u64 {
    clock_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time all the process's threads have used, in nanoseconds.
#[cfg(all(unix, feature = "cpu"))]
pub(crate) fn process_cpu_ns() -> u64 {
    clock_ns(libc::CLOCK_PROCESS_CPUTIME_ID)
}

#[cfg(unix)]
fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return 0;
    }
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

/// CPU time the calling thread has used, in nanoseconds (0 where unsupported).
#[cfg(not(unix))]
pub(crate) fn thread_cpu_ns() -> u64 {
    0
}
