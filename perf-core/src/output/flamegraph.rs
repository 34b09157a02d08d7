//! Flamegraph SVGs of a run's call tree, drawn by inferno from folded stacks.

use std::io::{self, Write};
use std::path::Path;

use inferno::flamegraph::{self, Options, color};

use super::fs;
use crate::Error;
use crate::model::RunData;

/// What a flamegraph's widths stand for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Metric {
    /// Self wall time, in ns.
    Time,
    /// Self bytes allocated.
    Alloc,
}

/// The run's call tree as folded stacks, `a;b;c value`, one line per path
/// with a non-zero self value.
pub(crate) fn folded(data: &RunData, metric: Metric) -> Vec<String> {
    let mut stacks: Vec<String> = Vec::with_capacity(data.call_tree.len());
    let mut lines = Vec::new();
    for node in &data.call_tree {
        // `;` separates frames and the last space the count: keep names clear of both roles.
        let frame = node.function.replace(';', ":");
        let stack = match node.parent {
            Some(parent) => format!("{};{frame}", stacks[parent as usize]),
            None => frame,
        };
        let value = match metric {
            Metric::Time => node.self_ns,
            Metric::Alloc => node.self_alloc_bytes,
        };
        if value > 0 {
            lines.push(format!("{stack} {value}"));
        }
        stacks.push(stack);
    }
    lines
}

/// Writes the flamegraph of `metric` to `path`.
pub(crate) fn write(path: &Path, data: &RunData, metric: Metric) -> Result<(), Error> {
    let lines = folded(data, metric);
    let (what, count_name, palette) = match metric {
        Metric::Time => ("wall time", "ns", color::BasicPalette::Hot),
        Metric::Alloc => ("bytes allocated", "bytes", color::BasicPalette::Mem),
    };
    let title = format!("{}: {what} by call stack", data.name);
    fs::write_file(path, |w| {
        if lines.is_empty() {
            return empty_svg(w, &title);
        }
        let mut options = Options::default();
        options.title = title.clone();
        options.subtitle = Some(format!(
            "run {} · {} · commit {}",
            data.id,
            data.env.host,
            data.env
                .git_commit
                .as_deref()
                .map_or("unknown", |c| &c[..c.len().min(12)])
        ));
        options.count_name = count_name.to_owned();
        options.colors = color::Palette::Basic(palette);
        options.hash = true;
        options.deterministic = true;
        flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), w)
    })
}

/// An SVG that says there is nothing to draw, rather than no file at all.
fn empty_svg(w: &mut impl Write, title: &str) -> io::Result<()> {
    let title = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    writeln!(
        w,
        r##"<?xml version="1.0" standalone="no"?>
<svg version="1.1" width="800" height="80" xmlns="http://www.w3.org/2000/svg">
<rect x="0" y="0" width="100%" height="100%" fill="#eeeeee"/>
<text x="400" y="30" font-family="Verdana" font-size="17" text-anchor="middle">{title}</text>
<text x="400" y="58" font-family="Verdana" font-size="13" text-anchor="middle">No instrumented calls were recorded in this run.</text>
</svg>"##
    )
}
