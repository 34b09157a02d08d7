//! One `Cargo.lock` for both sides of `ab`: a revision that does not commit
//! its lockfile (libraries often gitignore it) would otherwise resolve its
//! dependencies afresh in its worktree, so BASE and HEAD could be built
//! against different versions of them — a difference `ab` would blame on
//! the code. Such a side is built with the working tree's lockfile, copied
//! in, or, where the working tree has none, with the one the first side's
//! build made. A revision that commits its lockfile keeps it: its
//! dependencies are part of the change.

use std::path::{Path, PathBuf};

use super::git::Repo;
use crate::Error;

/// The file cargo keeps the resolved versions in.
const LOCKFILE: &str = "Cargo.lock";

/// The lockfile both sides are built with, as the sides are built.
#[derive(Debug)]
pub(crate) struct SharedLock {
    /// The workspace's lockfile relative to the repository's top, where
    /// it is (or would be) in every checkout.
    relative: PathBuf,
    /// The lockfile to copy into a side without one; `None` until one
    /// exists.
    source: Option<PathBuf>,
}

/// What was done for one side, to be said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Used {
    /// The revision commits its own lockfile, which it keeps.
    Committed,
    /// The lockfile at this path was copied in.
    Copied(PathBuf),
    /// No lockfile anywhere yet: cargo resolves afresh, and the next side
    /// takes what it wrote.
    Fresh,
    /// The working tree's own lockfile.
    Own,
}

impl SharedLock {
    /// The working tree's lockfile: the nearest `Cargo.lock` from the
    /// current directory `cwd` up to the repository's top (where cargo
    /// keeps a workspace's), else where the current directory's would be.
    pub(crate) fn of_working_tree(repo: &Repo, cwd: &Path) -> SharedLock {
        let found = cwd
            .ancestors()
            .take_while(|dir| dir.starts_with(repo.top()))
            .map(|dir| dir.join(LOCKFILE))
            .find(|lock| lock.is_file());
        let at = found.clone().unwrap_or_else(|| cwd.join(LOCKFILE));
        let relative = at.strip_prefix(repo.top()).unwrap_or(&at).to_owned();
        SharedLock {
            relative,
            source: found,
        }
    }

    /// Before building `commit` in `worktree`: copies the shared lockfile
    /// in unless the commit has its own.
    pub(crate) fn prepare_revision(
        &self,
        repo: &Repo,
        commit: &str,
        worktree: &Path,
    ) -> Result<Used, Error> {
        if repo.has_file(commit, &self.relative) {
            return Ok(Used::Committed);
        }
        let Some(source) = &self.source else {
            return Ok(Used::Fresh);
        };
        let to = worktree.join(&self.relative);
        copy(source, &to)?;
        Ok(Used::Copied(source.clone()))
    }

    /// Before building the working tree at `top`: copies the shared
    /// lockfile in if it has none (what cargo would make, but resolved as
    /// the other side was).
    pub(crate) fn prepare_working_tree(&self, top: &Path) -> Result<Used, Error> {
        let own = top.join(&self.relative);
        if own.is_file() {
            return Ok(Used::Own);
        }
        let Some(source) = &self.source else {
            return Ok(Used::Fresh);
        };
        copy(source, &own)?;
        Ok(Used::Copied(source.clone()))
    }

    /// After a side was built in `checkout` (a worktree or the working
    /// tree's top): the lockfile its build made is the one the next side
    /// takes, if there was none before.
    pub(crate) fn built_in(&mut self, checkout: &Path) {
        if self.source.is_none() {
            let made = checkout.join(&self.relative);
            if made.is_file() {
                self.source = Some(made);
            }
        }
    }
}

/// Replaces `to` whole with a copy of `from`.
fn copy(from: &Path, to: &Path) -> Result<(), Error> {
    let bytes = std::fs::read(from).map_err(|e| perf_format::Error::read(from, e))?;
    perf_format::files::write_atomic(to, |w| w.write_all(&bytes))?;
    Ok(())
}
