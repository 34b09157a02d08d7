//! The workspace is ready for `cargo publish`: every crate meant for
//! crates.io carries the metadata its page needs, and every other crate is
//! kept off it. (`.ci/run` also runs `cargo publish --workspace --dry-run`,
//! which packages and builds each crate as crates.io would.)

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// crates.io's category slugs that fit perf (a subset of its list).
const CATEGORIES: &[&str] = &[
    "development-tools",
    "development-tools::profiling",
    "development-tools::debugging",
    "development-tools::testing",
    "development-tools::cargo-plugins",
    "visualization",
];

/// The crates a user installs or depends on, and what they need of each other.
const PUBLISHED: &[&str] = &[
    "perf-format",
    "perf-stats",
    "perf-macros",
    "perf-core",
    "perf-cli",
];

fn workspace_packages() -> Vec<Value> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
    metadata["packages"].as_array().expect("packages").clone()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn published_crates_carry_what_their_crates_io_page_needs() {
    let packages = workspace_packages();
    for name in PUBLISHED {
        let package = packages
            .iter()
            .find(|p| p["name"] == *name)
            .unwrap_or_else(|| panic!("{name} is not in the workspace"));
        let text = |key: &str| package[key].as_str().unwrap_or_default().to_owned();
        assert!(text("description").len() > 20, "{name}: description");
        assert_eq!(text("license"), "MIT OR Apache-2.0", "{name}: license");
        assert!(package["publish"].is_null(), "{name} must be publishable");
        assert_eq!(
            text("documentation"),
            format!("https://docs.rs/{name}"),
            "{name}: documentation"
        );

        let keywords = strings(&package["keywords"]);
        assert!((1..=5).contains(&keywords.len()), "{name}: 1 to 5 keywords");
        for keyword in &keywords {
            assert!(
                keyword.len() <= 20
                    && keyword.starts_with(|c: char| c.is_ascii_alphabetic())
                    && keyword
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{name}: keyword {keyword:?} is not one crates.io takes"
            );
        }
        let categories = strings(&package["categories"]);
        assert!(!categories.is_empty(), "{name}: categories");
        for category in &categories {
            assert!(
                CATEGORIES.contains(category),
                "{name}: category {category:?}"
            );
        }

        let manifest = Path::new(package["manifest_path"].as_str().expect("manifest path"));
        let readme = manifest.with_file_name(text("readme"));
        let readme_text = std::fs::read_to_string(&readme)
            .unwrap_or_else(|e| panic!("{name}: readme {}: {e}", readme.display()));
        assert!(
            readme_text.starts_with("# "),
            "{name}: {} has no title",
            readme.display()
        );

        // What a published crate depends on within the workspace must be
        // published too, with a version crates.io can resolve.
        for dependency in package["dependencies"].as_array().expect("dependencies") {
            if dependency["path"].is_null() || dependency["kind"] == "dev" {
                continue;
            }
            let dependency_name = dependency["name"].as_str().expect("name");
            assert!(
                PUBLISHED.contains(&dependency_name),
                "{name} depends on the unpublished {dependency_name}"
            );
            assert_ne!(
                dependency["req"], "*",
                "{name}: {dependency_name} needs a version"
            );
        }
    }
}

#[test]
fn every_other_crate_stays_off_crates_io() {
    for package in workspace_packages() {
        let name = package["name"].as_str().expect("name");
        if !PUBLISHED.contains(&name) {
            assert_eq!(
                package["publish"],
                Value::Array(Vec::new()),
                "{name} must say publish = false"
            );
        }
    }
}
