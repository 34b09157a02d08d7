//! The flamegraphs of a run's call tree: wall time and bytes allocated by
//! call stack.

use std::path::Path;

use perf_format::files;
use perf_format::stacks::svg::{self, Calls, Chart, Measure};
use perf_format::stacks::{CallCost, Stack, UNINSTRUMENTED, Uninstrumented, call_paths};

use crate::model::RunData;

/// A call path's weight in a picture of `measure`: self time or self
/// bytes allocated.
pub(crate) fn weight(measure: Measure) -> fn(&CallCost) -> u64 {
    match measure {
        Measure::Alloc => |cost| cost.self_alloc_bytes as u64,
        _ => |cost| cost.self_ns as u64,
    }
}

/// The line under a run's flamegraph titles: run id, host and commit.
pub(crate) fn subtitle(data: &RunData) -> String {
    format!(
        "run {} · {} · commit {}",
        data.id,
        data.env.host,
        data.env.commit_label().as_deref().unwrap_or("unknown")
    )
}

/// Writes the flamegraph of `measure` (time or alloc) to `path`.
pub(crate) fn write(
    path: &Path,
    data: &RunData,
    measure: Measure,
) -> Result<(), perf_format::Error> {
    let mut stacks = call_paths(&data.call_tree);
    let mut subtitle = subtitle(data);
    // The time picture shows the session's wall time no instrumented call
    // covered as a root frame of its own (perf-format's `Uninstrumented`);
    // a run that recorded nothing is drawn as such.
    if measure == Measure::Time
        && !stacks.is_empty()
        && let Some(u) = Uninstrumented::of(data.duration_ns as f64, &stacks, |c| c.self_ns)
    {
        let mut cost = CallCost::default();
        cost.self_ns = u.ns();
        cost.total_ns = u.ns();
        if cost.self_ns >= 1.0 {
            stacks.push(Stack::new([UNINSTRUMENTED], cost));
        }
        subtitle = format!("{subtitle} · {}", u.note());
    }
    let chart = Chart {
        title: format!("{}: {} by call stack", data.name, measure.what()),
        subtitle: Some(subtitle),
        measure,
        calls: Some(Calls::of(&stacks, |cost| cost.calls, false)),
    };
    files::write_atomic(path, |w| {
        svg::write_svg(w, &chart, &stacks, weight(measure)).map(drop)
    })
}
