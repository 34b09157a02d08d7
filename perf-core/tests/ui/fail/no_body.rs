trait Store {
    #[perf_core::profile]
    fn get(&self, key: u32) -> u32;
}

fn main() {}
