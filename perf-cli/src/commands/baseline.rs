//! `cargo perf baseline save | list | show | delete`: records kept by name
//! in `.perf/baselines/`.

use perf_format::units;
use perf_stats::filter::Filter;

use super::{Context, Outcome, print};
use crate::cli::BaselineCommand;
use crate::store::baselines;
use crate::{Error, gate, render};

/// Runs one `baseline` subcommand.
pub(super) fn run(context: &Context, command: BaselineCommand) -> Result<Outcome, Error> {
    // Records may be under another perf directory; baselines are the
    // workspace's wherever records are.
    let layout = context.layout()?;
    match command {
        BaselineCommand::Save { name, from } => {
            let (record, path) = baselines::save(&layout, &name, from.as_deref())?;
            print(&format!(
                "saved baseline {name} from record {} ({}, {} each) to {}\n",
                record.id,
                units::plural(record.functions.len() as u64, "function"),
                units::plural(record.sample_count() as u64, "sample"),
                path.display()
            ))?;
        }
        BaselineCommand::List => {
            let listed = baselines::list(&layout)?;
            print(&render::baselines::list(&listed, &layout.baselines_dir()))?;
            // Every baseline is listed; one that cannot be read is trouble.
            if let Some(listed) = listed.into_iter().find(|l| l.record.is_err()) {
                return Err(listed.record.expect_err("found unreadable"));
            }
        }
        BaselineCommand::Show { name, filter } => {
            let (full, path) = baselines::load_baseline(&layout, &name)?;
            let filter = Filter::new(&filter.filter);
            gate::check_filter(&filter, &[&full])?;
            let record = filter.apply(&full);
            print(&render::baselines::show(&name, &record, &path))?;
        }
        BaselineCommand::Delete { name } => {
            let path = baselines::delete(&layout, &name)?;
            print(&format!("deleted baseline {name} ({})\n", path.display()))?;
        }
    }
    Ok(Outcome::Passed)
}
