//! The one error type of perf-core: every variant names the file or setting at fault.

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory of the run could not be read or written, or
    /// `PERF_DIR` cannot be used.
    #[error(transparent)]
    Files(#[from] perf_format::Error),
    /// A session name that cannot name a run.
    #[error("invalid session name {name:?}: {reason}")]
    SessionName {
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// `Session::start` while another session is running in this process.
    #[error("perf session {running:?} is still running: finish it before starting {requested:?}")]
    SessionActive {
        /// The session that is running.
        running: String,
        /// The session that was asked for.
        requested: String,
    },
    /// CPU sampling (feature `cpu`) could not run.
    #[error("CPU sampling (perf-core feature `cpu`) failed: {reason}")]
    CpuSampling {
        /// What went wrong.
        reason: String,
    },
    /// `Session::finish_on_signal` could not set up its handler.
    #[error("cannot finish the session on SIGINT or SIGTERM: {reason}")]
    Signals {
        /// What went wrong.
        reason: String,
    },
    /// A session finished twice: a signal finished it already.
    #[error("the session was finished already, by a signal")]
    SessionFinished,
    /// The live endpoints (feature `serve`) cannot listen where asked:
    /// a bad address, or one in use.
    #[error("cannot serve live figures on {addr:?} (from {origin}): {reason}")]
    Serve {
        /// The address given.
        addr: String,
        /// Where it came from: `Session::serve` or `PERF_SERVE`.
        origin: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// Heap profiling (feature `heap`) could not run.
    #[error("heap profiling (perf-core feature `heap`) cannot start: {reason}")]
    HeapProfiling {
        /// What went wrong.
        reason: String,
    },
}
