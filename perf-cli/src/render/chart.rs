//! `report --history`'s charts: one SVG line chart per function and metric,
//! drawn with plotters, the level of each stretch between change points as
//! a step, each change point marked, and each point a link to its commit.
//!
//! plotters draws the chart; the links are laid over it afterwards as
//! transparent circles (plotters has no links), at the points' pixel
//! positions as plotters mapped them.

use plotters::coord::Shift;
use plotters::prelude::*;

/// One point of a series: one commit's value.
#[derive(Debug, Clone)]
pub(crate) struct ChartPoint {
    /// What the point's tooltip says (commit, value, date).
    pub(crate) title: String,
    pub(crate) value: f64,
    /// Where a click on the point goes (the commit), if anywhere.
    pub(crate) link: Option<String>,
}

/// A change point: the first point of a new level.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChartChange {
    pub(crate) index: usize,
    /// The new level against the old, in percent.
    pub(crate) change_pct: f64,
}

/// The chart's size in pixels.
const SIZE: (u32, u32) = (720, 260);

/// The series' colour, and the change points' (a regression is red in
/// perf's reports, an improvement green).
const LINE: RGBColor = RGBColor(0x2b, 0x6c, 0xb0);
const WORSE: RGBColor = RGBColor(0xc0, 0x39, 0x2b);
const BETTER: RGBColor = RGBColor(0x1e, 0x84, 0x49);

/// An SVG chart of `points` (oldest first) titled `title`, values in
/// `unit`, with `changes` marked. `None` when there is nothing to draw.
pub(crate) fn line_chart(
    title: &str,
    unit: &str,
    points: &[ChartPoint],
    changes: &[ChartChange],
) -> Option<String> {
    if points.is_empty() {
        return None;
    }
    let mut svg = String::new();
    let positions = {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(&root, title, unit, points, changes).ok()?
    };
    let links = links(points, &positions);
    let end = svg.rfind("</svg>")?;
    svg.insert_str(end, &links);
    Some(svg)
}

/// Draws the chart; the points' pixel positions.
fn draw(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    unit: &str,
    points: &[ChartPoint],
    changes: &[ChartChange],
) -> Result<Vec<(i32, i32)>, DrawingAreaErrorKind<std::io::Error>> {
    root.fill(&WHITE)?;
    let (low, high) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.value), hi.max(p.value))
        });
    let pad = ((high - low) * 0.08)
        .max(high.abs() * 0.01)
        .max(f64::MIN_POSITIVE);
    let last = (points.len() - 1) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5..last + 0.5, (low - pad)..(high + pad))?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .x_desc("commit (oldest first)")
        .y_desc(unit)
        .x_labels(points.len().min(10))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| perf_format::units::compact(*y))
        .draw()?;
    // Each level between change points as a step at its mean.
    let mut bounds: Vec<usize> = changes.iter().map(|c| c.index).collect();
    bounds.retain(|&i| i > 0 && i < points.len());
    bounds.sort_unstable();
    bounds.dedup();
    let mut start = 0;
    for end in bounds.iter().copied().chain(std::iter::once(points.len())) {
        let level = points[start..end].iter().map(|p| p.value).sum::<f64>() / (end - start) as f64;
        chart.draw_series(LineSeries::new(
            [(start as f64 - 0.4, level), ((end - 1) as f64 + 0.4, level)],
            LINE.mix(0.35).stroke_width(6),
        ))?;
        start = end;
    }
    for change in changes
        .iter()
        .filter(|c| c.index > 0 && c.index < points.len())
    {
        let colour = if change.change_pct > 0.0 {
            WORSE
        } else {
            BETTER
        };
        let x = change.index as f64 - 0.5;
        chart.draw_series(DashedLineSeries::new(
            [(x, low - pad), (x, high + pad)],
            5,
            4,
            colour.stroke_width(2),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{:+.1}%", change.change_pct),
            (x + 0.15, high + pad * 0.6),
            ("sans-serif", 12).into_font().color(&colour),
        )))?;
    }
    chart.draw_series(LineSeries::new(
        points.iter().enumerate().map(|(i, p)| (i as f64, p.value)),
        LINE.stroke_width(2),
    ))?;
    chart.draw_series(
        points
            .iter()
            .enumerate()
            .map(|(i, p)| Circle::new((i as f64, p.value), 3, LINE.filled())),
    )?;
    let positions = points
        .iter()
        .enumerate()
        .map(|(i, p)| chart.backend_coord(&(i as f64, p.value)))
        .collect();
    root.present()?;
    Ok(positions)
}

/// The points' links and tooltips, as SVG to lay over the chart.
fn links(points: &[ChartPoint], positions: &[(i32, i32)]) -> String {
    let mut out = String::new();
    for (point, (x, y)) in points.iter().zip(positions) {
        let circle = format!(
            r#"<circle cx="{x}" cy="{y}" r="7" fill="transparent" stroke="none"><title>{}</title></circle>"#,
            escape(&point.title)
        );
        match &point.link {
            Some(link) => out.push_str(&format!(
                r#"<a href="{}" target="_top">{circle}</a>"#,
                escape(link)
            )),
            None => out.push_str(&circle),
        }
        out.push('\n');
    }
    out
}

/// Text made safe inside an XML attribute or element.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[f64]) -> Vec<ChartPoint> {
        values
            .iter()
            .enumerate()
            .map(|(i, &value)| ChartPoint {
                title: format!("c{i} <{value}>"),
                value,
                link: Some(format!("https://example.invalid/commit/c{i}?a&b")),
            })
            .collect()
    }

    #[test]
    fn every_point_links_to_its_commit_and_change_points_are_marked() {
        let values = [10.0, 10.2, 9.9, 10.1, 12.0, 12.1, 11.9, 12.2];
        let changes = [ChartChange {
            index: 4,
            change_pct: 20.0,
        }];
        let svg = line_chart("app::parse · time/call", "ns", &points(&values), &changes).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<a href=").count(), values.len());
        assert!(svg.contains(r#"href="https://example.invalid/commit/c4?a&amp;b""#));
        assert!(svg.contains("<title>c4 &lt;12&gt;</title>"));
        // The regression's marker is drawn in red.
        assert!(
            svg.contains("#C0392B") || svg.to_lowercase().contains("#c0392b"),
            "no red marker"
        );
        assert!(svg.contains("app::parse · time/call"));
        // Points further right are further right on the page.
        let overlay = &svg[svg.find("<a href=").unwrap()..];
        let xs: Vec<f64> = overlay
            .match_indices(r#"<circle cx=""#)
            .map(|(i, m)| {
                let rest = &overlay[i + m.len()..];
                rest[..rest.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
    }

    #[test]
    fn golden_line_chart() {
        let values = [
            10.0, 10.2, 9.9, 10.1, 12.0, 12.1, 11.9, 12.2, 12.0, 10.9, 11.0, 10.8,
        ];
        let changes = [
            ChartChange {
                index: 4,
                change_pct: 19.8,
            },
            ChartChange {
                index: 9,
                change_pct: -9.2,
            },
        ];
        let svg = line_chart(
            "app::parse · total time/call",
            "ns",
            &points(&values),
            &changes,
        );
        crate::golden::check("chart.svg", &svg.unwrap());
    }

    #[test]
    fn a_flat_or_single_point_series_still_draws() {
        assert!(line_chart("f", "ns", &points(&[5.0, 5.0, 5.0]), &[]).is_some());
        assert!(line_chart("f", "ns", &points(&[0.0]), &[]).is_some());
        assert!(line_chart("f", "ns", &[], &[]).is_none());
    }
}
