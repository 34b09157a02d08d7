//! Flamegraphs of a record, drawn by perf-format: wall time, bytes
//! allocated or instructions (instruction records) by instrumented call
//! stack, CPU samples by stack, and
//! differential pictures of a record against a baseline.
//!
//! A differential picture of time or bytes shows the figures `compare`
//! judges, not a difference of its own: each function's frames are
//! coloured by its time/call (bytes/call) row of the comparison — the
//! change after the machine's drift is taken out, red where the table says
//! regressed, blue where improved, grey where unchanged or too noisy to
//! tell — and their tooltips say that change beside the frame's share of
//! the picture. CPU samples are not judged by `compare`: their picture
//! colours each stack's change in share of the samples, the baseline
//! scaled to the record's total.

use std::collections::HashMap;
use std::path::Path;

use perf_format::schema::compare::{Comparison, Drift, OnlyIn, Row, Verdict};
use perf_format::schema::record::{Kind, Metric, Record, Source};
use perf_format::stacks::svg::{self, Calls, Chart, FrameNote, Measure};
use perf_format::stacks::{Stack, UNINSTRUMENTED, Uninstrumented};
use perf_format::units::{self, plural};

use perf_stats::filter::Filter;

use crate::Error;

/// What a flamegraph's widths stand for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Weight {
    /// Self wall time of instrumented functions (ns per run).
    Time,
    /// Bytes allocated by instrumented functions' own code (per run).
    Alloc,
    /// CPU samples (perf-core's `cpu` feature).
    Cpu,
    /// Self instructions of instrumented functions (per run), in
    /// instruction records (`record --instructions`).
    Instructions,
}

impl Weight {
    /// Every weight, in the order a report shows them.
    pub(crate) const ALL: [Weight; 4] = [
        Weight::Time,
        Weight::Alloc,
        Weight::Cpu,
        Weight::Instructions,
    ];

    /// What it measures: its name, words, unit and colours.
    pub(crate) fn measure(self) -> Measure {
        match self {
            Weight::Time => Measure::Time,
            Weight::Alloc => Measure::Alloc,
            Weight::Cpu => Measure::Cpu,
            Weight::Instructions => Measure::Instructions,
        }
    }
}

/// Why `record` (read from `path`) cannot be drawn by `weight`, if it cannot.
pub(crate) fn unavailable(record: &Record, path: &Path, weight: Weight) -> Option<Error> {
    let problem = match weight {
        Weight::Time | Weight::Alloc | Weight::Instructions if record.stacks.is_empty() => format!(
            "record {} has no call stacks to draw{}",
            record.id,
            if record.source == Source::Criterion {
                ": it was imported from criterion, which measures whole benchmarks"
            } else {
                ""
            }
        ),
        Weight::Alloc if !record.alloc_tracking => format!(
            "record {} has no allocation figures: make perf_core::PerfAlloc the program's #[global_allocator]",
            record.id
        ),
        Weight::Instructions if !record.instructions => format!(
            "record {} has no instruction counts: make one with `cargo perf record --instructions`",
            record.id
        ),
        Weight::Cpu if record.cpu_stacks.is_empty() => format!(
            "record {} has no CPU samples: build the program with perf-core's `cpu` feature",
            record.id
        ),
        _ => return None,
    };
    Some(perf_format::Error::invalid(path, problem).into())
}

/// Why `kept`, `full` filtered by `filter`, has nothing to draw by `weight`
/// when `full` has: no stack of that picture passes through a matching
/// frame (CPU samples name symbols, which may differ from the functions).
pub(crate) fn filtered_out(
    full: &Record,
    kept: &Record,
    path: &Path,
    weight: Weight,
    filter: &Filter,
) -> Option<Error> {
    let cpu_runs = cpu_runs(full);
    let empty = |record: &Record| stacks(record, weight, cpu_runs).is_empty();
    if filter.is_empty() || empty(full) || !empty(kept) {
        return None;
    }
    Some(
        perf_format::Error::invalid(
            path,
            format!(
                "no {} stack of record {} passes through a function --filter keeps ({})",
                weight.measure().name(),
                full.id,
                filter.texts().join(", ")
            ),
        )
        .into(),
    )
}

/// How many runs CPU sample counts are given for: a record's CPU stacks
/// hold means per run, drawn as totals over its runs so that a stack seen
/// once in five runs still shows.
fn cpu_runs(record: &Record) -> f64 {
    record.runs.len().max(1) as f64
}

/// The record's stacks weighed by `weight`; CPU samples are scaled to
/// `cpu_runs` runs.
fn stacks(record: &Record, weight: Weight, cpu_runs: f64) -> Vec<Stack<u64>> {
    let weighed = |frames: &[String], value: f64| Stack::new(frames, value.round() as u64);
    match weight {
        Weight::Time => record
            .stacks
            .iter()
            .map(|s| weighed(&s.frames, s.weight.self_ns))
            .collect(),
        Weight::Alloc => record
            .stacks
            .iter()
            .map(|s| weighed(&s.frames, s.weight.self_alloc_bytes))
            .collect(),
        Weight::Instructions => record
            .stacks
            .iter()
            .map(|s| weighed(&s.frames, s.weight.self_instructions))
            .collect(),
        Weight::Cpu => record
            .cpu_stacks
            .iter()
            .map(|s| weighed(&s.frames, s.weight.samples * cpu_runs))
            .collect(),
    }
}

/// What the subtitle of a time picture of an instruction record says.
const SLOWED: &str =
    "times slowed down by Valgrind (an instruction record): read --metric instructions";

/// What `flamegraph` says on stderr when it draws `record`'s times by
/// `weight` and they ran under Valgrind (an instruction record).
pub(crate) fn slowed_note(record: &Record, weight: Weight) -> Option<String> {
    (weight == Weight::Time && record.instructions).then(|| {
        format!(
            "note: record {} is an instruction record: its runs ran under Valgrind's callgrind, which slows their times down many times over and unevenly; `--metric instructions` draws the figures to read",
            record.id
        )
    })
}

/// The mean wall time of `record`'s sessions, in ns (0 when unknown).
fn wall_ns(record: &Record) -> f64 {
    let runs = &record.runs;
    match runs.is_empty() {
        true => 0.0,
        false => runs.iter().map(|r| r.duration_ns as f64).sum::<f64>() / runs.len() as f64,
    }
}

/// A stack's weight, already in the picture's unit.
fn value(weight: &u64) -> u64 {
    *weight
}

/// The line under a picture's title: what it shows, where and when.
fn subtitle(record: &Record, weight: Weight) -> String {
    let runs = record.runs.len().max(1);
    let per = match weight {
        Weight::Cpu => {
            let total: f64 = record.cpu_stacks.iter().map(|s| s.weight.samples).sum();
            format!(
                "{} over {}",
                plural((total * runs as f64).round() as u64, "sample"),
                plural(runs as u64, "run")
            )
        }
        Weight::Time | Weight::Alloc | Weight::Instructions => {
            format!("mean of {}", plural(runs as u64, "run"))
        }
    };
    format!(
        "record {} · {} · commit {} · {per}",
        record.id,
        record.env.host,
        record.env.commit_label().as_deref().unwrap_or("unknown")
    )
}

/// A baseline side of a differential flamegraph.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Before<'a> {
    /// The baseline (or record) drawn as "before".
    pub(crate) record: &'a Record,
    /// The file it was read from.
    pub(crate) path: &'a Path,
    /// The record judged against it as `compare` judges it: the figures
    /// the colours show.
    pub(crate) comparison: &'a Comparison,
}

impl Before<'_> {
    /// How the picture names it: `main (record 2026…)` for a saved
    /// baseline, else its record id.
    pub(crate) fn label(&self) -> String {
        match &self.record.baseline {
            Some(info) => format!("{} (record {})", info.name, self.record.id),
            None => self.record.id.clone(),
        }
    }

    /// A short name for file names: the baseline's name, else the record id.
    pub(crate) fn file_label(&self) -> String {
        let name = self
            .record
            .baseline
            .as_ref()
            .map_or(self.record.id.as_str(), |b| b.name.as_str());
        name.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

/// The flamegraph of `record` (read from `path`) by `weight` as SVG, or
/// with `before` a differential one: widths are the record's, red frames
/// regressed (grew) and blue ones improved (shrank), as the module says.
/// `whole` says whether `record` holds every call its sessions recorded
/// (not narrowed by `--filter`): only then does a time picture show the
/// wall time no call covered (`[uninstrumented]`).
pub(crate) fn draw(
    record: &Record,
    path: &Path,
    weight: Weight,
    before: Option<Before<'_>>,
    whole: bool,
) -> Result<Vec<u8>, Error> {
    draw_with(record, path, weight, before, None, whole)
}

/// [`draw`] of a record `--filter` narrowed: `filtered` is what it kept (said
/// after the title) and the whole record, whose calls the frames' tooltips
/// give (a caller the filter dropped still has its calls).
pub(crate) fn draw_noted(
    record: &Record,
    path: &Path,
    weight: Weight,
    before: Option<Before<'_>>,
    filtered: Option<(&str, &Record)>,
) -> Result<Vec<u8>, Error> {
    draw_with(record, path, weight, before, filtered, filtered.is_none())
}

/// [`draw_noted`], the `[uninstrumented]` frame drawn when `all_calls`.
fn draw_with(
    record: &Record,
    path: &Path,
    weight: Weight,
    before: Option<Before<'_>>,
    filtered: Option<(&str, &Record)>,
    all_calls: bool,
) -> Result<Vec<u8>, Error> {
    let noted = |title: String| match filtered {
        Some((note, _)) => format!("{title} ({note})"),
        None => title,
    };
    let whole = filtered.map_or(record, |(_, whole)| whole);
    let sides = std::iter::once((record, path)).chain(before.map(|b| (b.record, b.path)));
    if let Some(error) = sides
        .filter_map(|(record, path)| unavailable(record, path, weight))
        .next()
    {
        return Err(error);
    }
    // Both sides as if they had as many runs as the record.
    let runs = cpu_runs(record);
    let mut after = stacks(record, weight, runs);
    // A time picture of the whole record shows the wall time no
    // instrumented call covered, as a root frame of its own (not when
    // nothing was recorded: that is drawn as such).
    let uninstrumented = match weight == Weight::Time && all_calls && !after.is_empty() {
        true => Uninstrumented::of(wall_ns(record), &after, |w| *w as f64),
        false => None,
    };
    let mut widths = subtitle(record, weight);
    if weight == Weight::Time && record.instructions {
        widths = format!("{widths} · {SLOWED}");
    }
    if let Some(u) = uninstrumented {
        let ns = u.ns().round() as u64;
        if ns > 0 {
            after.push(Stack::new([UNINSTRUMENTED], ns));
        }
        widths = format!("{widths} · {}", u.note());
    }
    let measure = weight.measure();
    let mut chart = Chart {
        title: noted(format!("{}: {} by call stack", record.name, measure.what())),
        subtitle: Some(widths.clone()),
        measure,
        // Means per run, as the widths are.
        calls: match weight {
            Weight::Cpu => None,
            _ => Some(Calls::of(&whole.stacks, |cost| cost.calls, true)),
        },
    };
    let mut out = Vec::new();
    let drawn = match before {
        None => svg::write_svg(&mut out, &chart, &after, value),
        Some(before) => {
            chart.title = noted(format!(
                "{}: {}, {} → {}",
                record.name,
                measure.what(),
                before.label(),
                record.id
            ));
            match judged_metric(weight) {
                Some(metric) => {
                    let colours = Colours::of(before.comparison, metric);
                    chart.subtitle = Some(format!("{} · widths are {widths}", colours.legend()));
                    svg::write_noted_svg(&mut out, &chart, &after, value, |function| {
                        colours.note(function)
                    })
                }
                None => {
                    chart.subtitle = Some(format!(
                        "colour: change of each stack's own share of the samples, the baseline scaled to this record's total (red grew, blue shrank) · widths are {widths}"
                    ));
                    let earlier = stacks(before.record, weight, runs);
                    svg::write_diff_svg(&mut out, &chart, &earlier, &after, value)
                }
            }
        }
    };
    drawn.map_err(|e| {
        perf_format::Error::invalid(path, format!("cannot draw its flamegraph: {e}"))
    })?;
    Ok(out)
}

/// The metric of a comparison whose rows colour a differential picture
/// by `weight`: time/call for time, bytes/call for bytes, instr/call for
/// instructions; none for CPU
/// samples, which `compare` does not judge.
fn judged_metric(weight: Weight) -> Option<Metric> {
    match weight {
        Weight::Time => Some(Metric::TimePerCall),
        Weight::Alloc => Some(Metric::BytesPerCall),
        Weight::Instructions => Some(Metric::InstructionsPerCall),
        Weight::Cpu => None,
    }
}

/// The fill of a function's frames in a differential picture.
const NEW: [u8; 3] = [255, 190, 110];
/// Frames whose figure did not change, or not provably.
const UNCHANGED: [u8; 3] = [224, 224, 224];

/// How a differential picture colours each function: by its row of the
/// comparison for one metric.
struct Colours<'a> {
    comparison: &'a Comparison,
    metric: Metric,
    rows: HashMap<&'a str, &'a Row>,
}

impl<'a> Colours<'a> {
    fn of(comparison: &'a Comparison, metric: Metric) -> Colours<'a> {
        let rows = comparison
            .rows
            .iter()
            .filter(|row| match row {
                Row::Judged(j) => j.metric == metric,
                Row::Presence(p) => p.only_in == OnlyIn::Current,
            })
            .map(|row| (row.function(), row))
            .collect();
        Colours {
            comparison,
            metric,
            rows,
        }
    }

    /// Whether the time figures had the machine's drift taken out.
    fn drift_corrected(&self) -> bool {
        self.metric.kind() == Kind::Time && matches!(self.comparison.drift, Drift::Estimated { .. })
    }

    /// What the colours mean, for the subtitle.
    fn legend(&self) -> String {
        let how = match (&self.comparison.drift, self.metric.kind()) {
            (Drift::Estimated { change, .. }, Kind::Time) => format!(
                ", drift-corrected (everything {}, taken out)",
                units::change(*change)
            ),
            (Drift::NotEstimated { .. }, Kind::Time) => {
                ", as measured (the drift could not be estimated: see compare's notes)".to_owned()
            }
            _ => String::new(),
        };
        format!(
            "colour: {} vs {} as `cargo perf compare` judges it{how}: red regressed, blue improved, grey unchanged, orange new",
            self.metric.label(),
            self.comparison.baseline.name
        )
    }

    /// The colour and tooltip words of `function`'s frames.
    fn note(&self, function: &str) -> Option<FrameNote> {
        match self.rows.get(function)? {
            Row::Presence(_) => Some(FrameNote {
                fill: NEW,
                note: format!("new: not in {}", self.comparison.baseline.name),
            }),
            Row::Judged(row) => {
                let change = row
                    .change
                    .map_or_else(|| "from 0".to_owned(), units::change);
                let corrected = if self.drift_corrected() {
                    ", drift-corrected"
                } else {
                    ""
                };
                Some(FrameNote {
                    fill: fill(row.verdict, row.change),
                    note: format!(
                        "{} {} → {}, {change} vs {}{corrected}: {}",
                        self.metric.label(),
                        self.metric.format(row.baseline),
                        self.metric.format(row.current),
                        self.comparison.baseline.name,
                        row.verdict.word()
                    ),
                })
            }
        }
    }
}

/// Red for a regression, blue for an improvement, deeper the larger the
/// change (full at ±50%); grey otherwise.
fn fill(verdict: Verdict, change: Option<f64>) -> [u8; 3] {
    let depth = change.map_or(1.0, |c| (c.abs() / 0.5).min(1.0).sqrt());
    let light = (215.0 - 120.0 * depth).round() as u8;
    match verdict {
        Verdict::Regressed => [255, light, light],
        Verdict::Improved => [light, light, 255],
        _ => UNCHANGED,
    }
}

/// The default file name of a picture: `flamegraph-time.svg`, or
/// `flamegraph-time-diff-main.svg` against baseline `main`.
pub(crate) fn file_name(weight: Weight, before: Option<&Before<'_>>) -> String {
    match before {
        Some(before) => format!(
            "flamegraph-{}-diff-{}.svg",
            weight.measure().name(),
            before.file_label()
        ),
        None => format!("flamegraph-{}.svg", weight.measure().name()),
    }
}
