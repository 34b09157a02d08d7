//! Compile errors of `#[profile]` misuse, as snapshots (`TRYBUILD=overwrite` to bless).

#[test]
fn misuse_is_a_compile_error_at_the_offending_token() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
