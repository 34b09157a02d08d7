//! The files of CPU sampling (feature `cpu`): `cpu-flamegraph.svg`,
//! `cpu.folded` and `profile.pb`, for a run and for a criterion benchmark.

use std::path::Path;

use super::fs;
use crate::Error;
use crate::flamegraph::{self, Chart, Palette};
use crate::sampling::CpuProfile;

/// Where the CPU files go.
pub(crate) struct CpuFiles<'a> {
    pub(crate) flamegraph: &'a Path,
    pub(crate) folded: &'a Path,
    pub(crate) pprof: &'a Path,
}

/// Writes the flamegraph (titled `what` with `context` under it), the
/// folded stacks and the pprof profile, each whole or not at all.
pub(crate) fn write(
    files: &CpuFiles<'_>,
    what: &str,
    context: &str,
    profile: &CpuProfile,
) -> Result<(), Error> {
    let stacks = profile.flamegraph_stacks();
    let chart = Chart {
        title: format!("{what}: CPU samples by stack"),
        subtitle: Some(format!(
            "{context} · {} samples at {} Hz",
            profile.samples(),
            profile.frequency_hz
        )),
        count_name: "samples".to_owned(),
        palette: Palette::Cpu,
    };
    fs::write_atomic(files.flamegraph, |w| {
        flamegraph::write_svg(w, &chart, &stacks).map(drop)
    })?;
    fs::write_atomic(files.folded, |w| {
        flamegraph::write_folded(w, &stacks).map(drop)
    })?;
    fs::write_atomic(files.pprof, |w| {
        std::io::Write::write_all(w, &profile.encode_pprof())
    })
}
