//! What the live tests share: the example built once, the programs they
//! start (each killed when its guard drops, however the test ends), the
//! tools they need, a small HTTP client, and `wrk`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use perf_core::model::RunData;

/// How long any one wait of these tests may take: generous for a loaded
/// 2-core machine, short enough that a hang fails the test.
pub const WAIT: Duration = Duration::from_secs(30);

/// One live test at a time: each loads the machine with `wrk`, and two at
/// once would fight over its cores (and over Prometheus' start-up time).
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The workspace's `examples/http_service`, built once by a cargo run of
/// its own with `--features cpu` (CPU profiles for `/debug/pprof/profile`),
/// unoptimised (a minute and a half from nothing on 2 cores, where an
/// optimised build of its dependencies takes ten), into a target directory
/// of its own beside this test's, so that the examples' own tests keep
/// their build.
pub fn http_service() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        // This test runs from <target>/<profile>/deps/.
        let exe = std::env::current_exe().expect("the test's own path");
        let target = exe
            .ancestors()
            .nth(3)
            .expect("the test binary is in <target>/<profile>/deps")
            .to_owned();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let target = target.join("live-example");
        let status = Command::new(cargo)
            .args(["build", "-p", "perf-examples"])
            .args(["--example", "http_service", "--features", "cpu"])
            .arg("--target-dir")
            .arg(&target)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building examples/http_service failed");
        target
            .join("debug")
            .join("examples")
            .join(format!("http_service{}", std::env::consts::EXE_SUFFIX))
    })
}

/// The wrk script of the example, which loads one route and prints a
/// `wrk-result` line.
pub fn wrk_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/http_service.lua")
}

/// `program` on PATH. Missing, it fails the test with how to install
/// `package`, unless `skip_var=1` (then `None`: the test is skipped).
pub fn tool(program: &str, package: &str, skip_var: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() && std::env::var_os(skip_var).is_some_and(|v| v == "1") {
        eprintln!("skipped: `{program}` is not installed and {skip_var}=1");
        return None;
    }
    Some(found.unwrap_or_else(|| {
        panic!(
            "this test needs `{program}` on PATH: install it (Debian: `apt-get install {package}`; \
             .ci/run does) or set {skip_var}=1 to skip it"
        )
    }))
}

/// A port that was free a moment ago on 127.0.0.1, for a program that
/// cannot be told to pick its own and say which.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

/// A child process killed (and reaped) when dropped, unless it has ended.
pub struct Killed {
    pub child: Child,
    name: String,
}

impl Killed {
    pub fn spawn(command: &mut Command, name: &str) -> Killed {
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Killed {
            child,
            name: name.to_owned(),
        }
    }

    /// Waits up to `limit` for the child to end.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting on a child") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not end within {limit:?}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` (a process of ours that has not been reaped: its pid
    /// is still its own).
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) with a valid signal on our own unreaped child's pid.
        let sent = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(sent, 0, "kill {} failed", self.name);
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads a pipe to its end on a thread of its own, so that a full pipe
/// cannot stall the child.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Runs `command` to its end (killed after [`WAIT`]), reading its
/// stdout and stderr as it goes; fails the test unless it succeeds.
/// Its stdout.
pub fn run_to_end(command: &mut Command, name: &str) -> String {
    let mut process = Killed::spawn(
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
        name,
    );
    let stdout = drain(process.child.stdout.take().expect("piped"));
    let stderr = drain(process.child.stderr.take().expect("piped"));
    let status = process.wait(WAIT);
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(status.success(), "{name}: {status}\n{stdout}\n{stderr}");
    stdout
}

/// `http_service` running with its live figures on (`--live 127.0.0.1:0`)
/// and its own `PERF_DIR`.
pub struct Service {
    /// Where it serves its figures: `/metrics`, `/debug/…`, `/`.
    pub live: String,
    /// Where it serves its routes (`--serve` only).
    pub app: Option<String>,
    pub perf_dir: tempfile::TempDir,
    lines: Receiver<String>,
    printed: Vec<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
    process: Killed,
}

impl Service {
    /// `http_service --serve --port 0 --live 127.0.0.1:0`: serves until
    /// SIGTERM; bring your own load.
    pub fn serve() -> Service {
        Service::start(&["--serve", "--port", "0"])
    }

    /// `http_service ARGS --live 127.0.0.1:0`, once it says where it
    /// listens.
    pub fn start(args: &[&str]) -> Service {
        let perf_dir = tempfile::tempdir().unwrap();
        let mut process = Killed::spawn(
            Command::new(http_service())
                .args(args)
                .args(["--live", "127.0.0.1:0"])
                .env("PERF_DIR", perf_dir.path())
                .env_remove("PERF_SERVE")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
            "http_service",
        );
        let stderr = drain(process.child.stderr.take().expect("piped"));
        let stdout = BufReader::new(process.child.stdout.take().expect("piped"));
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut service = Service {
            live: String::new(),
            app: None,
            perf_dir,
            lines,
            printed: Vec::new(),
            stderr: Some(stderr),
            process,
        };
        service.live = service
            .line_after("live figures on http://")
            .trim_end_matches('/')
            .to_owned();
        if args.contains(&"--serve") {
            service.app = Some(service.line_after("listening on http://"));
        }
        service
    }

    /// The rest of the next printed line that starts with `prefix`.
    fn line_after(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "http_service printed no {prefix:?} line within {WAIT:?}:\n{}",
                    self.printed.join("\n")
                )
            });
            self.printed.push(line.clone());
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.to_owned();
            }
        }
    }

    /// `GET path` on the live address; the status and body.
    pub fn live_get(&self, path: &str) -> (u16, Vec<u8>) {
        let response = get(&self.live, path, &[]);
        (response.status, response.body)
    }

    /// The run so far, from `/debug/perf/run.json`.
    pub fn run_so_far(&self) -> RunData {
        let (status, body) = self.live_get("/debug/perf/run.json");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).expect("run.json is a perf run")
    }

    /// Waits for the program to end by itself: how, what it printed and
    /// the run it wrote.
    pub fn wait(mut self, limit: Duration) -> Ended {
        let status = self.process.wait(limit);
        let stderr = self.stderr.take().expect("once").join().unwrap();
        self.printed.extend(self.lines.iter());
        let written = self.perf_dir.path().join("runs").join("latest").is_file();
        Ended {
            status,
            stdout: self.printed.join("\n"),
            stderr,
            run: written.then(|| latest_run(self.perf_dir.path())),
        }
    }

    /// SIGTERM, which finishes the session (the run is written under
    /// `PERF_DIR`) and ends the process; the run it wrote.
    pub fn terminate(mut self) -> RunData {
        self.process.signal(libc::SIGTERM);
        let status = self.process.wait(WAIT);
        let stderr = self.stderr.take().expect("once").join().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGTERM),
            "http_service ends by SIGTERM: {status}\n{stderr}"
        );
        latest_run(self.perf_dir.path())
    }
}

/// How a [`Service`] ended.
pub struct Ended {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// The run it wrote, if it did.
    pub run: Option<RunData>,
}

/// The newest run under `perf_dir` (`runs/latest`).
pub fn latest_run(perf_dir: &Path) -> RunData {
    let runs = perf_dir.join("runs");
    let id = std::fs::read_to_string(runs.join("latest")).expect("runs/latest is written");
    RunData::load(&runs.join(id.trim()).join("run.json")).expect("run.json reads back")
}

/// Calls and errors of each function whose name starts with `prefix`.
pub fn counts(run: &RunData, prefix: &str) -> BTreeMap<String, (u64, u64)> {
    run.functions
        .iter()
        .filter(|f| f.name.starts_with(prefix))
        .map(|f| (f.name.clone(), (f.calls, f.errors)))
        .collect()
}

/// An HTTP response, whole.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// One HTTP/1.1 GET on a fresh connection (`Connection: close`), with
/// extra `headers`; a chunked body is joined. Fails the test on a socket
/// error or after [`WAIT`].
pub fn get(addr: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    try_get(addr, path, headers).unwrap_or_else(|e| panic!("GET http://{addr}{path}: {e}"))
}

/// [`get`], with a socket error returned.
pub fn try_get(addr: &str, path: &str, headers: &[(&str, &str)]) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(WAIT))?;
    stream.set_write_timeout(Some(WAIT))?;
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let bad = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_owned());
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of the head"))?;
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let mut body = raw[head_end + 4..].to_vec();
    if headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"))
    {
        body = unchunk(&body).ok_or_else(|| bad("a broken chunked body"))?;
    }
    Ok(Response { status, body })
}

fn unchunk(mut chunked: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = chunked.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&chunked[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        chunked = &chunked[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(chunked.get(..size)?);
        chunked = chunked.get(size + 2..)?;
    }
}

/// `text` for a URL's query string.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of each sample of `metric` in a Prometheus text exposition,
/// by its `function` label.
pub fn samples(exposition: &str, metric: &str) -> BTreeMap<String, f64> {
    let prefix = format!("{metric}{{");
    exposition
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter_map(|rest| {
            let function = rest.split("function=\"").nth(1)?.split('"').next()?;
            let value = rest.rsplit_once("} ")?.1.split(' ').next()?.parse().ok()?;
            Some((function.to_owned(), value))
        })
        .collect()
}

/// What `wrk` reported for one route: the script's `wrk-result` line.
#[derive(Debug, Default)]
pub struct WrkResult {
    /// Answers it read.
    pub requests: u64,
    /// Answers with a status of 400 or more.
    pub error_status: u64,
    /// Socket errors: connect, read, write, timeout.
    pub errors: u64,
}

/// `wrk` loading one route of `http_service` (`health`, `items` or
/// `search`; see `examples/http_service.lua`).
pub struct Wrk {
    process: Killed,
    stdout: Option<std::thread::JoinHandle<String>>,
}

impl Wrk {
    pub fn start(program: &Path, app: &str, route: &str, seconds: u64, connections: u64) -> Wrk {
        let mut process = Killed::spawn(
            Command::new(program)
                .args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s")])
                .arg("-s")
                .arg(wrk_script())
                .arg(format!("http://{app}/"))
                .args(["--", route])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
            "wrk",
        );
        let stdout = drain(process.child.stdout.take().expect("piped"));
        Wrk {
            process,
            stdout: Some(stdout),
        }
    }

    /// Waits for wrk to end; what it reported.
    pub fn finish(mut self) -> WrkResult {
        let status = self.process.wait(WAIT);
        let stdout = self.stdout.take().expect("once").join().unwrap();
        assert!(status.success(), "wrk failed ({status}):\n{stdout}");
        parse_wrk(&stdout).unwrap_or_else(|| panic!("no wrk-result line:\n{stdout}"))
    }
}

/// The first `wrk-result` line of `text`.
pub fn parse_wrk(text: &str) -> Option<WrkResult> {
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("wrk-result "))?;
    let mut result = WrkResult::default();
    for field in line.split_whitespace() {
        let (key, value) = field.split_once('=')?;
        match key {
            "requests" => result.requests = value.parse().ok()?,
            "error_status" => result.error_status = value.parse().ok()?,
            "errors" => result.errors = value.parse().ok()?,
            _ => {}
        }
    }
    Some(result)
}

/// Calls `probe` every `every` until it returns `Some`, for up to `limit`;
/// `None` if it never did.
pub fn poll<T>(
    limit: Duration,
    every: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = probe() {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(every);
    }
}

/// The handlers' calls and errors once the load has stopped: read from
/// `/debug/perf/run.json` until two reads 300 ms apart agree (requests
/// that were in flight when wrk stopped have ended).
pub fn settled_counts(service: &Service) -> BTreeMap<String, (u64, u64)> {
    let mut last = counts(&service.run_so_far(), "handler::");
    poll(WAIT, Duration::from_millis(300), || {
        let now = counts(&service.run_so_far(), "handler::");
        let same = now == last;
        last = now;
        same.then(|| last.clone())
    })
    .expect("the counts settle once the load has stopped")
}
