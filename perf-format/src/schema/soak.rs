//! `perf-soak/1`: what `cargo perf soak` finds, written as `soak.json`
//! beside the soaked run's `run.json` and printed by `--format json`.
//!
//! Sizes are in bytes, times in nanoseconds since the session started,
//! slopes in bytes per minute.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::files::Document;

/// The schema tag of `soak.json`.
pub const SOAK_SCHEMA: &str = "perf-soak/1";

/// One soak: the program run once, its heap's growth and the verdict.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Soak {
    /// Always [`SOAK_SCHEMA`].
    pub schema: String,
    /// The id of the run soaked (its directory under `runs/`).
    pub run: String,
    /// The program's command line.
    pub command: Vec<String>,
    /// The load command run alongside, if any (run by `sh -c`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<String>,
    /// How the program ended.
    pub ended: Ending,
    /// How long the soak was asked to last.
    pub duration_ns: u64,
    /// The start of the run left out of the fit.
    pub warmup_ns: u64,
    /// Growth per minute below which a heap shown to grow less is stable.
    pub threshold_bytes_per_min: f64,
    /// The heap at the session's finish, at its peak, and when the peak was.
    pub heap: HeapFigures,
    /// The fit of the heap's floor after the warm-up.
    pub fit: Fit,
    /// Stable or growing.
    pub verdict: Growth,
    /// When growing: the functions that kept the most bytes per call, most
    /// first (at most five, each keeping more than zero); empty when stable.
    pub suspects: Vec<Suspect>,
}

/// How the soaked program ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Ending {
    /// It exited by itself, successfully, before the duration was up.
    #[default]
    Exited,
    /// The duration was up and it finished its session when stopped by
    /// `signal` (`SIGINT`, else `SIGTERM` after the grace period).
    Stopped {
        /// The signal it ended on.
        signal: String,
    },
}

/// The heap's figures of the run, from `run.json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeapFigures {
    /// Bytes live when the session finished.
    pub live_bytes: u64,
    /// The most bytes live at once.
    pub peak_bytes: u64,
    /// When the peak was first reached.
    pub peak_at_ns: u64,
}

/// The Theil–Sen fit of the heap's floor: each of `blocks` equal blocks of
/// the timeline after the warm-up gives its lowest point (with the
/// timeline's low-water marks, the least the heap held in the block).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Fit {
    /// Timeline points after the warm-up (samples, and the peaks and
    /// low-water marks between them).
    pub samples: usize,
    /// The blocks the window is cut into.
    pub blocks: usize,
    /// The floor points fitted (blocks that held a point), oldest first.
    pub floor: Vec<FloorPoint>,
    /// The Theil–Sen slope of the floor.
    pub slope_bytes_per_min: f64,
    /// The lower bound of its interval (Sen's, from the quantiles of
    /// Kendall's S); `null` when the points are too few to bound it.
    pub lower_bytes_per_min: Option<f64>,
    /// The upper bound of its interval; `null` when unbounded.
    pub upper_bytes_per_min: Option<f64>,
    /// The interval's confidence as asked (0.95); its coverage is at least
    /// this (95.34% for 10 floor points).
    pub confidence: f64,
}

/// One floor point: a block's lowest live heap and when it was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FloorPoint {
    /// When, since the session started.
    pub t_ns: u64,
    /// Bytes live then.
    pub live_bytes: u64,
}

/// The soak's verdict: one of two, for good (a third would be a new schema).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Growth {
    /// No growth shown, or growth shown to stay below the threshold (exit 0).
    #[default]
    Stable,
    /// The floor rises with confidence and may reach the threshold (exit 1).
    Growing,
}

/// A function that kept bytes: what its calls allocated and did not free.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Suspect {
    /// The function.
    pub function: String,
    /// Its calls in the run.
    pub calls: u64,
    /// Bytes per call allocated in the call (callees included) and not
    /// freed by its end.
    pub net_bytes_per_call: f64,
    /// Those bytes over all its calls.
    pub net_bytes: f64,
}

impl Soak {
    /// A soak of run `run`, ended as `ended`, with `fit` and `verdict`;
    /// no suspects yet.
    pub fn new(run: impl Into<String>, ended: Ending, fit: Fit, verdict: Growth) -> Soak {
        Soak {
            schema: SOAK_SCHEMA.to_owned(),
            run: run.into(),
            ended,
            fit,
            verdict,
            ..Soak::default()
        }
    }
}

impl HeapFigures {
    /// `live_bytes` at the finish, `peak_bytes` at most, first at `peak_at_ns`.
    pub fn new(live_bytes: u64, peak_bytes: u64, peak_at_ns: u64) -> HeapFigures {
        HeapFigures {
            live_bytes,
            peak_bytes,
            peak_at_ns,
        }
    }
}

impl FloorPoint {
    /// `live_bytes` at `t_ns`.
    pub fn new(t_ns: u64, live_bytes: u64) -> FloorPoint {
        FloorPoint { t_ns, live_bytes }
    }
}

impl Suspect {
    /// `function`, called `calls` times, keeping `net_bytes_per_call`.
    pub fn new(function: impl Into<String>, calls: u64, net_bytes_per_call: f64) -> Suspect {
        Suspect {
            function: function.into(),
            calls,
            net_bytes_per_call,
            net_bytes: net_bytes_per_call * calls as f64,
        }
    }
}

impl Document for Soak {
    const SCHEMAS: &'static [&'static str] = &[SOAK_SCHEMA];

    /// The run's id must name a directory.
    fn validate(&self, path: &Path) -> Result<(), Error> {
        match crate::layout::name_problem(&self.run) {
            Some(reason) => Err(Error::invalid(
                path,
                format!("its run {:?} cannot name a file: {reason}", self.run),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_soak_keeps_its_documented_json() {
        let fit = Fit {
            samples: 300,
            blocks: 10,
            floor: vec![FloorPoint::new(0, 1024)],
            slope_bytes_per_min: 2048.0,
            lower_bytes_per_min: Some(1024.0),
            upper_bytes_per_min: None,
            confidence: 0.95,
        };
        let mut soak = Soak::new(
            "r",
            Ending::Stopped {
                signal: "SIGINT".to_owned(),
            },
            fit,
            Growth::Growing,
        );
        soak.suspects = vec![Suspect::new("cache::remember", 10, 192.0)];
        let json = serde_json::to_value(&soak).unwrap();
        assert_eq!(json["schema"], SOAK_SCHEMA);
        assert_eq!(json["ended"]["how"], "stopped");
        assert_eq!(json["ended"]["signal"], "SIGINT");
        assert_eq!(json["verdict"], "growing");
        assert_eq!(json["fit"]["upper_bytes_per_min"], serde_json::Value::Null);
        assert_eq!(json["suspects"][0]["net_bytes"], 1920.0);
        assert_eq!(serde_json::from_value::<Soak>(json).unwrap(), soak);
        let exited = serde_json::to_value(Ending::Exited).unwrap();
        assert_eq!(exited, serde_json::json!({"how": "exited"}));
    }
}
