//! `/metrics`: the session's figures in Prometheus' text format, or in
//! OpenMetrics when the scraper asks for it, encoded by `prometheus-client`
//! from a [`Figures`] read for the scrape (no metric is kept between them).
//!
//! One series per function (label `function`, its recorded name), never per
//! call path, so the number of series is bounded by the functions.

use std::collections::HashMap;
use std::sync::Mutex;

use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::counts::{BUCKET_BOUNDS, FunctionCounts};

/// The content type of the Prometheus text format.
pub(crate) const PROMETHEUS_TEXT: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;
/// The content type of OpenMetrics' text format.
pub(crate) const OPENMETRICS_TEXT: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Whether a scraper's `Accept` header asks for OpenMetrics.
pub(crate) fn wants_openmetrics(accept: Option<&str>) -> bool {
    accept.is_some_and(|accept| accept.contains("application/openmetrics-text"))
}

/// The session's name and build, for `perf_session_info`.
#[derive(Clone, Debug)]
pub(crate) struct SessionInfo {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) commit: String,
}

/// Keeps each function's self time from going back between scrapes: it is
/// total time minus the callees', and a callee's call can end (adding to
/// the callees') while the caller's is still open. A counter that went
/// back would read as a restart to Prometheus.
#[derive(Debug, Default)]
pub(crate) struct SelfTimeFloor(Mutex<HashMap<String, f64>>);

impl SelfTimeFloor {
    /// `seconds` for `function`, or the most it was given before if more.
    fn hold(&self, floors: &mut HashMap<String, f64>, function: &str, seconds: f64) -> f64 {
        match floors.get_mut(function) {
            Some(floor) => {
                *floor = floor.max(seconds);
                *floor
            }
            None => {
                floors.insert(function.to_owned(), seconds);
                seconds
            }
        }
    }
}

/// The figures of one scrape, as a collector of a registry made for it.
#[derive(Debug)]
struct Scrape {
    functions: Vec<FunctionCounts>,
    heap: Option<(u64, u64)>,
    info: SessionInfo,
}

/// Encodes `functions` and `heap` (live, peak) in the Prometheus text
/// format, or OpenMetrics if `openmetrics`.
pub(crate) fn encode(
    mut functions: Vec<FunctionCounts>,
    heap: Option<(u64, u64)>,
    info: &SessionInfo,
    floor: &SelfTimeFloor,
    openmetrics: bool,
) -> String {
    {
        let mut floors = crate::sync::lock(&floor.0);
        for f in &mut functions {
            f.self_seconds = floor.hold(&mut floors, f.name, f.self_seconds);
        }
    }
    let scrape = Scrape {
        functions,
        heap,
        info: info.clone(),
    };
    let mut registry = Registry::default();
    registry.register_collector(Box::new(scrape));
    let mut out = String::new();
    // Writing to a String cannot fail; the collector's own errors are
    // formatting ones of the same kind.
    let written = if openmetrics {
        prometheus_client::encoding::text::encode(&mut out, &registry)
    } else {
        prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)
    };
    debug_assert!(written.is_ok(), "encoding metrics into a String failed");
    out
}

/// A counter per function: `name` (without `_total`), its help, and the
/// value of each function.
fn counter_family(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    functions: &[FunctionCounts],
    value: impl Fn(&FunctionCounts) -> CounterValue,
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for f in functions {
        let labels = [("function", f.name)];
        let mut metric = family.encode_family(&labels)?;
        match value(f) {
            CounterValue::Count(n) => metric.encode_counter::<NoLabelSet, _, f64>(&n, None)?,
            CounterValue::Seconds(s) => metric.encode_counter::<NoLabelSet, _, f64>(&s, None)?,
        }
    }
    Ok(())
}

/// A counter's value: a count or seconds.
enum CounterValue {
    Count(u64),
    Seconds(f64),
}

impl prometheus_client::collector::Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let functions = &self.functions;
        let info = [
            ("name", self.info.name.as_str()),
            ("version", self.info.version.as_str()),
            ("commit", self.info.commit.as_str()),
        ];
        encoder
            .encode_descriptor(
                "perf_session",
                "The perf session this process records: its name, perf's version and the commit",
                None,
                MetricType::Info,
            )?
            .encode_info(&info)?;
        counter_family(
            &mut encoder,
            "perf_function_calls",
            "Calls of the function (every frame, recursive ones too)",
            functions,
            |f| CounterValue::Count(f.calls),
        )?;
        counter_family(
            &mut encoder,
            "perf_function_errors",
            "Calls of the function that returned Err or unwound from a panic",
            functions,
            |f| CounterValue::Count(f.errors),
        )?;
        counter_family(
            &mut encoder,
            "perf_function_self_seconds",
            "Wall time inside the function minus its instrumented callees",
            functions,
            |f| CounterValue::Seconds(f.self_seconds),
        )?;
        counter_family(
            &mut encoder,
            "perf_function_allocations",
            "Allocations during the function's calls, callees included, recursion once (PerfAlloc)",
            functions,
            |f| CounterValue::Count(f.allocs.allocs),
        )?;
        counter_family(
            &mut encoder,
            "perf_function_allocated_bytes",
            "Bytes allocated during the function's calls, callees included (PerfAlloc)",
            functions,
            |f| CounterValue::Count(f.allocs.bytes),
        )?;
        counter_family(
            &mut encoder,
            "perf_function_freed_bytes",
            "Bytes freed during the function's calls, callees included (PerfAlloc)",
            functions,
            |f| CounterValue::Count(f.allocs.freed),
        )?;
        let mut family = encoder.encode_descriptor(
            "perf_function_duration_seconds",
            "Wall time per call, callees included; buckets: the E24 series from 100 ns to 100 s, \
             from the function's fastest to its slowest bucket",
            None,
            MetricType::Histogram,
        )?;
        for f in functions {
            let buckets = published_buckets(&f.buckets);
            let labels = [("function", f.name)];
            family
                .encode_family(&labels)?
                .encode_histogram::<NoLabelSet>(f.sum_seconds, f.count(), &buckets, None)?;
        }
        if let Some((live, peak)) = self.heap {
            encoder
                .encode_descriptor(
                    "perf_heap_live_bytes",
                    "Bytes the program holds on the heap now (PerfAlloc)",
                    None,
                    MetricType::Gauge,
                )?
                .encode_gauge(&(live as f64))?;
            encoder
                .encode_descriptor(
                    "perf_heap_peak_bytes",
                    "The most bytes the program held on the heap since the session started",
                    None,
                    MetricType::Gauge,
                )?
                .encode_gauge(&(peak as f64))?;
        }
        Ok(())
    }
}

/// The buckets a function publishes: from its lowest non-empty bucket to
/// its highest, then `+Inf`; not cumulative (the encoder sums them). A
/// function whose calls all take about as long costs a few series, not 217.
fn published_buckets(counts: &[u64]) -> Vec<(f64, u64)> {
    let finite = &counts[..BUCKET_BOUNDS.len()];
    let first = finite.iter().position(|&n| n > 0);
    let last = finite.iter().rposition(|&n| n > 0);
    let mut buckets: Vec<(f64, u64)> = match (first, last) {
        (Some(first), Some(last)) => (first..=last)
            .map(|i| (BUCKET_BOUNDS[i], finite[i]))
            .collect(),
        _ => Vec::new(),
    };
    buckets.push((f64::INFINITY, counts[BUCKET_BOUNDS.len()]));
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_buckets_between_the_fastest_and_slowest_call_are_published() {
        let mut counts = vec![0; BUCKET_BOUNDS.len() + 1];
        counts[30] = 2;
        counts[33] = 5;
        let buckets = published_buckets(&counts);
        assert_eq!(buckets.len(), 5);
        assert_eq!(buckets[0], (BUCKET_BOUNDS[30], 2));
        assert_eq!(buckets[3], (BUCKET_BOUNDS[33], 5));
        assert_eq!(buckets[4], (f64::INFINITY, 0));
    }

    #[test]
    fn openmetrics_is_served_when_asked_for() {
        let prometheus_2_42 = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(wants_openmetrics(Some(prometheus_2_42)));
        assert!(!wants_openmetrics(Some("text/plain")));
        assert!(!wants_openmetrics(None));
    }
}
