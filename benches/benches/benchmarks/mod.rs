//! One module per topic.

pub(crate) mod alloc;
pub(crate) mod overhead;
