//! `cargo perf ab`: two git revisions built and run interleaved on this
//! machine, and judged as `compare` judges.

use super::compare::{Verdict, show_verdict};
use super::{Context, Outcome, cargo_program, warn_of_too_few_runs};
use crate::Error;
use crate::cli::AbArgs;
use crate::run::ab::{self, AbOptions};
use crate::store::config::Config;

/// Builds and runs both sides as `args` say and shows the verdict.
pub(super) fn run(context: &Context, args: AbArgs) -> Result<Outcome, Error> {
    let layout = context.layout()?;
    // A perf.toml that cannot be read stops it before anything is built.
    let config = Config::load(&layout.config_file())?;
    let (kind, name, build) = cargo_program(args.build)?;
    let runs = args.plan.runs(args.instructions);
    if !args.instructions {
        warn_of_too_few_runs(&layout, config.compare.significance, &name, runs);
    }
    let options = AbOptions {
        base: args.base,
        head: args.head,
        runs,
        warmup: args.plan.warmup(args.instructions),
        seed: args.seed,
        kind,
        name,
        build,
        args: args.args,
        quiet: false,
        instructions: args.instructions,
    };
    let made = ab::ab(&layout, &options)?;
    let verdict = Verdict {
        baseline: (&made.base.record.id, &made.base.record),
        current: &made.head.record,
        notes: made.notes,
        interleaved: true,
    };
    show_verdict(context, &layout, &config, &args.verdict, verdict)
}
