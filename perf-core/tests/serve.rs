//! The live endpoints (feature `serve`), as a client meets them: counters
//! equal to the exact counts while the session runs, bad requests answered
//! with a clear HTTP error or cut off, and the program's counts unaffected.
#![cfg(feature = "serve")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use perf_core::{Error, Session, profile};

/// Sessions are one per process: the tests take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[profile(name = "serve::work")]
fn work(n: u64) -> Result<u64, String> {
    if n % 10 == 0 {
        return Err(format!("{n} is round"));
    }
    Ok(std::hint::black_box(n) * 2)
}

/// One HTTP/1.1 request, answered as (status, head, body).
fn get(addr: SocketAddr, request: &str) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let Some(split) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        // Closed without a word.
        return (0, String::new(), response);
    };
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head[9..12].parse().unwrap();
    (status, head, response[split + 4..].to_vec())
}

fn path(addr: SocketAddr, path: &str) -> (u16, String, Vec<u8>) {
    get(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
}

/// The value of the sample `name{labels}` in a text exposition.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.split(' ').next()?.parse().ok())
}

#[test]
fn metrics_count_exactly_while_the_session_runs() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let session = Session::builder("serve").dir(dir.path()).start().unwrap();
    let live = session.serve("127.0.0.1:0").unwrap();
    let addr = live.addr();
    let threads: Vec<_> = (0..3)
        .map(|t| {
            std::thread::spawn(move || {
                for n in 0..1000 * (t + 1) {
                    let _ = work(n);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    // 1000 + 2000 + 3000 calls; every tenth failed.
    let (status, head, body) = path(addr, "/metrics");
    let text = String::from_utf8(body).unwrap();
    assert_eq!(status, 200, "{head}\n{text}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    assert_eq!(
        sample(
            &text,
            r#"perf_function_calls_total{function="serve::work"}"#
        ),
        Some(6000.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"perf_function_errors_total{function="serve::work"}"#
        ),
        Some(600.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"perf_function_duration_seconds_count{function="serve::work"}"#
        ),
        Some(6000.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"perf_function_duration_seconds_bucket{function="serve::work",le="+Inf"}"#
        ),
        Some(6000.0)
    );
    assert!(text.contains(r#"perf_session_info{name="serve""#), "{text}");

    // OpenMetrics when asked, as Prometheus asks.
    let (status, head, body) = get(
        addr,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\nConnection: close\r\n\r\n",
    );
    let text = String::from_utf8(body).unwrap();
    assert_eq!(status, 200);
    assert!(head.contains("application/openmetrics-text"), "{head}");
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert_eq!(
        sample(
            &text,
            r#"perf_function_calls_total{function="serve::work"}"#
        ),
        Some(6000.0)
    );

    let (status, _, body) = path(addr, "/debug/perf/run.json");
    assert_eq!(status, 200);
    let run: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let work = run["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "serve::work")
        .unwrap();
    assert_eq!(
        (work["calls"].as_u64(), work["errors"].as_u64()),
        (Some(6000), Some(600))
    );

    let (status, _, body) = path(addr, "/");
    let page = String::from_utf8(body).unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains("serve::work") && page.contains("http-equiv=\"refresh\""),
        "{page}"
    );

    let run = session.finish().unwrap();
    assert_eq!(
        run.function("serve::work").map(|f| (f.calls, f.errors)),
        Some((6000, 600))
    );
    // The server stopped with the session.
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
    drop(live);
}

#[test]
fn a_flamegraph_shows_the_window_only() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let session = Session::builder("window").dir(dir.path()).start().unwrap();
    let live = session.serve("127.0.0.1:0").unwrap();
    for n in 1..100 {
        let _ = work(n);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = windowed();
            }
        })
    };
    let (status, head, body) = path(live.addr(), "/debug/perf/flamegraph.svg?seconds=1");
    stop.store(true, Ordering::Relaxed);
    worker.join().unwrap();
    let svg = String::from_utf8(body).unwrap();
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("image/svg+xml"));
    assert!(svg.contains("serve::windowed"), "{svg}");
    assert!(
        !svg.contains("serve::work"),
        "calls before the window are left out"
    );
    session.finish().unwrap();
}

#[profile(name = "serve::windowed")]
fn windowed() -> u64 {
    (0..1000u64).map(std::hint::black_box).sum()
}

#[test]
fn bad_requests_get_a_clear_error_and_leave_the_counts_alone() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let session = Session::builder("bad").dir(dir.path()).start().unwrap();
    let live = session.serve("127.0.0.1:0").unwrap();
    let addr = live.addr();

    let (status, _, body) = path(addr, "/nope");
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("/metrics"));
    for bad in ["-1", "999999", "abc", "0"] {
        let (status, _, body) = path(addr, &format!("/debug/perf/flamegraph.svg?seconds={bad}"));
        assert_eq!(status, 400, "seconds={bad}");
        assert!(String::from_utf8_lossy(&body).contains("from 1 to 300"));
    }
    let (status, head, _) = get(
        addr,
        "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 405);
    assert!(head.contains("allow: GET, HEAD"), "{head}");

    // A 1 MB URL: refused before it is read whole, or cut off.
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(1 << 20));
    let _ = stream.write_all(long.as_bytes());
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.is_empty()
            || response.starts_with("HTTP/1.1 414")
            || response.starts_with("HTTP/1.1 431"),
        "{response}"
    );

    // 200 connections at once, some never sending a byte, one never reading.
    let idle: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(addr).ok())
        .collect();
    let mut deaf = TcpStream::connect(addr).unwrap();
    let _ = deaf.write_all(
        b"GET /debug/perf/run.json HTTP/1.1\r\nHost: x\r\n\r\n"
            .repeat(50)
            .as_slice(),
    );

    // The program goes on, counted exactly.
    for n in 1..=500 {
        let _ = work(n);
    }
    // Over the limit, a connection is told so.
    let (status, _, body) = path(addr, "/metrics");
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
    drop(idle);
    let text = (0..100)
        .find_map(|_| {
            std::thread::sleep(Duration::from_millis(50));
            let (status, _, body) = path(addr, "/metrics");
            (status == 200).then(|| String::from_utf8(body).unwrap())
        })
        .expect("served again once the idle connections closed");
    assert_eq!(
        sample(
            &text,
            r#"perf_function_calls_total{function="serve::work"}"#
        ),
        Some(500.0)
    );
    drop(deaf);
    let run = session.finish().unwrap();
    assert_eq!(run.function("serve::work").map(|f| f.calls), Some(500));
}

#[test]
fn a_busy_or_bad_address_is_an_error() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let session = Session::builder("busy").dir(dir.path()).start().unwrap();
    let live = session.serve("127.0.0.1:0").unwrap();
    let taken = live.addr().to_string();
    match session.serve(&taken) {
        Err(Error::Serve {
            addr,
            origin,
            reason,
        }) => {
            assert_eq!((addr.as_str(), origin), (taken.as_str(), "Session::serve"));
            assert!(reason.contains("in use"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    for bad in ["", "not an address", "127.0.0.1:99999"] {
        let err = session.serve(bad).unwrap_err();
        assert!(
            err.to_string().contains("cannot serve live figures"),
            "{err}"
        );
    }
    session.finish().unwrap();
}
