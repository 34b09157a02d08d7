//! `profile.pb`: the samples in pprof's protobuf format, for `go tool pprof`
//! and every viewer that reads it. Built from perf's stacks rather than
//! pprof-rs's report, so that it names inlined instrumented functions by
//! their full path, as the flamegraph does, and leaves out the same frames.

use std::borrow::Cow;
use std::time::Duration;

use crate::pprof::{FrameRef, ProfileBuilder};

use super::CpuProfile;

/// Encodes the profile's stacks (thread name first, then root to leaf),
/// each sample standing for `period` of CPU time; the thread's name is the
/// sample's `thread` label.
pub(super) fn encode(profile: &CpuProfile, period: Duration) -> Vec<u8> {
    let period = i64::try_from(period.as_nanos()).unwrap_or(i64::MAX);
    let mut builder = ProfileBuilder::new(&[("samples", "count"), ("cpu", "nanoseconds")])
        .period("cpu", "nanoseconds", period)
        .default_sample_type("cpu")
        .time(profile.started)
        .duration(profile.duration);
    for stack in &profile.stacks {
        let thread = stack.frames.first().map_or("", |f| f.name.as_str());
        let frames = &stack.frames[1.min(stack.frames.len())..];
        let files: Vec<Cow<'_, str>> = frames
            .iter()
            .map(|f| {
                f.file
                    .as_deref()
                    .map_or(Cow::Borrowed(""), |p| p.to_string_lossy())
            })
            .collect();
        let frames: Vec<FrameRef<'_>> = frames
            .iter()
            .zip(&files)
            .map(|(frame, file)| FrameRef {
                name: &frame.name,
                file,
                line: frame.line,
            })
            .collect();
        let count = i64::try_from(stack.samples).unwrap_or(i64::MAX);
        builder.add_sample(
            &frames,
            &[count, count.saturating_mul(period)],
            &[("thread", thread)],
        );
    }
    builder.encode()
}
