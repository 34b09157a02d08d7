//! Embedded profiling for Rust: put `#[profile]` on hot functions, run a
//! [`Session`], and get per-function wall time, CPU time, allocations and the
//! call tree, as `run.json` and a Chrome trace, and with the feature `svg`
//! flamegraph SVGs.
//!
//! ```no_run
//! use perf_core::profile;
//!
//! #[global_allocator] // optional: allocation tracking
//! static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();
//!
//! #[profile]
//! fn parse(input: &str) -> Vec<u32> {
//!     input.split(',').filter_map(|s| s.parse().ok()).collect()
//! }
//!
//! fn main() -> Result<(), perf_core::Error> {
//!     let session = perf_core::Session::start("parse")?;
//!     for _ in 0..1000 {
//!         parse("1,2,3,4");
//!     }
//!     let run = session.finish()?;
//!     println!("{}", run.summary());
//!     Ok(())
//! }
//! ```
//!
//! # The attribute
//! `#[profile]` works on free fns, methods, trait impls, generic fns,
//! `async fn` (timed from first poll to completion), `unsafe fn`, fns
//! returning `impl Trait`, and fns with `?` or early `return`; on an `impl`
//! block it instruments every method of it. Options:
//! `name = "db::get_user"` (default: `module_path!()::fn_name`, a method
//! `module::Type::method` or `<module::Type as Trait>::method`, see
//! `docs/runtime.md`, "How functions are named"), `cpu` (also
//! thread CPU time per call; a system call, so only where asked), and
//! `crate = path` for crates that re-export perf-core.
//!
//! # Cost
//! Each thread aggregates into its own call tree: no lock and no shared write
//! on the hot path, a TSC clock read at each end. With recording off
//! ([`set_enabled`]`(false)`, or no session running) a call costs a load and a
//! branch; without the default feature `enabled`, the attribute and [`scope!`]
//! compile to nothing.
//!
//! # Features
//! - none (`default-features = false`): the macros alone, compiled to
//!   nothing; perf-core's tree is perf-macros and syn (6 crates). What a
//!   library carries: `docs/features.md`, "A library on perf".
//! - `runtime`: `Session`, the recorder, `PerfAlloc`, `measure`,
//!   `run.json` and `trace.json`; the annotations still compile to nothing.
//! - `enabled` (default): `runtime`, and the annotations record.
//! - `svg`: each run also draws `flamegraph.svg`, `alloc-flamegraph.svg`
//!   and `memory.svg` (inferno, plotters). Without it,
//!   `cargo perf flamegraph` draws them from `run.json`.
//! - `cpu` (sets `svg`), `heap`, `tracing`, `serve` (sets `svg`),
//!   `criterion` (sets `cpu`): the profilers and the live endpoints; each
//!   sets `runtime`.
#![warn(missing_docs, unreachable_pub)]
// Without the runtime, the guide above still names its items (`Session`,
// `set_enabled`): they are not in such a build, and their links dangle.
#![cfg_attr(not(feature = "runtime"), allow(rustdoc::broken_intra_doc_links))]

// pprof is a dependency on unix only (its sampler is a SIGPROF timer), so the
// `cpu` feature (and `criterion`, which needs it) cannot build elsewhere: say
// so once, instead of as a dozen unresolved names.
#[cfg(all(feature = "cpu", not(unix)))]
compile_error!(
    "perf-core's `cpu` feature (and `criterion`, which turns it on) samples with SIGPROF \
     through pprof and builds on unix only"
);

// The runtime (feature `runtime`, set by `enabled`): without it perf-core
// is the macros alone, and they compile to nothing.
#[cfg(feature = "runtime")]
mod aggregate;
#[cfg(feature = "runtime")]
mod alloc;
#[cfg(feature = "runtime")]
mod callsite;
#[cfg(feature = "runtime")]
mod clock;
#[cfg(feature = "runtime")]
mod cpu_time;
#[cfg(all(feature = "criterion", unix))]
pub mod criterion;
#[cfg(feature = "runtime")]
mod error;
#[cfg(all(feature = "runtime", unix))]
mod fork;
#[cfg(feature = "runtime")]
mod hash;
#[cfg(feature = "heap")]
mod heap;
#[cfg(feature = "runtime")]
mod heap_watch;
#[cfg(feature = "runtime")]
mod histogram;
#[cfg(feature = "serve")]
mod live;
#[cfg(feature = "runtime")]
mod measure;
#[cfg(feature = "runtime")]
mod output;
#[cfg(feature = "runtime")]
mod overhead;
#[cfg(any(all(feature = "cpu", unix), feature = "serve"))]
mod pprof;
#[cfg(feature = "runtime")]
mod recorder;
#[cfg(all(feature = "cpu", unix))]
mod sampling;
#[cfg(feature = "runtime")]
mod session;
#[cfg(all(feature = "runtime", unix))]
mod signal;
#[cfg(feature = "runtime")]
mod summary;
#[cfg(feature = "runtime")]
mod sync;
#[cfg(feature = "tracing")]
pub mod tracing;

/// What a run holds, as serde types: what [`Run::data`] returns and
/// `run.json` stores (`perf-run/1`, from the `perf-format` crate).
#[cfg(feature = "runtime")]
pub mod model {
    pub use perf_format::schema::env::Environment;
    pub use perf_format::schema::run::{
        CallNode, CpuProfileInfo, CpuSamples, FunctionStats, HeapInfo, HeapPoint, RUN_SCHEMA,
        RunData, ThreadInfo, TraceInfo,
    };
}

/// Figures as the summary shows them: durations, byte sizes and counts with
/// three significant digits and a fitting unit.
#[cfg(feature = "runtime")]
pub mod format {
    pub use perf_format::units::{bytes, count, duration};
}

#[cfg(feature = "runtime")]
pub use alloc::PerfAlloc;
#[cfg(feature = "runtime")]
pub use error::Error;
#[cfg(feature = "runtime")]
pub use hash::HashState;
#[cfg(feature = "serve")]
pub use live::Live;
#[cfg(feature = "runtime")]
pub use measure::{Measurement, measure};
#[cfg(feature = "runtime")]
pub use output::RunFiles;
pub use perf_macros::profile;
#[cfg(feature = "runtime")]
pub use recorder::{SpanGuard, is_enabled, set_enabled};
#[cfg(all(feature = "cpu", unix))]
pub use sampling::DEFAULT_CPU_FREQUENCY;
#[cfg(feature = "runtime")]
pub use session::{DEFAULT_TRACE_CAPACITY, Run, Session, SessionBuilder};
#[cfg(all(feature = "runtime", unix))]
pub use signal::SignalSession;
#[cfg(feature = "runtime")]
pub use summary::Summary;

/// Whether this build records at all (the `enabled` feature).
pub const ENABLED: bool = cfg!(feature = "enabled");

/// Opens a span for the rest of the enclosing block, recorded under `name`
/// (a string literal or other `&'static str` constant). Bind the guard:
///
/// ```
/// fn handler() {
///     let _validate = perf_core::scope!("handler::validate");
///     // ... recorded until the end of the block
/// }
/// # handler();
/// ```
#[cfg(feature = "enabled")]
#[macro_export]
macro_rules! scope {
    ($name:expr $(,)?) => {{
        static __PERF_CALLSITE: $crate::__private::Callsite =
            $crate::__private::Callsite::new($name, ::core::file!(), ::core::line!(), false);
        $crate::__private::enter(&__PERF_CALLSITE)
    }};
}

/// Opens a span for the rest of the enclosing block (compiled out: perf-core
/// was built without its `enabled` feature).
#[cfg(not(feature = "enabled"))]
#[macro_export]
macro_rules! scope {
    ($name:expr $(,)?) => {
        ()
    };
}

/// The README's examples, compiled as doctests so that they cannot rot.
#[cfg(all(doctest, feature = "runtime"))]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;

/// The runtime's reference page, compiled as doctests too.
#[cfg(all(doctest, feature = "runtime"))]
#[doc = include_str!("../../docs/runtime.md")]
struct RuntimeReferenceExamples;

/// The features' reference page, compiled as doctests with the features on.
#[cfg(all(doctest, feature = "criterion", feature = "tracing"))]
#[doc = include_str!("../../docs/features.md")]
struct FeatureReferenceExamples;

/// The live endpoints' page, compiled as doctests with the feature on.
#[cfg(all(doctest, feature = "serve"))]
#[doc = include_str!("../../docs/live.md")]
struct LiveReferenceExamples;

/// This crate's own README (its crates.io page), compiled as doctests too.
#[cfg(all(doctest, feature = "runtime"))]
#[doc = include_str!("../README.md")]
struct CrateReadmeExamples;

/// Used by generated code; not public API.
#[cfg(feature = "runtime")]
#[doc(hidden)]
pub mod __private {
    pub use crate::callsite::{Callsite, Naming};
    #[cfg(perf_instructions)]
    pub use crate::recorder::in_slot;
    pub use crate::recorder::{
        CpuSpanGuard, Fallible, Instrumented, SpanGuard, enter, enter_cpu, settle_async,
    };
}
