//! The end of an example's report: where the run's files are.

use perf_core::Run;

/// Prints the paths of the run's flamegraphs, indented under the heading the
/// example printed (`flamegraph.svg`, and `alloc-flamegraph.svg` when
/// allocations were tracked: open them in a browser), then the `trace.json`
/// to open in ui.perfetto.dev.
pub fn print_files(run: &Run) {
    let files = run.files();
    // Drawn with perf-core's `svg` feature, which this package turns on.
    if let Some(flamegraph) = &files.flamegraph {
        println!("  {}", flamegraph.display());
    }
    if let Some(alloc) = &files.alloc_flamegraph {
        println!("  {}", alloc.display());
    }
    println!("open in ui.perfetto.dev: {}", files.trace.display());
}
