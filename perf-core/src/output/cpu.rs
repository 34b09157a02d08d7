//! The files of CPU sampling (feature `cpu`): `cpu-flamegraph.svg`,
//! `cpu.folded` and `profile.pb`, for a run and for a criterion benchmark.

use std::path::Path;

use perf_format::files;
use perf_format::stacks::svg::{self, Chart, Measure};
use perf_format::stacks::{SampleCount, write_folded};

use crate::sampling::CpuProfile;

/// Where the CPU files go.
pub(crate) struct CpuFiles<'a> {
    pub(crate) flamegraph: &'a Path,
    pub(crate) folded: &'a Path,
    pub(crate) pprof: &'a Path,
}

/// A stack's weight: its samples, a whole number.
fn samples(count: &SampleCount) -> u64 {
    count.samples as u64
}

/// Writes the flamegraph (titled `what` with `context` under it), the
/// folded stacks and the pprof profile, each whole or not at all.
pub(crate) fn write(
    files: &CpuFiles<'_>,
    what: &str,
    context: &str,
    profile: &CpuProfile,
) -> Result<(), perf_format::Error> {
    let stacks = profile.flamegraph_stacks();
    let chart = Chart {
        title: format!("{what}: {} by stack", Measure::Cpu.what()),
        subtitle: Some(format!(
            "{context} · {} at {} Hz",
            perf_format::units::plural(profile.samples(), "sample"),
            profile.frequency_hz
        )),
        measure: Measure::Cpu,
        calls: None,
    };
    files::write_atomic(files.flamegraph, |w| {
        svg::write_svg(w, &chart, &stacks, samples).map(drop)
    })?;
    files::write_atomic(files.folded, |w| {
        write_folded(w, &stacks, samples).map(drop)
    })?;
    files::write_atomic(files.pprof, |w| w.write_all(&profile.encode_pprof()))
}
