//! Leak: a cache without eviction next to one with a bound, for `cargo
//! perf soak`.
//!
//! A small service answers a steady stream of requests (about 200 a
//! second), each for a key it has not seen before, and keeps each answer
//! (512 bytes) in a cache:
//!
//! - `growing` (the default): the cache never evicts, so it holds every
//!   answer ever given — 100 KiB a second, 6 MiB a minute, for good. Its
//!   heap grows, and `cache::remember` keeps about 512 bytes per call.
//! - `bounded`: the cache holds the newest 100 answers and evicts the
//!   oldest: once full (half a second in), its heap stays level.
//!
//! Both also keep an access log, a line (with the answer) per request, that
//! fills and is flushed four times a second: a sawtooth of about 26 KiB,
//! which the soak's verdict calls stable.
//!
//! The mode is the first argument, else `LEAK_CACHE` (`growing`,
//! `bounded`). It serves until SIGINT (Ctrl-C) or SIGTERM, which finish its
//! session (`Session::finish_on_signal`, one line) as `cargo perf soak`
//! stops it; `--seconds N` makes it stop by itself after N seconds.
//!
//! Run: `cargo perf soak --duration 30s --warmup 2s --example leak -- growing`
//! (exit 1, growing by about 6 MiB a minute), or `-- bounded` (exit 0).

use std::collections::{HashMap, VecDeque};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use perf_core::{Session, profile};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// The size of each answer.
const ANSWER_BYTES: usize = 512;
/// The answers the bounded cache keeps.
const BOUND: usize = 100;
/// The pause between requests: about 200 a second.
const PAUSE: Duration = Duration::from_millis(5);
/// How often the access log is flushed.
const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// Which cache the service has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Keeps every answer.
    Growing,
    /// Keeps the newest [`BOUND`] answers.
    Bounded,
}

/// Answers by key, and in the bounded mode the keys oldest first.
struct Cache {
    mode: Mode,
    answers: HashMap<u64, String>,
    order: VecDeque<u64>,
}

impl Cache {
    fn new(mode: Mode) -> Cache {
        Cache {
            mode,
            answers: HashMap::new(),
            order: VecDeque::with_capacity(BOUND + 1),
        }
    }

    /// Keeps `answer` for `key`; the bounded cache evicts its oldest.
    #[profile(name = "cache::remember")]
    fn remember(&mut self, key: u64, answer: &str) {
        self.answers.insert(key, answer.to_owned());
        if self.mode == Mode::Bounded {
            self.order.push_back(key);
            if self.order.len() > BOUND {
                let oldest = self.order.pop_front().expect("more than the bound");
                self.answers.remove(&oldest);
            }
        }
    }
}

/// The answer to request `key`: built, cached, logged.
#[profile(name = "service::handle")]
fn handle(cache: &mut Cache, log: &mut Vec<String>, key: u64) -> usize {
    let mut answer = format!("answer {key:>12}: ");
    while answer.len() < ANSWER_BYTES {
        answer.push_str("lorem ipsum ");
    }
    answer.truncate(ANSWER_BYTES);
    cache.remember(key, &answer);
    log.push(format!("GET /items/{key} 200 {answer}"));
    answer.len()
}

/// Writes the access log away: it is cleared, its memory kept for reuse.
#[profile(name = "service::flush_log")]
fn flush_log(log: &mut Vec<String>) -> usize {
    let lines = log.len();
    log.clear();
    lines
}

/// The mode and how long to run (`None`: until stopped), from the
/// arguments and `LEAK_CACHE`.
fn options() -> Result<(Mode, Option<Duration>), String> {
    let mut mode = std::env::var("LEAK_CACHE").ok();
    let mut seconds = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = args.next().ok_or("--seconds needs a number")?;
                seconds = Some(value.parse().ok().filter(|&s| s > 0).ok_or_else(|| {
                    format!("--seconds: not a whole number of seconds: {value:?}")
                })?);
            }
            other => mode = Some(other.to_owned()),
        }
    }
    let mode = match mode.as_deref() {
        None | Some("growing") => Mode::Growing,
        Some("bounded") => Mode::Bounded,
        Some(other) => {
            return Err(format!(
                "unknown cache {other:?}: growing or bounded (as an argument or LEAK_CACHE)"
            ));
        }
    };
    Ok((mode, seconds.map(Duration::from_secs)))
}

fn main() -> ExitCode {
    let (mode, duration) = match options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("leak: {e}");
            return ExitCode::from(2);
        }
    };
    // SIGINT or SIGTERM write the run and end the process.
    let session = match Session::start("leak").and_then(Session::finish_on_signal) {
        Ok(session) => session,
        Err(e) => {
            eprintln!("leak: {e}");
            return ExitCode::FAILURE;
        }
    };
    match duration {
        Some(duration) => println!("serving with a {mode:?} cache for {duration:?}"),
        None => println!("serving with a {mode:?} cache until SIGINT or SIGTERM"),
    }
    let mut cache = Cache::new(mode);
    let mut log = Vec::new();
    let started = Instant::now();
    let mut flushed = started;
    let (mut requests, mut bytes) = (0u64, 0usize);
    while duration.is_none_or(|duration| started.elapsed() < duration) {
        bytes += handle(&mut cache, &mut log, requests);
        requests += 1;
        if flushed.elapsed() >= FLUSH_EVERY {
            flush_log(&mut log);
            flushed = Instant::now();
        }
        std::thread::sleep(PAUSE);
    }
    match session.finish() {
        Ok(run) => {
            println!(
                "{requests} requests, {bytes} bytes answered, {} answers cached",
                cache.answers.len()
            );
            println!("{}", run.summary());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("leak: {e}");
            ExitCode::FAILURE
        }
    }
}
