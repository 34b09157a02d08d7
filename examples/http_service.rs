//! HTTP service: an axum server under load from `wrk`, profiled per handler.
//!
//! Three routes of different cost, each an `#[profile] async fn` handler:
//!
//! - `GET /health` (`handler::health`): next to nothing.
//! - `GET /items/{id}` (`handler::item`): a lookup in a small in-memory store
//!   of 1,000 items (`store::get`); ids above 1,000 answer 404.
//! - `GET /search?q=WORD` (`handler::search`): real work, a scan of every
//!   item's description (`search::rank`) and a page of the best ten
//!   (`search::render`).
//!
//! The example starts the server on a free port of 127.0.0.1, loads each
//! route in turn with `wrk -t2 -c16 -d2s --latency` (driven by
//! `http_service.lua` beside this file), shuts the server down gracefully and
//! finishes the session. It then prints, per route, what wrk counted and saw
//! (requests, requests/s, its client-side latency) next to what the handlers
//! recorded in `run.json` (calls, p50/p95/p99 of the time inside the handler),
//! and where the flamegraphs are.
//!
//! With `--serve` it is a long-running server (no wrk): bring your own load
//! (`curl`, `wrk`, a browser). The session is started with
//! `Session::finish_on_signal`: Ctrl-C or SIGTERM (in either mode) finishes
//! it and writes its files, then the process ends by that signal — the way
//! `cargo perf soak` stops a program.
//!
//! Needs `wrk` on PATH for the load (Debian: `apt-get install wrk`).
//!
//! With `--live ADDR` (or `PERF_SERVE=ADDR`) the session also serves its
//! figures live on ADDR while it runs (perf-core's `serve` feature):
//! `/metrics` for Prometheus, `/debug/pprof/allocs` (and, built with
//! `--features cpu`, `/debug/pprof/profile`) for `go tool pprof`, and a live
//! page at `/`. A missing item (`/items/{id}` above 1,000) is an `Err` of its
//! handler, counted as a failed call.
//!
//! Run: `cargo run --release --example http_service [-- --duration 2s]`,
//! or `cargo run --release --example http_service -- --serve [--port 8080] [--live 127.0.0.1:9464]`

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path as FsPath;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use perf_core::format::{count, duration};
use perf_core::{Session, profile};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// The wrk script, written to a temporary file for each load run.
const WRK_SCRIPT: &str = include_str!("http_service.lua");

/// wrk's threads and connections.
const WRK_THREADS: u32 = 2;
const WRK_CONNECTIONS: u32 = 16;

/// The routes: how wrk is told to load it, its path, its handler.
const ROUTES: [(&str, &str, &str); 3] = [
    ("health", "/health", "handler::health"),
    ("items", "/items/{id}", "handler::item"),
    ("search", "/search?q=", "handler::search"),
];

/// An item of the store.
struct Item {
    id: u64,
    name: String,
    description: String,
    cents: u64,
}

/// An in-memory store, and what the handlers served.
struct App {
    items: HashMap<u64, Item>,
    /// Requests each handler answered, in the order of [`ROUTES`].
    served: [AtomicU64; 3],
}

impl App {
    fn seeded(n: u64) -> App {
        const WORDS: [&str; 16] = [
            "rust", "tokio", "flame", "graph", "cache", "query", "async", "trace", "span", "alloc",
            "heap", "stack", "lock", "queue", "batch", "shard",
        ];
        let items = (1..=n)
            .map(|id| {
                let description = (0..24)
                    .map(|k| WORDS[((id * 7 + k * k * 13 + k) % 16) as usize])
                    .collect::<Vec<_>>()
                    .join(" ");
                let item = Item {
                    id,
                    name: format!("item-{id:04}"),
                    description,
                    cents: 100 + id * 37 % 9_900,
                };
                (id, item)
            })
            .collect();
        App {
            items,
            served: Default::default(),
        }
    }

    #[profile(name = "store::get")]
    fn get(&self, id: u64) -> Option<&Item> {
        self.items.get(&id)
    }
}

#[profile(name = "handler::health")]
async fn health(State(app): State<Arc<App>>) -> &'static str {
    app.served[0].fetch_add(1, Ordering::Relaxed);
    "ok\n"
}

/// A missing item is an `Err`: `#[profile]` counts it as a failed call
/// (`errors` in run.json, `perf_function_errors_total` live).
#[profile(name = "handler::item")]
async fn item(
    State(app): State<Arc<App>>,
    Path(id): Path<u64>,
) -> Result<String, (StatusCode, String)> {
    app.served[1].fetch_add(1, Ordering::Relaxed);
    let item = app
        .get(id)
        .ok_or_else(|| (StatusCode::NOT_FOUND, format!("no item {id}\n")))?;
    Ok(format!(
        "{{\"id\":{},\"name\":\"{}\",\"cents\":{}}}\n",
        item.id, item.name, item.cents
    ))
}

#[profile(name = "handler::search")]
async fn search(
    State(app): State<Arc<App>>,
    Query(params): Query<HashMap<String, String>>,
) -> String {
    let query = params.get("q").map_or("", String::as_str);
    let hits = rank(&app, query);
    let page = render(&hits);
    app.served[2].fetch_add(1, Ordering::Relaxed);
    page
}

/// Every item scored by how often the query's words occur in it; the best ten.
#[profile(name = "search::rank")]
fn rank<'a>(app: &'a App, query: &str) -> Vec<(usize, &'a Item)> {
    let terms: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let mut hits: Vec<(usize, &Item)> = app
        .items
        .values()
        .map(|item| {
            let score = item
                .description
                .split(' ')
                .filter(|word| terms.iter().any(|term| term == word))
                .count();
            (score, item)
        })
        .filter(|(score, _)| *score > 0)
        .collect();
    hits.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    hits.truncate(10);
    hits
}

#[profile(name = "search::render")]
fn render(hits: &[(usize, &Item)]) -> String {
    let mut page = String::new();
    for (score, item) in hits {
        let _ = writeln!(page, "{} ({score}): {}", item.name, item.description);
    }
    page
}

/// Command-line options.
struct Options {
    /// A long-running server, no wrk.
    serve: bool,
    /// 0: any free port.
    port: u16,
    /// Where to serve the session's live figures (`Session::serve`), if anywhere.
    live: Option<String>,
    /// Seconds of wrk load per route.
    seconds: u64,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        serve: false,
        port: 0,
        live: None,
        seconds: 2,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--serve" => options.serve = true,
            "--port" => {
                let value = args.next().ok_or("--port needs a number")?;
                options.port = value
                    .parse()
                    .map_err(|_| format!("--port: not a port: {value:?}"))?;
            }
            "--live" => {
                options.live = Some(
                    args.next()
                        .ok_or("--live needs an address, like 127.0.0.1:9464")?,
                );
            }
            "--duration" => {
                let value = args.next().ok_or("--duration needs seconds, like 2s")?;
                options.seconds = value
                    .trim_end_matches('s')
                    .parse()
                    .ok()
                    .filter(|&s| s > 0)
                    .ok_or_else(|| format!("--duration: not whole seconds: {value:?}"))?;
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (try --duration 2s, --serve, --port N, --live ADDR)"
                ));
            }
        }
    }
    Ok(options)
}

/// What wrk reported for one route (the script's `wrk-result` line).
#[derive(Default)]
struct WrkResult {
    requests: u64,
    /// Responses with a status of 400 or more (wrk's `errors.status`).
    error_status: u64,
    errors: u64,
    duration_us: u64,
    p50_us: u64,
    p99_us: u64,
}

impl WrkResult {
    fn parse(stdout: &str) -> Option<WrkResult> {
        let line = stdout
            .lines()
            .find_map(|line| line.strip_prefix("wrk-result "))?;
        let mut result = WrkResult::default();
        for field in line.split_whitespace() {
            let (key, value) = field.split_once('=')?;
            let value = value.parse().ok()?;
            match key {
                "requests" => result.requests = value,
                "error_status" => result.error_status = value,
                "errors" => result.errors = value,
                "duration_us" => result.duration_us = value,
                "p50_us" => result.p50_us = value,
                "p99_us" => result.p99_us = value,
                _ => {}
            }
        }
        Some(result)
    }
}

/// Whether `program` is an executable file on PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Loads each route in turn with wrk.
async fn load(addr: SocketAddr, seconds: u64, script: &FsPath) -> Result<Vec<WrkResult>, String> {
    let mut results = Vec::new();
    for (route, path, _) in ROUTES {
        println!("wrk: {path} for {seconds} s …");
        let output = tokio::process::Command::new("wrk")
            .arg(format!("-t{WRK_THREADS}"))
            .arg(format!("-c{WRK_CONNECTIONS}"))
            .arg(format!("-d{seconds}s"))
            .arg("--latency")
            .arg("-s")
            .arg(script)
            .arg(format!("http://{addr}/"))
            .args(["--", route])
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| format!("cannot run wrk: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        match WrkResult::parse(&stdout) {
            Some(result) if output.status.success() => results.push(result),
            _ => {
                return Err(format!(
                    "wrk failed on {path} ({}): {}{}",
                    output.status,
                    stdout.trim(),
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
        }
    }
    Ok(results)
}

/// How long open connections may take to finish once shutdown begins.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let options = match options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("http_service: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if !options.serve && !on_path("wrk") {
        eprintln!(
            "http_service: `wrk` is not installed: install it (Debian/Ubuntu: `apt-get install wrk`), \
             or run with `-- --serve` and bring your own load"
        );
        return Ok(ExitCode::FAILURE);
    }
    let app = Arc::new(App::seeded(1_000));
    let router = Router::new()
        .route("/health", get(health))
        .route("/items/{id}", get(item))
        .route("/search", get(search))
        .with_state(Arc::clone(&app));

    // One line: Ctrl-C or SIGTERM finishes the session (the run is written)
    // and ends the process.
    let session = Session::start("http_service")?;
    // Live figures while it runs: /metrics for Prometheus, pprof profiles,
    // a live page (`PERF_SERVE=ADDR` does the same without this line).
    let live = options
        .live
        .as_deref()
        .map(|addr| session.serve(addr))
        .transpose()?;
    if let Some(live) = &live {
        println!("live figures on http://{}/", live.addr());
    }
    let session = session.finish_on_signal()?;
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "http_service: cannot listen on 127.0.0.1:{}: {e}",
                options.port
            );
            return Ok(ExitCode::from(2));
        }
    };
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );
    println!("listening on http://{addr}");

    if options.serve {
        println!(
            "serving until Ctrl-C or SIGTERM; try: curl 'http://{addr}/search?q=rust' \
             or wrk -c16 -d10s http://{addr}/health"
        );
        // The signal finishes the session and ends the process.
        return std::future::pending().await;
    }
    let script = std::env::temp_dir().join(format!("perf-http_service-{}.lua", std::process::id()));
    std::fs::write(&script, WRK_SCRIPT)?;
    let outcome = load(addr, options.seconds, &script).await;
    let _ = std::fs::remove_file(&script);
    let (wrk, load_failed) = match outcome {
        Ok(results) => (Some(results), false),
        Err(e) => {
            eprintln!("http_service: {e}");
            (None, true)
        }
    };
    let _ = stop.send(());
    // Open connections get a while to finish their requests; a client that
    // holds one open does not keep the session from finishing.
    let mut server = server;
    match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
        Ok(served) => served??,
        Err(_) => {
            server.abort();
            eprintln!(
                "http_service: connections still open {} s after shutdown began: closed",
                SHUTDOWN_GRACE.as_secs()
            );
        }
    }
    let run = session.finish()?;

    println!("{}", run.summary());
    if let Some(results) = &wrk {
        println!(
            "load from wrk (-t{WRK_THREADS} -c{WRK_CONNECTIONS}, {} s per route) on loopback, client side:",
            options.seconds
        );
        for ((_, path, _), r) in ROUTES.iter().zip(results) {
            let per_second = r.requests as f64 * 1e6 / r.duration_us.max(1) as f64;
            println!(
                "  {path:<12} wrk: {} requests, {}/s, {} 4xx/5xx, {} socket errors, latency p50 {} p99 {}",
                r.requests,
                count(per_second.round()),
                r.error_status,
                r.errors,
                duration(r.p50_us as f64 * 1e3),
                duration(r.p99_us as f64 * 1e3),
            );
        }
    }
    println!("inside the handlers (run.json):");
    for (i, (_, path, handler)) in ROUTES.iter().enumerate() {
        let served = app.served[i].load(Ordering::Relaxed);
        let Some(stats) = run.function(handler) else {
            println!("  {path:<12} {handler:<16} served 0");
            continue;
        };
        println!(
            "  {path:<12} {handler:<16} served {served}, {} calls, p50 {} p95 {} p99 {}",
            stats.calls,
            duration(stats.p50_ns as f64),
            duration(stats.p95_ns as f64),
            duration(stats.p99_ns as f64),
        );
    }
    println!("\nopen in a browser:");
    perf_examples::print_files(&run);
    Ok(if load_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
