//! Heap profiling with dhat (feature `heap`): while a session runs, every
//! allocation through [`PerfAlloc::system`](crate::PerfAlloc::system) is
//! also handed to dhat's allocator, which records it with its backtrace, and
//! the session writes `dhat-heap.json` for dhat's viewer
//! (<https://nnethercote.github.io/dh_view/dh_view.html>). Outside a heap
//! profile allocations go straight to `System`.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::{Error, alloc};

/// Whether a heap profile of ours exists: dhat allows one at a time.
static TAKEN: AtomicBool = AtomicBool::new(false);
/// Whether `PerfAlloc` hands allocations to dhat now.
static ROUTING: AtomicBool = AtomicBool::new(false);

/// Whether allocations go to dhat's allocator now.
#[inline(always)]
pub(crate) fn routing() -> bool {
    ROUTING.load(Ordering::Relaxed)
}

/// A running heap profile.
#[derive(Debug)]
pub(crate) struct HeapProfiler {
    profiler: Option<dhat::Profiler>,
}

fn refused(reason: &str) -> Error {
    Error::HeapProfiling {
        reason: reason.to_owned(),
    }
}

impl HeapProfiler {
    /// Starts dhat's heap profiler.
    pub(crate) fn start() -> Result<HeapProfiler, Error> {
        if !alloc::is_tracking() {
            return Err(refused(
                "it needs `#[global_allocator] static ALLOC: perf_core::PerfAlloc = \
                 perf_core::PerfAlloc::system();` in the program",
            ));
        }
        // dhat's check below panics; a panic while panicking aborts.
        if std::thread::panicking() {
            return Err(refused("the thread is panicking"));
        }
        if TAKEN.swap(true, Ordering::AcqRel) {
            return Err(refused(
                "a heap profile is already being taken in this process",
            ));
        }
        // dhat panics if a profiler the program made itself is running: turn
        // that into an error, without the panic message.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let built = std::panic::catch_unwind(|| dhat::Profiler::builder().build());
        std::panic::set_hook(hook);
        let Ok(profiler) = built else {
            TAKEN.store(false, Ordering::Release);
            return Err(refused("another dhat profiler is running in this process"));
        };
        let mut heap = HeapProfiler {
            profiler: Some(profiler),
        };
        ROUTING.store(true, Ordering::Release);
        // Only a `System`-backed PerfAlloc can hand its blocks to dhat.
        let before = dhat::HeapStats::get().total_blocks;
        drop(std::hint::black_box(Box::new(0u64)));
        if dhat::HeapStats::get().total_blocks == before {
            heap.stop();
            return Err(refused(
                "it needs `perf_core::PerfAlloc::system()`: dhat allocates from `System`",
            ));
        }
        Ok(heap)
    }

    /// Stops the profile and returns dhat's JSON.
    pub(crate) fn finish(mut self) -> String {
        self.stop().unwrap_or_default()
    }

    /// Stops dhat and takes its JSON in memory: dhat would otherwise write
    /// it to `./dhat-heap.json` itself, not atomically and not into the run.
    /// (`drop_and_get_memory_output` is public but hidden in dhat's docs;
    /// the workspace pins dhat's version for it.)
    fn stop(&mut self) -> Option<String> {
        let mut profiler = self.profiler.take()?;
        ROUTING.store(false, Ordering::Release);
        let json = profiler.drop_and_get_memory_output();
        // Already stopped: its own `Drop` would stop it a second time.
        std::mem::forget(profiler);
        TAKEN.store(false, Ordering::Release);
        Some(json)
    }
}

impl Drop for HeapProfiler {
    /// An unfinished profile (the session failed to start) is thrown away.
    fn drop(&mut self) {
        self.stop();
    }
}
