//! perf-core is a dependency a library can carry (DESIGN §7.4). With its
//! default features off it is the macros alone: at most 10 crates. And the
//! library pattern of docs/features.md — perf-core optional, a `perf`
//! feature, `cfg_attr` on each annotation — builds and passes its tests
//! both ways (`e2e/library-pattern/`, built by a cargo run of its own).

use std::collections::BTreeSet;
use std::process::{Command, Output};

fn cargo(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "cargo {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The crates (name and version) in a package's normal dependency tree,
/// the package itself included, each once.
fn crates(args: &[&str]) -> BTreeSet<String> {
    let mut command = vec!["tree", "--offline", "-e", "normal", "--prefix", "none"];
    command.extend(["--no-dedupe", "--format", "{p}"]);
    command.extend(args);
    let out = cargo(&command);
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter_map(|line| {
            // `name vX.Y.Z (path)` or `… (proc-macro)`: the name and version.
            let mut words = line.split_whitespace();
            Some(format!("{} {}", words.next()?, words.next()?))
        })
        .collect()
}

#[test]
fn perf_core_without_its_default_features_is_ten_crates_at_most() {
    let tree = crates(&["-p", "perf-core", "--no-default-features"]);
    assert!(tree.len() <= 10, "{} crates: {tree:#?}", tree.len());
    let names: BTreeSet<&str> = tree.iter().filter_map(|c| c.split(' ').next()).collect();
    for expected in ["perf-core", "perf-macros", "syn", "quote", "proc-macro2"] {
        assert!(names.contains(expected), "{expected} missing: {tree:#?}");
    }
    for runtime in [
        "perf-format",
        "serde",
        "serde_json",
        "quanta",
        "inferno",
        "plotters",
        "tempfile",
    ] {
        assert!(
            !names.contains(runtime),
            "{runtime} without the runtime: {tree:#?}"
        );
    }

    // The library without `perf` has no perf in its tree; with the
    // dependency on but `enabled` off, the macros alone come in.
    let alone = crates(&["-p", "perf-library-pattern"]);
    assert_eq!(alone.len(), 1, "{alone:#?}");
    let carried = crates(&["-p", "perf-library-pattern", "--features", "perf-core"]);
    assert_eq!(carried.len(), tree.len() + 1, "{carried:#?}");
}

#[test]
fn the_library_pattern_builds_and_passes_its_tests_both_ways() {
    let test = |features: &[&str]| {
        let mut args = vec!["test", "-p", "perf-library-pattern", "--lib"];
        args.extend(features);
        String::from_utf8(cargo(&args).stdout).expect("utf-8")
    };
    let plain = test(&[]);
    assert!(
        plain.contains("computes_the_same_either_way ... ok"),
        "{plain}"
    );
    assert!(!plain.contains("with_perf"), "{plain}");

    let perf = test(&["--features", "perf"]);
    assert!(
        perf.contains("computes_the_same_either_way ... ok"),
        "{perf}"
    );
    assert!(
        perf.contains("with_perf_a_session_records_the_librarys_calls ... ok"),
        "{perf}"
    );
}
