//! Flamegraph SVGs drawn by inferno from folded stacks: the pictures of a run
//! (wall time, bytes allocated, CPU samples) and differential flamegraphs of
//! two of them. Shared by sessions and `cargo perf flamegraph`, so every
//! picture perf draws looks alike and stays bounded in size.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use inferno::flamegraph::{self, Options, color};

/// The most stacks a flamegraph draws: lighter ones are merged into one
/// `[other stacks]` frame, so the picture keeps its total.
pub const MAX_STACKS: usize = 50_000;
/// The deepest stack a flamegraph draws: deeper frames are merged into one
/// `[deeper frames]` frame.
pub const MAX_DEPTH: usize = 512;

/// One call stack and its weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stack {
    /// Frames from the outermost to the innermost.
    pub frames: Vec<String>,
    /// What the stack weighs: ns, bytes or samples.
    pub value: u64,
}

/// What a flamegraph's widths stand for, which picks its colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Palette {
    /// Wall time (warm colours).
    Time,
    /// Bytes allocated (greens).
    Alloc,
    /// CPU samples (warm colours, like `perf` and pprof flamegraphs).
    Cpu,
}

/// A flamegraph's titles and units.
#[derive(Clone, Debug)]
pub struct Chart {
    /// The title at the top.
    pub title: String,
    /// A line under the title: the run, host and commit.
    pub subtitle: Option<String>,
    /// The unit of a stack's value, shown on hover (`ns`, `bytes`, `samples`).
    pub count_name: String,
    /// The colours.
    pub palette: Palette,
}

/// What bounding a flamegraph left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    /// Distinct stacks merged into `[other stacks]`.
    pub merged_stacks: usize,
    /// Stacks cut at [`MAX_DEPTH`].
    pub cut_stacks: usize,
}

impl Bounds {
    /// A sentence for the picture, if anything was left out.
    pub fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.merged_stacks > 0 {
            parts.push(format!(
                "{} lightest stacks merged into [other stacks]",
                self.merged_stacks
            ));
        }
        if self.cut_stacks > 0 {
            parts.push(format!(
                "{} stacks deeper than {MAX_DEPTH} frames cut at [deeper frames]",
                self.cut_stacks
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// One folded line's stack part: frames joined by `;`, with `;` inside a
/// name replaced (it separates frames) and the value kept apart by the caller.
fn fold(frames: &[String], out: &mut String) {
    for (i, frame) in frames.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        // `;` separates frames, and a space before the value(s) ends the
        // stack (`worker 1 5` would read as a differential line): names keep
        // neither, spaces become no-break spaces, which look the same.
        out.extend(frame.chars().map(|c| match c {
            ';' => ':',
            c if c.is_whitespace() => '\u{a0}',
            c => c,
        }));
    }
    if frames.is_empty() {
        out.push_str("[unknown]");
    }
}

/// Folded stacks with their values, sorted by stack.
type FoldedLines = Vec<(String, u64)>;

/// Folds `stacks` into values keyed by folded stack, none deeper than
/// [`MAX_DEPTH`]; counts the stacks cut.
fn folded(stacks: &[Stack], bounds: &mut Bounds) -> HashMap<String, u64> {
    let mut merged: HashMap<String, u64> = HashMap::with_capacity(stacks.len());
    let mut key = String::new();
    for stack in stacks.iter().filter(|s| s.value > 0) {
        key.clear();
        if stack.frames.len() > MAX_DEPTH {
            bounds.cut_stacks += 1;
            fold(&stack.frames[..MAX_DEPTH], &mut key);
            key.push_str(";[deeper frames]");
        } else {
            fold(&stack.frames, &mut key);
        }
        match merged.get_mut(key.as_str()) {
            Some(value) => *value += stack.value,
            None => {
                merged.insert(key.clone(), stack.value);
            }
        }
    }
    merged
}

/// The [`MAX_STACKS`]` - 1` keys of `weights` that weigh most (by name
/// among equals, so the same input always draws the same picture), or
/// `None` when all fit.
fn kept(weights: &HashMap<String, u64>) -> Option<HashSet<String>> {
    if weights.len() <= MAX_STACKS {
        return None;
    }
    let mut heaviest: Vec<(&String, u64)> = weights.iter().map(|(k, v)| (k, *v)).collect();
    heaviest.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    Some(
        heaviest[..MAX_STACKS - 1]
            .iter()
            .map(|(k, _)| (*k).clone())
            .collect(),
    )
}

/// `merged` as sorted lines, those not in `kept` summed into `[other stacks]`.
fn lines(merged: HashMap<String, u64>, kept: Option<&HashSet<String>>) -> FoldedLines {
    let mut lines = Vec::with_capacity(merged.len().min(MAX_STACKS));
    let mut rest = 0;
    for (stack, value) in merged {
        match kept {
            Some(kept) if !kept.contains(&stack) => rest += value,
            _ => lines.push((stack, value)),
        }
    }
    if rest > 0 {
        lines.push(("[other stacks]".to_owned(), rest));
    }
    lines.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    lines
}

/// Folds `stacks` into lines keyed by stack, at most [`MAX_STACKS`] of them
/// and none deeper than [`MAX_DEPTH`].
fn bounded(stacks: &[Stack]) -> (FoldedLines, Bounds) {
    let mut bounds = Bounds::default();
    let merged = folded(stacks, &mut bounds);
    let kept = kept(&merged);
    if let Some(kept) = &kept {
        bounds.merged_stacks = merged.len() - kept.len();
    }
    (lines(merged, kept.as_ref()), bounds)
}

/// Both sides of a differential flamegraph, bounded alike: the stacks kept
/// are those heaviest over both, so that a stack is merged on both sides or
/// on neither.
fn bounded_pair(before: &[Stack], after: &[Stack]) -> (FoldedLines, FoldedLines, Bounds) {
    let mut bounds = Bounds::default();
    let before = folded(before, &mut bounds);
    let after = folded(after, &mut bounds);
    let mut both = before.clone();
    for (stack, value) in &after {
        *both.entry(stack.clone()).or_insert(0) += value;
    }
    let kept = kept(&both);
    if let Some(kept) = &kept {
        bounds.merged_stacks = both.len() - kept.len();
    }
    (
        lines(before, kept.as_ref()),
        lines(after, kept.as_ref()),
        bounds,
    )
}

fn options(chart: &Chart, note: Option<String>) -> Options<'static> {
    let mut options = Options::default();
    options.title = chart.title.clone();
    options.subtitle = match (&chart.subtitle, note) {
        (Some(subtitle), Some(note)) => Some(format!("{subtitle} · {note}")),
        (subtitle, note) => subtitle.clone().or(note),
    };
    options.count_name = chart.count_name.clone();
    options.colors = color::Palette::Basic(match chart.palette {
        Palette::Time | Palette::Cpu => color::BasicPalette::Hot,
        Palette::Alloc => color::BasicPalette::Mem,
    });
    options.hash = true;
    options.deterministic = true;
    options
}

/// Draws `stacks` as a flamegraph SVG into `w`; returns what bounding left
/// out (also said in the picture's subtitle). With nothing to draw, the SVG
/// says so rather than being empty.
pub fn write_svg(w: &mut dyn Write, chart: &Chart, stacks: &[Stack]) -> io::Result<Bounds> {
    let (lines, bounds) = bounded(stacks);
    if lines.is_empty() {
        empty_svg(w, &chart.title, "Nothing was recorded for this picture.")?;
        return Ok(bounds);
    }
    let mut options = options(chart, bounds.note());
    let mut text = String::new();
    let folded: Vec<&str> = {
        let mut ends = Vec::with_capacity(lines.len());
        for (stack, value) in &lines {
            let start = text.len();
            let _ = write!(text, "{stack} {value}");
            ends.push((start, text.len()));
        }
        ends.into_iter().map(|(a, b)| &text[a..b]).collect()
    };
    flamegraph::from_lines(&mut options, folded, w).map_err(io::Error::other)?;
    Ok(bounds)
}

/// Writes `stacks` as folded lines (`frame;frame;frame value`, the format of
/// inferno and Brendan Gregg's flamegraph tools), bounded like the pictures.
pub fn write_folded(w: &mut dyn Write, stacks: &[Stack]) -> io::Result<Bounds> {
    let (lines, bounds) = bounded(stacks);
    for (stack, value) in &lines {
        writeln!(w, "{stack} {value}")?;
    }
    Ok(bounds)
}

/// Draws a differential flamegraph into `w`: frame widths are `after`, and
/// colour says how each frame changed from `before`: red grew, blue shrank
/// (inferno's differential mode). Stacks only in `before` are drawn at zero
/// width, as in inferno.
pub fn write_diff_svg(
    w: &mut dyn Write,
    chart: &Chart,
    before: &[Stack],
    after: &[Stack],
) -> io::Result<Bounds> {
    let (before_lines, after_lines, bounds) = bounded_pair(before, after);
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
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
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

    fn stack(frames: &[&str], value: u64) -> Stack {
        Stack {
            frames: frames.iter().map(|f| (*f).to_owned()).collect(),
            value,
        }
    }

    #[test]
    fn identical_stacks_merge_and_separators_are_escaped() {
        let (lines, bounds) = bounded(&[
            stack(&["main", "a;b"], 2),
            stack(&["main", "a;b"], 3),
            stack(&["main", "c d"], 0),
        ]);
        assert_eq!(lines, [("main;a:b".to_owned(), 5)]);
        assert_eq!(bounds, Bounds::default());
    }

    #[test]
    fn too_many_stacks_keep_the_heaviest_and_the_total() {
        let stacks: Vec<Stack> = (0..MAX_STACKS as u64 + 10)
            .map(|i| stack(&["main", &format!("f{i}")], i + 1))
            .collect();
        let total: u64 = stacks.iter().map(|s| s.value).sum();
        let (lines, bounds) = bounded(&stacks);
        assert_eq!(lines.len(), MAX_STACKS);
        assert_eq!(lines.iter().map(|l| l.1).sum::<u64>(), total);
        assert_eq!(bounds.merged_stacks, 11);
        assert!(
            lines
                .iter()
                .any(|l| l.0 == "main;f0".replace("f0", "f50009"))
        );
        assert!(bounds.note().unwrap().contains("11 lightest stacks"));
    }

    #[test]
    fn a_name_ending_in_a_number_stays_whole() {
        let mut svg = Vec::new();
        let chart = Chart {
            title: "t".to_owned(),
            subtitle: None,
            count_name: "samples".to_owned(),
            palette: Palette::Cpu,
        };
        write_svg(&mut svg, &chart, &[stack(&["worker 1"], 5)]).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.contains("worker\u{a0}1 (5 samples, 100.00%)"), "{svg}");
    }

    #[test]
    fn both_sides_of_a_diff_keep_the_same_stacks() {
        // Stack i weighs i before and MAX_STACKS - i after: together all
        // weigh the same, and the kept set is one for both sides.
        let n = MAX_STACKS as u64 + 10;
        let side = |after: bool| -> Vec<Stack> {
            (0..n)
                .map(|i| {
                    stack(
                        &["main", &format!("f{i}")],
                        if after { n - i } else { i + 1 },
                    )
                })
                .collect()
        };
        let (before, after, bounds) = bounded_pair(&side(false), &side(true));
        let names = |lines: &[(String, u64)]| lines.iter().map(|l| l.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&before), names(&after));
        assert_eq!(before.len(), MAX_STACKS);
        assert_eq!(bounds.merged_stacks, 11);
    }

    #[test]
    fn deep_stacks_are_cut() {
        let frames: Vec<String> = (0..MAX_DEPTH + 5).map(|i| format!("f{i}")).collect();
        let (lines, bounds) = bounded(&[Stack { frames, value: 1 }]);
        assert!(lines[0].0.ends_with(";[deeper frames]"));
        assert_eq!(lines[0].0.matches(';').count(), MAX_DEPTH);
        assert_eq!(bounds.cut_stacks, 1);
    }
}
