//! The envelope: how an event is laid out in sled (bincode 1.3.3, default options:
//! fixed-width little-endian integers, u64 length prefixes, `Option` as a 0/1 tag) and
//! the `upcast` hook that reads every supported schema version into today's shape.
//!
//! History is never rewritten: an event keeps the schema version it was written with,
//! and its hash is checked against the header of that version. [`upcast`] returns a
//! borrowed [`EventView`] (no allocation), which [`StoredEvent`] owns a copy of.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};

use super::error::LedgerError;
use super::hash::{payload_hash, EventHeader, Hash};
use super::kind::EventKind;

/// The schema version written by this build.
pub const SCHEMA_VERSION: u16 = 1;

/// Schema version 0: the envelope without an episode id. No release wrote it; it is kept
/// as the fixture that proves old versions are upcast on read (see SPEC.md).
pub const SCHEMA_V0: u16 = 0;

/// The v1 layout in sled. Field order is the byte order; `schema` comes first so a
/// reader can dispatch on the first two bytes. Written with bincode; read by
/// [`decode_v1`] (tests check the two agree).
#[derive(Serialize, Deserialize)]
struct DiskV1<'a> {
    schema: u16,
    seq: u64,
    run_id: &'a str,
    #[serde(borrow)]
    episode_id: Option<&'a str>,
    kind: &'a str,
    recorded_at: &'a str,
    #[serde(serialize_with = "as_bytes")]
    payload: &'a [u8],
    payload_hash: [u8; 32],
    prev_hash: [u8; 32],
    hash: [u8; 32],
}

/// The v0 layout: as v1 without `episode_id`.
#[derive(Serialize, Deserialize)]
struct DiskV0<'a> {
    schema: u16,
    seq: u64,
    run_id: &'a str,
    kind: &'a str,
    recorded_at: &'a str,
    #[serde(serialize_with = "as_bytes")]
    payload: &'a [u8],
    payload_hash: [u8; 32],
    prev_hash: [u8; 32],
    hash: [u8; 32],
}

fn as_bytes<S: Serializer>(b: &&[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(b)
}

/// A stored event, borrowed from the bytes it was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventView<'a> {
    /// The version the event was written with (kept through upcasting: it is hashed).
    pub schema: u16,
    pub seq: u64,
    pub run_id: &'a str,
    pub episode_id: Option<&'a str>,
    pub kind: &'a str,
    pub recorded_at: &'a str,
    pub payload: &'a [u8],
    pub payload_hash: Hash,
    pub prev_hash: Hash,
    pub hash: Hash,
}

impl<'a> EventView<'a> {
    /// The header the event hash covers.
    pub fn header(&self) -> EventHeader<'_> {
        EventHeader {
            schema: self.schema,
            seq: self.seq,
            kind: self.kind,
            payload_len: self.payload.len() as u64,
            run_id: self.run_id,
            episode_id: self.episode_id,
            recorded_at: self.recorded_at,
            payload_hash: &self.payload_hash,
            prev_hash: &self.prev_hash,
        }
    }

    /// Re-hashes payload and header; `Err` names what does not match. Allocates only
    /// when it fails.
    pub fn check_hashes(&self) -> Result<(), String> {
        let ph = payload_hash(self.payload);
        if ph != self.payload_hash {
            return Err(format!(
                "payload hash mismatch: stored {}, payload hashes to {ph}",
                self.payload_hash
            ));
        }
        let h = self.header().hash();
        if h != self.hash {
            return Err(format!(
                "event hash mismatch: stored {}, header hashes to {h}",
                self.hash
            ));
        }
        Ok(())
    }

    /// The current-version encoding of this event (what `append` stores). Only a
    /// current-version view can be encoded: old events are never rewritten.
    pub fn encode(&self) -> Result<Vec<u8>, LedgerError> {
        if self.schema != SCHEMA_VERSION {
            return Err(LedgerError::UnsupportedSchema {
                seq: self.seq,
                version: self.schema,
                supported: SCHEMA_VERSION,
            });
        }
        let disk = DiskV1 {
            schema: self.schema,
            seq: self.seq,
            run_id: self.run_id,
            episode_id: self.episode_id,
            kind: self.kind,
            recorded_at: self.recorded_at,
            payload: self.payload,
            payload_hash: self.payload_hash.0,
            prev_hash: self.prev_hash.0,
            hash: self.hash.0,
        };
        bincode::serialize(&disk).map_err(|e| LedgerError::Corrupt {
            seq: self.seq,
            reason: format!("cannot encode envelope: {e}"),
        })
    }

    /// An owned copy, with the kind parsed.
    pub fn to_owned_event(&self) -> Result<StoredEvent, LedgerError> {
        let kind = EventKind::parse(self.kind).map_err(|source| LedgerError::UnknownKind {
            seq: self.seq,
            source,
        })?;
        Ok(StoredEvent {
            schema: self.schema,
            seq: self.seq,
            run_id: self.run_id.to_owned(),
            episode_id: self.episode_id.map(str::to_owned),
            kind,
            recorded_at: self.recorded_at.to_owned(),
            payload: self.payload.to_vec(),
            payload_hash: self.payload_hash,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// The upcast hook: decodes a stored value of any supported schema version into the
/// current shape. `key_seq` (the sled key) names the event in errors.
pub fn upcast(key_seq: u64, bytes: &[u8]) -> Result<EventView<'_>, LedgerError> {
    let corrupt = |reason: String| LedgerError::Corrupt {
        seq: key_seq,
        reason,
    };
    let version = match bytes {
        [a, b, ..] => u16::from_le_bytes([*a, *b]),
        _ => {
            return Err(corrupt(format!(
                "envelope of {} bytes is truncated",
                bytes.len()
            )))
        }
    };
    let view = match version {
        SCHEMA_VERSION => decode_v1(bytes).map_err(|at| {
            corrupt(format!(
                "v1 envelope of {} bytes does not decode (at byte {at})",
                bytes.len()
            ))
        })?,
        SCHEMA_V0 => {
            let d: DiskV0<'_> = bincode::deserialize(bytes)
                .map_err(|e| corrupt(format!("v0 envelope does not decode: {e}")))?;
            EventView {
                schema: d.schema,
                seq: d.seq,
                run_id: d.run_id,
                episode_id: None,
                kind: d.kind,
                recorded_at: d.recorded_at,
                payload: d.payload,
                payload_hash: Hash(d.payload_hash),
                prev_hash: Hash(d.prev_hash),
                hash: Hash(d.hash),
            }
        }
        other => {
            return Err(LedgerError::UnsupportedSchema {
                seq: key_seq,
                version: other,
                supported: SCHEMA_VERSION,
            })
        }
    };
    if view.seq != key_seq {
        return Err(corrupt(format!(
            "envelope says seq {} but is stored under key {key_seq}",
            view.seq
        )));
    }
    Ok(view)
}

/// Reads the v1 layout (bincode 1.3.3 default options, see the module doc) directly:
/// the same bytes `bincode::deserialize::<DiskV1>` accepts, without serde's per-byte
/// visits of the three 32-byte arrays (a quarter of replay time otherwise), and without
/// allowing trailing bytes. `Err` is the offset where decoding failed.
fn decode_v1(bytes: &[u8]) -> Result<EventView<'_>, usize> {
    let mut r = Reader { bytes, pos: 0 };
    let view = EventView {
        schema: u16::from_le_bytes(r.array()?),
        seq: u64::from_le_bytes(r.array()?),
        run_id: r.str()?,
        episode_id: match r.array::<1>()? {
            [0] => None,
            [1] => Some(r.str()?),
            _ => return Err(r.pos - 1),
        },
        kind: r.str()?,
        recorded_at: r.str()?,
        payload: r.bytes()?,
        payload_hash: Hash(r.array()?),
        prev_hash: Hash(r.array()?),
        hash: Hash(r.array()?),
    };
    if r.pos != bytes.len() {
        return Err(r.pos);
    }
    Ok(view)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], usize> {
        let end = self.pos.checked_add(n).ok_or(self.pos)?;
        let out = self.bytes.get(self.pos..end).ok_or(self.pos)?;
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], usize> {
        let at = self.pos;
        self.take(N)
            .and_then(|b| <[u8; N]>::try_from(b).map_err(|_| at))
    }

    fn bytes(&mut self) -> Result<&'a [u8], usize> {
        let at = self.pos;
        let len = usize::try_from(u64::from_le_bytes(self.array()?)).map_err(|_| at)?;
        self.take(len)
    }

    fn str(&mut self) -> Result<&'a str, usize> {
        let at = self.pos;
        std::str::from_utf8(self.bytes()?).map_err(|_| at)
    }
}

/// Encodes a schema-0 envelope. Only for fixtures and tests of the upcast path: the
/// ledger itself writes [`SCHEMA_VERSION`].
pub fn encode_v0(view: &EventView<'_>) -> Result<Vec<u8>, LedgerError> {
    let disk = DiskV0 {
        schema: SCHEMA_V0,
        seq: view.seq,
        run_id: view.run_id,
        kind: view.kind,
        recorded_at: view.recorded_at,
        payload: view.payload,
        payload_hash: view.payload_hash.0,
        prev_hash: view.prev_hash.0,
        hash: view.hash.0,
    };
    bincode::serialize(&disk).map_err(|e| LedgerError::Corrupt {
        seq: view.seq,
        reason: format!("cannot encode v0 envelope: {e}"),
    })
}

/// An event read back from the ledger, upcast to the current shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The schema version it was written with.
    pub schema: u16,
    pub seq: u64,
    pub run_id: String,
    pub episode_id: Option<String>,
    pub kind: EventKind,
    /// RFC 3339, as the writer's clock gave it.
    pub recorded_at: String,
    /// Canonical JSON bytes.
    pub payload: Vec<u8>,
    pub payload_hash: Hash,
    pub prev_hash: Hash,
    pub hash: Hash,
}

impl StoredEvent {
    pub fn kind(&self) -> EventKind {
        self.kind
    }

    /// The payload as a typed value.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, LedgerError> {
        serde_json::from_slice(&self.payload).map_err(|source| LedgerError::Decode {
            seq: self.seq,
            kind: self.kind.as_str(),
            source,
        })
    }

    /// A borrowed view (for hashing and re-encoding).
    pub fn view(&self) -> EventView<'_> {
        EventView {
            schema: self.schema,
            seq: self.seq,
            run_id: &self.run_id,
            episode_id: self.episode_id.as_deref(),
            kind: self.kind.as_str(),
            recorded_at: &self.recorded_at,
            payload: &self.payload,
            payload_hash: self.payload_hash,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

/// What `append` returns: where the event landed and what it hashes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRecord {
    pub seq: u64,
    pub kind: EventKind,
    pub hash: Hash,
    pub prev_hash: Hash,
    pub payload_hash: Hash,
}

impl EventRecord {
    /// The record of a stored event.
    pub fn of(ev: &StoredEvent) -> EventRecord {
        EventRecord {
            seq: ev.seq,
            kind: ev.kind,
            hash: ev.hash,
            prev_hash: ev.prev_hash,
            payload_hash: ev.payload_hash,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(payload: &'a [u8], episode: Option<&'a str>) -> EventView<'a> {
        let mut v = EventView {
            schema: SCHEMA_VERSION,
            seq: 3,
            run_id: "run-a",
            episode_id: episode,
            kind: "timings",
            recorded_at: "2026-01-01T00:00:00Z",
            payload,
            payload_hash: payload_hash(payload),
            prev_hash: Hash([7; 32]),
            hash: Hash::ZERO,
        };
        v.hash = v.header().hash();
        v
    }

    #[test]
    fn v1_round_trip_and_layout() {
        let v = view(br#"{"ms":1}"#, Some("ep-1"));
        let bytes = v.encode().unwrap_or_default();
        // schema u16 LE, then seq u64 LE, then run_id as u64 LE length + bytes.
        assert_eq!(&bytes[..2], &[1, 0]);
        assert_eq!(&bytes[2..10], &3u64.to_le_bytes());
        assert_eq!(&bytes[10..18], &5u64.to_le_bytes());
        assert_eq!(&bytes[18..23], b"run-a");
        assert_eq!(bytes[23], 1, "Some tag");
        let back = upcast(3, &bytes).ok();
        assert_eq!(back, Some(v));
        assert_eq!(back.map(|b| b.check_hashes()), Some(Ok(())));
    }

    #[test]
    fn hand_decoder_agrees_with_bincode() {
        for (payload, episode) in [(&b"{}"[..], None), (&b"[1,2,3]"[..], Some("ep-\u{e9}"))] {
            let v = view(payload, episode);
            let bytes = v.encode().unwrap_or_default();
            let by_bincode: Option<DiskV1<'_>> = bincode::deserialize(&bytes).ok();
            let by_hand = decode_v1(&bytes).ok();
            assert_eq!(by_hand, Some(v));
            assert_eq!(
                by_bincode.map(|d| (d.run_id, d.episode_id, d.payload, d.hash)),
                by_hand.map(|d| (d.run_id, d.episode_id, d.payload, d.hash.0))
            );
            // Every truncation fails, and so do trailing bytes and a bad Option tag.
            for cut in 0..bytes.len() {
                assert!(decode_v1(&bytes[..cut]).is_err(), "cut at {cut}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert_eq!(decode_v1(&longer).err(), Some(bytes.len()));
            let mut bad_tag = bytes.clone();
            bad_tag[10 + 8 + 5] = 2;
            assert_eq!(decode_v1(&bad_tag).err(), Some(23));
        }
    }

    #[test]
    fn v0_fixture_is_upcast_and_verifies() {
        // A v0 event hashes with schema 0 and no episode id.
        let mut v = view(br#"{"ms":2}"#, None);
        v.schema = SCHEMA_V0;
        v.hash = v.header().hash();
        let bytes = encode_v0(&v).unwrap_or_default();
        assert_eq!(&bytes[..2], &[0, 0]);
        assert!(
            matches!(
                v.encode(),
                Err(LedgerError::UnsupportedSchema { version: 0, .. })
            ),
            "history is not re-encoded in the new layout"
        );
        let back = upcast(3, &bytes);
        assert!(matches!(back, Ok(b) if b == v));
        let owned = upcast(3, &bytes).and_then(|b| b.to_owned_event());
        assert!(
            matches!(owned, Ok(ref e) if e.schema == 0 && e.episode_id.is_none() && e.kind == EventKind::Timings)
        );
        assert_eq!(
            upcast(3, &bytes).map(|b| b.check_hashes()).ok(),
            Some(Ok(()))
        );
    }

    #[test]
    fn upcast_rejects_bad_input() {
        let v = view(b"{}", None);
        let bytes = v.encode().unwrap_or_default();
        assert!(matches!(
            upcast(4, &bytes),
            Err(LedgerError::Corrupt { seq: 4, .. })
        ));
        assert!(matches!(
            upcast(3, &bytes[..1]),
            Err(LedgerError::Corrupt { seq: 3, .. })
        ));
        assert!(matches!(
            upcast(3, &bytes[..30]),
            Err(LedgerError::Corrupt { seq: 3, .. })
        ));
        let mut future = bytes.clone();
        future[0] = 9;
        assert!(matches!(
            upcast(3, &future),
            Err(LedgerError::UnsupportedSchema {
                seq: 3,
                version: 9,
                supported: 1
            })
        ));
    }

    #[test]
    fn check_hashes_names_the_mismatch() {
        let mut v = view(b"{}", None);
        v.payload = b"{ }";
        assert!(matches!(v.check_hashes(), Err(r) if r.starts_with("payload hash mismatch")));
        let mut v = view(b"{}", None);
        v.recorded_at = "2026-01-01T00:00:01Z";
        assert!(matches!(v.check_hashes(), Err(r) if r.starts_with("event hash mismatch")));
    }
}
