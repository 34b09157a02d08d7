//! Code as a user writes it with `#[profile]`: no lint of any group warns
//! (the file denies them all, so a warning fails the test).
#![deny(warnings, unused, nonstandard_style, rust_2018_idioms, future_incompatible)]

use perf_core::profile;

/// A one-line body.
#[profile]
fn double(x: u32) -> u32 {
    x * 2
}

/// The README's snippet: the body on the signature's line.
#[profile]
fn parse_line(line: &str) -> Vec<u64> { line.split(',').filter_map(|s| s.parse().ok()).collect() }

/// A one-liner with an inner attribute.
#[profile]
fn short(x: u32) -> u32 { #![allow(clippy::identity_op)] x * 1 }

/// An inner attribute stays on the function.
#[profile]
fn with_inner_attribute() -> u32 {
    #![allow(clippy::let_and_return)]
    let x = 3;
    x
}

/// `#[must_use]` and doc comments pass through.
#[must_use]
#[profile]
fn must_use() -> u32 {
    7
}

/// `-> impl Trait`.
#[profile]
fn evens(n: u32) -> impl Iterator<Item = u32> {
    (0..n).filter(|i| i % 2 == 0)
}

/// Early returns and `?`.
#[profile]
fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    if text.is_empty() {
        return Ok(0);
    }
    let n: u32 = text.parse()?;
    Ok(n)
}

/// An `async fn` holding an `async` block.
#[profile]
async fn later(x: u32) -> u32 {
    let inner = async move { x + 1 };
    inner.await
}

/// A method.
struct Shop;

impl Shop {
    #[profile]
    fn price(&self, cents: u64) -> u64 {
        cents * 2
    }
}

/// Every method of an impl block, a trait impl and a generic one.
struct Till<T>(T);

#[profile(cpu)]
impl<T: Copy + Into<u64>> Till<T> {
    /// A doc comment on a method.
    fn total(&self) -> u64 {
        self.0.into()
    }

    const fn raw(&self) -> &T {
        &self.0
    }

    #[profile(name = "till::check")]
    fn check(&self) -> Result<u64, String> {
        Ok(self.total())
    }

    async fn later(&self) -> u64 {
        self.total()
    }
}

#[profile]
impl std::fmt::Display for Till<u8> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Unit-returning, with a statement body.
#[profile]
fn log(x: u32) {
    let _ = x;
}

fn main() {
    let _ = double(1) + with_inner_attribute() + must_use() + short(1);
    let _ = parse_line("1,2");
    let _ = evens(4).count();
    let _ = parse("3");
    let _ = later(1);
    let _ = Shop.price(1);
    log(1);
    let till = Till(3u8);
    let _ = till.total() + u64::from(*till.raw()) + till.check().unwrap_or(0);
    let _ = till.later();
    let _ = till.to_string();
}
