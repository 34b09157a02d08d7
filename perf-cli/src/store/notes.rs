//! The history store: every record added to the history lives in git, as
//! notes on `refs/notes/perf` in the user's own repository, so CI runners
//! share it through the remote they already push to, with no server.
//!
//! - **Notes, one per commit.** A commit's note holds the entries added for
//!   it, one `perf-history/1` line each ([`Entry::to_line`]), sorted and
//!   each kept once. Notes leave the commits alone (no rewrite, no new
//!   file in the tree), ride along with `git push`/`git fetch` of their
//!   ref, and are a format git-perf and `git log --notes=perf` already
//!   read.
//! - **Through the `git` command** (`crate::run::git`), not libgit2: nothing to
//!   build, and the user's own configuration and credentials apply, as for
//!   `cargo perf ab`. When git knows no identity to commit the notes as (a
//!   bare CI container), they are committed as
//!   `cargo perf <perf@localhost>`; the commits they annotate keep theirs.
//! - **No entry lost.** Because a note is a set of self-contained lines,
//!   two notes join with git's own `cat_sort_uniq` notes merge
//!   (concatenate, sort, drop repeated lines): an entry added on two sides
//!   is kept once, and no entry is dropped. Locally, a change is made on a
//!   copy of the ref (`refs/notes/perf-tmp/<pid>-<n>-<what>`, deleted
//!   afterwards) and the ref moved to the result only if no one moved it
//!   meanwhile (`git update-ref REF NEW OLD`), else made again: two `add`s
//!   at once in one repository both land.
//! - **[`push`](Store::push)** pushes the ref; rejected (another job pushed
//!   first), it fetches the remote's notes, merges them and tries again,
//!   after a random pause that doubles each time (50 ms up to 1 s), at
//!   most [`PUSH_ATTEMPTS`] times; still rejected, [`Error::PushRejected`],
//!   the local notes holding every entry still (merged with the remote's).
//!   **[`pull`](Store::pull)** fetches and merges the same way; a remote
//!   without the ref has nothing to pull, which is no error.
//! - **Imported series** (rows of an Otava CSV, naming commits that are not
//!   in this repository) are notes too, on a made-up object per import:
//!   the blob `perf-history import <name>\n` (`git hash-object -w`), so
//!   that they travel with the same ref and merge the same way. An entry
//!   keeps its row number, as sorted lines do not keep the rows' order.
//!   The blob need not exist for its note to be found (a note names its
//!   object, it does not hold it; a clone has no copy of the blob): only
//!   `git notes prune`, which drops notes of missing objects, would lose
//!   imports, so it is not for this ref.
//! - **Reading** ([`history`](Store::history)) takes the commits of HEAD's
//!   first-parent line, oldest first, and reads the notes of those that
//!   have one with three git processes, whatever their number
//!   (`rev-list`, `notes list`, one `cat-file --batch` for the notes).
//!   Notes of other commits (side branches) are not part of it. No
//!   `refs/notes/perf` yet is an empty history, not an error.
//! - **Trouble** is one line naming what is at fault: not a git repository
//!   ([`Error::NotGitRepository`]), no git ([`Error::NoGit`]), a line of a
//!   note that is not an entry ([`Error::CorruptNote`]: the commit and the
//!   line within the note), a push that keeps being rejected. A corrupt
//!   note is never added to, pushed, or merged from a remote
//!   ([`Error::CorruptRemoteNote`]): every note is read first.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher as _, Hasher as _};
use std::ops::Range;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use perf_format::schema::env::short_commit;
use perf_format::schema::history::Entry;

use crate::Error;
use crate::run::git::{self, Repo};

/// The ref the history lives under.
pub const NOTES_REF: &str = "refs/notes/perf";
/// The remote [`Store::push`] and [`Store::pull`] use unless told another.
pub const DEFAULT_REMOTE: &str = "origin";
/// How many times [`Store::push`] pushes before it gives up.
pub const PUSH_ATTEMPTS: usize = 10;

/// Where the copies of the ref that changes are made on live.
const TEMP_REFS: &str = "refs/notes/perf-tmp";
/// How many times a local change is made again when another writer moved
/// the ref meanwhile.
const LOCAL_ATTEMPTS: usize = 20;
/// The first pause between pushes, doubled after each.
const BACKOFF_FIRST: Duration = Duration::from_millis(50);
/// The longest pause between pushes.
const BACKOFF_MOST: Duration = Duration::from_secs(1);
/// Who commits the notes when git knows no one.
const FALLBACK_NAME: &str = "cargo perf";
/// The e-mail address of [`FALLBACK_NAME`].
const FALLBACK_EMAIL: &str = "perf@localhost";

/// The history of one git repository (see the [module](self)).
#[derive(Debug)]
pub struct Store {
    repo: Repo,
    /// Whether git knows who commits (`git var GIT_COMMITTER_IDENT`),
    /// asked the first time a note is written.
    identity: OnceLock<bool>,
}

/// What [`Store::push`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pushed {
    /// There is no local history to push.
    Nothing,
    /// The remote holds the local history, merged with its own.
    Pushed {
        /// The pushes it took (1 unless other writers pushed meanwhile).
        attempts: usize,
    },
}

/// What [`Store::pull`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pulled {
    /// The remote has no history (`refs/notes/perf`).
    NoHistory,
    /// The remote's history is the local one.
    UpToDate,
    /// The remote's history was merged into the local one.
    Merged,
}

impl Store {
    /// The history of the git repository holding `dir`.
    pub fn open(dir: &Path) -> Result<Store, Error> {
        let repo = Repo::discover(
            dir,
            "`cargo perf history` keeps the history in the repository's git notes (refs/notes/perf)",
        )?;
        Ok(Store {
            repo,
            identity: OnceLock::new(),
        })
    }

    /// Adds `entry` to the history of the commit `revision` names, with its
    /// `commit` set to that commit's full id, which is returned. Adding an
    /// entry that is there already changes nothing.
    pub fn add(&self, revision: &str, entry: &Entry) -> Result<String, Error> {
        let commit = self.repo.commit(revision)?;
        let mut entry = entry.clone();
        entry.commit.clone_from(&commit);
        let object = format!("commit {}", short_commit(&commit));
        self.file(&commit, &object, &[entry], Filing::Add)?;
        Ok(commit)
    }

    /// Adds the imported series `name`: `entries` in the order of the
    /// file's rows, each given its row number (from 0) and `name` as its
    /// name. Importing the same rows again changes nothing; a longer file
    /// whose first rows are the same adds the rest.
    pub fn add_imported(&self, name: &str, entries: &[Entry]) -> Result<(), Error> {
        let object = self.import_object(name, true)?;
        let rows: Vec<Entry> = entries
            .iter()
            .enumerate()
            .map(|(row, entry)| {
                let mut entry = entry.clone();
                entry.row = Some(row as u64);
                entry.name = name.to_owned();
                entry
            })
            .collect();
        // A file imported again stands for the import as a whole (its
        // rows, its columns' direction): what was filed before goes.
        self.file(&object, &format!("import {name:?}"), &rows, Filing::Replace)
    }

    /// The history of HEAD's first-parent line: each commit that has
    /// entries, oldest first, with its entries (in the note's order, which
    /// is their lines' sorted order). Empty when there is no history yet.
    pub fn history(&self) -> Result<Vec<(String, Vec<Entry>)>, Error> {
        if self.resolve("HEAD^{commit}")?.is_none() {
            return Ok(Vec::new());
        }
        let notes = self.notes()?;
        if notes.is_empty() {
            return Ok(Vec::new());
        }
        let commits = self.run_text(&["rev-list", "--first-parent", "--reverse", "HEAD"])?;
        let noted: Vec<(&str, &str)> = commits
            .lines()
            .filter_map(|commit| Some((commit, notes.get(commit)?.as_str())))
            .collect();
        let blobs: Vec<&str> = noted.iter().map(|&(_, blob)| blob).collect();
        let (out, texts) = self.read_blobs(&blobs)?;
        let parse = |(&(commit, _), text): (&(&str, &str), &Range<usize>)| {
            let object = format!("commit {}", short_commit(commit));
            Ok((
                commit.to_owned(),
                parse_note(&object, commit, &out[text.clone()])?,
            ))
        };
        // Parsed on every core: 1 000 notes of 1 000 functions are 260 MB.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = noted.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let parts: Vec<_> = noted
                .chunks(chunk)
                .zip(texts.chunks(chunk))
                .map(|(noted, texts)| {
                    scope.spawn(move || noted.iter().zip(texts).map(parse).collect::<Vec<_>>())
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|part| part.join().expect("parsing a note does not panic"))
                .collect()
        })
    }

    /// The imported series `name`, in the order of its rows; empty when
    /// there is no such import.
    pub fn imported(&self, name: &str) -> Result<Vec<Entry>, Error> {
        let object = self.import_object(name, false)?;
        let note = self.output(&["notes", "--ref", NOTES_REF, "show", &object], None)?;
        match note.status.code() {
            Some(0) => {}
            Some(1) => return Ok(Vec::new()),
            _ => return Err(failed("git notes show", &note)),
        }
        let mut entries = parse_note(&format!("import {name:?}"), &object, &note.stdout)?;
        entries.sort_by_key(|entry| entry.row);
        Ok(entries)
    }

    /// Every imported series, by name, each in the order of its rows.
    pub fn imports(&self) -> Result<BTreeMap<String, Vec<Entry>>, Error> {
        let notes = self.notes()?;
        if notes.is_empty() {
            return Ok(BTreeMap::new());
        }
        // Imports annotate blobs, most of them missing here: skip the
        // commits, without reading their notes.
        let objects: Vec<&str> = notes.keys().map(String::as_str).collect();
        let mut input = objects.join("\n");
        input.push('\n');
        let kinds = self.run(
            &["cat-file", "--batch-check=%(objectname) %(objecttype)"],
            Some(input.as_bytes()),
        )?;
        let kinds = String::from_utf8_lossy(&kinds);
        let others: Vec<&str> = objects
            .iter()
            .zip(kinds.lines())
            .filter(|(_, kind)| !kind.ends_with(" commit"))
            .map(|(&object, _)| object)
            .collect();
        let blobs: Vec<&str> = others.iter().map(|o| notes[*o].as_str()).collect();
        let mut imports: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
        let (out, texts) = self.read_blobs(&blobs)?;
        for (object, text) in others.iter().zip(texts) {
            let entries = parse_note(&format!("object {object}"), object, &out[text])?;
            for entry in entries.into_iter().filter(|e| e.row.is_some()) {
                imports.entry(entry.name.clone()).or_default().push(entry);
            }
        }
        for rows in imports.values_mut() {
            rows.sort_by_key(|entry| entry.row);
        }
        Ok(imports)
    }

    /// Pushes the history to `remote`, merging what other writers pushed
    /// meanwhile (see the [module](self)).
    pub fn push(&self, remote: &str) -> Result<Pushed, Error> {
        check_remote("push", remote)?;
        if self.resolve(NOTES_REF)?.is_none() {
            return Ok(Pushed::Nothing);
        }
        // A corrupt note would break every clone that pulls it.
        self.validate(NOTES_REF)?;
        let refspec = format!("{NOTES_REF}:{NOTES_REF}");
        let args = ["push", "--porcelain", remote, refspec.as_str()];
        let mut problem = String::new();
        for attempt in 1..=PUSH_ATTEMPTS {
            if attempt > 1 {
                std::thread::sleep(backoff(attempt - 1));
                if let Incoming::Fetched(incoming) = self.fetch(remote)? {
                    self.validate_incoming(remote, incoming.name())?;
                    self.merge(incoming.name())?;
                }
            }
            let output = self.output(&args, None)?;
            if output.status.success() {
                return Ok(Pushed::Pushed { attempts: attempt });
            }
            problem = rejection(&output).ok_or_else(|| failed(&shown(&args), &output))?;
            tracing::info!("push {attempt} of the history to {remote} rejected: {problem}");
        }
        Err(Error::PushRejected {
            remote: remote.to_owned(),
            attempts: PUSH_ATTEMPTS,
            problem,
        })
    }

    /// Merges the history of `remote` into the local one.
    pub fn pull(&self, remote: &str) -> Result<Pulled, Error> {
        check_remote("fetch", remote)?;
        match self.fetch(remote)? {
            Incoming::None => Ok(Pulled::NoHistory),
            Incoming::Same => Ok(Pulled::UpToDate),
            Incoming::Fetched(incoming) => {
                self.validate_incoming(remote, incoming.name())?;
                self.merge(incoming.name())?;
                Ok(Pulled::Merged)
            }
        }
    }

    /// Adds `entries` to the note of `object` (shown as `shown` in errors),
    /// keeping its lines sorted and each once.
    fn file(
        &self,
        object: &str,
        shown: &str,
        entries: &[Entry],
        filing: Filing,
    ) -> Result<(), Error> {
        let mut lines = Vec::with_capacity(entries.len());
        for entry in entries {
            let line = entry.to_line();
            if let Err(problem) = Entry::from_line(&line) {
                return Err(Error::BadEntry {
                    object: shown.to_owned(),
                    problem: format!("entry {:?}: {problem}", entry.id),
                });
            }
            lines.push(line.into_bytes());
        }
        self.update(|notes| {
            let note = self.output(&["notes", "--ref", notes, "show", object], None)?;
            let mut all: Vec<Vec<u8>> = match note.status.code() {
                Some(0) if filing == Filing::Replace => Vec::new(),
                Some(0) => {
                    // Lines kept must be entries: a corrupt note is refused,
                    // not carried on.
                    parse_note(shown, object, &note.stdout)?;
                    note.stdout
                        .split(|&b| b == b'\n')
                        .filter(|line| !line.trim_ascii().is_empty())
                        .map(<[u8]>::to_vec)
                        .collect()
                }
                Some(1) => Vec::new(),
                _ => return Err(failed("git notes show", &note)),
            };
            let before = all.len();
            all.extend(lines.iter().cloned());
            all.sort();
            all.dedup();
            if filing == Filing::Add && all.len() == before {
                // Every entry is there already.
                return Ok(());
            }
            let mut text = all.join(&b'\n');
            text.push(b'\n');
            let args = [
                "notes", "--ref", notes, "add", "--force", "--file=-", object,
            ];
            self.commit_notes(&args, Some(&text))
        })
    }

    /// Merges the notes at `incoming` into the local ones with
    /// `cat_sort_uniq`.
    fn merge(&self, incoming: &str) -> Result<(), Error> {
        self.update(|notes| {
            let args = [
                "notes",
                "--ref",
                notes,
                "merge",
                "--quiet",
                "--strategy=cat_sort_uniq",
                incoming,
            ];
            self.commit_notes(&args, None)
        })
    }

    /// Makes `change` on a copy of the notes ref (its name given to
    /// `change`), then moves the ref to the result unless another writer
    /// moved it meanwhile; then it starts over.
    fn update(&self, change: impl Fn(&str) -> Result<(), Error>) -> Result<(), Error> {
        for _ in 0..LOCAL_ATTEMPTS {
            let old = self.resolve(NOTES_REF)?;
            let copy = TempRef::new(self, "update");
            if let Some(old) = &old {
                self.run(&["update-ref", copy.name(), old], None)?;
            }
            change(copy.name())?;
            let new = self.resolve(copy.name())?;
            let Some(new) = new.filter(|new| old.as_ref() != Some(new)) else {
                return Ok(());
            };
            let expected = old.as_deref().unwrap_or("");
            let args = [
                "update-ref",
                "-m",
                "cargo perf history",
                NOTES_REF,
                &new,
                expected,
            ];
            let moved = self.output(&args, None)?;
            if moved.status.success() {
                return Ok(());
            }
            if self.resolve(NOTES_REF)? == old {
                return Err(failed(&shown(&args), &moved));
            }
            tracing::debug!("{NOTES_REF} moved while it was changed here: again");
        }
        Err(Error::Git {
            command: format!("git update-ref {NOTES_REF}"),
            problem: format!(
                "other writers kept moving the ref: {LOCAL_ATTEMPTS} changes made here were overtaken"
            ),
        })
    }

    /// The remote's history, fetched into a ref of its own when it differs
    /// from the local one.
    fn fetch(&self, remote: &str) -> Result<Incoming<'_>, Error> {
        let args = ["ls-remote", "--exit-code", remote, NOTES_REF];
        let listed = self.output(&args, None)?;
        match listed.status.code() {
            Some(0) => {}
            // `--exit-code`: no such ref there.
            Some(2) => return Ok(Incoming::None),
            _ => return Err(failed(&shown(&args), &listed)),
        }
        let listed = String::from_utf8_lossy(&listed.stdout);
        let theirs = listed
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .find(|&(_, name)| name == NOTES_REF)
            .map(|(id, _)| id.to_owned());
        if theirs.is_none() {
            return Ok(Incoming::None);
        }
        if theirs == self.resolve(NOTES_REF)? {
            return Ok(Incoming::Same);
        }
        let incoming = TempRef::new(self, "incoming");
        let refspec = format!("+{NOTES_REF}:{}", incoming.name());
        self.run(&["fetch", "--quiet", "--no-tags", remote, &refspec], None)?;
        Ok(Incoming::Fetched(incoming))
    }

    /// Reads every note at the notes ref `notes`: the first line that is
    /// not an entry is its [`Error::CorruptNote`].
    fn validate(&self, notes: &str) -> Result<(), Error> {
        let listed = self.run_text(&["notes", "--ref", notes, "list"])?;
        let noted: Vec<(&str, &str)> = listed
            .lines()
            .filter_map(|line| line.split_once(' '))
            .collect();
        let blobs: Vec<&str> = noted.iter().map(|&(blob, _)| blob).collect();
        let (out, texts) = self.read_blobs(&blobs)?;
        for (&(_, object), text) in noted.iter().zip(&texts) {
            let shown = format!("object {}", short_commit(object));
            parse_note(&shown, object, &out[text.clone()])?;
        }
        Ok(())
    }

    /// [`validate`](Self::validate) of the history fetched from `remote`
    /// into `incoming`, before anything of it is merged.
    fn validate_incoming(&self, remote: &str, incoming: &str) -> Result<(), Error> {
        self.validate(incoming).map_err(|e| match e {
            Error::CorruptNote {
                object,
                line,
                problem,
                ..
            } => Error::CorruptRemoteNote {
                remote: remote.to_owned(),
                object,
                line,
                problem,
            },
            other => other,
        })
    }

    /// The made-up object the notes of import `name` annotate, written
    /// into the repository when `write`.
    fn import_object(&self, name: &str, write: bool) -> Result<String, Error> {
        let text = format!("perf-history import {name}\n");
        let args: &[&str] = if write {
            &["hash-object", "-w", "--stdin"]
        } else {
            &["hash-object", "--stdin"]
        };
        let id = self.run(args, Some(text.as_bytes()))?;
        Ok(String::from_utf8_lossy(&id).trim().to_owned())
    }

    /// Each annotated object with its note's blob.
    fn notes(&self) -> Result<HashMap<String, String>, Error> {
        let listed = self.run_text(&["notes", "--ref", NOTES_REF, "list"])?;
        Ok(listed
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(blob, object)| (object.to_owned(), blob.to_owned()))
            .collect())
    }

    /// The contents of `blobs`, read by one `git cat-file --batch`: its
    /// output, and where each blob's content is in it, in order.
    fn read_blobs(&self, blobs: &[&str]) -> Result<(Vec<u8>, Vec<Range<usize>>), Error> {
        if blobs.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut input = blobs.join("\n");
        input.push('\n');
        let out = self.run(&["cat-file", "--batch"], Some(input.as_bytes()))?;
        let mut at = 0;
        let mut contents = Vec::with_capacity(blobs.len());
        for blob in blobs {
            let unexpected = |what: &str| Error::Git {
                command: "git cat-file --batch".to_owned(),
                problem: format!("unexpected output for note {blob}: {what}"),
            };
            let end = out[at..]
                .iter()
                .position(|&b| b == b'\n')
                .ok_or_else(|| unexpected("it ended early"))?;
            let header = String::from_utf8_lossy(&out[at..at + end]).into_owned();
            at += end + 1;
            let size = match header.split(' ').collect::<Vec<_>>()[..] {
                [_, "blob", size] => size.parse::<usize>().ok(),
                _ => None,
            }
            .ok_or_else(|| unexpected(&header))?;
            if out.len() <= at + size {
                return Err(unexpected("it ended early"));
            }
            contents.push(at..at + size);
            at += size + 1;
        }
        Ok((out, contents))
    }

    /// The id `revision` names, if it names one (`git rev-parse --verify`).
    fn resolve(&self, revision: &str) -> Result<Option<String>, Error> {
        let output = self.output(&["rev-parse", "--verify", "--quiet", revision], None)?;
        let id = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        Ok((output.status.success() && !id.is_empty()).then_some(id))
    }

    /// `git ARGS` in the repository, fed `input`; its stdout, or the error
    /// when it fails.
    fn run(&self, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, Error> {
        let output = self.output(args, input)?;
        if !output.status.success() {
            return Err(failed(&shown(args), &output));
        }
        Ok(output.stdout)
    }

    /// [`run`](Self::run)'s stdout as text.
    fn run_text(&self, args: &[&str]) -> Result<String, Error> {
        Ok(String::from_utf8_lossy(&self.run(args, None)?).into_owned())
    }

    /// `git ARGS` in the repository, fed `input`, however it ends.
    fn output(&self, args: &[&str], input: Option<&[u8]>) -> Result<Output, Error> {
        git::output(&mut self.command(args), &shown(args), input)
    }

    /// [`run`](Self::run) for a command that commits notes (`git notes
    /// add`, `git notes merge`): with an identity to commit as when git has
    /// none.
    fn commit_notes(&self, args: &[&str], input: Option<&[u8]>) -> Result<(), Error> {
        let mut command = self.command(args);
        if !self.has_identity()? {
            command
                .env("GIT_AUTHOR_NAME", FALLBACK_NAME)
                .env("GIT_AUTHOR_EMAIL", FALLBACK_EMAIL)
                .env("GIT_COMMITTER_NAME", FALLBACK_NAME)
                .env("GIT_COMMITTER_EMAIL", FALLBACK_EMAIL);
        }
        let output = git::output(&mut command, &shown(args), input)?;
        if !output.status.success() {
            return Err(failed(&shown(args), &output));
        }
        Ok(())
    }

    /// Whether git knows who commits, asked once.
    fn has_identity(&self) -> Result<bool, Error> {
        if let Some(&known) = self.identity.get() {
            return Ok(known);
        }
        let args = ["var", "GIT_COMMITTER_IDENT"];
        let known = git::output(&mut self.command(&args), &shown(&args), None)?
            .status
            .success();
        Ok(*self.identity.get_or_init(|| known))
    }

    /// `git ARGS` in the repository.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = git::git(self.repo.top());
        command.args(args);
        command
    }
}

/// The remote's history as [`Store::fetch`] found it.
enum Incoming<'a> {
    /// The remote has none.
    None,
    /// The same as the local one.
    Same,
    /// Another, fetched into this ref.
    Fetched(TempRef<'a>),
}

/// A ref under [`TEMP_REFS`] of this process, deleted when dropped (one
/// left by a process that was killed is harmless: nothing reads or pushes
/// it).
struct TempRef<'a> {
    store: &'a Store,
    name: String,
}

impl<'a> TempRef<'a> {
    /// A fresh name for `what`.
    fn new(store: &'a Store, what: &str) -> TempRef<'a> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let name = format!("{TEMP_REFS}/{}-{n}-{what}", std::process::id());
        TempRef { store, name }
    }

    fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TempRef<'_> {
    fn drop(&mut self) {
        let _ = self
            .store
            .output(&["update-ref", "-d", &self.name], None)
            .inspect_err(|e| tracing::debug!("{} stays: {e}", self.name));
    }
}

/// The entries of the note of `id` (shown as `object`), skipping blank
/// lines; a line that is not an entry is [`Error::CorruptNote`].
fn parse_note(object: &str, id: &str, text: &[u8]) -> Result<Vec<Entry>, Error> {
    let corrupt = |line: usize, problem: String| Error::CorruptNote {
        object: object.to_owned(),
        id: id.to_owned(),
        line,
        problem,
    };
    let mut entries = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.trim_ascii().is_empty() {
            continue;
        }
        let line = std::str::from_utf8(line)
            .map_err(|_| corrupt(i + 1, "the line is not UTF-8 text".to_owned()))?;
        let entry = Entry::from_line(line).map_err(|e| corrupt(i + 1, e.to_string()))?;
        // A commit's entry names a commit (an import's row may name anything).
        if entry.row.is_none() && !is_commit_id(&entry.commit) {
            return Err(corrupt(
                i + 1,
                format!("its commit {:?} is not a commit id", entry.commit),
            ));
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// Whether `text` can be a commit id: empty (a record made outside git),
/// or 4 to 64 hexadecimal digits, with `-dirty` after them for a changed
/// working tree.
fn is_commit_id(text: &str) -> bool {
    let id = text.strip_suffix("-dirty").unwrap_or(text);
    text.is_empty() || ((4..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// What the remote said when it refused the ref, if it did (`git push
/// --porcelain` marks a refused ref `!`), with its own words.
fn rejection(output: &Output) -> Option<String> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout.lines().find_map(|line| {
        let mut fields = line.split('\t');
        let (flag, refs, summary) = (fields.next()?, fields.next()?, fields.next()?);
        (flag == "!" && refs.ends_with(&format!(":{NOTES_REF}"))).then(|| summary.to_owned())
    })?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said: Vec<&str> = stderr
        .lines()
        .filter_map(|line| line.strip_prefix("remote:"))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    Some(if said.is_empty() {
        summary
    } else {
        format!("{summary}, saying: {}", said.join("; "))
    })
}

/// The pause before push `attempt + 1`: between half and all of 50 ms ×
/// 2^(attempt − 1), at most 1 s, at random so that writers rejected together
/// do not come back together.
fn backoff(attempt: usize) -> Duration {
    let shift = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    let ceiling = BACKOFF_FIRST.saturating_mul(1 << shift).min(BACKOFF_MOST);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_usize(attempt);
    let fraction = (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64;
    ceiling.mul_f64(0.5 + fraction / 2.0)
}

/// Refuses a remote name git would take for an option (`what`: `push`,
/// `fetch`).
fn check_remote(what: &str, remote: &str) -> Result<(), Error> {
    if remote.is_empty() || remote.starts_with('-') {
        return Err(Error::Git {
            command: format!("git {what} {remote}"),
            problem: format!("{remote:?} cannot name a remote"),
        });
    }
    Ok(())
}

/// A git command line as shown in errors.
fn shown(args: &[&str]) -> String {
    format!("git {}", args.join(" "))
}

/// The error of a git command that failed, with git's words.
fn failed(command: &str, output: &Output) -> Error {
    git::failed(command, &String::from_utf8_lossy(&output.stderr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_to_a_second_at_random() {
        for attempt in 1..=12 {
            let ceiling = BACKOFF_FIRST
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(BACKOFF_MOST);
            let pause = backoff(attempt);
            assert!(
                pause >= ceiling / 2 && pause <= ceiling,
                "{attempt}: {pause:?}"
            );
        }
        let pauses: std::collections::HashSet<Duration> = (0..20).map(|_| backoff(3)).collect();
        assert!(pauses.len() > 10, "{pauses:?}");
    }

    #[test]
    fn a_rejected_ref_is_told_with_the_remotes_words() {
        use std::os::unix::process::ExitStatusExt as _;
        let output = |stdout: &str, stderr: &str| Output {
            status: std::process::ExitStatus::from_raw(256),
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
        };
        let hook = output(
            "To /r.git\n!\trefs/notes/perf:refs/notes/perf\t[remote rejected] (pre-receive hook declined)\nDone\n",
            "remote: no notes today        \nerror: failed to push some refs to '/r.git'\n",
        );
        assert_eq!(
            rejection(&hook).unwrap(),
            "[remote rejected] (pre-receive hook declined), saying: no notes today"
        );
        let behind = output(
            "To /r.git\n!\trefs/notes/perf:refs/notes/perf\t[rejected] (fetch first)\nDone\n",
            "hint: Updates were rejected\n",
        );
        assert_eq!(rejection(&behind).unwrap(), "[rejected] (fetch first)");
        let unreachable = output(
            "",
            "fatal: 'nowhere' does not appear to be a git repository\n",
        );
        assert_eq!(rejection(&unreachable), None);
    }

    #[test]
    fn a_corrupt_line_is_named_by_its_number() {
        let good = Entry::new("r", "app", "c0ffee", "t").to_line();
        let text = format!("{good}\n\n{{\"schema\":\"perf-history/1\"\n");
        let err = parse_note("commit c0ffee", "c0ffee", text.as_bytes()).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(
                "the perf history note of commit c0ffee is corrupt at line 3: not JSON"
            ),
            "{message}"
        );
        assert!(message.ends_with(
            "(`git notes --ref perf edit c0ffee` repairs it, `git notes --ref perf remove c0ffee` drops it)"
        ));
        // An entry naming something that is no commit id is corrupt too.
        let odd = Entry::new("r", "app", "a\u{1b}[31mred", "t").to_line();
        let err = parse_note("commit c0ffee", "c0ffee", odd.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("is not a commit id"), "{err}");
        let entries = parse_note("commit c0ffee", "c0ffee", format!("{good}\n").as_bytes());
        assert_eq!(entries.unwrap().len(), 1);
    }
}

/// How [`Store::file`] treats the lines a note holds already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Filing {
    /// Keeps them: the new lines join (a commit measured again).
    Add,
    /// Drops them: the new lines are the note (an import filed again).
    Replace,
}
