//! Ctrl-C, SIGTERM and SIGHUP while `cargo perf` has work to clean up.
//!
//! While a [`Watch`] is held (a record or a soak being made), a signal is passed on to
//! the program running and its process group, which stops them; the work
//! then ends as [`Error::Interrupted`], dropping what it staged on the way
//! out, and `cargo perf` ends by the same signal ([`end_by`]). A second
//! signal kills the group outright. Outside a watch a signal ends
//! `cargo perf` at once, as it would without this module. Every program
//! started under a watch leads a process group of its own, which ends with
//! it, or when `cargo perf` itself is killed (`kill -9`) ([`super::group`]);
//! what that leaves staged is swept by the next command
//! ([`perf_format::files::sweep`]).
//!
//! Without [`install`] (the library used from another program) signals keep
//! their default action and a watch only makes children follow their parent.

use std::io;
use std::process::{Child, Command, ExitCode, Output};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering};

use super::group::{self, Drain, Group};
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
    if let Ok(child @ 1..) = i32::try_from(child) {
        group::signal_group(child, if first { signal } else { libc::SIGKILL });
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
    /// Once the program has exited, what it left running is stopped and its
    /// output is not waited for beyond that ([`group`]).
    pub(crate) fn output(
        &self,
        command: &mut Command,
        spawn_error: impl FnOnce(io::Error) -> Error,
    ) -> Result<Output, Error> {
        let mut watched = self.spawn(command, spawn_error)?;
        let drain = Drain::start(&mut watched.child);
        let status = watched.child.wait();
        watched.end();
        let (stdout, stderr) = drain.finish();
        self.check()?;
        let status = status.map_err(|e| perf_format::Error::read("a program's status", e))?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl Watch {
    /// Starts `command` and returns at once: until the [`Watched`] is
    /// dropped, a signal is passed on to it as under
    /// [`output`](Self::output), and it follows `cargo perf` if that dies.
    /// The program leads a process group of its own, which ends with it.
    pub(crate) fn spawn(
        &self,
        command: &mut Command,
        spawn_error: impl FnOnce(io::Error) -> Error,
    ) -> Result<Watched, Error> {
        self.check()?;
        group::lead(command);
        let child = command.spawn().map_err(spawn_error)?;
        let group = Group::of(&child);
        CHILD.store(child.id(), Ordering::SeqCst);
        // A signal between the spawn and the store above was not passed on.
        if let Some(signal) = received_signal() {
            group.signal(signal);
        }
        Ok(Watched {
            child,
            group: Some(group),
            program: command.get_program().to_string_lossy().into_owned(),
        })
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        WATCHING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A program started by [`Watch::spawn`], and its process group. Dropped,
/// it is killed if it still runs (on an error) and reaped, and what it left
/// running is stopped: nothing runs on unwatched.
#[derive(Debug)]
pub(crate) struct Watched {
    child: Child,
    group: Option<Group>,
    program: String,
}

impl Watched {
    /// The running program.
    pub(crate) fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Once the program has ended (or to end it): kills it if it still
    /// runs, then stops what it left running, saying so.
    pub(crate) fn end(&mut self) {
        CHILD.store(0, Ordering::SeqCst);
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(group) = self.group.take()
            && group.end(group::LEFTOVER_GRACE)
        {
            group::warn_of_leftovers(&self.program);
        }
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.end();
    }
}

/// `SIGINT`, `SIGTERM`…, or the number.
pub(crate) fn signal_name(signal: i32) -> String {
    #[cfg(unix)]
    if let Some(name) = signal_hook::low_level::signal_name(signal) {
        return name.to_owned();
    }
    format!("signal {signal}")
}
