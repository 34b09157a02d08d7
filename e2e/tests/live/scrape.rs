//! Scraping `/metrics` every 100 ms for the whole of a `wrk` load neither
//! loses nor adds a count: `http_service --duration 1s` loads its routes
//! one after the other with wrk and prints what wrk read and what each
//! handler served; the scrapes only ever rise, never pass the final
//! counts, and equal them for a route whose load is over.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::util::{Service, WAIT, counts, one_at_a_time, samples, tool, try_get};

/// One scrape: calls and errors by function.
struct Scrape {
    calls: BTreeMap<String, f64>,
    errors: BTreeMap<String, f64>,
}

/// The number after `key` in `line` ("served 12," → 12).
fn number_after(line: &str, key: &str) -> u64 {
    let rest = line
        .split_once(key)
        .unwrap_or_else(|| panic!("no {key:?} in {line:?}"))
        .1;
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {key:?} in {line:?}"))
}

/// The printed line that starts (after indentation) with `path` and holds `key`.
fn line_with<'a>(stdout: &'a str, path: &str, key: &str) -> &'a str {
    stdout
        .lines()
        .find(|line| line.trim_start().starts_with(path) && line.contains(key))
        .unwrap_or_else(|| panic!("no line {path:?} … {key:?} in the output:\n{stdout}"))
}

#[test]
fn scraping_every_100_ms_under_wrk_loses_and_adds_no_count() {
    let _one = one_at_a_time();
    let started = Instant::now();
    if tool("wrk", "wrk", "PERF_SKIP_WRK_TESTS").is_none() {
        return;
    }
    let service = Service::start(&["--duration", "1s"]);
    let live = service.live.clone();
    let running = Arc::new(AtomicBool::new(true));
    let scraper = {
        let running = Arc::clone(&running);
        std::thread::spawn(move || {
            let (mut scrapes, mut failed) = (Vec::new(), 0);
            while running.load(Ordering::Relaxed) {
                let began = Instant::now();
                match try_get(&live, "/metrics", &[]) {
                    Ok(response) if response.status == 200 => {
                        let text = String::from_utf8_lossy(&response.body);
                        scrapes.push(Scrape {
                            calls: samples(&text, "perf_function_calls_total"),
                            errors: samples(&text, "perf_function_errors_total"),
                        });
                    }
                    // The server stops with the session, at the end.
                    _ => failed += 1,
                }
                std::thread::sleep(Duration::from_millis(100).saturating_sub(began.elapsed()));
            }
            (scrapes, failed)
        })
    };
    let ended = service.wait(WAIT);
    running.store(false, Ordering::Relaxed);
    let (scrapes, failed) = scraper.join().expect("the scraper");
    let stdout = &ended.stdout;
    assert!(
        ended.status.success(),
        "http_service: {}\n{stdout}\n{}",
        ended.status,
        ended.stderr
    );
    let run = ended.run.expect("http_service wrote its run");
    let last = scrapes.last().expect("scraped");
    assert!(
        scrapes.len() >= 20,
        "{} scrapes ({failed} failed) in 3 s of load",
        scrapes.len()
    );

    let mut figures = Vec::new();
    for (path, handler, over_before_search) in [
        ("/health", "handler::health", true),
        ("/items/{id}", "handler::item", true),
        ("/search?q=", "handler::search", false),
    ] {
        let (calls, errors) = counts(&run, handler)[handler];
        let served = number_after(line_with(stdout, path, "served"), "served");
        let wrk_line = line_with(stdout, path, "wrk:");
        let wrk_read = number_after(wrk_line, "wrk:");
        let wrk_errors = number_after(wrk_line, "/s, ");
        let socket_errors = number_after(wrk_line, "4xx/5xx, ");
        // The handler's own count of the requests it answered is the
        // profiler's count, exactly.
        assert_eq!(calls, served, "{handler}: calls vs served");
        // wrk counts the answers it read: not those in flight when it
        // stopped (one per connection at most, 16) or lost to a socket
        // error. The server answered each of those too.
        assert!(
            wrk_read <= calls && calls <= wrk_read + 16 + socket_errors,
            "{handler}: {calls} calls, wrk read {wrk_read} answers"
        );
        assert!(
            wrk_errors <= errors && errors <= wrk_errors + 16 + socket_errors,
            "{handler}: {errors} errors, wrk read {wrk_errors} 4xx/5xx"
        );
        // A counter never goes back between scrapes, nor passes the end.
        let mut seen = 0.0;
        for scrape in &scrapes {
            let now = scrape.calls.get(handler).copied().unwrap_or(0.0);
            assert!(now >= seen, "{handler} went back from {seen} to {now}");
            assert!(now <= calls as f64, "{handler}: scraped {now} > {calls}");
            seen = now;
        }
        // Routes are loaded one after the other: the last scrape, taken
        // while /search was loaded or after, has the others' final counts.
        if over_before_search {
            assert_eq!(last.calls.get(handler), Some(&(calls as f64)), "{handler}");
            assert_eq!(
                last.errors.get(handler),
                Some(&(errors as f64)),
                "{handler}"
            );
        }
        figures.push(format!(
            "{handler}: wrk read {wrk_read}, served {served}, calls {calls} (errors {errors}, \
             wrk 4xx {wrk_errors}), last scrape {}",
            last.calls.get(handler).copied().unwrap_or(0.0)
        ));
    }
    assert!(counts(&run, "handler::item")["handler::item"].1 > 0);
    eprintln!(
        "scrapes: {} ({failed} failed once the session ended)\n{}\n{:.1} s",
        scrapes.len(),
        figures.join("\n"),
        started.elapsed().as_secs_f64()
    );
}
