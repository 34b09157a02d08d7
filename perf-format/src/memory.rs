//! `memory.svg`: a run's heap timeline (`run.json`'s `heap`) as a line
//! chart drawn by plotters — live bytes in MiB over seconds since the
//! session started, the peak marked. Text is left to the browser: the SVG
//! names a font family and carries its labels as text.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::Error;
use crate::files;
use crate::schema::run::HeapInfo;
use crate::units;

/// The chart's size in pixels.
const SIZE: (u32, u32) = (800, 320);

/// The line's colour, and the peak's.
const LINE: RGBColor = RGBColor(0x2b, 0x6c, 0xb0);
const PEAK: RGBColor = RGBColor(0xc0, 0x39, 0x2b);

/// Bytes in a MiB.
const MIB: f64 = 1024.0 * 1024.0;

/// The chart of `heap` titled `title`, with `subtitle` (run, host, commit)
/// under it when given, as SVG text.
pub fn chart(title: &str, subtitle: Option<&str>, heap: &HeapInfo) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        // Drawing into a string fails only on a backend error, which the
        // string backend does not have; a chart cut short still parses.
        let _ = draw(&root, title, subtitle, heap);
    }
    svg
}

/// Writes the chart of `heap` to `path` (atomically).
pub fn write(
    path: &Path,
    title: &str,
    subtitle: Option<&str>,
    heap: &HeapInfo,
) -> Result<(), Error> {
    let svg = chart(title, subtitle, heap);
    files::write_atomic(path, |w| w.write_all(svg.as_bytes()))
}

/// The points to draw, in seconds and MiB: the timeline, or the start,
/// peak and finish when it is empty.
fn points(heap: &HeapInfo) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = heap
        .timeline
        .iter()
        .map(|p| (p.t_ns as f64 / 1e9, p.live_bytes as f64 / MIB))
        .collect();
    if points.is_empty() {
        points.push((0.0, heap.start_live_bytes as f64 / MIB));
        points.push((heap.peak_at_ns as f64 / 1e9, heap.peak_bytes as f64 / MIB));
    }
    points
}

fn draw(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    subtitle: Option<&str>,
    heap: &HeapInfo,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    root.fill(&WHITE)?;
    let points = points(heap);
    let peak = (heap.peak_at_ns as f64 / 1e9, heap.peak_bytes as f64 / MIB);
    let last = points.iter().map(|p| p.0).fold(peak.0, f64::max);
    let high = points.iter().map(|p| p.1).fold(peak.1, f64::max);
    let x_end = if last > 0.0 { last * 1.02 } else { 1.0 };
    let y_end = if high > 0.0 { high * 1.12 } else { 1.0 };
    let area = match subtitle {
        Some(subtitle) => {
            let (top, rest) = root.split_vertically(20);
            top.draw(&Text::new(
                subtitle.to_owned(),
                (8, 4),
                ("sans-serif", 12).into_font().color(&BLACK.mix(0.6)),
            ))?;
            rest
        }
        None => root.clone(),
    };
    let mut chart = ChartBuilder::on(&area)
        .caption(title, ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_end, 0.0..y_end)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .x_desc("seconds since the session started")
        .y_desc("live heap (MiB)")
        .x_label_formatter(&|x| tick(*x))
        .y_label_formatter(&|y| tick(*y))
        .draw()?;
    chart.draw_series(LineSeries::new(
        points.iter().copied(),
        LINE.stroke_width(2),
    ))?;
    chart.draw_series(std::iter::once(Circle::new(peak, 5, PEAK.filled())))?;
    let label = format!(
        "peak {} at {}",
        units::bytes(heap.peak_bytes as f64),
        units::duration(heap.peak_at_ns as f64)
    );
    // The label right of the mark, or left of it in the right half.
    let anchor = if peak.0 > x_end * 0.6 {
        (peak.0 - x_end * 0.3, peak.1 + y_end * 0.05)
    } else {
        (peak.0 + x_end * 0.01, peak.1 + y_end * 0.05)
    };
    chart.draw_series(std::iter::once(Text::new(
        label,
        anchor,
        ("sans-serif", 12).into_font().color(&PEAK),
    )))?;
    root.present()
}

/// An axis label: [`units::significant`] without trailing zeros (`0.2`, not `0.200`).
fn tick(value: f64) -> String {
    let text = units::significant(value);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::run::HeapPoint;

    fn heap() -> HeapInfo {
        HeapInfo {
            start_live_bytes: 1 << 20,
            peak_bytes: 3 << 20,
            peak_at_ns: 150_000_000,
            live_bytes: 2 << 20,
            timeline: vec![
                HeapPoint::new(0, 1 << 20),
                HeapPoint::new(100_000_000, 2 << 20),
                HeapPoint::new(150_000_000, 3 << 20),
                HeapPoint::new(200_000_000, 2 << 20),
            ],
            ..HeapInfo::default()
        }
    }

    #[test]
    fn draws_the_timeline_in_mib_and_seconds_with_the_peak_marked() {
        let svg = chart("app: live heap", Some("run r · host · commit c"), &heap());
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("app: live heap"));
        assert!(svg.contains("run r · host · commit c"));
        assert!(svg.contains("live heap (MiB)"));
        assert!(svg.contains("seconds since the session started"));
        assert!(svg.contains("peak 3.00 MiB at 150 ms"), "{svg}");
        assert!(svg.contains("<polyline"), "the line");
        assert!(svg.to_lowercase().contains("#c0392b"), "the peak's mark");
    }

    #[test]
    fn an_empty_timeline_still_draws_start_and_peak() {
        let mut heap = heap();
        heap.timeline.clear();
        assert_eq!(points(&heap), vec![(0.0, 1.0), (0.15, 3.0)]);
        let svg = chart("app", None, &heap);
        assert!(svg.contains("peak 3.00 MiB"));
        let empty = chart("app", None, &HeapInfo::default());
        assert!(empty.contains("peak 0 B at 0 ns"), "{empty}");
    }

    #[test]
    fn figures_keep_three_digits() {
        assert_eq!(tick(0.2), "0.2");
        assert_eq!(tick(1.5), "1.5");
        assert_eq!(tick(120.0), "120");
        assert_eq!(tick(0.0), "0");
    }
}
