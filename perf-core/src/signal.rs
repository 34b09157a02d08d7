//! Finishing a session on SIGINT or SIGTERM: [`Session::finish_on_signal`].
//!
//! The handler is signal-hook's self-pipe: the signal only wakes a thread
//! of perf's (`perf-signal`), which finishes the session there — a signal
//! handler itself may do next to nothing — and then ends the process by
//! the same signal, with its default action, as it would have ended without
//! perf: a parent sees it killed by SIGINT or SIGTERM.

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, OnceLock};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::Error;
use crate::session::{Run, Session};
use crate::sync::lock;

/// The session a signal finishes, while it runs.
static ON_SIGNAL: Mutex<Option<Session>> = Mutex::new(None);

/// The listening thread, started once per process; why it could not be.
static LISTENING: OnceLock<Result<(), String>> = OnceLock::new();

impl Session {
    /// Finishes this session when the process receives SIGINT (Ctrl-C) or
    /// SIGTERM: the run is written (`perf: SIGINT received: run written to
    /// …` on stderr), then the process ends by that signal, as it would
    /// have without perf. A program that ends by itself finishes the
    /// returned session as usual. Unix only.
    ///
    /// One line for a long-running program whose run should survive being
    /// stopped, such as a server under `cargo perf soak`:
    ///
    /// ```no_run
    /// # fn serve() {}
    /// # fn main() -> Result<(), perf_core::Error> {
    /// let session = perf_core::Session::start("server")?.finish_on_signal()?;
    /// serve(); // until Ctrl-C or SIGTERM, or until it returns
    /// let run = session.finish()?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// From then on SIGINT and SIGTERM end the process, also once the
    /// session is finished (after any other handler of theirs, such as
    /// tokio's, has run). A signal that arrives while the program finishes
    /// the session itself waits for that finish, then ends the process.
    pub fn finish_on_signal(self) -> Result<SignalSession, Error> {
        listen()?;
        *lock(&ON_SIGNAL) = Some(self);
        Ok(SignalSession { _private: () })
    }
}

/// A session that SIGINT or SIGTERM finishes; see
/// [`Session::finish_on_signal`]. Dropping it unfinished finishes it
/// best-effort, as dropping a [`Session`] does.
#[derive(Debug)]
#[must_use = "the session is finished when this is finished or dropped"]
pub struct SignalSession {
    _private: (),
}

impl SignalSession {
    /// Stops recording and writes the run, unless a signal is doing so
    /// (the process then ends once the run is written, and this does not
    /// return).
    pub fn finish(self) -> Result<Run, Error> {
        let mut slot = lock(&ON_SIGNAL);
        let session = slot.take().ok_or(Error::SessionFinished)?;
        // Finished with the slot held: a signal meanwhile waits for the run.
        session.finish()
    }
}

impl Drop for SignalSession {
    fn drop(&mut self) {
        let mut slot = lock(&ON_SIGNAL);
        // Dropped unfinished: `Session`'s drop finishes it, with the slot held.
        drop(slot.take());
    }
}

/// Starts the thread that waits for SIGINT and SIGTERM, once.
fn listen() -> Result<(), Error> {
    let listening = LISTENING.get_or_init(|| {
        let mut signals = Signals::new([SIGINT, SIGTERM]).map_err(|e| e.to_string())?;
        std::thread::Builder::new()
            .name("perf-signal".to_owned())
            .spawn(move || {
                // The first signal ends the process.
                if let Some(signal) = signals.forever().next() {
                    finish_and_end(signal);
                }
            })
            .map(drop)
            .map_err(|e| e.to_string())
    });
    listening
        .clone()
        .map_err(|reason| Error::Signals { reason })
}

/// Finishes the session a signal stopped, if one is running, and ends the
/// process by the signal's default action. Nothing here may stop the
/// process from ending: a write that fails (stderr closed, a broken pipe)
/// is ignored, and a panic while finishing is caught.
fn finish_and_end(signal: i32) -> ! {
    let name = if signal == SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    };
    // Held until the process ends: a `finish` meanwhile waits for it.
    let mut slot = lock(&ON_SIGNAL);
    if let Some(session) = slot.take() {
        let _ = panic::catch_unwind(AssertUnwindSafe(|| report(name, session.finish())));
    }
    end_by(signal)
}

/// Says on stderr where the run went, or why it could not be written;
/// ignores a stderr that cannot be written.
fn report(name: &str, finished: Result<Run, Error>) {
    let mut stderr = std::io::stderr().lock();
    let _ = match finished {
        Ok(run) => writeln!(
            stderr,
            "perf: {name} received: run {} written to {}",
            run.data().id,
            run.dir().display()
        ),
        Err(e) => writeln!(
            stderr,
            "perf: {name} received: the run could not be written: {e}"
        ),
    };
}

/// Ends the process by `signal`'s default action, as it would have ended
/// without perf; by `_exit(128 + signal)`, the shell's code for it, only
/// if that action could not be restored.
fn end_by(signal: i32) -> ! {
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    // SAFETY: `_exit` ends the process without running any of its code
    // (no atexit handler, no destructor), so no state of it is observed.
    unsafe { libc::_exit(128 + signal) }
}
