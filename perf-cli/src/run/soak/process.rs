//! The soaked program and its load: started, watched, and stopped.
//!
//! The program runs with its stdin closed, its stdout passed on line by
//! line to `cargo perf`'s stderr (standard output is the verdict's), and
//! its stderr kept (the end of it) for the error if it fails. The load
//! command starts once the program is ready — when it prints its first line
//! (a server's `listening on …`), or [`READY_WAIT`] after it started if it
//! prints none — runs by `sh -c` in a process group of its own, its output
//! on `cargo perf`'s stderr, and is stopped as a group.
//!
//! At the end of the duration the load is stopped (SIGINT, SIGKILL after
//! the grace period), then the program: SIGINT, SIGTERM after the grace
//! period, SIGKILL after another.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::Error;
use crate::run::group::{self, Group};
use crate::run::program::{Program, seconds};
use crate::run::signals::{self, Watch, Watched};

/// How long the load waits for the program's first line.
pub(super) const READY_WAIT: Duration = Duration::from_secs(2);
/// How often the program and the load are looked at.
const POLL: Duration = Duration::from_millis(20);
/// The end of the program's stderr kept for an error.
const STDERR_KEPT: usize = 64 * 1024;

/// What to run, and for how long.
pub(super) struct Plan<'a> {
    /// The program.
    pub(super) program: &'a Program,
    /// Its command line as shown.
    pub(super) shown: &'a str,
    /// Its `PERF_DIR`.
    pub(super) perf_dir: &'a std::path::Path,
    /// The load command, if any.
    pub(super) load: Option<&'a str>,
    /// When to stop it.
    pub(super) duration: Duration,
    /// How long it gets after each signal.
    pub(super) grace: Duration,
    /// Progress lines go here.
    pub(super) say: &'a dyn Fn(&str),
}

/// How the program ended, without trouble.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ended {
    /// By itself, successfully, after this long.
    Exited(Duration),
    /// Stopped at the end of the duration by this signal (SIGINT or
    /// SIGTERM), which it ended on.
    Stopped(i32),
}

/// Runs the plan: the program once, the load alongside.
pub(super) fn run(watch: &Watch, plan: &Plan<'_>) -> Result<Ended, Error> {
    let program = plan.program;
    let mut command = Command::new(&program.path);
    command
        .args(&program.args)
        .envs(program.env.iter().map(|(k, v)| (k, v)))
        .env("PERF_DIR", plan.perf_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = &program.dir {
        command.current_dir(dir);
    }
    let started = Instant::now();
    let mut watched = watch.spawn(&mut command, Error::spawn(plan.shown))?;
    let ready = pass_on_stdout(watched.child());
    let stderr = keep_stderr(watched.child());
    let deadline = started.checked_add(plan.duration);
    let mut load: Option<Load> = None;
    let mut load_done = plan.load.is_none();
    let ended = loop {
        if signals::received_signal().is_some() {
            // The signal went to the program; it gets the grace period.
            drop(load);
            let _ = wait_for(watched.child(), plan.grace);
            return Err(watch.check().expect_err("a signal came"));
        }
        if let Some(status) = try_wait(watched.child(), plan.shown)? {
            let elapsed = started.elapsed();
            if !status.success() {
                return Err(failed(plan, "the soak", status, &stderr));
            }
            break Ended::Exited(elapsed);
        }
        if !load_done && load.is_none() {
            let now = Instant::now();
            if ready.try_recv().is_ok() || now >= started + READY_WAIT {
                let command = plan.load.expect("a load to start");
                (plan.say)(&format!("load after {}: {command}", seconds(now - started)));
                load = Some(Load::start(command)?);
            }
        }
        if let Some(running) = &mut load {
            if let Some(status) = running.try_wait()? {
                let after = seconds(started.elapsed());
                if !status.success() {
                    return Err(Error::LoadFailed {
                        command: running.command.clone(),
                        after,
                        status,
                    });
                }
                (plan.say)(&format!("the load ended by itself after {after}"));
                load = None;
                load_done = true;
            }
        }
        if past(deadline) {
            if let Some(running) = load.take() {
                running.stop(plan.grace);
            }
            break stop(&mut watched, plan, &stderr)?;
        }
        std::thread::sleep(POLL);
    };
    Ok(ended)
}

/// Stops the program: SIGINT, SIGTERM after the grace period, SIGKILL
/// after another. Ending on either signal (or finishing its session and
/// exiting 0, or 128 + the signal) is an end; ignoring both is trouble.
fn stop(watched: &mut Watched, plan: &Plan<'_>, stderr: &Kept) -> Result<Ended, Error> {
    let child = watched.child();
    for (signal, why) in [
        (libc::SIGINT, format!("after {}", seconds(plan.duration))),
        (
            libc::SIGTERM,
            format!("still running {} later", seconds(plan.grace)),
        ),
    ] {
        (plan.say)(&format!("{why}: {}", signals::signal_name(signal)));
        signals::stop(child.id(), signal);
        let Some(status) = wait_for(child, plan.grace)? else {
            continue;
        };
        return match ended_on(status, signal) {
            true => Ok(Ended::Stopped(signal)),
            false => Err(failed(
                plan,
                &format!("the soak (stopped by {})", signals::signal_name(signal)),
                status,
                stderr,
            )),
        };
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(Error::SoakIgnoredStop {
        command: plan.shown.to_owned(),
        grace: seconds(plan.grace),
    })
}

/// Whether `status` is an end by `signal`: success (a program that
/// finished its session and exited), the signal itself, or 128 + it.
fn ended_on(status: ExitStatus, signal: i32) -> bool {
    use std::os::unix::process::ExitStatusExt as _;
    status.success() || status.signal() == Some(signal) || status.code() == Some(128 + signal)
}

/// The error for a program that ended with `status`.
fn failed(plan: &Plan<'_>, what: &str, status: ExitStatus, stderr: &Kept) -> Error {
    Error::CommandFailed {
        what: what.to_owned(),
        command: plan.shown.to_owned(),
        status,
        stderr: stderr.text(),
    }
}

fn try_wait(child: &mut Child, shown: &str) -> Result<Option<ExitStatus>, Error> {
    child
        .try_wait()
        .map_err(|e| perf_format::Error::read(format!("the status of `{shown}`"), e).into())
}

/// Whether `deadline` has passed; `None`, a time beyond what an `Instant`
/// holds (the flags are bounded well below it), never passes.
fn past(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|deadline| Instant::now() >= deadline)
}

/// Waits up to `grace` for `child` to end.
fn wait_for(child: &mut Child, grace: Duration) -> Result<Option<ExitStatus>, Error> {
    let deadline = Instant::now().checked_add(grace);
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| perf_format::Error::read("a program's status", e))?
        {
            return Ok(Some(status));
        }
        if past(deadline) {
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}

/// Passes the program's stdout on to stderr, line by line, on a thread of
/// its own; the receiver hears once, at the first line.
fn pass_on_stdout(child: &mut Child) -> mpsc::Receiver<()> {
    let (ready, heard) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        // Not joined: a grandchild may hold the pipe open.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                let _ = std::io::stderr().lock().write_all(&line);
                let _ = ready.send(());
                line.clear();
            }
        });
    }
    heard
}

/// The end of the program's stderr, as it comes.
#[derive(Clone, Default)]
struct Kept(Arc<Mutex<Vec<u8>>>);

impl Kept {
    fn text(&self) -> String {
        // The last bytes may still be on their way: a moment for them.
        std::thread::sleep(POLL);
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&kept).into_owned()
    }
}

/// Keeps the end of the program's stderr, on a thread of its own.
fn keep_stderr(child: &mut Child) -> Kept {
    let kept = Kept::default();
    if let Some(mut stderr) = child.stderr.take() {
        let into = kept.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n @ 1..) = stderr.read(&mut buffer) {
                let mut kept = into.0.lock().unwrap_or_else(|e| e.into_inner());
                kept.extend_from_slice(&buffer[..n]);
                let over = kept.len().saturating_sub(STDERR_KEPT);
                kept.drain(..over);
            }
        });
    }
    kept
}

/// The load command, running in a process group of its own. Dropped
/// while it runs, the group is killed.
struct Load {
    child: Child,
    group: Option<Group>,
    command: String,
}

impl Load {
    /// Starts `sh -c command`, its output on stderr.
    fn start(command: &str) -> Result<Load, Error> {
        use std::os::fd::AsFd as _;
        let out = std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| perf_format::Error::write("standard error", e))?;
        let shown = format!("sh -c {command:?}");
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::inherit());
        group::lead(&mut sh);
        let child = sh.spawn().map_err(Error::spawn(&shown))?;
        Ok(Load {
            group: Some(Group::of(&child)),
            child,
            command: command.to_owned(),
        })
    }

    fn try_wait(&mut self) -> Result<Option<ExitStatus>, Error> {
        try_wait(&mut self.child, &self.command)
    }

    /// SIGINT to the group (wrk prints its figures on it), SIGKILL after
    /// the grace period (by drop, whether it is still running or not: what
    /// the shell started may outlive it).
    fn stop(mut self, grace: Duration) {
        if let Some(group) = &self.group {
            group.signal(libc::SIGINT);
        }
        let _ = wait_for(&mut self.child, grace);
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        // What the shell started may outlive it: the whole group goes.
        if let Some(group) = self.group.take() {
            group.signal(libc::SIGKILL);
            let _ = self.child.wait();
            group.end(Duration::ZERO);
        }
    }
}
