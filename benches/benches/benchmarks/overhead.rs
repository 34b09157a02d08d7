//! The cost of one instrumented call of a ~1 ns function, side by side in one
//! run: bare, the floor for any timer (a bare call between two TSC reads, and
//! a hand-written guard of two TSC reads and a thread-local add), `#[profile]`
//! recording, the same while the session serves and is scraped every second,
//! `#[profile]` switched off, autometrics' `#[autometrics]` (prometheus-client
//! backend), `#[tracing::instrument]` with a registry and a timing layer, the
//! same with perf's `PerfLayer` recording it (and idle, no session), and
//! puffin.

use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use perf_core::tracing::PerfLayer;
use tracing::span;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

#[inline(never)]
fn bare(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

thread_local! {
    /// What [`TscGuard`]s add up to.
    static GUARDED_TICKS: Cell<u64> = const { Cell::new(0) };
}

/// The least a timing guard does: a TSC read when made, another when
/// dropped, and the difference added to a thread-local.
#[cfg(target_arch = "x86_64")]
struct TscGuard(u64);

#[cfg(target_arch = "x86_64")]
impl TscGuard {
    #[inline(always)]
    fn new() -> TscGuard {
        // SAFETY: `rdtsc` has no preconditions on x86_64.
        TscGuard(unsafe { core::arch::x86_64::_rdtsc() })
    }
}

#[cfg(target_arch = "x86_64")]
impl Drop for TscGuard {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: as above.
        let ticks = unsafe { core::arch::x86_64::_rdtsc() }.wrapping_sub(self.0);
        GUARDED_TICKS.with(|total| total.set(total.get().wrapping_add(ticks)));
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(never)]
fn guarded(x: u64) -> u64 {
    let _guard = TscGuard::new();
    black_box(x).wrapping_mul(3)
}

#[perf_core::profile]
#[inline(never)]
fn profiled(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[autometrics::autometrics]
#[inline(never)]
fn autometered(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[tracing::instrument(skip_all)]
#[inline(never)]
fn traced(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

#[inline(never)]
fn puffin_scoped(x: u64) -> u64 {
    puffin::profile_function!();
    black_box(x).wrapping_mul(3)
}

/// The least a tracing layer must do to time spans.
struct TimingLayer;

static TRACED_NS: AtomicU64 = AtomicU64::new(0);

impl<S> tracing_subscriber::Layer<S> for TimingLayer
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_enter(&self, id: &span::Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().replace(Instant::now());
        }
    }

    fn on_exit(&self, id: &span::Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(start) = span.extensions().get::<Instant>() {
                TRACED_NS.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
            }
        }
    }
}

fn overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("call");
    group.bench_function("bare", |b| b.iter(|| bare(black_box(7))));
    // The floor for any timer: a bare call between two reads of the TSC.
    #[cfg(target_arch = "x86_64")]
    group.bench_function("bare-between-two-tsc-reads", |b| {
        b.iter(|| {
            // SAFETY: `rdtsc` has no preconditions on x86_64.
            let start = unsafe { core::arch::x86_64::_rdtsc() };
            let out = bare(black_box(7));
            // SAFETY: as above.
            let end = unsafe { core::arch::x86_64::_rdtsc() };
            black_box(end.wrapping_sub(start));
            out
        })
    });
    // The floor `#[profile]` is held to: a guard of two TSC reads and a
    // thread-local add around the same call.
    #[cfg(target_arch = "x86_64")]
    group.bench_function("tsc-guard", |b| b.iter(|| guarded(black_box(7))));

    let out = tempfile::tempdir().expect("tempdir");
    let session = perf_core::Session::builder("bench")
        .dir(out.path())
        .start()
        .expect("session");
    // Another dependency turning `enabled` back on (feature unification)
    // would make the compiled-out row measure recording.
    assert_eq!(
        perf_core::ENABLED,
        cfg!(feature = "perf-enabled"),
        "perf-core's `enabled` feature does not follow perf-benches' `perf-enabled`"
    );
    let recording = if perf_core::ENABLED {
        "profile-recording"
    } else {
        "profile-compiled-out"
    };
    group.bench_function(recording, |b| b.iter(|| profiled(black_box(7))));
    // The same while the session serves `/metrics` and another thread GETs it
    // every second, as Prometheus would, for the whole measurement.
    #[cfg(feature = "perf-enabled")]
    {
        let scraper = super::serve::Scraper::start(&session, std::time::Duration::from_secs(1));
        group.bench_function("profile-recording-served", |b| {
            b.iter(|| profiled(black_box(7)))
        });
        assert!(scraper.stop() >= 1);
    }
    if perf_core::ENABLED {
        perf_core::set_enabled(false);
        group.bench_function("profile-switched-off", |b| {
            b.iter(|| profiled(black_box(7)))
        });
        perf_core::set_enabled(true);
    }
    drop(session.finish().expect("finish"));

    // A counter and a histogram of prometheus-client's per call, labelled
    // by function (and a gauge, unused here: no `track_concurrency`).
    group.bench_function("autometrics", |b| b.iter(|| autometered(black_box(7))));

    let subscriber = tracing_subscriber::registry().with(TimingLayer);
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("tracing-instrument", |b| b.iter(|| traced(black_box(7))));
    });

    // Without `enabled`, `PerfLayer` records nothing: no row to compare.
    if perf_core::ENABLED {
        let subscriber = tracing_subscriber::registry().with(PerfLayer::new());
        tracing::subscriber::with_default(subscriber, || {
            let session = perf_core::Session::builder("bench-tracing")
                .dir(out.path())
                .start()
                .expect("session");
            group.bench_function("tracing-perflayer", |b| b.iter(|| traced(black_box(7))));
            drop(session.finish().expect("finish"));
            group.bench_function("tracing-perflayer-no-session", |b| {
                b.iter(|| traced(black_box(7)))
            });
        });
    }

    puffin::set_scopes_on(true);
    group.bench_function("puffin-nested-scope", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            {
                puffin::profile_scope!("frame");
                for i in 0..iters {
                    black_box(puffin_scoped(black_box(i)));
                }
            }
            let elapsed = start.elapsed();
            puffin::GlobalProfiler::lock().new_frame();
            elapsed
        })
    });
    puffin::set_scopes_on(false);
    group.finish();
}

criterion_group! {
    name = benches;
    config = super::measuring_for(2);
    targets = overhead
}
