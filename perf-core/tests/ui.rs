//! Compile errors of `#[profile]` misuse, as snapshots (`TRYBUILD=overwrite` to bless),
//! and code a user writes with it compiling without a single warning.
#![cfg(feature = "runtime")]

#[test]
fn misuse_is_a_compile_error_at_the_offending_token() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}

#[test]
fn code_as_users_write_it_compiles_without_a_warning() {
    trybuild::TestCases::new().pass("tests/ui/pass/*.rs");
}
