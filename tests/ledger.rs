//! Ledger store: append/read/reopen, second writer, read-only audit, tampering, the
//! upcast of old envelopes, a seeded model test with restarts, and crash recovery.

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tracka::ledger::envelope::{encode_v0, EventView, SCHEMA_V0};
use tracka::ledger::{
    merkle_root, payload_hash, upcast, verify_inclusion, EventKind, Hash, Ledger, LedgerError,
    RunFinished, StoredEvent,
};

use crate::util::TestDir;

const T0: &str = "2026-01-01T00:00:00Z";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Note {
    n: u64,
    text: String,
}

fn note(n: u64) -> Note {
    Note {
        n,
        text: format!("note {n}"),
    }
}

fn ledger_dir(t: &TestDir) -> std::path::PathBuf {
    t.path().join("ledger")
}

fn open(dir: &Path) -> Ledger {
    match Ledger::open(dir) {
        Ok(l) => l,
        Err(e) => panic!("open {}: {e}", dir.display()),
    }
}

fn all(l: &Ledger) -> Vec<StoredEvent> {
    l.iter()
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("iter: {e}"))
}

fn append_notes(l: &Ledger, run: &str, range: std::ops::Range<u64>) {
    for n in range {
        let ep = format!("ep-{}", n / 10);
        l.append(EventKind::Proposal, run, Some(&ep), T0, &note(n))
            .unwrap_or_else(|e| panic!("append {n}: {e}"));
    }
}

#[test]
fn append_read_and_reopen_continue_the_chain() {
    let t = TestDir::new();
    let dir = ledger_dir(&t);
    {
        let l = open(&dir);
        assert!(l.last().ok().flatten().is_none());
        let r0 = l
            .append(EventKind::RunStarted, "run-a", None, T0, &note(0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r0.seq, r0.prev_hash), (0, Hash::ZERO));
        let r1 = l
            .append(
                EventKind::EpisodeStarted,
                "run-a",
                Some("ep-0"),
                T0,
                &note(1),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r1.seq, r1.prev_hash), (1, r0.hash));
        l.flush().unwrap_or_else(|e| panic!("{e}"));
    }
    let l = open(&dir);
    assert_eq!(l.next_seq(), 2);
    let r2 = l
        .append(EventKind::Timings, "run-b", Some("ep-0"), T0, &note(2))
        .unwrap_or_else(|e| panic!("{e}"));
    let events = all(&l);
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].prev_hash, events[1].hash);
    assert_eq!(events[2].hash, r2.hash);
    assert_eq!(events[1].kind(), EventKind::EpisodeStarted);
    assert_eq!(events[1].episode_id.as_deref(), Some("ep-0"));
    assert_eq!(events[1].payload, br#"{"n":1,"text":"note 1"}"#);
    assert_eq!(events[1].payload_hash, payload_hash(&events[1].payload));
    assert_eq!(events[1].decode::<Note>().ok(), Some(note(1)));
    assert!(matches!(
        events[1].decode::<Vec<u8>>(),
        Err(LedgerError::Decode {
            seq: 1,
            kind: "episode.started",
            ..
        })
    ));
    assert_eq!(
        l.runs().ok(),
        Some(vec!["run-a".to_owned(), "run-b".to_owned()])
    );
    let run_a: Vec<u64> = l
        .iter_run("run-a")
        .filter_map(|e| e.ok())
        .map(|e| e.seq)
        .collect();
    assert_eq!(run_a, [0, 1]);
    assert_eq!(l.last().ok().flatten().map(|e| e.seq), Some(2));
    assert_eq!(
        l.get(1).ok().flatten().map(|e| e.hash),
        Some(events[1].hash)
    );
    let root = l.run_root("run-a").ok();
    assert_eq!(root, Some(merkle_root(&[events[0].hash, events[1].hash])));
    assert!(matches!(
        l.run_root("nope"),
        Err(LedgerError::UnknownRun { .. })
    ));
    let report = l.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.events, 3);
    assert_eq!(report.head, Some(r2.hash));
    assert_eq!(report.runs.len(), 2);
    assert_eq!(Some(report.runs[0].root), root);
}

#[test]
fn run_ids_that_prefix_each_other_stay_apart() {
    let t = TestDir::new();
    let l = open(&ledger_dir(&t));
    append_notes(&l, "run", 0..3);
    append_notes(&l, "run-1", 3..5);
    append_notes(&l, "run", 5..6);
    let seqs = |run: &str| -> Vec<u64> {
        l.iter_run(run)
            .filter_map(|e| e.ok())
            .map(|e| e.seq)
            .collect()
    };
    assert_eq!(seqs("run"), [0, 1, 2, 5]);
    assert_eq!(seqs("run-1"), [3, 4]);
    assert_eq!(
        l.runs().ok(),
        Some(vec!["run".to_owned(), "run-1".to_owned()])
    );
}

#[test]
fn inclusion_proofs_from_the_store() {
    let t = TestDir::new();
    let l = open(&ledger_dir(&t));
    append_notes(&l, "r", 0..7);
    append_notes(&l, "other", 7..9);
    append_notes(&l, "r", 9..11);
    let root = l.run_root("r").unwrap_or_else(|e| panic!("{e}"));
    for e in l.iter_run("r").filter_map(|e| e.ok()) {
        let (index, size, proof) = l
            .run_inclusion_proof("r", e.seq)
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(size, 9);
        assert!(
            verify_inclusion(&root, &e.hash, index, size, &proof),
            "seq {}",
            e.seq
        );
    }
    assert!(
        l.run_inclusion_proof("r", 7).is_err(),
        "seq 7 belongs to another run"
    );
}

#[test]
fn second_writer_gets_in_use() {
    let t = TestDir::new();
    let dir = ledger_dir(&t);
    let first = open(&dir);
    match Ledger::open(&dir) {
        Err(e @ LedgerError::InUse { .. }) => {
            let msg = e.to_string();
            assert_eq!(
                msg,
                format!(
                    "ledger in use: {} is opened by another tracka process",
                    dir.display()
                )
            );
        }
        other => panic!("expected InUse, got {other:?}"),
    }
    assert!(matches!(
        Ledger::open_read_only(&dir),
        Err(LedgerError::InUse { .. })
    ));
    drop(first);
    let again = Ledger::open(&dir);
    assert!(again.is_ok(), "the lock is released on drop: {again:?}");
}

#[test]
fn read_only_open_reads_and_refuses_writes() {
    let t = TestDir::new();
    let dir = ledger_dir(&t);
    assert!(matches!(
        Ledger::open_read_only(&dir),
        Err(LedgerError::NotFound { .. })
    ));
    assert!(!dir.exists(), "a read-only open creates nothing");
    {
        let l = open(&dir);
        append_notes(&l, "r", 0..5);
        l.flush().unwrap_or_else(|e| panic!("{e}"));
    }
    let ro = Ledger::open_read_only(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(ro.is_read_only());
    assert_eq!(all(&ro).len(), 5);
    assert!(ro.verify().map(|r| r.is_ok()).unwrap_or(false));
    assert!(matches!(
        ro.append(EventKind::Timings, "r", None, T0, &note(9)),
        Err(LedgerError::ReadOnly { .. })
    ));
    assert!(ro.flush().is_ok());
}

#[test]
fn a_foreign_sled_database_is_not_a_ledger() {
    let t = TestDir::new();
    let dir = ledger_dir(&t);
    {
        let db = sled_open(&dir);
        let meta = db.open_tree("meta").unwrap_or_else(|e| panic!("{e}"));
        meta.insert("format", "something-else/9")
            .unwrap_or_else(|e| panic!("{e}"));
        db.flush().unwrap_or_else(|e| panic!("{e}"));
    }
    match Ledger::open(&dir) {
        Err(e @ LedgerError::NotALedger { .. }) => {
            assert!(e.to_string().contains("something-else/9"), "{e}")
        }
        other => panic!("expected NotALedger, got {other:?}"),
    }
}

#[test]
fn bad_envelope_fields_and_payloads_are_refused() {
    let t = TestDir::new();
    let l = open(&ledger_dir(&t));
    let field = |r: Result<_, LedgerError>| match r {
        Err(LedgerError::InvalidField { field, .. }) => field,
        other => panic!("expected InvalidField, got {other:?}"),
    };
    assert_eq!(
        field(l.append(EventKind::Timings, "", None, T0, &1)),
        "run_id"
    );
    assert_eq!(
        field(l.append(EventKind::Timings, "r\n", None, T0, &1)),
        "run_id"
    );
    assert_eq!(
        field(l.append(EventKind::Timings, "r", Some(""), T0, &1)),
        "episode_id"
    );
    assert_eq!(
        field(l.append(EventKind::Timings, "r", None, "yesterday", &1)),
        "recorded_at"
    );
    assert!(matches!(
        l.append(EventKind::Timings, "r", None, T0, &f64::NAN),
        Err(LedgerError::Payload {
            kind: "timings",
            ..
        })
    ));
    assert!(matches!(
        l.append_raw(
            EventKind::Timings,
            "r",
            None,
            T0,
            br#"{"b":1,"a":2}"#.to_vec()
        ),
        Err(LedgerError::Payload { .. })
    ));
    let ok = l.append_raw(
        EventKind::Timings,
        "r",
        None,
        T0,
        br#"{"a":2,"b":1}"#.to_vec(),
    );
    assert_eq!(
        ok.map(|r| r.seq).ok(),
        Some(0),
        "nothing refused took a seq"
    );
    assert!(l.verify().map(|r| r.is_ok()).unwrap_or(false));
}

#[test]
fn run_finished_root_is_checked() {
    let t = TestDir::new();
    let dir = ledger_dir(&t);
    let l = open(&dir);
    append_notes(&l, "good", 0..4);
    append_notes(&l, "bad", 4..6);
    let root = l.run_root("good").unwrap_or_else(|e| panic!("{e}"));
    let fin = l
        .run_finished_payload("good")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        fin,
        RunFinished {
            event_count: 4,
            merkle_root: root,
        }
    );
    let r = l.append(EventKind::RunFinished, "good", None, T0, &fin);
    assert!(r.is_ok());
    let report = l.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_ok(), "{report:?}");
    // Producers may carry more fields beside the two the ledger checks.
    #[derive(Serialize)]
    struct Summary {
        #[serde(flatten)]
        fin: RunFinished,
        episodes: u32,
    }
    append_notes(&l, "wide", 6..9);
    let fin = l
        .run_finished_payload("wide")
        .unwrap_or_else(|e| panic!("{e}"));
    let wide = Summary { fin, episodes: 3 };
    assert!(l
        .append(EventKind::RunFinished, "wide", None, T0, &wide)
        .is_ok());
    let report = l.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_ok(), "{report:?}");
    let wrong = RunFinished {
        event_count: 2,
        merkle_root: root,
    };
    let r = l.append(EventKind::RunFinished, "bad", None, T0, &wrong);
    let seq = r.map(|r| r.seq).ok();
    let report = l.verify().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.first_bad.as_ref().map(|b| b.seq), seq);
    assert!(report
        .first_bad
        .map(|b| b.reason)
        .unwrap_or_default()
        .contains("run.finished"));
}

/// A plain sled handle on the ledger directory. sled releases a dropped handle's lock
/// from its I/O threads a moment later, so retry briefly (as `Ledger::open` does).
fn sled_open(dir: &Path) -> sled::Db {
    let start = std::time::Instant::now();
    loop {
        match sled::open(dir) {
            Ok(db) => return db,
            Err(e) if start.elapsed() > std::time::Duration::from_secs(2) => {
                panic!("sled open {}: {e}", dir.display())
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
}

/// Rewrites one stored value through a plain sled handle.
fn tamper(dir: &Path, seq: u64, edit: impl FnOnce(&mut Vec<u8>)) {
    let db = sled_open(dir);
    let events = db.open_tree("events").unwrap_or_else(|e| panic!("{e}"));
    let key = seq.to_be_bytes();
    let mut value = events
        .get(key)
        .ok()
        .flatten()
        .map(|v| v.to_vec())
        .unwrap_or_else(|| panic!("no event {seq}"));
    edit(&mut value);
    events.insert(key, value).unwrap_or_else(|e| panic!("{e}"));
    db.flush().unwrap_or_else(|e| panic!("{e}"));
}

fn ledger_of(n: u64) -> (TestDir, std::path::PathBuf) {
    let t = TestDir::new();
    let dir = ledger_dir(&t);
    let l = open(&dir);
    append_notes(&l, "r", 0..n);
    l.flush().unwrap_or_else(|e| panic!("{e}"));
    (t, dir)
}

fn first_bad(dir: &Path) -> Option<(u64, String)> {
    let ro = Ledger::open_read_only(dir).unwrap_or_else(|e| panic!("{e}"));
    let report = ro.verify().unwrap_or_else(|e| panic!("{e}"));
    report.first_bad.map(|b| (b.seq, b.reason))
}

#[test]
fn tampered_payload_is_reported_at_its_seq() {
    let (_t, dir) = ledger_of(20);
    // The payload `{"n":7,...}` sits near the end of the value, before three hashes.
    tamper(&dir, 7, |v| {
        let i = v.len() - 96 - 3;
        v[i] ^= 0x01;
    });
    let bad = first_bad(&dir);
    assert_eq!(bad.as_ref().map(|b| b.0), Some(7), "{bad:?}");
    assert!(bad
        .map(|b| b.1)
        .unwrap_or_default()
        .contains("payload hash mismatch"));
    match Ledger::open(&dir) {
        Err(LedgerError::Corrupt { seq: 7, .. }) => {}
        other => panic!("a writer must refuse a bad tail: {other:?}"),
    }
}

#[test]
fn tampered_hash_is_reported_at_its_seq() {
    let (_t, dir) = ledger_of(20);
    tamper(&dir, 12, |v| {
        let i = v.len() - 1;
        v[i] ^= 0x80;
    });
    let bad = first_bad(&dir);
    assert_eq!(bad.as_ref().map(|b| b.0), Some(12), "{bad:?}");
    assert!(bad
        .map(|b| b.1)
        .unwrap_or_default()
        .contains("event hash mismatch"));
}

#[test]
fn broken_chain_is_reported() {
    let (_t, dir) = ledger_of(20);
    // A self-consistent event whose prev_hash points elsewhere: only the chain catches it.
    tamper(&dir, 9, |v| {
        let old = upcast(9, v).unwrap_or_else(|e| panic!("{e}"));
        let mut forged: EventView<'_> = old;
        forged.prev_hash = Hash([0x55; 32]);
        forged.hash = forged.header().hash();
        *v = forged.encode().unwrap_or_else(|e| panic!("{e}"));
    });
    let bad = first_bad(&dir);
    assert_eq!(bad.as_ref().map(|b| b.0), Some(9), "{bad:?}");
    assert!(bad
        .map(|b| b.1)
        .unwrap_or_default()
        .contains("chain broken"));
}

#[test]
fn removed_event_is_a_gap() {
    let (_t, dir) = ledger_of(20);
    {
        let db = sled_open(&dir);
        let events = db.open_tree("events").unwrap_or_else(|e| panic!("{e}"));
        events
            .remove(5u64.to_be_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        db.flush().unwrap_or_else(|e| panic!("{e}"));
    }
    let bad = first_bad(&dir);
    assert_eq!(bad.as_ref().map(|b| b.0), Some(5), "{bad:?}");
    assert!(bad.map(|b| b.1).unwrap_or_default().contains("missing"));
}

#[test]
fn tampering_before_the_tail_window_is_found_by_verify() {
    let n = tracka::ledger::store::TAIL_CHECK_EVENTS as u64 + 50;
    let (_t, dir) = ledger_of(n);
    tamper(&dir, 3, |v| {
        let i = v.len() - 96 - 3;
        v[i] ^= 0x01;
    });
    let l = open(&dir); // the tail is fine, so a writer may open
    let report = l.verify().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.first_bad.map(|b| b.seq), Some(3));
    assert_eq!(report.events, 3);
}

#[test]
fn schema_v0_events_are_upcast_on_read() {
    let t = TestDir::new();
    let dir = ledger_dir(&t);
    // Create an empty ledger (format marker), then store two v0 events by hand.
    drop(open(&dir));
    let mut prev = Hash::ZERO;
    {
        let db = sled_open(&dir);
        let events = db.open_tree("events").unwrap_or_else(|e| panic!("{e}"));
        let index = db.open_tree("run_index").unwrap_or_else(|e| panic!("{e}"));
        let runs = db.open_tree("runs").unwrap_or_else(|e| panic!("{e}"));
        for seq in 0..2u64 {
            let payload = format!(r#"{{"old":{seq}}}"#);
            let mut v = EventView {
                schema: SCHEMA_V0,
                seq,
                run_id: "old-run",
                episode_id: None,
                kind: "timings",
                recorded_at: T0,
                payload: payload.as_bytes(),
                payload_hash: payload_hash(payload.as_bytes()),
                prev_hash: prev,
                hash: Hash::ZERO,
            };
            v.hash = v.header().hash();
            prev = v.hash;
            let bytes = encode_v0(&v).unwrap_or_else(|e| panic!("{e}"));
            events
                .insert(seq.to_be_bytes(), bytes)
                .unwrap_or_else(|e| panic!("{e}"));
            let mut ik = vec![0u8, 7];
            ik.extend_from_slice(b"old-run");
            ik.extend_from_slice(&seq.to_be_bytes());
            index.insert(ik, &[][..]).unwrap_or_else(|e| panic!("{e}"));
        }
        runs.insert("old-run", &0u64.to_be_bytes()[..])
            .unwrap_or_else(|e| panic!("{e}"));
        db.flush().unwrap_or_else(|e| panic!("{e}"));
    }
    let l = open(&dir);
    let r = l
        .append(EventKind::Timings, "old-run", Some("ep-1"), T0, &note(2))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.seq, r.prev_hash), (2, prev));
    let events = all(&l);
    assert_eq!(
        events.iter().map(|e| e.schema).collect::<Vec<_>>(),
        [0, 0, 1]
    );
    assert_eq!(events[0].episode_id, None);
    assert_eq!(events[0].payload, br#"{"old":0}"#);
    let report = l.verify().unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.runs[0].events, 3);
}

/// What the model test appended, and whether it is known to be durable.
#[derive(Debug, Clone, PartialEq)]
struct RefEvent {
    kind: EventKind,
    run_id: String,
    episode_id: Option<String>,
    payload: Vec<u8>,
}

#[test]
fn model_random_appends_flushes_and_restarts() {
    for case in 0..12u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(0x1ed6e7 ^ case);
        let t = TestDir::new();
        let dir = ledger_dir(&t);
        let mut l = Some(open(&dir));
        let mut reference: Vec<RefEvent> = Vec::new();
        let mut flushed = 0usize;
        for step in 0..120 {
            let ledger = l.get_or_insert_with(|| open(&dir));
            match rng.gen_range(0..100) {
                0..=69 => {
                    let kind = EventKind::ALL[rng.gen_range(0..EventKind::ALL.len())];
                    if kind == EventKind::RunFinished {
                        continue; // its payload is checked against the run root
                    }
                    let run_id = format!("run-{}", rng.gen_range(0..3));
                    let episode_id = rng
                        .gen_bool(0.7)
                        .then(|| format!("ep-{}", rng.gen_range(0..5)));
                    let len = rng.gen_range(0..300);
                    let text: String = (0..len).map(|_| rng.gen_range('a'..='z')).collect();
                    let value = Note { n: step, text };
                    let rec = ledger
                        .append(kind, &run_id, episode_id.as_deref(), T0, &value)
                        .unwrap_or_else(|e| panic!("case {case} step {step}: {e}"));
                    assert_eq!(rec.seq as usize, reference.len());
                    reference.push(RefEvent {
                        kind,
                        run_id,
                        episode_id,
                        payload: serde_json::to_vec(&value).unwrap_or_default(),
                    });
                }
                70..=79 => {
                    ledger.flush().unwrap_or_else(|e| panic!("{e}"));
                    flushed = reference.len();
                }
                80..=89 => {
                    let stored = all(ledger);
                    assert_eq!(stored.len(), reference.len());
                    let i = rng.gen_range(0..=stored.len());
                    if let (Some(s), Some(r)) = (stored.get(i), reference.get(i)) {
                        assert_eq!(
                            (s.kind, &s.run_id, &s.episode_id, &s.payload),
                            (r.kind, &r.run_id, &r.episode_id, &r.payload)
                        );
                    }
                }
                _ => {
                    l = None; // drop: a restart
                    let ledger = l.get_or_insert_with(|| open(&dir));
                    let stored = all(ledger);
                    assert!(
                        stored.len() >= flushed && stored.len() <= reference.len(),
                        "case {case} step {step}: {} stored, {flushed} flushed, {} appended",
                        stored.len(),
                        reference.len()
                    );
                    reference.truncate(stored.len());
                    for (s, r) in stored.iter().zip(&reference) {
                        assert_eq!(
                            (s.kind, &s.run_id, &s.episode_id, &s.payload),
                            (r.kind, &r.run_id, &r.episode_id, &r.payload),
                            "case {case} seq {}",
                            s.seq
                        );
                    }
                    let report = ledger.verify().unwrap_or_else(|e| panic!("{e}"));
                    assert!(report.is_ok(), "case {case} step {step}: {report:?}");
                    assert_eq!(report.events as usize, reference.len());
                    for run in ledger.runs().unwrap_or_default() {
                        let hashes: Vec<Hash> = stored
                            .iter()
                            .filter(|e| e.run_id == run)
                            .map(|e| e.hash)
                            .collect();
                        assert_eq!(ledger.run_root(&run).ok(), Some(merkle_root(&hashes)));
                    }
                    flushed = flushed.min(reference.len());
                }
            }
        }
    }
}

const CRASH_DIR_VAR: &str = "TRACKA_TEST_LEDGER_CRASH_DIR";

/// Child half of `crash_after_unflushed_appends_recovers_a_verified_prefix`: appends,
/// flushes, appends more and aborts without flushing or dropping.
#[test]
#[ignore = "not a test on its own: the child process that crash_after_unflushed_appends_recovers_a_verified_prefix starts and aborts (3 times in every CI run)"]
fn crash_child() {
    let Some(dir) = std::env::var_os(CRASH_DIR_VAR) else {
        return;
    };
    let l = open(Path::new(&dir));
    let start = l.next_seq();
    append_notes(&l, "crash", start..start + 40);
    l.flush().unwrap_or_else(|e| panic!("{e}"));
    append_notes(&l, "crash", start + 40..start + 400);
    std::process::abort();
}

#[test]
fn crash_after_unflushed_appends_recovers_a_verified_prefix() {
    let t = TestDir::new();
    let dir = ledger_dir(&t);
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let mut durable = 0u64;
    for round in 0..3 {
        let status = std::process::Command::new(&exe)
            .args([
                "--exact",
                "ledger::crash_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CRASH_DIR_VAR, &dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("spawn child: {e}"));
        assert!(!status.success(), "round {round}: the child aborts");
        durable += 40;
        let l = open(&dir); // verifies the tail
        let events = all(&l);
        assert!(
            events.len() as u64 >= durable,
            "round {round}: {} < {durable}",
            events.len()
        );
        for (i, e) in events.iter().enumerate() {
            assert_eq!(e.seq, i as u64);
        }
        let report = l.verify().unwrap_or_else(|e| panic!("{e}"));
        assert!(report.is_ok(), "round {round}: {report:?}");
        durable = events.len() as u64;
    }
}

#[test]
fn append_stored_returns_exactly_what_is_read_back() {
    let t = TestDir::new();
    let l = open(&ledger_dir(&t));
    for n in 0..5u64 {
        let ep = format!("ep-{n}");
        let episode = (n % 2 == 0).then_some(ep.as_str());
        let ev = l
            .append_stored(EventKind::Proposal, "run-s", episode, T0, &note(n))
            .unwrap();
        assert_eq!(Some(ev.clone()), l.get(ev.seq).unwrap(), "seq {n}");
        assert_eq!(ev.decode::<Note>().unwrap(), note(n));
    }
    drop(l);
    // and after a restart
    let l = open(&ledger_dir(&t));
    l.verify().unwrap();
    assert_eq!(all(&l).len(), 5);
}
