//! The run digest: a Merkle root (RFC 6962 shape, blake3) over the *content* of a run's
//! reproducible events, so two runs with the same seed and `--fixed-clock` in different
//! data directories have the same digest. A leaf is
//! `blake3("tracka.digest.v1\0" ‖ kind ‖ 0x00 ‖ episode id ‖ 0x00 ‖ payload hash)`: no
//! sequence number and no chain link. Left out by design: `timings` (wall-clock
//! durations), `run.finished` (it carries the roots), and the `artifact.written`
//! records of timings.json and logs.jsonl (they hash timings-derived bytes and sequence
//! numbers).

use crate::ledger::{ArtifactWritten, EventKind, Hash, MerkleAccumulator, StoredEvent};

const DOMAIN: &[u8] = b"tracka.digest.v1\0";

/// Whether an event's content counts towards the digest.
pub fn is_reproducible(ev: &StoredEvent) -> bool {
    match ev.kind {
        EventKind::Timings | EventKind::RunFinished => false,
        EventKind::ArtifactWritten => match ev.decode::<ArtifactWritten>() {
            Ok(a) => !(a.path.ends_with("/timings.json") || a.path.ends_with("/logs.jsonl")),
            Err(_) => true,
        },
        _ => true,
    }
}

/// The digest leaf content of an event.
pub fn content_hash(ev: &StoredEvent) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN);
    h.update(ev.kind.as_str().as_bytes());
    h.update(&[0]);
    h.update(ev.episode_id.as_deref().unwrap_or("").as_bytes());
    h.update(&[0]);
    h.update(ev.payload_hash.as_bytes());
    Hash(*h.finalize().as_bytes())
}

/// Accumulates the digest of a run event by event.
#[derive(Debug, Default)]
pub struct DigestAccumulator {
    acc: MerkleAccumulator,
}

impl DigestAccumulator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, ev: &StoredEvent) {
        if is_reproducible(ev) {
            self.acc.push(&content_hash(ev));
        }
    }

    pub fn root(&self) -> Hash {
        self.acc.root()
    }
}
