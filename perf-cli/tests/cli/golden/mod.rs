//! Golden files of every renderer: what `cargo perf` prints and draws from
//! fixture records, held byte for byte to `perf-cli/tests/golden/`, and the
//! docs' sample outputs held to those files ([`bless`] says how; after a
//! deliberate change, `PERF_BLESS=1 cargo test -p perf-cli golden` writes
//! them and the docs' blocks, to review as a diff).
//!
//! The inputs are deterministic — seeded records with fixed ids, times,
//! commits and hosts, git commits with fixed dates — so the outputs are
//! too; what is normalised is the temporary project's path, shown as
//! `$DIR`, and the version of perf in the report's footer, `$VERSION`.

mod alerts;
pub(crate) mod bless;
mod docs;
mod gate;
mod history;
mod pictures;

use crate::util::Project;

/// `cargo perf ARGS` in `project`, colourless unless ARGS say otherwise,
/// expected to exit with `code`: its stdout and stderr, the project's path
/// shown as `$DIR`.
fn perf(project: &Project, args: &[&str], code: i32) -> (String, String) {
    let mut command = project.perf();
    if !args.contains(&"--color") {
        command.args(["--color", "never"]);
    }
    let output = command.args(args).output().expect("cargo-perf runs");
    let stdout = normalise(project, &output.stdout);
    let stderr = normalise(project, &output.stderr);
    assert_eq!(
        output.status.code(),
        Some(code),
        "cargo perf {args:?}:\n{stdout}{stderr}"
    );
    (stdout, stderr)
}

/// The stdout of [`perf`], which prints nothing on stderr.
fn stdout(project: &Project, args: &[&str], code: i32) -> String {
    let (stdout, stderr) = perf(project, args, code);
    assert_eq!(stderr, "", "cargo perf {args:?} warned");
    stdout
}

/// `bytes` as text, the project's path (as given and as the system
/// resolves it) written `$DIR`, and perf's own version where it signs its
/// work (`cargo perf 0.1.0`) as `$VERSION`, so that a release changes no
/// golden file.
fn normalise(project: &Project, bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec())
        .expect("cargo perf writes UTF-8")
        .replace(
            &format!("cargo perf {}", env!("CARGO_PKG_VERSION")),
            "cargo perf $VERSION",
        );
    let mut dirs = vec![project.path().display().to_string()];
    if let Ok(real) = project.path().canonicalize() {
        dirs.push(real.display().to_string());
    }
    dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));
    dirs.iter()
        .fold(text, |text, dir| text.replace(dir, "$DIR"))
}

/// `page` with each base64 `data:` URL of an SVG written out as the SVG it
/// holds, between `⟪` and `⟫`, so that a changed picture in the report is
/// a readable diff of its golden file. Nothing is lost: the URL is the
/// base64 of exactly that text (checked).
fn readable_pictures(page: &str) -> String {
    const URL: &str = "data:image/svg+xml;base64,";
    let mut out = String::with_capacity(page.len() * 4 / 3);
    let mut rest = page;
    while let Some(start) = rest.find(URL) {
        let (before, from) = rest.split_at(start + URL.len());
        let end = from.find('"').expect("a data: URL ends with a quote");
        let (encoded, after) = from.split_at(end);
        let svg = String::from_utf8(base64_decode(encoded)).expect("the picture is UTF-8");
        assert_eq!(
            base64_encode(svg.as_bytes()),
            encoded,
            "not canonical base64"
        );
        out.push_str(before);
        out.push('⟪');
        out.push_str(&svg);
        out.push('⟫');
        rest = after;
    }
    out.push_str(rest);
    out
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_decode(text: &str) -> Vec<u8> {
    let digit = |c: u8| BASE64.iter().position(|&d| d == c).expect("a base64 digit") as u32;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let digits: Vec<u32> = chunk
            .iter()
            .filter(|&&c| c != b'=')
            .map(|&c| digit(c))
            .collect();
        let bits = digits.iter().fold(0, |n, d| n << 6 | d) << (6 * (4 - digits.len()));
        out.extend(&bits.to_be_bytes()[1..digits.len()]);
    }
    out
}

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let bits =
            chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                BASE64[(bits >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}
