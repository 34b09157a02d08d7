//! The live server (perf-core's `serve`) as a user meets it: one scrape of
//! `/metrics`, an HTTP GET over a new connection to `Session::serve`'s
//! server, answered from the call trees of 16 threads that each called the
//! same 1,000 instrumented functions. The threads stay alive (waiting) while
//! it is measured, so their trees are read live, not after they ended.
//!
//! That a scrape pauses no instrumented thread is shown by the `no_pause`
//! example (`cargo run --release -p perf-benches --example no_pause`), which
//! scrapes in a loop while the threads call; its doc says how. The cost of
//! `#[profile]` while served and scraped every second is `call/
//! profile-recording-served` (see `overhead`), through [`Scraper`].
//!
//! With perf compiled out (`--no-default-features`) there is no server:
//! this group is empty.

use criterion::{Criterion, criterion_group};

#[cfg(feature = "perf-enabled")]
pub(crate) use live::Scraper;

#[cfg(feature = "perf-enabled")]
mod live {
    use std::hint::black_box;
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::sync::{Arc, Barrier};
    use std::thread::{self, JoinHandle};
    use std::time::Duration;

    use criterion::Criterion;
    use perf_core::{Live, Session};

    use crate::benchmarks::thousand;

    /// Instrumented threads, each calling all the functions.
    const THREADS: usize = 16;
    /// Calls of each function on each thread before the scrapes.
    const ROUNDS: u64 = 100;

    /// `serve/scrape-1000-functions-x-16-threads`: one GET of `/metrics`.
    pub(super) fn scrape(c: &mut Criterion) {
        let out = tempfile::tempdir().expect("tempdir");
        let session = Session::builder("bench-scrape")
            .dir(out.path())
            .start()
            .expect("session");
        // Recorded, then waiting for the end of the bench: ready, then done.
        let barrier = Arc::new(Barrier::new(THREADS + 1));
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    black_box(thousand::call_all(ROUNDS));
                    barrier.wait();
                    barrier.wait();
                })
            })
            .collect();
        barrier.wait();

        let live = session.serve("127.0.0.1:0").expect("serve");
        let addr = live.addr();
        // The scrape holds the exact counts of all 1,000 functions.
        let body = thousand::get(addr, "/metrics");
        let calls: Vec<&str> = body
            .lines()
            .filter(|l| l.starts_with("perf_function_calls_total{") && l.contains("thousand::"))
            .collect();
        assert_eq!(calls.len(), thousand::functions().len(), "{body}");
        let each = (ROUNDS * THREADS as u64).to_string();
        for line in calls {
            assert_eq!(line.rsplit(' ').next(), Some(each.as_str()), "{line}");
        }

        let mut group = c.benchmark_group("serve");
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(5));
        group.bench_function("scrape-1000-functions-x-16-threads", |b| {
            b.iter(|| thousand::get(addr, "/metrics").len())
        });
        group.finish();

        drop(live);
        barrier.wait();
        for t in threads {
            t.join().expect("an instrumented thread panicked");
        }
        drop(session.finish().expect("finish"));
    }

    /// Serves a session and GETs `/metrics` from another thread every
    /// interval, as Prometheus would, until [`Scraper::stop`].
    pub(crate) struct Scraper {
        stop: mpsc::Sender<()>,
        thread: JoinHandle<u64>,
        live: Live,
    }

    impl Scraper {
        /// Serves `session` on a free loopback port, scrapes it once at
        /// once (the server answers), then every `interval`.
        pub(crate) fn start(session: &Session, interval: Duration) -> Scraper {
            let live = session.serve("127.0.0.1:0").expect("serve");
            let addr = live.addr();
            assert!(thousand::get(addr, "/metrics").contains("perf_function_calls_total"));
            let (stop, stopped) = mpsc::channel();
            let thread = thread::spawn(move || {
                let mut scrapes = 1;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    black_box(thousand::get(addr, "/metrics"));
                    scrapes += 1;
                }
                scrapes
            });
            Scraper { stop, thread, live }
        }

        /// Stops scraping and serving; the scrapes made.
        pub(crate) fn stop(self) -> u64 {
            drop(self.stop);
            let scrapes = self.thread.join().expect("the scraper panicked");
            drop(self.live);
            scrapes
        }
    }
}

fn serve(c: &mut Criterion) {
    #[cfg(feature = "perf-enabled")]
    live::scrape(c);
    #[cfg(not(feature = "perf-enabled"))]
    let _ = c;
}

criterion_group! {
    name = benches;
    config = super::measuring_for(2);
    targets = serve
}
