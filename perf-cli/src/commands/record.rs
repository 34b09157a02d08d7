//! `cargo perf record`: run a program N times and merge its runs into a
//! record.

use super::{Context, Outcome, print, target, warn_of_too_few_runs};
use crate::Error;
use crate::cli::RecordArgs;
use crate::render;
use crate::run::record::{self, RecordOptions};
use crate::store::config::Config;

/// Rows of the record's table shown after recording.
const SHOWN: usize = 15;

/// Records as `args` say and shows the record.
pub(super) fn run(context: &Context, args: RecordArgs) -> Result<Outcome, Error> {
    let layout = context.layout()?;
    let options = RecordOptions {
        runs: args.plan.runs(args.instructions),
        warmup: args.plan.warmup(args.instructions),
        name: args.name,
        target: target(args.build, args.command)?,
        quiet: false,
        instructions: args.instructions,
    };
    // Counts are exact: one run decides them.
    if !options.instructions {
        let config = Config::load(&layout.config_file())?;
        let name = options
            .name
            .clone()
            .unwrap_or_else(|| options.target.default_name());
        warn_of_too_few_runs(&layout, config.compare.significance, &name, options.runs);
    }
    let recorded = record::record(&layout, &options)?;
    print(&format!(
        "{}record: {}\n",
        render::record::table(&recorded.record, SHOWN),
        recorded.path.display()
    ))?;
    Ok(Outcome::Passed)
}
