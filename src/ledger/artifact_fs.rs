//! Writing projected artifact files: atomically (temp file in the same directory, then
//! rename), never overwriting different content, and left read-only. No fsync: the
//! files are projections of the flushed ledger and recovery re-projects a missing or
//! torn file, so only the ledger flush sits on the durable path.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What went wrong writing or checking an artifact file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArtifactFsError {
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("refusing to overwrite {path}: it exists with different content")]
    WouldOverwrite { path: PathBuf },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ArtifactFsError + '_ {
    move |source| ArtifactFsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// How [`write_artifact`] found the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The file did not exist and was written.
    Written,
    /// The file already held exactly these bytes.
    Unchanged,
    /// The file existed with other bytes (torn or edited) and `repair` replaced it.
    Repaired,
}

/// Writes `bytes` to `path` atomically and makes it read-only. If the file exists with
/// the same bytes nothing happens; with different bytes it is an error unless `repair`
/// is set (recovery re-projecting a torn file).
pub fn write_artifact(
    path: &Path,
    bytes: &[u8],
    repair: bool,
) -> Result<WriteOutcome, ArtifactFsError> {
    let existed = match fs::read(path) {
        Ok(existing) if existing == bytes => return Ok(WriteOutcome::Unchanged),
        Ok(_) if !repair => return Err(ArtifactFsError::WouldOverwrite { path: path.into() }),
        Ok(_) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_err(path)(e)),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut f = fs::File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
    }
    set_read_only(&tmp)?;
    if existed {
        // A read-only target cannot always be replaced by rename on every platform.
        make_writable(path)?;
    }
    fs::rename(&tmp, path).map_err(io_err(path))?;
    Ok(if existed {
        WriteOutcome::Repaired
    } else {
        WriteOutcome::Written
    })
}

fn set_read_only(path: &Path) -> Result<(), ArtifactFsError> {
    let mut perms = fs::metadata(path).map_err(io_err(path))?.permissions();
    perms.set_readonly(true);
    fs::set_permissions(path, perms).map_err(io_err(path))
}

/// Makes a file writable again (used before replacing or deleting a projection).
pub fn make_writable(path: &Path) -> Result<(), ArtifactFsError> {
    let mut perms = fs::metadata(path).map_err(io_err(path))?.permissions();
    #[allow(clippy::permissions_set_readonly_false)] // owner-only write is restored below
    perms.set_readonly(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        perms.set_mode(0o644);
    }
    fs::set_permissions(path, perms).map_err(io_err(path))
}

/// blake3 of a file's bytes and its size, or None when it does not exist.
pub fn hash_file(path: &Path) -> Result<Option<(blake3::Hash, u64)>, ArtifactFsError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some((blake3::hash(&bytes), bytes.len() as u64))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_read_only_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/result.json");
        assert_eq!(
            write_artifact(&p, b"{}", false).unwrap(),
            WriteOutcome::Written
        );
        assert!(fs::metadata(&p).unwrap().permissions().readonly());
        assert_eq!(
            write_artifact(&p, b"{}", false).unwrap(),
            WriteOutcome::Unchanged
        );
        assert!(matches!(
            write_artifact(&p, b"{\"x\":1}", false),
            Err(ArtifactFsError::WouldOverwrite { .. })
        ));
        assert_eq!(fs::read(&p).unwrap(), b"{}");
        assert_eq!(
            write_artifact(&p, b"[]", true).unwrap(),
            WriteOutcome::Repaired
        );
        assert_eq!(fs::read(&p).unwrap(), b"[]");
        let leftovers: Vec<_> = fs::read_dir(p.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
