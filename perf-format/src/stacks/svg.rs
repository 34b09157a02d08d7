//! Flamegraph SVGs drawn by inferno from stacks: the pictures of a run or
//! record (wall time, bytes allocated, CPU samples) and differential
//! pictures of two of them, all bounded alike (see [`super::Bounds`]), so
//! every picture perf draws looks alike and stays bounded in size.

use std::fmt::Write as _;
use std::io::{self, Write};

use inferno::flamegraph::{self, Options, color};

use super::{Bounds, Stack, bounded, bounded_pair};
use crate::html::escape;

/// What a flamegraph's widths stand for, which picks its words, its unit
/// and its colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Wall time (warm colours).
    Time,
    /// Bytes allocated (greens).
    Alloc,
    /// CPU samples (warm colours, like `perf` and pprof flamegraphs).
    Cpu,
}

impl Measure {
    /// Its name in file names and on the command line: `time`, `alloc`, `cpu`.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Time => "time",
            Measure::Alloc => "alloc",
            Measure::Cpu => "cpu",
        }
    }

    /// What the widths stand for, in words.
    pub fn what(self) -> &'static str {
        match self {
            Measure::Time => "wall time",
            Measure::Alloc => "bytes allocated",
            Measure::Cpu => "CPU samples",
        }
    }

    /// The unit of a stack's value, shown on hover.
    pub fn unit(self) -> &'static str {
        match self {
            Measure::Time => "ns",
            Measure::Alloc => "bytes",
            Measure::Cpu => "samples",
        }
    }
}

/// A flamegraph's titles and what it measures.
#[derive(Clone, Debug)]
pub struct Chart {
    /// The title at the top.
    pub title: String,
    /// A line under the title: the run, host and commit.
    pub subtitle: Option<String>,
    /// What the widths stand for.
    pub measure: Measure,
}

fn options(chart: &Chart, note: Option<String>) -> Options<'static> {
    let mut options = Options::default();
    options.title = chart.title.clone();
    options.subtitle = match (&chart.subtitle, note) {
        (Some(subtitle), Some(note)) => Some(format!("{subtitle} · {note}")),
        (subtitle, note) => subtitle.clone().or(note),
    };
    options.count_name = chart.measure.unit().to_owned();
    options.colors = color::Palette::Basic(match chart.measure {
        Measure::Time | Measure::Cpu => color::BasicPalette::Hot,
        Measure::Alloc => color::BasicPalette::Mem,
    });
    options.hash = true;
    options.deterministic = true;
    options
}

/// Draws `stacks`, weighed by `weight`, as a flamegraph SVG into `w`;
/// returns what bounding left out (also said in the picture's subtitle).
/// With nothing to draw, the SVG says so rather than being empty.
pub fn write_svg<W>(
    w: &mut dyn Write,
    chart: &Chart,
    stacks: &[Stack<W>],
    weight: impl Fn(&W) -> u64,
) -> io::Result<Bounds> {
    let (lines, bounds) = bounded(stacks, weight);
    if lines.is_empty() {
        empty_svg(w, &chart.title, "Nothing was recorded for this picture.")?;
        return Ok(bounds);
    }
    let mut options = options(chart, bounds.note());
    let mut text = String::new();
    let mut ends = Vec::with_capacity(lines.len());
    for (stack, value) in &lines {
        let start = text.len();
        let _ = write!(text, "{stack} {value}");
        ends.push((start, text.len()));
    }
    let folded = ends.into_iter().map(|(a, b)| &text[a..b]);
    flamegraph::from_lines(&mut options, folded, w).map_err(io::Error::other)?;
    Ok(bounds)
}

/// Draws a differential flamegraph into `w`: frame widths are `after`, and
/// colour says how each frame changed from `before`: red grew, blue shrank
/// (inferno's differential mode). Stacks only in `before` are drawn at zero
/// width, as in inferno.
pub fn write_diff_svg<W>(
    w: &mut dyn Write,
    chart: &Chart,
    before: &[Stack<W>],
    after: &[Stack<W>],
    weight: impl Fn(&W) -> u64,
) -> io::Result<Bounds> {
    let (before_lines, after_lines, bounds) = bounded_pair(before, after, weight);
    let text = |lines: &[(String, u64)]| {
        let mut text = String::new();
        for (stack, value) in lines {
            let _ = writeln!(text, "{stack} {value}");
        }
        text
    };
    let mut diff = Vec::new();
    inferno::differential::from_readers(
        inferno::differential::Options::default(),
        text(&before_lines).as_bytes(),
        text(&after_lines).as_bytes(),
        &mut diff,
    )?;
    let diff = String::from_utf8(diff).map_err(io::Error::other)?;
    if diff.trim().is_empty() {
        empty_svg(
            w,
            &chart.title,
            "Neither side recorded anything for this picture.",
        )?;
        return Ok(bounds);
    }
    let mut options = options(chart, bounds.note());
    flamegraph::from_lines(&mut options, diff.lines(), w).map_err(io::Error::other)?;
    Ok(bounds)
}

/// An SVG that says there is nothing to draw, rather than no file at all.
fn empty_svg(w: &mut dyn Write, title: &str, message: &str) -> io::Result<()> {
    writeln!(
        w,
        r##"<?xml version="1.0" standalone="no"?>
<svg version="1.1" width="1200" height="80" xmlns="http://www.w3.org/2000/svg">
<rect x="0" y="0" width="100%" height="100%" fill="#eeeeee"/>
<text x="600" y="30" font-family="Verdana" font-size="17" text-anchor="middle">{}</text>
<text x="600" y="58" font-family="Verdana" font-size="13" text-anchor="middle">{}</text>
</svg>"##,
        escape(title),
        escape(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stacks::SampleCount;

    fn chart() -> Chart {
        Chart {
            title: "t <x>".to_owned(),
            subtitle: None,
            measure: Measure::Cpu,
        }
    }

    #[test]
    fn a_name_ending_in_a_number_stays_whole() {
        let stack = Stack {
            frames: vec!["worker 1".to_owned()],
            weight: SampleCount { samples: 5.0 },
        };
        let mut svg = Vec::new();
        write_svg(&mut svg, &chart(), &[stack], |w| w.samples as u64).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.contains("worker\u{a0}1 (5 samples, 100.00%)"), "{svg}");
    }

    #[test]
    fn nothing_to_draw_is_said_in_the_picture() {
        let mut svg = Vec::new();
        let none: [Stack<SampleCount>; 0] = [];
        write_svg(&mut svg, &chart(), &none, |w| w.samples as u64).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.contains("t &lt;x&gt;") && svg.contains("Nothing was recorded"));
    }
}
