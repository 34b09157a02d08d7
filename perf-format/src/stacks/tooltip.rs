//! The frames of a flamegraph SVG drawn by inferno, read back with their
//! call paths, and their tooltips (`<title>`) rewritten.
//!
//! inferno writes each frame as `<g><title>NAME (FIGURES)</title><rect …
//! y="…" fg:x="…" fg:w="…"/>…</g>`: `fg:x` and `fg:w` are the frame's start
//! and width in the picture's unit, and frames of one depth share a `y`
//! (the root, `all`, lowest). A frame's parent is the frame one level
//! down whose span holds it, which gives every frame its call path.

use std::collections::HashMap;

use crate::html::escape;

/// One frame as drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Drawn {
    /// Its call path as folded, root first, `;` between frames (empty for
    /// inferno's root frame `all`).
    pub(super) path: String,
    /// Its name as folded (its tooltip's name).
    pub(super) name: String,
    /// Its width: the value of its stacks, callees included.
    pub(super) value: u64,
    /// inferno's own figures, inside the tooltip's last parentheses.
    pub(super) figures: String,
}

/// A frame's tooltip and geometry as found in the SVG.
struct Found {
    /// Byte range of the tooltip's text.
    title: (usize, usize),
    name: String,
    figures: String,
    y: i64,
    x: u64,
    width: u64,
}

/// `svg` with each frame's tooltip `name (figures)` given the figures
/// `reword` returns for it, where it returns some; frames it gives none
/// keep inferno's tooltip.
pub(super) fn retitle(svg: &str, mut reword: impl FnMut(&Drawn) -> Option<String>) -> String {
    let found = find(svg);
    let drawn = paths(&found);
    let mut out = String::with_capacity(svg.len() + svg.len() / 3);
    let mut at = 0;
    for (frame, drawn) in found.iter().zip(&drawn) {
        let Some(figures) = reword(drawn) else {
            continue;
        };
        // The picture's script takes a frame's label from its tooltip up
        // to the last parenthesis: the figures hold none.
        let figures = figures.replace('(', "[").replace(')', "]");
        out.push_str(&svg[at..frame.title.0]);
        out.push_str(&escape(&format!("{} ({figures})", drawn.name)));
        at = frame.title.1;
    }
    out.push_str(&svg[at..]);
    out
}

/// Every frame with a tooltip and a rectangle, in the SVG's order.
fn find(svg: &str) -> Vec<Found> {
    const OPEN: &str = "<title>";
    const CLOSE: &str = "</title>";
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(start) = svg[at..].find(OPEN).map(|i| at + i + OPEN.len()) {
        let Some(end) = svg[start..].find(CLOSE).map(|i| start + i) else {
            break;
        };
        at = end + CLOSE.len();
        let rest = &svg[at..];
        let rect = rest
            .find("<rect ")
            .filter(|&i| !rest[..i].contains("<title>"))
            .and_then(|i| rest[i..].find("/>").map(|j| &rest[i..i + j]));
        let title = unescape(&svg[start..end]);
        // Names as drawn hold no space: the last " (" opens the figures.
        let Some((name, figures)) = title.strip_suffix(')').and_then(|t| t.rsplit_once(" ("))
        else {
            continue;
        };
        let Some(rect) = rect else { continue };
        let number = |key: &str| -> Option<f64> {
            let from = rect.find(key)? + key.len();
            let value = &rect[from..];
            value[..value.find('"')?].parse().ok()
        };
        let (Some(y), Some(x), Some(width)) =
            (number(" y=\""), number(" fg:x=\""), number(" fg:w=\""))
        else {
            continue;
        };
        found.push(Found {
            title: (start, end),
            name: name.to_owned(),
            figures: figures.to_owned(),
            y: y.round() as i64,
            x: x as u64,
            width: width as u64,
        });
    }
    found
}

/// The frames of `found` with their call paths: depth from the rows'
/// heights (the lowest row is the root), the parent the frame of the row
/// below whose span holds the frame's start.
fn paths(found: &[Found]) -> Vec<Drawn> {
    let mut rows: Vec<i64> = found.iter().map(|f| f.y).collect();
    rows.sort_unstable_by(|a, b| b.cmp(a));
    rows.dedup();
    let depth_of: HashMap<i64, usize> = rows.iter().enumerate().map(|(d, &y)| (y, d)).collect();
    // Frames by depth, sorted by start.
    let mut by_depth: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
    for (i, frame) in found.iter().enumerate() {
        by_depth[depth_of[&frame.y]].push(i);
    }
    for row in &mut by_depth {
        row.sort_unstable_by_key(|&i| found[i].x);
    }
    let mut path: Vec<Option<String>> = vec![None; found.len()];
    for (depth, row) in by_depth.iter().enumerate() {
        for &i in row {
            let frame = &found[i];
            let parent = depth.checked_sub(1).and_then(|below| {
                let row = &by_depth[below];
                let after = row.partition_point(|&p| found[p].x <= frame.x);
                let p = *row.get(after.checked_sub(1)?)?;
                (frame.x < found[p].x + found[p].width.max(1)).then_some(p)
            });
            path[i] = Some(match parent.and_then(|p| path[p].as_deref()) {
                // inferno's root, `all`, is no frame of the stacks.
                _ if depth == 0 => String::new(),
                Some("") | None => frame.name.clone(),
                Some(above) => format!("{above};{}", frame.name),
            });
        }
    }
    found
        .iter()
        .zip(path)
        .map(|(frame, path)| Drawn {
            path: path.unwrap_or_default(),
            name: frame.name.clone(),
            value: frame.width,
            figures: frame.figures.clone(),
        })
        .collect()
}

/// XML text as it reads: the five predefined entities and `&#39;`.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three rows as inferno draws them: `all`, `main`, then `a` and `b`.
    const SVG: &str = r#"<svg><g><title>a (30 ns, 60.00%)</title><rect x="0%" y="45" width="60%" height="15" fg:x="0" fg:w="30"/></g>
<g><title>b (10 ns, 20.00%)</title><rect x="60%" y="45" width="20%" height="15" fg:x="30" fg:w="10"/></g>
<g><title>all (50 ns, 100%)</title><rect x="0%" y="77" width="100%" height="15" fg:x="0" fg:w="50"/></g>
<g><title>main (50 ns, 100.00%)</title><rect x="0%" y="61" width="100%" height="15" fg:x="0" fg:w="50"/></g></svg>"#;

    #[test]
    fn frames_are_read_back_with_their_call_paths() {
        let mut seen = Vec::new();
        let same = retitle(SVG, |frame| {
            seen.push((frame.path.clone(), frame.value, frame.figures.clone()));
            None
        });
        assert_eq!(same, SVG);
        assert_eq!(
            seen,
            [
                ("main;a".to_owned(), 30, "30 ns, 60.00%".to_owned()),
                ("main;b".to_owned(), 10, "10 ns, 20.00%".to_owned()),
                (String::new(), 50, "50 ns, 100%".to_owned()),
                ("main".to_owned(), 50, "50 ns, 100.00%".to_owned()),
            ]
        );
    }

    #[test]
    fn tooltips_are_rewritten_escaped_and_without_parentheses() {
        let svg = retitle(SVG, |frame| {
            (frame.path == "main;b").then(|| "10 ns <in all> (once)".to_owned())
        });
        assert!(
            svg.contains("<title>b (10 ns &lt;in all&gt; [once])</title>"),
            "{svg}"
        );
        assert!(svg.contains("<title>a (30 ns, 60.00%)</title>"));
    }
}
