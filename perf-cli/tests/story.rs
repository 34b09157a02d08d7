//! The record-and-compare story, played on a temporary copy of the
//! `checkout` example as a project of its own: record, save the baseline,
//! plant a regression through `CHECKOUT_REGRESSION`, see the gate fail
//! (exit 1) and name the function; take it out, see the gate pass. And the
//! commands of `examples/ci/github-actions.yml` (`ab` on pull requests,
//! `record` and `baseline save` on main) parse. (`ab` itself is played in
//! `tests/cli/ab.rs`, on a program that builds in a second: a copy of
//! `checkout` built from nothing for the base side takes a minute here.)
//! A test binary of its own, so that no other test loads the machine while
//! it measures.

use std::path::{Path, PathBuf};

/// A temporary directory standing in for a user's project.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The workspace this test belongs to.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// The target directory of this build (`target/debug/cargo-perf` → `target`),
/// shared so that the copy reuses perf-core and its dependencies built in release.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_cargo-perf"))
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_owned()
}

/// A project holding a copy of the `checkout` example, depending on this
/// workspace's perf-core, with the workspace's lock file.
fn shop() -> Project {
    let project = Project {
        dir: tempfile::tempdir().expect("a temporary directory"),
    };
    let root = project.path();
    let perf_core = workspace().join("perf-core");
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nperf-core = {{ path = {:?} }}\n\n[workspace]\n",
            perf_core.display().to_string()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("examples")).unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/lib.rs"), "//! The shop.\n").unwrap();
    std::fs::copy(
        workspace().join("examples/checkout.rs"),
        root.join("examples/checkout.rs"),
    )
    .unwrap();
    std::fs::copy(workspace().join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    project
}

/// `cargo perf ARGS` in the shop, with its target directory shared, and
/// `CHECKOUT_REGRESSION` set to `regression` (or unset).
fn perf(shop: &Project, args: &[&str], regression: Option<&str>) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-perf"));
    command
        .arg("perf")
        .args(args)
        .current_dir(shop.path())
        .env("CI", "true")
        .env("CARGO_TARGET_DIR", target_dir())
        .env("PERF_DIR", shop.path().join("perf"))
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("CHECKOUT_REGRESSION");
    if let Some(regression) = regression {
        command.env("CHECKOUT_REGRESSION", regression);
    }
    command.output().expect("run cargo-perf")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_planted_regression_fails_the_gate_and_is_named_then_passes_once_removed() {
    let shop = shop();
    std::fs::create_dir_all(shop.path().join("perf")).unwrap();
    // The commands of the workflow's push to main, and of comparing by hand.
    let record = ["record", "--runs", "10", "--example", "checkout"];
    let compare = ["compare", "main", "--format", "markdown"];

    let first = perf(&shop, &record, None);
    assert!(first.status.success(), "record: {}", text(&first.stderr));
    let saved = perf(&shop, &["baseline", "save", "main"], None);
    assert!(saved.status.success(), "save: {}", text(&saved.stderr));
    assert!(shop.path().join(".perf/baselines/main.json").is_file());

    let slower = perf(&shop, &record, Some("slow"));
    assert!(slower.status.success(), "record: {}", text(&slower.stderr));
    let gate = perf(&shop, &compare, None);
    let report = text(&gate.stdout);
    assert_eq!(
        gate.status.code(),
        Some(1),
        "{report}{}",
        text(&gate.stderr)
    );
    let look = report
        .split("Where to look")
        .nth(1)
        .unwrap_or_else(|| panic!("no `Where to look` in:\n{report}"));
    assert!(look.contains("checkout::price"), "{report}");

    // Taken out, the gate passes. A record made while the machine was busier
    // than for the baseline moves every function at once, which the gate
    // fails as a whole: that is load, not code, and it does not last, so
    // the record is made again (at most twice more) before judging.
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let fixed = perf(&shop, &record, None);
        assert!(fixed.status.success(), "record: {}", text(&fixed.stderr));
        let gate = perf(&shop, &compare, None);
        if gate.status.code() == Some(0) {
            return;
        }
        outcomes.push(format!("{:?}\n{}", gate.status.code(), text(&gate.stdout)));
    }
    panic!(
        "the gate failed on the unchanged code 3 times:\n{}",
        outcomes.join("\n")
    );
}

/// The `cargo perf` commands of shell lines: what follows `cargo perf` on
/// each line, split into words.
fn cargo_perf_commands(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter_map(|line| line.split_once("cargo perf ").map(|(_, rest)| rest))
        .map(|rest| {
            // A comment or a shell operator ends the command.
            let end = [" #", "&&", "|", ">", ";"]
                .iter()
                .filter_map(|op| rest.find(op))
                .min()
                .unwrap_or(rest.len());
            rest[..end].split_whitespace().map(str::to_owned).collect()
        })
        .collect()
}

#[test]
fn the_workflow_runs_commands_cargo_perf_accepts_on_an_example_that_exists() {
    use clap::Parser as _;
    let workflow = std::fs::read_to_string(workspace().join("examples/ci/github-actions.yml"))
        .expect("examples/ci/github-actions.yml");
    // The shell of `run:` steps, one line or a `run: |` block.
    let mut steps = String::new();
    let mut block_indent = None;
    for line in workflow.lines() {
        let indent = line.len() - line.trim_start().len();
        match block_indent {
            Some(at) if indent > at && !line.trim().is_empty() => {
                steps.push_str(line.trim());
                steps.push('\n');
                continue;
            }
            _ => block_indent = None,
        }
        if let Some(command) = line.trim_start().strip_prefix("run:") {
            if command.trim() == "|" {
                block_indent = Some(indent);
            } else {
                steps.push_str(command.trim());
                steps.push('\n');
            }
        }
    }
    let commands = cargo_perf_commands(&steps);
    let verbs: Vec<&str> = commands.iter().map(|c| c[0].as_str()).collect();
    assert_eq!(
        verbs,
        [
            "ab", "record", "baseline", "history", "history", "history", "history", "ab"
        ],
        "{commands:?}"
    );
    for command in &commands {
        let argv = ["cargo-perf".to_owned()]
            .into_iter()
            .chain(command.iter().cloned());
        if let Err(e) = perf_cli::Cli::try_parse_from(argv) {
            panic!("cargo perf {}: {e}", command.join(" "));
        }
    }
    // The program it runs is this workspace's checkout example, and the
    // table of a pull request is one comment, found by its marker.
    assert!(
        workflow.contains("cargo perf ab \"$BASE\" --runs 10 --example checkout --format markdown")
    );
    assert!(workflow.contains("<!-- cargo-perf -->") && workflow.contains("updateComment"));
    // The instruction-count job: Valgrind installed, one run a side.
    assert!(workflow.contains(
        "cargo perf ab \"$BASE\" --instructions --runs 1 --warmup 0 --example checkout --format markdown"
    ));
    assert!(workflow.contains("apt-get install -y --no-install-recommends valgrind"));
    assert!(workspace().join("examples/checkout.rs").is_file());
}
