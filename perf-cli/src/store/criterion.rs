//! Reading criterion's `target/criterion` tree into a record, so that
//! `compare` and its gate work on criterion benchmarks too.
//!
//! A benchmark directory holds one folder per sample set: `new/` (the
//! latest run), `base/`, or a name given to `--save-baseline`. Each holds
//! `sample.json` (iteration counts and total times per sample) and, since
//! criterion 0.2.5, `benchmark.json` (the benchmark's id). Both layouts are
//! read: `{"sampling_mode", "iters", "times"}` (0.3.3 and later) and the
//! older `[[iters…], [times…]]`. A sample's value is its time per
//! iteration, `times[i] / iters[i]`, in ns: the data of the statistics.
//! The headline figure is criterion's own (`estimates.json`): the slope
//! when there is one, else the mean, as criterion prints it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;

use perf_format::files;
use perf_format::schema::record::{Estimate, EstimateKind, FunctionSamples, Metric};

use crate::Error;

/// `$CRITERION_HOME`, else `<target dir>/criterion`.
pub(crate) fn default_dir(root: &Path) -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| root.join("target"), PathBuf::from);
    target.join("criterion")
}

/// Every benchmark under `dir` with a `set` sample set (`new` for the
/// latest run), as functions with time-per-iteration samples, sorted by
/// id. With `since`, sample sets written before it are skipped.
pub(crate) fn import(
    dir: &Path,
    set: &str,
    since: Option<SystemTime>,
) -> Result<Vec<FunctionSamples>, Error> {
    if !dir.is_dir() {
        return Err(Error::Criterion {
            path: dir.to_owned(),
            problem: "no such directory: run `cargo bench` (criterion) first, or name the directory holding its results".to_owned(),
        });
    }
    let mut found = BTreeMap::new();
    walk(dir, dir, set, since, &mut found)?;
    if found.is_empty() {
        let when = if since.is_some() {
            " written by this run"
        } else {
            ""
        };
        return Err(Error::Criterion {
            path: dir.to_owned(),
            problem: format!(
                "no criterion benchmarks{when} with a {set:?} sample set (looked for <benchmark>/{set}/sample.json)"
            ),
        });
    }
    Ok(found.into_values().collect())
}

fn walk(
    root: &Path,
    dir: &Path,
    set: &str,
    since: Option<SystemTime>,
    found: &mut BTreeMap<String, FunctionSamples>,
) -> Result<(), Error> {
    let samples_file = dir.join(set).join("sample.json");
    if samples_file.is_file() && is_fresh(&samples_file, since) {
        let id = benchmark_id(root, dir, set)?;
        let values = per_iteration(&samples_file)?;
        let mut function = FunctionSamples::new(id.clone());
        function.samples = BTreeMap::from([(Metric::TimePerCall, values)]);
        function.estimate = typical(&dir.join(set).join("estimates.json"))?;
        found.insert(id, function);
    }
    let entries = std::fs::read_dir(dir).map_err(|e| perf_format::Error::read(dir, e))?;
    let mut children: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    children.sort();
    for child in children {
        let is_sample_set = child.join("sample.json").is_file()
            || child.join("estimates.json").is_file()
            || child.file_name().is_some_and(|n| n == "report");
        if !is_sample_set {
            walk(root, &child, set, since, found)?;
        }
    }
    Ok(())
}

fn is_fresh(path: &Path, since: Option<SystemTime>) -> bool {
    let Some(since) = since else { return true };
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|modified| modified >= since)
}

/// The benchmark's id: `full_id` from `benchmark.json`, else its path.
fn benchmark_id(root: &Path, dir: &Path, set: &str) -> Result<String, Error> {
    #[derive(Deserialize)]
    struct Benchmark {
        full_id: String,
    }
    let file = dir.join(set).join("benchmark.json");
    if file.is_file() {
        let text = files::read_text(&file)?;
        let benchmark: Benchmark =
            serde_json::from_str(&text).map_err(|source| perf_format::Error::Json {
                path: file.clone(),
                source,
            })?;
        return Ok(benchmark.full_id);
    }
    let relative = dir.strip_prefix(root).unwrap_or(dir);
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(parts.join("/"))
}

/// criterion's "typical" estimate from `estimates.json` (the slope, or the
/// mean where flat sampling has no slope): the figure criterion prints on
/// its `time:` line. `None` when the file is missing.
fn typical(path: &Path) -> Result<Option<Estimate>, Error> {
    #[derive(Deserialize)]
    struct Interval {
        confidence_level: f64,
        lower_bound: f64,
        upper_bound: f64,
    }
    #[derive(Deserialize)]
    struct Statistic {
        confidence_interval: Interval,
        point_estimate: f64,
    }
    #[derive(Deserialize)]
    struct Estimates {
        // criterion up to 0.3.2 capitalised the keys.
        #[serde(alias = "Mean")]
        mean: Statistic,
        #[serde(default, alias = "Slope")]
        slope: Option<Statistic>,
    }
    if !path.is_file() {
        return Ok(None);
    }
    let text = files::read_text(path)?;
    let estimates: Estimates =
        serde_json::from_str(&text).map_err(|source| perf_format::Error::Json {
            path: path.to_owned(),
            source,
        })?;
    let (kind, statistic) = match estimates.slope {
        Some(slope) => (EstimateKind::Slope, slope),
        None => (EstimateKind::Mean, estimates.mean),
    };
    let interval = statistic.confidence_interval;
    Ok(Some(Estimate::new(
        kind,
        statistic.point_estimate,
        interval.lower_bound,
        interval.upper_bound,
        interval.confidence_level,
    )))
}

/// The two layouts of `sample.json`.
#[derive(Deserialize)]
#[serde(untagged)]
enum SampleFile {
    Current { iters: Vec<f64>, times: Vec<f64> },
    Old((Vec<f64>, Vec<f64>)),
}

/// Time per iteration of each sample, in ns.
fn per_iteration(path: &Path) -> Result<Vec<f64>, Error> {
    let text = files::read_text(path)?;
    let fail = |problem: &str| Error::Criterion {
        path: path.to_owned(),
        problem: problem.to_owned(),
    };
    let (iters, times) = match serde_json::from_str::<SampleFile>(&text) {
        Ok(SampleFile::Current { iters, times }) | Ok(SampleFile::Old((iters, times))) => {
            (iters, times)
        }
        Err(_) => {
            // Tell corrupt JSON apart from JSON of an unknown shape.
            serde_json::from_str::<serde_json::Value>(&text).map_err(|source| {
                perf_format::Error::Json {
                    path: path.to_owned(),
                    source,
                }
            })?;
            return Err(fail(
                "not a criterion sample file: expected {\"iters\": […], \"times\": […]} or [[iters…], [times…]]",
            ));
        }
    };
    if iters.is_empty() || iters.len() != times.len() {
        return Err(fail(
            "iteration counts and times are empty or of different lengths",
        ));
    }
    iters
        .iter()
        .zip(&times)
        .map(|(&n, &t)| {
            if n > 0.0 && t.is_finite() && t >= 0.0 {
                Ok(t / n)
            } else {
                Err(fail("a sample has no iterations or a negative time"))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sample_layouts_give_time_per_iteration() {
        let dir = tempfile::tempdir().unwrap();
        let current = dir.path().join("current.json");
        std::fs::write(
            &current,
            r#"{"sampling_mode":"Linear","iters":[10.0,20.0],"times":[1000.0,2200.0]}"#,
        )
        .unwrap();
        assert_eq!(per_iteration(&current).unwrap(), vec![100.0, 110.0]);
        let old = dir.path().join("old.json");
        std::fs::write(&old, "[[4.0,8.0],[400.0,1000.0]]").unwrap();
        assert_eq!(per_iteration(&old).unwrap(), vec![100.0, 125.0]);
        let odd = dir.path().join("odd.json");
        std::fs::write(&odd, r#"{"iters":[1.0],"times":[]}"#).unwrap();
        assert!(per_iteration(&odd).is_err());
        std::fs::write(&odd, r#"{"other":1}"#).unwrap();
        let err = per_iteration(&odd).unwrap_err().to_string();
        assert!(err.contains("not a criterion sample file"), "{err}");
    }
}
