//! Writing files whole or not at all, and reading perf's JSON files with
//! their schema checked before anything else, so that every error names the
//! file and what is wrong with it.
//!
//! Unfinished work (a [`StagedDir`], the temporary file of [`write_atomic`])
//! has a hidden name starting with [`STAGING_PREFIX`] or [`TEMP_PREFIX`] and
//! is locked by its writer while the writer lives ([`WorkLock`]); the kernel
//! drops the lock when the writer exits, however it exits. [`sweep`] removes
//! the work of writers that are gone, never a live writer's.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;

/// A JSON file of perf's: its schema tags and what serde cannot check.
pub trait Document: DeserializeOwned {
    /// The `"schema"` values a file of this type may carry.
    const SCHEMAS: &'static [&'static str];

    /// Checks the content once parsed (counts, finite values), naming `path`.
    fn validate(&self, path: &Path) -> Result<(), Error> {
        let _ = path;
        Ok(())
    }
}

/// Reads a [`Document`]: the schema first (refusing others), then the
/// content, then [`Document::validate`].
pub fn load<T: Document>(path: &Path) -> Result<T, Error> {
    let tagged = Tagged::read(path)?;
    match tagged.schema.as_deref() {
        Some(schema) if T::SCHEMAS.contains(&schema) => tagged.parse(),
        _ => Err(tagged.wrong_schema(T::SCHEMAS)),
    }
}

/// A JSON file read whole, with the schema it declares: for a reader that
/// takes more than one kind of file and picks by schema.
#[derive(Clone, Debug)]
pub struct Tagged<'a> {
    path: &'a Path,
    text: String,
    /// The file's `"schema"`, if it has one.
    pub schema: Option<String>,
}

impl<'a> Tagged<'a> {
    /// Reads `path` and its `"schema"`; an empty file, a directory or text
    /// that is not JSON is refused.
    pub fn read(path: &'a Path) -> Result<Tagged<'a>, Error> {
        #[derive(serde::Deserialize)]
        struct SchemaOnly {
            schema: Option<serde_json::Value>,
        }
        let text = read_text(path)?;
        let tag: SchemaOnly = serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.to_owned(),
            source,
        })?;
        let schema = tag.schema.map(|value| match value {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        });
        Ok(Tagged { path, text, schema })
    }

    /// The content as a `T`, validated.
    pub fn parse<T: Document>(&self) -> Result<T, Error> {
        let value: T = serde_json::from_str(&self.text).map_err(|source| Error::Shape {
            path: self.path.to_owned(),
            schema: self.schema.clone().unwrap_or_default(),
            source,
        })?;
        value.validate(self.path)?;
        Ok(value)
    }

    /// The error for a file whose schema is none of `expected`.
    pub fn wrong_schema(&self, expected: &[&str]) -> Error {
        let expected = match expected {
            [one] => format!("{one:?}"),
            many => {
                let quoted: Vec<String> = many.iter().map(|s| format!("{s:?}")).collect();
                format!("one of {}", quoted.join(", "))
            }
        };
        Error::Schema {
            path: self.path.to_owned(),
            found: self.schema.clone().unwrap_or_else(|| "(none)".to_owned()),
            expected,
        }
    }
}

/// The largest file [`read_text`] reads: a record of 10 000 functions is
/// tens of megabytes.
pub const MAX_TEXT_BYTES: u64 = 1 << 30;

/// Reads a whole text file, naming it in every error; a file holding only
/// whitespace is refused as empty, and one that is not a regular file (a
/// directory, a device such as `/dev/zero`, a pipe) or is larger than
/// [`MAX_TEXT_BYTES`] is refused before it is read.
pub fn read_text(path: &Path) -> Result<String, Error> {
    use std::io::Read as _;
    let metadata = std::fs::metadata(path).map_err(|e| Error::read(path, e))?;
    if metadata.is_dir() {
        return Err(Error::read(
            path,
            io::Error::from(io::ErrorKind::IsADirectory),
        ));
    }
    if !metadata.is_file() {
        return Err(Error::read(
            path,
            io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let mut text = String::new();
    file.take(MAX_TEXT_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| Error::read(path, e))?;
    if text.len() as u64 > MAX_TEXT_BYTES {
        return Err(Error::read(
            path,
            io::Error::new(io::ErrorKind::FileTooLarge, "larger than 1 GiB"),
        ));
    }
    if text.trim().is_empty() {
        return Err(Error::EmptyFile {
            path: path.to_owned(),
        });
    }
    Ok(text)
}

/// Replaces `path` whole with what `fill` writes: a temporary file beside it
/// is written through a buffer, synced to disk and renamed over it, so a
/// reader sees the old file or the new one, never a part, and a failure
/// leaves the old file as it was. Of two writers, the last one wins.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| Error::write(path, e))?;
    WorkLock::hold(temp.as_file()).map_err(|e| Error::write(path, e))?;
    {
        let mut writer = BufWriter::new(temp.as_file());
        fill(&mut writer)
            .and_then(|()| writer.flush())
            .map_err(|e| Error::write(path, e))?;
    }
    // Temporary files are private; the files perf keeps are ordinary ones.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::write(path, e))?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::write(path, e))?;
    temp.persist(path)
        .map_err(|e| Error::write(path, e.error))?;
    Ok(())
}

/// Replaces `path` whole with `value` as pretty JSON and a final newline
/// (see [`write_atomic`]).
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), Error> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value)?;
        w.write_all(b"\n")
    })
}

/// Moves `from` to `to` in one step (a rename on one file system), naming
/// `to` if that fails.
pub fn rename(from: &Path, to: &Path) -> Result<(), Error> {
    std::fs::rename(from, to).map_err(|e| Error::write(to, e))
}

/// A directory assembled in a hidden `.staging-*` directory beside its
/// final place and moved there whole by [`publish`](Self::publish): readers
/// see all of it or nothing. Dropped unpublished, it is removed; left behind
/// by a writer that was killed, it is [swept](sweep) by the next one.
#[derive(Debug)]
pub struct StagedDir {
    dir: tempfile::TempDir,
    _lock: WorkLock,
}

impl StagedDir {
    /// A new staging directory in `parent` (which must exist), locked for
    /// as long as it lives.
    pub fn new_in(parent: &Path) -> Result<StagedDir, Error> {
        let dir = tempfile::Builder::new()
            .prefix(STAGING_PREFIX)
            .tempdir_in(parent)
            .map_err(|e| Error::output_dir(parent, e))?;
        let lock = WorkLock::on(dir.path()).map_err(|e| Error::output_dir(dir.path(), e))?;
        Ok(StagedDir { dir, _lock: lock })
    }

    /// Where to put the files.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Moves the directory onto `claim`'s empty directory in one rename
    /// (which replaces an empty directory whole); on failure the staged
    /// files and the claim are removed.
    pub fn publish(self, claim: Claim) -> Result<(), Error> {
        let staged = self.dir.keep();
        std::fs::rename(&staged, &claim.path).map_err(|e| {
            let _ = std::fs::remove_dir_all(&staged);
            Error::output_dir(&claim.path, e)
        })?;
        claim.keep();
        Ok(())
    }
}

/// A name taken in a directory by creating it, empty, in one step that
/// fails if it exists: no two writers hold the same claim. Dropped before
/// it is filled ([`StagedDir::publish`], [`keep`](Self::keep)), the empty
/// directory is removed again.
#[derive(Debug)]
pub struct Claim {
    path: std::path::PathBuf,
    name: String,
    kept: bool,
}

impl Claim {
    /// Claims `dir/<name>` if nothing has that name; `None` if something has.
    pub fn try_new(dir: &Path, name: &str) -> Result<Option<Claim>, Error> {
        let path = dir.join(name);
        match std::fs::create_dir(&path) {
            Ok(()) => Ok(Some(Claim {
                path,
                name: name.to_owned(),
                kept: false,
            })),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(Error::output_dir(&path, e)),
        }
    }

    /// The claimed directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its name in its directory.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Keeps the directory: it is filled.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.kept {
            // Only an empty directory is removed: never what another wrote.
            let _ = std::fs::remove_dir(&self.path);
        }
    }
}

/// The name prefix of a staged directory.
pub const STAGING_PREFIX: &str = ".staging-";
/// The name prefix of a temporary file being written.
pub const TEMP_PREFIX: &str = ".tmp-";
/// Work younger than this is never swept, lock or not: it covers the moment
/// between making a directory or file and locking it.
pub const SWEEP_GRACE: Duration = Duration::from_secs(10);
/// A claimed directory still empty after this long was left by a writer
/// killed between claiming and publishing (a moment), and is swept.
pub const CLAIM_GRACE: Duration = Duration::from_secs(3600);

/// An exclusive advisory lock (`flock`) on unfinished work, held through an
/// open handle for as long as the writer lives.
#[derive(Debug)]
pub struct WorkLock {
    _file: File,
}

impl WorkLock {
    /// Locks the file or directory at `path`.
    pub fn on(path: &Path) -> io::Result<WorkLock> {
        let file = File::open(path)?;
        WorkLock::hold(&file)?;
        Ok(WorkLock { _file: file })
    }

    /// Locks through `file`, which holds the lock until it is closed.
    /// Unsupported platforms lock nothing (and [`sweep`] removes nothing).
    pub fn hold(file: &File) -> io::Result<()> {
        match try_lock(file)? {
            true => Ok(()),
            false => Err(io::Error::from(io::ErrorKind::WouldBlock)),
        }
    }
}

/// Takes an exclusive lock without waiting: `Ok(false)` when another holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> io::Result<bool> {
    use std::os::fd::AsRawFd as _;
    // SAFETY: `flock` only reads the descriptor, which `file` keeps open for
    // the call.
    let status = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if status == 0 {
        return Ok(true);
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::EWOULDBLOCK) => Ok(false),
        _ => Err(error),
    }
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> io::Result<bool> {
    Ok(true)
}

/// Removes, from `dir`, the unfinished work of writers that are gone: staged
/// directories and temporary files older than [`SWEEP_GRACE`] whose lock
/// can be taken, and claimed directories left empty for [`CLAIM_GRACE`].
/// A live writer's work is never touched. Returns how many entries went;
/// what cannot be read or removed is left alone. Where there are no locks
/// (not Unix), nothing is swept.
pub fn sweep(dir: &Path) -> usize {
    if cfg!(not(unix)) {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let age = |meta: &std::fs::Metadata| {
        meta.modified()
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .unwrap_or_default()
    };
    let mut swept = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let is_work = (meta.is_dir() && name.starts_with(STAGING_PREFIX))
            || (meta.is_file() && name.starts_with(TEMP_PREFIX));
        if is_work && age(&meta) >= SWEEP_GRACE {
            // The lock is held while removing, so no writer can take it over.
            let Ok(_lock) = WorkLock::on(&path) else {
                continue;
            };
            let removed = if meta.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            swept += usize::from(removed.is_ok());
        } else if meta.is_dir() && !name.starts_with('.') && age(&meta) >= CLAIM_GRACE {
            // Fails, as it should, unless the directory is empty.
            swept += usize::from(std::fs::remove_dir(&path).is_ok());
        }
    }
    swept
}

/// Creates `dir` and its parents, naming it if that fails.
pub fn create_dir_all(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::output_dir(dir, e))
}

/// Creates `dir` (and its parents) and checks that files can be made in it.
pub fn ensure_writable_dir(dir: &Path) -> Result<(), Error> {
    create_dir_all(dir)?;
    tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::output_dir(dir, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Doc {
        n: u32,
    }

    impl Document for Doc {
        const SCHEMAS: &'static [&'static str] = &["doc/1"];

        fn validate(&self, path: &Path) -> Result<(), Error> {
            if self.n == 0 {
                return Err(Error::invalid(path, "n is zero"));
            }
            Ok(())
        }
    }

    fn file(dir: &Path, text: &str) -> std::path::PathBuf {
        let path = dir.join("x.json");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    #[cfg(unix)]
    fn a_device_or_a_directory_is_refused_before_it_is_read() {
        let err = read_text(Path::new("/dev/zero")).unwrap_err().to_string();
        assert_eq!(err, "cannot read /dev/zero: not a regular file");
        let dir = tempfile::tempdir().unwrap();
        let err = read_text(dir.path()).unwrap_err().to_string();
        assert!(err.starts_with("cannot read "), "{err}");
    }

    #[test]
    fn an_atomic_write_replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_json(&path, &serde_json::json!({"schema": "x", "n": 1})).unwrap();
        write_json(&path, &serde_json::json!({"schema": "x", "n": 2})).unwrap();
        let text = read_text(&path).unwrap();
        assert!(text.contains("\"n\": 2") && text.ends_with("}\n"));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path(), "old");
        let err = write_atomic(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk gone"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("x.json: disk gone"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Sets `path`'s modification time `ago` in the past.
    fn age(path: &Path, ago: Duration) {
        File::open(path)
            .unwrap()
            .set_modified(SystemTime::now() - ago)
            .unwrap();
    }

    #[test]
    fn a_staged_directory_is_published_onto_its_claim_whole() {
        let dir = tempfile::tempdir().unwrap();
        let staged = StagedDir::new_in(dir.path()).unwrap();
        std::fs::write(staged.path().join("run.json"), "{}").unwrap();
        let claim = Claim::try_new(dir.path(), "run-1").unwrap().unwrap();
        assert!(Claim::try_new(dir.path(), "run-1").unwrap().is_none());
        staged.publish(claim).unwrap();
        assert!(dir.path().join("run-1/run.json").is_file());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "the staging directory is gone");
    }

    #[test]
    fn sweeping_removes_abandoned_work_and_never_a_live_writers() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let old = SWEEP_GRACE * 2;
        // A writer that died: old, unlocked.
        let dead = root.join(".staging-dead");
        std::fs::create_dir_all(dead.join("runs")).unwrap();
        std::fs::write(dead.join("runs/x"), "x").unwrap();
        age(&dead, old);
        let dead_temp = root.join(".tmp-dead");
        std::fs::write(&dead_temp, "half").unwrap();
        age(&dead_temp, old);
        // A live writer, however old its directory looks.
        let live = StagedDir::new_in(root).unwrap();
        age(live.path(), old);
        // Just made, not yet locked.
        let young = root.join(".staging-young");
        std::fs::create_dir(&young).unwrap();
        // Claims: an abandoned empty one, a young one, and a published run.
        let abandoned = root.join("20270101T000000-x");
        std::fs::create_dir(&abandoned).unwrap();
        age(&abandoned, CLAIM_GRACE * 2);
        let claimed = Claim::try_new(root, "20270101T000000-y").unwrap().unwrap();
        let published = root.join("20270101T000000-z");
        std::fs::create_dir(&published).unwrap();
        std::fs::write(published.join("run.json"), "{}").unwrap();
        age(&published, CLAIM_GRACE * 2);

        assert_eq!(sweep(root), 3);
        assert!(!dead.exists() && !dead_temp.exists() && !abandoned.exists());
        assert!(live.path().is_dir() && young.is_dir());
        assert!(claimed.path().is_dir() && published.join("run.json").is_file());
        drop(live);
        assert_eq!(sweep(root), 0, "a dropped staging directory removes itself");
    }

    #[test]
    fn documents_are_read_schema_first_and_validated() {
        let dir = tempfile::tempdir().unwrap();
        let read = |text: &str| load::<Doc>(&file(dir.path(), text)).map(|d| d.n);
        assert_eq!(read(r#"{"schema": "doc/1", "n": 3}"#).unwrap(), 3);
        let err = |text: &str| read(text).unwrap_err().to_string();
        assert!(err("  \n").contains("x.json is empty"));
        assert!(err(r#"{"schema": "doc"#).contains("x.json is not valid JSON"));
        assert!(
            err(r#"{"schema": "doc/2", "n": 1}"#)
                .ends_with("x.json has schema \"doc/2\", but this version of perf reads \"doc/1\"")
        );
        assert!(err(r#"{"n": 1}"#).contains("has schema \"(none)\""));
        assert!(
            err(r#"{"schema": "doc/1", "n": "x"}"#).contains("does not match schema \"doc/1\"")
        );
        assert!(err(r#"{"schema": "doc/1", "n": 0}"#).ends_with("x.json: n is zero"));
        let dir_err = load::<Doc>(dir.path()).unwrap_err().to_string();
        assert!(dir_err.contains("it is a directory"), "{dir_err}");
    }
}
