//! Running programs: the user's (built with cargo, run again and again,
//! under callgrind when counting instructions, interleaved with another
//! revision for `ab`, soaked for `soak`), and git. Every child is watched,
//! so that Ctrl-C or SIGTERM stops it and leaves nothing staged ([`signals`]),
//! and leads a process group that ends with it ([`group`]).
//! Runs are merged into records here ([`merge`]); `store` reads and keeps them.

pub(crate) mod ab;
pub(crate) mod build;
pub(crate) mod callgrind;
pub(crate) mod cargo;
pub(crate) mod git;
pub(crate) mod group;
pub(crate) mod lockfile;
pub(crate) mod merge;
pub(crate) mod program;
pub(crate) mod progress;
pub(crate) mod record;
pub(crate) mod runner;
pub(crate) mod signals;
pub(crate) mod soak;
pub(crate) mod valgrind;
