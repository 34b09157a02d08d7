//! `cargo perf soak`'s verdict as a person reads it.

use std::fmt::Write as _;
use std::path::Path;

use perf_format::schema::soak::{Ending, Growth, Soak};
use perf_format::table::{Align, Table};
use perf_format::units;

use super::color::{Palette, Tone};
use super::text::terminal as t;
use crate::shell::shell_words;

/// A growth per minute, signed: "+1.50 MiB/min", "-512 B/min".
fn per_minute(bytes: f64) -> String {
    let sign = if bytes > 0.0 { "+" } else { "" };
    format!("{sign}{}/min", units::bytes(bytes.round()))
}

/// The soak as a person reads it: what ran and how it ended, the heap,
/// the floor's growth with its interval, and the verdict; `path` is its
/// `soak.json`.
pub(crate) fn soak(soak: &Soak, path: &Path, palette: Palette) -> String {
    let fit = &soak.fit;
    let mut out = String::new();
    let ns = |n: u64| units::duration(n as f64);
    let ended = match &soak.ended {
        Ending::Stopped { signal } => {
            format!("stopped by {} at {}", t(signal), ns(soak.duration_ns))
        }
        _ => "exited by itself".to_owned(),
    };
    let _ = writeln!(
        out,
        "soak of `{}`: run {}, {ended}{}",
        t(&shell_words(&soak.command)),
        t(&soak.run),
        soak.load
            .as_deref()
            .map(|l| format!(", load `{}`", t(l)))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "  heap: {} live at the finish, peak {} at {}",
        units::bytes(soak.heap.live_bytes as f64),
        units::bytes(soak.heap.peak_bytes as f64),
        ns(soak.heap.peak_at_ns)
    );
    if let (Some(first), Some(last)) = (fit.floor.first(), fit.floor.last()) {
        let _ = writeln!(
            out,
            "  floor after the warm-up of {}: {} at {} → {} at {} (lowest of each of {} stretches, {})",
            ns(soak.warmup_ns),
            units::bytes(first.live_bytes as f64),
            ns(first.t_ns),
            units::bytes(last.live_bytes as f64),
            ns(last.t_ns),
            units::count(fit.blocks as f64),
            units::plural(fit.samples as u64, "sample")
        );
    }
    let bound = |b: Option<f64>, infinite: &str| b.map_or_else(|| infinite.to_owned(), per_minute);
    let _ = writeln!(
        out,
        "  growth of the floor: {} (a CI of at least {}: {} to {}, Theil–Sen)",
        per_minute(fit.slope_bytes_per_min),
        units::level(fit.confidence),
        bound(fit.lower_bytes_per_min, "-∞"),
        bound(fit.upper_bytes_per_min, "+∞"),
    );
    let threshold = match soak.threshold_bytes_per_min {
        0.0 => String::new(),
        t => format!(", threshold {}", per_minute(t)),
    };
    match soak.verdict {
        Growth::Stable => {
            let why = if fit.lower_bytes_per_min.is_none_or(|l| l <= 0.0) {
                "no growth shown"
            } else {
                "growth shown to stay below the threshold"
            };
            let line = format!("stable: {why}{threshold}");
            let _ = writeln!(out, "{}", palette.paint(Some(Tone::Better), &line));
        }
        Growth::Growing => {
            let line = format!(
                "GROWING by {} per minute{threshold}",
                units::bytes(fit.slope_bytes_per_min.round())
            );
            let _ = writeln!(out, "{}", palette.paint(Some(Tone::Worse), &line));
            if soak.suspects.is_empty() {
                let _ = writeln!(
                    out,
                    "  no #[profile] function kept bytes past its calls: what grows is allocated outside them"
                );
            } else {
                let _ = writeln!(
                    out,
                    "  the functions whose calls kept the most bytes (allocated in the call, not freed by its end):"
                );
                let mut table = Table::new()
                    .indent("  ")
                    .column("function", Align::Left)
                    .fitted(50)
                    .column("net bytes/call", Align::Right)
                    .column("calls", Align::Right)
                    .column("net bytes", Align::Right);
                for suspect in &soak.suspects {
                    table.push([
                        t(&suspect.function).into_owned(),
                        units::bytes(suspect.net_bytes_per_call),
                        units::count(suspect.calls as f64),
                        units::bytes(suspect.net_bytes.round()),
                    ]);
                }
                out.push_str(&table.to_string());
            }
        }
    }
    let _ = writeln!(out, "soak: {}", t(&path.display().to_string()));
    out
}

/// The soak as `--format json` prints it: `perf-soak/1`, as in soak.json.
pub(crate) fn json(soak: &Soak) -> String {
    serde_json::to_string_pretty(soak).expect("numbers and strings serialise") + "\n"
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use perf_format::schema::soak::{Ending, Growth, Soak};

    use super::super::color::Palette;
    use crate::golden::check;

    /// A soak of the `leak` example, as `cargo perf soak` wrote it:
    /// `perf-cli/tests/fixtures/golden/soak-<name>.json`.
    fn fixture(name: &str) -> Soak {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/golden")
            .join(format!("soak-{name}.json"));
        perf_format::files::load(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    fn text(soak: &Soak) -> String {
        let path = Path::new("target/perf/runs")
            .join(&soak.run)
            .join("soak.json");
        super::soak(soak, &path, Palette::new(false))
    }

    #[test]
    fn golden_soak_verdicts() {
        let growing = fixture("growing");
        check("soak-growing.txt", &text(&growing));
        check(
            "soak-growing-color.txt",
            &super::soak(&growing, Path::new("soak.json"), Palette::new(true)),
        );
        check("soak-stable.txt", &text(&fixture("stable")));
        // The other endings and verdicts: a program that exits by itself
        // under a load, growing past a threshold in code no `#[profile]`
        // function holds; and growth shown to stay below a threshold.
        let mut exited = growing.clone();
        exited.ended = Ending::Exited;
        exited.load = Some("wrk -t2 -c16 -d30s http://127.0.0.1:8080/".to_owned());
        exited.threshold_bytes_per_min = 1_048_576.0;
        exited.suspects.clear();
        check("soak-growing-exited.txt", &text(&exited));
        let mut below = growing;
        below.threshold_bytes_per_min = 8_388_608.0;
        below.verdict = Growth::Stable;
        below.suspects.clear();
        check("soak-stable-below-threshold.txt", &text(&below));
    }
}
