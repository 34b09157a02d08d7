//! A program and everything it starts, as one: each program `cargo perf`
//! runs leads a process group of its own ([`lead`]), and whatever of that
//! group is still running when the program has ended is stopped
//! ([`Group::end`]: SIGTERM, SIGKILL after [`LEFTOVER_GRACE`]). Its output
//! is read without waiting on pipes that its children inherited
//! ([`Drain`]), so a program that leaves a child behind cannot hold
//! `cargo perf` up.
//!
//! Signal handlers cannot see `kill -9`, and the kernel's parent-death
//! signal reaches only the program, not its children: a watcher process
//! (forked once, on Linux) holds the read end of a pipe whose write end
//! only `cargo perf` has. It is told each group as it starts and ends, and
//! when the pipe closes — `cargo perf` ended, however — it stops the groups
//! still open, as [`Group::end`] would have.
//!
//! A process that leaves the group (`setsid`, a daemon) is handed to
//! `cargo perf` when its parent ends (`cargo perf` is the reaper of its
//! programs' orphans, Linux's child subreaper), and stopped with the
//! group; if `cargo perf` is killed outright, it is beyond the watcher.

use std::io;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// How long what a program left running gets between SIGTERM and SIGKILL.
pub(crate) const LEFTOVER_GRACE: Duration = Duration::from_secs(1);

/// How often a group is looked at while it ends.
const POLL: Duration = Duration::from_millis(10);

/// How long output is still read once the program's group has ended: a
/// process that left the group may hold the pipes open for ever.
const OUTPUT_WAIT: Duration = Duration::from_millis(500);

/// Makes `cargo perf` the reaper of what its programs leave behind (Linux's
/// child subreaper), so that [`Group::end`] can tell when a group has gone.
pub(crate) fn install() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with plain integers.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) } == 0 {
        REAPER.store(true, Ordering::Relaxed);
    }
}

/// Whether `cargo perf` is the reaper of its programs' orphans.
static REAPER: AtomicBool = AtomicBool::new(false);

/// The groups open now (their leaders' pids).
static OPEN: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

/// Makes the program started by `command` lead a process group of its own,
/// known to the watcher before it runs (it tells it itself, between fork
/// and exec: a `kill -9` of `cargo perf` right after the spawn cannot miss
/// it), and receive SIGTERM when `cargo perf` dies.
pub(crate) fn lead(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    watcher::announce_in_child(command);
    follow_parent(command);
}

/// Makes the program started by `command` receive SIGTERM when this thread
/// ends, `kill -9` included (Linux's parent-death signal).
fn follow_parent(command: &mut Command) {
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

/// The process group a program started by [`lead`] leads. Dropped without
/// [`end`](Self::end) (an error on the way), the group is killed.
#[derive(Debug)]
pub(crate) struct Group {
    id: i32,
    ended: bool,
}

impl Group {
    /// The group `child` leads (started with [`lead`]), made known to the
    /// watcher.
    pub(crate) fn of(child: &Child) -> Group {
        let id = i32::try_from(child.id()).unwrap_or(0);
        watcher::tell(watcher::OPENED, id);
        OPEN.lock().unwrap_or_else(|e| e.into_inner()).push(id);
        Group { id, ended: false }
    }

    /// Sends `signal` to every process of the group.
    pub(crate) fn signal(&self, signal: i32) {
        signal_group(self.id, signal);
    }

    /// Once its leader has been waited for: stops what is left of the
    /// group (SIGTERM, SIGKILL after `grace`) and reaps it. Whether
    /// anything was left running.
    ///
    /// What left the group on the way (`setsid`, a daemon) and was handed
    /// to `cargo perf` as its reaper when its parent ended is stopped too.
    pub(crate) fn end(mut self, grace: Duration) -> bool {
        self.ended = true;
        let left = stop_group(self.id, grace);
        self.close();
        let adopted = stop_adopted(grace);
        left || adopted
    }

    /// No longer open: for the watcher, and among the groups whose
    /// processes are `cargo perf`'s own.
    fn close(&self) {
        watcher::tell(watcher::CLOSED, self.id);
        OPEN.lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|&g| g != self.id);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.ended {
            stop_group(self.id, Duration::ZERO);
            self.close();
        }
    }
}

/// Sends `signal` to process group `id`; at worst it is gone (ESRCH).
pub(crate) fn signal_group(id: i32, signal: i32) {
    #[cfg(unix)]
    if id > 0 {
        // SAFETY: kill(2) with plain integers; a negative pid names a group.
        unsafe {
            libc::kill(-id, signal);
        }
    }
}

/// Whether any process of group `id` is left, after reaping those that
/// ended and were handed to `cargo perf` as their reaper.
#[cfg(unix)]
fn group_left(id: i32) -> bool {
    if id <= 0 {
        return false;
    }
    // SAFETY: waitpid and kill with plain integers and a status on the
    // stack; only members of this group are reaped, never a child that
    // `std::process` waits for.
    unsafe {
        let mut status = 0;
        while libc::waitpid(-id, &mut status, libc::WNOHANG) > 0 {}
        libc::kill(-id, 0) == 0
    }
}

/// Sends SIGTERM with `signal`, then SIGKILL if `running` still holds
/// after `grace`; waits at most [`LEFTOVER_GRACE`] more for the end.
#[cfg(unix)]
fn terminate(signal: impl Fn(i32), mut running: impl FnMut() -> bool, grace: Duration) {
    let mut gone_by = |deadline: Instant| {
        while running() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(POLL);
        }
        true
    };
    signal(libc::SIGTERM);
    if !gone_by(Instant::now() + grace) {
        signal(libc::SIGKILL);
        gone_by(Instant::now() + LEFTOVER_GRACE);
    }
}

/// Stops what is left of group `id`: SIGTERM, then SIGKILL after `grace`;
/// waits (a bounded time) for it to go. Whether anything was left.
#[cfg(unix)]
fn stop_group(id: i32, grace: Duration) -> bool {
    if !group_left(id) {
        return false;
    }
    terminate(|signal| signal_group(id, signal), || group_left(id), grace);
    true
}

#[cfg(not(unix))]
fn stop_group(_id: i32, _grace: Duration) -> bool {
    false
}

/// Stops the processes `cargo perf` was handed as their reaper that no
/// open group holds: what left a program's group (`setsid`, a daemon) and
/// outlived its parent. SIGTERM, then SIGKILL after `grace`; reaped.
/// Whether there were any.
#[cfg(target_os = "linux")]
fn stop_adopted(grace: Duration) -> bool {
    if !REAPER.load(Ordering::Relaxed) {
        return false;
    }
    // Ending one may hand over its own children: a few rounds.
    let mut any = false;
    for _ in 0..ADOPTION_ROUNDS {
        let adopted = adopted();
        if adopted.is_empty() {
            break;
        }
        stop_pids(&adopted, grace);
        any = true;
    }
    any
}

/// How many times [`stop_adopted`] looks again for processes handed over.
#[cfg(target_os = "linux")]
const ADOPTION_ROUNDS: usize = 4;

/// Stops the children `adopted`: SIGTERM, SIGKILL after `grace`; reaped.
#[cfg(target_os = "linux")]
fn stop_pids(adopted: &[i32], grace: Duration) {
    let signal_all = |signal| {
        for &pid in adopted {
            // SAFETY: kill(2) with plain integers; a child of ours, not yet
            // reaped, so the pid is not anyone else's.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    };
    // Reaps those that ended; whether any still runs.
    let running = || {
        adopted
            .iter()
            // SAFETY: waitpid on a child of ours, status on the stack.
            .filter(|&&pid| unsafe { libc::waitpid(pid, &mut 0, libc::WNOHANG) } == 0)
            .count()
            > 0
    };
    terminate(signal_all, running, grace);
}

#[cfg(not(target_os = "linux"))]
fn stop_adopted(_grace: Duration) -> bool {
    false
}

/// The children of `cargo perf` it did not start: running (not zombies),
/// in a process group that is neither its own nor an open one's, and not
/// the watcher. (What it starts leads an open group, or shares its group.)
#[cfg(target_os = "linux")]
fn adopted() -> Vec<i32> {
    // SAFETY: getpid and getpgrp have no preconditions.
    let (me, my_group) = unsafe { (libc::getpid(), libc::getpgrp()) };
    let open = OPEN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let watcher = watcher::pid();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| Some(pid) != watcher)
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid pgrp …`: comm may hold spaces and `)`.
            let mut fields = stat.rsplit_once(") ")?.1.split(' ');
            let state = fields.next()?;
            let parent: i32 = fields.next()?.parse().ok()?;
            let group: i32 = fields.next()?.parse().ok()?;
            (parent == me && state != "Z" && group != my_group && !open.contains(&group))
                .then_some(pid)
        })
        .collect()
}

/// A program's stdout and stderr, read on threads of their own, so that
/// pipes a leftover child still holds never keep `cargo perf` waiting.
pub(crate) struct Drain {
    stdout: Option<Reading>,
    stderr: Option<Reading>,
}

/// One pipe being read to its end.
struct Reading {
    read: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<()>,
}

impl Drain {
    /// Starts reading the pipes `child` was given.
    pub(crate) fn start(child: &mut Child) -> Drain {
        Drain {
            stdout: child.stdout.take().map(Reading::start),
            stderr: child.stderr.take().map(Reading::start),
        }
    }

    /// What was read, once the program's group has ended: both pipes to
    /// their end, or what came within [`OUTPUT_WAIT`].
    pub(crate) fn finish(self) -> (Vec<u8>, Vec<u8>) {
        let deadline = Instant::now() + OUTPUT_WAIT;
        let take = |reading: Option<Reading>| reading.map(|r| r.finish(deadline));
        (
            take(self.stdout).unwrap_or_default(),
            take(self.stderr).unwrap_or_default(),
        )
    }
}

impl Reading {
    fn start(mut pipe: impl io::Read + Send + 'static) -> Reading {
        let read = Arc::new(Mutex::new(Vec::new()));
        let (tell, done) = mpsc::channel();
        let into = Arc::clone(&read);
        // Not joined: a process that left the group may hold the pipe.
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                into.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&buffer[..n]);
            }
            let _ = tell.send(());
        });
        Reading { read, done }
    }

    fn finish(self, deadline: Instant) -> Vec<u8> {
        let _ = self
            .done
            .recv_timeout(deadline.saturating_duration_since(Instant::now()));
        std::mem::take(&mut *self.read.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Says once per `cargo perf` that `program` left processes running.
pub(crate) fn warn_of_leftovers(program: &str) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "`{program}` left processes running when it ended: perf stopped them (SIGTERM, then SIGKILL after {} s)",
            LEFTOVER_GRACE.as_secs()
        );
    }
}

/// The process that stops the open groups when `cargo perf` ends without
/// ending them (`kill -9`).
#[cfg(target_os = "linux")]
mod watcher {
    use std::fs::File;
    use std::io::Write as _;
    use std::os::fd::FromRawFd as _;
    use std::sync::{Mutex, OnceLock};

    /// A group was started.
    pub(super) const OPENED: u8 = b'+';
    /// A group has ended.
    pub(super) const CLOSED: u8 = b'-';

    /// The groups the watcher can keep at once; beyond, it keeps the first.
    const GROUPS: usize = 64;

    /// The write end of the watcher's pipe, or `None` if it could not start.
    static PIPE: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    /// The watcher's pid, once it runs.
    static PID: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

    /// The watcher's pid, if it was started.
    pub(super) fn pid() -> Option<i32> {
        match PID.load(std::sync::atomic::Ordering::Relaxed) {
            0 => None,
            pid => Some(pid),
        }
    }

    /// Tells the watcher (started on first use) that group `id` opened or
    /// closed. Without a watcher the group is only stopped by `cargo perf`
    /// itself.
    pub(super) fn tell(what: u8, id: i32) {
        if id <= 0 {
            return;
        }
        if let Some(pipe) = pipe() {
            let mut pipe = pipe.lock().unwrap_or_else(|e| e.into_inner());
            // Five bytes, below PIPE_BUF: written whole or not at all. A
            // watcher that has gone is no reason to fail the command.
            let _ = pipe.write_all(&message(what, id));
        }
    }

    /// The pipe to the watcher, which is started on first use; `None` if it
    /// could not start. Never closed while `cargo perf` runs, so its
    /// descriptor stays this pipe's.
    fn pipe() -> Option<&'static Mutex<File>> {
        PIPE.get_or_init(|| start().map(Mutex::new)).as_ref()
    }

    /// One message: what happened to group `id`.
    fn message(what: u8, id: i32) -> [u8; 5] {
        let mut message = [what, 0, 0, 0, 0];
        message[1..].copy_from_slice(&id.to_le_bytes());
        message
    }

    /// Makes the process `command` starts tell the watcher its group opened
    /// (its pid: it leads the group) before it execs.
    pub(super) fn announce_in_child(command: &mut std::process::Command) {
        use std::os::fd::AsRawFd as _;
        use std::os::unix::process::CommandExt as _;
        let Some(pipe) = pipe() else {
            return;
        };
        let fd = pipe.lock().unwrap_or_else(|e| e.into_inner()).as_raw_fd();
        // SAFETY: between fork and exec the closure calls only getpid and
        // write, both async-signal-safe, on a descriptor that stays open
        // (and this pipe's) for as long as `cargo perf` runs; a message of
        // five bytes is written whole or not at all, so it never
        // interleaves with the parent's.
        unsafe {
            command.pre_exec(move || {
                let announced = message(OPENED, libc::getpid());
                libc::write(fd, announced.as_ptr().cast(), announced.len());
                Ok(())
            });
        }
    }

    /// Forks the watcher; the write end of its pipe.
    fn start() -> Option<File> {
        let mut ends = [0; 2];
        // SAFETY: pipe2 fills the two descriptors; fork is followed in the
        // child only by async-signal-safe calls (see `watch`).
        unsafe {
            if libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
                return None;
            }
            let [read, write] = ends;
            match libc::fork() {
                -1 => {
                    libc::close(read);
                    libc::close(write);
                    None
                }
                0 => watch(read),
                pid => {
                    PID.store(pid, std::sync::atomic::Ordering::Relaxed);
                    libc::close(read);
                    Some(File::from_raw_fd(write))
                }
            }
        }
    }

    /// The watcher: reads which groups are open until the pipe closes, then
    /// stops them. Only async-signal-safe calls and no allocation: it runs
    /// in a fork of a process with other threads.
    unsafe fn watch(read: i32) -> ! {
        // SAFETY: plain system calls on this process's own state.
        unsafe {
            // Out of `cargo perf`'s group: a Ctrl-C at the terminal or a
            // closed terminal does not end it before its work.
            libc::setpgid(0, 0);
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            // Every descriptor but the pipe's read end is let go.
            if libc::dup2(read, 0) == 0 {
                close_from(1);
            }
            let mut open = [0i32; GROUPS];
            let mut message = [0u8; 5];
            while read_exact(&mut message) {
                let id = i32::from_le_bytes([message[1], message[2], message[3], message[4]]);
                // A group is announced twice (by its leader, then by
                // `cargo perf`): it is kept once.
                let slot = match message[0] {
                    OPENED if open.contains(&id) => None,
                    OPENED => open.iter().position(|&g| g == 0),
                    _ => open.iter().position(|&g| g == id),
                };
                if let Some(slot) = slot {
                    open[slot] = if message[0] == OPENED { id } else { 0 };
                }
            }
            let alive =
                |open: &[i32; GROUPS]| open.iter().any(|&g| g > 0 && libc::kill(-g, 0) == 0);
            for &g in open.iter().filter(|&&g| g > 0) {
                libc::kill(-g, libc::SIGTERM);
            }
            // A second for them to finish their work, as `Group::end` gives.
            let tick = libc::timespec {
                tv_sec: 0,
                tv_nsec: 10_000_000,
            };
            for _ in 0..100 {
                if !alive(&open) {
                    break;
                }
                libc::nanosleep(&tick, std::ptr::null_mut());
            }
            for &g in open.iter().filter(|&&g| g > 0) {
                libc::kill(-g, libc::SIGKILL);
            }
            libc::_exit(0)
        }
    }

    /// Reads one whole message from descriptor 0; false at its end.
    unsafe fn read_exact(message: &mut [u8; 5]) -> bool {
        let mut got = 0;
        while got < message.len() {
            // SAFETY: reads into the unread rest of `message`.
            let n =
                unsafe { libc::read(0, message[got..].as_mut_ptr().cast(), message.len() - got) };
            match n {
                1.. => got += n as usize,
                // SAFETY: errno is this thread's.
                -1 if unsafe { *libc::__errno_location() } == libc::EINTR => {}
                _ => return false,
            }
        }
        true
    }

    /// Closes every descriptor from `first` on.
    unsafe fn close_from(first: u32) {
        // SAFETY: close_range(2) with plain integers; on a kernel without
        // it, the descriptors a process of ours can have are closed one by one.
        unsafe {
            if libc::syscall(libc::SYS_close_range, first, u32::MAX, 0) != 0 {
                for fd in first..4096 {
                    libc::close(fd as i32);
                }
            }
        }
    }
}

/// No watcher: groups are stopped by `cargo perf` itself.
#[cfg(not(target_os = "linux"))]
mod watcher {
    pub(super) const OPENED: u8 = b'+';
    pub(super) const CLOSED: u8 = b'-';
    pub(super) fn tell(_what: u8, _id: i32) {}
    pub(super) fn announce_in_child(_command: &mut std::process::Command) {}
}
