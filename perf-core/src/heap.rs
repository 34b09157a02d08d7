//! Heap profiling with dhat (feature `heap`): while a session runs, every
//! allocation through [`PerfAlloc`](crate::PerfAlloc) is also recorded by
//! dhat with its backtrace, and the session writes `dhat-heap.json` for
//! dhat's viewer (<https://nnethercote.github.io/dh_view/dh_view.html>).

use std::sync::atomic::{AtomicBool, Ordering};

use crate::{Error, alloc};

/// Whether a dhat profiler of ours is running: dhat allows one at a time.
static RUNNING: AtomicBool = AtomicBool::new(false);

/// A running heap profile.
#[derive(Debug)]
pub(crate) struct HeapProfiler {
    profiler: Option<dhat::Profiler>,
}

impl HeapProfiler {
    /// Starts dhat's heap profiler.
    pub(crate) fn start() -> Result<HeapProfiler, Error> {
        if !alloc::is_tracking() {
            return Err(Error::HeapProfiling {
                reason: "it needs `#[global_allocator] static ALLOC: perf_core::PerfAlloc = \
                         perf_core::PerfAlloc::system();` in the program"
                    .to_owned(),
            });
        }
        if RUNNING.swap(true, Ordering::AcqRel) {
            return Err(Error::HeapProfiling {
                reason: "a heap profile is already being taken in this process".to_owned(),
            });
        }
        // dhat panics if a profiler the program made itself is running: turn
        // that into an error, without the panic message.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let built = std::panic::catch_unwind(|| dhat::Profiler::builder().build());
        std::panic::set_hook(hook);
        match built {
            Ok(profiler) => Ok(HeapProfiler {
                profiler: Some(profiler),
            }),
            Err(_) => {
                RUNNING.store(false, Ordering::Release);
                Err(Error::HeapProfiling {
                    reason: "another dhat profiler is running in this process".to_owned(),
                })
            }
        }
    }

    /// Stops the profile and returns dhat's JSON.
    pub(crate) fn finish(mut self) -> String {
        self.stop().unwrap_or_default()
    }

    /// Stops dhat and takes its JSON in memory: dhat would otherwise write
    /// it to `./dhat-heap.json` itself, not atomically and not into the run.
    fn stop(&mut self) -> Option<String> {
        let mut profiler = self.profiler.take()?;
        let json = profiler.drop_and_get_memory_output();
        // Already stopped: its own `Drop` would stop it a second time.
        std::mem::forget(profiler);
        RUNNING.store(false, Ordering::Release);
        Some(json)
    }
}

impl Drop for HeapProfiler {
    /// An unfinished profile (the session failed to start) is thrown away.
    fn drop(&mut self) {
        self.stop();
    }
}
