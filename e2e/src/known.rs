//! Work whose instruction count is known in advance, for the tests of
//! `cargo perf record --instructions` (the `known_counts` program).
//!
//! [`spin`] is a loop written in assembly: each iteration is exactly
//! [`BODY`] instructions (eight `nop`s, a `dec` and a `jnz`), whatever the
//! compiler makes of the code around it. So two calls of one function
//! that differ only in their iteration counts differ in instructions by
//! exactly `BODY` × the difference.

/// Iterations of the shortest loop of `known_counts`.
pub const N: u64 = 100_000;

/// Instructions per iteration of [`spin`] (x86_64).
pub const BODY: u64 = 10;

/// Runs `iterations` turns of a loop of exactly [`BODY`] instructions
/// (x86_64; elsewhere a loop of Rust whose cost the compiler decides).
#[inline(always)]
pub fn spin(iterations: u64) {
    if iterations == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the loop touches nothing but the register holding its
    // counter, which it counts down to zero, and the flags.
    unsafe {
        std::arch::asm!(
            "2:",
            "nop", "nop", "nop", "nop", "nop", "nop", "nop", "nop",
            "dec {n}",
            "jnz 2b",
            n = inout(reg) iterations => _,
            options(nomem, nostack),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    for i in 0..iterations {
        std::hint::black_box(i);
    }
}
