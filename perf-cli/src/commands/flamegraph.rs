//! `cargo perf flamegraph`: a record's flamegraph SVG, or a differential
//! one against a baseline.

use perf_stats::filter::Filter;

use super::{Context, Outcome, pictures_dir, print, shown_path, write_output};
use crate::cli::{FlamegraphArgs, GateFlags};
use crate::render::flamegraph::{self, Before, Weight};
use crate::store::config::Config;
use crate::store::{baselines, records};
use crate::{Error, gate, settings};

/// Draws the flamegraph `args` ask for and writes it.
pub(super) fn run(context: &Context, args: FlamegraphArgs) -> Result<Outcome, Error> {
    let layout = context.layout()?;
    let weight = Weight::from(args.metric);
    let (record, path) = records::load_record(&layout, Some(&args.record))?;
    let filter = Filter::new(&args.filter.filter);
    let base = match args.diff.as_deref() {
        Some(reference) => {
            let (base, base_path) = baselines::load_baseline_or_record(&layout, reference)?;
            gate::check_filter(&filter, &[&record, &base])?;
            // The colours are the comparison's figures, judged as `compare` would.
            let config = Config::load(&layout.config_file())?;
            let gate = settings::gate(&config, &GateFlags::default());
            let comparison = gate::judge(
                &config,
                &layout.config_file(),
                &gate,
                (reference, &base),
                &record,
                args.allow_mismatch,
                &filter,
            )?;
            Some((filter.apply(&base), base_path, comparison))
        }
        None => {
            gate::check_filter(&filter, &[&record])?;
            None
        }
    };
    let full = record;
    let record = filter.apply(&full);
    if let Some(error) = flamegraph::filtered_out(&full, &record, &path, weight, &filter) {
        return Err(error);
    }
    let before = base.as_ref().map(|(record, path, comparison)| Before {
        record,
        path,
        comparison,
    });
    let caption = filter.caption();
    let filtered = caption.as_deref().map(|caption| (caption, &full));
    let svg = flamegraph::draw_noted(&record, &path, weight, before, filtered)?;
    if let Some(note) = flamegraph::slowed_note(&full, weight) {
        eprintln!("{note}");
    }
    let default =
        pictures_dir(&layout, &record, &path).join(flamegraph::file_name(weight, before.as_ref()));
    if let Some(written) = write_output(args.output, default, &svg)? {
        print(&format!("flamegraph: {}\n", shown_path(&written)))?;
    }
    Ok(Outcome::Passed)
}
