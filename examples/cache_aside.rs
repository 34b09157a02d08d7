//! Cache-aside: a read-heavy product lookup in front of a slow backend,
//! with and without a TTL cache, profiled with perf.
//!
//! `backend::fetch` stands for a call to another service: ~150–250 µs of
//! waiting, and one call in 50 hits a slow replica and takes ~2 ms more.
//! `lookup::uncached` calls it every time; `lookup::cached` first asks a
//! cache whose entries expire after a TTL, and fetches (and stores) only on
//! a miss. Requests favour popular products, as real traffic does, so most
//! lookups hit. The example prints each lookup's p50/p95/p99 from
//! `run.json`: the cache makes the median a hash-map read, but every miss
//! still pays the backend, so the tail (p99) tells how often that happens.
//!
//! Run: `cargo run --release --example cache_aside`
//! (`PERF_EXAMPLE_QUICK=1`: a smaller workload, as the tests run it)

use std::cell::Cell;
use std::collections::HashMap;
use std::hint::black_box;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use perf_core::{Session, profile};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// Products in the catalogue.
const PRODUCTS: u64 = 2_000;
/// How long a cached product stays fresh.
const TTL: Duration = Duration::from_millis(500);

/// A small deterministic random number generator (SplitMix64), so that
/// every run sees the same requests.
struct Rng(Cell<u64>);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(Cell::new(seed))
    }

    fn next(&self) -> u64 {
        let state = self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.0.set(state);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A product id, popular ones far more often: ids are log-uniform, so
    /// the top 1% of the catalogue gets 40% of the requests.
    fn product(&self) -> u64 {
        ((PRODUCTS as f64).powf(self.unit()) as u64 - 1).min(PRODUCTS - 1)
    }
}

/// What the backend returns.
#[derive(Debug)]
struct Product {
    id: u64,
    name: String,
    price_cents: u64,
}

/// Another service, reached over the network.
struct Backend {
    rng: Rng,
}

impl Backend {
    /// One product: a round trip of 150–250 µs, ~2 ms more one time in 50.
    #[profile(cpu, name = "backend::fetch")]
    fn fetch(&self, id: u64) -> Product {
        let mut wait = Duration::from_micros(150 + self.rng.next() % 100);
        if self.rng.next().is_multiple_of(50) {
            wait += Duration::from_millis(2);
        }
        std::thread::sleep(wait);
        Product {
            id,
            name: format!("product #{id}"),
            price_cents: 100 + id * 37 % 10_000,
        }
    }
}

/// A map whose entries go stale `ttl` after they were stored; stale entries
/// are dropped when read.
struct TtlCache<V> {
    ttl: Duration,
    entries: HashMap<u64, (Instant, V)>,
    hits: u64,
    misses: u64,
    /// Misses that found an entry, but a stale one.
    expired: u64,
}

impl<V: Clone> TtlCache<V> {
    fn new(ttl: Duration) -> Self {
        TtlCache {
            ttl,
            entries: HashMap::new(),
            hits: 0,
            misses: 0,
            expired: 0,
        }
    }

    fn get(&mut self, key: u64) -> Option<V> {
        match self.entries.get(&key) {
            Some((fresh_until, value)) if Instant::now() < *fresh_until => {
                self.hits += 1;
                return Some(value.clone());
            }
            Some(_) => {
                self.expired += 1;
                self.entries.remove(&key);
            }
            None => {}
        }
        self.misses += 1;
        None
    }

    fn insert(&mut self, key: u64, value: V) {
        self.entries.insert(key, (Instant::now() + self.ttl, value));
    }

    fn hit_rate(&self) -> f64 {
        self.hits as f64 / (self.hits + self.misses).max(1) as f64
    }
}

/// Every lookup goes to the backend.
#[profile(name = "lookup::uncached")]
fn lookup_uncached(backend: &Backend, id: u64) -> Rc<Product> {
    Rc::new(backend.fetch(id))
}

/// Cache-aside: the cache first, the backend (then the cache) on a miss.
#[profile(name = "lookup::cached")]
fn lookup_cached(cache: &mut TtlCache<Rc<Product>>, backend: &Backend, id: u64) -> Rc<Product> {
    if let Some(product) = cache.get(id) {
        return product;
    }
    let product = Rc::new(backend.fetch(id));
    cache.insert(id, Rc::clone(&product));
    product
}

/// `1,234`.
fn count(n: u64) -> String {
    perf_core::format::count(n as f64)
}

/// `1.23 ms`.
fn duration(ns: u64) -> String {
    perf_core::format::duration(ns as f64)
}

/// `p50/p95/p99` of one function, from the run.
fn latency_row(run: &perf_core::Run, function: &str) -> String {
    match run.function(function) {
        Some(f) => format!(
            "  {function:<18} {:>7} calls  p50 {:>8}  p95 {:>8}  p99 {:>8}  mean {:>8}",
            count(f.calls),
            duration(f.p50_ns),
            duration(f.p95_ns),
            duration(f.p99_ns),
            duration(f.mean_ns)
        ),
        None => format!("  {function:<18} not called"),
    }
}

fn run() -> Result<(), perf_core::Error> {
    let quick = std::env::var_os("PERF_EXAMPLE_QUICK").is_some();
    let (uncached_lookups, cached_lookups) = if quick { (200, 2_000) } else { (2_000, 20_000) };
    let requests = Rng::new(7);
    let backend = Backend { rng: Rng::new(42) };
    let mut cache = TtlCache::new(TTL);

    let session = Session::start("cache_aside")?;
    for _ in 0..uncached_lookups {
        let product = lookup_uncached(&backend, requests.product());
        black_box((product.id, &product.name, product.price_cents));
    }
    for _ in 0..cached_lookups {
        let product = lookup_cached(&mut cache, &backend, requests.product());
        black_box((product.id, &product.name, product.price_cents));
    }
    let run = session.finish()?;

    println!("{}", run.summary());
    println!("lookup latency per call (from run.json):");
    println!("{}", latency_row(&run, "lookup::uncached"));
    println!("{}", latency_row(&run, "lookup::cached"));
    println!(
        "cache: TTL {} ms, hit rate {:.1}% ({} hits, {} misses, {} of them on expired entries)",
        TTL.as_millis(),
        100.0 * cache.hit_rate(),
        count(cache.hits),
        count(cache.misses),
        count(cache.expired),
    );
    if let Some(fetch) = run.function("backend::fetch") {
        let cpu = fetch.cpu_ns.unwrap_or(0);
        println!(
            "backend::fetch: {} calls ({} uncached lookups + {} cache misses), \
             {} wall, {} on the CPU: {:.0}% of it waiting",
            count(fetch.calls),
            count(uncached_lookups),
            count(cache.misses),
            duration(fetch.total_ns),
            duration(cpu),
            100.0 * (1.0 - cpu as f64 / fetch.total_ns.max(1) as f64),
        );
    }
    if let (Some(before), Some(after)) = (
        run.function("lookup::uncached"),
        run.function("lookup::cached"),
    ) {
        println!(
            "the cache took the median from {} to {}, and p99 from {} to {}: \
             one lookup in {:.0} still waits on the backend",
            duration(before.p50_ns),
            duration(after.p50_ns),
            duration(before.p99_ns),
            duration(after.p99_ns),
            (cache.hits + cache.misses) as f64 / cache.misses.max(1) as f64,
        );
    }
    println!("\nflamegraph (lookup::cached spends its time in the misses' backend::fetch):");
    perf_examples::print_files(&run);
    Ok(())
}

fn main() -> ExitCode {
    perf_examples::exit_with("cache_aside", run())
}
