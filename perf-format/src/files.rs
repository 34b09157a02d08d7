//! Writing files whole or not at all, and reading perf's JSON files with
//! their schema checked before anything else, so that every error names the
//! file and what is wrong with it.

use std::io::{self, BufWriter, Write};
use std::path::Path;

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

/// Reads a whole text file, naming it in every error; a file holding only
/// whitespace is refused as empty.
pub fn read_text(path: &Path) -> Result<String, Error> {
    if path.is_dir() {
        return Err(Error::read(
            path,
            io::Error::from(io::ErrorKind::IsADirectory),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
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
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::write(path, e))?;
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
/// see all of it or nothing. Dropped unpublished, it is removed.
#[derive(Debug)]
pub struct StagedDir {
    dir: tempfile::TempDir,
}

impl StagedDir {
    /// A new staging directory in `parent` (which must exist).
    pub fn new_in(parent: &Path) -> Result<StagedDir, Error> {
        let dir = tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(parent)
            .map_err(|e| Error::output_dir(parent, e))?;
        Ok(StagedDir { dir })
    }

    /// Where to put the files.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Moves the directory to `to` in one rename; on failure it is removed.
    pub fn publish(self, to: &Path) -> Result<(), Error> {
        let staged = self.dir.keep();
        std::fs::rename(&staged, to).map_err(|e| {
            let _ = std::fs::remove_dir_all(&staged);
            Error::output_dir(to, e)
        })
    }
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
