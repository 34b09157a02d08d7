//! Failed calls: a `#[profile]` function whose return type is a `Result`
//! counts its `Err`s, whichever way they leave (`?`, `return`, the end);
//! every instrumented call that unwinds from a panic counts too.
#![cfg(feature = "runtime")]

use std::future::Future;
use std::io;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use perf_core::{Session, profile};

#[profile(name = "errors::parse")]
fn parse(input: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = input.parse()?;
    Ok(n)
}

#[profile(name = "errors::early")]
fn early(fail: bool) -> io::Result<&'static str> {
    if fail {
        return Err(io::Error::other("no"));
    }
    Ok("yes")
}

/// A borrowed return value, elided lifetimes and a generic.
#[profile(name = "errors::first")]
fn first<T: AsRef<str>>(words: &[T]) -> Result<&str, String> {
    words
        .first()
        .map(AsRef::as_ref)
        .ok_or_else(|| "empty".to_owned())
}

/// An `impl Trait` inside the `Result`.
#[profile(name = "errors::digits")]
fn digits(input: &str) -> Result<impl Iterator<Item = u32> + '_, char> {
    if let Some(bad) = input.chars().find(|c| !c.is_ascii_digit()) {
        Err(bad)?;
    }
    Ok(input.chars().filter_map(|c| c.to_digit(10)))
}

struct Counter(u32);

impl Counter {
    #[profile(name = "errors::Counter::take")]
    fn take(&mut self) -> Result<u32, ()> {
        if self.0 == 0 {
            return Err(());
        }
        self.0 -= 1;
        Ok(self.0)
    }
}

#[profile(name = "errors::panics")]
fn panics(panic: bool) -> u32 {
    if panic {
        panic!("on purpose");
    }
    1
}

#[profile(name = "errors::fetch")]
async fn fetch(id: u32) -> Result<u32, String> {
    let half = half(id).await?;
    Ok(half + 1)
}

#[profile(name = "errors::half")]
async fn half(id: u32) -> Result<u32, String> {
    if id % 2 == 1 {
        return Err(format!("{id} is odd"));
    }
    Ok(id / 2)
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

#[test]
fn errs_and_unwinds_are_counted_per_function() {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::builder("errors").dir(dir.path()).start().unwrap();
    for input in ["1", "x", "22", "", "7"] {
        let _ = parse(input);
    }
    for fail in [true, false, false] {
        let _ = early(fail);
    }
    let _ = first::<&str>(&[]);
    let _ = first(&["a"]);
    assert!(digits("12a").is_err());
    assert_eq!(digits("123").map(Iterator::sum::<u32>), Ok(6));
    let mut counter = Counter(2);
    while counter.take().is_ok() {}
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for panic in [false, true, true] {
        let _ = std::panic::catch_unwind(|| panics(panic));
    }
    std::panic::set_hook(hook);
    for id in [2, 3, 4, 5, 6] {
        let _ = block_on(fetch(id));
    }
    let run = session.finish().unwrap();

    let errors = |name: &str| {
        let f = run
            .function(name)
            .unwrap_or_else(|| panic!("{name} missing"));
        (f.calls, f.errors)
    };
    assert_eq!(errors("errors::parse"), (5, 2));
    assert_eq!(errors("errors::early"), (3, 1));
    assert_eq!(errors("errors::first"), (2, 1));
    assert_eq!(errors("errors::digits"), (2, 1));
    assert_eq!(errors("errors::Counter::take"), (3, 1));
    assert_eq!(errors("errors::panics"), (3, 2));
    assert_eq!(errors("errors::half"), (5, 2));
    // `?` passed the callee's error on: the caller failed too.
    assert_eq!(errors("errors::fetch"), (5, 2));
}
