//! `measure` without `PerfAlloc`: it says allocations were not tracked rather
//! than claiming there were none.
#![cfg(feature = "runtime")]

#[test]
fn reports_that_allocations_are_not_tracked() {
    let m = perf_core::measure(|| vec![1u8; 3]);
    assert!(!m.alloc_tracking);
    assert_eq!(m.allocs, 0);
}
