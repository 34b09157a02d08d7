//! The `#[profile]` attribute of perf.
//!
//! Use it through `perf_core::profile`; this crate holds only the macro. Parsing
//! of the attribute's options lives in `attr`, the code it generates in
//! `expand`.
#![warn(missing_docs, unreachable_pub)]

mod attr;
mod expand;

use proc_macro::TokenStream;

/// Records every call of the function it is put on — or of every method of
/// the `impl` block it is put on — wall time, allocations and its place in
/// the call tree (see `perf_core` for the options and examples).
#[proc_macro_attribute]
pub fn profile(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::profile(args.into(), item.into(), cfg!(feature = "enabled")).into()
}
