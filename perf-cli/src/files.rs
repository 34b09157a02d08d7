//! Reading perf's JSON files with their schema checked first, and writing
//! files whole or not at all.

use std::io::{self, Write as _};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;

/// Reads a whole text file, naming it in every error.
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

/// The `"schema"` a JSON file declares, if it is JSON at all.
pub fn schema_of(path: &Path, text: &str) -> Result<Option<String>, Error> {
    #[derive(serde::Deserialize)]
    struct SchemaOnly {
        schema: Option<serde_json::Value>,
    }
    let tag: SchemaOnly = serde_json::from_str(text).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })?;
    Ok(tag.schema.map(|value| match value {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }))
}

/// Parses `text` (read from `path`) as a `T` of a known schema.
pub fn parse_as<T: DeserializeOwned>(path: &Path, text: &str, schema: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|source| Error::Shape {
        path: path.to_owned(),
        schema: schema.to_owned(),
        source,
    })
}

/// The error for a file whose schema is none of `expected`.
pub fn wrong_schema(path: &Path, found: Option<String>, expected: &[&str]) -> Error {
    let expected = match expected {
        [one] => format!("{one:?}"),
        many => {
            let quoted: Vec<String> = many.iter().map(|s| format!("{s:?}")).collect();
            format!("one of {}", quoted.join(", "))
        }
    };
    Error::Schema {
        path: path.to_owned(),
        found: found.unwrap_or_else(|| "(none)".to_owned()),
        expected,
    }
}

/// Replaces `path` whole with `value` as pretty JSON: a temporary file beside
/// it is written, flushed to disk and renamed over it, so a reader sees the
/// old file or the new one, never a part. Of two writers, the last one wins.
pub fn write_json_atomic(path: &Path, value: &impl Serialize) -> Result<(), Error> {
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| Error::write(path, e.into()))?;
    text.push(b'\n');
    write_atomic(path, &text)
}

/// Replaces `path` whole with `bytes` (see [`write_json_atomic`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::write(path, e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.flush())
        .map_err(|e| Error::write(path, e))?;
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

/// Creates `dir` and its parents, naming it if that fails.
pub fn create_dir_all(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_write_replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_json_atomic(&path, &serde_json::json!({"schema": "x", "n": 1})).unwrap();
        write_json_atomic(&path, &serde_json::json!({"schema": "x", "n": 2})).unwrap();
        let text = read_text(&path).unwrap();
        assert!(text.contains("\"n\": 2") && text.ends_with("}\n"));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn empty_files_and_directories_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.json");
        std::fs::write(&empty, "  \n").unwrap();
        assert!(matches!(read_text(&empty), Err(Error::EmptyFile { .. })));
        let err = read_text(dir.path()).unwrap_err().to_string();
        assert!(err.contains("it is a directory"), "{err}");
    }

    #[test]
    fn schemas_are_read_before_the_rest() {
        let path = Path::new("x.json");
        assert_eq!(
            schema_of(path, r#"{"schema":"perf-record/1","x":[1]}"#).unwrap(),
            Some("perf-record/1".to_owned())
        );
        assert_eq!(schema_of(path, r#"{"x":1}"#).unwrap(), None);
        assert!(matches!(
            schema_of(path, r#"{"schema":"perf-rec"#),
            Err(Error::Json { .. })
        ));
        let err = wrong_schema(path, Some("perf-record/9".into()), &["perf-record/1"]);
        assert_eq!(
            err.to_string(),
            "x.json has schema \"perf-record/9\", but this cargo perf reads \"perf-record/1\""
        );
    }
}
