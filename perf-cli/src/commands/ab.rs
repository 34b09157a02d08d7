//! `cargo perf ab`: two git revisions built and run interleaved on this
//! machine, and judged as `compare` judges.

use super::compare::{Verdict, show_verdict};
use super::{Context, Outcome, cargo_program, warn_of_too_few_runs};
use crate::Error;
use crate::cli::AbArgs;
use crate::run::ab::{self, AbOptions};
use crate::store::config::Config;

/// Says on stderr, before anything runs, when `pairs` pairs cannot decide
/// the `(whole program)` row, the one row that sees a change slowing
/// every function alike: its signed-rank test never reaches its level.
fn warn_of_too_few_pairs(alpha: f64, pairs: usize) {
    let needed = perf_stats::gate::pairs_to_decide(alpha);
    if pairs >= needed {
        return;
    }
    eprintln!(
        "warning: {pairs} pair{} of runs cannot decide (whole program): Wilcoxon's signed-rank test on them gives at best p = {:.2e}, above its α = {}, so a change that slows every function alike would pass. {needed} pairs would decide it (--runs {needed}).",
        if pairs == 1 { "" } else { "s" },
        perf_stats::rank::smallest_paired_p_value(pairs),
        alpha,
    );
}

/// Builds and runs both sides as `args` say and shows the verdict.
pub(super) fn run(context: &Context, args: AbArgs) -> Result<Outcome, Error> {
    let layout = context.layout()?;
    // A perf.toml that cannot be read stops it before anything is built.
    let config = Config::load(&layout.config_file())?;
    let (kind, name, build) = cargo_program(args.build)?;
    let runs = args.plan.runs(args.instructions);
    if !args.instructions {
        let alpha = config.compare.significance;
        warn_of_too_few_runs(&layout, alpha, &name, runs);
        warn_of_too_few_pairs(alpha, runs);
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
