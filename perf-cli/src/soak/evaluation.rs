//! Known answers for the soak verdict: generated heap timelines with a
//! known growth under sawtooth noise, and how often each is called
//! growing, with Clopper–Pearson 95% intervals. The table in
//! `docs/soak.md` is printed by
//! `cargo test --release -p perf-cli --lib soak::evaluation -- --ignored --nocapture`
//! (with `stretches`, which says why the floor has 10 points);
//! `generous_bounds_hold` checks the main rows, fewer series each, on every
//! test run (the generator is seeded, so it cannot flake).

use perf_format::schema::run::HeapPoint;

use super::fit::{self, Growth};
use crate::history::detect::evaluation::{Rng, rate};
use crate::probability::clopper_pearson;

/// The seed of the first row; row k uses `SEED + k`.
const SEED: u64 = 0x5EED_0015;
const MIB: f64 = 1024.0 * 1024.0;
/// The growths generated, in MiB per minute.
const GROWTHS: [f64; 5] = [0.0, 0.5, 1.0, 2.0, 5.0];

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
fn series(rng: &mut Rng, seconds: u64, growth: f64, teeth: Teeth) -> Vec<HeapPoint> {
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
    let fitted = fit::fit(timeline, 0).expect("a fit of many samples");
    fit::verdict(&fitted.slope, 0.0) == Growth::Growing
}

/// The same verdict on a line through every sample, not the floor: what
/// the sawtooth does to it.
fn naive_called_growing(timeline: &[HeapPoint]) -> bool {
    let points: Vec<(f64, f64)> = timeline
        .iter()
        .map(|p| (p.t_ns as f64, p.live_bytes as f64))
        .collect();
    let slope = fit::theil_sen(&points, fit::CONFIDENCE).expect("pairs");
    fit::verdict(&slope, 0.0) == Growth::Growing
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
        let timeline = series(&mut rng, kind.seconds, growth, kind.teeth);
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

#[test]
fn generous_bounds_hold() {
    const SERIES: usize = 100;
    let (_, short) = KINDS[0];
    for (k, growth) in GROWTHS.iter().enumerate() {
        let (called, _) = run(*growth, short, SEED + k as u64, SERIES, false);
        let least = match *growth {
            0.0 => {
                // The interval's 2.5% of false alarms, with room.
                assert!(called <= 6, "{called}/{SERIES} false alarms");
                continue;
            }
            0.5 => 40,
            1.0 => 80,
            _ => 95,
        };
        assert!(called >= least, "{growth} MiB/min: {called}/{SERIES}");
    }
    assert_eq!(clopper_pearson(SERIES, SERIES).1, 1.0);
}

#[test]
#[ignore = "the evaluation table of docs/soak.md; run in release"]
fn evaluation() {
    const SERIES: usize = 1_000;
    println!(
        "{SERIES} series per row, seed {SEED:#x} (+ row number), sampled every 100 ms, no warm-up\n\n\
         | soak | growth | called growing (the verdict) | a line through every sample |\n\
         |---|---|---|---|"
    );
    let mut reliable = Vec::new();
    let mut row = 0;
    for (label, kind) in KINDS {
        let mut smallest = None;
        for growth in GROWTHS {
            let (floor, every) = run(growth, kind, SEED + row, SERIES, true);
            row += 1;
            if smallest.is_none() && growth > 0.0 && floor * 100 >= 95 * SERIES {
                smallest = Some(growth);
            }
            println!(
                "| {label} | {growth} MiB/min | {} | {} |",
                rate(floor, SERIES),
                rate(every, SERIES)
            );
        }
        reliable.push((label, smallest));
    }
    println!();
    for (label, smallest) in reliable {
        match smallest {
            Some(growth) => println!(
                "{label}: the smallest growth called growing in ≥ 95% of series: {growth} MiB/min"
            ),
            None => println!("{label}: no growth generated is called in ≥ 95% of series"),
        }
    }
}

#[test]
#[ignore = "why 10 stretches (docs/soak.md); run in release"]
fn stretches() {
    const SERIES: usize = 1_000;
    const GROWTHS: [f64; 2] = [0.0, 1.0];
    println!(
        "{SERIES} series per cell, seed {:#x} (+ row number); called growing at 0 and 1 MiB/min\n\n\
         | stretches | 30 s, teeth 0.2–3 s | 30 s, teeth 3–6 s |\n|---|---|---|",
        SEED + 100
    );
    for blocks in [6, 8, 10, 12, 15, 20, 30] {
        let mut cells = Vec::new();
        for (k, (_, kind)) in KINDS[..2].iter().enumerate() {
            let mut called = Vec::new();
            for (g, growth) in GROWTHS.iter().enumerate() {
                let mut rng = Rng::new(SEED + 100 + (2 * k + g) as u64);
                let hits = (0..SERIES)
                    .filter(|_| {
                        let timeline = series(&mut rng, kind.seconds, *growth, kind.teeth);
                        let floor = fit::floor(&timeline, 0, blocks);
                        let slope = fit::theil_sen(&floor, fit::CONFIDENCE).expect("pairs");
                        fit::verdict(&slope, 0.0) == Growth::Growing
                    })
                    .count();
                called.push(format!("{:.1}%", 100.0 * hits as f64 / SERIES as f64));
            }
            cells.push(called.join(" / "));
        }
        println!("| {blocks} | {} | {} |", cells[0], cells[1]);
    }
}
