//! `cargo perf check`: a record held against the budgets in perf.toml
//! only, no baseline.

use perf_format::schema::compare::BudgetReport;
use perf_stats::filter::Filter;

use super::{Context, Outcome, print};
use crate::cli::CheckArgs;
use crate::render::{self, Format};
use crate::store::config::Config;
use crate::store::records;
use crate::{Error, gate};

/// Holds the record `args` name against the budgets.
pub(super) fn run(context: &Context, args: CheckArgs) -> Result<Outcome, Error> {
    let layout = context.layout()?;
    let config_path = layout.config_file();
    let config = Config::load(&config_path)?;
    if config.budgets.is_empty() {
        // The example names a function of the record when there is one,
        // its limits taken from the record's figures.
        let record = records::load_record(&layout, Some(&args.against))
            .ok()
            .map(|(record, _)| record);
        return Err(Error::NoBudgets {
            exists: config_path.exists(),
            path: config_path,
            example: gate::budget_example(record.as_ref()),
        });
    }
    let (current, _) = records::load_record(&layout, Some(&args.against))?;
    let filter = Filter::new(&args.filter.filter);
    gate::check_filter(&filter, &[&current])?;
    let budgets = gate::filtered_budgets(&config, &filter);
    if budgets.is_empty() {
        let named: Vec<&str> = config
            .budgets
            .iter()
            .map(|b| b.budget.function.as_str())
            .collect();
        return Err(Error::Config {
            path: config_path,
            problem: format!(
                "no [[budget]] entry is for a function that --filter {} keeps; the entries are for {}",
                filter
                    .texts()
                    .iter()
                    .map(|t| format!("{t:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                named.join(", ")
            ),
        });
    }
    let checks = gate::check_budgets(
        &budgets,
        &current,
        &config_path,
        config.compare.significance,
    )?;
    let report = BudgetReport::new(current.id.clone(), checks);
    print(&render::budgets::budgets(
        &report,
        &config_path,
        Format::from(args.format),
        context.palette,
    ))?;
    Ok(Outcome::failed_if(report.failed))
}
