//! `cargo perf compare`: a record held against a baseline (or the
//! history), and what `compare` and `ab` share: the verdict judged with
//! perf.toml's settings and budgets, printed as asked, its Markdown also
//! appended to `$GITHUB_STEP_SUMMARY`.

use std::io::Write as _;
use std::path::Path;

use perf_format::layout::Layout;
use perf_format::schema::record::Record;
use perf_stats::filter::Filter;
use perf_stats::gate::Gate;
use perf_stats::history::baseline as history_baseline;

use super::{Context, Outcome, current_dir, print};
use crate::cli::{CompareArgs, VerdictFlags};
use crate::render::{self, Detail, Format};
use crate::store::config::Config;
use crate::store::notes::Store;
use crate::store::{baselines, records};
use crate::{Error, gate, settings};

/// Judges the record `args` name against its baseline.
pub(super) fn run(context: &Context, args: CompareArgs) -> Result<Outcome, Error> {
    let layout = context.layout()?;
    let config = Config::load(&layout.config_file())?;
    let (current, _) = records::load_record(&layout, Some(&args.against))?;
    let (name, base, notes) = if args.history {
        let history = Store::open(&current_dir()?)?.history()?;
        let (base, note) = history_baseline::from_entries(history, &current)
            .map_err(|e| Error::History(e.to_string()))?;
        ("history".to_owned(), base, vec![note])
    } else {
        let name = args.baseline.unwrap_or_else(|| "main".to_owned());
        let (base, _) = baselines::load_baseline_or_record(&layout, &name)?;
        (name, base, Vec::new())
    };
    let verdict = Verdict {
        baseline: (&name, &base),
        current: &current,
        notes,
        interleaved: false,
    };
    show_verdict(context, &layout, &config, &args.verdict, verdict)
}

/// What the gate judges: `current` against `baseline` (named as given),
/// notes of the command's own to add, and whether the two sides' runs were
/// interleaved (so the program's wall time gates too).
pub(super) struct Verdict<'a> {
    pub(super) baseline: (&'a str, &'a Record),
    pub(super) current: &'a Record,
    pub(super) notes: Vec<String>,
    pub(super) interleaved: bool,
}

/// What `compare` and `ab` share: the gate from `flags` over `config`,
/// the budgets, the verdict printed as `flags` say (Markdown also appended
/// to `$GITHUB_STEP_SUMMARY`), and its outcome.
pub(super) fn show_verdict(
    context: &Context,
    layout: &Layout,
    config: &Config,
    flags: &VerdictFlags,
    verdict: Verdict<'_>,
) -> Result<Outcome, Error> {
    let gate = Gate {
        interleaved: verdict.interleaved,
        ..settings::gate(config, &flags.gate)
    };
    let filter = Filter::new(&flags.filter.filter);
    gate::check_filter(&filter, &[verdict.current, verdict.baseline.1])?;
    let mut comparison = gate::judge(
        config,
        &layout.config_file(),
        &gate,
        verdict.baseline,
        verdict.current,
        flags.gate.allow_mismatch,
        &filter,
    )?;
    comparison.notes.extend(verdict.notes);
    let detail = Detail {
        all: flags.all,
        color: context.palette.enabled(),
    };
    let format = Format::from(flags.format);
    let text = render::render(&comparison, format, detail);
    if format == Format::Markdown {
        append_step_summary(&text);
    }
    print(&text)?;
    Ok(Outcome::failed_if(comparison.failed))
}

/// Appends to `$GITHUB_STEP_SUMMARY` when set; trouble there is a warning,
/// not a reason to hide the verdict.
fn append_step_summary(text: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let path = Path::new(&path);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    if let Err(e) = written {
        tracing::warn!(
            "cannot append to GITHUB_STEP_SUMMARY={}: {e}",
            path.display()
        );
    }
}
