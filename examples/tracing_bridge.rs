//! Tracing bridge: an app instrumented with `tracing` gets perf's flamegraphs
//! without changing one annotation.
//!
//! The app below is annotated the `tracing` way only — `#[tracing::instrument]`
//! on a request handler (an `async fn`) and on the sync and async functions it
//! calls — as an existing service would be. perf sees its spans through one
//! more layer on the subscriber:
//!
//! ```ignore
//! tracing_subscriber::registry().with(perf_core::tracing::PerfLayer::new()).init();
//! ```
//!
//! (next to whatever layers the app already has: `fmt`, OpenTelemetry, …).
//! Inside a `perf_core::Session`, each span is one call of a function named
//! `module::fn`, nested as the spans nest; an instrumented `async fn` counts
//! once per call, from its first poll to its completion. The example handles
//! a batch of requests, then prints the functions that landed in `run.json`
//! (calls, wall time per call), the call tree as the spans nested it, and
//! where `flamegraph.svg` is.
//!
//! Needs perf-core's `tracing` feature (this package turns it on).
//!
//! Run: `cargo run --release --example tracing_bridge [-- --requests N]`

use std::process::ExitCode;
use std::time::Duration;

use perf_core::Session;
use perf_core::model::CallNode;
use tracing::instrument;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// Concurrent clients.
const CLIENTS: u64 = 4;

/// A parsed request.
#[derive(Debug)]
struct Request {
    user: u64,
    items: Vec<u64>,
}

/// Handles one raw request: parse, load the user, price the items, render.
#[instrument(skip(raw))]
async fn handle_request(id: u64, raw: &str) -> String {
    let request = parse_request(raw);
    let user = load_user(request.user).await;
    let total = price_items(&request.items);
    render_page(&user, total)
}

#[instrument(skip_all)]
fn parse_request(raw: &str) -> Request {
    let mut numbers = raw.split(',').filter_map(|part| part.trim().parse().ok());
    let user = numbers.next().unwrap_or(0);
    Request {
        user,
        items: numbers.collect(),
    }
}

/// A database round trip.
#[instrument]
async fn load_user(user: u64) -> String {
    tokio::time::sleep(Duration::from_millis(1)).await;
    format!("user-{user:05}")
}

#[instrument(skip_all, fields(items = items.len()))]
fn price_items(items: &[u64]) -> u64 {
    items.iter().map(|&item| price(item)).sum()
}

/// The price of one item: a little arithmetic, made to cost something.
#[instrument]
fn price(item: u64) -> u64 {
    let mut x = item.wrapping_add(0x9e37_79b9);
    for _ in 0..2_000 {
        x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
    }
    100 + x % 9_900
}

#[instrument(skip_all)]
fn render_page(user: &str, cents: u64) -> String {
    format!("{user}: {}.{:02}\n", cents / 100, cents % 100)
}

/// Prints the call tree of `run.json`, indented as the spans nested.
fn print_tree(tree: &[CallNode], parent: Option<u32>, depth: usize) {
    for node in tree.iter().filter(|node| node.parent == parent) {
        println!(
            "  {:indent$}{:<width$} {:>6} calls",
            "",
            node.function,
            node.calls,
            indent = 2 * depth,
            width = 40usize.saturating_sub(2 * depth),
        );
        print_tree(tree, Some(node.id), depth + 1);
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    perf_examples::exit_with("tracing_bridge", run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let requests = perf_examples::requests_arg(200)?;
    // The one line an app already using tracing adds (with its other layers).
    tracing_subscriber::registry()
        .with(perf_core::tracing::PerfLayer::new())
        .init();

    let session = Session::start("tracing_bridge")?;
    // Four clients, each sending its share of the requests one after another.
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..CLIENTS {
        clients.spawn(async move {
            let mut bytes = 0;
            for id in (client..requests).step_by(CLIENTS as usize) {
                let raw = format!("{}, {}, {}, {}", id % 50, id, id * 3, id * 7);
                bytes += handle_request(id, &raw).await.len();
            }
            bytes
        });
    }
    let bytes: usize = clients.join_all().await.into_iter().sum();
    let run = session.finish()?;

    println!("{}", run.summary());
    println!("handled {requests} requests ({bytes} bytes); the tracing spans in run.json:");
    let mut functions: Vec<_> = run.data().functions.iter().collect();
    functions.sort_by(|a, b| a.name.cmp(&b.name));
    for f in functions {
        println!(
            "  {:<36} {:>6} calls  {:>9} per call",
            f.name,
            f.calls,
            perf_core::format::duration(f.total_ns as f64 / f.calls.max(1) as f64),
        );
    }
    println!("nested as in the code (the call tree):");
    print_tree(&run.data().call_tree, None, 0);
    if let Some(flamegraph) = &run.files().flamegraph {
        println!("\nopen in a browser: {}", flamegraph.display());
    }
    println!("open in ui.perfetto.dev: {}", run.files().trace.display());
    Ok(())
}
