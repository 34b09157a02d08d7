//! A session's watch over the heap, when `PerfAlloc` is the global
//! allocator: the peak from start to finish, and a sampler thread that
//! notes the live heap every [`PERIOD`], each new peak since its last look
//! and the lowest live heap between its looks (the low-water mark, so that
//! a dip between two looks is on the timeline: a soak's floor is the
//! program's true least), for `run.json`'s `heap`, `trace.json`'s counter
//! track and `memory.svg`.
//!
//! The sampler allocates nothing once started (it parks between looks and
//! keeps its points outside `PerfAlloc`), so it does not move the heap it
//! watches.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::alloc::{self, HeapNow, Timeline};
use crate::clock;
use crate::model::{HeapInfo, HeapPoint};

/// How often the sampler looks: twice as often as the 100 ms the timeline
/// promises, so that a late wake-up still keeps it.
const PERIOD: Duration = Duration::from_millis(50);

/// How long a session's start waits for its sampler to run.
const READY_WITHIN: Duration = Duration::from_secs(1);

/// The heap watched by a running session.
#[derive(Debug)]
pub(crate) struct HeapWatch {
    start: HeapNow,
    sampler: Option<Sampler>,
}

/// The sampler thread and the flags it shares.
#[derive(Debug)]
struct Sampler {
    flags: Arc<Flags>,
    thread: JoinHandle<Timeline>,
}

/// What the session and its sampler tell each other.
#[derive(Debug, Default)]
struct Flags {
    /// The sampler has started: what starting a thread frees is freed.
    ready: AtomicBool,
    /// The session asks the sampler to end.
    stop: AtomicBool,
}

impl HeapWatch {
    /// Starts the sampler, then — once the thread runs, so that what
    /// starting it allocates and frees is done — the watch. A sampler that
    /// cannot start costs the timeline its points between start and finish.
    pub(crate) fn start() -> HeapWatch {
        let flags = Arc::new(Flags::default());
        let thread = std::thread::Builder::new()
            .name("perf-heap".to_owned())
            .spawn({
                let flags = Arc::clone(&flags);
                move || sample(&flags)
            });
        let sampler = match thread {
            Ok(thread) => {
                let waited = Instant::now();
                while !flags.ready.load(Ordering::Acquire) && waited.elapsed() < READY_WITHIN {
                    std::thread::yield_now();
                }
                Some(Sampler { flags, thread })
            }
            Err(e) => {
                eprintln!("perf: the heap timeline has no points between start and finish: {e}");
                None
            }
        };
        HeapWatch {
            start: alloc::watch(),
            sampler,
        }
    }

    /// Ends the watch: the heap now, the peak, and the timeline from
    /// `start_ticks` (the session's start) to now.
    pub(crate) fn finish(mut self, start_ticks: u64) -> HeapInfo {
        let end = alloc::heap_now();
        let end_ticks = clock::now();
        let (peak, peak_ticks) = alloc::peak();
        alloc::unwatch();
        let sampled = self.sampler.take().and_then(|sampler| {
            sampler.flags.stop.store(true, Ordering::Relaxed);
            sampler.thread.thread().unpark();
            sampler.thread.join().ok()
        });

        let ns = |ticks: u64| clock::ticks_to_ns(ticks.saturating_sub(start_ticks));
        let mut timeline = vec![HeapPoint::new(0, self.start.live)];
        if let Some(sampled) = &sampled {
            timeline.extend(
                sampled
                    .points()
                    .iter()
                    .filter(|&&(ticks, _)| ticks <= end_ticks)
                    .map(|&(ticks, live)| HeapPoint::new(ns(ticks), live)),
            );
        }
        timeline.push(HeapPoint::new(ns(end_ticks), end.live));
        timeline.sort_by_key(|p| p.t_ns);
        timeline.dedup();

        let mut heap = HeapInfo::default();
        heap.start_live_bytes = self.start.live;
        heap.live_bytes = end.live;
        heap.peak_bytes = peak;
        heap.peak_at_ns = ns(peak_ticks);
        // Readings of several threads at once may see a little more than
        // the peak did (see `alloc::live`): the peak is the most seen.
        if let Some(highest) = timeline.iter().max_by_key(|p| p.live_bytes) {
            if highest.live_bytes > heap.peak_bytes {
                heap.peak_bytes = highest.live_bytes;
                heap.peak_at_ns = highest.t_ns;
            }
        }
        heap.frees = end.frees.saturating_sub(self.start.frees);
        heap.reallocs = end.reallocs.saturating_sub(self.start.reallocs);
        heap.timeline = timeline;
        heap
    }
}

impl Drop for HeapWatch {
    fn drop(&mut self) {
        if let Some(sampler) = self.sampler.take() {
            alloc::unwatch();
            sampler.flags.stop.store(true, Ordering::Relaxed);
            sampler.thread.thread().unpark();
        }
    }
}

/// The sampler thread: every [`PERIOD`] until told to stop, the peak if
/// it moved, the low since its last look if it was lowered meanwhile, then
/// the live heap (from which the next low starts).
fn sample(flags: &Flags) -> Timeline {
    let mut timeline = Timeline::new();
    let mut seen = (0, 0);
    // When the low was last lowered, as of the last look, and that look.
    let (mut lowered, mut looked) = (0, 0);
    flags.ready.store(true, Ordering::Release);
    loop {
        std::thread::park_timeout(PERIOD);
        if flags.stop.load(Ordering::Relaxed) {
            return timeline;
        }
        let peak = alloc::peak();
        // Not yet watching (`u64::MAX`-like): nothing to note.
        if peak != seen && peak.0 < i64::MAX as u64 {
            timeline.push(peak.1, peak.0);
            seen = peak;
        }
        let ticks = clock::now();
        let live = alloc::heap_now().live;
        if let Some((low, at)) = alloc::take_low(live) {
            // Lowered since the last look: a dip the looks did not see, at
            // its time (kept between the two looks, should a race pair the
            // low with an older time; not `clamp`, which panics should the
            // clock step back between looks).
            if at != lowered && low < live {
                timeline.push(at.max(looked).min(ticks), low);
            }
            lowered = at;
        }
        looked = ticks;
        timeline.push(ticks, live);
    }
}
