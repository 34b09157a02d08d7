//! Git through the `git` command rather than a library: nothing to build
//! (libgit2 and its C toolchain), and it behaves as the user's own git
//! does — their configuration, credentials, alternates, partial clones and
//! worktree support included. `cargo perf ab` builds revisions in worktrees
//! through it; the history keeps its notes through it
//! (`crate::store::notes`).

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::signals::Watch;
use crate::Error;

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
    /// The repository holding `dir`; `purpose` says why one is needed
    /// when there is none (`` `cargo perf ab` builds git revisions ``).
    pub(crate) fn discover(dir: &Path, purpose: &'static str) -> Result<Repo, Error> {
        let mut command = git(dir);
        command.args(["rev-parse", "--show-toplevel", "--show-prefix"]);
        let output = output(&mut command, "git rev-parse", None)?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            if stderr.contains("not a git repository") {
                return Err(Error::NotGitRepository {
                    dir: dir.to_owned(),
                    purpose,
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
                purpose,
            });
        }
        Ok(Repo { top, prefix })
    }

    /// The top of the working tree.
    pub(crate) fn top(&self) -> &Path {
        &self.top
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
        let mut command = git(&self.top);
        command
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("{revision}^{{commit}}"));
        let output = output(&mut command, "git rev-parse", None)?;
        let commit = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if !output.status.success() || commit.is_empty() {
            return Err(unknown(
                "git knows no commit by that name (not fetched yet? `git fetch` brings remote branches)"
                    .to_owned(),
            ));
        }
        Ok(commit)
    }

    /// Whether `commit` holds the file at `path` (relative to the top).
    pub(crate) fn has_file(&self, commit: &str, path: &Path) -> bool {
        let spec = format!("{commit}:{}", path.to_string_lossy());
        git(&self.top)
            .args(["cat-file", "-e", &spec])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
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
pub(crate) fn git(dir: &Path) -> Command {
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
pub(crate) fn run(dir: &Path, args: &[&str], watch: Option<&Watch>) -> Result<String, Error> {
    let shown = format!("git {}", args.join(" "));
    let mut command = git(dir);
    command.args(args);
    let output = match watch {
        Some(watch) => watch.output(&mut command, spawn_error(&shown))?,
        None => output(&mut command, &shown, None)?,
    };
    if !output.status.success() {
        return Err(failed(&shown, &String::from_utf8_lossy(&output.stderr)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs `command` (a [`git`] command line, shown as `shown`) to its end,
/// feeding it `input` when given — from a thread of its own, so that a
/// command that writes while it reads (`git cat-file --batch`) cannot stall
/// on a full pipe. Its status is the caller's to judge.
pub(crate) fn output(
    command: &mut Command,
    shown: &str,
    input: Option<&[u8]>,
) -> Result<Output, Error> {
    let Some(input) = input else {
        return command.output().map_err(spawn_error(shown));
    };
    command.stdin(Stdio::piped());
    let mut child = command.spawn().map_err(spawn_error(shown))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    std::thread::scope(|scope| {
        // A command that ends early closes its end: its status says why,
        // so a broken pipe here is not the error to report.
        let feeder = scope.spawn(move || stdin.write_all(input));
        let output = child.wait_with_output().map_err(spawn_error(shown))?;
        match feeder.join().expect("writing to a pipe does not panic") {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe && output.status.success() => {
                Err(Error::Spawn {
                    command: shown.to_owned(),
                    source: e,
                })
            }
            _ => Ok(output),
        }
    })
}

/// The error for a git command line `shown` that could not be started:
/// [`Error::NoGit`] when there is no `git` to start.
pub(crate) fn spawn_error(shown: &str) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| {
        if source.kind() == io::ErrorKind::NotFound {
            Error::NoGit
        } else {
            Error::spawn(shown)(source)
        }
    }
}

/// A failed git command, with git's complaint on one line.
pub(crate) fn failed(command: &str, stderr: &str) -> Error {
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

/// The web address of the repository's `origin` (`https://host/owner/repo`),
/// whose `/commit/<id>` pages GitHub, GitLab and Gitea all serve; `None`
/// without one.
pub(crate) fn web_address(dir: &Path) -> Option<String> {
    let url = run(dir, &["remote", "get-url", "origin"], None).ok()?;
    web_address_of(url.trim())
}

/// `git@github.com:o/r.git` or `https://github.com/o/r.git` →
/// `https://github.com/o/r`.
fn web_address_of(url: &str) -> Option<String> {
    let url = url.strip_suffix(".git").unwrap_or(url);
    if let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    {
        let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
        return Some(format!("https://{rest}"));
    }
    let rest = url.strip_prefix("ssh://").unwrap_or(url);
    let rest = rest.split_once('@').map_or(rest, |(_, host)| host);
    let (host, path) = rest.split_once([':', '/'])?;
    let hostname = |h: &str| {
        h.contains('.')
            && !h.starts_with('.')
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    };
    (hostname(host) && !path.is_empty())
        .then(|| format!("https://{host}/{}", path.trim_start_matches('/')))
}

/// Each commit with its subject line, for the list the points link to.
pub(crate) fn subjects(dir: &Path, commits: &[&str]) -> Vec<(String, String)> {
    if commits.is_empty() {
        return Vec::new();
    }
    let mut args = vec!["show", "-s", "--format=%H %s"];
    args.extend(commits);
    let Ok(out) = run(dir, &args, None) else {
        return commits
            .iter()
            .map(|c| ((*c).to_owned(), String::new()))
            .collect();
    };
    out.lines()
        .filter_map(|line| line.split_once(' ').or(Some((line, ""))))
        .map(|(commit, subject)| (commit.to_owned(), subject.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_git_is_named() {
        let missing = spawn_error("git notes list")(io::Error::from(io::ErrorKind::NotFound));
        assert!(matches!(missing, Error::NoGit), "{missing}");
        assert!(missing.to_string().starts_with("git not found on PATH"));
        let denied =
            spawn_error("git notes list")(io::Error::from(io::ErrorKind::PermissionDenied));
        assert_eq!(
            denied.to_string(),
            "cannot run `git notes list`: permission denied"
        );
    }

    #[test]
    fn input_reaches_a_command_that_writes_while_it_reads() {
        let dir = tempfile::tempdir().unwrap();
        // More than a pipe holds each way: a feeder on this thread would stall.
        let text = "a line of text\n".repeat(20_000);
        let mut command = Command::new("cat");
        command
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = output(&mut command, "cat", Some(text.as_bytes())).unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, text.as_bytes());
    }

    #[test]
    fn remotes_become_web_addresses() {
        for (url, web) in [
            ("git@github.com:o/r.git", Some("https://github.com/o/r")),
            ("https://github.com/o/r.git", Some("https://github.com/o/r")),
            (
                "https://token@gitlab.com/g/r",
                Some("https://gitlab.com/g/r"),
            ),
            (
                "ssh://git@host.example/o/r.git",
                Some("https://host.example/o/r"),
            ),
            ("/srv/git/r.git", None),
            ("../remote.git", None),
        ] {
            assert_eq!(web_address_of(url).as_deref(), web, "{url}");
        }
    }
}
