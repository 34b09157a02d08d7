//! Async service: which handler waits, and which one burns the CPU?
//!
//! A tokio service (two worker threads) answers three kinds of request:
//!
//! - `handler::user_profile` asks a database backend over a channel and waits
//!   for its reply; the backend answers one query at a time after a simulated
//!   network round trip, so this handler mostly *waits* (queueing included).
//! - `handler::thumbnail` is CPU-bound: it digests an image buffer.
//! - `handler::checkout` is mixed: it waits on a payment gateway
//!   (`tokio::time::sleep`), then prices the cart on the CPU.
//!
//! The handlers are `#[profile(cpu)] async fn`s: perf times each call from its
//! first poll to its completion (wall time, suspended time included) and adds
//! up the thread CPU time of each poll. Wall − CPU is then the time the
//! handler spent off the CPU — awaiting I/O, a timer, a queue — which is what
//! tells the waiting handler from the busy one. (CPU time is that of the
//! polling threads: work handed to `spawn_blocking` would count as waiting.)
//!
//! Concurrent clients send `--requests N` requests of each kind (default 300);
//! the example prints, per handler, wall and CPU time per call and the
//! off-CPU share, names the handler that mostly waits, and where the
//! flamegraphs are.
//!
//! Run: `cargo run --release --example async_service [-- --requests N]`

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use perf_core::format::duration;
use perf_core::{Session, profile};
use tokio::sync::{mpsc, oneshot};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// Concurrent clients.
const CLIENTS: u64 = 12;

/// A database behind a network: one connection, one query at a time.
mod db {
    use super::*;

    /// The simulated network round trip of one query.
    pub(crate) const ROUND_TRIP: Duration = Duration::from_millis(1);

    pub(crate) struct Query {
        pub(crate) user: u64,
        pub(crate) reply: oneshot::Sender<String>,
    }

    /// Starts the backend; queries go through the returned sender.
    pub(crate) fn connect() -> mpsc::Sender<Query> {
        let (tx, mut rx) = mpsc::channel::<Query>(64);
        tokio::spawn(async move {
            while let Some(query) = rx.recv().await {
                tokio::time::sleep(ROUND_TRIP).await;
                let _ = query.reply.send(format!("user-{:05}", query.user));
            }
        });
        tx
    }
}

/// The service's state, shared by all requests.
struct Service {
    db: mpsc::Sender<db::Query>,
    image: Vec<u8>,
    served: [AtomicU64; 3],
}

/// A request, as the router hands it to a handler.
#[derive(Clone, Copy, Debug)]
enum Request {
    UserProfile(u64),
    Thumbnail(u64),
    Checkout(u64),
}

impl Service {
    /// Routes one request to its handler.
    async fn handle(&self, request: Request) -> usize {
        match request {
            Request::UserProfile(user) => self.user_profile(user).await.len(),
            Request::Thumbnail(seed) => self.thumbnail(seed).await.len(),
            Request::Checkout(cart) => self.checkout(cart).await.len(),
        }
    }

    /// Waits on the database: almost all of its wall time is off the CPU.
    #[profile(cpu, name = "handler::user_profile")]
    async fn user_profile(&self, user: u64) -> String {
        let (reply, answer) = oneshot::channel();
        if self.db.send(db::Query { user, reply }).await.is_err() {
            return String::from("database gone");
        }
        let name = answer.await.unwrap_or_default();
        self.served[0].fetch_add(1, Ordering::Relaxed);
        format!("{{\"id\":{user},\"name\":\"{name}\"}}")
    }

    /// CPU-bound: digests the image, never awaits.
    #[profile(cpu, name = "handler::thumbnail")]
    async fn thumbnail(&self, seed: u64) -> String {
        let digest = digest(&self.image, seed, 6);
        self.served[1].fetch_add(1, Ordering::Relaxed);
        format!("thumb-{digest:016x}")
    }

    /// Mixed: waits on the payment gateway, then prices the cart.
    #[profile(cpu, name = "handler::checkout")]
    async fn checkout(&self, cart: u64) -> String {
        authorize_payment().await;
        let cents = price(&self.image, cart);
        self.served[2].fetch_add(1, Ordering::Relaxed);
        format!("order {cart}: {}.{:02}", cents / 100, cents % 100)
    }
}

/// FNV-1a over the buffer, `rounds` times: a stand-in for image work.
#[profile(name = "compute::digest")]
fn digest(data: &[u8], seed: u64, rounds: u32) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325 ^ seed;
    for _ in 0..rounds {
        for &byte in std::hint::black_box(data) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// The payment gateway's round trip.
#[profile(name = "gateway::authorize")]
async fn authorize_payment() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// Prices a cart: twice a thumbnail's work.
#[profile(name = "compute::price")]
fn price(catalog: &[u8], cart: u64) -> u64 {
    digest(catalog, cart, 12) % 50_000
}

/// Wall, CPU and off-CPU share per call of a `#[profile(cpu)]` function.
struct WallCpu {
    wall_per_call: f64,
    cpu_per_call: f64,
    off_cpu: f64,
}

fn wall_cpu(stats: &perf_core::model::FunctionStats) -> WallCpu {
    let calls = stats.calls.max(1) as f64;
    let cpu = stats.cpu_ns.unwrap_or(0).min(stats.total_ns);
    WallCpu {
        wall_per_call: stats.total_ns as f64 / calls,
        cpu_per_call: cpu as f64 / calls,
        off_cpu: (stats.total_ns - cpu) as f64 / stats.total_ns.max(1) as f64,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    perf_examples::exit_with("async_service", run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let requests = perf_examples::requests_arg(300)?;
    let service = Arc::new(Service {
        db: db::connect(),
        image: (0..64 * 1024).map(|i| (i * 31 % 251) as u8).collect(),
        served: Default::default(),
    });

    let session = Session::start("async_service")?;
    // Clients take request numbers from one counter until each kind has had
    // `requests`: request n is of kind n % 3.
    let next = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (service, next) = (Arc::clone(&service), Arc::clone(&next));
            tokio::spawn(async move {
                let mut bytes = 0;
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= 3 * requests {
                        return bytes;
                    }
                    let request = match n % 3 {
                        0 => Request::UserProfile(n / 3),
                        1 => Request::Thumbnail(n / 3),
                        _ => Request::Checkout(n / 3),
                    };
                    bytes += service.handle(request).await;
                }
            })
        })
        .collect();
    let mut bytes = 0;
    for client in clients {
        bytes += client.await?;
    }
    let run = session.finish()?;

    println!("{}", run.summary());
    let served = service.served.each_ref().map(|n| n.load(Ordering::Relaxed));
    println!(
        "served {} requests ({bytes} bytes) from {CLIENTS} concurrent clients on 2 worker threads:",
        served.iter().sum::<u64>()
    );
    println!(
        "  {:<22} {:>6} {:>12} {:>12} {:>8}",
        "handler", "calls", "wall/call", "cpu/call", "off-CPU"
    );
    let mut most_waiting: Option<(&str, f64)> = None;
    for handler in [
        "handler::user_profile",
        "handler::thumbnail",
        "handler::checkout",
    ] {
        let Some(stats) = run.function(handler) else {
            println!("  {handler:<22} not called");
            continue;
        };
        let w = wall_cpu(stats);
        println!(
            "  {handler:<22} {:>6} {:>12} {:>12} {:>7.0}%",
            stats.calls,
            duration(w.wall_per_call),
            duration(w.cpu_per_call),
            w.off_cpu * 100.0,
        );
        if most_waiting.is_none_or(|(_, share)| w.off_cpu > share) {
            most_waiting = Some((handler, w.off_cpu));
        }
    }
    if let Some((handler, share)) = most_waiting {
        println!(
            "mostly waiting: {handler} spends {:.0}% of its wall time off the CPU \
             (awaiting I/O, timers or a queue)",
            share * 100.0
        );
    }
    println!("\nopen in a browser:");
    perf_examples::print_files(&run);
    Ok(())
}
