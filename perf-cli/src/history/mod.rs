//! History: the change-point detector over one series per function × metric.

pub mod detect;
