//! Ctrl-C, SIGTERM and SIGHUP while `cargo perf` has work to clean up.
//!
//! While a [`Watch`] is held (a record or a soak being made), a signal is passed on to
//! the program running, which stops it; the work then ends as
//! [`Error::Interrupted`], dropping what it staged on the way out, and
//! `cargo perf` ends by the same signal ([`end_by`]). A second signal kills
//! the program outright. Outside a watch a signal ends `cargo perf` at once,
//! as it would without this module. A program started through
//! [`Watch::output`] is also sent SIGTERM when `cargo perf` itself is killed
//! (`kill -9`), so it never runs on as an orphan; what that leaves staged is
//! swept by the next command ([`perf_format::files::sweep`]).
//!
//! Without [`install`] (the library used from another program) signals keep
//! their default action and a watch only makes children follow their parent.

use std::io;
use std::process::{Child, Command, ExitCode, Output};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering};

use crate::Error;

/// The first signal received during a watch, or 0.
static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// The program running under a watch, or 0.
static CHILD: AtomicU32 = AtomicU32::new(0);
/// How many watches are held.
static WATCHING: AtomicUsize = AtomicUsize::new(0);

/// The signals handled: an interactive interrupt, a polite stop, a closed
/// terminal.
#[cfg(unix)]
const SIGNALS: [i32; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Handles the signals for the rest of the process, on a thread of its own.
#[cfg(unix)]
pub(crate) fn install() -> io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new(SIGNALS)?;
    std::thread::Builder::new()
        .name("perf-signals".to_owned())
        .spawn(move || {
            for signal in signals.forever() {
                received(signal);
            }
        })?;
    Ok(())
}

/// Nothing to handle where there are no such signals.
#[cfg(not(unix))]
pub(crate) fn install() -> io::Result<()> {
    Ok(())
}

/// One signal: passed on under a watch, else the default action.
#[cfg(unix)]
fn received(signal: i32) {
    if WATCHING.load(Ordering::SeqCst) == 0 {
        let _ = signal_hook::low_level::emulate_default_handler(signal);
        return;
    }
    let first = RECEIVED
        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    let child = CHILD.load(Ordering::SeqCst);
    if child != 0 {
        stop(child, if first { signal } else { libc::SIGKILL });
    }
}

/// Sends `signal` to process `pid`.
#[cfg(unix)]
pub(crate) fn stop(pid: u32, signal: i32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) takes plain integers; at worst the process is gone
    // and it returns ESRCH.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// The signal received during a watch, if any: the command should end by it
/// even if its work finished.
pub(crate) fn received_signal() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// Ends `cargo perf` by `signal`, as if it had never been caught, so that
/// the shell or CI runner sees a program stopped by it; where that is not
/// possible, exits with 128 + the signal's number.
pub(crate) fn end_by(signal: i32) -> ExitCode {
    #[cfg(unix)]
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    ExitCode::from(u8::try_from(128 + signal).unwrap_or(u8::MAX))
}

/// Work that cleans up when interrupted: while held, signals stop the
/// program it runs instead of `cargo perf`.
#[derive(Debug)]
pub(crate) struct Watch(());

impl Watch {
    /// Starts watching.
    pub(crate) fn begin() -> Watch {
        WATCHING.fetch_add(1, Ordering::SeqCst);
        Watch(())
    }

    /// [`Error::Interrupted`] once a signal came.
    pub(crate) fn check(&self) -> Result<(), Error> {
        match received_signal() {
            Some(signal) => Err(Error::Interrupted {
                signal: signal_name(signal),
            }),
            None => Ok(()),
        }
    }

    /// Runs `command` to its end like [`Command::output`], stopping it when
    /// a signal comes or `cargo perf` dies; then [`check`](Self::check)s.
    pub(crate) fn output(
        &self,
        command: &mut Command,
        spawn_error: impl FnOnce(io::Error) -> Error,
    ) -> Result<Output, Error> {
        let child = self.start(command, spawn_error)?;
        let output = child.wait_with_output();
        CHILD.store(0, Ordering::SeqCst);
        self.check()?;
        output.map_err(|e| perf_format::Error::read("a program's output", e).into())
    }
}

impl Watch {
    /// Starts `command` and returns at once: until the [`Watched`] is
    /// dropped, a signal is passed on to it as under
    /// [`output`](Self::output), and it follows `cargo perf` if that dies.
    pub(crate) fn spawn(
        &self,
        command: &mut Command,
        spawn_error: impl FnOnce(io::Error) -> Error,
    ) -> Result<Watched, Error> {
        Ok(Watched(self.start(command, spawn_error)?))
    }

    /// Starts `command` as the watched child: it follows `cargo perf` if
    /// that dies, and a signal already received is passed on to it.
    fn start(
        &self,
        command: &mut Command,
        spawn_error: impl FnOnce(io::Error) -> Error,
    ) -> Result<Child, Error> {
        self.check()?;
        follow_parent(command);
        let child = command.spawn().map_err(spawn_error)?;
        CHILD.store(child.id(), Ordering::SeqCst);
        // A signal between the spawn and the store above was not passed on.
        #[cfg(unix)]
        if let Some(signal) = received_signal() {
            stop(child.id(), signal);
        }
        Ok(child)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        WATCHING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A program started by [`Watch::spawn`]. Dropped while it still runs (on
/// an error), it is killed and reaped: nothing runs on unwatched.
#[derive(Debug)]
pub(crate) struct Watched(Child);

impl Watched {
    /// The running program.
    pub(crate) fn child(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        CHILD.store(0, Ordering::SeqCst);
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Makes the program started by `command` receive SIGTERM when this thread
/// ends, `kill -9` included (Linux's parent-death signal).
pub(crate) fn follow_parent(command: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt as _;
        // SAFETY: `getpid` is async-signal-safe.
        let parent = unsafe { libc::getpid() };
        // SAFETY: between fork and exec the closure calls only
        // async-signal-safe functions (prctl, getppid) and allocates
        // nothing on success.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // The parent may have died before the call above.
                if libc::getppid() != parent {
                    return Err(io::Error::other("cargo perf has ended"));
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}

/// `SIGINT`, `SIGTERM`…, or the number.
pub(crate) fn signal_name(signal: i32) -> String {
    #[cfg(unix)]
    if let Some(name) = signal_hook::low_level::signal_name(signal) {
        return name.to_owned();
    }
    format!("signal {signal}")
}
