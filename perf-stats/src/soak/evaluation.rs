//! Known answers for the soak verdict: generated heap timelines, recorded
//! as the runtime records them (samples every 100 ms and the low-water
//! marks between), with a known growth under sawtooth noise, and how often
//! each is called growing, with Clopper–Pearson 95% intervals ([`table`];
//! [`beating_table`] for teeth whose length beats with the samples), and
//! why the floor has 10 points ([`stretches`]): the tables `docs/soak.md`
//! quotes.
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

/// Teeth of one length, `seconds`, near a whole number of the 100 ms
/// between samples: their troughs fall a little later (or earlier) after a
/// sample at each tooth, so the samples beat with them.
const fn beating(seconds: f64) -> Teeth {
    Teeth {
        seconds: (seconds, seconds),
        mib: (0.5, 8.0),
    }
}

fn between(rng: &mut Rng, (low, high): (f64, f64)) -> f64 {
    low + (high - low) * rng.uniform()
}

/// A generated soak as the runtime records it: the samples, and the lows
/// between them.
struct Soak {
    /// The live heap every 100 ms.
    samples: Vec<HeapPoint>,
    /// The least live heap between two samples, at its time, where it is
    /// below the earlier sample (as the runtime's sampler notes the
    /// low-water mark of `PerfAlloc`).
    lows: Vec<HeapPoint>,
}

impl Soak {
    /// The timeline of `run.json`: samples and lows, by time.
    fn timeline(&self) -> Vec<HeapPoint> {
        let mut timeline: Vec<HeapPoint> = self.samples.iter().chain(&self.lows).copied().collect();
        timeline.sort_by_key(|p| p.t_ns);
        timeline
    }
}

/// `seconds` of live heap as the runtime records it: 32 MiB kept,
/// `growth` MiB a minute more, a tooth of `teeth` at a random phase, and
/// up to 128 KiB in flight. Each tooth holds at least some in flight, up
/// to 128 KiB, drawn afresh per tooth: its least, held at its trough (the
/// tooth just cleared), which is so the tooth's low. A sample every
/// 100 ms, with a draw between its tooth's least and 128 KiB in flight;
/// between two samples the least the heap held, at the trough when one
/// falls in between (a point when below the earlier sample, as the
/// runtime's sampler notes `PerfAlloc`'s low-water mark). When no trough
/// falls in between, the least is just after the earlier sample and no
/// lower than its tooth's trough: no point.
fn series_of(rng: &mut Rng, seconds: u64, growth: f64, teeth: Teeth) -> Soak {
    const IN_FLIGHT: f64 = 128.0 * 1024.0;
    let period = between(rng, teeth.seconds);
    let height = between(rng, teeth.mib) * MIB;
    let phase = between(rng, (0.0, period));
    let kept = |t: f64| 32.0 * MIB + growth * MIB * t / 60.0;
    let tooth = |t: f64| height * ((t + phase) / period).fract();
    let at = |t: f64, bytes: f64| HeapPoint::new((t * 1e9).round() as u64, bytes as u64);
    let mut soak = Soak {
        samples: Vec::new(),
        lows: Vec::new(),
    };
    // The least in flight over the tooth of the latest sample.
    let mut least = between(rng, (0.0, IN_FLIGHT));
    let mut previous: Option<(f64, f64)> = None;
    for i in 0..seconds * 10 {
        let t = i as f64 / 10.0;
        if let Some((before, sampled)) = previous {
            let trough = ((t + phase) / period).floor() * period - phase;
            if trough > before {
                least = between(rng, (0.0, IN_FLIGHT));
                let low = kept(trough) + least;
                if low < sampled {
                    soak.lows.push(at(trough, low));
                }
            }
        }
        let bytes = kept(t) + tooth(t) + between(rng, (least, IN_FLIGHT));
        soak.samples.push(at(t, bytes));
        previous = Some((t, bytes));
    }
    soak
}

/// Whether the soak's verdict calls `timeline` growing.
fn called_growing(timeline: &[HeapPoint]) -> bool {
    let fitted = super::fit(timeline, 0).expect("a fit of many samples");
    super::verdict(&fitted.slope, 0.0) == Growth::Growing
}

/// The same verdict on a line through every sample, not the floor: what
/// the sawtooth does to it.
fn naive_called_growing(samples: &[HeapPoint]) -> bool {
    let points: Vec<(f64, f64)> = samples
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

/// How many of `n` series of `growth` of `kind` are called growing: by
/// the verdict, by the verdict on the samples alone (each stretch's floor
/// its lowest sample, as before the runtime noted lows), and by a line
/// through every sample (if asked: 0 if not).
fn run(growth: f64, kind: Kind, seed: u64, n: usize, naive: bool) -> [usize; 3] {
    let mut rng = Rng::new(seed);
    let mut called = [0; 3];
    for _ in 0..n {
        let soak = series_of(&mut rng, kind.seconds, growth, kind.teeth);
        called[0] += usize::from(called_growing(&soak.timeline()));
        called[1] += usize::from(called_growing(&soak.samples));
        if naive {
            called[2] += usize::from(naive_called_growing(&soak.samples));
        }
    }
    called
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
pub const HEADER: [&str; 5] = [
    "soak",
    "growth",
    "called growing (the verdict)",
    "the lowest sample a stretch",
    "a line through every sample",
];

/// Series per row of the docs' tables.
pub const DOCS_SERIES: usize = 1_000;

/// The evaluation as the docs quote it: `series` soaks of each kind and
/// growth, row k from `seed + k`, recorded as the runtime does (a sample
/// every 100 ms and the lows between) with no warm-up; per row how often
/// the verdict calls them growing, how often it would on the samples
/// alone (the floor of each stretch its lowest sample), and how often a
/// line through every sample would.
pub fn table(series: usize, seed: u64) -> Table {
    let mut table = Table::new(&HEADER);
    let mut row = 0;
    for (label, kind) in KINDS {
        for growth in GROWTHS {
            let called = run(growth, kind, seed + row, series, true);
            row += 1;
            let mut cells = vec![
                Cell::Text(label.to_owned()),
                Cell::Text(format!("{growth} MiB/min")),
            ];
            cells.extend(called.map(|hits| Cell::Rate(Rate::new(hits, series))));
            table.rows.push(cells);
        }
    }
    table
}

/// 30 s soaks under teeth that beat with the samples, by how their period
/// beats: their troughs fall 3 ms later, or earlier, after a sample at each
/// tooth.
const BEATING: [(&str, Kind); 2] = [
    (
        "30 s, teeth 0.997 s",
        Kind {
            seconds: 30,
            teeth: beating(0.997),
        },
    ),
    (
        "30 s, teeth 1.003 s",
        Kind {
            seconds: 30,
            teeth: beating(1.003),
        },
    ),
];

/// The growths generated under teeth that beat with the samples, in MiB
/// per minute.
pub const BEATING_GROWTHS: [f64; 2] = [0.0, 2.0];

/// The columns of [`beating_table`].
pub const BEATING_HEADER: [&str; 4] = [
    "soak",
    "growth",
    "called growing (the verdict)",
    "the lowest sample a stretch",
];

/// Series per row of the docs' table of teeth that beat with the samples:
/// enough to tell a false alarm rate of 2.5% from 2.33%, give or take
/// 0.3%.
pub const BEATING_SERIES: usize = 10_000;

/// The seed of the first row of the docs' table of beating teeth.
pub const BEATING_SEED: u64 = SEED + 200;

/// The evaluation under teeth that beat with the samples: `series` soaks
/// of each and of each of [`BEATING_GROWTHS`], row k from `seed + k`; per
/// row how often the verdict calls them growing, and how often it would on
/// the samples alone (the floor before the runtime noted lows).
pub fn beating_table(series: usize, seed: u64) -> Table {
    let mut table = Table::new(&BEATING_HEADER);
    let mut row = 0;
    for (label, kind) in BEATING {
        for growth in BEATING_GROWTHS {
            let [verdict, lowest, _] = run(growth, kind, seed + row, series, false);
            row += 1;
            table.rows.push(vec![
                Cell::Text(label.to_owned()),
                Cell::Text(format!("{growth} MiB/min")),
                Cell::Rate(Rate::new(verdict, series)),
                Cell::Rate(Rate::new(lowest, series)),
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
                        let soak = series_of(&mut rng, kind.seconds, *growth, kind.teeth);
                        let floor = super::floor(&soak.timeline(), 0, blocks);
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
        docs::hold_prose(DOCS, &measured, NOMINAL);
    }

    #[test]
    #[ignore = "20 s in release: run by .ci/run"]
    fn the_docs_stretches_table_is_the_evaluation() {
        let measured = stretches(DOCS_SERIES, STRETCHES_SEED);
        docs::hold_table(DOCS, &measured);
        docs::hold_prose(DOCS, &measured, NOMINAL);
    }

    /// Levels, not measurements, that the prose after the tables quotes:
    /// the interval's tail a side (2.33% exact for 10 floors, 2.5% asked)
    /// and the fresh figures' level.
    const NOMINAL: &[&str] = &["2.33%", "2.5%", "99.9%"];

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
        docs::hold_figures(
            DOCS,
            &beating_table(FRESH_SERIES, BEATING_SEED + 1_000),
            0.999,
        );
    }

    /// Series a row of the fresh evaluation.
    const FRESH_SERIES: usize = 60;

    #[test]
    #[ignore = "10 s in release: run by .ci/run"]
    fn the_docs_beating_table_is_the_evaluation() {
        let measured = beating_table(BEATING_SERIES, BEATING_SEED);
        docs::hold_table(DOCS, &measured);
        docs::hold_prose(DOCS, &measured, NOMINAL);
    }

    /// The docs' beating row of `label` at `growth`: how often the verdict
    /// calls it growing and how often it would on the samples alone.
    fn beating_row(label: &str, growth: f64) -> [Rate; 2] {
        // Built once for every test that reads it (40 000 soaks).
        static TABLE: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
        let table = TABLE.get_or_init(|| beating_table(BEATING_SERIES, BEATING_SEED));
        let row = table
            .rows
            .iter()
            .find(|row| {
                row[0] == Cell::Text(label.to_owned())
                    && row[1] == Cell::Text(format!("{growth} MiB/min"))
            })
            .expect("a row of the table");
        [row[2].rates()[0], row[3].rates()[0]]
    }

    #[test]
    fn a_sawtooth_that_beats_with_the_samples_is_level() {
        // Troughs 3 ms later after a sample at each tooth: the lowest
        // samples of the stretches rise through the soak, the true lows do
        // not. The docs' figures, 10 000 series a row.
        let [verdict, lowest_sample] = beating_row("30 s, teeth 0.997 s", 0.0);
        assert!(verdict.share() <= 0.025, "{verdict}");
        assert!(lowest_sample.share() > 0.2, "{lowest_sample}");
        let [verdict, _] = beating_row("30 s, teeth 1.003 s", 0.0);
        assert!(verdict.share() <= 0.025, "{verdict}");
    }

    #[test]
    fn two_mib_a_minute_is_found_in_30_s() {
        for label in ["30 s, teeth 0.997 s", "30 s, teeth 1.003 s"] {
            let [verdict, _] = beating_row(label, 2.0);
            assert!(verdict.share() >= 0.95, "{label}: {verdict}");
        }
        // Under teeth of 0.2–3 s: the docs' row (the fourth: 2 MiB a minute).
        let called = run(2.0, KINDS[0].1, SEED + 3, DOCS_SERIES, false);
        let verdict = Rate::new(called[0], DOCS_SERIES);
        assert!(verdict.share() >= 0.95, "{verdict}");
    }
}
