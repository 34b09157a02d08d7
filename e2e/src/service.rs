//! A small order-pricing service: requests are parsed, validated, priced
//! and rendered, a few hundred milliseconds per run. Knobs inject the
//! regressions the gate must catch: one function slower (10% by default),
//! every function slower, or one more allocation per call.

use std::hint::black_box;

use perf_core::profile;

/// What to change in the service.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Knobs {
    /// The short name of a function (`parse`, `validate`, `price`,
    /// `render`) to make slower.
    pub slow: Option<String>,
    /// How much slower, in percent of its work (10 by default; decimals
    /// allowed).
    pub slow_percent: f64,
    /// How much slower every function is, in percent of its work (0 by
    /// default): the whole program slower.
    pub whole_percent: f64,
    /// The short name of a function to make allocate once more per call.
    pub extra_alloc: Option<String>,
    /// Requests to serve (12 000, the default, take about 300 ms).
    pub requests: u32,
}

/// `--slow NAME[:PERCENT]` of the test programs: the function's name and
/// how much slower it is made (10% unless given).
pub fn slow_knob(text: &str) -> Result<(String, f64), String> {
    let (name, percent) = text.split_once(':').unwrap_or((text, "10"));
    let percent = percent_knob(percent).map_err(|e| format!("--slow NAME:PERCENT: {e}"))?;
    Ok((name.to_owned(), percent))
}

/// A percentage of more work: a number, 0 or more (decimals allowed).
pub fn percent_knob(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p >= 0.0)
        .ok_or_else(|| format!("{text:?} is not a percentage of 0 or more"))
}

/// `units` made `percent`% more, rounded.
pub fn more_work(units: u64, percent: f64) -> u64 {
    (units as f64 * (1.0 + percent / 100.0)).round() as u64
}

impl Knobs {
    /// Reads `--slow NAME[:PERCENT]`, `--whole PERCENT`, `--alloc NAME` and
    /// `--requests N` from `args`.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Knobs, String> {
        let mut knobs = Knobs {
            requests: 12_000,
            slow_percent: 10.0,
            ..Knobs::default()
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--slow" => {
                    let (name, percent) = slow_knob(&value()?)?;
                    knobs.slow = Some(name);
                    knobs.slow_percent = percent;
                }
                "--whole" => {
                    knobs.whole_percent =
                        percent_knob(&value()?).map_err(|e| format!("--whole: {e}"))?;
                }
                "--alloc" => knobs.extra_alloc = Some(value()?),
                "--requests" => {
                    knobs.requests = value()?
                        .parse()
                        .map_err(|_| "--requests needs a number".to_owned())?;
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(knobs)
    }

    /// Work units for `function`: more if the whole program is slower, and
    /// more again if it is the slow one.
    fn work(&self, function: &str, units: u64) -> u64 {
        let units = more_work(units, self.whole_percent);
        if self.slow.as_deref() == Some(function) {
            more_work(units, self.slow_percent)
        } else {
            units
        }
    }

    /// One more allocation if `function` is the one to allocate.
    fn maybe_allocate(&self, function: &str) {
        if self.extra_alloc.as_deref() == Some(function) {
            black_box(Box::new(black_box(0u64)));
        }
    }
}

/// A parsed order line.
#[derive(Clone, Debug)]
struct Item {
    sku: u64,
    quantity: u64,
}

/// Serves `knobs.requests` requests; returns a checksum of the responses.
pub fn serve(knobs: &Knobs) -> u64 {
    let mut checksum = 0u64;
    for id in 0..u64::from(knobs.requests) {
        let request = format!(
            "order {id}: {} x{}, {} x{}",
            id % 97,
            id % 5 + 1,
            id % 13,
            2
        );
        checksum = checksum.wrapping_add(handle(knobs, &request).len() as u64);
    }
    checksum
}

#[profile(name = "service::handle")]
fn handle(knobs: &Knobs, request: &str) -> String {
    let items = parse(knobs, request);
    if !validate(knobs, &items) {
        return String::new();
    }
    let cents = price(knobs, &items);
    render(knobs, &items, cents)
}

#[profile(name = "service::parse")]
fn parse(knobs: &Knobs, request: &str) -> Vec<Item> {
    knobs.maybe_allocate("parse");
    let mut items = Vec::new();
    let body = request.split_once(':').map_or("", |(_, rest)| rest);
    for part in body.split(',') {
        let mut words = part.split_whitespace();
        let sku = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        let quantity = words
            .next()
            .and_then(|w| w.trim_start_matches('x').parse().ok())
            .unwrap_or(1);
        items.push(Item { sku, quantity });
    }
    spin(knobs.work("parse", 1_500), items.len() as u64)
        .eq(&u64::MAX)
        .then(|| items.clear());
    items
}

#[profile(name = "service::validate")]
fn validate(knobs: &Knobs, items: &[Item]) -> bool {
    knobs.maybe_allocate("validate");
    let seed = items.iter().map(|i| i.sku + i.quantity).sum();
    spin(knobs.work("validate", 1_000), seed) != u64::MAX && !items.is_empty()
}

#[profile(name = "service::price")]
fn price(knobs: &Knobs, items: &[Item]) -> u64 {
    knobs.maybe_allocate("price");
    let base: u64 = items
        .iter()
        .map(|i| (i.sku % 50 + 1) * 100 * i.quantity)
        .sum();
    base + spin(knobs.work("price", 4_000), base) % 7
}

#[profile(name = "service::render")]
fn render(knobs: &Knobs, items: &[Item], cents: u64) -> String {
    knobs.maybe_allocate("render");
    let mut out = String::with_capacity(64);
    for item in items {
        out.push_str(&format!("{}x{} ", item.sku, item.quantity));
    }
    out.push_str(&format!("= {}.{:02}", cents / 100, cents % 100));
    spin(knobs.work("render", 1_000), out.len() as u64)
        .eq(&u64::MAX)
        .then(|| out.clear());
    out
}

/// `units` rounds of a multiply–xorshift hash: CPU work that the optimiser
/// cannot remove, proportional to `units` (also the `wide` program's work
/// and its outliers' random stream).
#[inline]
pub fn spin(units: u64, seed: u64) -> u64 {
    let mut x = black_box(seed) | 1;
    for _ in 0..black_box(units) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
    }
    x
}
