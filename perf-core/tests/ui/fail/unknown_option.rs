#[perf_core::profile(fast)]
fn work() {}

#[perf_core::profile(name = "a", name = "b")]
fn named_twice() {}

#[perf_core::profile(name = 3)]
fn name_not_a_string() {}

fn main() {
    work();
    named_twice();
    name_not_a_string();
}
