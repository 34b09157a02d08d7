//! Checkout: price shopping carts — parse the cart, validate it against the
//! catalogue, price it with the day's discount rules, render the receipt.
//! This is the example the CI story uses (`examples/ci/github-actions.yml`):
//! `cargo perf record --example checkout` on every push, compared with the
//! baseline saved from `main`.
//!
//! `CHECKOUT_REGRESSION` plants the regressions a review can miss, to see
//! the gate catch them:
//! - `slow`: `price` looks each discount rule up by scanning the list, as a
//!   refactor that "simplified" the rule table into a `Vec` would;
//! - `alloc`: `validate` copies each line's SKU into a `String`.
//!
//! Run: `cargo run --release --example checkout`

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;

use perf_core::{Session, profile};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// Which regression `CHECKOUT_REGRESSION` plants, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Regression {
    None,
    Slow,
    Alloc,
}

impl Regression {
    fn from_env() -> Result<Regression, String> {
        match std::env::var("CHECKOUT_REGRESSION").as_deref() {
            Err(_) | Ok("") => Ok(Regression::None),
            Ok("slow") => Ok(Regression::Slow),
            Ok("alloc") => Ok(Regression::Alloc),
            Ok(other) => Err(format!(
                "CHECKOUT_REGRESSION={other:?}: expected `slow` or `alloc`"
            )),
        }
    }
}

/// One product of the catalogue.
struct Product {
    cents: u64,
    in_stock: bool,
}

/// The shop: products by SKU and discount rules by SKU. Its maps hash with
/// `perf_core::HashState`, so that an instruction record counts their
/// lookups the same in every run.
struct Shop {
    products: HashMap<u64, Product, perf_core::HashState>,
    rules: HashMap<u64, u64, perf_core::HashState>,
    /// The same rules as a list, for the planted slow lookup.
    rule_list: Vec<(u64, u64)>,
    regression: Regression,
}

impl Shop {
    fn new(regression: Regression) -> Shop {
        let products = (0..2_000)
            .map(|sku| {
                let product = Product {
                    cents: 199 + sku * 37 % 9_000,
                    in_stock: sku % 17 != 0,
                };
                (sku, product)
            })
            .collect();
        // Percent off for every seventh SKU.
        let rule_list: Vec<(u64, u64)> = (0..2_000)
            .step_by(7)
            .map(|sku| (sku, 5 + sku % 20))
            .collect();
        Shop {
            products,
            rules: rule_list.iter().copied().collect(),
            rule_list,
            regression,
        }
    }
}

/// One line of a cart: a SKU and how many.
struct Line {
    sku: u64,
    quantity: u64,
}

/// `"sku:qty,sku:qty,…"` → lines.
#[profile(name = "checkout::parse")]
fn parse(cart: &str) -> Vec<Line> {
    cart.split(',')
        .filter_map(|item| {
            let (sku, quantity) = item.split_once(':')?;
            Some(Line {
                sku: sku.parse().ok()?,
                quantity: quantity.parse().ok()?,
            })
        })
        .collect()
}

/// Keeps the lines the shop can sell.
#[profile(name = "checkout::validate")]
fn validate(shop: &Shop, cart: &str, lines: Vec<Line>) -> Vec<Line> {
    let mut kept = Vec::with_capacity(lines.len());
    for line in lines {
        if shop.regression == Regression::Alloc {
            // The planted regression: a String per line, to look the SKU up by text.
            black_box(line.sku.to_string());
        }
        let sellable = shop
            .products
            .get(&line.sku)
            .is_some_and(|p| p.in_stock && line.quantity <= 10);
        if sellable {
            kept.push(line);
        }
    }
    black_box(cart.len());
    kept
}

/// The cart's total in cents, discounts applied.
#[profile(name = "checkout::price")]
fn price(shop: &Shop, lines: &[Line]) -> u64 {
    lines
        .iter()
        .map(|line| {
            let cents = shop.products[&line.sku].cents * line.quantity;
            let percent_off = match shop.regression {
                Regression::Slow => shop
                    .rule_list
                    .iter()
                    .find(|(sku, _)| *sku == line.sku)
                    .map(|(_, off)| *off),
                _ => shop.rules.get(&line.sku).copied(),
            };
            cents - cents * percent_off.unwrap_or(0) / 100
        })
        .sum()
}

/// The receipt's text.
#[profile(name = "checkout::render")]
fn render(lines: &[Line], total: u64) -> String {
    let mut receipt = String::with_capacity(32 * lines.len() + 32);
    for line in lines {
        let _ = writeln!(receipt, "{:>6} × {}", line.sku, line.quantity);
    }
    let _ = write!(receipt, "total {}.{:02}", total / 100, total % 100);
    receipt
}

/// One checkout, from the cart's text to its receipt.
#[profile(name = "checkout::handle")]
fn handle(shop: &Shop, cart: &str) -> String {
    let lines = validate(shop, cart, parse(cart));
    let total = price(shop, &lines);
    render(&lines, total)
}

/// Carts of 5 to 24 lines over the whole catalogue.
fn carts(count: u64) -> Vec<String> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let lines = 5 + next() % 20;
            (0..lines)
                .map(|_| format!("{}:{}", next() % 2_000, 1 + next() % 12))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let regression = Regression::from_env()?;
    let shop = Shop::new(regression);
    let carts = carts(60_000);

    let session = Session::start("checkout")?;
    let mut bytes = 0;
    for cart in &carts {
        bytes += handle(&shop, cart).len();
    }
    let run = session.finish()?;

    println!("{}", run.summary());
    println!("{} checkouts, {bytes} bytes of receipts", carts.len());
    match regression {
        Regression::None => {}
        Regression::Slow => println!("planted regression: CHECKOUT_REGRESSION=slow"),
        Regression::Alloc => println!("planted regression: CHECKOUT_REGRESSION=alloc"),
    }
    println!(
        "gate it: cargo perf record --example checkout, then cargo perf baseline save main, \
         then CHECKOUT_REGRESSION=slow cargo perf record --example checkout && cargo perf compare main"
    );
    Ok(())
}
