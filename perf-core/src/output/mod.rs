//! Everything a session writes under the output root: the run directory with
//! `run.json`, the flamegraphs and the trace, and the `latest` pointer.

pub(crate) mod flamegraph;
pub(crate) mod fs;
pub(crate) mod trace;

use std::io::Write as _;
use std::path::{Path, PathBuf};

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
    pub flamegraph: PathBuf,
    /// `alloc-flamegraph.svg`: bytes allocated by call stack, when tracked.
    pub alloc_flamegraph: Option<PathBuf>,
    /// `trace.json`: the timeline in Chrome trace format; open it in ui.perfetto.dev.
    pub trace: PathBuf,
}

impl RunFiles {
    fn in_dir(dir: PathBuf, with_allocs: bool) -> Self {
        RunFiles {
            run_json: dir.join("run.json"),
            flamegraph: dir.join("flamegraph.svg"),
            alloc_flamegraph: with_allocs.then(|| dir.join("alloc-flamegraph.svg")),
            trace: dir.join("trace.json"),
            dir,
        }
    }

    /// Every file, in the order above.
    pub fn iter(&self) -> impl Iterator<Item = &Path> {
        [
            Some(&self.run_json),
            Some(&self.flamegraph),
            self.alloc_flamegraph.as_ref(),
            Some(&self.trace),
        ]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
    }
}

/// What the trace needs beyond the run.
pub(crate) struct TraceInput<'a> {
    pub(crate) threads: &'a [ThreadSnapshot],
    pub(crate) start_ticks: u64,
}

/// Writes the run into `runs_dir/<id>/` whole or not at all: every file goes
/// into a hidden temporary directory that is renamed into place at the end,
/// then `runs_dir/latest` is replaced atomically.
pub(crate) fn write_run(
    runs_dir: &Path,
    data: &RunData,
    trace: &TraceInput<'_>,
) -> Result<RunFiles, Error> {
    let staging = tempfile::Builder::new()
        .prefix(".staging-")
        .tempdir_in(runs_dir)
        .map_err(|e| Error::output_dir(runs_dir, e))?;
    let staged = RunFiles::in_dir(staging.path().to_owned(), data.alloc_tracking);
    let final_dir = runs_dir.join(&data.id);
    let final_files = RunFiles::in_dir(final_dir.clone(), data.alloc_tracking);

    // Errors name the file's final path: that is the one the user knows.
    let named = |staged: &Path, target: &Path, e: Error| match e {
        Error::Write { source, .. } if staged != target => Error::write(target, source),
        other => other,
    };
    fs::write_file(&staged.run_json, |w| {
        serde_json::to_writer_pretty(&mut *w, data)?;
        std::io::Write::write_all(w, b"\n")
    })
    .map_err(|e| named(&staged.run_json, &final_files.run_json, e))?;
    flamegraph::write(&staged.flamegraph, data, flamegraph::Metric::Time)
        .map_err(|e| named(&staged.flamegraph, &final_files.flamegraph, e))?;
    if let (Some(staged_path), Some(final_path)) =
        (&staged.alloc_flamegraph, &final_files.alloc_flamegraph)
    {
        flamegraph::write(staged_path, data, flamegraph::Metric::Alloc)
            .map_err(|e| named(staged_path, final_path, e))?;
    }
    trace::write(&staged.trace, data, trace)
        .map_err(|e| named(&staged.trace, &final_files.trace, e))?;

    let staging_path = staging.keep();
    if let Err(e) = std::fs::rename(&staging_path, &final_dir) {
        let _ = std::fs::remove_dir_all(&staging_path);
        return Err(Error::output_dir(&final_dir, e));
    }
    fs::write_atomic(&runs_dir.join("latest"), |w| writeln!(w, "{}", data.id))?;
    Ok(final_files)
}
