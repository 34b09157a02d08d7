//! A program with 300 instrumented functions, each holding 0.1–1% of the
//! time: `wide [--slow fNNN[:PCT]] [--whole PCT] [--broad SHARE:PCT]
//! [--outliers PCT] [--shares]` calls every
//! function 60 times, round after round, inside a perf session (writing a
//! run under `$PERF_DIR`, about 0.3 s), and prints the summary. It is the
//! gate-quality benchmark's program with many tests: one gate over 300
//! functions must not raise more false alarms than one over five.
//!
//! Function `fNNN` does `12 + 88·u³` weight units of work per call, where
//! `u = (7·NNN mod 300) / 299`: weights from 12 to 100, 34 on average, so
//! the shares run from 0.12% to 0.98% of the time. `f257` is the largest.
//! `--slow fNNN:PCT` gives one function PCT% more work (10 by default),
//! `--whole PCT` every function, and `--broad SHARE:PCT` the functions of
//! a shared helper: SHARE% of them (a multiple of 10: those whose `NNN`
//! ends in a digit below SHARE/10, about SHARE% of the time too, as
//! `--shares` shows). `--outliers PCT` hits each function in each run with
//! probability PCT% by an outlier: 10–50% more work in all its calls of
//! that run (drawn anew in every run, from the clock and the process id).
//! `--shares` prints each function's share of the work, and the shared
//! helper's, instead of running.

use std::hint::black_box;
use std::process::ExitCode;

use perf_e2e::service::{more_work, spin};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// Calls of each function per run.
const ROUNDS: u64 = 60;
/// Spin rounds per weight unit.
const UNIT: u64 = 220;

macro_rules! functions {
    ($($name:ident)*) => {
        $(
            #[perf_core::profile]
            fn $name(units: u64, seed: u64) -> u64 {
                spin(units, seed)
            }
        )*

        /// Every function with its name, in the order `NNN`.
        const FUNCTIONS: &[(&str, fn(u64, u64) -> u64)] = &[$((stringify!($name), $name)),*];
    };
}

functions! {
    f000 f001 f002 f003 f004 f005 f006 f007 f008 f009 f010 f011 f012 f013 f014
    f015 f016 f017 f018 f019 f020 f021 f022 f023 f024 f025 f026 f027 f028 f029
    f030 f031 f032 f033 f034 f035 f036 f037 f038 f039 f040 f041 f042 f043 f044
    f045 f046 f047 f048 f049 f050 f051 f052 f053 f054 f055 f056 f057 f058 f059
    f060 f061 f062 f063 f064 f065 f066 f067 f068 f069 f070 f071 f072 f073 f074
    f075 f076 f077 f078 f079 f080 f081 f082 f083 f084 f085 f086 f087 f088 f089
    f090 f091 f092 f093 f094 f095 f096 f097 f098 f099 f100 f101 f102 f103 f104
    f105 f106 f107 f108 f109 f110 f111 f112 f113 f114 f115 f116 f117 f118 f119
    f120 f121 f122 f123 f124 f125 f126 f127 f128 f129 f130 f131 f132 f133 f134
    f135 f136 f137 f138 f139 f140 f141 f142 f143 f144 f145 f146 f147 f148 f149
    f150 f151 f152 f153 f154 f155 f156 f157 f158 f159 f160 f161 f162 f163 f164
    f165 f166 f167 f168 f169 f170 f171 f172 f173 f174 f175 f176 f177 f178 f179
    f180 f181 f182 f183 f184 f185 f186 f187 f188 f189 f190 f191 f192 f193 f194
    f195 f196 f197 f198 f199 f200 f201 f202 f203 f204 f205 f206 f207 f208 f209
    f210 f211 f212 f213 f214 f215 f216 f217 f218 f219 f220 f221 f222 f223 f224
    f225 f226 f227 f228 f229 f230 f231 f232 f233 f234 f235 f236 f237 f238 f239
    f240 f241 f242 f243 f244 f245 f246 f247 f248 f249 f250 f251 f252 f253 f254
    f255 f256 f257 f258 f259 f260 f261 f262 f263 f264 f265 f266 f267 f268 f269
    f270 f271 f272 f273 f274 f275 f276 f277 f278 f279 f280 f281 f282 f283 f284
    f285 f286 f287 f288 f289 f290 f291 f292 f293 f294 f295 f296 f297 f298 f299
}

/// Weight units of work per call of function `index`.
fn weight(index: usize) -> u64 {
    let u = ((7 * index) % FUNCTIONS.len()) as f64 / (FUNCTIONS.len() - 1) as f64;
    (12.0 + 88.0 * u.powi(3)).round() as u64
}

/// What to change.
#[derive(Debug, Default)]
struct Knobs {
    /// The function to slow down, by index, and by how many percent.
    slow: Option<(usize, f64)>,
    /// Percent more work for every function.
    whole: f64,
    /// The shared helper's functions (a tenth of them per 10% of SHARE),
    /// and how many percent more work they get.
    broad: Option<(usize, f64)>,
    /// Percent of (function, run) pairs hit by an outlier.
    outliers: f64,
    /// Print the shares instead of running.
    shares: bool,
}

impl Knobs {
    fn from_args(args: impl IntoIterator<Item = String>) -> Result<Knobs, String> {
        let mut knobs = Knobs::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--slow" => {
                    let (name, percent) = perf_e2e::service::slow_knob(&value()?)?;
                    let name = name.trim_start_matches("wide::");
                    let index = FUNCTIONS
                        .iter()
                        .position(|(n, _)| *n == name)
                        .ok_or(format!("no function {name:?}: f000 to f299"))?;
                    knobs.slow = Some((index, percent));
                }
                "--whole" => {
                    knobs.whole = perf_e2e::service::percent_knob(&value()?)
                        .map_err(|e| format!("--whole: {e}"))?;
                }
                "--broad" => {
                    let text = value()?;
                    let (share, percent) = text
                        .split_once(':')
                        .ok_or(format!("--broad {text:?}: give SHARE:PCT, as in 60:10"))?;
                    let tenths = share
                        .parse::<usize>()
                        .ok()
                        .filter(|s| s % 10 == 0 && *s <= 100)
                        .ok_or(format!("--broad {text:?}: SHARE is 0, 10, … or 100"))?;
                    let percent = perf_e2e::service::percent_knob(percent)
                        .map_err(|e| format!("--broad: {e}"))?;
                    knobs.broad = Some((tenths / 10, percent));
                }
                "--outliers" => {
                    knobs.outliers = perf_e2e::service::percent_knob(&value()?)
                        .ok()
                        .filter(|p| *p <= 100.0)
                        .ok_or("--outliers: give a percentage up to 100".to_owned())?;
                }
                "--shares" => knobs.shares = true,
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(knobs)
    }

    /// Whether function `index` calls the shared helper.
    fn shares_helper(&self, index: usize) -> bool {
        self.broad.is_some_and(|(tenths, _)| index % 10 < tenths)
    }

    /// Spin rounds per call of function `index`.
    fn units(&self, index: usize) -> u64 {
        let mut units = more_work(weight(index) * UNIT, self.whole);
        if let Some((_, percent)) = self.broad.filter(|_| self.shares_helper(index)) {
            units = more_work(units, percent);
        }
        match self.slow {
            Some((slow, percent)) if slow == index => more_work(units, percent),
            _ => units,
        }
    }

    /// `units` with this run's outliers: each function hit with
    /// probability [`Knobs::outliers`], by 10–50% more work.
    fn with_outliers(&self, mut units: Vec<u64>) -> Vec<u64> {
        if self.outliers == 0.0 {
            return units;
        }
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let mut state = clock ^ u64::from(std::process::id()).rotate_left(32);
        let mut uniform = || {
            state = spin(1, state);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for units in &mut units {
            if uniform() < self.outliers / 100.0 {
                *units = more_work(*units, 10.0 + 40.0 * uniform());
            }
        }
        units
    }
}

fn main() -> ExitCode {
    let knobs = match Knobs::from_args(std::env::args().skip(1)) {
        Ok(knobs) => knobs,
        Err(why) => {
            eprintln!(
                "error: {why}\nusage: wide [--slow fNNN[:PCT]] [--whole PCT] [--broad SHARE:PCT] [--outliers PCT] [--shares]"
            );
            return ExitCode::from(2);
        }
    };
    if knobs.shares {
        let total: u64 = (0..FUNCTIONS.len()).map(weight).sum();
        for (index, (name, _)) in FUNCTIONS.iter().enumerate() {
            println!(
                "wide::{name} {:.3}%",
                100.0 * weight(index) as f64 / total as f64
            );
        }
        if knobs.broad.is_some() {
            let (helper, functions) = (0..FUNCTIONS.len())
                .filter(|&i| knobs.shares_helper(i))
                .fold((0, 0), |(w, n), i| (w + weight(i), n + 1));
            println!(
                "the shared helper: {functions} functions, {:.1}% of the work",
                100.0 * helper as f64 / total as f64
            );
        }
        return ExitCode::SUCCESS;
    }
    let units = knobs.with_outliers((0..FUNCTIONS.len()).map(|i| knobs.units(i)).collect());
    perf_e2e::run_in_session("wide", || {
        let mut seed = 1u64;
        for _ in 0..ROUNDS {
            for ((_, function), &units) in FUNCTIONS.iter().zip(&units) {
                seed = function(units, seed);
            }
        }
        black_box(seed);
    })
}
