//! A library instrumented the way a library should be (docs/features.md,
//! "A library on perf"): perf-core is an optional dependency with its
//! default features off, the `perf` feature turns on `perf-core/enabled`,
//! and every annotation sits behind `cfg_attr`. Without `perf` the crate
//! builds with no trace of perf; with it, a session records its calls.
//! `e2e/tests/library_pattern.rs` builds and tests it both ways.
#![warn(missing_docs, unreachable_pub)]

/// The numbers of a comma-separated line; what does not parse is skipped.
#[cfg_attr(feature = "perf", perf_core::profile)]
pub fn parse(line: &str) -> Vec<u64> {
    line.split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// A line's numbers, summed with wrapping.
#[cfg_attr(feature = "perf", perf_core::profile(name = "library_pattern::sum"))]
pub fn checksum(line: &str) -> u64 {
    parse(line)
        .into_iter()
        .fold(0u64, |sum, value| sum.wrapping_add(value))
}

/// Lines of numbers, kept.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Vec<u64>>,
}

impl Table {
    /// Adds a line; returns how many numbers it held.
    #[cfg_attr(
        feature = "perf",
        perf_core::profile(name = "library_pattern::Table::push")
    )]
    pub fn push(&mut self, line: &str) -> usize {
        // A block of its own in the call tree, with `perf`.
        #[cfg(feature = "perf")]
        let _parse = perf_core::scope!("library_pattern::Table::push::parse");
        let row = parse(line);
        let count = row.len();
        self.rows.push(row);
        count
    }

    /// The sum of every number in the table.
    pub fn total(&self) -> u64 {
        self.rows.iter().flatten().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_the_same_either_way() {
        assert_eq!(parse("1, 2,x,3"), [1, 2, 3]);
        assert_eq!(checksum("1,2,3"), 6);
        let mut table = Table::default();
        assert_eq!(table.push("4,5"), 2);
        assert_eq!(table.total(), 9);
    }

    /// With `perf`, a session the application starts records the library's
    /// calls under their names.
    #[cfg(feature = "perf")]
    #[test]
    fn with_perf_a_session_records_the_librarys_calls() {
        let dir = std::env::temp_dir().join(format!("perf-library-pattern-{}", std::process::id()));
        let session = perf_core::Session::builder("library")
            .dir(&dir)
            .start()
            .expect("start");
        let mut table = Table::default();
        for _ in 0..3 {
            table.push("1,2,3");
            checksum("4,5");
        }
        let run = session.finish().expect("finish");
        let calls = |name: &str| run.data().function(name).map_or(0, |f| f.calls);
        assert_eq!(calls("library_pattern::Table::push"), 3);
        assert_eq!(calls("library_pattern::Table::push::parse"), 3);
        assert_eq!(calls("library_pattern::sum"), 3);
        // `parse` under its default name (the module path and the fn).
        let parse = run
            .data()
            .functions
            .iter()
            .find(|f| f.name.ends_with("::parse") && !f.name.contains("push"));
        assert_eq!(
            parse.map(|f| f.calls),
            Some(6),
            "{:?}",
            run.data().functions
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
