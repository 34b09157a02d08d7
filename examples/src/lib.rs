//! Code shared by the examples and their tests.
#![warn(missing_docs, unreachable_pub)]

pub mod alloc_regression;
