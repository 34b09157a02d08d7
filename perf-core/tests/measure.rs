//! `measure` in a unit test, with `PerfAlloc` as the global allocator.
#![cfg(feature = "runtime")]

use perf_core::measure;

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

#[test]
fn counts_a_closures_own_allocations_and_bytes() {
    let m = measure(|| vec![0u8; 10]);
    assert!(m.alloc_tracking);
    assert_eq!((m.allocs, m.bytes), (1, 10));
    assert_eq!(m.output.len(), 10);

    let none = measure(|| std::hint::black_box(2) + 2);
    assert_eq!((none.allocs, none.bytes), (0, 0));
    assert_eq!(none.output, 4);
}

#[test]
fn a_realloc_counts_once_by_its_size_change() {
    let m = measure(|| {
        let mut v: Vec<u64> = Vec::with_capacity(1);
        v.extend([1, 2]); // grows: one realloc
        v
    });
    assert_eq!((m.allocs, m.reallocs, m.frees), (1, 1, 0));
    assert_eq!(m.bytes, 8 * m.output.capacity() as u64);
    assert_eq!(m.freed_bytes, 0);
}

#[test]
fn measures_wall_time() {
    let m = measure(|| std::thread::sleep(std::time::Duration::from_millis(5)));
    assert!(m.wall >= std::time::Duration::from_millis(5));
}
