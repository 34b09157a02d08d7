//! Instrumented workloads shared by the end-to-end tests, the `service`
//! binary and the gate-quality example.
#![warn(missing_docs, unreachable_pub)]

pub mod service;
