//! Quadratic growth: a duplicate finder that compares every item with every
//! earlier one, next to one that remembers what it has seen in a `HashSet`,
//! profiled at growing input sizes.
//!
//! Both find the same duplicate e-mail addresses in a batch of sign-ups.
//! On a small batch the nested loops look harmless; each time the batch
//! doubles they take about 4× as long per call, while the `HashSet` takes
//! about 2×. Each size runs inside a scope of its own (`size::1000`, …), so
//! the call tree holds each size's calls apart and the example prints a
//! table from it: time per call at each size and the ratio to the size
//! before. In `flamegraph.svg` the largest size is almost all
//! `dups::nested_loops`.
//!
//! Run: `cargo run --release --example quadratic`
//! (`PERF_EXAMPLE_QUICK=1`: the three smallest sizes, as the tests run it)

use std::collections::HashSet;
use std::hint::black_box;
use std::process::ExitCode;

use perf_core::{Session, SpanGuard, profile, scope};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// The sizes measured, each twice the one before.
const SIZES: [usize; 5] = [500, 1_000, 2_000, 4_000, 8_000];

/// Opens the scope of one size. `scope!` takes a `&'static str`, hence one
/// arm per size of [`SIZES`].
fn size_scope(n: usize) -> Option<SpanGuard> {
    Some(match n {
        500 => scope!("size::500"),
        1_000 => scope!("size::1000"),
        2_000 => scope!("size::2000"),
        4_000 => scope!("size::4000"),
        8_000 => scope!("size::8000"),
        _ => return None,
    })
}

/// Every item seen before, in order: each item compared with all earlier
/// ones, n²/2 comparisons.
#[profile(name = "dups::nested_loops")]
fn duplicates_nested(emails: &[String]) -> Vec<&str> {
    emails
        .iter()
        .enumerate()
        .filter(|&(i, email)| emails[..i].contains(email))
        .map(|(_, email)| email.as_str())
        .collect()
}

/// The same, remembering what it has seen: n hash-set lookups.
#[profile(name = "dups::hash_set")]
fn duplicates_hashed(emails: &[String]) -> Vec<&str> {
    let mut seen = HashSet::with_capacity(emails.len());
    emails
        .iter()
        .map(String::as_str)
        .filter(|email| !seen.insert(*email))
        .collect()
}

/// A batch of `n` sign-ups, about one in 20 an address already in the batch.
fn signups(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let user = if i % 20 == 19 { i * 13 / 20 } else { i };
            format!("user{user:06}@example.com")
        })
        .collect()
}

/// Mean time per call of `function` under `size`'s scope, from the call tree.
fn per_call_ns(run: &perf_core::Run, size: &str, function: &str) -> Option<f64> {
    let tree = &run.data().call_tree;
    let scope = tree.iter().find(|node| node.function == size)?;
    let node = tree
        .iter()
        .find(|node| node.parent == Some(scope.id) && node.function == function)?;
    Some(node.total_ns as f64 / node.calls.max(1) as f64)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("PERF_EXAMPLE_QUICK").is_some();
    let sizes = if quick { &SIZES[..3] } else { &SIZES[..] };
    // Enough calls at each size for a steady time per call: fewer of the
    // nested loops as they grow, and many of the cheap hash set.
    let nested_calls = |n: usize| (16_000 / n).max(3);
    let hashed_calls = 100;

    let session = Session::start("quadratic")?;
    let mut duplicates = Vec::new();
    for &n in sizes {
        let emails = signups(n);
        let _size = size_scope(n);
        let expected = duplicates_hashed(&emails);
        for _ in 0..nested_calls(n) {
            if duplicates_nested(black_box(&emails)) != expected {
                return Err(format!("the two finders disagree at n = {n}").into());
            }
        }
        for _ in 0..hashed_calls {
            black_box(duplicates_hashed(black_box(&emails)));
        }
        duplicates.push(expected.len());
    }
    let run = session.finish()?;

    println!("{}", run.summary());
    println!("time per call at each size (from the call tree of run.json):");
    println!(
        "  {:>6}  {:>10}  {:>13}  {:>7}  {:>13}  {:>7}",
        "n", "duplicates", "nested loops", "ratio", "hash set", "ratio"
    );
    let mut previous: Option<(f64, f64)> = None;
    for (&n, duplicates) in sizes.iter().zip(duplicates) {
        let size = format!("size::{n}");
        let (Some(nested), Some(hashed)) = (
            per_call_ns(&run, &size, "dups::nested_loops"),
            per_call_ns(&run, &size, "dups::hash_set"),
        ) else {
            continue;
        };
        let ratio = |now: f64, before: f64| format!("{:.1}×", now / before.max(1.0));
        let (nested_ratio, hashed_ratio) = match previous {
            Some((nested_before, hashed_before)) => {
                (ratio(nested, nested_before), ratio(hashed, hashed_before))
            }
            None => (String::new(), String::new()),
        };
        let row = format!(
            "  {n:>6}  {duplicates:>10}  {:>13}  {nested_ratio:>7}  {:>13}  {hashed_ratio:>7}",
            perf_core::format::duration(nested),
            perf_core::format::duration(hashed),
        );
        println!("{}", row.trim_end());
        previous = Some((nested, hashed));
    }
    println!("  (n doubles each row: about 4× per row is O(n²), about 2× is O(n))");
    println!("\nflamegraph (the largest size is almost all dups::nested_loops):");
    perf_examples::print_files(&run);
    Ok(())
}

fn main() -> ExitCode {
    perf_examples::exit_with("quadratic", run())
}
