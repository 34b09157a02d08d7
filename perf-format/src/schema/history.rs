//! `perf-history/1`: one entry of the history that `cargo perf history`
//! keeps in git — a record boiled down to one figure per function and
//! metric, filed under the commit it measured.
//!
//! An entry is written as one line of JSON ([`Entry::to_line`]), and a
//! commit's note is the lines of its entries, sorted and each kept once: so
//! that git's `cat_sort_uniq` notes merge (concatenate, sort, drop repeated
//! lines) joins two writers' notes without losing or doubling an entry.
//! A line therefore never holds a line break (JSON escapes those in
//! strings), and the same entry always prints as the same line (fields in
//! declaration order, maps sorted).
//!
//! ```text
//! {"schema":"perf-history/1","id":"20261130-101500-1f2e","name":"checkout","commit":"5a37…","recorded_at":"2026-11-30T10:15:00Z","host":"ci-7","instructions":false,"functions":{"app::parse":{"calls":1000.0,"p50_ns":1180.0,"time_per_call_ns":1234.57,…}}}
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{self, IntoDeserializer as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::record::Metric;

/// The schema tag of a history entry.
pub const HISTORY_SCHEMA: &str = "perf-history/1";

/// The significant digits an entry keeps of each figure: a relative error
/// below 5 × 10⁻⁷, far under any noise a run has (and under the 1% that
/// instruction counts are gated at). The digits of an `f64` beyond these
/// are noise, which does not compress: a note of 1 000 functions × 10
/// metrics is 261 KB of JSON and 49 KB as git keeps it (zlib), against
/// 311 KB and 78 KB with every digit.
pub const SIGNIFICANT_DIGITS: usize = 6;

/// One record in the history: per function, the median over the record's
/// runs of each metric it has.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Entry {
    /// Always [`HISTORY_SCHEMA`].
    pub schema: String,
    /// The id of the record it was made from; for an imported row, an id of
    /// the import's making.
    pub id: String,
    /// What was recorded (the record's name: session, example or benchmark
    /// suite), or the name of the import. Series of different names are
    /// different programs, not to be mixed.
    pub name: String,
    /// The commit measured: the full id of a commit of the repository, or
    /// for an imported row, the commit as its file names it.
    pub commit: String,
    /// When the record was made (an imported row: its time), as written.
    pub recorded_at: String,
    /// The machine the record was made on (empty for imports).
    #[serde(default)]
    pub host: String,
    /// Whether it is an instruction record: times slowed by Valgrind,
    /// instruction and estimated-cycle metrics.
    #[serde(default)]
    pub instructions: bool,
    /// For an imported row, its position in the imported file (from 0):
    /// the order of an imported series, which the sorted lines of a note do
    /// not keep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// Per function, the figure of each metric, to [`SIGNIFICANT_DIGITS`].
    /// Metrics this version does not know (written by a later one) are
    /// skipped when read, as unknown fields are.
    #[serde(deserialize_with = "known_metrics")]
    pub functions: BTreeMap<String, BTreeMap<Metric, f64>>,
    /// For an imported row, its value in each of the file's series (by the
    /// column's header); figures of another tool, not perf's metrics.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub series: BTreeMap<String, f64>,
    /// For an imported row, the columns whose rise is an improvement
    /// (`history import --higher-is-better COLUMN`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub higher_is_better: BTreeSet<String>,
}

/// Why a line is not a `perf-history/1` entry.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadEntry(String);

impl Entry {
    /// An entry `id` of `name` for `commit`, made at `recorded_at`, with no
    /// functions yet.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        commit: impl Into<String>,
        recorded_at: impl Into<String>,
    ) -> Entry {
        Entry {
            schema: HISTORY_SCHEMA.to_owned(),
            id: id.into(),
            name: name.into(),
            commit: commit.into(),
            recorded_at: recorded_at.into(),
            ..Entry::default()
        }
    }

    /// The entry as one line of JSON, without its line break.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("strings, booleans and numbers serialise")
    }

    /// The entry on `line`: JSON of schema [`HISTORY_SCHEMA`] with a
    /// commit, every figure finite and not negative (but net bytes per
    /// call, which may be).
    pub fn from_line(line: &str) -> Result<Entry, BadEntry> {
        let bad = |problem: String| Err(BadEntry(problem));
        let entry = match serde_json::from_str::<Entry>(line) {
            Ok(entry) if entry.schema == HISTORY_SCHEMA => entry,
            // Read again for the schema alone, to say why.
            parsed => {
                #[derive(Deserialize)]
                struct SchemaOnly {
                    schema: Option<serde_json::Value>,
                }
                let tag: SchemaOnly = match serde_json::from_str(line) {
                    Ok(tag) => tag,
                    Err(e) => return bad(format!("not JSON ({e})")),
                };
                return match (tag.schema, parsed) {
                    (Some(serde_json::Value::String(s)), Err(e)) if s == HISTORY_SCHEMA => {
                        bad(format!("not a {HISTORY_SCHEMA} entry ({e})"))
                    }
                    (Some(other), _) => bad(format!(
                        "schema {other} is not {HISTORY_SCHEMA:?}, the one this version of perf reads (written by a later perf?)"
                    )),
                    (None, _) => bad(format!("no \"schema\": not a {HISTORY_SCHEMA} entry")),
                };
            }
        };
        if entry.commit.is_empty() {
            return bad("the entry names no commit".to_owned());
        }
        if let Some((series, value)) = entry.series.iter().find(|(_, v)| !v.is_finite()) {
            return bad(format!("series {series:?}: {value} is not a finite value"));
        }
        for (function, figures) in &entry.functions {
            if let Some((metric, value)) = figures
                .iter()
                .find(|(m, v)| !v.is_finite() || (**v < 0.0 && !m.signed()))
            {
                return bad(format!(
                    "function {function:?}, {}: {value} is not a finite{} value",
                    metric.key(),
                    if metric.signed() {
                        ""
                    } else {
                        ", non-negative"
                    }
                ));
            }
        }
        Ok(entry)
    }
}

/// `value` to [`SIGNIFICANT_DIGITS`], as an entry keeps a figure: the
/// `f64` nearest the rounded decimal, which JSON then prints with no more
/// digits than that.
pub fn significant(value: f64) -> f64 {
    if !value.is_finite() || value == 0.0 {
        return value;
    }
    let text = format!("{value:.*e}", SIGNIFICANT_DIGITS - 1);
    text.parse().unwrap_or(value)
}

/// Per function, the figures of the metrics this version knows; the others
/// are skipped. Keys are matched as they are read, with no string made of
/// them: a history of 1 000 commits of 1 000 functions has ten million.
fn known_metrics<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, BTreeMap<Metric, f64>>, D::Error> {
    struct Figures(BTreeMap<Metric, f64>);

    impl<'de> Deserialize<'de> for Figures {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Figures, D::Error> {
            deserializer.deserialize_map(FiguresVisitor)
        }
    }

    struct FiguresVisitor;

    impl<'de> Visitor<'de> for FiguresVisitor {
        type Value = Figures;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of metric names to figures")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Figures, A::Error> {
            let mut figures = BTreeMap::new();
            while let Some(KnownMetric(metric)) = map.next_key()? {
                let value: f64 = map.next_value()?;
                if let Some(metric) = metric {
                    figures.insert(metric, value);
                }
            }
            Ok(Figures(figures))
        }
    }

    /// A metric's key, `None` when this version does not know it.
    struct KnownMetric(Option<Metric>);

    impl<'de> Deserialize<'de> for KnownMetric {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<KnownMetric, D::Error> {
            struct KeyVisitor;

            impl Visitor<'_> for KeyVisitor {
                type Value = KnownMetric;

                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a metric name")
                }

                fn visit_str<E: de::Error>(self, key: &str) -> Result<KnownMetric, E> {
                    let key: de::value::StrDeserializer<'_, E> = key.into_deserializer();
                    Ok(KnownMetric(Metric::deserialize(key).ok()))
                }
            }

            deserializer.deserialize_str(KeyVisitor)
        }
    }

    let functions = BTreeMap::<String, Figures>::deserialize(deserializer)?;
    Ok(functions
        .into_iter()
        .map(|(function, Figures(figures))| (function, figures))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry as perf-stats makes one of a record.
    fn entry() -> Entry {
        let mut entry = Entry::new(
            "r1",
            "checkout",
            "5a37189f0c1d5a37189f0c1d5a37189f0c1d5a37",
            "2026-11-30T10:15:00Z",
        );
        entry.host = "ci-7".to_owned();
        entry.functions.insert(
            "app::parse".to_owned(),
            BTreeMap::from([
                (Metric::TimePerCall, significant(1234.567891)),
                (Metric::Calls, 1000.0),
            ]),
        );
        entry
    }

    #[test]
    fn figures_keep_six_significant_digits() {
        assert_eq!(significant(1234.567891), 1234.57);
        assert_eq!(significant(0.000_123_456_78), 0.000_123_457);
        assert_eq!(significant(0.0), 0.0);
    }

    #[test]
    fn a_line_reads_back_as_the_same_entry() {
        let entry = entry();
        let line = entry.to_line();
        assert!(!line.contains('\n'));
        assert!(
            line.starts_with(
                r#"{"schema":"perf-history/1","id":"r1","name":"checkout","commit":"5a37"#
            ),
            "{line}"
        );
        assert!(line.contains(r#""time_per_call_ns":1234.57"#), "{line}");
        assert_eq!(Entry::from_line(&line).unwrap(), entry);
        // Imported rows keep their place.
        let mut row = Entry::new("import-1", "otava", "abc123", "2024-01-01 00:00:00");
        row.row = Some(7);
        assert_eq!(Entry::from_line(&row.to_line()).unwrap().row, Some(7));
    }

    #[test]
    fn unknown_metrics_are_skipped_and_bad_lines_said_why() {
        let line = r#"{"schema":"perf-history/1","id":"r","name":"n","commit":"c","recorded_at":"t","functions":{"f":{"calls":3,"watts_per_call":1.5}}}"#;
        let entry = Entry::from_line(line).unwrap();
        assert_eq!(entry.functions["f"].len(), 1);
        assert_eq!(entry.functions["f"][&Metric::Calls], 3.0);
        let problem = |line: &str| Entry::from_line(line).unwrap_err().to_string();
        assert!(problem("{\"schema\":").starts_with("not JSON"));
        assert!(problem(r#"{"id":"r"}"#).starts_with("no \"schema\""));
        assert!(
            problem(r#"{"schema":"perf-history/2"}"#)
                .starts_with("schema \"perf-history/2\" is not \"perf-history/1\"")
        );
        assert!(
            problem(r#"{"schema":"perf-history/1","id":"r"}"#).contains("missing field `name`")
        );
        let negative = line.replace("\"calls\":3", "\"calls\":-3");
        assert_eq!(
            problem(&negative),
            "function \"f\", calls: -3 is not a finite, non-negative value"
        );
        let no_commit = line.replace("\"commit\":\"c\"", "\"commit\":\"\"");
        assert_eq!(problem(&no_commit), "the entry names no commit");
    }
}
