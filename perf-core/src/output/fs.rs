//! Where output goes, and writes that never leave a truncated file behind.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::Error;

/// The output root: `$PERF_DIR`, else `$CARGO_TARGET_DIR/perf`, else `./target/perf`.
pub(crate) fn output_root() -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os("PERF_DIR") {
        if dir.is_empty() {
            return Err(Error::EmptyPerfDir);
        }
        let path = PathBuf::from(dir);
        // An explicit directory must exist: a typo should not scatter runs.
        if !path.exists() {
            return Err(Error::MissingPerfDir { path });
        }
        return Ok(path);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(target).join("perf"));
    }
    Ok(PathBuf::from("target").join("perf"))
}

/// Creates `dir` (and its parents) and checks that files can be made in it.
pub(crate) fn ensure_writable_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::output_dir(dir, e))?;
    tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::output_dir(dir, e))?;
    Ok(())
}

/// Writes a new file through a buffer and syncs it to disk (the caller
/// stages it somewhere private and renames it into place after).
pub(crate) fn write_file(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), Error> {
    let file = File::create(path).map_err(|e| Error::write(path, e))?;
    let mut writer = BufWriter::new(file);
    fill(&mut writer)
        .and_then(|()| writer.flush())
        .and_then(|()| writer.get_ref().sync_all())
        .map_err(|e| Error::write(path, e))
}

/// Replaces `path` whole: writes a temporary file beside it, then renames it
/// over. A failure leaves the old file as it was.
pub(crate) fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>,
) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::write(path, e))?;
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
        let mode = std::fs::Permissions::from_mode(0o644);
        temp.as_file()
            .set_permissions(mode)
            .map_err(|e| Error::write(path, e))?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::write(path, e))?;
    temp.persist(path)
        .map_err(|e| Error::write(path, e.error))?;
    Ok(())
}
