//! Refresh requests for the scheduler: `<data>/dune_triggers.jsonl`, one JSON object per
//! line, appended with `O_APPEND` in a single `write` per batch (so concurrent writers in
//! several processes never interleave inside a line), read back by byte offset.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::pool::PoolAddress;

/// The triggers file name under the data directory.
pub const TRIGGERS_FILE: &str = "dune_triggers.jsonl";

/// Errors from the triggers file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TriggerError {
    /// Filesystem failure.
    #[error("triggers file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A request could not be encoded.
    #[error("cannot encode trigger request: {0}")]
    Encode(String),
    /// A reason must be a short non-empty single line.
    #[error("invalid trigger reason {0:?}: must be 1-200 printable characters")]
    BadReason(String),
}

/// One refresh request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerRequest {
    pub requested_at: DateTime<Utc>,
    /// Why (e.g. `out_of_range`, `stale`, `missing`, `too_old`).
    pub reason: String,
    /// The pool the request is about (None: a global query).
    pub pool: Option<PoolAddress>,
    /// One cache key to refresh; None means "the pool's P0/P1 queries".
    pub key: Option<String>,
}

impl TriggerRequest {
    /// Checks the reason text.
    pub fn validate_reason(reason: &str) -> Result<(), TriggerError> {
        let ok = !reason.trim().is_empty()
            && reason.chars().count() <= 200
            && !reason.chars().any(char::is_control);
        if ok {
            Ok(())
        } else {
            Err(TriggerError::BadReason(reason.to_string()))
        }
    }
}

/// A line read back from the triggers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerLine {
    /// Byte offset just past this line's newline.
    pub end_offset: u64,
    /// The request, or why the line was unreadable.
    pub request: Result<TriggerRequest, String>,
}

/// Handle on the triggers file.
#[derive(Debug, Clone)]
pub struct TriggerLog {
    path: PathBuf,
}

impl TriggerLog {
    /// `<data_dir>/dune_triggers.jsonl`.
    pub fn open(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(TRIGGERS_FILE),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the requests as lines in one `O_APPEND` write; never waits on anything
    /// but the local filesystem.
    pub fn append(&self, requests: &[TriggerRequest]) -> Result<(), TriggerError> {
        if requests.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(requests.len() * 160);
        for r in requests {
            serde_json::to_writer(&mut buf, r).map_err(|e| TriggerError::Encode(e.to_string()))?;
            buf.push(b'\n');
        }
        let io = |source| TriggerError::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        f.write_all(&buf).map_err(io)?;
        Ok(())
    }

    /// Complete lines from byte `offset` on. A trailing line without its newline (a
    /// writer mid-append) is left for the next read. If the file is shorter than
    /// `offset` (it was truncated or replaced) reading restarts at 0.
    pub fn read_from(&self, offset: u64) -> Result<(u64, Vec<TriggerLine>), TriggerError> {
        let io = |source| TriggerError::Io {
            path: self.path.clone(),
            source,
        };
        let mut f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, Vec::new())),
            Err(e) => return Err(io(e)),
        };
        let len = f.metadata().map_err(io)?.len();
        let start = if len < offset { 0 } else { offset };
        f.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(io)?;
        let mut lines = Vec::new();
        let mut pos = 0usize;
        while let Some(nl) = bytes
            .get(pos..)
            .and_then(|b| b.iter().position(|&c| c == b'\n'))
        {
            let line = bytes.get(pos..pos + nl).unwrap_or_default();
            pos += nl + 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let request = serde_json::from_slice::<TriggerRequest>(line).map_err(|e| {
                format!(
                    "{}: line at byte {}: {e}",
                    self.path.display(),
                    start + (pos - nl - 1) as u64
                )
            });
            lines.push(TriggerLine {
                end_offset: start + pos as u64,
                request,
            });
        }
        Ok((start, lines))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(reason: &str, key: Option<&str>) -> TriggerRequest {
        TriggerRequest {
            requested_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            reason: reason.into(),
            pool: Some(PoolAddress::parse("0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640").unwrap()),
            key: key.map(str::to_string),
        }
    }

    #[test]
    fn append_and_read_back_by_offset() {
        let d = tempfile::tempdir().unwrap();
        let log = TriggerLog::open(d.path());
        assert_eq!(log.read_from(0).unwrap().1, vec![]);
        log.append(&[req("a", None), req("b", Some("k"))]).unwrap();
        let (_, lines) = log.read_from(0).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].request.as_ref().unwrap().key.as_deref(), Some("k"));
        let off = lines[0].end_offset;
        let (_, rest) = log.read_from(off).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].request.as_ref().unwrap().reason, "b");
        // a partial trailing line is not consumed; a bad line is reported, not fatal
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap();
        f.write_all(b"not json\n{\"requested_at\"").unwrap();
        let (_, more) = log.read_from(lines[1].end_offset).unwrap();
        assert_eq!(more.len(), 1);
        assert!(more[0].request.is_err());
        // truncated file: restart at 0
        std::fs::write(log.path(), b"").unwrap();
        assert_eq!(log.read_from(500).unwrap(), (0, vec![]));
    }

    #[test]
    fn reasons_are_checked() {
        assert!(TriggerRequest::validate_reason("out_of_range").is_ok());
        assert!(TriggerRequest::validate_reason("").is_err());
        assert!(TriggerRequest::validate_reason("a\nb").is_err());
    }
}
