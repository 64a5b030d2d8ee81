//! Verification of a sequence of stored events: seq gaps, payload and event hashes,
//! the chain links, known kinds, per-run Merkle roots and `run.finished` roots.
//!
//! [`ChainVerifier`] is fed raw `(key, value)` pairs in key order and allocates nothing
//! per event (only once per run, for its id), so replay-with-verification runs at the
//! speed of blake3 over the bytes.

use std::collections::BTreeMap;

use super::envelope::upcast;
use super::events::RunFinished;
use super::hash::Hash;
use super::kind::EventKind;
use super::merkle::MerkleAccumulator;

/// The first event that failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEvent {
    pub seq: u64,
    pub reason: String,
}

/// One run's events as verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub run_id: String,
    pub first_seq: u64,
    pub events: u64,
    /// RFC 6962 root over the run's event hashes (all of them, `run.finished` included).
    pub root: Hash,
}

/// Outcome of [`super::Ledger::verify`]. Verification stops at the first bad event;
/// `runs` then covers the events before it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Events that verified.
    pub events: u64,
    /// Hash of the last event that verified (the chain head).
    pub head: Option<Hash>,
    /// Runs in order of their first event.
    pub runs: Vec<RunSummary>,
    pub first_bad: Option<BadEvent>,
    /// A disagreement between the secondary indexes and the events.
    pub index_problem: Option<String>,
}

impl VerifyReport {
    /// True when every event and index verified.
    pub fn is_ok(&self) -> bool {
        self.first_bad.is_none() && self.index_problem.is_none()
    }
}

struct RunAcc {
    run_id: String,
    first_seq: u64,
    merkle: MerkleAccumulator,
}

/// Incremental checker of consecutive events.
pub struct ChainVerifier {
    expected_seq: u64,
    prev: Hash,
    events: u64,
    track_runs: bool,
    runs: Vec<RunAcc>,
    by_id: BTreeMap<String, usize>,
    last_run: Option<usize>,
}

impl ChainVerifier {
    /// Checks a whole ledger from seq 0 (genesis `prev_hash` = zero), tracking runs.
    pub fn from_genesis() -> Self {
        Self::starting_at(0, Hash::ZERO, true)
    }

    /// Checks a window that starts at `seq`, whose predecessor hashed to `prev`.
    pub fn starting_at(seq: u64, prev: Hash, track_runs: bool) -> Self {
        ChainVerifier {
            expected_seq: seq,
            prev,
            events: 0,
            track_runs,
            runs: Vec::new(),
            by_id: BTreeMap::new(),
            last_run: None,
        }
    }

    /// Verifies the next stored event.
    pub fn check(&mut self, key: &[u8], value: &[u8]) -> Result<(), BadEvent> {
        let expected = self.expected_seq;
        let bad = |reason: String| BadEvent {
            seq: expected,
            reason,
        };
        let key_seq = match <[u8; 8]>::try_from(key) {
            Ok(k) => u64::from_be_bytes(k),
            Err(_) => {
                return Err(bad(format!(
                    "events key of {} bytes, expected 8",
                    key.len()
                )))
            }
        };
        if key_seq != expected {
            return Err(bad(format!(
                "seq {expected} is missing: the next stored event is seq {key_seq}"
            )));
        }
        let view = upcast(key_seq, value).map_err(|e| bad(e.to_string()))?;
        view.check_hashes().map_err(bad)?;
        if view.prev_hash != self.prev {
            return Err(bad(format!(
                "chain broken: prev_hash {} but the previous event hashes to {}",
                view.prev_hash, self.prev
            )));
        }
        let kind = EventKind::parse(view.kind).map_err(|e| bad(e.to_string()))?;
        if self.track_runs {
            let acc = self.run_acc(view.run_id, key_seq);
            if kind == EventKind::RunFinished {
                let fin: RunFinished = serde_json::from_slice(view.payload).map_err(|e| {
                    bad(format!(
                        "run.finished payload lacks event_count/merkle_root: {e}"
                    ))
                })?;
                let (count, root) = (acc.merkle.len(), acc.merkle.root());
                if fin.event_count != count || fin.merkle_root != root {
                    return Err(bad(format!(
                        "run.finished says {} events with root {}, the run's {count} preceding events have root {root}",
                        fin.event_count, fin.merkle_root
                    )));
                }
            }
            acc.merkle.push(&view.hash);
        }
        self.prev = view.hash;
        self.expected_seq = expected.wrapping_add(1);
        self.events += 1;
        Ok(())
    }

    fn run_acc(&mut self, run_id: &str, seq: u64) -> &mut RunAcc {
        let cached = self
            .last_run
            .filter(|&i| self.runs.get(i).is_some_and(|r| r.run_id == run_id));
        let i = match cached.or_else(|| self.by_id.get(run_id).copied()) {
            Some(i) => i,
            None => {
                self.runs.push(RunAcc {
                    run_id: run_id.to_owned(),
                    first_seq: seq,
                    merkle: MerkleAccumulator::new(),
                });
                let i = self.runs.len() - 1;
                self.by_id.insert(run_id.to_owned(), i);
                i
            }
        };
        self.last_run = Some(i);
        // `i` came from `runs` itself (cache, id map or the push above).
        &mut self.runs[i]
    }

    /// Events verified so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Hash of the last verified event (or the starting `prev`).
    pub fn head(&self) -> Hash {
        self.prev
    }

    /// The report for what was checked.
    pub fn into_report(self, first_bad: Option<BadEvent>) -> VerifyReport {
        let head = (self.events > 0).then_some(self.prev);
        VerifyReport {
            events: self.events,
            head,
            runs: self
                .runs
                .into_iter()
                .map(|r| RunSummary {
                    events: r.merkle.len(),
                    root: r.merkle.root(),
                    run_id: r.run_id,
                    first_seq: r.first_seq,
                })
                .collect(),
            first_bad,
            index_problem: None,
        }
    }
}
