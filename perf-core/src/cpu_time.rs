//! Thread CPU time, for `#[profile(cpu)]`: a system call (~390 ns here), so it
//! is read only where asked.

/// Whether this platform reports per-thread CPU time.
pub(crate) const SUPPORTED: bool = cfg!(unix);

/// CPU time the calling thread has used, in nanoseconds (0 where unsupported).
#[cfg(unix)]
pub(crate) fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
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
