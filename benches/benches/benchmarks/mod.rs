//! One module per topic.

pub(crate) mod alloc;
pub(crate) mod compare;
pub(crate) mod flamegraph;
pub(crate) mod overhead;
