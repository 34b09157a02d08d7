//! `--filter TEXT` on `compare`, `ab`, `check`, `baseline show`, `flamegraph`
//! and `report`: a function matches when its name (`module::path::fn`)
//! contains one of the texts, as `cargo test NAME` filters tests. A record
//! filtered keeps the matching functions and the stacks that pass through a
//! matching frame, as `grep` on folded stacks does for inferno and `cargo
//! flamegraph`.

use perf_format::schema::record::Record;

/// The texts of `--filter`; none keeps everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    texts: Vec<String>,
}

impl Filter {
    /// A filter keeping the functions whose name holds one of `texts`.
    pub fn new(texts: &[String]) -> Filter {
        Filter {
            texts: texts.to_vec(),
        }
    }

    /// Whether it keeps everything (no `--filter`).
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The texts, as given.
    pub fn texts(&self) -> &[String] {
        &self.texts
    }

    /// Whether function (or frame) `name` is kept.
    pub fn matches(&self, name: &str) -> bool {
        self.is_empty() || self.texts.iter().any(|text| name.contains(text.as_str()))
    }

    /// The first text that matches no function or frame of `records` (a
    /// record and the baseline it is held against), if any: a filter
    /// that keeps nothing is a mistake to point out, not an empty answer.
    pub fn unmatched(&self, records: &[&Record]) -> Option<&str> {
        self.texts
            .iter()
            .find(|text| {
                !records
                    .iter()
                    .flat_map(|record| names(record))
                    .any(|name| name.contains(text.as_str()))
            })
            .map(String::as_str)
    }

    /// `record` with only the matching functions, and only the stacks
    /// (call stacks and CPU samples) with a matching frame.
    pub fn apply(&self, record: &Record) -> Record {
        let mut kept = record.clone();
        if self.is_empty() {
            return kept;
        }
        kept.functions.retain(|f| self.matches(&f.name));
        kept.stacks
            .retain(|s| s.frames.iter().any(|frame| self.matches(frame)));
        kept.cpu_stacks
            .retain(|s| s.frames.iter().any(|frame| self.matches(frame)));
        kept
    }

    /// What a filtered picture says it shows: `only stacks through
    /// "db::" or "parse"`; none without a filter.
    pub fn caption(&self) -> Option<String> {
        (!self.is_empty()).then(|| {
            let texts: Vec<String> = self.texts.iter().map(|t| format!("{t:?}")).collect();
            format!("only stacks through {}", texts.join(" or "))
        })
    }

    /// The note above a filtered comparison: how many functions of `total`
    /// it shows, and what it left out.
    pub fn note(&self, kept: usize, total: usize) -> String {
        let texts: Vec<String> = self.texts.iter().map(|t| format!("{t:?}")).collect();
        format!(
            "--filter {}: {kept} of {total} functions shown, {} filtered out, with the whole-program rows and the budgets of other functions; every row was tested, so the adjustment for many rows is the whole program's",
            texts.join(", "),
            total - kept
        )
    }
}

/// Every name a filter can match in `record`: its functions, and the
/// frames of its call stacks and CPU samples.
pub fn names(record: &Record) -> impl Iterator<Item = &str> {
    let functions = record.functions.iter().map(|f| f.name.as_str());
    let frames = record.stacks.iter().flat_map(|s| s.frames.iter());
    let cpu = record.cpu_stacks.iter().flat_map(|s| s.frames.iter());
    functions.chain(frames.chain(cpu).map(String::as_str))
}

#[cfg(test)]
mod tests {
    use perf_format::schema::env::Environment;
    use perf_format::schema::record::{FunctionSamples, Source};
    use perf_format::stacks::{CallCost, SampleCount, Stack};

    use super::*;

    fn record() -> Record {
        let mut record = Record::new("r", "app", Source::Perf, "t", Environment::default());
        record.functions = ["app::handler", "db::query", "app::render"]
            .into_iter()
            .map(FunctionSamples::new)
            .collect();
        let stack = |frames: &[&str]| Stack::new(frames.iter().copied(), CallCost::default());
        record.stacks = vec![
            stack(&["app::handler"]),
            stack(&["app::handler", "db::query"]),
            stack(&["app::handler", "app::render"]),
        ];
        record.cpu_stacks = vec![Stack::new(
            ["main", "db::query", "memcpy"],
            SampleCount { samples: 3.0 },
        )];
        record
    }

    #[test]
    fn keeps_matching_functions_and_the_stacks_through_them() {
        let filter = Filter::new(&["db::".to_owned()]);
        let kept = filter.apply(&record());
        let names: Vec<&str> = kept.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["db::query"]);
        assert_eq!(kept.stacks.len(), 1);
        assert_eq!(kept.stacks[0].frames, ["app::handler", "db::query"]);
        assert_eq!(kept.cpu_stacks.len(), 1);
        assert_eq!(Filter::default().apply(&record()), record());
        // Any of several texts.
        let two = Filter::new(&["query".to_owned(), "render".to_owned()]);
        assert_eq!(two.apply(&record()).functions.len(), 2);
    }

    #[test]
    fn a_text_matching_nothing_is_found_frames_included() {
        let record = record();
        let filter = Filter::new(&["db::query".to_owned(), "db::qeury".to_owned()]);
        assert_eq!(filter.unmatched(&[&record]), Some("db::qeury"));
        // A frame of the CPU samples matches too.
        assert_eq!(
            Filter::new(&["memcpy".to_owned()]).unmatched(&[&record]),
            None
        );
        assert_eq!(Filter::default().unmatched(&[&record]), None);
    }
}
