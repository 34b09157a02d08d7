//! The parse of `examples/alloc_regression.rs`, written twice: a request
//! line of an access log, `GET /api/orders/42 200 1532` (method, path,
//! status, bytes sent).
//!
//! [`parse_request`] borrows its text fields from the line and allocates
//! nothing. [`parse_request_owned`] is the same parse written the
//! convenient way — split, copy every field into a `String`, pick them out
//! of a `Vec` — and allocates [`OWNED_ALLOCS_PER_LINE`] times per line: the
//! `Vec` and one `String` per field. The results are the same; only the
//! allocator notices.

use std::fmt;

use perf_core::profile;

/// Fields in a request line: method, path, status, bytes.
pub const FIELDS: usize = 4;

/// Allocations [`parse_request_owned`] makes per well-formed line: the
/// `Vec` of fields (its first allocation holds 4 elements, so 4 fields never
/// grow it) and one `String` per field.
pub const OWNED_ALLOCS_PER_LINE: u64 = 1 + FIELDS as u64;

/// A request line, borrowing its text from the line it was parsed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The request path.
    pub path: &'a str,
    /// The HTTP status of the response.
    pub status: u16,
    /// Bytes sent in the response body.
    pub bytes: u64,
}

/// A request line that owns its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request path.
    pub path: String,
    /// The HTTP status of the response.
    pub status: u16,
    /// Bytes sent in the response body.
    pub bytes: u64,
}

impl OwnedRequest {
    /// The same request, borrowed.
    pub fn as_request(&self) -> Request<'_> {
        Request {
            method: &self.method,
            path: &self.path,
            status: self.status,
            bytes: self.bytes,
        }
    }
}

/// Why a line is not a request line. Making one allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The line ends before this field.
    Missing(&'static str),
    /// This field is not a number in range.
    NotANumber(&'static str),
    /// The line has more than [`FIELDS`] fields.
    TrailingField,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Missing(field) => write!(f, "the line has no {field}"),
            ParseError::NotANumber(field) => write!(f, "the {field} is not a number"),
            ParseError::TrailingField => {
                write!(f, "the line has more than {FIELDS} fields")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses `METHOD PATH STATUS BYTES`, borrowing: no allocation.
///
/// ```
/// use perf_examples::alloc_regression::parse_request;
///
/// let request = parse_request("GET /api/orders/42 200 1532")?;
/// assert_eq!((request.path, request.status), ("/api/orders/42", 200));
/// # Ok::<(), perf_examples::alloc_regression::ParseError>(())
/// ```
#[profile(name = "log::parse_request")]
pub fn parse_request(line: &str) -> Result<Request<'_>, ParseError> {
    let mut fields = line.split_ascii_whitespace();
    let mut next = |name| fields.next().ok_or(ParseError::Missing(name));
    let request = Request {
        method: next("method")?,
        path: next("path")?,
        status: number(next("status")?, "status")?,
        bytes: number(next("bytes")?, "bytes")?,
    };
    match fields.next() {
        Some(_) => Err(ParseError::TrailingField),
        None => Ok(request),
    }
}

/// The same parse, copying every field into a `String` first:
/// [`OWNED_ALLOCS_PER_LINE`] allocations per line.
#[profile(name = "log::parse_request_owned")]
pub fn parse_request_owned(line: &str) -> Result<OwnedRequest, ParseError> {
    let fields: Vec<String> = line.split_ascii_whitespace().map(str::to_owned).collect();
    if fields.len() > FIELDS {
        return Err(ParseError::TrailingField);
    }
    let mut fields = fields.into_iter();
    let mut next = |name| fields.next().ok_or(ParseError::Missing(name));
    Ok(OwnedRequest {
        method: next("method")?,
        path: next("path")?,
        status: number(&next("status")?, "status")?,
        bytes: number(&next("bytes")?, "bytes")?,
    })
}

fn number<T: std::str::FromStr>(text: &str, field: &'static str) -> Result<T, ParseError> {
    text.parse().map_err(|_| ParseError::NotANumber(field))
}
