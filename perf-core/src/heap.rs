//! Heap profiling with dhat (feature `heap`): while a session runs, every
//! allocation through [`PerfAlloc::system`](crate::PerfAlloc::system) is
//! also handed to dhat's allocator, which records it with its backtrace, and
//! the session writes `dhat-heap.json` for dhat's viewer
//! (<https://nnethercote.github.io/dh_view/dh_view.html>). Outside a heap
//! profile allocations go straight to `System`.
//!
//! dhat writes its file itself when its profiler stops, through its
//! documented `ProfilerBuilder::file_name`: to a hidden name beside the
//! runs, from which the session moves it into the run directory with the
//! rest of the run. Nothing is on disk before the profile stops; the name
//! is a temporary file's, so one left by a program killed in that moment is
//! swept like any other ([`perf_format::files::sweep`]).

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

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

/// In a forked child: hands no more allocations to dhat, whose lock another
/// thread of the parent may have held at the fork (see `crate::fork`).
#[cfg(unix)]
pub(crate) fn forked() {
    ROUTING.store(false, Ordering::Release);
}

/// A running heap profile.
#[derive(Debug)]
pub(crate) struct HeapProfiler {
    profiler: Option<dhat::Profiler>,
    /// Where dhat writes its JSON when it stops; removed unless kept.
    file: Option<tempfile::TempPath>,
}

fn refused(reason: &str) -> Error {
    Error::HeapProfiling {
        reason: reason.to_owned(),
    }
}

impl HeapProfiler {
    /// Starts dhat's heap profiler, to write its file into `dir`.
    pub(crate) fn start(dir: &Path) -> Result<HeapProfiler, Error> {
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
        // A name of this process's own, removed again unless the session
        // moves the file into its run.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "{}dhat-{}-{}.json",
            perf_format::files::TEMP_PREFIX,
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let file = match tempfile::TempPath::try_from_path(dir.join(name)) {
            Ok(file) => file,
            Err(e) => {
                TAKEN.store(false, Ordering::Release);
                return Err(perf_format::Error::output_dir(dir, e).into());
            }
        };
        // dhat panics if a profiler the program made itself is running:
        // that is turned into an error (its panic message, printed by the
        // program's own panic hook, says the same).
        let built = std::panic::catch_unwind(|| dhat::Profiler::builder().file_name(&file).build());
        let Ok(profiler) = built else {
            TAKEN.store(false, Ordering::Release);
            return Err(refused("another dhat profiler is running in this process"));
        };
        let mut heap = HeapProfiler {
            profiler: Some(profiler),
            file: Some(file),
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

    /// Stops the profile; dhat writes its JSON to the file returned (and
    /// says so on stderr).
    pub(crate) fn finish(mut self) -> tempfile::TempPath {
        self.stop();
        self.file
            .take()
            .expect("a heap profile has its file until finished")
    }

    /// Stops dhat, which writes its file as it stops.
    fn stop(&mut self) {
        if let Some(profiler) = self.profiler.take() {
            ROUTING.store(false, Ordering::Release);
            drop(profiler);
            TAKEN.store(false, Ordering::Release);
        }
    }
}

impl Drop for HeapProfiler {
    /// An unfinished profile (the session failed to start) is thrown away.
    fn drop(&mut self) {
        self.stop();
    }
}
