//! [`Ledger`]: the sled-backed, append-only event store. One writer per directory (sled
//! locks it); appends are gapless and hash-chained; `flush` is the durability point;
//! opening verifies the tail, `verify` the whole chain.
//!
//! sled trees (SPEC.md has the byte layout):
//! - `events`: key = seq as u64 big-endian, value = bincode envelope;
//! - `run_index`: key = u16 BE length ‖ run id ‖ seq u64 BE, value empty;
//! - `runs`: key = run id, value = seq of the run's first event (u64 BE);
//! - `meta`: `format` = `tracka-ledger/1`.
//!
//! The three data trees are written in one sled transaction per event, so a crash never
//! leaves an index entry without its event or the reverse.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use super::canonical::{canonical_json, check_canonical};
use super::envelope::{upcast, EventRecord, EventView, StoredEvent, SCHEMA_VERSION};
use super::error::LedgerError;
use super::events::RunFinished;
use super::hash::{payload_hash, Hash, MAX_FIELD_LEN};
use super::kind::EventKind;
use super::merkle::{inclusion_proof, MerkleAccumulator};
use super::verify::{BadEvent, ChainVerifier, VerifyReport};

/// sled's page cache budget. Small and fixed so memory stays flat however long the
/// ledger grows (sled's default is 1 GiB).
pub const CACHE_CAPACITY_BYTES: u64 = 32 * 1024 * 1024;

/// How long `open` waits for the directory lock before reporting `InUse`.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// How many of the last events `open` re-hashes and chain-checks.
pub const TAIL_CHECK_EVENTS: usize = 1024;

const FORMAT_KEY: &[u8] = b"format";
const FORMAT_VALUE: &[u8] = b"tracka-ledger/1";

/// Tuning for [`Ledger::open_with`] / [`Ledger::open_read_only_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LedgerOptions {
    /// sled's page cache budget in bytes (default [`CACHE_CAPACITY_BYTES`]). Replay of a
    /// ledger larger than the cache re-reads pages from disk; an audit of a big ledger
    /// may raise it.
    pub cache_capacity_bytes: u64,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            cache_capacity_bytes: CACHE_CAPACITY_BYTES,
        }
    }
}

impl LedgerOptions {
    pub fn with_cache_capacity(mut self, bytes: u64) -> Self {
        self.cache_capacity_bytes = bytes;
        self
    }
}

/// Where the next event goes.
#[derive(Debug, Clone, Copy)]
struct Head {
    next_seq: u64,
    prev_hash: Hash,
}

/// The ledger: owns the sled database.
pub struct Ledger {
    path: PathBuf,
    db: sled::Db,
    events: sled::Tree,
    run_index: sled::Tree,
    runs: sled::Tree,
    head: Mutex<Head>,
    read_only: bool,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("path", &self.path)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

impl Ledger {
    /// Opens the ledger in `dir` for writing, creating it if absent. Fails with
    /// [`LedgerError::InUse`] if another handle holds it, and with
    /// [`LedgerError::Corrupt`] if the last [`TAIL_CHECK_EVENTS`] events do not verify.
    pub fn open(dir: &Path) -> Result<Ledger, LedgerError> {
        Self::open_with(dir, LedgerOptions::default())
    }

    /// [`Ledger::open`] with explicit options.
    pub fn open_with(dir: &Path, options: LedgerOptions) -> Result<Ledger, LedgerError> {
        std::fs::create_dir_all(dir).map_err(|e| LedgerError::Storage {
            path: dir.to_path_buf(),
            source: sled::Error::Io(e),
        })?;
        Self::open_inner(dir, false, options)
    }

    /// Opens an existing ledger for audit or replay. sled has no read-only mode: this
    /// opens it normally (taking the directory lock, so it fails with `InUse` while a
    /// writer is active) and then never writes; `append*` return
    /// [`LedgerError::ReadOnly`]. sled may still replay its own log on open. The tail is
    /// not checked here: call [`Ledger::verify`], which reports the first bad event.
    pub fn open_read_only(dir: &Path) -> Result<Ledger, LedgerError> {
        Self::open_read_only_with(dir, LedgerOptions::default())
    }

    /// [`Ledger::open_read_only`] with explicit options.
    pub fn open_read_only_with(dir: &Path, options: LedgerOptions) -> Result<Ledger, LedgerError> {
        if !dir.join("conf").is_file() || !dir.join("db").is_file() {
            return Err(LedgerError::NotFound {
                path: dir.to_path_buf(),
            });
        }
        Self::open_inner(dir, true, options)
    }

    fn open_inner(
        dir: &Path,
        read_only: bool,
        options: LedgerOptions,
    ) -> Result<Ledger, LedgerError> {
        let path = dir.to_path_buf();
        let db = open_db(dir, options.cache_capacity_bytes)?;
        let storage = |source| LedgerError::Storage {
            path: path.clone(),
            source,
        };
        let events = db.open_tree("events").map_err(storage)?;
        let run_index = db.open_tree("run_index").map_err(storage)?;
        let runs = db.open_tree("runs").map_err(storage)?;
        let meta = db.open_tree("meta").map_err(storage)?;
        match meta.get(FORMAT_KEY).map_err(storage)? {
            Some(v) if v.as_ref() == FORMAT_VALUE => {}
            Some(v) => {
                return Err(LedgerError::NotALedger {
                    path,
                    reason: format!(
                        "format marker is {:?}, expected {:?}",
                        String::from_utf8_lossy(&v),
                        String::from_utf8_lossy(FORMAT_VALUE)
                    ),
                })
            }
            None if !events.is_empty() => {
                return Err(LedgerError::NotALedger {
                    path,
                    reason: "events present but the format marker is missing".to_owned(),
                })
            }
            None if read_only => {}
            None => {
                meta.insert(FORMAT_KEY, FORMAT_VALUE).map_err(storage)?;
            }
        }
        let ledger = Ledger {
            path: path.clone(),
            db,
            events,
            run_index,
            runs,
            head: Mutex::new(Head {
                next_seq: 0,
                prev_hash: Hash::ZERO,
            }),
            read_only,
        };
        // A writer must not extend a broken chain; an auditor wants the full report
        // from `verify`, so a read-only open does not stop at a bad tail.
        if !read_only {
            let head = ledger.verify_tail(TAIL_CHECK_EVENTS)?;
            *ledger.lock_head() = head;
        }
        Ok(ledger)
    }

    /// The directory the ledger lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True for handles from [`Ledger::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn storage(&self, source: sled::Error) -> LedgerError {
        LedgerError::Storage {
            path: self.path.clone(),
            source,
        }
    }

    fn lock_head(&self) -> MutexGuard<'_, Head> {
        // The head is two plain values updated after a successful write: a panic
        // elsewhere cannot leave it half-written, so a poisoned lock is still valid.
        self.head.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Re-hashes and chain-checks the last `k` events (plus the link to the one before)
    /// and returns where the next event goes.
    fn verify_tail(&self, k: usize) -> Result<Head, LedgerError> {
        let mut window = Vec::with_capacity(k + 1);
        for item in self.events.iter().rev().take(k + 1) {
            window.push(item.map_err(|e| self.storage(e))?);
        }
        window.reverse();
        let mut items = window.iter();
        let (start_seq, prev) = match window.first() {
            None => {
                return Ok(Head {
                    next_seq: 0,
                    prev_hash: Hash::ZERO,
                })
            }
            Some((key, value)) if window.len() > k => {
                // The oldest entry only anchors the chain: check it on its own.
                let seq = key_seq(key)?;
                let view = upcast(seq, value)?;
                view.check_hashes()
                    .map_err(|reason| LedgerError::Corrupt { seq, reason })?;
                items.next();
                (seq.wrapping_add(1), view.hash)
            }
            Some(_) => (0, Hash::ZERO),
        };
        let mut checker = ChainVerifier::starting_at(start_seq, prev, false);
        for (key, value) in items {
            checker
                .check(key, value)
                .map_err(|BadEvent { seq, reason }| LedgerError::Corrupt { seq, reason })?;
            let seq = key_seq(key)?;
            let view = upcast(seq, value)?;
            if !self
                .run_index
                .contains_key(run_index_key(view.run_id, seq))
                .map_err(|e| self.storage(e))?
            {
                return Err(LedgerError::IndexCorrupt {
                    run_id: view.run_id.to_owned(),
                    reason: format!("event seq {seq} is missing from the run index"),
                });
            }
        }
        let next_seq = match window.last() {
            Some((key, _)) => key_seq(key)?
                .checked_add(1)
                .ok_or(LedgerError::SeqExhausted { last: u64::MAX })?,
            None => 0,
        };
        Ok(Head {
            next_seq,
            prev_hash: checker.head(),
        })
    }

    /// Appends an event whose payload is `payload`'s canonical JSON.
    pub fn append<T: Serialize>(
        &self,
        kind: EventKind,
        run_id: &str,
        episode_id: Option<&str>,
        recorded_at: &str,
        payload: &T,
    ) -> Result<EventRecord, LedgerError> {
        self.append_stored(kind, run_id, episode_id, recorded_at, payload)
            .map(|ev| EventRecord::of(&ev))
    }

    /// [`Ledger::append`], returning the whole event as stored (what [`Ledger::get`]
    /// would read back), without reading it back.
    pub fn append_stored<T: Serialize>(
        &self,
        kind: EventKind,
        run_id: &str,
        episode_id: Option<&str>,
        recorded_at: &str,
        payload: &T,
    ) -> Result<StoredEvent, LedgerError> {
        let bytes = canonical_json(payload).map_err(|source| LedgerError::Payload {
            kind: kind.as_str(),
            source,
        })?;
        self.append_checked(kind, run_id, episode_id, recorded_at, bytes)
    }

    /// Appends an event whose payload bytes are already canonical JSON (checked).
    pub fn append_raw(
        &self,
        kind: EventKind,
        run_id: &str,
        episode_id: Option<&str>,
        recorded_at: &str,
        payload: Vec<u8>,
    ) -> Result<EventRecord, LedgerError> {
        check_canonical(&payload).map_err(|source| LedgerError::Payload {
            kind: kind.as_str(),
            source,
        })?;
        self.append_checked(kind, run_id, episode_id, recorded_at, payload)
            .map(|ev| EventRecord::of(&ev))
    }

    fn append_checked(
        &self,
        kind: EventKind,
        run_id: &str,
        episode_id: Option<&str>,
        recorded_at: &str,
        payload: Vec<u8>,
    ) -> Result<StoredEvent, LedgerError> {
        if self.read_only {
            return Err(LedgerError::ReadOnly {
                path: self.path.clone(),
            });
        }
        check_id("run_id", run_id)?;
        if let Some(e) = episode_id {
            check_id("episode_id", e)?;
        }
        check_recorded_at(recorded_at)?;

        let mut head = self.lock_head();
        let seq = head.next_seq;
        let mut view = EventView {
            schema: SCHEMA_VERSION,
            seq,
            run_id,
            episode_id,
            kind: kind.as_str(),
            recorded_at,
            payload: &payload,
            payload_hash: payload_hash(&payload),
            prev_hash: head.prev_hash,
            hash: Hash::ZERO,
        };
        view.hash = view.header().hash();
        let value = view.encode()?;
        let key = seq.to_be_bytes();
        let index_key = run_index_key(run_id, seq);
        (&self.events, &self.run_index, &self.runs)
            .transaction(|(events, index, runs)| {
                events.insert(&key[..], value.as_slice())?;
                index.insert(index_key.as_slice(), &[][..])?;
                if runs.get(run_id.as_bytes())?.is_none() {
                    runs.insert(run_id.as_bytes(), &key[..])?;
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                TransactionError::Storage(source) => self.storage(source),
                TransactionError::Abort(()) => LedgerError::Corrupt {
                    seq,
                    reason: "append transaction aborted".to_owned(),
                },
            })?;
        head.next_seq = seq
            .checked_add(1)
            .ok_or(LedgerError::SeqExhausted { last: seq })?;
        head.prev_hash = view.hash;
        let (hash, prev_hash, payload_hash) = (view.hash, view.prev_hash, view.payload_hash);
        drop(head);
        Ok(StoredEvent {
            schema: SCHEMA_VERSION,
            seq,
            run_id: run_id.to_owned(),
            episode_id: episode_id.map(str::to_owned),
            kind,
            recorded_at: recorded_at.to_owned(),
            payload,
            payload_hash,
            prev_hash,
            hash,
        })
    }

    /// Makes every appended event durable (sled flush). Call at episode boundaries.
    /// A no-op on read-only handles.
    pub fn flush(&self) -> Result<(), LedgerError> {
        if self.read_only {
            return Ok(());
        }
        self.db.flush().map(|_| ()).map_err(|e| self.storage(e))
    }

    /// The sequence number the next append gets (= number of events). Meaningful on
    /// writable handles only.
    pub fn next_seq(&self) -> u64 {
        self.lock_head().next_seq
    }

    /// The last event, if any.
    pub fn last(&self) -> Result<Option<StoredEvent>, LedgerError> {
        match self.events.last().map_err(|e| self.storage(e))? {
            None => Ok(None),
            Some((k, v)) => decode_event(&k, &v).map(Some),
        }
    }

    /// The event with this seq, if stored.
    pub fn get(&self, seq: u64) -> Result<Option<StoredEvent>, LedgerError> {
        match self
            .events
            .get(seq.to_be_bytes())
            .map_err(|e| self.storage(e))?
        {
            None => Ok(None),
            Some(v) => upcast(seq, &v)?.to_owned_event().map(Some),
        }
    }

    /// All events in seq order (upcast, not re-hashed: use [`Ledger::verify`] for that).
    pub fn iter(&self) -> impl Iterator<Item = Result<StoredEvent, LedgerError>> {
        let path = self.path.clone();
        self.events.iter().map(move |item| match item {
            Ok((k, v)) => decode_event(&k, &v),
            Err(source) => Err(LedgerError::Storage {
                path: path.clone(),
                source,
            }),
        })
    }

    /// The events of one run in seq order.
    pub fn iter_run(&self, run_id: &str) -> impl Iterator<Item = Result<StoredEvent, LedgerError>> {
        let path = self.path.clone();
        let events = self.events.clone();
        let owned_run = run_id.to_owned();
        let prefix = run_index_prefix(run_id);
        let prefix_len = prefix.len();
        self.run_index.scan_prefix(prefix).map(move |item| {
            let storage = |source| LedgerError::Storage {
                path: path.clone(),
                source,
            };
            let (k, _) = item.map_err(storage)?;
            let seq = k
                .get(prefix_len..)
                .and_then(|s| <[u8; 8]>::try_from(s).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| LedgerError::IndexCorrupt {
                    run_id: owned_run.clone(),
                    reason: format!("index key of {} bytes", k.len()),
                })?;
            let v = events
                .get(seq.to_be_bytes())
                .map_err(storage)?
                .ok_or_else(|| LedgerError::IndexCorrupt {
                    run_id: owned_run.clone(),
                    reason: format!("indexed seq {seq} is not in the events tree"),
                })?;
            let event = upcast(seq, &v)?.to_owned_event()?;
            if event.run_id != owned_run {
                return Err(LedgerError::IndexCorrupt {
                    run_id: owned_run.clone(),
                    reason: format!("indexed seq {seq} belongs to run {:?}", event.run_id),
                });
            }
            Ok(event)
        })
    }

    /// Run ids in order of their first event.
    pub fn runs(&self) -> Result<Vec<String>, LedgerError> {
        let mut out = Vec::new();
        for item in self.runs.iter() {
            let (k, v) = item.map_err(|e| self.storage(e))?;
            let run_id = String::from_utf8(k.to_vec()).map_err(|_| LedgerError::IndexCorrupt {
                run_id: String::from_utf8_lossy(&k).into_owned(),
                reason: "run id is not UTF-8".to_owned(),
            })?;
            let first = <[u8; 8]>::try_from(v.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| LedgerError::IndexCorrupt {
                    run_id: run_id.clone(),
                    reason: format!("first-seq value of {} bytes", v.len()),
                })?;
            out.push((first, run_id));
        }
        out.sort();
        Ok(out.into_iter().map(|(_, r)| r).collect())
    }

    /// The event hashes of a run, in order: the leaves of its Merkle tree.
    pub fn run_leaves(&self, run_id: &str) -> Result<Vec<Hash>, LedgerError> {
        let mut leaves = Vec::new();
        for e in self.iter_run(run_id) {
            leaves.push(e?.hash);
        }
        if leaves.is_empty() {
            return Err(LedgerError::UnknownRun {
                run_id: run_id.to_owned(),
            });
        }
        Ok(leaves)
    }

    /// The `run.finished` payload for `run_id` as of now: the count and root of its
    /// events so far. Append it (or a struct that flattens it) as the run's last event.
    pub fn run_finished_payload(&self, run_id: &str) -> Result<RunFinished, LedgerError> {
        let mut acc = MerkleAccumulator::new();
        self.run_leaves(run_id)?.iter().for_each(|h| acc.push(h));
        Ok(RunFinished {
            event_count: acc.len(),
            merkle_root: acc.root(),
        })
    }

    /// RFC 6962 root over all the run's event hashes.
    pub fn run_root(&self, run_id: &str) -> Result<Hash, LedgerError> {
        let mut acc = MerkleAccumulator::new();
        self.run_leaves(run_id)?.iter().for_each(|h| acc.push(h));
        Ok(acc.root())
    }

    /// Inclusion proof of event `seq` in its run's tree: `(leaf index, tree size, path)`.
    pub fn run_inclusion_proof(
        &self,
        run_id: &str,
        seq: u64,
    ) -> Result<(u64, u64, Vec<Hash>), LedgerError> {
        let leaves = self.run_leaves(run_id)?;
        let mut index = None;
        for (i, e) in self.iter_run(run_id).enumerate() {
            if e?.seq == seq {
                index = Some(i);
                break;
            }
        }
        let index = index.ok_or_else(|| LedgerError::InvalidField {
            field: "seq",
            value: seq.to_string(),
            reason: "not an event of this run",
        })?;
        let proof = inclusion_proof(&leaves, index)?;
        Ok((index as u64, leaves.len() as u64, proof))
    }

    /// Re-hashes every event, checks seq gaps, chain links, kinds and `run.finished`
    /// roots, computes each run's Merkle root, and checks the indexes agree. A bad event
    /// is reported in the [`VerifyReport`]; `Err` is for storage failures only.
    pub fn verify(&self) -> Result<VerifyReport, LedgerError> {
        let mut checker = ChainVerifier::from_genesis();
        let mut first_bad = None;
        for item in self.events.iter() {
            let (k, v) = item.map_err(|e| self.storage(e))?;
            if let Err(bad) = checker.check(&k, &v) {
                first_bad = Some(bad);
                break;
            }
        }
        let complete = first_bad.is_none();
        let mut report = checker.into_report(first_bad);
        if complete {
            report.index_problem = self.check_indexes(&report)?;
        }
        Ok(report)
    }

    /// Compares the `run_index` and `runs` trees with the verified events.
    fn check_indexes(&self, report: &VerifyReport) -> Result<Option<String>, LedgerError> {
        // Index keys sort by (length, run id, seq): a run's entries are contiguous, so
        // counting allocates once per run, not per event.
        let mut counts: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        let mut current: Option<(Vec<u8>, u64)> = None;
        for item in self.run_index.iter() {
            let (k, _) = item.map_err(|e| self.storage(e))?;
            let run = k.get(..k.len().saturating_sub(8)).unwrap_or_default();
            match current.as_mut() {
                Some((prefix, n)) if prefix.as_slice() == run => *n += 1,
                _ => {
                    if let Some((prefix, n)) = current.replace((run.to_vec(), 1)) {
                        *counts.entry(prefix).or_default() += n;
                    }
                }
            }
        }
        if let Some((prefix, n)) = current {
            *counts.entry(prefix).or_default() += n;
        }
        let mut firsts: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for item in self.runs.iter() {
            let (k, v) = item.map_err(|e| self.storage(e))?;
            firsts.insert(k.to_vec(), v.to_vec());
        }
        for run in &report.runs {
            let prefix = run_index_prefix(&run.run_id);
            let indexed = counts.remove(&prefix).unwrap_or(0);
            if indexed != run.events {
                return Ok(Some(format!(
                    "run {:?} has {} events but {indexed} index entries",
                    run.run_id, run.events
                )));
            }
            let first = firsts.remove(run.run_id.as_bytes());
            if first.as_deref() != Some(&run.first_seq.to_be_bytes()[..]) {
                return Ok(Some(format!(
                    "run {:?} starts at seq {} but the runs tree says {:?}",
                    run.run_id, run.first_seq, first
                )));
            }
        }
        if let Some((k, n)) = counts.into_iter().next() {
            return Ok(Some(format!(
                "{n} index entries under {:?} for a run with no events",
                String::from_utf8_lossy(&k)
            )));
        }
        if let Some((k, _)) = firsts.into_iter().next() {
            return Ok(Some(format!(
                "runs tree lists {:?}, which has no events",
                String::from_utf8_lossy(&k)
            )));
        }
        Ok(None)
    }
}

/// Opens the sled database, waiting up to [`LOCK_WAIT`] for the directory lock. sled
/// releases the lock of a dropped handle from its background I/O threads, a few
/// milliseconds after the drop; a lock held by a live writer stays held, and the open
/// then fails with [`LedgerError::InUse`]. sled's periodic background flush is off:
/// what is durable is exactly what [`Ledger::flush`] (or a clean drop) wrote.
fn open_db(dir: &Path, cache_capacity_bytes: u64) -> Result<sled::Db, LedgerError> {
    let start = std::time::Instant::now();
    loop {
        let attempt = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_capacity_bytes)
            .flush_every_ms(None)
            .open()
            .map_err(|e| map_open_error(dir, e));
        match attempt {
            Err(LedgerError::InUse { .. }) if start.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

impl Drop for Ledger {
    /// Best-effort flush of a writable handle, so a clean shutdown keeps everything.
    /// Durability still means [`Ledger::flush`]: a crash skips this.
    fn drop(&mut self) {
        if !self.read_only {
            let _ = self.db.flush();
        }
    }
}

fn map_open_error(dir: &Path, e: sled::Error) -> LedgerError {
    if let sled::Error::Io(io) = &e {
        let lock_failure = io.kind() == std::io::ErrorKind::WouldBlock
            || io.to_string().contains("could not acquire lock");
        if lock_failure {
            return LedgerError::InUse {
                path: dir.to_path_buf(),
            };
        }
    }
    LedgerError::Storage {
        path: dir.to_path_buf(),
        source: e,
    }
}

fn key_seq(key: &[u8]) -> Result<u64, LedgerError> {
    <[u8; 8]>::try_from(key)
        .map(u64::from_be_bytes)
        .map_err(|_| LedgerError::Corrupt {
            seq: 0,
            reason: format!("events key of {} bytes, expected 8", key.len()),
        })
}

fn decode_event(key: &[u8], value: &[u8]) -> Result<StoredEvent, LedgerError> {
    upcast(key_seq(key)?, value)?.to_owned_event()
}

/// `u16 BE length ‖ run id` — ids are at most [`MAX_FIELD_LEN`] bytes, so it fits.
fn run_index_prefix(run_id: &str) -> Vec<u8> {
    let len = u16::try_from(run_id.len()).unwrap_or(u16::MAX);
    let mut k = Vec::with_capacity(2 + run_id.len() + 8);
    k.extend_from_slice(&len.to_be_bytes());
    k.extend_from_slice(run_id.as_bytes());
    k
}

fn run_index_key(run_id: &str, seq: u64) -> Vec<u8> {
    let mut k = run_index_prefix(run_id);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn check_id(field: &'static str, v: &str) -> Result<(), LedgerError> {
    let reason = if v.is_empty() {
        "must not be empty"
    } else if v.len() > MAX_FIELD_LEN {
        "is longer than 1024 bytes"
    } else if v.chars().any(char::is_control) {
        "must not contain control characters"
    } else {
        return Ok(());
    };
    Err(LedgerError::InvalidField {
        field,
        value: v.chars().take(80).collect(),
        reason,
    })
}

fn check_recorded_at(v: &str) -> Result<(), LedgerError> {
    if v.len() <= 64 && chrono::DateTime::parse_from_rfc3339(v).is_ok() {
        return Ok(());
    }
    Err(LedgerError::InvalidField {
        field: "recorded_at",
        value: v.chars().take(80).collect(),
        reason: "must be an RFC 3339 timestamp",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Ledger>();
    }

    #[test]
    fn index_keys_do_not_collide_across_run_ids() {
        assert_ne!(
            run_index_key("ab", 1),
            run_index_key("a", 0x6200_0000_0000_0001)
        );
        assert!(run_index_key("run", 5).starts_with(&run_index_prefix("run")));
        assert!(!run_index_key("run-1", 5).starts_with(&run_index_prefix("run")));
    }

    #[test]
    fn lock_errors_map_to_in_use() {
        let dir = Path::new("/tmp/x");
        let lock = sled::Error::Io(std::io::Error::other(
            "could not acquire lock on \"/tmp/x/db\": Os { code: 11 }",
        ));
        assert!(matches!(
            map_open_error(dir, lock),
            LedgerError::InUse { .. }
        ));
        let other = sled::Error::Io(std::io::Error::other("disk on fire"));
        assert!(matches!(
            map_open_error(dir, other),
            LedgerError::Storage { .. }
        ));
    }
}
