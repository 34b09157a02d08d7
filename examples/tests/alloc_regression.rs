//! The allocation counts of `alloc_regression`'s two parsers, pinned
//! exactly with `perf_core::measure`: a parse that starts allocating (or
//! allocates more) fails here, whatever the machine's speed.

use perf_core::measure;
use perf_examples::alloc_regression::{
    FIELDS, OWNED_ALLOCS_PER_LINE, ParseError, Request, parse_request, parse_request_owned,
};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

const LINE: &str = "GET /api/orders/42 200 1532";

#[test]
fn the_borrowing_parse_allocates_nothing() {
    let m = measure(|| parse_request(LINE));
    assert!(
        m.alloc_tracking,
        "PerfAlloc is this test's global allocator"
    );
    assert_eq!(m.allocs, 0);
    assert_eq!(m.bytes, 0);
    assert_eq!(
        m.output,
        Ok(Request {
            method: "GET",
            path: "/api/orders/42",
            status: 200,
            bytes: 1532,
        })
    );
}

#[test]
fn the_owning_parse_allocates_the_vec_and_one_string_per_field() {
    assert_eq!(OWNED_ALLOCS_PER_LINE, 1 + FIELDS as u64);
    let m = measure(|| parse_request_owned(LINE));
    assert!(
        m.alloc_tracking,
        "PerfAlloc is this test's global allocator"
    );
    assert_eq!(m.allocs, OWNED_ALLOCS_PER_LINE);
    // The Vec's 4 slots of `String` and each field's bytes.
    let fields: u64 = LINE.split(' ').map(|f| f.len() as u64).sum();
    assert_eq!(m.bytes, (FIELDS * size_of::<String>()) as u64 + fields,);
    let owned = m.output.expect("a well-formed line");
    assert_eq!(Ok(owned.as_request()), parse_request(LINE));
}

#[test]
fn the_counts_hold_per_line_over_a_whole_log() {
    let log: Vec<String> = (0..100)
        .map(|i| format!("POST /api/carts/{i} 201 {}", i * 10))
        .collect();
    let borrowed = measure(|| {
        log.iter()
            .map(|line| parse_request(line).map(|r| r.bytes))
            .sum::<Result<u64, _>>()
    });
    let owned = measure(|| {
        log.iter()
            .map(|line| parse_request_owned(line).map(|r| r.bytes))
            .sum::<Result<u64, _>>()
    });
    assert_eq!(borrowed.allocs, 0);
    assert_eq!(owned.allocs, OWNED_ALLOCS_PER_LINE * log.len() as u64);
    assert_eq!(borrowed.output, owned.output);
    assert_eq!(borrowed.output, Ok((0..100).map(|i| i * 10).sum()));
}

#[test]
fn bad_lines_are_errors_not_panics() {
    let cases = [
        ("", ParseError::Missing("method")),
        ("GET", ParseError::Missing("path")),
        ("GET /", ParseError::Missing("status")),
        ("GET / 200", ParseError::Missing("bytes")),
        ("GET / ok 12", ParseError::NotANumber("status")),
        ("GET / 200 -1", ParseError::NotANumber("bytes")),
        ("GET / 99999 1", ParseError::NotANumber("status")),
        ("GET / 200 1 extra", ParseError::TrailingField),
    ];
    for (line, error) in cases {
        assert_eq!(parse_request(line), Err(error), "{line:?}");
        assert_eq!(parse_request_owned(line), Err(error), "{line:?}");
    }
    assert_eq!(
        ParseError::NotANumber("status").to_string(),
        "the status is not a number"
    );
}

#[test]
fn runs_of_whitespace_separate_fields_alike() {
    let line = "  GET\t/health   204 0 ";
    let borrowed = parse_request(line).expect("well-formed");
    let owned = parse_request_owned(line).expect("well-formed");
    assert_eq!(borrowed.path, "/health");
    assert_eq!(owned.as_request(), borrowed);
}
