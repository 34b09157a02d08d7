struct Square(u64);

#[perf_core::profile(name = "forms::area")]
impl Square {
    fn area(&self) -> u64 {
        self.0 * self.0
    }
}

fn main() {
    let _ = Square(2).area();
}
