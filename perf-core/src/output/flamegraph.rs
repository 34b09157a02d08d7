//! The flamegraphs of a run's call tree: wall time and bytes allocated by
//! call stack.

use std::path::Path;

use super::fs;
use crate::Error;
use crate::flamegraph::{self, Chart, Palette, Stack};
use crate::model::RunData;

/// What a flamegraph's widths stand for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Metric {
    /// Self wall time, in ns.
    Time,
    /// Self bytes allocated.
    Alloc,
}

/// The run's call tree as stacks, one per path with a non-zero self value.
pub(crate) fn stacks(data: &RunData, metric: Metric) -> Vec<Stack> {
    let mut paths: Vec<Vec<String>> = Vec::with_capacity(data.call_tree.len());
    let mut stacks = Vec::new();
    for node in &data.call_tree {
        let mut frames = match node.parent {
            Some(parent) => paths[parent as usize].clone(),
            None => Vec::new(),
        };
        frames.push(node.function.clone());
        let value = match metric {
            Metric::Time => node.self_ns,
            Metric::Alloc => node.self_alloc_bytes,
        };
        if value > 0 {
            stacks.push(Stack {
                frames: frames.clone(),
                value,
            });
        }
        paths.push(frames);
    }
    stacks
}

/// The line under a run's flamegraph titles: run id, host and commit.
pub(crate) fn subtitle(data: &RunData) -> String {
    format!(
        "run {} · {} · commit {}",
        data.id,
        data.env.host,
        data.env
            .git_commit
            .as_deref()
            .map_or("unknown", |c| &c[..c.len().min(12)])
    )
}

/// Writes the flamegraph of `metric` to `path`.
pub(crate) fn write(path: &Path, data: &RunData, metric: Metric) -> Result<(), Error> {
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
    let stacks = stacks(data, metric);
    fs::write_file(path, |w| {
        flamegraph::write_svg(w, &chart, &stacks).map(drop)
    })
}
