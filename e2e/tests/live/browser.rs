//! The live page `/` in headless Chromium while `wrk` searches: its table
//! `#functions` shows `handler::search`, and a load 2.5 s later shows other
//! figures (the interval since the previous load).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::{Service, Wrk, one_at_a_time, run_to_end, tool};

/// Headless Chromium with a profile of its own and no background traffic,
/// as `perf-cli`'s browser test runs it.
struct Browser {
    program: PathBuf,
    profile: tempfile::TempDir,
}

impl Browser {
    fn new(program: PathBuf) -> Browser {
        Browser {
            program,
            profile: tempfile::tempdir().unwrap(),
        }
    }

    /// The DOM of `url` once loaded (`--dump-dom`). No virtual time
    /// budget: the page's 2 s `<meta>` refresh must not fire first.
    fn dom(&self, url: &str) -> String {
        run_to_end(
            Command::new(&self.program)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-default-apps",
                    "--disable-extensions",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--mute-audio",
                    "--dump-dom",
                ])
                .arg(format!("--user-data-dir={}", self.profile.path().display()))
                .arg(url)
                .env("HOME", self.profile.path()),
            &format!("chromium --dump-dom {url}"),
        )
    }
}

/// The cells of `function`'s row in the table `#functions` of `dom`.
fn row(dom: &str, function: &str) -> Vec<String> {
    let table = dom
        .split_once("<table id=\"functions\">")
        .and_then(|(_, rest)| rest.split_once("</table>"))
        .unwrap_or_else(|| panic!("no table #functions:\n{dom}"))
        .0;
    let row = table
        .split("<tr>")
        .find(|row| row.starts_with(&format!("<td>{function}</td>")))
        .unwrap_or_else(|| panic!("no row of {function} in #functions:\n{table}"));
    row.split("<td")
        .skip(1)
        .map(|cell| {
            let text = cell.split_once('>').expect("a cell").1;
            text.split("</td>").next().unwrap_or_default().to_owned()
        })
        .collect()
}

#[test]
fn the_live_page_in_chromium_follows_the_load() {
    let _one = one_at_a_time();
    let started = Instant::now();
    let Some(chromium) = tool("chromium", "chromium", "PERF_SKIP_BROWSER_TESTS") else {
        return;
    };
    let Some(wrk) = tool("wrk", "wrk", "PERF_SKIP_WRK_TESTS") else {
        return;
    };
    let service = Service::serve();
    let app = service.app.clone().expect("--serve");
    let browser = Browser::new(chromium);
    let url = format!("http://{}/", service.live);

    // Longer than the test: stopped (killed) once both loads are done, so a
    // slow start of the browser cannot outlast the load.
    let load = Wrk::start(&wrk, &app, "search", 60, 4);
    std::thread::sleep(Duration::from_millis(500));
    let first = browser.dom(&url);
    let loaded = Instant::now();
    let before = row(&first, "handler::search");
    std::thread::sleep(Duration::from_millis(2_500));
    let second = browser.dom(&url);
    let after = row(&second, "handler::search");
    let apart = loaded.elapsed();
    drop(load);

    assert!(
        first.contains("<meta http-equiv=\"refresh\" content=\"2\">"),
        "{first}"
    );
    // Columns: function, self time, calls, errors, p50, p95, p99, calls in all.
    assert_eq!(before.len(), 8, "{before:?}");
    let number = |cell: &str| -> u64 {
        cell.replace(',', "")
            .parse()
            .unwrap_or_else(|_| panic!("not a count: {cell:?}"))
    };
    let (calls_before, calls_after) = (number(&before[2]), number(&after[2]));
    let (all_before, all_after) = (number(&before[7]), number(&after[7]));
    assert!(calls_before > 0 && calls_after > 0, "{before:?} {after:?}");
    assert!(
        all_after > all_before,
        "calls in all: {before:?} then {after:?}"
    );
    // The calls column counts the interval since the previous load: the
    // second load's interval (≥ 2.5 s) is not the first one's.
    assert_ne!(before, after, "the row changed between loads");
    assert_eq!(
        calls_after,
        all_after - all_before,
        "the second interval's calls are those since the first load"
    );
    eprintln!(
        "chromium: handler::search {before:?}, then {:.1} s later {after:?}; {:.1} s",
        apart.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    service.terminate();
}
