//! The heap with `PerfAlloc`: net bytes per call, live and peak heap,
//! reallocations, frees on other threads, and the timeline, all exact.
//!
//! One test: the heap is the process's, and the tests of one binary share
//! the process; each part runs in turn, after the harness has settled.
#![cfg(feature = "runtime")]

use std::alloc::Layout;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use perf_core::model::{FunctionStats, HeapInfo, RunData};
use perf_core::{Session, measure, profile};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// Keeps three blocks of 64 bytes per call.
#[profile]
fn keeps_three_blocks() {
    for _ in 0..3 {
        black_box(Box::leak(Box::new([0u8; 64])));
    }
}

/// Frees all it allocates.
#[profile]
fn frees_what_it_allocates() -> usize {
    let v = black_box(vec![1u8; 100]);
    let s = black_box(String::from("abc"));
    v.len() + s.len()
}

/// Keeps one block of 64 bytes, for its caller to free.
#[profile]
fn makes_a_block() -> Box<[u8; 64]> {
    black_box(Box::new([7u8; 64]))
}

/// Frees what its callee allocated: its own code frees 64 bytes per call.
#[profile]
fn frees_its_callees_block() -> u8 {
    let block = makes_a_block();
    block[0]
}

/// Grows a block by reallocation, shrinks it, and frees it.
#[profile]
fn grows_and_shrinks() -> usize {
    let mut v: Vec<u8> = Vec::with_capacity(100);
    v.reserve_exact(400); // 100 → 400: a realloc, 300 bytes more
    v.extend([1u8; 10]);
    v.shrink_to(50); // 400 → 50: a realloc, 350 bytes freed
    black_box(&v).capacity()
} // the last 50 freed

fn function<'a>(run: &'a RunData, name: &str) -> &'a FunctionStats {
    run.function(&format!("heap::{name}"))
        .unwrap_or_else(|| panic!("no function {name} in {:?}", run.functions))
}

fn heap(run: &RunData) -> &HeapInfo {
    run.heap.as_ref().expect("a heap section with PerfAlloc")
}

#[test]
fn net_bytes_live_and_peak_heap_are_exact() {
    // Let the harness finish starting this test before the parts count.
    std::thread::sleep(Duration::from_millis(200));
    let dir = tempfile::tempdir().expect("tempdir");
    net_bytes_per_call(dir.path());
    peak_of_a_known_pattern(dir.path());
    reallocations_count_by_their_size_change(dir.path());
    threads_that_free_each_others_blocks(dir.path());
    the_timeline_and_its_files(dir.path());
    a_dip_between_two_looks_is_on_the_timeline(dir.path());
}

fn net_bytes_per_call(dir: &std::path::Path) {
    let session = Session::builder("net").dir(dir).start().expect("session");
    for _ in 0..100 {
        keeps_three_blocks();
        black_box(frees_what_it_allocates());
        black_box(frees_its_callees_block());
    }
    let run = session.finish().expect("finish");
    let data = run.data();

    let keeps = function(data, "keeps_three_blocks");
    assert_eq!(keeps.calls, 100);
    assert_eq!(
        (keeps.total_alloc_bytes, keeps.total_freed_bytes),
        (19_200, 0)
    );
    assert_eq!(keeps.net_bytes_per_call(), 192.0);
    assert_eq!(
        (keeps.self_alloc_bytes, keeps.self_freed_bytes),
        (19_200, 0)
    );

    let frees = function(data, "frees_what_it_allocates");
    assert_eq!(
        (frees.total_alloc_bytes, frees.total_freed_bytes),
        (10_300, 10_300)
    );
    assert_eq!(frees.net_bytes_per_call(), 0.0);
    assert_eq!(frees.self_allocs, 200);

    let makes = function(data, "makes_a_block");
    assert_eq!(makes.net_bytes_per_call(), 64.0);
    let caller = function(data, "frees_its_callees_block");
    assert_eq!(
        (caller.self_alloc_bytes, caller.self_freed_bytes),
        (0, 6_400)
    );
    assert_eq!(
        (caller.total_alloc_bytes, caller.total_freed_bytes),
        (6_400, 6_400)
    );
    assert_eq!(caller.net_bytes_per_call(), 0.0);
    // The call tree carries the same figures.
    let node = data
        .call_tree
        .iter()
        .find(|n| n.function == "heap::frees_its_callees_block")
        .expect("node");
    assert_eq!(
        (
            node.self_freed_bytes,
            node.total_freed_bytes,
            node.total_alloc_bytes
        ),
        (6_400, 6_400, 6_400)
    );

    // What the calls kept is live at the finish, and nothing else moved.
    let heap = heap(data);
    assert_eq!(heap.live_bytes - heap.start_live_bytes, 19_200);
}

fn peak_of_a_known_pattern(dir: &std::path::Path) {
    let session = Session::builder("peak").dir(dir).start().expect("session");
    let big = black_box(vec![0u8; 1 << 20]);
    drop(big);
    let kept = black_box(vec![0u8; 256 << 10]);
    let run = session.finish().expect("finish");
    let heap = heap(run.data());
    assert_eq!(heap.peak_bytes - heap.start_live_bytes, 1 << 20, "{heap:?}");
    assert_eq!(
        heap.live_bytes - heap.start_live_bytes,
        256 << 10,
        "{heap:?}"
    );
    assert_eq!(heap.frees, 1, "{heap:?}");
    assert_eq!(heap.reallocs, 0);
    assert!(heap.peak_at_ns <= run.data().duration_ns);
    // The timeline starts at the start and ends at the finish.
    let first = heap.timeline.first().expect("points");
    let last = heap.timeline.last().expect("points");
    assert_eq!((first.t_ns, first.live_bytes), (0, heap.start_live_bytes));
    assert_eq!(last.live_bytes, heap.live_bytes);
    drop(kept);
}

fn reallocations_count_by_their_size_change(dir: &std::path::Path) {
    let m = measure(|| {
        let layout = Layout::from_size_align(100, 8).unwrap();
        // SAFETY: non-zero sizes; each block is passed on with the layout
        // it has, and freed once.
        unsafe {
            // `black_box`: the optimiser may not elide a pair.
            let p = black_box(std::alloc::alloc(layout));
            assert!(!p.is_null());
            let p = black_box(std::alloc::realloc(p, layout, 500));
            assert!(!p.is_null());
            let grown = Layout::from_size_align(500, 8).unwrap();
            let p = black_box(std::alloc::realloc(p, grown, 200));
            assert!(!p.is_null());
            std::alloc::dealloc(p, Layout::from_size_align(200, 8).unwrap());
        }
    });
    assert_eq!((m.allocs, m.reallocs, m.frees), (1, 2, 1));
    // 100 allocated, grown by 400; shrunk by 300, the last 200 freed.
    assert_eq!((m.bytes, m.freed_bytes), (500, 500));

    let session = Session::builder("realloc")
        .dir(dir)
        .start()
        .expect("session");
    black_box(grows_and_shrinks());
    let run = session.finish().expect("finish");
    let f = function(run.data(), "grows_and_shrinks");
    assert_eq!(
        (f.self_allocs, f.self_alloc_bytes, f.self_freed_bytes),
        (1, 400, 400)
    );
    let heap = heap(run.data());
    assert_eq!((heap.reallocs, heap.frees), (2, 1));
    assert_eq!(heap.peak_bytes - heap.start_live_bytes, 400);
    assert_eq!(heap.live_bytes, heap.start_live_bytes);
}

/// Bytes each thread keeps.
const KEPT: usize = 1000;

fn threads_that_free_each_others_blocks(dir: &std::path::Path) {
    static DONE: AtomicUsize = AtomicUsize::new(0);
    let session = Session::builder("threads")
        .dir(dir)
        .start()
        .expect("session");
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<u8>>(64);
    let freer = std::thread::spawn(move || {
        // Frees what the others allocated.
        for block in receive {
            drop(block);
        }
    });
    let makers: Vec<_> = (0..8)
        .map(|i| {
            let send = send.clone();
            std::thread::spawn(move || {
                for k in 0..200 {
                    send.send(vec![i as u8; 64 + k]).unwrap();
                }
                // Some churn of its own, and a block it keeps.
                for k in 0..100 {
                    drop(black_box(vec![0u8; 32 * k]));
                }
                black_box(Box::leak(vec![0u8; KEPT].into_boxed_slice()));
                DONE.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    for maker in makers {
        maker.join().unwrap();
    }
    drop(send);
    freer.join().unwrap();
    let run = session.finish().expect("finish");
    let heap = heap(run.data());
    assert_eq!(DONE.load(Ordering::Relaxed), 8);
    // Every thread has ended: all that stays is what they kept.
    assert_eq!(
        heap.live_bytes - heap.start_live_bytes,
        8 * KEPT as u64,
        "{heap:?}"
    );
}

fn the_timeline_and_its_files(dir: &std::path::Path) {
    let mut held = Vec::with_capacity(4);
    let session = Session::builder("timeline")
        .dir(dir)
        .start()
        .expect("session");
    for _ in 0..4 {
        held.push(black_box(vec![0u8; 64 << 10]));
        std::thread::sleep(Duration::from_millis(90));
    }
    drop(held);
    std::thread::sleep(Duration::from_millis(90));
    let run = session.finish().expect("finish");
    let heap = heap(run.data());
    let timeline = &heap.timeline;
    assert!(timeline.len() >= 6, "{timeline:?}");
    assert!(
        timeline.windows(2).all(|w| w[0].t_ns < w[1].t_ns),
        "{timeline:?}"
    );
    // A point at least every 100 ms (the sampler looks every 50 ms; a
    // loaded machine may wake it late, so the test allows more).
    let widest = timeline
        .windows(2)
        .map(|w| w[1].t_ns - w[0].t_ns)
        .max()
        .unwrap();
    assert!(widest < 500_000_000, "{timeline:?}");
    // The peak is on the timeline, with its time.
    assert!(
        timeline
            .iter()
            .any(|p| p.t_ns == heap.peak_at_ns && p.live_bytes == heap.peak_bytes),
        "{heap:?}"
    );
    assert_eq!(heap.peak_bytes - heap.start_live_bytes, 4 * (64 << 10));

    let files = run.files();
    // memory.svg is the `svg` feature's.
    #[cfg(feature = "svg")]
    {
        let svg = std::fs::read_to_string(files.memory.as_ref().expect("memory.svg")).unwrap();
        assert!(
            svg.contains("timeline: live heap") && svg.contains("peak"),
            "{svg}"
        );
    }
    #[cfg(not(feature = "svg"))]
    assert_eq!(files.memory, None, "memory.svg without `svg`");
    let trace = std::fs::read_to_string(&files.trace).unwrap();
    let trace: serde_json::Value = serde_json::from_str(&trace).unwrap();
    let counters: Vec<&serde_json::Value> = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "C")
        .collect();
    assert_eq!(counters.len(), timeline.len());
    assert!(counters.iter().all(|e| e["name"] == "live heap"));
    assert_eq!(
        counters.last().unwrap()["args"]["bytes"].as_u64(),
        Some(heap.live_bytes)
    );
    assert!(run.summary().to_string().contains("heap: "));
}

fn a_dip_between_two_looks_is_on_the_timeline(dir: &std::path::Path) {
    // 1 MiB held, given back and taken again at once, five times 120 ms
    // apart: each dip lasts microseconds, between two looks of the sampler
    // (50 ms apart), and each falls between other looks than the last.
    let session = Session::builder("dips").dir(dir).start().expect("session");
    let mut held = black_box(vec![0u8; 1 << 20]);
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(120));
        drop(held);
        held = black_box(vec![0u8; 1 << 20]);
    }
    std::thread::sleep(Duration::from_millis(60));
    drop(held);
    let run = session.finish().expect("finish");
    let heap = heap(run.data());
    // The points inside the session (not its start or finish) that fall
    // below the megabyte held: the dips, each the low between two looks.
    let inside = &heap.timeline[1..heap.timeline.len() - 1];
    let dips = inside
        .iter()
        .filter(|p| p.live_bytes < heap.start_live_bytes + (1 << 19))
        .count();
    assert!(dips >= 3, "{:?}", heap.timeline);
    // The low is the heap with the megabyte given back, to within the
    // headroom a thread keeps (16 KiB).
    let lowest = inside.iter().map(|p| p.live_bytes).min().unwrap();
    assert!(
        lowest.abs_diff(heap.start_live_bytes) <= 16 << 10,
        "{lowest} against {}: {:?}",
        heap.start_live_bytes,
        heap.timeline
    );
}
