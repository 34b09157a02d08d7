//! A program whose instruction counts are known in advance, for the tests
//! of `cargo perf record --instructions` (`e2e/tests/instructions.rs`).
//!
//! Every function runs [`perf_e2e::known::spin`], a loop of exactly
//! `BODY` instructions per iteration, and nothing else of its own, so that
//! their counts differ by `BODY` × their iteration counts' difference:
//! `once` N iterations, `twice` 2N, `thrice` 3N, `tweaked` N + EXTRA, and
//! `outer` N of its own and a call of `once`, `polled` (an `async fn`) N
//! before and N after a point where it is pending once, and N in a
//! `scope!` (`scoped`), in a tracing span (`traced`), and in a
//! `scope!` around a call of `once` (`wrapper`). Each is called
//! [`CALLS`] times, in a session called `known_counts`, and `twice` as
//! often again on a second thread.
//!
//! `known_counts [EXTRA]` (EXTRA defaults to `$KNOWN_COUNTS_EXTRA`, else 0:
//! the variable shows that the user's environment reaches a program run
//! under callgrind)

use std::pin::{Pin, pin};
use std::process::ExitCode;
use std::task::{Context, Poll, Waker};

use perf_core::profile;
use perf_e2e::known::{N, spin};
use tracing_subscriber::prelude::*;

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

/// N iterations, pending once, N more: two polls, one call.
#[profile]
async fn polled() {
    spin(N);
    PendingOnce(false).await;
    spin(N);
}

/// N iterations in a `scope!`, which a guard closes: counted between the
/// callgrind dumps that mark its edges, not through a slot.
fn scoped() {
    let _scope = perf_core::scope!("known_counts::scoped");
    spin(N);
}

/// A `scope!` around N iterations and a call of [`once`].
fn wrapper() {
    let _scope = perf_core::scope!("known_counts::wrapper");
    spin(N);
    once();
}

/// N iterations inside a tracing span, entered through `PerfLayer`.
fn traced() {
    let span = tracing::info_span!("traced");
    span.in_scope(|| spin(N));
}

/// A future pending on its first poll and ready on its second.
struct PendingOnce(bool);

impl Future for PendingOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Polls `future` until it is ready, on this thread.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fn main() -> ExitCode {
    let given = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("KNOWN_COUNTS_EXTRA").ok());
    let extra = match given.map(|a| a.parse::<u64>()) {
        None => 0,
        Some(Ok(extra)) => extra,
        Some(Err(_)) => {
            eprintln!("usage: known_counts [EXTRA]");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::registry()
        .with(perf_core::tracing::PerfLayer::new())
        .init();
    perf_e2e::run_in_session("known_counts", || {
        for _ in 0..CALLS {
            once();
            twice();
            thrice();
            tweaked(std::hint::black_box(extra));
            outer();
            block_on(polled());
            scoped();
            wrapper();
            traced();
        }
        let other = std::thread::spawn(|| {
            for _ in 0..CALLS {
                twice();
            }
        });
        other.join().expect("the second thread");
    })
}
