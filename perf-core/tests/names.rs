//! Every function its own row: methods named by their type (and trait), one
//! name for every instantiation of a generic impl, and two places that
//! still share a name told apart instead of merged.
#![cfg(feature = "enabled")]

use perf_core::{Session, profile};

#[global_allocator]
static ALLOC: perf_core::PerfAlloc = perf_core::PerfAlloc::system();

/// Two trait impls of one method, named by the attribute on each impl block.
mod forms {
    use perf_core::profile;

    pub trait Shape {
        fn area(&self) -> u64;
    }

    pub struct Square(pub u64);
    pub struct Circle(pub u64);

    #[profile]
    impl Shape for Square {
        fn area(&self) -> u64 {
            std::hint::black_box(self.0 * self.0)
        }
    }

    #[profile]
    impl Shape for Circle {
        /// The planted regression: this one allocates on every call.
        fn area(&self) -> u64 {
            let digits = std::hint::black_box(vec![3u64, 1, 4, 1, 6]);
            self.0 * self.0 * digits[0]
        }
    }
}

/// `FromStr` for two types, each method alone under `#[profile]`: the
/// runtime finds the type and the trait from the method's own path.
mod parse {
    use perf_core::profile;
    use std::str::FromStr;

    pub struct Version(pub u64);
    pub struct VersionReq(pub u64);

    impl FromStr for Version {
        type Err = std::num::ParseIntError;
        #[profile]
        fn from_str(s: &str) -> Result<Self, Self::Err> {
            s.parse().map(Version)
        }
    }

    impl FromStr for VersionReq {
        type Err = std::num::ParseIntError;
        #[profile]
        fn from_str(s: &str) -> Result<Self, Self::Err> {
            s.trim_start_matches('^').parse().map(VersionReq)
        }
    }
}

/// Generic impls: one name whatever the type arguments.
mod generic {
    use perf_core::profile;

    pub struct Wrapper<T>(pub T);

    #[profile]
    impl<T: Clone> Wrapper<T> {
        pub fn get(&self) -> T {
            self.0.clone()
        }

        pub fn twice(&self) -> (T, T) {
            (self.get(), self.get())
        }

        /// Keeps its own options and name.
        #[profile(name = "generic::peek_named")]
        pub fn peek(&self) -> &T {
            &self.0
        }

        /// Left alone: it may run at compile time.
        pub const fn inner(&self) -> &T {
            &self.0
        }
    }

    pub struct Holder<T>(pub T);

    impl<T: Copy> Holder<T> {
        #[profile]
        pub fn take(&self) -> T {
            self.0
        }

        #[profile]
        pub async fn later(&self) -> T {
            self.0
        }
    }
}

/// Two associated fns with neither `self` nor `Self`: both `collide::build`
/// by default, so the second to run is told apart by where it is.
mod collide {
    use perf_core::profile;

    pub struct A;
    pub struct B;

    impl A {
        #[profile]
        pub fn build() -> u8 {
            std::hint::black_box(1)
        }
    }

    impl B {
        #[profile]
        pub fn build() -> u8 {
            std::hint::black_box(2)
        }
    }
}

#[profile]
fn free() -> u8 {
    std::hint::black_box(7)
}

fn row<'a>(run: &'a perf_core::model::RunData, name: &str) -> &'a perf_core::model::FunctionStats {
    let names: Vec<&str> = run.functions.iter().map(|f| f.name.as_str()).collect();
    run.function(name)
        .unwrap_or_else(|| panic!("no row {name:?} in {names:?}"))
}

// One test: sessions are process-wide.
#[test]
fn each_method_is_its_own_row_named_by_its_type() {
    use forms::Shape;
    use std::future::Future;
    let dir = tempfile::tempdir().expect("tempdir");
    let session = Session::builder("names")
        .dir(dir.path())
        .start()
        .expect("start");

    for i in 0..100 {
        forms::Square(i).area();
    }
    for i in 0..60 {
        forms::Circle(i).area();
    }
    for i in 0..30 {
        let v: parse::Version = i.to_string().parse().expect("version");
        assert_eq!(v.0, i);
    }
    for i in 0..20 {
        let r: parse::VersionReq = format!("^{i}").parse().expect("req");
        assert_eq!(r.0, i);
    }
    let (a, b) = (generic::Wrapper(1u8), generic::Wrapper(String::from("x")));
    for _ in 0..5 {
        a.get();
        b.get();
        b.twice();
        a.peek();
        let _ = a.inner();
    }
    generic::Holder(1u32).take();
    generic::Holder('c').take();
    generic::Holder(2.5f64).take();
    let holder = generic::Holder(4u16);
    let mut later = std::pin::pin!(holder.later());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert_eq!(later.as_mut().poll(&mut cx), std::task::Poll::Ready(4));
    collide::A::build();
    collide::B::build();
    collide::B::build();
    free();

    let run = session.finish().expect("finish");
    let run = run.data();
    // Read back from disk too: the names survive run.json.
    let written = perf_core::model::RunData::load(&run_json(dir.path())).expect("load run.json");
    assert_eq!(run.functions.len(), written.functions.len());
    for f in &run.functions {
        assert!(
            written.function(&f.name).is_some(),
            "{:?} not in run.json",
            f.name
        );
    }

    let square = row(run, "<names::forms::Square as Shape>::area");
    let circle = row(run, "<names::forms::Circle as Shape>::area");
    assert_eq!((square.calls, circle.calls), (100, 60));
    // The regression is Circle's alone, in its own row.
    assert_eq!(square.self_allocs, 0);
    assert_eq!(circle.self_allocs, 60);

    let version = row(run, "<names::parse::Version as FromStr>::from_str");
    let req = row(run, "<names::parse::VersionReq as FromStr>::from_str");
    assert_eq!((version.calls, req.calls), (30, 20));

    let (get, twice) = (
        row(run, "names::generic::Wrapper::get"),
        row(run, "names::generic::Wrapper::twice"),
    );
    assert_eq!((get.calls, twice.calls), (20, 5));
    // Each method starts on its own line, not on the impl block's.
    assert_eq!(twice.line, get.line + 4, "{} {}", get.line, twice.line);
    assert_eq!(row(run, "generic::peek_named").calls, 5);
    assert_eq!(row(run, "names::generic::Holder::take").calls, 3);
    assert_eq!(row(run, "names::generic::Holder::later").calls, 1);
    assert!(run.functions.iter().all(|f| !f.name.contains("inner")));

    assert_eq!(row(run, "names::collide::build").calls, 1);
    let other = run
        .functions
        .iter()
        .find(|f| f.name.starts_with("names::collide::build ("))
        .expect("the second `build` has a row of its own");
    assert_eq!(other.calls, 2);
    let file_line = format!("({}:{})", other.file, other.line);
    assert!(
        other.name.ends_with(&file_line),
        "{} vs {file_line}",
        other.name
    );

    assert_eq!(row(run, "names::free").calls, 1);
}

fn run_json(dir: &std::path::Path) -> std::path::PathBuf {
    let latest = std::fs::read_to_string(dir.join("runs/latest")).expect("runs/latest");
    dir.join("runs").join(latest.trim()).join("run.json")
}
