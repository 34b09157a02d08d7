//! `PerfLayer`: spans of `tracing` land in perf's call tree (feature `tracing`).
