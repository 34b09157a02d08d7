//! Known answers for the soak verdict: generated heap timelines with a
//! known growth under sawtooth noise, and how often each is called
//! growing, with Clopper–Pearson 95% intervals ([`table`]), and why the
//! floor has 10 points ([`stretches`]): the tables `docs/soak.md` quotes.
//! Its tests hold the docs to them: each quoted figure against the interval
//! of an evaluation on fresh seeds on every test run, the whole tables
//! exactly in release (`PERF_BLESS=1` writes the tables measured into the
//! docs).

use perf_format::schema::run::HeapPoint;

use super::Growth;
use crate::evaluation::{Cell, Rate, Table};
use crate::random::Rng;

/// The seed of the first row; row k uses `SEED + k`.
pub const SEED: u64 = 0x5EED_0015;
const MIB: f64 = 1024.0 * 1024.0;
/// The growths generated, in MiB per minute.
pub const GROWTHS: [f64; 5] = [0.0, 0.5, 1.0, 2.0, 5.0];

/// The sawtooth noise of a series: a buffer that fills linearly over a
/// tooth and is cleared, its length and height drawn per series.
#[derive(Clone, Copy, Debug)]
struct Teeth {
    /// Shortest and longest tooth, in s.
    seconds: (f64, f64),
    /// Lowest and highest tooth, in MiB.
    mib: (f64, f64),
}

/// Teeth that a block (3 s of a 30 s soak) always holds one of.
const SHORT_TEETH: Teeth = Teeth {
    seconds: (0.2, 3.0),
    mib: (0.5, 8.0),
};
/// Teeth longer than a block.
const LONG_TEETH: Teeth = Teeth {
    seconds: (3.0, 6.0),
    mib: (0.5, 8.0),
};

fn between(rng: &mut Rng, (low, high): (f64, f64)) -> f64 {
    low + (high - low) * rng.uniform()
}

/// `seconds` of live heap sampled every 100 ms, as the runtime's
/// timeline: 32 MiB kept, `growth` MiB a minute more, a tooth of `teeth`
/// at a random phase, and up to 128 KiB in flight at each sample.
fn series_of(rng: &mut Rng, seconds: u64, growth: f64, teeth: Teeth) -> Vec<HeapPoint> {
    let period = between(rng, teeth.seconds);
    let height = between(rng, teeth.mib) * MIB;
    let phase = between(rng, (0.0, period));
    (0..seconds * 10)
        .map(|i| {
            let t = i as f64 / 10.0;
            let bytes = 32.0 * MIB
                + growth * MIB * t / 60.0
                + height * ((t + phase) / period).fract()
                + between(rng, (0.0, 128.0 * 1024.0));
            HeapPoint::new(i * 100_000_000, bytes as u64)
        })
        .collect()
}

/// Whether the soak's verdict calls `timeline` growing.
fn called_growing(timeline: &[HeapPoint]) -> bool {
    let fitted = super::fit(timeline, 0).expect("a fit of many samples");
    super::verdict(&fitted.slope, 0.0) == Growth::Growing
}

/// The same verdict on a line through every sample, not the floor: what
/// the sawtooth does to it.
fn naive_called_growing(timeline: &[HeapPoint]) -> bool {
    let points: Vec<(f64, f64)> = timeline
        .iter()
        .map(|p| (p.t_ns as f64, p.live_bytes as f64))
        .collect();
    let slope = super::growth(&points).expect("pairs");
    super::verdict(&slope, 0.0) == Growth::Growing
}

/// A kind of series: its length and its teeth.
#[derive(Clone, Copy, Debug)]
struct Kind {
    seconds: u64,
    teeth: Teeth,
}

/// How many of `n` series of `growth` of `kind` each verdict calls
/// growing: (the soak's, the naive one's if asked).
fn run(growth: f64, kind: Kind, seed: u64, n: usize, naive: bool) -> (usize, usize) {
    let mut rng = Rng::new(seed);
    let (mut floor, mut every) = (0, 0);
    for _ in 0..n {
        let timeline = series_of(&mut rng, kind.seconds, growth, kind.teeth);
        floor += usize::from(called_growing(&timeline));
        if naive {
            every += usize::from(naive_called_growing(&timeline));
        }
    }
    (floor, every)
}

/// The soaks of the evaluation: 30 s under short teeth, 30 s under long
/// ones, 60 s under long ones.
const KINDS: [(&str, Kind); 3] = [
    (
        "30 s, teeth 0.2–3 s",
        Kind {
            seconds: 30,
            teeth: SHORT_TEETH,
        },
    ),
    (
        "30 s, teeth 3–6 s",
        Kind {
            seconds: 30,
            teeth: LONG_TEETH,
        },
    ),
    (
        "60 s, teeth 3–6 s",
        Kind {
            seconds: 60,
            teeth: LONG_TEETH,
        },
    ),
];

/// The columns of [`table`].
pub const HEADER: [&str; 4] = [
    "soak",
    "growth",
    "called growing (the verdict)",
    "a line through every sample",
];

/// Series per row of the docs' tables.
pub const DOCS_SERIES: usize = 1_000;

/// The evaluation as the docs quote it: `series` timelines of each soak
/// and growth, row k from `seed + k`, sampled every 100 ms with no
/// warm-up; per row how often the verdict calls them growing, and how
/// often a line through every sample would.
pub fn table(series: usize, seed: u64) -> Table {
    let mut table = Table::new(&HEADER);
    let mut row = 0;
    for (label, kind) in KINDS {
        for growth in GROWTHS {
            let (floor, every) = run(growth, kind, seed + row, series, true);
            row += 1;
            table.rows.push(vec![
                Cell::Text(label.to_owned()),
                Cell::Text(format!("{growth} MiB/min")),
                Cell::Rate(Rate::new(floor, series)),
                Cell::Rate(Rate::new(every, series)),
            ]);
        }
    }
    table
}

/// The stretch counts [`stretches`] tries.
pub const STRETCHES: [usize; 7] = [6, 8, 10, 12, 15, 20, 30];

/// The columns of [`stretches`].
pub const STRETCHES_HEADER: [&str; 3] = ["stretches", "teeth 0.2–3 s", "teeth 3–6 s"];

/// Why 10 stretches: for each number of stretches, the share of `series`
/// 30 s timelines under short and under long teeth called growing at 0
/// and at 1 MiB a minute (cell k of a row from `seed + k`).
pub fn stretches(series: usize, seed: u64) -> Table {
    const GROWTHS: [f64; 2] = [0.0, 1.0];
    let mut table = Table::new(&STRETCHES_HEADER);
    for blocks in STRETCHES {
        let mut row = vec![Cell::Text(blocks.to_string())];
        for (k, (_, kind)) in KINDS[..2].iter().enumerate() {
            let mut called = Vec::new();
            for (g, growth) in GROWTHS.iter().enumerate() {
                let mut rng = Rng::new(seed + (2 * k + g) as u64);
                let hits = (0..series)
                    .filter(|_| {
                        let timeline = series_of(&mut rng, kind.seconds, *growth, kind.teeth);
                        let floor = super::floor(&timeline, 0, blocks);
                        let slope = super::growth(&floor).expect("pairs");
                        super::verdict(&slope, 0.0) == Growth::Growing
                    })
                    .count();
                called.push(Rate::new(hits, series));
            }
            row.push(Cell::Shares(called));
        }
        table.rows.push(row);
    }
    table
}

/// The seed of the first cell of the docs' stretches table.
pub const STRETCHES_SEED: u64 = SEED + 100;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::docs;

    /// The docs page of this evaluation.
    const DOCS: &str = "soak.md";

    #[test]
    #[ignore = "30 s in release: run by .ci/run"]
    fn the_docs_table_is_the_evaluation() {
        let measured = table(DOCS_SERIES, SEED);
        docs::hold_table(DOCS, &measured);
        // The bullets under it quote its rows; 2.5% is the interval's tail.
        docs::hold_prose(DOCS, &measured, &["2.5%", "99.9%"]);
    }

    #[test]
    #[ignore = "20 s in release: run by .ci/run"]
    fn the_docs_stretches_table_is_the_evaluation() {
        let measured = stretches(DOCS_SERIES, STRETCHES_SEED);
        docs::hold_table(DOCS, &measured);
        docs::hold_prose(DOCS, &measured, &["2.5%", "99.9%"]);
    }

    #[test]
    fn the_docs_figures_hold_on_fresh_seeds() {
        // Fewer series a row from other seeds: every figure the docs quote
        // lies within the 99.9% interval of this smaller evaluation.
        docs::hold_figures(DOCS, &table(FRESH_SERIES, SEED + 1_000), 0.999);
        docs::hold_figures(
            DOCS,
            &stretches(FRESH_SERIES, STRETCHES_SEED + 1_000),
            0.999,
        );
    }

    /// Series a row of the fresh evaluation.
    const FRESH_SERIES: usize = 60;
}
