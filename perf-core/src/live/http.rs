//! The live endpoints' HTTP server: hyper on a single-threaded tokio
//! runtime, on a thread of its own. GET and HEAD only; everything bounded:
//! a request head of at most 16 KiB (a longer one is answered 414 or 431),
//! 5 s to send it, [`MAX_CONNECTIONS`] at once (more are answered 503 and
//! closed), and
//! a connection ends [`IDLE`] after its last request began (plus the seconds a
//! profile asked for), also when the client stops reading.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Semaphore, watch};

use super::figures::SessionSource;
use super::metrics::{self, SelfTimeFloor, SessionInfo};
use super::{page, window};
use crate::model::FunctionStats;

/// Connections served at once; more are closed as soon as they are accepted.
pub(crate) const MAX_CONNECTIONS: usize = 64;
/// What a connection over [`MAX_CONNECTIONS`] is told before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n\
    Content-Length: 55\r\nConnection: close\r\nRetry-After: 1\r\n\r\n\
    perf: 64 connections are open already; try again soon.\n";
/// How long a connection lives after its last request began.
const IDLE: Duration = Duration::from_secs(30);
/// Flamegraphs of a window taken at once; more are answered 503.
const MAX_WINDOWS: usize = 4;
/// The longest window a profile or flamegraph may ask for, in seconds.
pub(crate) const MAX_SECONDS: u64 = 300;

/// What the handlers share.
pub(crate) struct State {
    pub(crate) source: SessionSource,
    pub(crate) info: SessionInfo,
    floor: SelfTimeFloor,
    /// The functions as the page last showed them, and when.
    last_page: Mutex<Option<(Vec<FunctionStats>, Instant)>>,
    /// Flamegraph windows being waited for: at most [`MAX_WINDOWS`].
    windows: Semaphore,
    /// The session's CPU sampler, when it samples.
    #[cfg(all(feature = "cpu", unix))]
    pub(crate) cpu: Option<Arc<Mutex<crate::sampling::CpuSampler>>>,
    /// Held while a CPU profile is taken: one at a time, as Go's.
    #[cfg(all(feature = "cpu", unix))]
    cpu_busy: tokio::sync::Mutex<()>,
}

impl State {
    /// The state of a server of `source`.
    pub(crate) fn new(
        source: SessionSource,
        info: SessionInfo,
        #[cfg(all(feature = "cpu", unix))] cpu: Option<Arc<Mutex<crate::sampling::CpuSampler>>>,
    ) -> State {
        State {
            source,
            info,
            floor: SelfTimeFloor::default(),
            last_page: Mutex::new(None),
            windows: Semaphore::new(MAX_WINDOWS),
            #[cfg(all(feature = "cpu", unix))]
            cpu,
            #[cfg(all(feature = "cpu", unix))]
            cpu_busy: tokio::sync::Mutex::new(()),
        }
    }
}

/// Serves `listener` until `stop` says so.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors, most likely: let some close.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                    // Told why if its buffer takes it at once; closed either way.
                    let _ = stream.try_write(BUSY);
                    drop(stream);
                    continue;
                };
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    connection(stream, state).await;
                    drop(permit);
                });
            }
            _ = stop.changed() => return,
        }
    }
}

/// Serves one connection until it closes or its deadline passes.
async fn connection(stream: tokio::net::TcpStream, state: Arc<State>) {
    let deadline = Arc::new(Mutex::new(Instant::now() + IDLE));
    let service = {
        let deadline = Arc::clone(&deadline);
        hyper::service::service_fn(move |request| {
            let state = Arc::clone(&state);
            let deadline = Arc::clone(&deadline);
            async move {
                let window = requested_seconds(&request).unwrap_or(0);
                *crate::sync::lock(&deadline) =
                    Instant::now() + IDLE + Duration::from_secs(window.min(MAX_SECONDS));
                Ok::<_, std::convert::Infallible>(respond(&state, request).await)
            }
        })
    };
    let mut served = std::pin::pin!(
        hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(5))
            .max_buf_size(16 * 1024)
            .serve_connection(TokioIo::new(stream), service)
    );
    loop {
        let until = *crate::sync::lock(&deadline);
        tokio::select! {
            _ = &mut served => return,
            _ = tokio::time::sleep_until(until.into()) => {
                if Instant::now() >= *crate::sync::lock(&deadline) {
                    return;
                }
            }
        }
    }
}

/// The `seconds` a request's query asks for, if it names a number.
fn requested_seconds(request: &Request<Incoming>) -> Option<u64> {
    query(request).get("seconds").and_then(|s| s.parse().ok())
}

/// A request's query parameters (the last of each name).
fn query(request: &Request<Incoming>) -> HashMap<String, String> {
    request
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => (key.to_owned(), value.to_owned()),
            None => (pair.to_owned(), String::new()),
        })
        .collect()
}

/// A response of `status` with `body` of `content_type`.
fn reply(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A plain-text error.
fn error(status: StatusCode, message: String) -> Response<Full<Bytes>> {
    reply(status, "text/plain; charset=utf-8", format!("{message}\n"))
}

/// What every unknown path is told.
const ENDPOINTS: &str = "perf serves: / (live page), /metrics, /debug/perf/run.json, \
    /debug/perf/flamegraph.svg?seconds=N, /debug/pprof/allocs, /debug/pprof/profile?seconds=N";

/// Answers one request.
async fn respond(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "perf's live endpoints answer GET only, not {}",
                request.method()
            ),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    match request.uri().path() {
        "/" => live_page(state),
        "/metrics" => {
            let accept = request
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok());
            let openmetrics = metrics::wants_openmetrics(accept);
            let (functions, heap) = state.source.counts();
            let body = metrics::encode(functions, heap, &state.info, &state.floor, openmetrics);
            let content_type = if openmetrics {
                metrics::OPENMETRICS_TEXT
            } else {
                metrics::PROMETHEUS_TEXT
            };
            reply(StatusCode::OK, content_type, body)
        }
        "/debug/perf/run.json" => {
            let run = state.source.run_so_far(state.source.figures());
            match serde_json::to_vec_pretty(&run) {
                Ok(json) => reply(StatusCode::OK, "application/json", json),
                Err(e) => error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot write the run: {e}"),
                ),
            }
        }
        "/debug/perf/flamegraph.svg" => {
            let seconds = match seconds(&request, 5) {
                Ok(seconds) => seconds,
                Err(response) => return *response,
            };
            let Ok(_window) = state.windows.try_acquire() else {
                return error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "{MAX_WINDOWS} flamegraph windows are being taken already; try again later"
                    ),
                );
            };
            let before = state.source.figures();
            tokio::time::sleep(seconds).await;
            let after = state.source.figures();
            let stacks = window::between(&before, &after);
            let svg = window::flamegraph(&state.source.name, seconds, &stacks);
            reply(StatusCode::OK, "image/svg+xml", svg)
        }
        "/debug/pprof/allocs" => allocs(state),
        "/debug/pprof/profile" => cpu_profile(state, &request).await,
        path => error(
            StatusCode::NOT_FOUND,
            format!("no endpoint {path:?}. {ENDPOINTS}"),
        ),
    }
}

/// The window a request asks for: `seconds=N`, 1 to [`MAX_SECONDS`], else
/// `default`; anything else is a 400 saying why.
fn seconds(
    request: &Request<Incoming>,
    default: u64,
) -> Result<Duration, Box<Response<Full<Bytes>>>> {
    let query = query(request);
    let Some(given) = query.get("seconds") else {
        return Ok(Duration::from_secs(default));
    };
    match given.parse::<u64>() {
        Ok(n) if (1..=MAX_SECONDS).contains(&n) => Ok(Duration::from_secs(n)),
        _ => Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            format!("seconds={given:?}: give a whole number of seconds from 1 to {MAX_SECONDS}"),
        ))),
    }
}

/// The live page, its interval running from the page's last load.
fn live_page(state: &State) -> Response<Full<Bytes>> {
    let now = state.source.figures();
    let mut last = crate::sync::lock(&state.last_page);
    let (before, since) = match last.as_ref() {
        Some((functions, at)) => (Some(functions.as_slice()), at.elapsed()),
        None => (None, state.source.elapsed()),
    };
    let html = page::render(&state.source.name, &now, before, since.as_secs_f64());
    *last = Some((now.functions, now.taken));
    reply(StatusCode::OK, "text/html; charset=utf-8", html)
}

/// `/debug/pprof/allocs`: the bytes and allocations of each `#[profile]`
/// call path's own code since the session started, gzip'd pprof.
fn allocs(state: &State) -> Response<Full<Bytes>> {
    let figures = state.source.figures();
    if !state.source.alloc_tracking {
        return error(
            StatusCode::NOT_FOUND,
            "no allocations are counted: make perf_core::PerfAlloc the #[global_allocator]"
                .to_owned(),
        );
    }
    pprof_reply(&super::allocs::profile(&figures, state.source.elapsed()))
}

/// A pprof profile as Go's `net/http/pprof` sends it: gzip'd protobuf.
fn pprof_reply(profile: &[u8]) -> Response<Full<Bytes>> {
    let mut response = reply(
        StatusCode::OK,
        "application/octet-stream",
        crate::pprof::gzip(profile),
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"profile\""),
    );
    response
}

/// `/debug/pprof/profile?seconds=N`: the CPU samples of the next N seconds
/// (30 unless asked), one profile at a time.
#[cfg(all(feature = "cpu", unix))]
async fn cpu_profile(state: &State, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let seconds = match seconds(request, 30) {
        Ok(seconds) => seconds,
        Err(response) => return *response,
    };
    let Some(cpu) = &state.cpu else {
        return error(
            StatusCode::NOT_FOUND,
            "this session does not sample the CPU (SessionBuilder::cpu_sampling(0))".to_owned(),
        );
    };
    let Ok(_busy) = state.cpu_busy.try_lock() else {
        return error(
            StatusCode::CONFLICT,
            "a CPU profile is being taken already: one at a time".to_owned(),
        );
    };
    let mark = match crate::sync::lock(cpu).mark() {
        Ok(mark) => mark,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    tokio::time::sleep(seconds).await;
    let profile = crate::sync::lock(cpu).profile_since(&mark);
    match profile {
        Ok(profile) => pprof_reply(&profile.encode_pprof()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `/debug/pprof/profile` in a build without CPU sampling.
#[cfg(not(all(feature = "cpu", unix)))]
async fn cpu_profile(_: &State, _: &Request<Incoming>) -> Response<Full<Bytes>> {
    error(
        StatusCode::NOT_FOUND,
        "CPU profiles need perf-core's `cpu` feature (unix only)".to_owned(),
    )
}

/// Where the server listens, resolved from what the user wrote: `PORT`
/// alone is 127.0.0.1:PORT.
pub(crate) fn resolve(addr: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let addr = addr.trim();
    if addr.is_empty() {
        return Err("it is empty; give HOST:PORT, such as 127.0.0.1:9464".to_owned());
    }
    if let Ok(port) = addr.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    addr.to_socket_addrs()
        .map_err(|e| format!("{e}; give HOST:PORT, such as 127.0.0.1:9464"))?
        .next()
        .ok_or_else(|| "it resolves to no address".to_owned())
}
