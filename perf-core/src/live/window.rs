//! What the session did during a window of time: the difference between
//! two looks at its call tree, for `/debug/perf/flamegraph.svg?seconds=N`.

use std::collections::HashMap;
use std::time::Duration;

use perf_format::stacks::svg::{self, Calls, Chart, Measure};
use perf_format::stacks::{CallStack, call_paths};

use super::figures::Figures;

/// The call paths of `after` less those of `before`: what each path cost
/// between the two looks. Paths that did nothing in between are left out.
pub(crate) fn between(before: &Figures, after: &Figures) -> Vec<CallStack> {
    let mut earlier: HashMap<Vec<String>, perf_format::stacks::CallCost> =
        call_paths(&before.call_tree)
            .into_iter()
            .map(|stack| (stack.frames, stack.weight))
            .collect();
    call_paths(&after.call_tree)
        .into_iter()
        .filter_map(|mut stack| {
            if let Some(old) = earlier.remove(&stack.frames) {
                let w = &mut stack.weight;
                w.calls -= old.calls;
                w.total_ns -= old.total_ns;
                w.self_ns = (w.self_ns - old.self_ns).max(0.0);
                w.self_allocs -= old.self_allocs;
                w.self_alloc_bytes -= old.self_alloc_bytes;
            }
            (stack.weight.calls > 0.0 || stack.weight.self_ns > 0.0).then_some(stack)
        })
        .collect()
}

/// The wall-time flamegraph of `stacks`, the window of `seconds` of
/// session `name`.
pub(crate) fn flamegraph(name: &str, window: Duration, stacks: &[CallStack]) -> Vec<u8> {
    let chart = Chart {
        title: format!(
            "{name}: wall time by call stack, last {} s",
            window.as_secs()
        ),
        subtitle: Some("live, from perf's serve endpoint".to_owned()),
        measure: Measure::Time,
        calls: Some(Calls::of(stacks, |cost| cost.calls, false)),
    };
    let mut svg = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = svg::write_svg(&mut svg, &chart, stacks, |cost| cost.self_ns as u64);
    svg
}
