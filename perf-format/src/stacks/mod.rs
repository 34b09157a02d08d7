//! Call stacks: one type for every stack perf keeps (the call paths of a
//! run or record with their costs, the CPU samples by stack), the folded
//! format (`cpu.folded`, inferno's input), the bounds every picture and
//! file keeps to (50 000 stacks, 512 frames), and, with the feature `draw`,
//! flamegraph SVGs drawn by inferno (`svg`).

#[cfg(feature = "draw")]
pub mod svg;
#[cfg(feature = "draw")]
mod tooltip;

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::ops::Add;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::schema::run::CallNode;

/// The most stacks a flamegraph or `cpu.folded` holds: lighter ones are
/// merged into one `[other stacks]` stack, so the total stays.
pub const MAX_STACKS: usize = 50_000;
/// The deepest stack a flamegraph or `cpu.folded` holds: deeper frames are
/// merged into one `[deeper frames]` frame.
pub const MAX_DEPTH: usize = 512;
/// The frame that stands for the stacks left out by [`MAX_STACKS`].
pub const OTHER_STACKS: &str = "[other stacks]";
/// The frame that stands for the frames cut by [`MAX_DEPTH`].
pub const DEEPER_FRAMES: &str = "[deeper frames]";
/// The root frame of a time flamegraph that stands for the session's
/// wall time no instrumented call covered ([`Uninstrumented`]).
pub const UNINSTRUMENTED: &str = "[uninstrumented]";

/// A session's wall time against the time its instrumented calls recorded
/// at the root of their stacks, for the `[uninstrumented]` frame of a time
/// flamegraph and its subtitle.
///
/// The frame is the wall time less the recorded time, never below zero.
/// A flamegraph's widths add up the times of every thread, while the
/// session's wall time passes once: with one thread the frame is exactly
/// the time spent outside instrumented functions; with several, whose
/// recorded times add up, it is at most the time the thread that ran the
/// session spent outside them (a lower bound, zero when the threads'
/// recorded time reaches the wall time), and the subtitle says both
/// figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Uninstrumented {
    /// Wall time of the session (a record: the mean over its runs).
    pub wall_ns: f64,
    /// Self time of every stack drawn: the root calls' total time, summed
    /// over threads.
    pub recorded_ns: f64,
}

impl Uninstrumented {
    /// The wall time `wall_ns` against the self times of `stacks`; `None`
    /// when the wall time is not known (0, as in files that do not keep
    /// it).
    pub fn of<W>(wall_ns: f64, stacks: &[Stack<W>], self_ns: impl Fn(&W) -> f64) -> Option<Self> {
        (wall_ns > 0.0 && wall_ns.is_finite()).then(|| Uninstrumented {
            wall_ns,
            recorded_ns: stacks.iter().map(|s| self_ns(&s.weight)).sum(),
        })
    }

    /// The width of the `[uninstrumented]` frame: wall less recorded time,
    /// never below zero.
    pub fn ns(&self) -> f64 {
        (self.wall_ns - self.recorded_ns).max(0.0)
    }

    /// The words for a subtitle: `wall 328 ms, recorded 164 ms
    /// ([uninstrumented]: the rest)`, or with threads whose times add up
    /// past the wall time, `wall 100 ms, recorded 350 ms (threads' times
    /// add up)`.
    pub fn note(&self) -> String {
        let wall = crate::units::duration(self.wall_ns);
        let recorded = crate::units::duration(self.recorded_ns);
        match self.recorded_ns <= self.wall_ns {
            true => format!("wall {wall}, recorded {recorded} ({UNINSTRUMENTED}: the rest)"),
            false => format!("wall {wall}, recorded {recorded} (threads' times add up)"),
        }
    }
}

/// One call stack, root first, and what it weighs. In JSON the weight's
/// fields sit beside `frames`: `{"frames": […], "samples": 12.0}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stack<W> {
    /// Frames from the outermost to the innermost.
    pub frames: Vec<String>,
    /// What the stack weighs.
    #[serde(flatten)]
    pub weight: W,
}

impl<W> Stack<W> {
    /// A stack of `frames`, root first, weighing `weight`.
    pub fn new<S: Into<String>>(frames: impl IntoIterator<Item = S>, weight: W) -> Stack<W> {
        Stack {
            frames: frames.into_iter().map(Into::into).collect(),
            weight,
        }
    }
}

/// Sorts `stacks` heaviest first by `weight`, by frames among equals.
pub fn sort_heaviest<W>(stacks: &mut [Stack<W>], weight: impl Fn(&W) -> f64) {
    stacks.sort_by(|a, b| {
        weight(&b.weight)
            .total_cmp(&weight(&a.weight))
            .then_with(|| a.frames.cmp(&b.frames))
    });
}

/// The cost of one call path: per run in a record (means over its runs),
/// whole in a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallCost {
    /// Calls along this path.
    pub calls: f64,
    /// Wall time of those calls, callees included.
    pub total_ns: f64,
    /// Wall time of those calls without instrumented callees.
    pub self_ns: f64,
    /// Allocations made by the calls' own code.
    pub self_allocs: f64,
    /// Bytes allocated by the calls' own code.
    pub self_alloc_bytes: f64,
    /// Instructions of the calls' own code (instruction records; 0
    /// elsewhere, and in files written before the field).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub self_instructions: f64,
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

impl Add for CallCost {
    type Output = CallCost;

    fn add(self, other: CallCost) -> CallCost {
        CallCost {
            calls: self.calls + other.calls,
            total_ns: self.total_ns + other.total_ns,
            self_ns: self.self_ns + other.self_ns,
            self_allocs: self.self_allocs + other.self_allocs,
            self_alloc_bytes: self.self_alloc_bytes + other.self_alloc_bytes,
            self_instructions: self.self_instructions + other.self_instructions,
        }
    }
}

impl CallCost {
    /// Every figure divided by `n`: a sum over runs as a mean per run.
    pub fn per(self, n: f64) -> CallCost {
        CallCost {
            calls: self.calls / n,
            total_ns: self.total_ns / n,
            self_ns: self.self_ns / n,
            self_allocs: self.self_allocs / n,
            self_alloc_bytes: self.self_alloc_bytes / n,
            self_instructions: self.self_instructions / n,
        }
    }
}

/// How many CPU samples a stack got: whole in a run, a mean per run in a
/// record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleCount {
    /// Samples on this stack.
    pub samples: f64,
}

/// A call path of the instrumented functions with its cost.
pub type CallStack = Stack<CallCost>;
/// A stack of CPU samples: the thread's name, then code from the outermost in.
pub type CpuStack = Stack<SampleCount>;

/// The call paths of a run's call tree, in the tree's order: one per node
/// down to [`MAX_DEPTH`] frames; a node whose parent does not come before
/// it is taken as a root.
///
/// The calls below a node [`MAX_DEPTH`] frames deep are summed into one
/// stack, that node's frames and [`DEEPER_FRAMES`], placed where the first
/// of them is: its self costs are those of every call cut, its calls and
/// total time those of the calls that enter the cut. So no stack is longer
/// than `MAX_DEPTH + 1` frames, every self cost is kept, and the work is
/// linear in the tree: each path is a slice of one stack of nodes kept
/// along the tree, and a node below the cut adds its cost to its stack
/// without a path of its own.
pub fn call_paths(tree: &[CallNode]) -> Vec<CallStack> {
    /// Where a node's cost goes.
    #[derive(Clone, Copy)]
    enum Place {
        /// Its own stack, at this index of the paths, with this many frames.
        Own { path: usize, depth: usize },
        /// The stack of calls cut below the node `anchor` (`MAX_DEPTH`
        /// deep), at this index of the paths once made.
        Cut { anchor: usize },
    }
    let mut places: Vec<Place> = Vec::with_capacity(tree.len());
    let mut parents: Vec<Option<usize>> = Vec::with_capacity(tree.len());
    // Per anchor, the index of its stack of cut calls.
    let mut cut_paths: HashMap<usize, usize> = HashMap::new();
    // The nodes from a root to the last node given its own stack.
    let mut on_path: Vec<usize> = Vec::new();
    let mut paths: Vec<CallStack> = Vec::with_capacity(tree.len());
    for (i, node) in tree.iter().enumerate() {
        let parent = node.parent.map(|p| p as usize).filter(|&p| p < i);
        parents.push(parent);
        let cost = CallCost {
            calls: node.calls as f64,
            total_ns: node.total_ns as f64,
            self_ns: node.self_ns as f64,
            self_allocs: node.self_allocs as f64,
            self_alloc_bytes: node.self_alloc_bytes as f64,
            self_instructions: node.self_instructions.unwrap_or(0) as f64,
        };
        let depth = match parent.map(|p| (p, places[p])) {
            None => 1,
            Some((_, Place::Own { depth, .. })) if depth < MAX_DEPTH => depth + 1,
            Some((parent, place)) => {
                // Below the cut: the cost joins the anchor's stack.
                let (anchor, enters) = match place {
                    Place::Own { .. } => (parent, true),
                    Place::Cut { anchor } => (anchor, false),
                };
                places.push(Place::Cut { anchor });
                let index = *cut_paths.entry(anchor).or_insert_with(|| {
                    let Place::Own { path, .. } = places[anchor] else {
                        unreachable!("an anchor has a stack of its own")
                    };
                    let mut frames = paths[path].frames.clone();
                    frames.push(DEEPER_FRAMES.to_owned());
                    paths.push(Stack::new(frames, CallCost::default()));
                    paths.len() - 1
                });
                let sum = &mut paths[index].weight;
                sum.self_ns += cost.self_ns;
                sum.self_allocs += cost.self_allocs;
                sum.self_alloc_bytes += cost.self_alloc_bytes;
                sum.self_instructions += cost.self_instructions;
                if enters {
                    sum.calls += cost.calls;
                    sum.total_ns += cost.total_ns;
                }
                continue;
            }
        };
        // Make `on_path` the parent's path: a prefix of it when the tree
        // is in depth-first order, else walked up from the parent (at
        // most `MAX_DEPTH` nodes, no more than the path to emit).
        let above = depth - 1;
        if above > 0 && on_path.get(above - 1) != parent.as_ref() {
            on_path.clear();
            let mut up = parent;
            while let Some(p) = up {
                on_path.push(p);
                up = parents[p];
            }
            on_path.reverse();
        }
        on_path.truncate(above);
        on_path.push(i);
        places.push(Place::Own {
            path: paths.len(),
            depth,
        });
        paths.push(Stack::new(
            on_path.iter().map(|&n| tree[n].function.as_str()),
            cost,
        ));
    }
    paths
}

/// Of `entries` (a key and its weight each), the keys to keep within
/// [`MAX_STACKS`]: `None` when all fit, else the `MAX_STACKS - 1` heaviest,
/// by key among equal weights (so the same input always keeps the same),
/// which leaves room for [`OTHER_STACKS`]. Linear in the entries.
fn heaviest<K: Ord, V: PartialOrd>(mut entries: Vec<(K, V)>) -> Option<Vec<K>> {
    if entries.len() <= MAX_STACKS {
        return None;
    }
    entries.select_nth_unstable_by(MAX_STACKS - 2, |(ka, va), (kb, vb)| {
        vb.partial_cmp(va)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| ka.cmp(kb))
    });
    entries.truncate(MAX_STACKS - 1);
    Some(entries.into_iter().map(|(key, _)| key).collect())
}

/// `stacks` within [`MAX_STACKS`]: the heaviest kept in their order, the
/// rest summed into one [`OTHER_STACKS`] stack at the end.
pub fn bound_cpu_stacks(stacks: Vec<CpuStack>) -> Vec<CpuStack> {
    let entries: Vec<((&[String], usize), f64)> = stacks
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.frames.as_slice(), i), s.weight.samples))
        .collect();
    let Some(kept) = heaviest(entries) else {
        return stacks;
    };
    let mut keep = vec![false; stacks.len()];
    for (_, i) in kept {
        keep[i] = true;
    }
    let mut rest = 0.0;
    let mut bounded = Vec::with_capacity(MAX_STACKS);
    for (stack, keep) in stacks.into_iter().zip(keep) {
        if keep {
            bounded.push(stack);
        } else {
            rest += stack.weight.samples;
        }
    }
    bounded.push(Stack::new([OTHER_STACKS], SampleCount { samples: rest }));
    bounded
}

/// What bounding a picture or file left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    /// Distinct stacks merged into [`OTHER_STACKS`].
    pub merged_stacks: usize,
    /// Stacks cut at [`MAX_DEPTH`] (of a call tree, the calls below one
    /// node count once: [`call_paths`] sums them into one stack).
    pub cut_stacks: usize,
}

impl Bounds {
    /// A sentence for the picture, if anything was left out.
    pub fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        let count = |n: usize| crate::units::count(n as f64);
        let stacks = |n: usize| if n == 1 { "stack" } else { "stacks" };
        if self.merged_stacks > 0 {
            parts.push(format!(
                "{} lightest {} merged into {OTHER_STACKS}",
                count(self.merged_stacks),
                stacks(self.merged_stacks)
            ));
        }
        if self.cut_stacks > 0 {
            parts.push(format!(
                "{} {} deeper than {MAX_DEPTH} frames cut at {DEEPER_FRAMES}",
                count(self.cut_stacks),
                stacks(self.cut_stacks)
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// One folded line's stack part: frames joined by `;`. A name keeps
/// neither `;` (it separates frames) nor whitespace (a space before the
/// value ends the stack, and `worker 1 5` would read as a differential
/// line): `;` becomes `:`, whitespace a no-break space, which looks the
/// same; an empty name is `[unknown]`.
fn fold(frames: &[String], out: &mut String) {
    for (i, frame) in frames.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        if frame.is_empty() {
            out.push_str("[unknown]");
        }
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
pub(crate) type FoldedLines = Vec<(String, u64)>;

/// `stacks` weighed by `weight`, folded and summed by folded stack, none
/// deeper than [`MAX_DEPTH`]; stacks of weight 0 are left out.
fn folded<W>(
    stacks: &[Stack<W>],
    weight: &impl Fn(&W) -> u64,
    bounds: &mut Bounds,
) -> HashMap<String, u64> {
    let mut merged: HashMap<String, u64> = HashMap::with_capacity(stacks.len());
    let mut key = String::new();
    for stack in stacks {
        let value = weight(&stack.weight);
        if value == 0 {
            continue;
        }
        key.clear();
        if stack.frames.len() > MAX_DEPTH {
            bounds.cut_stacks += 1;
            fold(&stack.frames[..MAX_DEPTH], &mut key);
            key.push(';');
            key.push_str(DEEPER_FRAMES);
        } else {
            fold(&stack.frames, &mut key);
        }
        match merged.get_mut(key.as_str()) {
            Some(sum) => *sum += value,
            None => {
                merged.insert(key.clone(), value);
            }
        }
    }
    merged
}

/// `merged` as lines sorted by stack, those not in `kept` summed into
/// [`OTHER_STACKS`].
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
        lines.push((OTHER_STACKS.to_owned(), rest));
    }
    lines.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    lines
}

/// The keys of `weights` that [`heaviest`] keeps, `None` when all fit.
fn kept_keys(weights: &HashMap<String, u64>) -> Option<HashSet<String>> {
    let entries: Vec<(&String, u64)> = weights.iter().map(|(k, v)| (k, *v)).collect();
    Some(heaviest(entries)?.into_iter().cloned().collect())
}

/// `stacks` weighed by `weight` as folded lines: at most [`MAX_STACKS`] of
/// them and none deeper than [`MAX_DEPTH`].
pub(crate) fn bounded<W>(stacks: &[Stack<W>], weight: impl Fn(&W) -> u64) -> (FoldedLines, Bounds) {
    let mut bounds = Bounds::default();
    let merged = folded(stacks, &weight, &mut bounds);
    let kept = kept_keys(&merged);
    if let Some(kept) = &kept {
        bounds.merged_stacks = merged.len() - kept.len();
    }
    (lines(merged, kept.as_ref()), bounds)
}

/// Both sides of a differential picture, bounded alike: the stacks kept are
/// those heaviest over both, so that a stack is merged on both sides or on
/// neither.
#[cfg(feature = "draw")]
pub(crate) fn bounded_pair<W>(
    before: &[Stack<W>],
    after: &[Stack<W>],
    weight: impl Fn(&W) -> u64,
) -> (FoldedLines, FoldedLines, Bounds) {
    let mut bounds = Bounds::default();
    let before = folded(before, &weight, &mut bounds);
    let after = folded(after, &weight, &mut bounds);
    let mut both = before.clone();
    for (stack, value) in &after {
        *both.entry(stack.clone()).or_insert(0) += value;
    }
    let kept = kept_keys(&both);
    if let Some(kept) = &kept {
        bounds.merged_stacks = both.len() - kept.len();
    }
    (
        lines(before, kept.as_ref()),
        lines(after, kept.as_ref()),
        bounds,
    )
}

/// Writes `stacks` weighed by `weight` as folded lines (`frame;frame;frame
/// value`, the format of inferno and Brendan Gregg's flamegraph tools),
/// bounded like the pictures.
pub fn write_folded<W>(
    w: &mut dyn Write,
    stacks: &[Stack<W>],
    weight: impl Fn(&W) -> u64,
) -> io::Result<Bounds> {
    let (lines, bounds) = bounded(stacks, weight);
    for (stack, value) in &lines {
        writeln!(w, "{stack} {value}")?;
    }
    Ok(bounds)
}

/// Parses folded lines of CPU samples: `frame;frame;…;frame COUNT`, root
/// first, COUNT a whole number after the last space; empty lines are
/// skipped. An error carries the 1-based line number and what is wrong.
pub fn parse_folded(text: &str) -> Result<Vec<CpuStack>, (usize, String)> {
    let mut stacks = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let Some((stack, count)) = line.rsplit_once(' ') else {
            return Err((i + 1, "no sample count".to_owned()));
        };
        let samples: u64 = count
            .parse()
            .map_err(|_| (i + 1, format!("{count:?} is not a sample count")))?;
        let frames: Vec<String> = stack.split(';').map(str::to_owned).collect();
        // Names that were only whitespace are written as no-break spaces.
        if frames.iter().any(|f| f.trim_ascii().is_empty()) {
            return Err((i + 1, "an empty frame".to_owned()));
        }
        stacks.push(Stack {
            frames,
            weight: SampleCount {
                samples: samples as f64,
            },
        });
    }
    Ok(stacks)
}

/// Reads a `cpu.folded` file (see [`parse_folded`]); a bad line is refused,
/// naming the file and the line.
pub fn read_folded(path: &Path) -> Result<Vec<CpuStack>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    parse_folded(&text).map_err(|(line, problem)| {
        Error::invalid(
            path,
            format!("line {line}: {problem} (expected `frame;frame;…;frame COUNT`)"),
        )
    })
}

#[cfg(test)]
mod tests {

    use proptest::prelude::*;

    use super::*;

    fn stack(frames: &[&str], samples: f64) -> CpuStack {
        Stack::new(frames.iter().copied(), SampleCount { samples })
    }

    fn count(s: &SampleCount) -> u64 {
        s.samples as u64
    }

    #[test]
    fn identical_stacks_merge_and_separators_are_escaped() {
        let (lines, bounds) = bounded(
            &[
                stack(&["main", "a;b"], 2.0),
                stack(&["main", "a;b"], 3.0),
                stack(&["main", "c d"], 0.0),
            ],
            count,
        );
        assert_eq!(lines, [("main;a:b".to_owned(), 5)]);
        assert_eq!(bounds, Bounds::default());
    }

    #[test]
    fn too_many_stacks_keep_the_heaviest_and_the_total() {
        let stacks: Vec<CpuStack> = (0..MAX_STACKS + 10)
            .map(|i| stack(&["main", &format!("f{i}")], (i + 1) as f64))
            .collect();
        let total: f64 = stacks.iter().map(|s| s.weight.samples).sum();
        let (lines, bounds) = bounded(&stacks, count);
        assert_eq!(lines.len(), MAX_STACKS);
        assert_eq!(lines.iter().map(|l| l.1).sum::<u64>() as f64, total);
        assert_eq!(bounds.merged_stacks, 11);
        assert!(lines.iter().any(|l| l.0 == "main;f50009"));
        assert!(bounds.note().unwrap().contains("11 lightest stacks"));

        let kept = bound_cpu_stacks(stacks);
        assert_eq!(kept.len(), MAX_STACKS);
        assert_eq!(kept.iter().map(|s| s.weight.samples).sum::<f64>(), total);
        assert_eq!(kept.last().unwrap().frames, [OTHER_STACKS]);
    }

    #[cfg(feature = "draw")]
    #[test]
    fn both_sides_of_a_diff_keep_the_same_stacks() {
        // Stack i weighs i before and n - i after: together all weigh the
        // same, and the kept set is one for both sides.
        let n = MAX_STACKS + 10;
        let side = |after: bool| -> Vec<CpuStack> {
            (0..n)
                .map(|i| {
                    let value = if after { n - i } else { i + 1 };
                    stack(&["main", &format!("f{i}")], value as f64)
                })
                .collect()
        };
        let (before, after, bounds) = bounded_pair(&side(false), &side(true), count);
        let names = |lines: &[(String, u64)]| lines.iter().map(|l| l.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&before), names(&after));
        assert_eq!(before.len(), MAX_STACKS);
        assert_eq!(bounds.merged_stacks, 11);
    }

    #[test]
    fn deep_stacks_are_cut() {
        let frames: Vec<String> = (0..MAX_DEPTH + 5).map(|i| format!("f{i}")).collect();
        let deep = Stack {
            frames,
            weight: SampleCount { samples: 1.0 },
        };
        let (lines, bounds) = bounded(&[deep], count);
        assert!(lines[0].0.ends_with(";[deeper frames]"));
        assert_eq!(lines[0].0.matches(';').count(), MAX_DEPTH);
        assert_eq!(bounds.cut_stacks, 1);
    }

    #[test]
    fn folded_lines_are_read_and_bad_ones_named_by_line() {
        let stacks =
            parse_folded("main;app::run;<Vec<u8> as Clone>::clone 7\n\nworker 1\n").unwrap();
        assert_eq!(
            stacks,
            [
                stack(&["main", "app::run", "<Vec<u8> as Clone>::clone"], 7.0),
                stack(&["worker"], 1.0)
            ]
        );
        assert_eq!(parse_folded("main;a 1\nmain;b\n").unwrap_err().0, 2);
        assert_eq!(parse_folded("main;a -1\n").unwrap_err().0, 1);
        assert_eq!(parse_folded("main;;a 1\n").unwrap_err().0, 1);
    }

    #[test]
    fn folded_lines_read_back_what_was_written() {
        let stacks = vec![
            stack(&["main", "app::run"], 7.0),
            stack(&["worker-1", "<Vec<u8> as Clone>::clone"], 2.0),
        ];
        let mut text = Vec::new();
        write_folded(&mut text, &stacks, count).unwrap();
        let mut read = parse_folded(std::str::from_utf8(&text).unwrap()).unwrap();
        read.sort_by(|a, b| b.weight.samples.total_cmp(&a.weight.samples));
        assert_eq!(read[0], stacks[0]);
        assert_eq!(read[1].frames[1], "<Vec<u8>\u{a0}as\u{a0}Clone>::clone");
    }

    proptest! {
        /// Whatever the names, folded lines read back as the same stacks
        /// (names with `;` or whitespace as they are drawn) and weights.
        #[test]
        fn folded_lines_read_back_whatever_the_names(
            stacks in prop::collection::vec(
                (prop::collection::vec("[a-z:<>; \\t]{0,8}", 1..6), 1u64..10_000),
                0..30,
            ),
        ) {
            let stacks: Vec<CpuStack> = stacks
                .into_iter()
                .map(|(frames, n)| Stack::new(frames, SampleCount { samples: n as f64 }))
                .collect();
            let mut text = Vec::new();
            write_folded(&mut text, &stacks, count).unwrap();
            let read = parse_folded(std::str::from_utf8(&text).unwrap()).unwrap();
            let drawn = |frames: &[String]| {
                let mut key = String::new();
                fold(frames, &mut key);
                key
            };
            let mut expected: HashMap<String, f64> = HashMap::new();
            for stack in &stacks {
                *expected.entry(drawn(&stack.frames)).or_default() += stack.weight.samples;
            }
            let got: HashMap<String, f64> = read
                .iter()
                .map(|s| (s.frames.join(";"), s.weight.samples))
                .collect();
            prop_assert_eq!(got, expected);
        }
    }

    fn node(id: u32, parent: Option<u32>, function: &str, self_ns: u64) -> CallNode {
        CallNode {
            id,
            parent,
            function: function.to_owned(),
            calls: 1,
            total_ns: self_ns,
            self_ns,
            total_allocs: 0,
            self_allocs: 1,
            total_alloc_bytes: 0,
            self_alloc_bytes: self_ns * 2,
            total_freed_bytes: 0,
            self_freed_bytes: 0,
            slots: Vec::new(),
            total_instructions: None,
            self_instructions: None,
            total_est_cycles: None,
            self_est_cycles: None,
        }
    }

    /// A chain `depth` calls deep, `f0` calling `f1` … each of self time
    /// 1 + its depth, with the total times of a real chain.
    fn chain(depth: u32) -> Vec<CallNode> {
        let mut nodes: Vec<CallNode> = (0..depth)
            .map(|i| node(i, i.checked_sub(1), &format!("f{i}"), u64::from(i) + 1))
            .collect();
        let mut below = 0;
        for node in nodes.iter_mut().rev() {
            below += node.self_ns;
            node.total_ns = below;
        }
        nodes
    }

    /// Every path of `tree` built whole, then cut as [`call_paths`]
    /// documents: the reference the shared frame stack must agree with.
    fn cut_whole_paths(tree: &[CallNode]) -> HashMap<Vec<String>, CallCost> {
        let mut sums: HashMap<Vec<String>, CallCost> = HashMap::new();
        for (i, node) in tree.iter().enumerate() {
            let mut path = vec![i];
            while let Some(p) = tree[*path.last().unwrap()]
                .parent
                .map(|p| p as usize)
                .filter(|&p| p < *path.last().unwrap())
            {
                path.push(p);
            }
            path.reverse();
            let mut frames: Vec<String> = path.iter().map(|&n| tree[n].function.clone()).collect();
            let mut cost = CallCost {
                calls: node.calls as f64,
                total_ns: node.total_ns as f64,
                self_ns: node.self_ns as f64,
                self_allocs: node.self_allocs as f64,
                self_alloc_bytes: node.self_alloc_bytes as f64,
                self_instructions: node.self_instructions.unwrap_or(0) as f64,
            };
            if frames.len() > MAX_DEPTH {
                if frames.len() > MAX_DEPTH + 1 {
                    cost.calls = 0.0;
                    cost.total_ns = 0.0;
                }
                frames.truncate(MAX_DEPTH);
                frames.push(DEEPER_FRAMES.to_owned());
            }
            let sum = sums.entry(frames).or_default();
            *sum = *sum + cost;
        }
        sums
    }

    #[test]
    fn deep_call_trees_make_linear_paths_cut_at_max_depth_with_every_weight() {
        let depth = 5_000;
        let tree = chain(depth);
        let paths = call_paths(&tree);
        // One path per node down to the cut, then one for everything below.
        assert_eq!(paths.len(), MAX_DEPTH + 1);
        let frames: usize = paths.iter().map(|p| p.frames.len()).sum();
        assert_eq!(frames, MAX_DEPTH * (MAX_DEPTH + 1) / 2 + MAX_DEPTH + 1);
        assert!(paths.iter().all(|p| p.frames.len() <= MAX_DEPTH + 1));

        let cut = paths.last().unwrap();
        assert_eq!(cut.frames.len(), MAX_DEPTH + 1);
        assert_eq!(cut.frames[MAX_DEPTH - 1], format!("f{}", MAX_DEPTH - 1));
        assert_eq!(cut.frames[MAX_DEPTH], DEEPER_FRAMES);
        // Its calls and total time are those entering the cut …
        assert_eq!(cut.weight.calls, 1.0);
        assert_eq!(cut.weight.total_ns, tree[MAX_DEPTH].total_ns as f64);
        // … and no self cost is lost.
        let sum = |f: fn(&CallCost) -> f64| paths.iter().map(|p| f(&p.weight)).sum::<f64>();
        let tree_sum = |f: fn(&CallNode) -> u64| tree.iter().map(f).sum::<u64>() as f64;
        assert_eq!(sum(|c| c.self_ns), tree_sum(|n| n.self_ns));
        assert_eq!(sum(|c| c.self_ns), tree[0].total_ns as f64);
        assert_eq!(sum(|c| c.self_allocs), f64::from(depth));
        assert_eq!(
            sum(|c| c.self_alloc_bytes),
            tree_sum(|n| n.self_alloc_bytes)
        );

        // The picture draws the cut stack as it always drew deep stacks.
        let (lines, bounds) = bounded(&paths, |c| c.self_ns as u64);
        assert_eq!(lines.len(), MAX_DEPTH + 1);
        assert_eq!(bounds.cut_stacks, 1);
        assert!(
            bounds
                .note()
                .unwrap()
                .starts_with("1 stack deeper than 512 frames")
        );
    }

    #[test]
    fn call_paths_agree_with_whole_paths_cut_in_any_tree_order() {
        // A chain past the cut, then nodes hung in a scrambled order under
        // earlier ones, above and below the cut: not depth-first order.
        let mut tree = chain(MAX_DEPTH as u32 + 40);
        let mut seed = 7u64;
        for id in tree.len() as u32..3_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let parent = (seed >> 33) % u64::from(id);
            tree.push(node(id, Some(parent as u32), &format!("g{}", id % 7), 3));
        }
        tree.push(node(3_000, Some(9_999), "stray", 1));
        let paths = call_paths(&tree);
        let mut got: HashMap<Vec<String>, CallCost> = HashMap::new();
        for path in paths {
            assert!(path.frames.len() <= MAX_DEPTH + 1);
            let sum = got.entry(path.frames).or_default();
            *sum = *sum + path.weight;
        }
        assert_eq!(got, cut_whole_paths(&tree));
    }

    #[test]
    fn call_paths_follow_the_tree() {
        let paths = call_paths(&[
            node(0, None, "main", 5),
            node(1, Some(0), "parse", 3),
            node(2, Some(9), "stray", 1),
        ]);
        assert_eq!(paths[1].frames, ["main", "parse"]);
        assert_eq!(paths[1].weight.self_ns, 3.0);
        assert_eq!(paths[2].frames, ["stray"]);
    }

    #[test]
    fn stacks_keep_their_json_shape() {
        let json = serde_json::to_string(&stack(&["main"], 2.5)).unwrap();
        assert_eq!(json, r#"{"frames":["main"],"samples":2.5}"#);
        let read: CallStack = serde_json::from_str(
            r#"{"frames":["a"],"calls":1.0,"total_ns":2.0,"self_ns":2.0,"self_allocs":0.0,"self_alloc_bytes":0.0}"#,
        )
        .unwrap();
        assert_eq!(read.weight.total_ns, 2.0);
    }

    #[test]
    fn the_uninstrumented_time_is_the_wall_time_left_and_never_negative() {
        let stacks = [
            Stack::new(["main"], 100.0),
            Stack::new(["main", "work"], 64.0),
        ];
        let u = Uninstrumented::of(328.0, &stacks, |w| *w).unwrap();
        assert_eq!((u.recorded_ns, u.ns()), (164.0, 164.0));
        assert_eq!(
            u.note(),
            "wall 328 ns, recorded 164 ns ([uninstrumented]: the rest)"
        );
        // Threads whose times add up past the wall time: nothing left out.
        let u = Uninstrumented::of(100.0, &stacks, |w| *w).unwrap();
        assert_eq!(u.ns(), 0.0);
        assert!(u.note().ends_with("(threads' times add up)"));
        assert_eq!(Uninstrumented::of(0.0, &stacks, |w| *w), None);
    }
}
