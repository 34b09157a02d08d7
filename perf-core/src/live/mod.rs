//! Live: a running session serves its figures over HTTP (feature `serve`),
//! to Prometheus, pprof tools and a browser, until it finishes.
//!
//! [`Session::serve`](crate::Session::serve) binds the address at once (a bad
//! or busy one is an [`Error`]) and serves from a thread of its own; each
//! request reads the threads' call trees as they are (see
//! [`figures`]), so nothing is kept between requests but the page's last
//! look and the self-time floor of `/metrics`.

mod allocs;
mod counts;
mod figures;
#[cfg(test)]
mod fixtures;
mod http;
mod metrics;
mod page;
mod window;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::watch;

use crate::Error;
pub(crate) use figures::SessionSource;
pub(crate) use http::State;
pub(crate) use metrics::SessionInfo;

/// A running server of live figures: stops when dropped, or with its session.
#[derive(Debug)]
pub struct Live {
    addr: SocketAddr,
    server: Server,
}

impl Live {
    /// Where it listens (the port chosen, if the address gave port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.server.stop();
    }
}

/// A server's thread and the way to stop it, shared by its [`Live`] handle
/// and its session (which stops it before it finishes).
#[derive(Clone, Debug)]
pub(crate) struct Server(Arc<Mutex<Option<Running>>>);

#[derive(Debug)]
struct Running {
    stop: watch::Sender<bool>,
    thread: JoinHandle<()>,
}

impl Server {
    /// Stops the server and waits for its thread; nothing if stopped already.
    pub(crate) fn stop(&self) {
        let running = crate::sync::lock(&self.0).take();
        if let Some(Running { stop, thread }) = running {
            let _ = stop.send(true);
            let _ = thread.join();
        }
    }
}

/// Listens on `addr` (from `origin`, for errors) and serves `state` from a
/// thread of its own.
pub(crate) fn start(
    addr: &str,
    origin: &'static str,
    state: State,
) -> Result<(Live, Server), Error> {
    let failed = |reason: String| Error::Serve {
        addr: addr.to_owned(),
        origin,
        reason,
    };
    let socket = http::resolve(addr).map_err(failed)?;
    let listener = std::net::TcpListener::bind(socket).map_err(|e| failed(e.to_string()))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| failed(e.to_string()))?;
    let bound = listener.local_addr().map_err(|e| failed(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| failed(format!("cannot start its runtime: {e}")))?;
    let (stop, stopped) = watch::channel(false);
    let state = Arc::new(state);
    let thread = std::thread::Builder::new()
        .name("perf-serve".to_owned())
        .spawn(move || runtime.block_on(http::serve(listener, state, stopped)))
        .map_err(|e| failed(format!("cannot start its thread: {e}")))?;
    let server = Server(Arc::new(Mutex::new(Some(Running { stop, thread }))));
    let live = Live {
        addr: bound,
        server: server.clone(),
    };
    Ok((live, server))
}
