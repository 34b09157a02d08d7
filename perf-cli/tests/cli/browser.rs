//! `cargo perf report` in a real browser: headless Chromium loads the page
//! and shows what it holds (its DOM), draws it (a screenshot that is not
//! blank, with the flamegraphs' colours), fetches nothing (its network
//! log), each embedded flamegraph fits its frame without scrolling at
//! common widths, and each, loaded as in its frame, still zooms and
//! searches.
//!
//! Needs `chromium` on PATH (`.ci/run` installs Debian's); without it the
//! test fails and says so, unless `PERF_SKIP_BROWSER_TESTS=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::report::report;
use crate::util::report_project;

/// The SVG documents a page embeds as `data:image/svg+xml;base64,` URLs.
pub fn embedded_svgs(page: &str) -> Vec<String> {
    const PREFIX: &str = "data:image/svg+xml;base64,";
    page.match_indices(PREFIX)
        .map(|(at, _)| {
            let encoded = &page[at + PREFIX.len()..];
            let end = encoded.find('"').expect("a closing quote");
            String::from_utf8(BASE64.decode(&encoded[..end]).expect("base64")).expect("UTF-8 SVG")
        })
        .collect()
}

/// Chromium on PATH; `None` (the test is skipped) only when
/// `PERF_SKIP_BROWSER_TESTS=1`.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() && std::env::var_os("PERF_SKIP_BROWSER_TESTS").is_some_and(|v| v == "1") {
        eprintln!("skipped: chromium is not installed and PERF_SKIP_BROWSER_TESTS=1");
        return None;
    }
    Some(found.expect(
        "the browser tests need `chromium` on PATH: install it (Debian: `apt-get install chromium`; \
         .ci/run does) or set PERF_SKIP_BROWSER_TESTS=1 to skip them",
    ))
}

/// Headless Chromium with its own profile, no background traffic.
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

    /// Runs Chromium on `url` with `args`; returns its stdout. Generous
    /// time limit: a cold start on a busy 2-core machine takes seconds.
    fn run(&self, args: &[&str], url: &str) -> String {
        let mut child = Command::new(&self.program)
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
                "--hide-scrollbars",
                "--mute-audio",
            ])
            .arg(format!("--user-data-dir={}", self.profile.path().display()))
            .args(args)
            .arg(url)
            .env("HOME", self.profile.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        // Read while waiting, so that a large DOM cannot block the pipe.
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
        });
        let mut stderr = child.stderr.take().unwrap();
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(180) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium {args:?} took over 180 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = reader.join().unwrap().unwrap();
        let stderr = errors.join().unwrap();
        assert!(status.success(), "chromium {args:?}: {status}\n{stderr}");
        stdout
    }
}

/// The network requests a page made, from Chromium's network log: those
/// with an initiator (the browser's own have "not an origin").
fn page_requests(net_log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(net_log).expect("chromium wrote its network log");
    // Chromium may stop before closing the JSON; close it.
    let log: serde_json::Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .expect("a network log in JSON");
    let start_job = &log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"];
    let mut urls: Vec<String> = log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| &event["type"] == start_job)
        .filter(|event| event["params"]["initiator"] != "not an origin")
        .filter_map(|event| event["params"]["url"].as_str())
        .filter(|url| !url.starts_with("file:") && !url.starts_with("data:"))
        .map(str::to_owned)
        .collect();
    urls.dedup();
    urls
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// What a probe added to a flamegraph saw after poking it.
fn probe(browser: &Browser, svg: &str, search: &str) -> String {
    // Poke the picture as a user would once it has loaded: search, then
    // click the deepest frame (zoom).
    let script = format!(
        r##"<script><![CDATA[
window.addEventListener("load", function () {{ setTimeout(function () {{
    var seen = [];
    try {{
        seen.push("fluid=" + !document.documentElement.hasAttribute("width"));
        search({search:?});
        seen.push("search=" + document.getElementById("search").firstChild.nodeValue);
        seen.push("matched=" + document.getElementById("matched").firstChild.nodeValue);
        var frames = document.querySelectorAll("#frames > g");
        var deepest = frames[0];
        for (var i = 0; i < frames.length; i++) {{
            if (+frames[i].querySelector("rect").getAttribute("y") < +deepest.querySelector("rect").getAttribute("y")) deepest = frames[i];
        }}
        deepest.dispatchEvent(new MouseEvent("click", {{ bubbles: true }}));
        seen.push("zoomed=" + document.querySelectorAll("#frames > g.parent").length);
    }} catch (e) {{ seen.push("error=" + e); }}
    document.documentElement.setAttribute("data-probe", seen.join("|"));
}}, 200); }});
]]></script>"##
    );
    let at = svg.rfind("</svg>").unwrap();
    let poked = format!("{}{script}{}", &svg[..at], &svg[at..]);
    let url = format!(
        "data:image/svg+xml;base64,{}",
        BASE64.encode(poked.as_bytes())
    );
    assert!(url.len() < 120_000, "the picture fits in one argument");
    let dom = browser.run(&["--virtual-time-budget=10000", "--dump-dom"], &url);
    let start = dom.find("data-probe=\"").expect("the probe ran") + 12;
    dom[start..start + dom[start..].find('"').unwrap()].to_owned()
}

/// How each embedded flamegraph's document fits its frame when `page` is
/// shown `width` pixels wide: per frame, its content's scroll height and
/// width against its viewport's client height and width, as a script
/// added to each picture measures them and posts them to the page.
fn frame_fits(browser: &Browser, dir: &Path, page: &str, width: u32) -> Vec<[i64; 4]> {
    const PREFIX: &str = "data:image/svg+xml;base64,";
    const MEASURE: &str = r#"<script><![CDATA[
window.addEventListener("load", function () { setTimeout(function () {
    var root = document.documentElement;
    parent.postMessage("fit:" + [root.scrollHeight, root.clientHeight, root.scrollWidth, root.clientWidth].join(","), "*");
}, 50); });
]]></script>"#;
    let mut measured = String::with_capacity(page.len() * 2);
    let mut rest = page;
    while let Some(at) = rest.find(PREFIX) {
        let start = at + PREFIX.len();
        let end = start + rest[start..].find('"').unwrap();
        let svg = String::from_utf8(BASE64.decode(&rest[start..end]).unwrap()).unwrap();
        let close = svg.rfind("</svg>").unwrap();
        let svg = format!("{}{MEASURE}{}", &svg[..close], &svg[close..]);
        measured.push_str(&rest[..start]);
        measured.push_str(&BASE64.encode(svg.as_bytes()));
        rest = &rest[end..];
    }
    measured.push_str(rest);
    // Listening from the head: a frame may load before the body ends.
    let measured = measured.replacen(
        "</head>",
        "<script>var fits = []; window.addEventListener(\"message\", function (e) { \
         if (String(e.data).indexOf(\"fit:\") === 0) { fits.push(e.data); \
         document.documentElement.setAttribute(\"data-fits\", fits.join(\";\")); } });</script></head>",
        1,
    );
    let path = dir.join(format!("fits-{width}.html"));
    std::fs::write(&path, measured).unwrap();
    let dom = browser.run(
        &[
            &format!("--window-size={width},8000"),
            "--virtual-time-budget=10000",
            "--dump-dom",
        ],
        &file_url(&path),
    );
    let Some(start) = dom.find("data-fits=\"") else {
        return Vec::new();
    };
    let start = start + 11;
    dom[start..start + dom[start..].find('"').unwrap()]
        .split(';')
        .filter_map(|fit| fit.strip_prefix("fit:"))
        .map(|fit| {
            let numbers: Vec<i64> = fit.split(',').map(|n| n.parse().unwrap()).collect();
            [numbers[0], numbers[1], numbers[2], numbers[3]]
        })
        .collect()
}

#[test]
fn the_report_in_a_real_browser() {
    let Some(program) = chromium() else { return };
    let browser = Browser::new(program);
    let project = report_project();
    let (page, path) = report(&project, &[]);
    let url = file_url(&path);

    // What the page shows: header, tables with the functions, five
    // pictures, the comparison with its regression, the machine.
    let net_log = project.path().join("net-log.json");
    let dom = browser.run(
        &[
            &format!("--log-net-log={}", net_log.display()),
            "--virtual-time-budget=5000",
            "--dump-dom",
        ],
        &url,
    );
    assert!(dom.contains("<h1>app</h1>"), "{dom}");
    assert!(dom.contains("<code>20261123T091803-app</code>"));
    assert!(dom.contains("<table class=\"sortable functions\">"));
    for name in ["db::query", "app::handler", "app::render", "app::format"] {
        assert!(
            dom.contains(&format!("<code>{name}</code>")),
            "{name} in the functions table"
        );
    }
    assert!(
        dom.contains("&lt;Vec&lt;u8&gt; as app::Encode&lt;'_&gt;&gt;::encode &amp; flush"),
        "a name with markup shows as text"
    );
    assert_eq!(dom.matches("<iframe class=\"flamegraph\"").count(), 5);
    assert!(dom.contains("<tr class=\"regressed\"><td class=\"fn\">db::query</td>"));
    assert!(dom.contains("<dt>CPU</dt><dd>Test CPU</dd>"));

    // Nothing was fetched from the network by the page (the browser's own
    // update checks are not the page's); the log does show a page's fetch.
    assert_eq!(page_requests(&net_log), Vec::<String>::new());
    let fetching = project.path().join("fetching.html");
    std::fs::write(
        &fetching,
        "<!DOCTYPE html><img src=\"http://127.0.0.1:9/probe.png\">",
    )
    .unwrap();
    let probe_log = project.path().join("probe-net-log.json");
    browser.run(
        &[
            &format!("--log-net-log={}", probe_log.display()),
            "--virtual-time-budget=2000",
            "--dump-dom",
        ],
        &file_url(&fetching),
    );
    assert_eq!(
        page_requests(&probe_log),
        ["http://127.0.0.1:9/probe.png"],
        "the network log shows what a page fetches"
    );

    // What it draws: not blank, many colours, and the flamegraphs' warm
    // frames (drawn inside the frames, so the pictures rendered).
    let shot = project.path().join("report.png");
    browser.run(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
            "--virtual-time-budget=5000",
        ],
        &url,
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.width, frame.height), (1280, 2000));
    let channels = frame.color_type.samples();
    assert!(channels >= 3, "{:?}", frame.color_type);
    let mut colours = std::collections::HashSet::new();
    let (mut not_white, mut warm) = (0usize, 0usize);
    for pixel in pixels[..frame.buffer_size()].chunks(channels) {
        let (r, g, b) = (pixel[0], pixel[1], pixel[2]);
        colours.insert((r, g, b));
        if (r, g, b) != (255, 255, 255) {
            not_white += 1;
        }
        // inferno's hot palette: red 205–255, green 0–230, blue 0–55.
        if r >= 200 && g <= 235 && b <= 60 && r > g {
            warm += 1;
        }
    }
    let all = (frame.width * frame.height) as usize;
    assert!(colours.len() > 200, "{} colours", colours.len());
    assert!(not_white > all / 4, "{not_white} of {all} pixels not white");
    assert!(warm > 5_000, "{warm} flamegraph-coloured pixels");

    // Each frame takes its picture's height and the page's width: no
    // frame scrolls, on a wide screen or a narrow one.
    for width in [1280, 900, 600] {
        let fits = frame_fits(&browser, project.path(), &page, width);
        assert_eq!(fits.len(), 5, "every frame measured at {width}px: {fits:?}");
        for [scroll_height, client_height, scroll_width, client_width] in fits {
            assert!(
                scroll_height <= client_height && scroll_width <= client_width,
                "a frame scrolls at {width}px: content {scroll_width}×{scroll_height} in {client_width}×{client_height}"
            );
        }
    }

    // Each picture, loaded as in its frame (a data: URL document), ran
    // inferno's script (fluid width) and still zooms and searches.
    let svgs = embedded_svgs(&page);
    assert_eq!(svgs.len(), 5);
    for svg in &svgs {
        assert!(svg.contains("function init(evt)"), "inferno's script");
        assert!(svg.contains("onload=\"init(evt)\""));
    }
    let seen = probe(&browser, &svgs[0], "db::query");
    assert!(
        seen.starts_with("fluid=true|search=Reset Search|matched=Matched: "),
        "{seen}"
    );
    assert!(
        seen.contains("|zoomed=") && !seen.ends_with("|zoomed=0"),
        "a click zooms: {seen}"
    );
    assert!(!seen.contains("error="), "{seen}");
    let seen = probe(&browser, &svgs[3], "app::");
    assert!(
        seen.contains("|search=Reset Search|"),
        "the difference searches: {seen}"
    );
    assert!(!seen.contains("error="), "{seen}");
}

/// The history section of a report, as a browser shows it: every chart is
/// in the DOM with its links, and the charts draw their series (the line's
/// blue) and the change point's marker (red).
pub fn shows_history(project: &crate::util::Project, page: &str) {
    let Some(program) = chromium() else { return };
    let browser = Browser::new(program);
    let path = project.path().join("history.html");
    std::fs::write(&path, page).unwrap();
    let url = file_url(&path);
    let dom = browser.run(&["--virtual-time-budget=3000", "--dump-dom"], &url);
    let charts = page.matches("<figure class=\"trend\"").count();
    assert_eq!(dom.matches("<figure class=\"trend\"").count(), charts);
    assert!(dom.matches("<a href=\"#commit-").count() >= 16 * charts);

    let shot = project.path().join("history.png");
    browser.run(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,9000",
            "--virtual-time-budget=3000",
        ],
        &url,
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let channels = frame.color_type.samples();
    let (mut blue, mut red) = (0usize, 0usize);
    for pixel in pixels[..frame.buffer_size()].chunks(channels) {
        let (r, g, b) = (
            i32::from(pixel[0]),
            i32::from(pixel[1]),
            i32::from(pixel[2]),
        );
        // The series' #2b6cb0 and the regression marker's #c0392b, give or
        // take antialiasing.
        if (r - 0x2b).abs() < 24 && (g - 0x6c).abs() < 24 && (b - 0xb0).abs() < 24 {
            blue += 1;
        }
        if (r - 0xc0).abs() < 24 && (g - 0x39).abs() < 24 && (b - 0x2b).abs() < 24 {
            red += 1;
        }
    }
    assert!(blue > 2_000, "{blue} pixels of the series' blue");
    assert!(red > 50, "{red} pixels of the change point's red");
}
