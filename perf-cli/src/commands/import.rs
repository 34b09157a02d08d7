//! `cargo perf import criterion`: an existing criterion results tree as a
//! record.

use perf_format::layout::{Layout, check_name};
use perf_format::schema::record::FunctionSamples;

use super::{Context, Outcome, print};
use crate::Error;
use crate::cli::ImportCriterionArgs;
use crate::render;
use crate::store::{criterion, records};

/// Rows of the record's table shown after importing.
const SHOWN: usize = 15;

/// Reads the criterion tree `args` name and writes it as a record.
pub(super) fn run(context: &Context, args: ImportCriterionArgs) -> Result<Outcome, Error> {
    let layout = context.layout()?;
    check_name("record", &args.name)?;
    let dir = args
        .dir
        .unwrap_or_else(|| criterion::default_dir(layout.workspace()));
    let functions = criterion::import(&dir, &args.baseline, None)?;
    write(&layout, &args.name, Vec::new(), functions)
}

/// Writes criterion's benchmarks as a record and shows it.
pub(super) fn write(
    layout: &Layout,
    name: &str,
    command: Vec<String>,
    functions: Vec<FunctionSamples>,
) -> Result<Outcome, Error> {
    let (record, path) = records::write_imported(layout, name, command, functions)?;
    print(&format!(
        "{}record: {}\n",
        render::record::table(&record, SHOWN),
        path.display()
    ))?;
    Ok(Outcome::Passed)
}
