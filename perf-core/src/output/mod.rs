//! Everything a session writes under the output root: the run directory with
//! `run.json`, the flamegraphs and the trace, and the `latest` pointer.

#[cfg(all(feature = "cpu", unix))]
pub(crate) mod cpu;
#[cfg(all(test, feature = "svg"))]
pub(crate) mod fixtures;
#[cfg(feature = "svg")]
pub(crate) mod flamegraph;
pub(crate) mod trace;

use std::path::{Path, PathBuf};

use perf_format::files::{self, Claim, StagedDir};
use perf_format::layout::{self, run_files};
#[cfg(feature = "svg")]
use perf_format::stacks::svg::Measure;

use crate::Error;
use crate::model::RunData;
use crate::recorder::ThreadSnapshot;

/// The files of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunFiles {
    /// `runs/<id>/`.
    pub dir: PathBuf,
    /// `run.json`: every figure, for machines (`cargo perf`) and people.
    pub run_json: PathBuf,
    /// `flamegraph.svg`: wall time by call stack; open it in a browser.
    /// With the feature `svg` (without it, `cargo perf flamegraph` draws it
    /// from `run.json`).
    pub flamegraph: Option<PathBuf>,
    /// `alloc-flamegraph.svg`: bytes allocated by call stack, when tracked
    /// (feature `svg`).
    pub alloc_flamegraph: Option<PathBuf>,
    /// `trace.json`: the timeline in Chrome trace format; open it in ui.perfetto.dev.
    pub trace: PathBuf,
    /// `memory.svg`: live heap bytes over the session, when allocations are
    /// tracked (feature `svg`); open it in a browser.
    pub memory: Option<PathBuf>,
    /// `cpu-flamegraph.svg`: CPU samples by stack (feature `cpu`).
    pub cpu_flamegraph: Option<PathBuf>,
    /// `cpu.folded`: the CPU samples as folded stacks, for inferno and `cargo perf`.
    pub cpu_folded: Option<PathBuf>,
    /// `profile.pb`: the CPU samples for `go tool pprof` (feature `cpu`).
    pub pprof: Option<PathBuf>,
    /// `dhat-heap.json`: the heap profile for dhat's viewer (feature `heap`).
    pub heap_profile: Option<PathBuf>,
}

impl RunFiles {
    fn in_dir(dir: PathBuf, contents: &RunContents<'_>) -> Self {
        let cpu = contents.cpu.is_some();
        // The pictures are the `svg` feature's.
        let svg = cfg!(feature = "svg");
        RunFiles {
            run_json: dir.join(run_files::RUN_JSON),
            flamegraph: svg.then(|| dir.join(run_files::FLAMEGRAPH)),
            alloc_flamegraph: (svg && contents.data.alloc_tracking)
                .then(|| dir.join(run_files::ALLOC_FLAMEGRAPH)),
            trace: dir.join(run_files::TRACE),
            memory: (svg && contents.data.heap.is_some()).then(|| dir.join(run_files::MEMORY)),
            cpu_flamegraph: cpu.then(|| dir.join(run_files::CPU_FLAMEGRAPH)),
            cpu_folded: cpu.then(|| dir.join(run_files::CPU_FOLDED)),
            pprof: cpu.then(|| dir.join(run_files::PPROF)),
            heap_profile: contents
                .heap
                .is_some_and(written)
                .then(|| dir.join(run_files::HEAP_PROFILE)),
            dir,
        }
    }

    /// Every file, in the order above.
    pub fn iter(&self) -> impl Iterator<Item = &Path> {
        [
            Some(&self.run_json),
            self.flamegraph.as_ref(),
            self.alloc_flamegraph.as_ref(),
            Some(&self.trace),
            self.memory.as_ref(),
            self.cpu_flamegraph.as_ref(),
            self.cpu_folded.as_ref(),
            self.pprof.as_ref(),
            self.heap_profile.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
    }
}

/// Whether dhat wrote its profile to `file`: it says on stderr when it
/// cannot, and the run then has no heap profile.
fn written(file: &Path) -> bool {
    std::fs::metadata(file).is_ok_and(|meta| meta.len() > 0)
}

/// What the trace needs beyond the run.
pub(crate) struct TraceInput<'a> {
    pub(crate) threads: &'a [ThreadSnapshot],
    pub(crate) start_ticks: u64,
    /// Turns clock ticks into nanoseconds.
    pub(crate) ticks_to_ns: fn(u64) -> u64,
}

/// Everything a run directory is made from.
pub(crate) struct RunContents<'a> {
    pub(crate) data: &'a RunData,
    pub(crate) trace: TraceInput<'a>,
    /// The CPU samples (feature `cpu`).
    #[cfg(all(feature = "cpu", unix))]
    pub(crate) cpu: Option<&'a crate::sampling::CpuProfile>,
    #[cfg(not(all(feature = "cpu", unix)))]
    pub(crate) cpu: Option<std::convert::Infallible>,
    /// The file dhat wrote its heap profile to (feature `heap`), moved
    /// into the run.
    pub(crate) heap: Option<&'a Path>,
}

/// Writes the run into its claimed directory `runs_dir/<id>/` whole or not
/// at all: every file goes into a hidden staging directory that is renamed
/// onto the claim at the end, then `runs_dir/latest` is replaced atomically.
pub(crate) fn write_run(
    runs_dir: &Path,
    claim: Claim,
    contents: &RunContents<'_>,
) -> Result<RunFiles, Error> {
    let data = contents.data;
    let staging = StagedDir::new_in(runs_dir)?;
    let staged = RunFiles::in_dir(staging.path().to_owned(), contents);
    let final_dir = claim.path().to_owned();
    let final_files = RunFiles::in_dir(final_dir.clone(), contents);

    // Errors name the file's final path: that is the one the user knows.
    let named = |e: perf_format::Error| match e {
        perf_format::Error::Write { path, source } => {
            perf_format::Error::write(final_dir.join(path.file_name().unwrap_or_default()), source)
        }
        other => other,
    };
    files::write_json(&staged.run_json, data).map_err(named)?;
    #[cfg(feature = "svg")]
    if let Some(path) = &staged.flamegraph {
        flamegraph::write(path, data, Measure::Time).map_err(named)?;
    }
    #[cfg(feature = "svg")]
    if let Some(path) = &staged.alloc_flamegraph {
        flamegraph::write(path, data, Measure::Alloc).map_err(named)?;
    }
    trace::write(&staged.trace, data, &contents.trace).map_err(named)?;
    #[cfg(feature = "svg")]
    if let (Some(heap), Some(path)) = (&data.heap, &staged.memory) {
        let title = format!("{}: live heap", data.name);
        let subtitle = flamegraph::subtitle(data);
        perf_format::memory::write(path, &title, Some(&subtitle), heap).map_err(named)?;
    }
    #[cfg(all(feature = "cpu", unix))]
    if let (Some(profile), Some(flamegraph), Some(folded), Some(pprof)) = (
        contents.cpu,
        &staged.cpu_flamegraph,
        &staged.cpu_folded,
        &staged.pprof,
    ) {
        let files = cpu::CpuFiles {
            flamegraph,
            folded,
            pprof,
        };
        cpu::write(&files, &data.name, &flamegraph::subtitle(data), profile).map_err(named)?;
    }
    if let (Some(written), Some(path)) = (contents.heap, &staged.heap_profile) {
        files::rename(written, path).map_err(named)?;
    }
    staging.publish(claim)?;
    layout::set_latest(runs_dir, &data.id)?;
    Ok(final_files)
}
