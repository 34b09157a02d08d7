//! The flamegraphs of a run's call tree: wall time and bytes allocated by
//! call stack.

use std::path::Path;

use perf_format::files;
use perf_format::stacks::svg::{self, Chart, Palette};
use perf_format::stacks::{CallCost, call_paths};

use crate::model::RunData;

/// What a flamegraph's widths stand for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Metric {
    /// Self wall time, in ns.
    Time,
    /// Self bytes allocated.
    Alloc,
}

impl Metric {
    /// A call path's weight in this metric.
    pub(crate) fn weight(self) -> fn(&CallCost) -> u64 {
        match self {
            Metric::Time => |cost| cost.self_ns as u64,
            Metric::Alloc => |cost| cost.self_alloc_bytes as u64,
        }
    }
}

/// The line under a run's flamegraph titles: run id, host and commit.
pub(crate) fn subtitle(data: &RunData) -> String {
    format!(
        "run {} · {} · commit {}",
        data.id,
        data.env.host,
        data.env.short_commit().unwrap_or("unknown")
    )
}

/// Writes the flamegraph of `metric` to `path`.
pub(crate) fn write(path: &Path, data: &RunData, metric: Metric) -> Result<(), perf_format::Error> {
    let (what, count_name, palette) = match metric {
        Metric::Time => ("wall time", "ns", Palette::Time),
        Metric::Alloc => ("bytes allocated", "bytes", Palette::Alloc),
    };
    let chart = Chart {
        title: format!("{}: {what} by call stack", data.name),
        subtitle: Some(subtitle(data)),
        count_name: count_name.to_owned(),
        palette,
    };
    let stacks = call_paths(&data.call_tree);
    files::write_atomic(path, |w| {
        svg::write_svg(w, &chart, &stacks, metric.weight()).map(drop)
    })
}
