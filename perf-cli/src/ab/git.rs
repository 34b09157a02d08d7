//! Git through the `git` command rather than a library: nothing to build
//! (libgit2 and its C toolchain), and it behaves as the user's own git
//! does — their configuration, credentials, alternates, partial clones and
//! worktree support included.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Error;
use crate::interrupt::Watch;

/// The repository seen from a directory inside it.
#[derive(Clone, Debug)]
pub(crate) struct Repo {
    /// The top of the working tree.
    top: PathBuf,
    /// Where the directory was, relative to `top` (empty at the top).
    prefix: PathBuf,
}

/// How [`Repo::worktree`] found the worktree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// Made now.
    Made,
    /// Already there at the commit, unchanged: reused.
    Reused,
    /// There but broken, moved or changed: made again.
    Remade,
}

impl Repo {
    /// The repository holding `dir`.
    pub(crate) fn discover(dir: &Path) -> Result<Repo, Error> {
        let mut command = git(dir);
        command.args(["rev-parse", "--show-toplevel", "--show-prefix"]);
        let output = command.output().map_err(Error::spawn("git rev-parse"))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            if stderr.contains("not a git repository") {
                return Err(Error::NotGitRepository {
                    dir: dir.to_owned(),
                });
            }
            return Err(failed("git rev-parse --show-toplevel", &stderr));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let mut lines = stdout.lines();
        let top = PathBuf::from(lines.next().unwrap_or_default());
        let prefix = PathBuf::from(lines.next().unwrap_or_default());
        if top.as_os_str().is_empty() {
            // A bare repository, or inside `.git`.
            return Err(Error::NotGitRepository {
                dir: dir.to_owned(),
            });
        }
        Ok(Repo { top, prefix })
    }

    /// The directory in `worktree` that stands where the current directory
    /// stands in the working tree.
    pub(crate) fn same_place_in(&self, worktree: &Path) -> PathBuf {
        worktree.join(&self.prefix)
    }

    /// The full id of the commit `revision` names (`git rev-parse --verify
    /// REV^{commit}`).
    pub(crate) fn commit(&self, revision: &str) -> Result<String, Error> {
        let unknown = |problem: String| Error::UnknownRevision {
            revision: revision.to_owned(),
            repository: self.top.clone(),
            problem,
        };
        if revision.is_empty() || revision.starts_with('-') {
            return Err(unknown(
                "a revision names a commit, branch or tag".to_owned(),
            ));
        }
        let output = git(&self.top)
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("{revision}^{{commit}}"))
            .output()
            .map_err(Error::spawn("git rev-parse"))?;
        let commit = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if !output.status.success() || commit.is_empty() {
            return Err(unknown(
                "git knows no commit by that name (not fetched yet? `git fetch` brings remote branches)"
                    .to_owned(),
            ));
        }
        Ok(commit)
    }

    /// Whether tracked files differ from `HEAD` (untracked files do not
    /// count, as with `git describe --dirty`).
    pub(crate) fn is_dirty(&self) -> Result<bool, Error> {
        let status = run(
            &self.top,
            &["status", "--porcelain", "--untracked-files=no"],
            None,
        )?;
        Ok(!status.trim().is_empty())
    }

    /// A worktree of `commit` at `dir`, detached: reused when it is already
    /// there at that commit and unchanged, made again when it is broken
    /// (deleted by hand, moved, another commit, edited files).
    pub(crate) fn worktree(&self, dir: &Path, commit: &str, watch: &Watch) -> Result<Found, Error> {
        let existed = dir.exists();
        if existed {
            if self.is_clean_worktree_at(dir, commit) {
                return Ok(Found::Reused);
            }
            tracing::info!("making the worktree at {} again", dir.display());
            // Unregisters it if git knows it; the files go in any case.
            let _ = git(&self.top)
                .args(["worktree", "remove", "--force", "--force"])
                .arg(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if dir.exists() {
                std::fs::remove_dir_all(dir).map_err(|e| perf_format::Error::write(dir, e))?;
            }
        }
        if let Some(parent) = dir.parent() {
            perf_format::files::create_dir_all(parent)?;
        }
        // `--force`: also when git still has `dir` registered but its files
        // were deleted by hand.
        let mut add = vec!["worktree", "add", "--detach", "--force", "--quiet"];
        let dir_text = dir.to_string_lossy();
        add.extend([dir_text.as_ref(), commit]);
        run(&self.top, &add, Some(watch))?;
        if dir.join(".gitmodules").exists() {
            run(
                dir,
                &["submodule", "update", "--init", "--recursive", "--quiet"],
                Some(watch),
            )?;
        }
        Ok(if existed { Found::Remade } else { Found::Made })
    }

    /// Whether `dir` is a worktree of this repository, checked out at
    /// `commit` with no tracked file changed.
    fn is_clean_worktree_at(&self, dir: &Path, commit: &str) -> bool {
        let common = |at: &Path| {
            run(
                at,
                &["rev-parse", "--path-format=absolute", "--git-common-dir"],
                None,
            )
            .ok()
            .and_then(|d| std::fs::canonicalize(d.trim()).ok())
        };
        let top = run(dir, &["rev-parse", "--show-toplevel"], None)
            .ok()
            .and_then(|t| std::fs::canonicalize(t.trim()).ok());
        let head = run(dir, &["rev-parse", "--verify", "--quiet", "HEAD"], None).ok();
        let status = run(
            dir,
            &["status", "--porcelain", "--untracked-files=no"],
            None,
        )
        .ok();
        top.is_some()
            && top == std::fs::canonicalize(dir).ok()
            && common(dir).is_some()
            && common(dir) == common(&self.top)
            && head.as_deref().map(str::trim) == Some(commit)
            && status.is_some_and(|s| s.trim().is_empty())
    }
}

/// `git` in `dir`, reading nothing and prompting for nothing.
fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `git ARGS` in `dir` (under `watch` when given, for the slow ones);
/// its stdout.
fn run(dir: &Path, args: &[&str], watch: Option<&Watch>) -> Result<String, Error> {
    let shown = format!("git {}", args.join(" "));
    let mut command = git(dir);
    command.args(args);
    let output = match watch {
        Some(watch) => watch.output(&mut command, Error::spawn(&shown))?,
        None => command.output().map_err(Error::spawn(&shown))?,
    };
    if !output.status.success() {
        return Err(failed(&shown, &String::from_utf8_lossy(&output.stderr)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A failed git command, with git's complaint on one line.
fn failed(command: &str, stderr: &str) -> Error {
    let problem = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    Error::Git {
        command: command.to_owned(),
        problem: if problem.is_empty() {
            "git wrote nothing to stderr".to_owned()
        } else {
            problem
        },
    }
}
