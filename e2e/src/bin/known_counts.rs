//! A program whose instruction counts are known in advance, for the tests
//! of `cargo perf record --instructions` (`e2e/tests/instructions.rs`).
//!
//! Every function runs [`perf_e2e::known::spin`], a loop of exactly
//! `BODY` instructions per iteration, and nothing else of its own, so that
//! their counts differ by `BODY` × their iteration counts' difference:
//! `once` N iterations, `twice` 2N, `thrice` 3N, `tweaked` N + EXTRA, and
//! `outer` N of its own and a call of `once`. Each is called [`CALLS`]
//! times, in a session called `known_counts`.
//!
//! `known_counts [EXTRA]` (EXTRA defaults to 0)

use std::process::ExitCode;

use perf_core::profile;
use perf_e2e::known::{N, spin};

/// Calls of each function.
const CALLS: u32 = 3;

/// N iterations.
#[profile]
fn once() {
    spin(N);
}

/// 2N iterations.
#[profile]
fn twice() {
    spin(2 * N);
}

/// 3N iterations.
#[profile]
fn thrice() {
    spin(3 * N);
}

/// N + `extra` iterations: the same code whatever `extra` is.
#[profile]
fn tweaked(extra: u64) {
    spin(N + extra);
}

/// N iterations of its own, and a call of [`once`].
#[profile]
fn outer() {
    spin(N);
    once();
}

fn main() -> ExitCode {
    let extra = match std::env::args().nth(1).map(|a| a.parse::<u64>()) {
        None => 0,
        Some(Ok(extra)) => extra,
        Some(Err(_)) => {
            eprintln!("usage: known_counts [EXTRA]");
            return ExitCode::from(2);
        }
    };
    perf_e2e::run_in_session("known_counts", || {
        for _ in 0..CALLS {
            once();
            twice();
            thrice();
            tweaked(std::hint::black_box(extra));
            outer();
        }
    })
}
