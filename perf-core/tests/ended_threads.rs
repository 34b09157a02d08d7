//! What a session keeps for threads that ended before it finishes: their
//! recordings must cost what they recorded, not a fixed trace chunk and call
//! tree each; and a service that starts and ends threads for days (a
//! blocking pool's threads come and go) keeps a bounded recording: past the
//! first 1,024 ended threads, each one's call tree is merged into one, and
//! their spans are counted only. Counts live heap bytes with an allocator of
//! its own, so it is exact and needs no `/proc`. (`cargo run --release -p
//! perf-e2e --example short_threads` measures the same in RSS at full scale.)
#![cfg(feature = "runtime")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicIsize, Ordering};

/// One test at a time: a session each, and the heap counted is the process's.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The system allocator, counting the bytes it holds.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments and
// only adds to a counter.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        new
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[perf_core::profile]
#[inline(never)]
fn work(n: u64) -> u64 {
    std::hint::black_box(n).wrapping_mul(3)
}

/// Heap bytes kept per thread after `threads` threads, one after another,
/// each made `calls` instrumented calls and ended.
fn kept_per_thread(threads: u64, calls: u64) -> f64 {
    let before = LIVE.load(Ordering::Relaxed);
    for t in 0..threads {
        std::thread::spawn(move || {
            for c in 0..calls {
                work(t + c);
            }
        })
        .join()
        .expect("thread");
    }
    let kept = LIVE.load(Ordering::Relaxed) - before;
    kept as f64 / threads as f64
}

#[test]
fn an_ended_thread_keeps_what_it_recorded_not_a_fixed_chunk() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    const THREADS: u64 = 500;
    let out = tempfile::tempdir().expect("tempdir");
    let session = perf_core::Session::builder("ended-threads")
        .dir(out.path())
        .start()
        .expect("session");
    // The first thread's one-off costs (the registry, the clock) out of the way.
    kept_per_thread(1, 1);

    let few = kept_per_thread(THREADS, 3);
    let many = kept_per_thread(THREADS, 100);

    let run = session.finish().expect("finish");
    // Trimmed, an ended thread's recording is still all there.
    let calls = 1 + THREADS * 3 + THREADS * 100;
    assert_eq!(
        run.function("ended_threads::work").map(|f| f.calls),
        Some(calls)
    );
    assert_eq!(run.data().threads.len() as u64, 1 + 2 * THREADS);
    assert_eq!(
        (run.data().trace.events, run.data().trace.dropped_events),
        (calls, 0)
    );

    // A trace chunk alone used to be 32 KiB: a thread of 3 calls kept ~34 KB.
    assert!(
        few < 2048.0,
        "a thread of 3 calls keeps {few:.0} bytes after it ended"
    );
    // 97 more calls: 97 more trace events (32 bytes each), no more nodes.
    let per_event = (many - few) / 97.0;
    assert!(
        per_event < 64.0,
        "each further call keeps {per_event:.0} bytes ({few:.0} bytes for 3 calls, {many:.0} for 100)"
    );
}

#[perf_core::profile(name = "churn::outer")]
#[inline(never)]
fn outer(n: u64) -> u64 {
    (0..5).map(|i| inner(n + i)).sum()
}

#[perf_core::profile(name = "churn::inner")]
#[inline(never)]
fn inner(n: u64) -> u64 {
    std::hint::black_box(n).wrapping_mul(3)
}

/// Heap bytes kept after `threads` threads of 20 calls each have ended.
fn kept_after(threads: u64) -> isize {
    let before = LIVE.load(Ordering::Relaxed);
    for t in 0..threads {
        std::thread::spawn(move || {
            for c in 0..20 {
                outer(t + c);
            }
        })
        .join()
        .expect("thread");
    }
    LIVE.load(Ordering::Relaxed) - before
}

#[test]
fn threads_past_the_first_thousand_are_merged_and_counts_stay_exact() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = tempfile::tempdir().expect("tempdir");
    let session = perf_core::Session::builder("churn")
        .dir(out.path())
        .start()
        .expect("session");
    let first = kept_after(1024);
    let later = kept_after(2000);
    let run = session.finish().expect("finish");

    let threads = 3024;
    assert_eq!(
        run.function("churn::outer").map(|f| f.calls),
        Some(threads * 20)
    );
    assert_eq!(
        run.function("churn::inner").map(|f| f.calls),
        Some(threads * 100)
    );
    let rows = &run.data().threads;
    assert_eq!(rows.len(), 1025, "1,024 threads apart, the rest as one");
    let merged = rows
        .iter()
        .find(|t| t.calls == 2000 * 120)
        .expect("the merged row");
    assert!(
        merged.name.as_deref().unwrap_or("").contains("ended after"),
        "{merged:?}"
    );
    // Their spans are counted, not kept.
    let trace = &run.data().trace;
    assert_eq!(trace.events + trace.dropped_events, threads * 120);
    assert_eq!(trace.events, 1024 * 120);

    assert!(
        later < first / 20,
        "2,000 more threads kept {later} bytes, the first 1,024 kept {first}"
    );
}
