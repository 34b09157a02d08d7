//! A loop of known work per call, to read perf's slots under callgrind.
use std::hint::black_box;

use perf_core::profile;

/// 100 iterations of a multiply-add.
#[profile]
fn leaf(x: u64) -> u64 {
    let mut s = black_box(x);
    for i in 0..100 {
        s = black_box(s.wrapping_mul(31).wrapping_add(i));
    }
    s
}

/// `n` calls of `leaf`.
#[profile]
fn mid(n: u64) -> u64 {
    (0..n).map(leaf).fold(0, u64::wrapping_add)
}

/// Recursion: each depth its own node.
#[profile]
fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

fn main() {
    let session = perf_core::Session::builder("slotdemo")
        .dir(std::env::var("PERF_DIR").unwrap_or_else(|_| "/tmp/slotdemo/out".into()))
        .start()
        .unwrap();
    let mut acc = 0;
    for _ in 0..10 {
        acc += mid(black_box(1000));
    }
    acc += fib(black_box(10));
    let t = std::thread::spawn(|| mid(black_box(500)));
    acc += t.join().unwrap();
    black_box(acc);
    let run = session.finish().unwrap();
    for node in &run.data().call_tree {
        println!(
            "{:>3} parent={:?} {:<14} calls={:<6} slots={:?}",
            node.id, node.parent, node.function, node.calls, node.slots
        );
    }
}
