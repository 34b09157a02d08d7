//! A thousand instrumented functions, each its own `#[profile]` callsite and
//! recorded path (`…::thousand::a3::b1::f4`), and a plain HTTP GET: the load
//! behind the `serve/*` benches and the `no_pause` example (which includes
//! this file by path).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

/// An instrumented function of the thousand: a ~1 ns body.
pub(crate) type Function = fn(u64) -> u64;

/// Ten `#[profile]` fns named `$f` in the current module, and `ALL`, them in
/// order.
macro_rules! ten_functions {
    ($($f:ident)*) => {
        $(
            #[perf_core::profile]
            #[inline(never)]
            pub(crate) fn $f(x: u64) -> u64 {
                ::std::hint::black_box(x).wrapping_mul(3)
            }
        )*
        pub(crate) const ALL: [Function; 10] = [$($f),*];
    };
}

/// Ten modules `$m` of ten functions each, and `ALL`, their functions.
macro_rules! hundred_functions {
    ($($m:ident)*) => {
        $(
            pub(crate) mod $m {
                use super::Function;
                ten_functions!(f0 f1 f2 f3 f4 f5 f6 f7 f8 f9);
            }
        )*
        pub(crate) const ALL: [[Function; 10]; 10] = [$($m::ALL),*];
    };
}

/// Ten modules `$m` of a hundred functions each, and `ALL`, their functions.
macro_rules! thousand_functions {
    ($($m:ident)*) => {
        $(
            pub(crate) mod $m {
                use super::Function;
                hundred_functions!(b0 b1 b2 b3 b4 b5 b6 b7 b8 b9);
            }
        )*
        const ALL: [[[Function; 10]; 10]; 10] = [$($m::ALL),*];
    };
}

thousand_functions!(a0 a1 a2 a3 a4 a5 a6 a7 a8 a9);

/// The thousand functions, each with a callsite and recorded path of its own.
pub(crate) fn functions() -> &'static [Function] {
    ALL.as_flattened().as_flattened()
}

/// Calls each of the thousand functions `rounds` times, in order.
pub(crate) fn call_all(rounds: u64) -> u64 {
    let mut sum = 0u64;
    for round in 0..rounds {
        for f in functions() {
            sum = sum.wrapping_add(f(round));
        }
    }
    sum
}

/// `GET path` from the server at `addr` over a new connection, as a scraper
/// does; the body, after checking for a `200 OK`.
pub(crate) fn get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect to the live server");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/plain\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("a response head and body");
    assert!(
        head.starts_with("HTTP/1.1 200"),
        "GET {path}: {}",
        head.lines().next().unwrap_or_default()
    );
    body.to_owned()
}
