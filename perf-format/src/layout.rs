//! Where perf's files live: one rule for the output root, shared by the
//! runtime and `cargo perf` so that a program and `cargo perf` run from the
//! same place agree; the names of the files in a run or record directory;
//! ids; and the `latest` pointers.
//!
//! ```text
//! <output root>/runs/<run id>/run.json …      a session's run   (runs/latest)
//! <output root>/records/<id>/record.json      cargo perf record (records/latest)
//! <workspace>/.perf/baselines/<name>.json     saved baselines, meant to be committed
//! <workspace>/perf.toml                       compare settings and budgets
//! ```

use std::path::{Path, PathBuf};

use crate::Error;
use crate::files::{self, Claim};

/// The name of the pointer file beside runs or records: it holds the
/// newest id.
pub const LATEST: &str = "latest";
/// The directory of runs under the output root.
pub const RUNS: &str = "runs";
/// The directory of records under the output root.
pub const RECORDS: &str = "records";

/// The file names of a run directory, `runs/<id>/`.
pub mod run_files {
    /// Every figure of the run (`perf-run/1`).
    pub const RUN_JSON: &str = "run.json";
    /// What `cargo perf soak` found of the run (`perf-soak/1`).
    pub const SOAK_JSON: &str = "soak.json";
    /// Wall time by call stack.
    pub const FLAMEGRAPH: &str = "flamegraph.svg";
    /// Bytes allocated by call stack, when allocations are tracked.
    pub const ALLOC_FLAMEGRAPH: &str = "alloc-flamegraph.svg";
    /// The timeline in Chrome trace format.
    pub const TRACE: &str = "trace.json";
    /// CPU samples by stack (perf-core's `cpu` feature).
    pub const CPU_FLAMEGRAPH: &str = "cpu-flamegraph.svg";
    /// The CPU samples as folded stacks.
    pub const CPU_FOLDED: &str = "cpu.folded";
    /// The CPU samples for `go tool pprof`.
    pub const PPROF: &str = "profile.pb";
    /// dhat's heap profile (perf-core's `heap` feature).
    pub const HEAP_PROFILE: &str = "dhat-heap.json";
    /// Live heap bytes over the session, when allocations are tracked.
    pub const MEMORY: &str = "memory.svg";
}

/// The file of a record directory, `records/<id>/`.
pub const RECORD_JSON: &str = "record.json";

/// The current directory, or an error naming `.` when it cannot be read
/// (removed under the process, say).
pub fn current_dir() -> Result<PathBuf, Error> {
    std::env::current_dir().map_err(|e| Error::read(".", e))
}

/// Where a workspace's perf files are: its output root, and its root for
/// the files meant to be committed (baselines, `perf.toml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    workspace: PathBuf,
    output: PathBuf,
}

impl Layout {
    /// The layout seen from the current directory: the enclosing cargo
    /// workspace, and the output root by [`output_root`].
    pub fn discover() -> Result<Layout, Error> {
        let workspace = workspace_root(&current_dir()?);
        let output = output_root(&workspace)?;
        Ok(Layout { workspace, output })
    }

    /// The output root seen from this process, as [`discover`](Self::discover)
    /// finds it, but looking for the workspace (a walk up from the current
    /// directory) only when neither `PERF_DIR` nor `CARGO_TARGET_DIR` names
    /// it: what a recorded program does before its session starts should
    /// not depend on where it runs (instruction records count it).
    pub fn discover_output() -> Result<PathBuf, Error> {
        let named = std::env::var_os("PERF_DIR").is_some()
            || std::env::var_os("CARGO_TARGET_DIR").is_some_and(|dir| !dir.is_empty());
        if named {
            // The workspace is not looked at when either variable is set.
            return output_root(Path::new(""));
        }
        Ok(Layout::discover()?.output)
    }

    /// A layout of the given workspace root and output root (`--out`,
    /// `SessionBuilder::dir`).
    pub fn new(workspace: impl Into<PathBuf>, output: impl Into<PathBuf>) -> Layout {
        Layout {
            workspace: workspace.into(),
            output: output.into(),
        }
    }

    /// The output root.
    pub fn output(&self) -> &Path {
        &self.output
    }

    /// `<output>/runs`: the sessions' runs.
    pub fn runs_dir(&self) -> PathBuf {
        self.output.join(RUNS)
    }

    /// `<output>/records`: what `cargo perf record` makes.
    pub fn records_dir(&self) -> PathBuf {
        self.output.join(RECORDS)
    }

    /// The workspace root.
    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    /// `<workspace>/.perf/baselines`.
    pub fn baselines_dir(&self) -> PathBuf {
        self.workspace.join(".perf").join("baselines")
    }

    /// `<workspace>/.perf/baselines/<name>.json`.
    pub fn baseline_file(&self, name: &str) -> PathBuf {
        self.baselines_dir().join(format!("{name}.json"))
    }

    /// `<workspace>/perf.toml`.
    pub fn config_file(&self) -> PathBuf {
        self.workspace.join("perf.toml")
    }
}

/// The output root of a program or `cargo perf` working in `workspace`:
/// `$PERF_DIR` if set (created when missing, as cargo creates its target
/// directory), else `$CARGO_TARGET_DIR/perf`, else `<workspace>/target/perf`.
/// An empty `PERF_DIR` is refused: it names no directory.
pub fn output_root(workspace: &Path) -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os("PERF_DIR") {
        if dir.is_empty() {
            return Err(Error::setting(
                "PERF_DIR",
                "",
                "it is set but empty: unset it or give it a directory",
            ));
        }
        return Ok(PathBuf::from(dir));
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(target).join("perf"));
    }
    Ok(workspace.join("target").join("perf"))
}

/// The workspace root seen from `cwd`: the nearest directory at or above
/// the enclosing package whose `Cargo.toml` declares `[workspace]`, else
/// the package's directory, else `cwd` itself.
pub fn workspace_root(cwd: &Path) -> PathBuf {
    let Some(package) = cwd.ancestors().find(|d| d.join("Cargo.toml").is_file()) else {
        return cwd.to_owned();
    };
    package
        .ancestors()
        .find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml"))
                .is_ok_and(|manifest| declares_workspace(&manifest))
        })
        .unwrap_or(package)
        .to_owned()
}

/// Whether a `Cargo.toml` declares a workspace: a `[workspace]` or
/// `[workspace.…]` table, or a top-level `workspace` key, bare or quoted.
fn declares_workspace(manifest: &str) -> bool {
    let names_workspace = |text: &str, next: &[char]| {
        let quote = text.chars().next().filter(|c| matches!(c, '"' | '\''));
        let text = quote.map_or(text, |q| &text[q.len_utf8()..]);
        text.strip_prefix("workspace").is_some_and(|rest| {
            let rest = quote.map_or(Some(rest), |q| rest.strip_prefix(q));
            rest.is_some_and(|rest| rest.trim_start().starts_with(next))
        })
    };
    let mut top_level = true;
    for line in manifest.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[') {
            if names_workspace(header.trim_start(), &[']', '.']) {
                return true;
            }
            top_level = false;
        } else if top_level && names_workspace(line, &['=', '.']) {
            return true;
        }
    }
    false
}

/// Checks a baseline or record name: it becomes a file name, so it is
/// letters, digits, `.`, `_` and `-`, at most 100 of them, not starting with
/// `.` or `-`. Every name read from a file that reaches a path is held to
/// the same rule.
pub fn check_name(what: &'static str, name: &str) -> Result<(), Error> {
    match name_problem(name) {
        Some(reason) => Err(Error::Name {
            what,
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Why `name` cannot be a file name of perf's (see [`check_name`]).
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name.len() > 100 {
        return Some("it is longer than 100 characters");
    }
    if name.starts_with(['.', '-']) {
        return Some("it may not start with '.' or '-'");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Some("use letters, digits, '.', '_' and '-' only");
    }
    None
}

/// Claims a new id for a run or record in `dir`: `<UTC time>-<name>`
/// (`20261123T091803-quickstart`) from an RFC 3339 `timestamp`, with the
/// name reduced to letters, digits, `.`, `_` and `-`, and a numeric suffix
/// (`-2`, `-3`, …) when another writer has that id. The id is taken by
/// creating its directory, which fails if it exists, so two writers never
/// get the same one however close together they finish.
pub fn claim_id(dir: &Path, timestamp: &str, name: &str) -> Result<Claim, Error> {
    let stamp: String = timestamp
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() && *c != 'Z')
        .take(15)
        .collect();
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let base = format!("{stamp}-{name}");
    for n in 1..=100_000 {
        let id = match n {
            1 => base.clone(),
            n => format!("{base}-{n}"),
        };
        if let Some(claim) = Claim::try_new(dir, &id)? {
            return Ok(claim);
        }
    }
    Err(Error::output_dir(
        dir.join(&base),
        std::io::Error::other("100 000 ids with this time and name are taken"),
    ))
}

/// The id `dir/latest` points at, `None` when there is no pointer. A
/// pointer holding anything but an id (a path, `..`) is refused.
pub fn read_latest(dir: &Path) -> Result<Option<String>, Error> {
    let pointer = dir.join(LATEST);
    if !pointer.exists() {
        return Ok(None);
    }
    let id = files::read_text(&pointer)?.trim().to_owned();
    if let Some(reason) = name_problem(&id) {
        return Err(Error::invalid(
            &pointer,
            format!("it holds {id:?}, which is not an id: {reason}"),
        ));
    }
    Ok(Some(id))
}

/// Points `dir/latest` at `id`, replacing the pointer whole.
pub fn set_latest(dir: &Path, id: &str) -> Result<(), Error> {
    files::write_atomic(&dir.join(LATEST), |w| writeln!(w, "{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_root_is_the_enclosing_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("Cargo.toml"),
            "# a workspace\n[workspace]\nmembers = [\"a\"]\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("a/src")).unwrap();
        std::fs::write(
            root.join("a/Cargo.toml"),
            "[package]\nname = \"a\"\n[dependencies]\nworkspace-hack = \"1\"\n",
        )
        .unwrap();
        assert_eq!(workspace_root(&root.join("a/src")), root);
        let lone = tempfile::tempdir().unwrap();
        assert_eq!(workspace_root(lone.path()), lone.path());
    }

    #[test]
    fn workspaces_are_declared_by_a_table_or_a_key() {
        assert!(declares_workspace("[workspace]\n"));
        assert!(declares_workspace("[package]\n[ workspace.package ]\n"));
        assert!(declares_workspace("workspace = { members = [] }\n"));
        assert!(declares_workspace("[\"workspace\"]\n"));
        assert!(declares_workspace("'workspace'.members = []\n"));
        assert!(!declares_workspace("[\"workspace-x\"]\n"));
        assert!(!declares_workspace("[package]\nname = \"workspace\"\n"));
        assert!(!declares_workspace(
            "[package]\n[dependencies]\nworkspace = \"1\"\n"
        ));
        assert!(!declares_workspace("[workspace-tools]\n"));
    }

    #[test]
    fn names_become_file_names_safely() {
        assert!(check_name("baseline", "main").is_ok());
        assert!(check_name("baseline", "release-1.2_x").is_ok());
        for bad in ["", ".hidden", "-flag", "a/b", "a b", "..", &"x".repeat(101)] {
            assert!(check_name("baseline", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_are_claimed_once() {
        let dir = tempfile::tempdir().unwrap();
        let claim = |name| claim_id(dir.path(), "2027-01-15T08:00:00Z", name).unwrap();
        let first = claim("my app");
        assert_eq!(first.name(), "20270115T080000-my_app");
        assert!(first.path().is_dir());
        let second = claim("my app");
        assert_eq!(second.name(), "20270115T080000-my_app-2");
        // A claim let go unfilled is given back.
        drop(second);
        assert!(!dir.path().join("20270115T080000-my_app-2").exists());
        first.keep();
        assert_eq!(claim("my app").name(), "20270115T080000-my_app-2");
    }

    #[test]
    fn ids_are_claimed_once_by_many_threads_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let barrier = std::sync::Barrier::new(16);
        let names: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        let claim = claim_id(dir.path(), "2027-01-15T08:00:00Z", "app").unwrap();
                        let name = claim.name().to_owned();
                        claim.keep();
                        name
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let distinct: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(distinct.len(), 16, "{names:?}");
    }

    #[test]
    fn a_latest_pointer_names_an_id_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["../../elsewhere", "/tmp/x", "a/b", ".hidden", "a\\b"] {
            std::fs::write(dir.path().join(LATEST), format!("{bad}\n")).unwrap();
            let err = read_latest(dir.path()).unwrap_err().to_string();
            assert!(err.contains("latest") && err.contains("not an id"), "{err}");
        }
    }

    #[test]
    fn latest_points_at_the_newest_id() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_latest(dir.path()).unwrap(), None);
        set_latest(dir.path(), "a").unwrap();
        set_latest(dir.path(), "b").unwrap();
        assert_eq!(read_latest(dir.path()).unwrap().as_deref(), Some("b"));
    }
}
