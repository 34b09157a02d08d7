//! Locks that outlive a panic: perf's state stays usable after a thread
//! panicked while holding it, since every update leaves it consistent.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, taking it over if a panicking thread left it poisoned.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
