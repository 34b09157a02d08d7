//! Whether two records can be compared at all: a comparison of another
//! program, or of the same program built another way, passes or fails for
//! reasons that have nothing to do with the change under test (a bench
//! record against a baseline of an example reports every function new or
//! gone and exits 0; perf-core's `heap` feature makes every function
//! slower). Such comparisons are refused before any figure is computed,
//! with one line saying what differs, unless `--allow-mismatch` is given.
//!
//! The rules, each a [`Difference`]:
//! - **Source**: runs of an instrumented program (`perf`, `run`) are not
//!   criterion benchmarks.
//! - **Instructions**: an instruction record (`record --instructions`:
//!   another build, run under Valgrind, gated on other metrics) is not a
//!   record of normal runs.
//! - **Program**: two records of runs are of one program when their names
//!   are equal (`--name` or the program's), or else when their commands run
//!   programs of the same file name (`target/release/app` and
//!   `/tmp/wt/target/release/app`). Criterion imports are named by the
//!   user, not by a program: their benchmarks' overlap decides.
//! - **Overlap**: at least one function in both, and at least half of the
//!   functions of either (the union) in both. A program that gained or lost
//!   more than its instrumented half is compared with a new baseline, or
//!   `--allow-mismatch`.
//! - **Build**: the same cargo profile (when both records know it; else
//!   debug assertions on or off alike), the same perf-core features and
//!   the same rustc (each when both records know it: files written before
//!   perf recorded them, and criterion imports, do not).
//!
//! A dirty working tree is not a difference: comparing local changes is
//! what the gate is for. It shows as `<commit>-dirty`.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use perf_format::schema::env::features_label;
use perf_format::schema::record::{Record, Source};

/// One reason two records are not comparable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// Runs of a program against criterion benchmarks.
    Source {
        /// The baseline's source.
        baseline: Source,
        /// The current record's source.
        current: Source,
    },
    /// An instruction record against a record of normal runs.
    Instructions {
        /// Whether the baseline is an instruction record.
        baseline: bool,
        /// Whether the current record is one.
        current: bool,
    },
    /// Different programs: their names, with the program's file name
    /// where it differs from the name.
    Program {
        /// The baseline's program.
        baseline: String,
        /// The current record's program.
        current: String,
    },
    /// Too few functions in both.
    Overlap {
        /// Functions in both.
        common: usize,
        /// Functions in either.
        union: usize,
    },
    /// Another cargo profile, or debug assertions on one side only.
    Build {
        /// The baseline's build.
        baseline: String,
        /// The current record's build.
        current: String,
    },
    /// Other perf-core features.
    Features {
        /// The baseline's features.
        baseline: Vec<String>,
        /// The current record's features.
        current: Vec<String>,
    },
    /// Another compiler.
    Rustc {
        /// The baseline's `rustc --version`.
        baseline: String,
        /// The current record's.
        current: String,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Source { baseline, current } => {
                write!(f, "{} vs {}", source(*baseline), source(*current))
            }
            Difference::Instructions { baseline, current } => {
                let kind = |instructions: bool| match instructions {
                    true => "an instruction record (--instructions)",
                    false => "a record of normal runs",
                };
                write!(f, "{} vs {}", kind(*baseline), kind(*current))
            }
            Difference::Program { baseline, current } => {
                write!(f, "program {baseline} vs {current}")
            }
            Difference::Overlap { common: 0, union } => {
                write!(
                    f,
                    "no function in both (of {})",
                    perf_format::units::count(*union as f64)
                )
            }
            Difference::Overlap { common, union } => write!(
                f,
                "only {} of {} in both (at least half are needed)",
                perf_format::units::count(*common as f64),
                perf_format::units::plural(*union as u64, "function")
            ),
            Difference::Build { baseline, current } => {
                write!(f, "build {baseline} vs {current}")
            }
            Difference::Features { baseline, current } => write!(
                f,
                "perf-core features {} vs {}",
                features_label(baseline),
                features_label(current)
            ),
            Difference::Rustc { baseline, current } => {
                let version = |v: &str| v.strip_prefix("rustc ").unwrap_or(v).to_owned();
                write!(f, "rustc {} vs {}", version(baseline), version(current))
            }
        }
    }
}

fn source(source: Source) -> &'static str {
    match source {
        Source::Criterion => "criterion benchmarks",
        _ => "perf runs",
    }
}

/// What makes `current` not comparable with `baseline`, in the order of
/// the rules above; empty when they compare.
pub fn differences(baseline: &Record, current: &Record) -> Vec<Difference> {
    let mut found = Vec::new();
    let (b, c) = (baseline, current);
    let benchmarks = |r: &Record| r.source == Source::Criterion;
    if benchmarks(b) != benchmarks(c) {
        found.push(Difference::Source {
            baseline: b.source,
            current: c.source,
        });
    }
    if b.instructions != c.instructions {
        found.push(Difference::Instructions {
            baseline: b.instructions,
            current: c.instructions,
        });
    }
    // Criterion imports are named by the user: their benchmarks decide.
    let imports = benchmarks(b) && benchmarks(c);
    if !imports && !same_program(b, c) {
        found.push(Difference::Program {
            baseline: program_label(b),
            current: program_label(c),
        });
    }
    let (before, after) = (function_names(b), function_names(c));
    let common = before.intersection(&after).count();
    let union = before.union(&after).count();
    if common == 0 || common * 2 < union {
        found.push(Difference::Overlap { common, union });
    }
    let (be, ce) = (&b.env, &c.env);
    match (&be.build_profile, &ce.build_profile) {
        (Some(x), Some(y)) if x != y => found.push(Difference::Build {
            baseline: build_label(x, be.debug_build),
            current: build_label(y, ce.debug_build),
        }),
        _ if be.debug_build != ce.debug_build => found.push(Difference::Build {
            baseline: debug_label(be.debug_build, be.build_profile.as_deref()),
            current: debug_label(ce.debug_build, ce.build_profile.as_deref()),
        }),
        _ => {}
    }
    if let (Some(x), Some(y)) = (&be.perf_features, &ce.perf_features) {
        let sorted = |f: &[String]| {
            let mut f = f.to_vec();
            f.sort();
            f.dedup();
            f
        };
        let (x, y) = (sorted(x), sorted(y));
        if x != y {
            found.push(Difference::Features {
                baseline: x,
                current: y,
            });
        }
    }
    if let (Some(x), Some(y)) = (&be.rustc, &ce.rustc) {
        if x != y {
            found.push(Difference::Rustc {
                baseline: x.clone(),
                current: y.clone(),
            });
        }
    }
    found
}

fn function_names(record: &Record) -> HashSet<&str> {
    record.functions.iter().map(|f| f.name.as_str()).collect()
}

/// Whether two records of runs are of one program: the same name, or
/// commands that run programs of the same file name.
fn same_program(b: &Record, c: &Record) -> bool {
    b.name == c.name || matches!((program(b), program(c)), (Some(x), Some(y)) if x == y)
}

/// The file name (without extension) of the program a record's command
/// ran, when there is one and it names the program (not `cargo`).
fn program(record: &Record) -> Option<&str> {
    let first = record.command.first()?;
    let stem = Path::new(first).file_stem()?.to_str()?;
    (!stem.is_empty() && stem != "cargo").then_some(stem)
}

/// A record's program as the error names it: `"app"`, or `"bench"
/// (cargo bench)` when its command says more.
fn program_label(record: &Record) -> String {
    match (program(record), record.command.first()) {
        (Some(stem), _) if stem != record.name => format!("{:?} ({stem})", record.name),
        (None, Some(_)) if record.command.len() > 1 => {
            format!("{:?} ({})", record.name, record.command[..2].join(" "))
        }
        _ => format!("{:?}", record.name),
    }
}

fn build_label(profile: &str, debug: bool) -> String {
    let assertions = match (profile, debug) {
        ("debug" | "dev" | "test", true) | (_, false) => "",
        (_, true) => " with debug assertions",
    };
    format!("{profile}{assertions}")
}

fn debug_label(debug: bool, profile: Option<&str>) -> String {
    let kind = if debug { "debug" } else { "release" };
    match profile {
        Some(profile) if profile != kind => format!("{kind} ({profile})"),
        _ => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use perf_format::schema::env::Environment;
    use perf_format::schema::record::{FunctionSamples, Metric};

    use super::*;

    fn record(name: &str, functions: &[&str]) -> Record {
        let mut env = Environment::default();
        env.build_profile = Some("release".to_owned());
        env.rustc = Some("rustc 1.91.0 (f8297e351 2025-10-28)".to_owned());
        env.perf_features = Some(vec!["enabled".to_owned()]);
        let mut record = Record::new(format!("{name}-1"), name, Source::Perf, "t", env);
        record.command = vec![format!("/work/app/target/release/{name}")];
        record.functions = functions
            .iter()
            .map(|f| {
                let mut function = FunctionSamples::new(*f);
                function.samples.insert(Metric::Calls, vec![1.0]);
                function
            })
            .collect();
        record
    }

    const FOUR: [&str; 4] = ["a", "b", "c", "d"];

    #[test]
    fn a_record_of_the_same_build_compares() {
        let base = record("app", &FOUR);
        assert_eq!(differences(&base, &base.clone()), []);
        // A dirty tree, another machine or perf version: compared, and shown.
        let mut cur = base.clone();
        cur.env.git_dirty = true;
        cur.env.host = "other".to_owned();
        cur.env.perf_version = "0.2.0".to_owned();
        assert_eq!(differences(&base, &cur), []);
        // Its baseline keeps the record's name and command.
        let saved = base.clone().into_baseline("main", "t");
        assert_eq!(differences(&saved, &base), []);
    }

    #[test]
    fn another_program_is_named_by_name_and_file() {
        let base = record("app", &FOUR);
        let mut other = record("tool", &FOUR);
        assert_eq!(
            differences(&base, &other),
            [Difference::Program {
                baseline: "\"app\"".to_owned(),
                current: "\"tool\"".to_owned()
            }]
        );
        // Named differently, but the same program file: one program.
        other.command = base.command.clone();
        assert_eq!(differences(&base, &other), []);
        // Commands through cargo say nothing about the program.
        let mut bench = record("bench", &FOUR);
        bench.command = vec!["cargo".to_owned(), "bench".to_owned()];
        assert_eq!(
            differences(&base, &bench)[0].to_string(),
            "program \"app\" vs \"bench\" (cargo bench)"
        );
    }

    #[test]
    fn criterion_benchmarks_are_not_runs() {
        let base = record("app", &FOUR);
        let mut bench = record("bench", &["parse/small", "parse/large"]);
        bench.source = Source::Criterion;
        bench.command.clear();
        let found = differences(&base, &bench);
        assert_eq!(
            found[0],
            Difference::Source {
                baseline: Source::Perf,
                current: Source::Criterion
            }
        );
        assert_eq!(found[0].to_string(), "perf runs vs criterion benchmarks");
        assert_eq!(found[2].to_string(), "no function in both (of 6)");
        // Two imports are told apart by their benchmarks, not their names.
        let mut import = bench.clone();
        import.name = "criterion".to_owned();
        assert_eq!(differences(&bench, &import), []);
    }

    #[test]
    fn at_least_half_of_the_functions_must_be_in_both() {
        let base = record("app", &FOUR);
        // 3 of 5 in both: compared.
        let cur = record("app", &["a", "b", "c", "e"]);
        assert_eq!(differences(&base, &cur), []);
        // 2 of 6: refused, either way round.
        let cur = record("app", &["a", "b", "e", "f"]);
        let found = Difference::Overlap {
            common: 2,
            union: 6,
        };
        assert_eq!(differences(&base, &cur), std::slice::from_ref(&found));
        assert_eq!(
            found.to_string(),
            "only 2 of 6 functions in both (at least half are needed)"
        );
        // Exactly half (2 of 4): compared; new functions count as much as gone ones.
        let cur = record("app", &["a", "b"]);
        assert_eq!(differences(&base, &cur), []);
        assert_eq!(differences(&cur, &base), []);
        // One function each, another one: refused.
        assert_eq!(
            differences(&record("app", &["a"]), &record("app", &["b"])),
            [Difference::Overlap {
                common: 0,
                union: 2
            }]
        );
    }

    #[test]
    fn another_build_profile_features_or_compiler_is_refused() {
        let base = record("app", &FOUR);
        let mut cur = base.clone();
        cur.env.build_profile = Some("debug".to_owned());
        cur.env.debug_build = true;
        cur.env.perf_features = Some(vec!["heap".to_owned(), "enabled".to_owned()]);
        cur.env.rustc = Some("rustc 1.92.0 (ded5c06cf 2025-12-08)".to_owned());
        let lines: Vec<String> = differences(&base, &cur)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "build release vs debug",
                "perf-core features enabled vs enabled, heap",
                "rustc 1.91.0 (f8297e351 2025-10-28) vs 1.92.0 (ded5c06cf 2025-12-08)"
            ]
        );
    }

    #[test]
    fn an_instruction_record_is_not_compared_with_normal_runs() {
        let base = record("app", &FOUR).into_baseline("main", "t");
        let mut cur = record("app", &FOUR);
        cur.instructions = true;
        let found: Vec<String> = differences(&base, &cur)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            ["a record of normal runs vs an instruction record (--instructions)"]
        );
        // Two instruction records compare.
        let mut both = base.clone();
        both.instructions = true;
        assert_eq!(differences(&both, &cur), []);
    }

    #[test]
    fn what_a_side_does_not_know_is_not_a_difference() {
        let base = record("app", &FOUR);
        let mut old = base.clone();
        old.env.build_profile = None;
        old.env.rustc = None;
        old.env.perf_features = None;
        assert_eq!(differences(&old, &base), []);
        // Debug assertions are always known.
        old.env.debug_build = true;
        assert_eq!(
            differences(&old, &base)[0].to_string(),
            "build debug vs release"
        );
    }
}
