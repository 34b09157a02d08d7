//! Quickstart: an order page served three ways, profiled with perf.
//!
//! The handler shows a customer's orders with the name of each order's seller.
//! `n_plus_one` asks the database for the orders, then for each seller one at
//! a time (the N+1 pattern); `batched` asks for all sellers in one query;
//! `cached` puts a cache in front of the one-at-a-time lookups. Each query
//! pays a simulated network round trip, so the wall − CPU gap of the query
//! functions is time spent waiting.
//!
//! Run: `cargo run --release --example quickstart`

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use perf_core::format::{bytes, count, duration};
use perf_core::{Session, profile};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// A database behind a network: every query costs a round trip.
mod db {
    use super::*;

    pub(crate) const ROUND_TRIP: Duration = Duration::from_micros(60);

    #[derive(Clone, Debug)]
    pub(crate) struct Order {
        pub(crate) id: u64,
        pub(crate) seller: u64,
        pub(crate) cents: u64,
    }

    #[derive(Clone, Debug)]
    pub(crate) struct User {
        pub(crate) id: u64,
        pub(crate) name: String,
    }

    pub(crate) struct Database {
        orders: HashMap<u64, Vec<Order>>,
        users: HashMap<u64, User>,
    }

    impl Database {
        pub(crate) fn seeded(customers: u64, orders_each: u64, sellers: u64) -> Self {
            let mut orders = HashMap::new();
            for customer in 0..customers {
                let list = (0..orders_each)
                    .map(|i| Order {
                        id: customer * 1000 + i,
                        seller: (customer * 7 + i * 13) % sellers,
                        cents: 500 + (i * 37) % 9000,
                    })
                    .collect();
                orders.insert(customer, list);
            }
            let users = (0..sellers)
                .map(|id| {
                    (
                        id,
                        User {
                            id,
                            name: format!("seller-{id:04}"),
                        },
                    )
                })
                .collect();
            Database { orders, users }
        }

        #[profile(cpu, name = "db::orders_of")]
        pub(crate) fn orders_of(&self, customer: u64) -> Vec<Order> {
            std::thread::sleep(ROUND_TRIP);
            self.orders.get(&customer).cloned().unwrap_or_default()
        }

        #[profile(cpu, name = "db::user")]
        pub(crate) fn user(&self, id: u64) -> Option<User> {
            std::thread::sleep(ROUND_TRIP);
            self.users.get(&id).cloned()
        }

        #[profile(cpu, name = "db::users")]
        pub(crate) fn users(&self, ids: &[u64]) -> Vec<User> {
            std::thread::sleep(ROUND_TRIP);
            ids.iter()
                .filter_map(|id| self.users.get(id).cloned())
                .collect()
        }
    }
}

/// A read-through cache in front of single-user lookups.
struct UserCache {
    users: HashMap<u64, db::User>,
    hits: u64,
    misses: u64,
}

impl UserCache {
    #[profile(name = "cache::user")]
    fn user(&mut self, db: &db::Database, id: u64) -> Option<db::User> {
        if let Some(user) = self.users.get(&id) {
            self.hits += 1;
            return Some(user.clone());
        }
        self.misses += 1;
        let user = db.user(id)?;
        self.users.insert(id, user.clone());
        Some(user)
    }
}

#[profile]
fn render(orders: &[db::Order], sellers: &HashMap<u64, String>) -> String {
    let mut page = String::new();
    for order in orders {
        let seller = sellers.get(&order.seller).map_or("?", String::as_str);
        let _ = writeln!(
            page,
            "#{} {}.{:02} from {seller}",
            order.id,
            order.cents / 100,
            order.cents % 100
        );
    }
    page
}

/// One query for the orders, then one per order for its seller.
#[profile(name = "handler::n_plus_one")]
fn n_plus_one(db: &db::Database, customer: u64) -> String {
    let orders = db.orders_of(customer);
    let mut sellers = HashMap::new();
    for order in &orders {
        if let Some(user) = db.user(order.seller) {
            sellers.insert(user.id, user.name);
        }
    }
    render(&orders, &sellers)
}

/// One query for the orders, one for all their sellers.
#[profile(name = "handler::batched")]
fn batched(db: &db::Database, customer: u64) -> String {
    let orders = db.orders_of(customer);
    let mut ids: Vec<u64> = orders.iter().map(|o| o.seller).collect();
    ids.sort_unstable();
    ids.dedup();
    let sellers = db.users(&ids).into_iter().map(|u| (u.id, u.name)).collect();
    render(&orders, &sellers)
}

/// The one-at-a-time lookups, through a cache.
#[profile(name = "handler::cached")]
fn cached(db: &db::Database, cache: &mut UserCache, customer: u64) -> String {
    let orders = db.orders_of(customer);
    let mut sellers = HashMap::new();
    for order in &orders {
        if let Some(user) = cache.user(db, order.seller) {
            sellers.insert(user.id, user.name);
        }
    }
    render(&orders, &sellers)
}

/// Calls of `callee` made under `handler`, from the run's call tree.
fn calls_under(run: &perf_core::Run, handler: &str, callee: &str) -> u64 {
    let tree = &run.data().call_tree;
    let root_of = |mut i: usize| {
        while let Some(parent) = tree[i].parent {
            i = parent as usize;
        }
        &tree[i].function
    };
    tree.iter()
        .enumerate()
        .filter(|(i, n)| n.function == callee && root_of(*i) == handler)
        .map(|(_, n)| n.calls)
        .sum()
}

fn main() -> Result<(), perf_core::Error> {
    const CUSTOMERS: u64 = 30;
    let db = db::Database::seeded(CUSTOMERS, 20, 40);
    let mut cache = UserCache {
        users: HashMap::new(),
        hits: 0,
        misses: 0,
    };

    let session = Session::start("quickstart")?;
    let mut page_bytes = 0;
    for customer in 0..CUSTOMERS {
        page_bytes += n_plus_one(&db, customer).len();
        page_bytes += batched(&db, customer).len();
        page_bytes += cached(&db, &mut cache, customer).len();
    }
    let run = session.finish()?;

    println!("{}", run.summary());
    println!(
        "rendered {} of pages for {CUSTOMERS} customers, three ways:",
        bytes(page_bytes as f64)
    );
    for (handler, lookup) in [
        ("handler::n_plus_one", "db::user"),
        ("handler::batched", "db::users"),
        ("handler::cached", "db::user"),
    ] {
        let stats = run.function(handler).expect("handler ran");
        println!(
            "  {handler:<20} {:>4} seller queries  p50 {:>9}  p95 {:>9}",
            calls_under(&run, handler, lookup),
            duration(stats.p50_ns as f64),
            duration(stats.p95_ns as f64),
        );
    }
    let hit_rate = cache.hits as f64 / (cache.hits + cache.misses).max(1) as f64;
    println!(
        "  cache hit rate {:.0}% ({} hits, {} misses)",
        hit_rate * 100.0,
        count(cache.hits as f64),
        count(cache.misses as f64)
    );
    if let Some(user) = run.function("db::user") {
        let cpu = user.cpu_ns.unwrap_or(0);
        println!(
            "  db::user: {} wall, {} on the CPU: {:.0}% of it is waiting on the round trip",
            duration(user.total_ns as f64),
            duration(cpu as f64),
            100.0 * (1.0 - cpu as f64 / user.total_ns.max(1) as f64),
        );
    }
    println!("\nopen in a browser:");
    // The paths are in run.files(): .flamegraph, .alloc_flamegraph and .trace.
    perf_examples::print_files(&run);
    Ok(())
}
