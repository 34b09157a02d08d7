//! A session over a recursion thousands of calls deep: it finishes (no walk
//! of the tree recurses) and its pictures keep the 512-frame cut.
#![cfg(feature = "runtime")]

use perf_core::{Session, profile};
use perf_format::stacks::{DEEPER_FRAMES, MAX_DEPTH, call_paths};

const DEPTH: u32 = 5_000;

#[profile]
fn descend(depth: u32) -> u32 {
    if depth == 1 {
        return 1;
    }
    std::hint::black_box(descend(depth - 1)) + 1
}

// One test: sessions are process-wide.
#[test]
fn a_session_five_thousand_calls_deep_finishes_with_its_stacks_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let session = Session::builder("deep")
        .dir(dir.path())
        .start()
        .expect("session");
    // A debug build's frames are large: the recursion gets a stack of its own.
    let reached = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| descend(DEPTH))
        .expect("spawn")
        .join()
        .expect("join");
    assert_eq!(reached, DEPTH);
    // Finished on the test's own small stack.
    let run = session.finish().expect("finish");
    let data = run.data();

    assert_eq!(data.call_tree.len(), DEPTH as usize);
    let descend = data.function("deep::descend").expect("deep::descend");
    assert_eq!(descend.calls, u64::from(DEPTH));
    // Recursion counts once in total time.
    assert_eq!(descend.total_ns, data.call_tree[0].total_ns);

    let paths = call_paths(&data.call_tree);
    assert_eq!(paths.len(), MAX_DEPTH + 1);
    let cut = paths.last().expect("a cut stack");
    assert_eq!(cut.frames.len(), MAX_DEPTH + 1);
    assert_eq!(cut.frames[MAX_DEPTH], DEEPER_FRAMES);
    // Every node's self time is in some stack.
    let self_ns: f64 = paths.iter().map(|p| p.weight.self_ns).sum();
    let tree_self_ns: u64 = data.call_tree.iter().map(|n| n.self_ns).sum();
    assert_eq!(self_ns, tree_self_ns as f64);

    // The picture is the `svg` feature's.
    #[cfg(feature = "svg")]
    {
        let flamegraph = run.files().flamegraph.as_ref().expect("flamegraph.svg");
        let svg = std::fs::read_to_string(flamegraph).expect("flamegraph.svg");
        assert!(
            svg.contains("1 stack deeper than 512 frames cut at [deeper frames]"),
            "the picture says what it cut"
        );
    }
    #[cfg(not(feature = "svg"))]
    assert_eq!(run.files().flamegraph, None, "flamegraph.svg without `svg`");
}
