//! A real Prometheus (Debian's `prometheus`) scrapes `http_service` every
//! second while `wrk` loads it: the counters it stored equal the program's
//! exact counts, and the p95 from its duration buckets is within 10% of the
//! exact p95.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{
    Killed, Service, WAIT, Wrk, counts, free_port, get, one_at_a_time, percent_encode, poll,
    settled_counts, tool,
};

/// A Prometheus of the test's own: its config, its storage and its port.
struct Prometheus {
    addr: String,
    _dir: tempfile::TempDir,
    _process: Killed,
}

impl Prometheus {
    /// Starts `program` scraping `target` every second; returns once its
    /// API answers.
    fn start(program: &Path, target: &str) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
                 scrape_configs:\n  - job_name: perf\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let addr = format!("127.0.0.1:{}", free_port());
        let process = Killed::spawn(
            Command::new(program)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.path().join("tsdb").display()
                ))
                .arg(format!("--web.listen-address={addr}"))
                .arg("--log.level=warn")
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit()),
            "prometheus",
        );
        let prometheus = Prometheus {
            addr,
            _dir: dir,
            _process: process,
        };
        poll(WAIT, Duration::from_millis(100), || {
            crate::util::try_get(&prometheus.addr, "/-/ready", &[])
                .ok()
                .filter(|r| r.status == 200)
        })
        .expect("prometheus is ready within 30 s");
        prometheus
    }

    /// An instant query: each result's labels and value.
    fn query(&self, promql: &str) -> Vec<(serde_json::Value, f64)> {
        let path = format!("/api/v1/query?query={}", percent_encode(promql));
        let response = get(&self.addr, &path, &[]);
        let body: serde_json::Value = serde_json::from_slice(&response.body)
            .unwrap_or_else(|e| panic!("{promql}: not JSON ({e})"));
        assert_eq!(body["status"], "success", "{promql}: {body}");
        body["data"]["result"]
            .as_array()
            .expect("a vector")
            .iter()
            .map(|sample| {
                let value = sample["value"][1]
                    .as_str()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{promql}: a value in {sample}"));
                (sample["metric"].clone(), value)
            })
            .collect()
    }

    /// `metric`'s value for each handler, by its `function` label.
    fn by_handler(&self, metric: &str) -> BTreeMap<String, u64> {
        self.query(&format!("{metric}{{function=~\"handler::.*\"}}"))
            .into_iter()
            .map(|(labels, value)| {
                let function = labels["function"].as_str().expect("a function label");
                (function.to_owned(), value as u64)
            })
            .collect()
    }

    /// The one value of `promql`.
    fn scalar(&self, promql: &str) -> f64 {
        let results = self.query(promql);
        assert_eq!(results.len(), 1, "{promql}: {results:?}");
        results[0].1
    }
}

#[test]
fn prometheus_scrapes_the_exact_counts_and_p95() {
    let _one = one_at_a_time();
    let started = Instant::now();
    let Some(prometheus) = tool("prometheus", "prometheus", "PERF_SKIP_PROMETHEUS_TESTS") else {
        return;
    };
    let Some(wrk) = tool("wrk", "wrk", "PERF_SKIP_WRK_TESTS") else {
        return;
    };
    let service = Service::serve();
    let app = service.app.clone().expect("--serve");
    let server = Prometheus::start(&prometheus, &service.live);
    // Targets reach the scrape loop some 5 s after start (discovery's
    // update interval); the load begins once it has scraped, so that
    // Prometheus saw the handlers' series from their first calls on.
    poll(WAIT, Duration::from_millis(200), || {
        (server.query("up{job=\"perf\"} == 1").len() == 1).then_some(())
    })
    .expect("prometheus scraped http_service within 30 s");

    let load: Vec<Wrk> = ["health", "items", "search"]
        .into_iter()
        .map(|route| Wrk::start(&wrk, &app, route, 3, 4))
        .collect();
    for wrk in load {
        let result = wrk.finish();
        assert!(result.requests > 0, "{result:?}");
    }
    let exact = settled_counts(&service);
    let handlers: Vec<&str> = exact.keys().map(String::as_str).collect();
    assert_eq!(
        handlers,
        ["handler::health", "handler::item", "handler::search"]
    );
    let (items, missing) = exact["handler::item"];
    assert!(
        missing > 0 && missing < items,
        "ids over 1,000 fail: {missing} of {items}"
    );

    // Prometheus has scraped after the load ended once its counters
    // equal the exact counts; they must not pass them either.
    let calls = |counts: &BTreeMap<String, (u64, u64)>| -> BTreeMap<String, u64> {
        counts.iter().map(|(f, &(c, _))| (f.clone(), c)).collect()
    };
    let errors = |counts: &BTreeMap<String, (u64, u64)>| -> BTreeMap<String, u64> {
        counts.iter().map(|(f, &(_, e))| (f.clone(), e)).collect()
    };
    let mut scraped = BTreeMap::new();
    let caught_up = poll(WAIT, Duration::from_millis(250), || {
        scraped = server.by_handler("perf_function_calls_total");
        (scraped == calls(&exact)).then_some(())
    });
    assert!(
        caught_up.is_some(),
        "prometheus' perf_function_calls_total {scraped:?}, the exact calls {:?}",
        calls(&exact)
    );
    assert_eq!(
        server.by_handler("perf_function_errors_total"),
        errors(&exact),
        "perf_function_errors_total"
    );

    // The exact p95 is over every call of the run. The buckets' cumulative
    // counts, read as they are now (after the load), hold exactly those
    // calls; `rate(…[30s])` would hold only the calls between the first and
    // the last sample inside its window, extrapolated to its edges — not
    // the calls before the series' first scrape (Prometheus never assumes a
    // counter started at 0) — so it estimates the p95 of a slightly
    // different set. The test holds the first to 10% and prints both.
    let run = service.run_so_far();
    let search = run.function("handler::search").expect("handler::search");
    let exact_p95 = search.p95_ns as f64 / 1e9;
    let buckets = "perf_function_duration_seconds_bucket{function=\"handler::search\"}";
    let whole_run = server.scalar(&format!(
        "histogram_quantile(0.95, sum by (le) ({buckets}))"
    ));
    let windowed = server.scalar(&format!(
        "histogram_quantile(0.95, sum by (le) (rate({buckets}[30s])))"
    ));
    let error = (whole_run - exact_p95).abs() / exact_p95;
    eprintln!(
        "prometheus: calls {:?}, errors {:?}; handler::search p95 exact {:.1} µs (run.json), \
         from the buckets {:.1} µs ({:+.2}%), from rate[30s] {:.1} µs ({:+.2}%); {:.1} s",
        calls(&exact),
        errors(&exact),
        exact_p95 * 1e6,
        whole_run * 1e6,
        (whole_run / exact_p95 - 1.0) * 100.0,
        windowed * 1e6,
        (windowed / exact_p95 - 1.0) * 100.0,
        started.elapsed().as_secs_f64(),
    );
    assert!(
        error <= 0.10,
        "p95 of handler::search: {whole_run} s from the buckets, {exact_p95} s exact ({:.1}% off)",
        error * 100.0
    );

    // The run the program writes when it stops holds the same counts.
    drop(server);
    let written = service.terminate();
    assert_eq!(counts(&written, "handler::"), exact, "the written run");
}
