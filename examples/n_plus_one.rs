//! N+1 queries: an order page against an embedded SQLite database, served
//! three ways and profiled with perf.
//!
//! A B2B shop: each customer (a company) has users, and each order was
//! placed by one of them. The page lists a customer's orders with the name
//! of the user who placed each. `handler::n_plus_one` asks for the orders,
//! then for each order's user one query at a time — the code an ORM's lazy
//! loading writes for you. `handler::batched` asks for all those users in
//! one `WHERE id IN (…)` query, `handler::joined` gets everything in one
//! `JOIN`. The summary shows how many queries each handler made, how much
//! of its time they took, and `flamegraph.svg` shows `handler::n_plus_one`
//! as a wide tower of `db::user_by_id`. Here each query costs a few
//! microseconds of SQLite work; against a database server each would also
//! pay a network round trip, and the gap would be far wider.
//!
//! Run: `cargo run --release --example n_plus_one`
//! (`PERF_EXAMPLE_QUICK=1`: a smaller workload, as the tests run it)

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use perf_core::{Session, profile};
use rusqlite::{Connection, params, params_from_iter};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// The handlers, in the order the summary lists them.
const HANDLERS: [&str; 3] = ["handler::n_plus_one", "handler::batched", "handler::joined"];

/// How much data and how many page views.
struct Workload {
    customers: i64,
    users_per_customer: i64,
    orders_per_customer: i64,
    /// Page views of each customer's orders, per handler.
    views: usize,
}

impl Workload {
    fn from_env() -> Workload {
        if std::env::var_os("PERF_EXAMPLE_QUICK").is_some() {
            Workload {
                customers: 10,
                users_per_customer: 4,
                orders_per_customer: 20,
                views: 1,
            }
        } else {
            Workload {
                customers: 100,
                users_per_customer: 8,
                orders_per_customer: 50,
                views: 5,
            }
        }
    }
}

/// The queries, each one function so that perf counts and times it.
mod db {
    use super::*;

    /// One order as the page shows it.
    #[derive(Debug)]
    pub(crate) struct Order {
        pub(crate) id: i64,
        pub(crate) user_id: i64,
        pub(crate) total_cents: i64,
        pub(crate) placed_at: String,
    }

    /// An in-memory database with `customers`, `users` and `orders`.
    pub(crate) fn seeded(workload: &Workload) -> rusqlite::Result<Connection> {
        let mut conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             CREATE TABLE users (
                 id INTEGER PRIMARY KEY,
                 customer_id INTEGER NOT NULL REFERENCES customers(id),
                 name TEXT NOT NULL,
                 email TEXT NOT NULL);
             CREATE TABLE orders (
                 id INTEGER PRIMARY KEY,
                 customer_id INTEGER NOT NULL REFERENCES customers(id),
                 user_id INTEGER NOT NULL REFERENCES users(id),
                 total_cents INTEGER NOT NULL,
                 placed_at TEXT NOT NULL);
             CREATE INDEX orders_by_customer ON orders(customer_id);",
        )?;
        let tx = conn.transaction()?;
        {
            let mut customer = tx.prepare("INSERT INTO customers (id, name) VALUES (?1, ?2)")?;
            let mut user =
                tx.prepare("INSERT INTO users (customer_id, name, email) VALUES (?1, ?2, ?3)")?;
            let mut order = tx.prepare(
                "INSERT INTO orders (customer_id, user_id, total_cents, placed_at) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for c in 1..=workload.customers {
                customer.execute(params![c, format!("Customer {c}")])?;
                let mut user_ids = Vec::new();
                for u in 1..=workload.users_per_customer {
                    user.execute(params![
                        c,
                        format!("User {c}-{u}"),
                        format!("user{u}@customer{c}.example")
                    ])?;
                    user_ids.push(tx.last_insert_rowid());
                }
                for o in 0..workload.orders_per_customer {
                    let placed_by = user_ids[(o * 7 % workload.users_per_customer) as usize];
                    let cents = 1_000 + (c * 131 + o * 977) % 90_000;
                    let placed_at = format!("2024-{:02}-{:02}", 1 + o % 12, 1 + o % 28);
                    order.execute(params![c, placed_by, cents, placed_at])?;
                }
            }
        }
        tx.commit()?;
        Ok(conn)
    }

    /// The customer's orders, newest first.
    #[profile(name = "db::orders_of_customer")]
    pub(crate) fn orders_of_customer(
        conn: &Connection,
        customer: i64,
    ) -> rusqlite::Result<Vec<Order>> {
        let mut stmt = conn.prepare(
            "SELECT id, user_id, total_cents, placed_at FROM orders \
             WHERE customer_id = ?1 ORDER BY id DESC",
        )?;
        stmt.query_map([customer], |row| {
            Ok(Order {
                id: row.get(0)?,
                user_id: row.get(1)?,
                total_cents: row.get(2)?,
                placed_at: row.get(3)?,
            })
        })?
        .collect()
    }

    /// One user's name: the query the N+1 loop runs once per order.
    #[profile(name = "db::user_by_id")]
    pub(crate) fn user_by_id(conn: &Connection, id: i64) -> rusqlite::Result<String> {
        conn.query_row("SELECT name FROM users WHERE id = ?1", [id], |row| {
            row.get(0)
        })
    }

    /// The names of all these users, in one query.
    #[profile(name = "db::users_by_ids")]
    pub(crate) fn users_by_ids(
        conn: &Connection,
        ids: &[i64],
    ) -> rusqlite::Result<HashMap<i64, String>> {
        let placeholders = vec!["?"; ids.len()].join(", ");
        let mut stmt = conn.prepare(&format!(
            "SELECT id, name FROM users WHERE id IN ({placeholders})"
        ))?;
        stmt.query_map(params_from_iter(ids), |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect()
    }

    /// The customer's orders with the name of the user who placed each, in one query.
    #[profile(name = "db::orders_with_users")]
    pub(crate) fn orders_with_users(
        conn: &Connection,
        customer: i64,
    ) -> rusqlite::Result<Vec<(Order, String)>> {
        let mut stmt = conn.prepare(
            "SELECT o.id, o.user_id, o.total_cents, o.placed_at, u.name \
             FROM orders o JOIN users u ON u.id = o.user_id \
             WHERE o.customer_id = ?1 ORDER BY o.id DESC",
        )?;
        stmt.query_map([customer], |row| {
            let order = Order {
                id: row.get(0)?,
                user_id: row.get(1)?,
                total_cents: row.get(2)?,
                placed_at: row.get(3)?,
            };
            Ok((order, row.get(4)?))
        })?
        .collect()
    }
}

/// The page: one line per order.
#[profile(name = "page::render")]
fn render<'a>(orders: impl IntoIterator<Item = (&'a db::Order, &'a str)>) -> String {
    let mut page = String::new();
    for (order, placed_by) in orders {
        let _ = writeln!(
            page,
            "#{} {} {}.{:02} placed by {placed_by}",
            order.id,
            order.placed_at,
            order.total_cents / 100,
            order.total_cents % 100,
        );
    }
    page
}

/// The orders, then each order's user, one query at a time.
#[profile(name = "handler::n_plus_one")]
fn n_plus_one(conn: &Connection, customer: i64) -> rusqlite::Result<String> {
    let orders = db::orders_of_customer(conn, customer)?;
    let mut names = Vec::with_capacity(orders.len());
    for order in &orders {
        names.push(db::user_by_id(conn, order.user_id)?);
    }
    Ok(render(orders.iter().zip(names.iter().map(String::as_str))))
}

/// The orders, then all their users in one `WHERE id IN (…)` query.
#[profile(name = "handler::batched")]
fn batched(conn: &Connection, customer: i64) -> rusqlite::Result<String> {
    let orders = db::orders_of_customer(conn, customer)?;
    let mut ids: Vec<i64> = orders.iter().map(|o| o.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names = db::users_by_ids(conn, &ids)?;
    Ok(render(orders.iter().map(|order| {
        let name = names
            .get(&order.user_id)
            .map_or("(deleted user)", String::as_str);
        (order, name)
    })))
}

/// The orders with their users' names, in one `JOIN`.
#[profile(name = "handler::joined")]
fn joined(conn: &Connection, customer: i64) -> rusqlite::Result<String> {
    let rows = db::orders_with_users(conn, customer)?;
    Ok(render(
        rows.iter().map(|(order, name)| (order, name.as_str())),
    ))
}

/// Calls and time of the `db::` queries made under `handler`, from the
/// run's call tree.
fn queries_under(run: &perf_core::Run, handler: &str) -> (u64, u64) {
    let tree = &run.data().call_tree;
    let root_of = |mut i: usize| {
        while let Some(parent) = tree[i].parent {
            i = parent as usize;
        }
        tree[i].function.as_str()
    };
    tree.iter()
        .enumerate()
        .filter(|(i, node)| node.function.starts_with("db::") && root_of(*i) == handler)
        .fold((0, 0), |(calls, ns), (_, node)| {
            (calls + node.calls, ns + node.total_ns)
        })
}

fn duration(ns: u64) -> String {
    perf_core::format::duration(ns as f64)
}

fn count(n: u64) -> String {
    perf_core::format::count(n as f64)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let workload = Workload::from_env();
    let conn = db::seeded(&workload)?;

    let session = Session::start("n_plus_one")?;
    let mut views = 0;
    for _ in 0..workload.views {
        for customer in 1..=workload.customers {
            // The same page three ways: only the queries behind it differ.
            let page = n_plus_one(&conn, customer)?;
            if page != batched(&conn, customer)? || page != joined(&conn, customer)? {
                return Err(format!("the handlers disagree on customer {customer}'s page").into());
            }
            views += 1;
        }
    }
    let run = session.finish()?;

    println!("{}", run.summary());
    println!(
        "{views} page views per handler, {} orders per page (queries from run.json's call tree):",
        workload.orders_per_customer
    );
    println!(
        "  {:<20} {:>8} {:>13} {:>16} {:>10}",
        "handler", "queries", "queries/page", "time in queries", "mean/page"
    );
    for handler in HANDLERS {
        let Some(stats) = run.function(handler) else {
            continue;
        };
        let (queries, query_ns) = queries_under(&run, handler);
        println!(
            "  {handler:<20} {:>8} {:>13.1} {:>9} ({:>3.0}%) {:>10}",
            count(queries),
            queries as f64 / stats.calls.max(1) as f64,
            duration(query_ns),
            100.0 * query_ns as f64 / stats.total_ns.max(1) as f64,
            duration(stats.mean_ns),
        );
    }
    if let (Some(slow), Some(fast)) = (run.function(HANDLERS[0]), run.function(HANDLERS[2])) {
        println!(
            "  handler::n_plus_one takes {:.1}× the time of handler::joined per page",
            slow.mean_ns as f64 / fast.mean_ns.max(1) as f64
        );
    }
    if let Some(user) = run.function("db::user_by_id") {
        println!(
            "  db::user_by_id: {} calls, {} = {:.0}% of the run's {} wall time",
            count(user.calls),
            duration(user.total_ns),
            100.0 * user.total_ns as f64 / run.data().duration_ns.max(1) as f64,
            duration(run.data().duration_ns),
        );
    }
    println!("\nflamegraph (handler::n_plus_one is mostly db::user_by_id):");
    perf_examples::print_files(&run);
    Ok(())
}

fn main() -> ExitCode {
    perf_examples::exit_with("n_plus_one", run())
}
