//! The intel cache store: one JSON file per cache key under `<data>/intel/`, written
//! atomically (temp file in the same directory + fsync + rename + directory fsync), so a
//! scheduler process and any number of readers in other processes share it without
//! locks: a reader sees the old entry or the new one, never a torn one. Each entry
//! carries the blake3 of its rows; an entry that fails to parse or to verify reads as
//! missing, with a warning.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Domain-separation prefix of the rows hash.
const ROWS_DOMAIN: &[u8] = b"tracka.intel.rows.v1\0";
/// Entry file suffix.
const ENTRY_SUFFIX: &str = ".entry.json";
/// Current entry schema.
pub const ENTRY_SCHEMA: u32 = 1;

/// Errors from the cache store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Filesystem failure on `path`.
    #[error("intel cache {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The entry file is not valid entry JSON.
    #[error("intel cache entry {path} is corrupt: {message}")]
    Corrupt { path: PathBuf, message: String },
    /// The stored rows hash does not match the rows.
    #[error("intel cache entry {path}: rows hash {stored} does not match rows ({computed})")]
    HashMismatch {
        path: PathBuf,
        stored: String,
        computed: String,
    },
    /// The entry is filed under another key.
    #[error("intel cache entry {path} holds key {found:?}, expected {expected:?}")]
    KeyMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },
    /// An entry could not be serialised.
    #[error("cannot encode intel cache entry {key}: {message}")]
    Encode { key: String, message: String },
}

/// How the rows were obtained (Dune execution metadata, or the mock source's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionMeta {
    pub execution_id: Option<String>,
    /// The terminal state as the source reported it (e.g. `QUERY_STATE_COMPLETED`).
    pub state: String,
    pub query_id: u64,
    pub submitted_at: Option<String>,
    pub execution_ended_at: Option<String>,
    pub row_count: u64,
    pub total_row_count: Option<u64>,
    /// Number of result pages fetched.
    pub pages: u32,
}

/// One cached query result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    pub schema: u32,
    pub key: String,
    pub query_name: String,
    pub query_id: u64,
    pub params: BTreeMap<String, String>,
    /// `dune` or `mock`.
    pub source: String,
    /// When the result was written to the cache; ages are measured from here.
    pub fetched_at: DateTime<Utc>,
    pub execution: ExecutionMeta,
    pub rows: Vec<serde_json::Value>,
    /// blake3 (hex) of the canonical JSON of `rows`, domain-separated.
    pub rows_hash: String,
}

impl CacheEntry {
    /// Builds an entry and computes its rows hash.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        key: String,
        query_name: String,
        query_id: u64,
        params: BTreeMap<String, String>,
        source: String,
        fetched_at: DateTime<Utc>,
        execution: ExecutionMeta,
        rows: Vec<serde_json::Value>,
    ) -> Self {
        let rows_hash = rows_hash(&rows);
        Self {
            schema: ENTRY_SCHEMA,
            key,
            query_name,
            query_id,
            params,
            source,
            fetched_at,
            execution,
            rows,
            rows_hash,
        }
    }

    /// Whole seconds from `fetched_at` to `now` (negative if stamped in the future).
    pub fn age_s(&self, now: DateTime<Utc>) -> i64 {
        (now - self.fetched_at).num_seconds()
    }
}

/// blake3 (hex) of the rows' canonical JSON (object keys sorted).
pub fn rows_hash(rows: &[serde_json::Value]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(ROWS_DOMAIN);
    let mut bytes = Vec::new();
    for row in rows {
        canonical_json(row, &mut bytes);
        bytes.push(b'\n');
    }
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(&bytes);
    h.finalize().to_hex().to_string()
}

/// Writes `v` as JSON with object keys sorted whatever map type serde_json uses.
pub fn canonical_json(v: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut items: Vec<_> = map.iter().collect();
            items.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, val)) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::String(k.clone()).to_string().as_bytes());
                out.push(b':');
                canonical_json(val, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, val) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_json(val, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

/// The cache directory handle. Cheap to clone; holds no open files.
#[derive(Debug, Clone)]
pub struct CacheStore {
    dir: PathBuf,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl CacheStore {
    /// The store under `<data_dir>/intel/` (created on first write).
    pub fn open(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("intel"),
        }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds `key`.
    pub fn path_for(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{}{ENTRY_SUFFIX}", encode_key(key)))
    }

    /// Reads `key`; a missing file is `Ok(None)`; a corrupt one is an error.
    pub fn try_read(&self, key: &str) -> Result<Option<CacheEntry>, StoreError> {
        let path = self.path_for(key);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let entry: CacheEntry =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                path: path.clone(),
                message: e.to_string(),
            })?;
        if entry.schema != ENTRY_SCHEMA {
            return Err(StoreError::Corrupt {
                path,
                message: format!("unsupported schema {}", entry.schema),
            });
        }
        if entry.key != key {
            return Err(StoreError::KeyMismatch {
                path,
                expected: key.to_string(),
                found: entry.key,
            });
        }
        let computed = rows_hash(&entry.rows);
        if computed != entry.rows_hash {
            return Err(StoreError::HashMismatch {
                path,
                stored: entry.rows_hash,
                computed,
            });
        }
        Ok(Some(entry))
    }

    /// Reads `key`; anything unreadable reads as missing, with a warning.
    pub fn read(&self, key: &str) -> Option<CacheEntry> {
        match self.try_read(key) {
            Ok(e) => e,
            Err(err) => {
                tracing::warn!(key, error = %err, "intel cache entry unreadable; treated as missing");
                None
            }
        }
    }

    /// Writes `entry` atomically: temp file, fsync, rename over the old entry, fsync of
    /// the directory.
    pub fn write(&self, entry: &CacheEntry) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(entry).map_err(|e| StoreError::Encode {
            key: entry.key.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&self.path_for(&entry.key), &bytes)
    }

    /// Keys of all entry files present, sorted.
    pub fn keys(&self) -> Result<Vec<String>, StoreError> {
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(StoreError::Io {
                    path: self.dir.clone(),
                    source,
                })
            }
        };
        let mut keys = Vec::new();
        for item in rd {
            let item = item.map_err(|source| StoreError::Io {
                path: self.dir.clone(),
                source,
            })?;
            let name = item.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') {
                continue;
            }
            if let Some(stem) = name.strip_suffix(ENTRY_SUFFIX) {
                if let Some(key) = decode_key(stem) {
                    keys.push(key);
                }
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// Removes temp files left by a writer that died more than `older_than` ago.
    pub fn sweep_temp_files(&self, older_than: std::time::Duration) -> usize {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut removed = 0;
        for item in rd.flatten() {
            let name = item.file_name();
            let is_tmp = name
                .to_str()
                .is_some_and(|n| n.starts_with('.') && n.ends_with(".tmp"));
            let old = item
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= older_than);
            if is_tmp && old && std::fs::remove_file(item.path()).is_ok() {
                removed += 1;
            }
        }
        removed
    }
}

/// Replaces `target` with `bytes` atomically: a temp file in the same directory, fsync,
/// rename, then fsync of the directory. Readers see the old or the new content, whole.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        drop(f);
        std::fs::rename(&tmp, target).map_err(io(target))?;
        // make the rename durable; a filesystem that cannot open directories skips it
        if let Ok(d) = std::fs::File::open(dir) {
            d.sync_all().map_err(io(dir))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Percent-encodes every byte outside `[A-Za-z0-9_.-]` (so `:` becomes `%3A`).
pub fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 8);
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && !out.is_empty()) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Inverse of [`encode_key`]; None for text it could not have produced.
pub fn decode_key(name: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(name.len());
    let mut it = name.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hi = char::from(it.next()?).to_digit(16)?;
            let lo = char::from(it.next()?).to_digit(16)?;
            bytes.push(u8::try_from(hi * 16 + lo).ok()?);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, rows: Vec<serde_json::Value>) -> CacheEntry {
        CacheEntry::new(
            key.to_string(),
            "q".into(),
            7,
            BTreeMap::new(),
            "mock".into(),
            DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            ExecutionMeta {
                execution_id: Some("01HK".into()),
                state: "QUERY_STATE_COMPLETED".into(),
                query_id: 7,
                submitted_at: None,
                execution_ended_at: None,
                row_count: rows.len() as u64,
                total_row_count: None,
                pages: 1,
            },
            rows,
        )
    }

    #[test]
    fn key_encoding_round_trips() {
        for k in [
            "gas_regime",
            "pool_metrics:0xabc:1h",
            ".hidden",
            "a/b\\c%",
            "ünï",
        ] {
            let enc = encode_key(k);
            assert!(
                !enc.contains(['/', ':', '\\']) && !enc.starts_with('.'),
                "{enc}"
            );
            assert_eq!(decode_key(&enc).as_deref(), Some(k));
        }
    }

    #[test]
    fn write_read_round_trip_and_survives_reopen() {
        let d = tempfile::tempdir().unwrap();
        let e = entry(
            "pool_metrics:0xabc:1h",
            vec![serde_json::json!({"a": 1, "b": "x"})],
        );
        CacheStore::open(d.path()).write(&e).unwrap();
        let again = CacheStore::open(d.path());
        assert_eq!(again.try_read(&e.key).unwrap(), Some(e.clone()));
        assert_eq!(again.keys().unwrap(), vec![e.key.clone()]);
        assert_eq!(again.try_read("other").unwrap(), None);
        let leftovers: Vec<_> = std::fs::read_dir(again.dir())
            .unwrap()
            .flatten()
            .filter(|i| i.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn corrupt_or_tampered_entries_read_as_missing() {
        let d = tempfile::tempdir().unwrap();
        let s = CacheStore::open(d.path());
        let e = entry("k", vec![serde_json::json!({"v": 1})]);
        s.write(&e).unwrap();
        let p = s.path_for("k");
        let text = std::fs::read_to_string(&p).unwrap();
        // tampered rows: hash no longer matches
        std::fs::write(&p, text.replace("\"v\": 1", "\"v\": 2")).unwrap();
        assert!(matches!(
            s.try_read("k"),
            Err(StoreError::HashMismatch { .. })
        ));
        assert_eq!(s.read("k"), None);
        // truncated file
        std::fs::write(&p, &text[..text.len() / 2]).unwrap();
        assert!(matches!(s.try_read("k"), Err(StoreError::Corrupt { .. })));
        assert_eq!(s.read("k"), None);
        // entry filed under the wrong key
        std::fs::write(&p, text.replace("\"key\": \"k\"", "\"key\": \"j\"")).unwrap();
        assert!(matches!(
            s.try_read("k"),
            Err(StoreError::KeyMismatch { .. })
        ));
        // restored
        std::fs::write(&p, &text).unwrap();
        assert_eq!(s.read("k"), Some(e));
    }

    #[test]
    fn rows_hash_depends_on_rows_only() {
        let a = rows_hash(&[serde_json::json!({"x": 1, "y": 2})]);
        let b = rows_hash(&[serde_json::json!({"y": 2, "x": 1})]);
        let c = rows_hash(&[serde_json::json!({"x": 1, "y": 3})]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 64);
    }
}
