//! `--filter TEXT` on `compare`, `ab`, `check`, `baseline show`, `flamegraph`
//! and `report`: a function matches when its name (`module::path::fn`)
//! contains one of the texts, as `cargo test NAME` filters tests. A record
//! filtered keeps the matching functions and the stacks that pass through a
//! matching frame, as `grep` on folded stacks does for inferno and `cargo
//! flamegraph`.

use perf_format::schema::record::Record;

use crate::Error;
use crate::suggest;

/// The texts of `--filter`; none keeps everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Filter {
    texts: Vec<String>,
}

impl Filter {
    /// A filter keeping the functions whose name holds one of `texts`.
    pub(crate) fn new(texts: &[String]) -> Filter {
        Filter {
            texts: texts.to_vec(),
        }
    }

    /// Whether it keeps everything (no `--filter`).
    pub(crate) fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The texts, as given.
    pub(crate) fn texts(&self) -> &[String] {
        &self.texts
    }

    /// Whether function (or frame) `name` is kept.
    pub(crate) fn matches(&self, name: &str) -> bool {
        self.is_empty() || self.texts.iter().any(|text| name.contains(text.as_str()))
    }

    /// Refuses a text that matches no function or frame of `records` (a
    /// record and the baseline it is held against), naming the closest
    /// names there are.
    pub(crate) fn check(&self, records: &[&Record]) -> Result<(), Error> {
        let names = || {
            records.iter().flat_map(|record| {
                let functions = record.functions.iter().map(|f| f.name.as_str());
                let frames = record.stacks.iter().flat_map(|s| s.frames.iter());
                let cpu = record.cpu_stacks.iter().flat_map(|s| s.frames.iter());
                functions.chain(frames.chain(cpu).map(String::as_str))
            })
        };
        for text in &self.texts {
            if names().any(|name| name.contains(text.as_str())) {
                continue;
            }
            let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
            let closest = suggest::closest(text, names());
            let hint = match closest.is_empty() {
                true => " (`cargo perf baseline show NAME` lists a baseline's functions, `cargo perf report` a record's; the text is matched as it is, case-sensitive)".to_owned(),
                false => format!("; the closest names: {}", suggest::list(&closest)),
            };
            return Err(Error::NoMatch {
                filter: text.clone(),
                records: ids.join(" and "),
                hint,
            });
        }
        Ok(())
    }

    /// `record` with only the matching functions, and only the stacks
    /// (call stacks and CPU samples) with a matching frame.
    pub(crate) fn apply(&self, record: &Record) -> Record {
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
    pub(crate) fn caption(&self) -> Option<String> {
        (!self.is_empty()).then(|| {
            let texts: Vec<String> = self.texts.iter().map(|t| format!("{t:?}")).collect();
            format!("only stacks through {}", texts.join(" or "))
        })
    }

    /// The note above a filtered comparison: how many functions of `total`
    /// it judged, and what it left out.
    pub(crate) fn note(&self, kept: usize, total: usize) -> String {
        let texts: Vec<String> = self.texts.iter().map(|t| format!("{t:?}")).collect();
        format!(
            "--filter {}: {kept} of {total} functions judged, {} filtered out, with the whole-program rows and the budgets of other functions",
            texts.join(", "),
            total - kept
        )
    }
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
    fn a_text_matching_nothing_names_the_closest_names() {
        let record = record();
        let err = Filter::new(&["db::qeury".to_owned()])
            .check(&[&record])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "--filter \"db::qeury\" matches no function of r; the closest names: `db::query`"
            ),
            "{err}"
        );
        assert!(
            Filter::new(&["memcpy".to_owned()])
                .check(&[&record])
                .is_ok()
        );
        let err = Filter::new(&["zzz".to_owned()])
            .check(&[&record])
            .unwrap_err()
            .to_string();
        assert!(err.contains("case-sensitive"), "{err}");
    }
}
