//! `perf_core::tracing::PerfLayer`: spans of `#[tracing::instrument]` fns and
//! `tracing` spans land in the same run as `#[profile]` fns, nested with them
//! both ways, async spans counted once, out-of-order exits harmless.

use std::future::Future;
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use perf_core::model::{CallNode, FunctionStats, RunData};
use perf_core::profile;
use perf_core::tracing::PerfLayer;
use tracing_subscriber::layer::SubscriberExt;

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// One session at a time per process, and `#[profile]` fns record from any
/// thread: the tests take turns.
static TURN: Mutex<()> = Mutex::new(());

fn turn() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A finished run, read back from its `run.json`.
struct Recorded {
    run: RunData,
    flamegraph: String,
    trace: String,
    _dir: tempfile::TempDir,
}

/// Runs `work` in a session, on this thread, with `dispatch` as the default
/// subscriber. The caller holds its [`turn`].
fn record_with(dispatch: &tracing::Dispatch, work: impl FnOnce()) -> Recorded {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = tracing::dispatcher::with_default(dispatch, || {
        let session = perf_core::Session::builder("tracing")
            .dir(dir.path())
            .start()
            .expect("start session");
        work();
        session.finish().expect("finish session").files().clone()
    });
    let read = |path: &std::path::Path| std::fs::read_to_string(path).expect("read run file");
    Recorded {
        run: RunData::load(&files.run_json).expect("run.json"),
        flamegraph: read(
            files
                .flamegraph
                .as_deref()
                .expect("flamegraph.svg (feature svg)"),
        ),
        trace: read(&files.trace),
        _dir: dir,
    }
}

fn perf_dispatch() -> tracing::Dispatch {
    tracing::Dispatch::new(tracing_subscriber::registry().with(PerfLayer::new()))
}

/// Runs `work` in a session with a registry and a `PerfLayer`. The caller
/// holds its [`turn`].
fn record(work: impl FnOnce()) -> Recorded {
    record_with(&perf_dispatch(), work)
}

/// The name perf gives an item of this file: `#[profile]`'s default, and
/// `PerfLayer`'s `{module_path}::{span name}`.
fn name(item: &str) -> String {
    format!("{}::{item}", module_path!())
}

fn function<'a>(run: &'a RunData, item: &str) -> &'a FunctionStats {
    let name = name(item);
    run.function(&name).unwrap_or_else(|| {
        let names: Vec<_> = run.functions.iter().map(|f| &f.name).collect();
        panic!("no function {name} in {names:?}")
    })
}

/// The call-tree nodes of `item`: the path from the root to each
/// (`["outer", "middle"]`, items named as in this file) and its calls.
fn paths(run: &RunData, item: &str) -> Vec<(Vec<String>, u64)> {
    let name = name(item);
    let prefix = format!("{}::", module_path!());
    run.call_tree
        .iter()
        .filter(|node| node.function == name)
        .map(|node| {
            let mut path = Vec::new();
            let mut at: Option<&CallNode> = node.parent.map(|p| &run.call_tree[p as usize]);
            while let Some(parent) = at {
                let short = parent
                    .function
                    .strip_prefix(&prefix)
                    .unwrap_or(&parent.function);
                path.insert(0, short.to_owned());
                at = parent.parent.map(|p| &run.call_tree[p as usize]);
            }
            (path, node.calls)
        })
        .collect()
}

/// The calls of `item` at the end of `path`.
fn calls_at(run: &RunData, item: &str, path: &[&str]) -> u64 {
    paths(run, item)
        .into_iter()
        .filter(|(p, _)| p.iter().map(String::as_str).eq(path.iter().copied()))
        .map(|(_, calls)| calls)
        .sum()
}

#[tracing::instrument]
fn traced_outer(rounds: u32) {
    for _ in 0..rounds {
        profiled_middle();
    }
}

#[profile]
fn profiled_middle() {
    black_box(traced_leaf());
}

#[tracing::instrument]
fn traced_leaf() -> Vec<u8> {
    black_box(vec![7u8; 16])
}

#[profile]
fn profiled_step(i: u32) -> u32 {
    black_box(i) * 2
}

#[test]
fn instrumented_and_profiled_fns_nest_both_ways() {
    let _turn = turn();
    // Warm tracing's registry up, so that its first-use allocations do not
    // show in the session.
    tracing::dispatcher::with_default(&perf_dispatch(), || traced_outer(1));
    let r = record(|| traced_outer(3));
    let run = &r.run;

    assert_eq!(function(run, "traced_outer").calls, 1);
    assert_eq!(function(run, "profiled_middle").calls, 3);
    let leaf = function(run, "traced_leaf");
    assert_eq!(leaf.calls, 3);
    assert!(leaf.file.ends_with("tracing.rs"), "{}", leaf.file);
    assert!(leaf.line > 0);

    assert_eq!(calls_at(run, "traced_outer", &[]), 1);
    assert_eq!(calls_at(run, "profiled_middle", &["traced_outer"]), 3);
    assert_eq!(
        calls_at(run, "traced_leaf", &["traced_outer", "profiled_middle"]),
        3
    );

    // The leaf's allocations are its own; perf's and tracing's bookkeeping is
    // charged to no one.
    assert_eq!((leaf.self_allocs, leaf.self_alloc_bytes), (3, 48));
    let outer = function(run, "traced_outer");
    assert_eq!((outer.total_allocs, outer.self_allocs), (3, 0));
    assert_eq!(function(run, "profiled_middle").self_allocs, 0);
    assert!(outer.total_ns >= leaf.total_ns);

    assert!(r.flamegraph.contains(&name("traced_leaf")));
    assert!(r.trace.contains(&name("traced_leaf")));
}

/// Pending once, then ready: one more poll for whoever awaits it.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[tracing::instrument]
async fn traced_fetch(parts: u32) -> u32 {
    let mut sum = 0;
    for i in 0..parts {
        YieldOnce(false).await;
        sum += profiled_step(i);
    }
    profiled_wait().await;
    sum
}

#[profile]
async fn profiled_wait() {
    YieldOnce(false).await;
    traced_leaf();
}

/// Polls `future` to completion on this thread; returns its output and how
/// many polls it took.
fn block_on<F: Future>(future: F) -> (F::Output, u32) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return (out, polls);
        }
    }
}

#[profile]
fn profiled_driver() -> u32 {
    let (sum, polls) = block_on(traced_fetch(4));
    assert_eq!(polls, 6, "four parts and the wait each yield once");
    sum
}

#[test]
fn an_instrumented_async_fn_is_one_call_from_first_poll_to_completion() {
    let _turn = turn();
    let r = record(|| {
        assert_eq!(profiled_driver(), 12);
    });
    let run = &r.run;

    let fetch = function(run, "traced_fetch");
    assert_eq!(fetch.calls, 1, "six polls, one call");
    assert_eq!(calls_at(run, "traced_fetch", &["profiled_driver"]), 1);
    // Each poll nests its callees under the span, native async fns included.
    assert_eq!(
        calls_at(run, "profiled_step", &["profiled_driver", "traced_fetch"]),
        4
    );
    assert_eq!(
        calls_at(run, "profiled_wait", &["profiled_driver", "traced_fetch"]),
        1
    );
    assert_eq!(
        calls_at(
            run,
            "traced_leaf",
            &["profiled_driver", "traced_fetch", "profiled_wait"]
        ),
        1
    );
    assert_eq!(fetch.total_allocs, 1);
    let driver = function(run, "profiled_driver");
    assert!(fetch.total_ns <= driver.total_ns);
    assert!(fetch.total_ns >= function(run, "profiled_wait").total_ns);
    // An async slice in the trace, as for a `#[profile] async fn`.
    let slice = format!(r#""name":"{}","cat":"async""#, name("traced_fetch"));
    assert!(r.trace.contains(&slice), "{}", r.trace);
}

#[test]
fn an_async_span_polled_on_two_threads_counts_once() {
    let _turn = turn();
    let dispatch = perf_dispatch();
    let r = record_with(&dispatch, || {
        let mut future = Box::pin(traced_fetch(2));
        let mut cx = Context::from_waker(Waker::noop());
        // Here: the first part; there: the second, the wait, the close.
        assert!(future.as_mut().poll(&mut cx).is_pending());
        assert!(future.as_mut().poll(&mut cx).is_pending());
        let polled_elsewhere = std::thread::scope(|s| {
            s.spawn(|| tracing::dispatcher::with_default(&dispatch, || block_on(future).0))
                .join()
                .expect("poller thread")
        });
        assert_eq!(polled_elsewhere, 2);
    });
    let run = &r.run;
    assert_eq!(function(run, "traced_fetch").calls, 1);
    assert_eq!(function(run, "profiled_step").calls, 2);
    assert_eq!(function(run, "profiled_wait").calls, 1);
    assert_eq!(calls_at(run, "profiled_step", &["traced_fetch"]), 2);
    assert_eq!(calls_at(run, "traced_fetch", &[]), 1);
    assert_eq!(run.threads.len(), 2);
    assert!(run.threads.iter().all(|t| t.calls >= 1));
}

#[test]
fn a_span_exited_out_of_order_leaves_the_tree_whole() {
    let _turn = turn();
    let r = record(|| {
        let a = tracing::info_span!("a").entered();
        let b = tracing::info_span!("b").entered();
        let c = tracing::info_span!("c").entered();
        profiled_step(1);
        drop(b); // while `c`, entered after it, is still entered
        profiled_step(2);
        drop(c);
        profiled_step(3);
        drop(a);
        profiled_step(4);
    });
    let run = &r.run;
    for span in ["a", "b", "c"] {
        assert_eq!(function(run, span).calls, 1, "{span}");
    }
    assert_eq!(function(run, "profiled_step").calls, 4);
    assert_eq!(calls_at(run, "profiled_step", &["a", "b", "c"]), 1);
    // `c` goes on where it was re-entered, under `a`.
    assert_eq!(calls_at(run, "profiled_step", &["a", "c"]), 1);
    assert_eq!(calls_at(run, "profiled_step", &["a"]), 1);
    assert_eq!(calls_at(run, "profiled_step", &[]), 1);
    assert_eq!(calls_at(run, "c", &["a"]), 1, "recorded at its last exit");
}

#[test]
fn a_span_entered_twice_on_a_thread_nests_once() {
    let _turn = turn();
    let r = record(|| {
        let span = tracing::info_span!("twice");
        let outer = span.enter();
        {
            let _inner = span.enter();
            profiled_step(1);
        }
        profiled_step(2);
        drop(outer);
    });
    let run = &r.run;
    assert_eq!(function(run, "twice").calls, 1);
    assert_eq!(calls_at(run, "profiled_step", &["twice"]), 2);
}

#[test]
fn without_a_session_or_switched_off_the_layer_records_nothing() {
    let _turn = turn();
    let dispatch = perf_dispatch();
    tracing::dispatcher::with_default(&dispatch, || {
        // No session: nothing to record into, nothing breaks.
        traced_outer(2);
        let (sum, _) = block_on(traced_fetch(2));
        assert_eq!(sum, 2);
        // `measure` sees the call's own allocation, not the layer's.
        traced_leaf();
        assert_eq!(perf_core::measure(traced_leaf).allocs, 1);
    });

    let r = record_with(&dispatch, || {
        // Switched off: nothing recorded, also of a span entered then.
        perf_core::set_enabled(false);
        let span = tracing::info_span!("late");
        span.in_scope(|| profiled_step(1));
        traced_leaf();
        perf_core::set_enabled(true);
        // It records from its first enter while recording.
        span.in_scope(|| profiled_step(2));
        drop(span);
        traced_leaf();
        assert_eq!(perf_core::measure(traced_leaf).allocs, 1);
    });
    let run = &r.run;
    assert!(run.function(&name("traced_outer")).is_none());
    assert_eq!(function(run, "late").calls, 1);
    assert_eq!(function(run, "profiled_step").calls, 1);
    assert_eq!(calls_at(run, "profiled_step", &["late"]), 1);
    assert_eq!(function(run, "traced_leaf").calls, 2);
}
