//! `cargo perf records`: the records under the perf directory, newest first.

use super::{Context, Outcome, print};
use crate::Error;
use crate::render;
use crate::store::records;

/// Lists the records.
pub(super) fn run(context: &Context) -> Result<Outcome, Error> {
    let layout = context.layout()?;
    let listed = records::list(&layout)?;
    print(&render::records::list(&listed, &layout.records_dir()))?;
    Ok(Outcome::Passed)
}
