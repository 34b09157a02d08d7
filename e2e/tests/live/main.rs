//! A running `examples/http_service` serving its figures live (perf-core's
//! feature `serve`), read by the real things: a Prometheus server, `go tool
//! pprof`, headless Chromium, and `wrk` for the load. Traffic stays on
//! 127.0.0.1, on ports picked at run time; every program a test starts is
//! killed when the test ends, however it ends.
//!
//! The example is built here once, by a cargo run of its own, with
//! `--features cpu` and unoptimised (see `util::http_service`). The tests
//! run one at a time (each loads both cores).
//! Each needs its tools on PATH (`.ci/run` installs Debian's `prometheus`,
//! `golang-go`, `chromium`, `wrk`); a missing one fails the test and says
//! how to install it, unless `PERF_SKIP_PROMETHEUS_TESTS=1`,
//! `PERF_SKIP_PPROF_TESTS=1`, `PERF_SKIP_BROWSER_TESTS=1` or
//! `PERF_SKIP_WRK_TESTS=1`.

mod browser;
mod pprof;
mod prometheus;
mod scrape;
mod util;
