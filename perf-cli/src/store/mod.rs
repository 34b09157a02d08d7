//! What `cargo perf` keeps on disk and in git: records and runs under the
//! perf directory, baselines in `.perf/baselines/`, the history in git
//! notes, `perf.toml`, and the files of other tools it imports (criterion's
//! tree, Otava's CSV). Reading and writing only: the verdicts are
//! `perf_stats`', the pictures `render`'s.

pub(crate) mod baselines;
pub(crate) mod config;
pub(crate) mod criterion;
pub(crate) mod csv;
pub mod notes;
pub(crate) mod records;
