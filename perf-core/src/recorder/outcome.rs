//! Which calls failed: those that returned `Err` (`#[profile]` on a function
//! whose return type is a `Result`) or unwound from a panic.

use std::cell::Cell;

/// A return value that can tell a failure: `Result`'s `Err`. `#[profile]`
/// asks it of every function whose return type is written `Result<..>`
/// (`io::Result<T>`, `anyhow::Result<T>` too). Used by generated code.
#[diagnostic::on_unimplemented(
    message = "`#[profile]` counts the `Err`s of a function whose return type is written `Result<..>`, but `{Self}` is not a `std::result::Result`",
    note = "name the type other than `Result`, or return a `std::result::Result`"
)]
pub trait Fallible {
    /// Whether this return value is a failure.
    fn failed(&self) -> bool;
}

impl<T, E> Fallible for Result<T, E> {
    #[inline(always)]
    fn failed(&self) -> bool {
        self.is_err()
    }
}

thread_local! {
    /// Set by an async fn's body as it completes with a failure, taken by
    /// its [`Instrumented`](super::Instrumented) in the same poll.
    static ASYNC_FAILED: Cell<bool> = const { Cell::new(false) };
}

/// Returns the output of an async fn's body, telling its instrumenting
/// future, which completes in the same poll, whether it failed. Used by
/// generated code.
#[inline(always)]
pub fn settle_async<R: Fallible>(result: R) -> R {
    if result.failed() {
        ASYNC_FAILED.with(|failed| failed.set(true));
    }
    result
}

/// Whether the async body that just completed on this thread failed; clears it.
#[inline]
pub(crate) fn take_async_failure() -> bool {
    ASYNC_FAILED.with(Cell::take)
}
