//! `cargo perf report`: one self-contained HTML page about a record.

use perf_stats::filter::Filter;

use super::{
    Context, Outcome, current_dir, history, pictures_dir, print, shown_path, write_output,
};
use crate::cli::{GateFlags, ReportArgs};
use crate::render::flamegraph::Before;
use crate::render::report::{self, Report};
use crate::store::config::Config;
use crate::store::{baselines, records};
use crate::{Error, gate, settings};

/// Writes the page `args` ask for.
pub(super) fn run(context: &Context, args: ReportArgs) -> Result<Outcome, Error> {
    let layout = context.layout()?;
    let config = Config::load(&layout.config_file())?;
    let (record, path) = records::load_record(&layout, Some(&args.record))?;
    let filter = Filter::new(&args.filter.filter);
    let base = match &args.baseline {
        Some(reference) => Some((
            reference.clone(),
            baselines::load_baseline_or_record(&layout, reference)?,
        )),
        None if layout.baseline_file("main").exists() => Some((
            "main".to_owned(),
            baselines::load_baseline(&layout, "main")?,
        )),
        None => None,
    };
    match &base {
        Some((_, (base, _))) => gate::check_filter(&filter, &[&record, base])?,
        None => gate::check_filter(&filter, &[&record])?,
    }
    let gate = settings::gate(&config, &GateFlags::default());
    let mut not_compared = None;
    let comparison = match &base {
        Some((name, (base, _))) => {
            match gate::judge(
                &config,
                &layout.config_file(),
                &gate,
                (name, base),
                &record,
                args.allow_mismatch,
                &filter,
            ) {
                Ok(comparison) => Some(comparison),
                // `main`, taken because it exists, is no reason to fail
                // the report of another program: the page says why.
                Err(mismatch @ Error::Mismatch { .. }) if args.baseline.is_none() => {
                    not_compared = Some(mismatch.to_string());
                    None
                }
                Err(e) => return Err(e),
            }
        }
        None => None,
    };
    // The page shows the kept functions only: tables, flamegraphs, trends.
    let filtered = (!filter.is_empty()).then(|| {
        let kept = record.functions.iter().filter(|f| filter.matches(&f.name)).count();
        format!(
            "Filtered: {} of the record's {} functions, those whose name holds {}, and the stacks through them.",
            kept,
            record.functions.len(),
            filter
                .texts()
                .iter()
                .map(|t| format!("{t:?}"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    });
    let record = filter.apply(&record);
    let base = base.map(|(name, (base, base_path))| (name, (filter.apply(&base), base_path)));
    let baseline =
        base.as_ref()
            .zip(comparison.as_ref())
            .map(|((_, (base, base_path)), comparison)| report::Baseline {
                before: Before {
                    record: base,
                    path: base_path,
                    comparison,
                },
            });
    let trends = match args.history {
        true => Some(history::trends(&current_dir()?, &record)?),
        false => None,
    };
    let page = report::html(&Report {
        record: &record,
        path: &path,
        baseline,
        not_compared: not_compared.as_deref(),
        history: trends.as_ref(),
        filtered: filtered.as_deref(),
    })?;
    let default = pictures_dir(&layout, &record, &path).join("report.html");
    if let Some(written) = write_output(args.output, default, page.as_bytes())? {
        print(&format!("report: {}\n", shown_path(&written)))?;
    }
    Ok(Outcome::Passed)
}
