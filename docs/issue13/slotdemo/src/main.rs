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

/// Nothing: what an instrumented call costs its caller.
#[profile]
fn empty() {}

/// `n` calls of `empty`.
#[profile]
fn spin(n: u64) {
    for _ in 0..black_box(n) {
        empty();
    }
}

/// Pending once, then ready: makes an async fn take two polls.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            std::task::Poll::Pending
        }
    }
}

/// Two polls, one `leaf` in each.
#[profile]
async fn two_polls() -> u64 {
    let a = leaf(1);
    YieldOnce(false).await;
    a.wrapping_add(leaf(2))
}

/// Polls `fut` until it is ready, on this thread.
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
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
    spin(1000);
    for _ in 0..3 {
        acc += block_on(two_polls());
    }
    let t = std::thread::spawn(|| mid(black_box(500)));
    acc += t.join().unwrap();
    black_box(acc);
    let n = cases::Named("x".into());
    black_box((n.name().len(), cases::parse("4").unwrap(), cases::first(b"ab", b"c").copied()));
    black_box(n.into_inner());
    let run = session.finish().unwrap();
    for node in &run.data().call_tree {
        println!(
            "{:>3} parent={:?} {:<14} calls={:<6} slots={:?}",
            node.id, node.parent, node.function, node.calls, node.slots
        );
    }
}

/// Cases the slot closure must keep compiling.
mod cases {
    use perf_core::profile;

    pub struct Named(pub String);

    impl Named {
        #[profile]
        pub fn name(&self) -> &str {
            #![allow(unused_variables)]
            let unused = 1;
            &self.0
        }

        #[profile]
        pub fn into_inner(self) -> String {
            if self.0.is_empty() {
                return String::new();
            }
            self.0
        }
    }

    #[profile]
    pub fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
        let n: u32 = s.parse()?;
        Ok(n + 1)
    }

    #[profile]
    pub fn first<'a>(a: &'a [u8], _b: &[u8]) -> Option<&'a u8> {
        a.first()
    }
}
