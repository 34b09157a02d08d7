//! The README's commands cannot rot, nor those of the reference in docs/:
//! every command in their `sh` blocks is checked here against what exists — `cargo perf` commands parse with the
//! real command line, examples and packages exist, paths are there — and a
//! command of any other kind fails the test until it is checked too. (The
//! commands' behaviour is tested where it lives: the story test runs the
//! record → baseline → compare path, the examples' tests run the examples.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::Parser as _;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// The README and every page of docs/.
fn documents() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(workspace().join("docs"))
        .expect("docs/")
        .map(|entry| entry.expect("docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    pages.insert(0, workspace().join("README.md"));
    pages
}

/// Every shell command in the ```sh blocks of `document`, without comments,
/// environment assignments or `&&` chains.
fn commands_in(document: &Path) -> Vec<Vec<String>> {
    let readme =
        std::fs::read_to_string(document).unwrap_or_else(|e| panic!("{}: {e}", document.display()));
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        let fence = line.trim_start();
        if fence.starts_with("```") {
            in_sh = !in_sh && fence.trim_start_matches('`') == "sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let code = line.split(" #").next().unwrap_or_default().trim();
        if code.is_empty() || code.starts_with('#') {
            continue;
        }
        for part in code.split("&&") {
            let words: Vec<String> = shell_words(part)
                .into_iter()
                .skip_while(|w| w.contains('=') && !w.starts_with('-'))
                .collect();
            if !words.is_empty() {
                commands.push(words);
            }
        }
    }
    commands
}

/// `line` split into words as a shell does, as far as the README needs:
/// at spaces, but not inside '…' or "…" (the quotes dropped).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

#[test]
fn quoted_words_stay_whole() {
    assert_eq!(
        shell_words(r#"cargo perf soak --load "wrk -c16 http://x/" -- 'a b' c"#),
        [
            "cargo",
            "perf",
            "soak",
            "--load",
            "wrk -c16 http://x/",
            "--",
            "a b",
            "c"
        ]
    );
}

/// Names of the workspace's packages and of their examples.
fn packages_and_examples() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut packages = BTreeSet::new();
    let mut examples = BTreeSet::new();
    for entry in std::fs::read_dir(workspace()).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let manifest: toml::Value = toml::from_str(&manifest).expect("Cargo.toml");
        if let Some(name) = manifest["package"]["name"].as_str() {
            packages.insert(name.to_owned());
        }
        for example in manifest
            .get("example")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
        {
            examples.insert(example["name"].as_str().unwrap().to_owned());
        }
        for file in std::fs::read_dir(dir.join("examples"))
            .into_iter()
            .flatten()
        {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "rs") {
                examples.insert(file.file_stem().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    (packages, examples)
}

/// The value after `flag` in `words`.
fn value_of<'a>(words: &'a [String], flags: &[&str]) -> Option<&'a str> {
    words
        .iter()
        .position(|w| flags.contains(&w.as_str()))
        .and_then(|i| words.get(i + 1))
        .map(String::as_str)
}

/// Tools outside this workspace that the README tells people to run.
const OUTSIDE_TOOLS: [&str; 6] = ["go", "apt-get", "wrk", "kill", "promtool", "curl"];

fn check(
    command: &[String],
    packages: &BTreeSet<String>,
    examples: &BTreeSet<String>,
) -> Result<(), String> {
    let words: Vec<&str> = command.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["cargo", "perf", rest @ ..] => {
            let argv = ["cargo-perf"].into_iter().chain(rest.iter().copied());
            perf_cli::Cli::try_parse_from(argv)
                .map(drop)
                .map_err(|e| e.to_string())
        }
        [
            "cargo",
            "run" | "build" | "test" | "bench" | "clippy" | "doc",
            ..,
        ] => {
            if let Some(example) = value_of(command, &["--example"]) {
                if !examples.contains(example) {
                    return Err(format!("no example {example:?} in the workspace"));
                }
            }
            if let Some(package) = value_of(command, &["-p", "--package"]) {
                if !packages.contains(package) {
                    return Err(format!("no package {package:?} in the workspace"));
                }
            }
            Ok(())
        }
        ["cargo", "install", ..] => match (
            value_of(command, &["--path"]),
            value_of(command, &["--git"]),
        ) {
            (Some(path), _) if workspace().join(path).join("Cargo.toml").is_file() => Ok(()),
            (None, Some(_)) if command.iter().any(|w| w == "perf-cli") => Ok(()),
            _ => Err(
                "cargo install needs --path to a package of the workspace, or --git … perf-cli"
                    .to_owned(),
            ),
        },
        ["cargo", "fmt", ..] => Ok(()),
        [tool, ..] if OUTSIDE_TOOLS.contains(tool) => Ok(()),
        _ => Err("not a kind of command this test knows how to check: add it here".to_owned()),
    }
}

#[test]
fn every_command_in_the_readme_and_docs_names_things_that_exist_and_parses() {
    let (packages, examples) = packages_and_examples();
    let readme = commands_in(&workspace().join("README.md"));
    assert!(
        readme.len() >= 10,
        "the README's commands were not found: {readme:?}"
    );
    let mut wrong = Vec::new();
    for document in documents() {
        let name = document.strip_prefix(workspace()).unwrap_or(&document);
        for command in commands_in(&document) {
            if let Err(e) = check(&command, &packages, &examples) {
                wrong.push(format!("{}: `{}`: {e}", name.display(), command.join(" ")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "commands that would fail:\n{}",
        wrong.join("\n")
    );
}
