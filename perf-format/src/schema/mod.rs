//! Typed serde structs of every file and JSON output perf writes, each
//! tagged with its schema.
//!
//! The compatibility rule: within a schema version fields are only ever
//! added, never removed or changed in meaning; a change that would break a
//! reader gets a new version. The types keep to it: every struct is
//! `#[non_exhaustive]` (code outside this crate can read and set fields,
//! but cannot list them all, so a field added later breaks no one), every
//! field added after a version's first release has a default, and enums
//! that may grow are `#[non_exhaustive]` too.

pub mod compare;
pub mod env;
pub mod history;
pub mod record;
pub mod run;
pub mod soak;
