//! Flamegraph SVGs drawn by inferno from stacks: the pictures of a run or
//! record (wall time, bytes allocated, CPU samples) and differential
//! pictures of two of them, all bounded alike (see [`super::Bounds`]), so
//! every picture perf draws looks alike and stays bounded in size.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use inferno::flamegraph::{self, Options, color};

use super::tooltip::{Drawn, retitle};
use super::{Bounds, Stack, bounded, bounded_pair, fold};
use crate::html::escape;
use crate::units;

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

    /// A value of the picture in its unit: "12.3 ms", "1.50 KiB",
    /// "1,204 samples", "2,048 instructions".
    pub fn format(self, value: f64) -> String {
        match self {
            Measure::Time => units::duration(value),
            Measure::Alloc => units::bytes(value),
            Measure::Cpu => units::plural(value.round() as u64, "sample"),
            Measure::Instructions => units::plural(value.round() as u64, "instruction"),
        }
    }

    /// The unit of a stack's value.
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
    /// The calls of each call path, for the tooltips of a picture of
    /// instrumented functions (none for CPU samples).
    pub calls: Option<Calls>,
}

/// How often each call path was called, for tooltips: `10,000 calls`.
#[derive(Clone, Debug, Default)]
pub struct Calls {
    by_path: HashMap<String, f64>,
    per_run: bool,
}

impl Calls {
    /// The calls of `stacks`, one stack per call path (as
    /// [`call_paths`](super::call_paths) gives them), read by `calls`;
    /// `per_run` when they are means per run of a record.
    pub fn of<W>(stacks: &[Stack<W>], calls: impl Fn(&W) -> f64, per_run: bool) -> Calls {
        let mut by_path = HashMap::with_capacity(stacks.len());
        let mut key = String::new();
        for stack in stacks {
            key.clear();
            fold(&stack.frames, &mut key);
            *by_path.entry(key.clone()).or_insert(0.0) += calls(&stack.weight);
        }
        Calls { by_path, per_run }
    }

    /// "1,500 calls" or "3.50 calls/run" for the call path `path` (folded).
    fn of_path(&self, path: &str) -> Option<String> {
        let calls = *self.by_path.get(path)?;
        Some(match self.per_run {
            true => format!("{} calls/run", units::count(calls)),
            false => units::plural(calls.round() as u64, "call"),
        })
    }
}

impl Chart {
    /// A frame's figures: its value with callees and its share of the
    /// whole, each with its unit, and its calls where known:
    /// `12.3 ms with callees, 41.2% of 29.9 ms; 10,000 calls` (`12.3 ms/run`
    /// and `calls/run` in a record's picture).
    fn figures(&self, frame: &Drawn, total: u64) -> String {
        let measure = self.measure;
        // A record's picture is of the mean run: its figures are per run.
        let per_run = match self.calls.as_ref().is_some_and(|c| c.per_run) {
            true => "/run",
            false => "",
        };
        if frame.path.is_empty() {
            return format!("{}{per_run} in all", measure.format(total as f64));
        }
        if frame.path == super::UNINSTRUMENTED {
            return format!(
                "{}{per_run} of the wall time in no instrumented call, {} of {}{per_run}",
                measure.format(frame.value as f64),
                units::share(frame.value as f64 / total.max(1) as f64),
                measure.format(total as f64)
            );
        }
        let mut text = format!(
            "{}{per_run} with callees, {} of {}{per_run}",
            measure.format(frame.value as f64),
            units::share(frame.value as f64 / total.max(1) as f64),
            measure.format(total as f64)
        );
        if let Some(calls) = self.calls.as_ref().and_then(|c| c.of_path(&frame.path)) {
            text.push_str("; ");
            text.push_str(&calls);
        }
        text
    }
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
    let mut svg = Vec::new();
    flamegraph::from_lines(&mut options, folded, &mut svg).map_err(io::Error::other)?;
    let svg = String::from_utf8(svg).map_err(io::Error::other)?;
    let total = lines.iter().map(|(_, value)| value).sum();
    let svg = retitle(&svg, |frame| Some(chart.figures(frame, total)));
    w.write_all(svg.as_bytes())?;
    Ok(bounds)
}

/// Draws a differential flamegraph into `w`: frame widths are `after`, and
/// colour says how each frame's own weight changed from `before`, scaled to
/// the same total as `after` so that a slower or longer run as a whole
/// does not paint everything: red grew, blue shrank (inferno's
/// differential mode, normalised). Stacks only in `before` are drawn at
/// zero width, as in inferno. Tooltips say what each figure is, before
/// and after: `name (12 samples with callees, 4.0% of 300 samples;
/// before 10 samples: +20.0%; own share +1.20% of the total)`.
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
    // Each path's value before, callees included, as after's are.
    let mut earlier: HashMap<&str, u64> = HashMap::new();
    for (stack, value) in &before_lines {
        for (end, _) in stack.match_indices(';').chain([(stack.len(), "")]) {
            *earlier.entry(&stack[..end]).or_insert(0) += value;
        }
    }
    let total = after_lines.iter().map(|(_, value)| value).sum();
    let total_before: u64 = before_lines.iter().map(|(_, value)| value).sum();
    let measure = chart.measure;
    let svg = retitle(&svg, |frame| {
        let mut text = chart.figures(frame, total);
        let before = match frame.path.as_str() {
            "" => total_before,
            path => earlier.get(path).copied().unwrap_or(0),
        };
        let change = match before {
            0 => "new".to_owned(),
            _ => units::change(frame.value as f64 / before as f64 - 1.0),
        };
        let _ = write!(text, "; before {}: {change}", measure.format(before as f64));
        if let Some((_, delta)) = frame.figures.split_once("; ") {
            let _ = write!(text, "; own share {delta} of the total");
        }
        Some(text)
    });
    w.write_all(svg.as_bytes())?;
    Ok(bounds)
}

/// Draws `stacks`, weighed by `weight`, as a flamegraph SVG into `w`,
/// each function's frames filled and their tooltips completed as `note`
/// says (frames it says nothing about are grey): a differential picture
/// whose colours are figures computed elsewhere. Tooltips read
/// `name (1.23 µs with callees, 12.3% of 10.0 µs; 20 calls; NOTE)`.
/// Returns what bounding left out, as [`write_svg`].
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
    let total = lines.iter().map(|(_, value)| value).sum();
    let svg = retitle(&svg, |frame| {
        let mut text = chart.figures(frame, total);
        if let Some(note) = notes.get(frame.name.as_str()).and_then(|n| n.as_ref()) {
            text.push_str("; ");
            text.push_str(&note.note);
        }
        Some(text)
    });
    w.write_all(svg.as_bytes())?;
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
            calls: None,
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
        assert!(
            svg.contains(
                "<title>worker\u{a0}1 (5 samples with callees, 100.0% of 5 samples)</title>"
            ),
            "{svg}"
        );
        assert!(
            svg.contains("<title>all (5 samples in all)</title>"),
            "{svg}"
        );
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
                    note: "total time/call +12.0% vs main (drift-corrected): regressed".to_owned(),
                })
            },
        )
        .unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(
            svg.contains(
                "<title>&lt;T\u{a0}as\u{a0}Parse&gt;::parse (30 ns with callees, 75.0% of 40 ns; \
                 total time/call +12.0% vs main [drift-corrected]: regressed)</title>"
            ),
            "{svg}"
        );
        assert!(svg.contains("fill=\"rgb(255,100,100)\""), "{svg}");
        // A frame without a note keeps its tooltip and is grey.
        assert!(
            svg.contains("<title>main (40 ns with callees, 100.0% of 40 ns)</title>"),
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
            svg.contains("<title>a (10 samples with callees, 50.0% of 20 samples; before 10 samples: +0.0%; own share -50.00% of the total)</title>"),
            "{svg}"
        );
    }
}
