// A return type written `Result` that is not `std::result::Result`: its
// failures cannot be told, and the error says why.
struct Result<T>(T);

#[perf_core::profile]
fn wrapped() -> Result<u32> {
    Result(1)
}

fn main() {
    wrapped();
}
