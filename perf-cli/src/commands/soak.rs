//! `cargo perf soak`: run a program once for a while and say whether its
//! heap grows.

use perf_format::schema::soak::Growth;

use super::{Context, Outcome, print, target};
use crate::Error;
use crate::cli::{SoakArgs, SoakFormat};
use crate::render;
use crate::run::soak::{self, SoakOptions};

/// Soaks as `args` say and prints the verdict; growing fails.
pub(super) fn run(context: &Context, args: SoakArgs) -> Result<Outcome, Error> {
    let layout = context.layout()?;
    let options = SoakOptions {
        target: target(args.build, args.command)?,
        duration: args.duration,
        warmup: args.warmup,
        grace: args.grace,
        load: args.load,
        threshold: args.threshold,
    };
    let soaked = soak::soak(&layout, &options)?;
    match args.format {
        SoakFormat::Table => print(&render::soak::soak(
            &soaked.soak,
            &soaked.path,
            context.palette,
        ))?,
        SoakFormat::Json => print(&render::soak::json(&soaked.soak))?,
    }
    Ok(Outcome::failed_if(soaked.soak.verdict == Growth::Growing))
}
