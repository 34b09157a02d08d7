//! Flamegraph SVGs drawn by inferno from stacks: the pictures of a run or
//! record (wall time, bytes allocated, CPU samples) and differential
//! pictures of two of them, all bounded alike (see [`super::Bounds`]), so
//! every picture perf draws looks alike and stays bounded in size.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use inferno::flamegraph::{self, Options, color};

use super::{Bounds, Stack, bounded, bounded_pair, fold};
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
    /// Instructions counted under callgrind (blues).
    Instructions,
}

impl Measure {
    /// Its name in file names and on the command line: `time`, `alloc`,
    /// `cpu`, `instructions`.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Time => "time",
            Measure::Alloc => "alloc",
            Measure::Cpu => "cpu",
            Measure::Instructions => "instructions",
        }
    }

    /// What the widths stand for, in words.
    pub fn what(self) -> &'static str {
        match self {
            Measure::Time => "wall time",
            Measure::Alloc => "bytes allocated",
            Measure::Cpu => "CPU samples",
            Measure::Instructions => "instructions",
        }
    }

    /// The unit of a stack's value, shown on hover.
    pub fn unit(self) -> &'static str {
        match self {
            Measure::Time => "ns",
            Measure::Alloc => "bytes",
            Measure::Cpu => "samples",
            Measure::Instructions => "instructions",
        }
    }

    /// What a frame's percentage is a share of, in words.
    pub fn whole(self) -> &'static str {
        match self {
            Measure::Time => "the recorded time",
            Measure::Alloc => "the bytes allocated",
            Measure::Cpu => "the samples",
            Measure::Instructions => "the counted instructions",
        }
    }
}

/// What a picture says about one function's frames beyond their width:
/// their colour and a few words for their tooltips.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameNote {
    /// The frames' fill: red, green, blue.
    pub fill: [u8; 3],
    /// Added to each frame's tooltip after its width and share, such as
    /// `time/call +3.2% vs main: regressed`. A `(` in it is shown as `[`:
    /// the picture's script labels a frame with its tooltip up to the last
    /// parenthesis.
    pub note: String,
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
        Measure::Instructions => color::BasicPalette::Blue,
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
/// colour says how each frame's own weight changed from `before`, scaled to
/// the same total as `after` so that a slower or longer run as a whole
/// does not paint everything: red grew, blue shrank (inferno's
/// differential mode, normalised). Stacks only in `before` are drawn at
/// zero width, as in inferno. Tooltips say what each figure is:
/// `name (12 samples, 4.00% of the samples; own +1.20% of the total vs
/// before)`.
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
    let differential = inferno::differential::Options {
        normalize: true,
        ..Default::default()
    };
    inferno::differential::from_readers(
        differential,
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
    let mut svg = Vec::new();
    flamegraph::from_lines(&mut options, diff.lines(), &mut svg).map_err(io::Error::other)?;
    let svg = String::from_utf8(svg).map_err(io::Error::other)?;
    let whole = chart.measure.whole();
    let svg = retitle(&svg, |_, figures| {
        let (width, delta) = figures.split_once("; ")?;
        let (count, share) = width.split_once(", ")?;
        Some(format!(
            "{count}, {share} of {whole}; own {delta} of the total vs before"
        ))
    });
    w.write_all(svg.as_bytes())?;
    Ok(bounds)
}

/// Draws `stacks`, weighed by `weight`, as a flamegraph SVG into `w`,
/// each function's frames filled and their tooltips completed as `note`
/// says (frames it says nothing about are grey): a differential picture
/// whose colours are figures computed elsewhere. Tooltips read
/// `name (1,234 ns, 12.30% of the recorded time; NOTE)`. Returns what
/// bounding left out, as [`write_svg`].
pub fn write_noted_svg<W>(
    w: &mut dyn Write,
    chart: &Chart,
    stacks: &[Stack<W>],
    weight: impl Fn(&W) -> u64,
    note: impl Fn(&str) -> Option<FrameNote>,
) -> io::Result<Bounds> {
    const UNNOTED: [u8; 3] = [224, 224, 224];
    let (lines, bounds) = bounded(stacks, weight);
    if lines.is_empty() {
        empty_svg(w, &chart.title, "Nothing was recorded for this picture.")?;
        return Ok(bounds);
    }
    // Notes by name as drawn (folded), each function asked once.
    let mut notes: HashMap<String, Option<FrameNote>> = HashMap::new();
    let mut folded = String::new();
    for frame in stacks.iter().flat_map(|s| &s.frames) {
        folded.clear();
        fold(std::slice::from_ref(frame), &mut folded);
        if !notes.contains_key(folded.as_str()) {
            notes.insert(folded.clone(), note(frame));
        }
    }
    let mut palette = color::PaletteMap::default();
    for (stack, _) in &lines {
        for name in stack.split(';') {
            let [r, g, b] = notes
                .get(name)
                .and_then(|n| n.as_ref())
                .map_or(UNNOTED, |n| n.fill);
            palette.insert(name, color::Color { r, g, b });
        }
    }
    let mut options = options(chart, bounds.note());
    options.palette_map = Some(&mut palette);
    let mut text = String::new();
    for (stack, value) in &lines {
        let _ = writeln!(text, "{stack} {value}");
    }
    let mut svg = Vec::new();
    flamegraph::from_lines(&mut options, text.lines(), &mut svg).map_err(io::Error::other)?;
    let svg = String::from_utf8(svg).map_err(io::Error::other)?;
    let whole = chart.measure.whole();
    let svg = retitle(&svg, |name, figures| {
        let note = notes.get(name)?.as_ref()?;
        let (count, share) = figures.split_once(", ")?;
        Some(format!(
            "{count}, {share} of {whole}; {}",
            note.note.replace('(', "[").replace(')', "]")
        ))
    });
    w.write_all(svg.as_bytes())?;
    Ok(bounds)
}

/// `svg` with each frame's tooltip `name (figures)` given the figures
/// `reword(name, figures)` returns, where it returns some.
fn retitle(svg: &str, mut reword: impl FnMut(&str, &str) -> Option<String>) -> String {
    const OPEN: &str = "<title>";
    const CLOSE: &str = "</title>";
    let mut out = String::with_capacity(svg.len() + svg.len() / 4);
    let mut rest = svg;
    while let Some(start) = rest.find(OPEN) {
        let text_start = start + OPEN.len();
        let Some(len) = rest[text_start..].find(CLOSE) else {
            break;
        };
        out.push_str(&rest[..text_start]);
        let title = unescape(&rest[text_start..text_start + len]);
        // Names as drawn hold no space: the last " (" opens the figures.
        let reworded = title
            .strip_suffix(')')
            .and_then(|t| t.rsplit_once(" ("))
            .and_then(|(name, figures)| {
                reword(name, figures).map(|figures| format!("{name} ({figures})"))
            });
        match reworded {
            Some(title) => out.push_str(&escape(&title)),
            None => out.push_str(&rest[text_start..text_start + len]),
        }
        rest = &rest[text_start + len..];
    }
    out.push_str(rest);
    out
}

/// XML text as it reads: the five predefined entities and `&#39;`.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
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

    #[test]
    fn noted_frames_take_their_fill_and_say_what_their_figures_are() {
        let stacks = [
            Stack::new(
                ["main", "<T as Parse>::parse"],
                SampleCount { samples: 30.0 },
            ),
            Stack::new(["main"], SampleCount { samples: 10.0 }),
        ];
        let mut chart = chart();
        chart.measure = Measure::Time;
        let mut svg = Vec::new();
        write_noted_svg(
            &mut svg,
            &chart,
            &stacks,
            |w| w.samples as u64,
            |name| {
                (name == "<T as Parse>::parse").then(|| FrameNote {
                    fill: [255, 100, 100],
                    note: "time/call +12.0% vs main (drift-corrected): regressed".to_owned(),
                })
            },
        )
        .unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(
            svg.contains(
                "<title>&lt;T\u{a0}as\u{a0}Parse&gt;::parse (30 ns, 75.00% of the recorded time; \
                 time/call +12.0% vs main [drift-corrected]: regressed)</title>"
            ),
            "{svg}"
        );
        assert!(svg.contains("fill=\"rgb(255,100,100)\""), "{svg}");
        // A frame without a note keeps its tooltip and is grey.
        assert!(
            svg.contains("<title>main (40 ns, 100.00%)</title>"),
            "{svg}"
        );
        assert!(svg.contains("fill=\"rgb(224,224,224)\""), "{svg}");
    }

    #[test]
    fn a_differential_tooltip_says_what_its_percentages_are() {
        let before = [Stack::new(["main", "a"], SampleCount { samples: 10.0 })];
        let after = [
            Stack::new(["main", "a"], SampleCount { samples: 10.0 }),
            Stack::new(["main", "b"], SampleCount { samples: 10.0 }),
        ];
        let mut svg = Vec::new();
        write_diff_svg(&mut svg, &chart(), &before, &after, |w| w.samples as u64).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        // Normalised: the baseline's 10 samples count as 20, so `a` shrank.
        assert!(
            svg.contains("<title>a (10 samples, 50.00% of the samples; own -50.00% of the total vs before)</title>"),
            "{svg}"
        );
    }
}
