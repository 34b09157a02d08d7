//! `/debug/pprof/allocs`: what each `#[profile]` call path's own code
//! allocated since the session started, as Go's allocs profile.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::figures::Figures;
use crate::pprof::{FrameRef, allocs_profile};

/// The allocs profile of `figures`, whose session started `elapsed` ago.
/// Uncompressed.
pub(crate) fn profile(figures: &Figures, elapsed: Duration) -> Vec<u8> {
    let sites: HashMap<&str, (&str, u32)> = figures
        .functions
        .iter()
        .map(|f| (f.name.as_str(), (f.file.as_str(), f.line)))
        .collect();
    let by_id: HashMap<u32, &crate::model::CallNode> = figures
        .call_tree
        .iter()
        .map(|node| (node.id, node))
        .collect();
    let paths = figures
        .call_tree
        .iter()
        .filter(|node| node.self_allocs > 0)
        .map(|node| {
            let mut frames = Vec::new();
            let mut at = Some(node);
            while let Some(n) = at {
                let (file, line) = sites.get(n.function.as_str()).copied().unwrap_or(("", 0));
                frames.push(FrameRef {
                    name: &n.function,
                    file,
                    line,
                });
                at = n.parent.and_then(|parent| by_id.get(&parent).copied());
            }
            frames.reverse();
            (frames, node.self_allocs, node.self_alloc_bytes)
        });
    allocs_profile(paths, SystemTime::now() - elapsed, elapsed)
}
