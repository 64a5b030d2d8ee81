//! The mock campaign end to end through the binary: the runbook's CI checks, the
//! artifact contract, reproducibility, audit, replay, export and bad input.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::TestDir;

/// Small markets keep debug-build episodes quick.
pub const FAST: &[&str] = &["--warmup-minutes", "60", "--hold-minutes", "120"];

/// `tracka campaign` with the FAST market flags, `args` and `env` (not yet run).
pub fn campaign_cmd(t: &TestDir, env: &[(&str, &str)], args: &[&str]) -> std::process::Command {
    let mut cmd = t.cmd();
    cmd.arg("campaign").args(FAST).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

pub fn campaign(t: &TestDir, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    campaign_cmd(t, env, args)
        .output()
        .expect("run tracka campaign")
}

pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The runbook's artifact discovery: the latest run directory and its episodes.
pub fn latest_run(data: &Path) -> PathBuf {
    let mut runs: Vec<PathBuf> = fs::read_dir(data.join("runs"))
        .expect("runs dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("run_"))
        })
        .collect();
    runs.sort();
    runs.pop().expect("at least one run")
}

pub fn episodes(run: &Path) -> Vec<PathBuf> {
    let mut eps: Vec<PathBuf> = fs::read_dir(run.join("episodes"))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    eps.sort();
    eps
}

pub fn json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The runbook's invariants for one episode directory; returns "result" or "failure".
pub fn check_episode_invariants(ep: &Path) -> &'static str {
    assert!(
        ep.join("proposal.json").is_file(),
        "{}: proposal.json missing",
        ep.display()
    );
    let meta = json(&ep.join("metadata.json"));
    for field in ["episode_id", "run_id", "exec_mode"] {
        assert!(
            meta[field].is_string(),
            "metadata.{field} in {}",
            ep.display()
        );
    }
    let extra = &meta["extra"];
    assert!(extra["intel_snapshot"].is_object(), "intel_snapshot");
    assert!(extra["intel_inputs"].is_object(), "intel_inputs");
    let h = &extra["intel_hygiene"];
    for field in ["total_queries", "fresh", "stale", "missing_or_too_old"] {
        assert!(h[field].is_u64(), "intel_hygiene.{field}: {h}");
    }
    assert!(
        h["fresh_pct"].is_f64() || h["fresh_pct"].is_u64(),
        "fresh_pct: {h}"
    );
    let has_result = ep.join("result.json").is_file();
    let has_failure = ep.join("failure.json").is_file();
    assert!(
        has_result || has_failure,
        "{}: neither result nor failure",
        ep.display()
    );
    if has_result {
        "result"
    } else {
        "failure"
    }
}

/// The runbook's quick-start single episode, and its seven CI checks.
#[test]
fn runbook_ci_checks_on_a_deterministic_mock_episode() {
    let t = TestDir::new();
    let env = [
        ("HB_ENV", "mock"),
        ("MOCK_CLMM", "true"),
        ("EXEC_MODE", "mock"),
        ("LEARN_FROM_MOCK", "false"),
        ("INTEL_DATA_SOURCE", "mock"),
        ("HB_SEED", "12345"),
        ("EPISODES", "1"),
    ];
    let out = campaign(&t, &env, &[]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    for line in [
        "RUN_ID: run_",
        "EPISODE_ID: ep_",
        "Using MOCK data",
        "✅ Episode complete in",
        "Campaign Complete!",
        "Run directory: ",
    ] {
        assert!(
            all.contains(line),
            "missing console line {line:?} in:\n{all}"
        );
    }
    // 7. artifact discovery
    let run = latest_run(&t.path().join("data"));
    assert!(run.join("campaign.log").is_file());
    let eps = episodes(&run);
    assert_eq!(eps.len(), 1);
    let ep = &eps[0];
    let name = ep.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("ep_") && name.ends_with("_1"), "{name}");
    // 1-3. proposal, metadata, result or failure
    assert_eq!(check_episode_invariants(ep), "result");
    // 4-6. intel snapshot present, hygiene present, snapshot structure
    let meta = json(&ep.join("metadata.json"));
    assert_eq!(meta["exec_mode"], "mock");
    let snapshot = meta["extra"]["intel_snapshot"]
        .as_object()
        .expect("snapshot object");
    assert!(!snapshot.is_empty());
    for (key, entry) in snapshot {
        let q = entry["quality"].as_str().unwrap_or_default();
        assert!(
            ["fresh", "stale", "too_old", "missing"].contains(&q),
            "{key}: {entry}"
        );
        assert!(
            entry.get("age_s").is_some() && entry.get("asof").is_some(),
            "{key}: {entry}"
        );
    }
    // cold cache: the runbook's CI expectation
    let h = &meta["extra"]["intel_hygiene"];
    assert_eq!(h["fresh"], 0);
    assert_eq!(h["missing_or_too_old"], h["total_queries"]);
    assert_eq!(h["total_queries"].as_u64(), Some(snapshot.len() as u64));
    // files are read-only
    assert!(fs::metadata(ep.join("result.json"))
        .unwrap()
        .permissions()
        .readonly());
}

fn reproducible_files(run: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for (i, ep) in episodes(run).iter().enumerate() {
        for f in [
            "proposal.json",
            "metadata.json",
            "result.json",
            "failure.json",
        ] {
            if let Ok(bytes) = fs::read(ep.join(f)) {
                out.insert(format!("{i}/{f}"), bytes);
            }
        }
    }
    out
}

fn manifest(run: &Path) -> Value {
    json(&run.join("manifest.json"))
}

#[test]
fn same_seed_and_fixed_clock_reproduce_files_and_digest() {
    let (a, b) = (TestDir::new(), TestDir::new());
    let args = [
        "--fixed-clock",
        "2025-12-12T13:17:14Z",
        "--seed",
        "7",
        "--episodes",
        "3",
        "--learn-from-mock",
        "true",
    ];
    for t in [&a, &b] {
        let out = campaign(t, &[], &args);
        assert!(out.status.success(), "{}", text(&out));
    }
    let (ra, rb) = (
        latest_run(&a.path().join("data")),
        latest_run(&b.path().join("data")),
    );
    assert_eq!(ra.file_name(), rb.file_name());
    assert_eq!(
        ra.file_name().unwrap().to_string_lossy(),
        "run_20251212_131714"
    );
    let (fa, fb) = (reproducible_files(&ra), reproducible_files(&rb));
    assert_eq!(fa.len(), 9);
    for (k, v) in &fa {
        assert!(fb.get(k) == Some(v), "{k} differs between the two runs");
    }
    let (ma, mb) = (manifest(&ra), manifest(&rb));
    assert_eq!(ma["digest"], mb["digest"]);
    assert_eq!(ma["learning_state_hash"], mb["learning_state_hash"]);
    // a different seed gives a different digest (the digest is not constant)
    let c = TestDir::new();
    let out = campaign(
        &c,
        &[],
        &[
            "--fixed-clock",
            "2025-12-12T13:17:14Z",
            "--seed",
            "8",
            "--episodes",
            "3",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_ne!(
        manifest(&latest_run(&c.path().join("data")))["digest"],
        ma["digest"]
    );
}

#[test]
fn bad_environment_exits_2_naming_the_variable_and_writes_nothing() {
    for (var, value) in [
        ("EPISODES", "abc"),
        ("HB_ENV", "prod"),
        ("HB_SEED", "-3"),
        ("MOCK_CLMM", "perhaps"),
    ] {
        let t = TestDir::new();
        let out = campaign(&t, &[(var, value)], &[]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {all}");
        assert!(
            all.contains(var),
            "{var}={value}: message does not name it: {all}"
        );
        assert!(
            all.contains(value),
            "{var}={value}: message does not show the value: {all}"
        );
        assert!(
            !t.path().join("data").exists(),
            "{var}={value}: something was written"
        );
    }
    // flags are checked the same way
    let t = TestDir::new();
    let out = campaign(&t, &[], &["--policy", "nonsense"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--policy"), "{}", text(&out));
    assert!(!t.path().join("data").exists());
}

#[test]
fn audit_catches_flipped_byte_deleted_file_added_file_and_edited_ledger() {
    let t = TestDir::new();
    let out = campaign(&t, &[], &["--seed", "3", "--episodes", "2"]);
    assert!(out.status.success(), "{}", text(&out));
    let ok = t.run(&["audit"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let run = latest_run(&t.path().join("data"));
    let eps = episodes(&run);
    let rel = |p: &Path| {
        p.strip_prefix(t.path().join("data"))
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };

    // flipped byte
    let target = eps[0].join("result.json");
    let mut bytes = fs::read(&target).unwrap();
    bytes[5] ^= 0x01;
    let mut perms = fs::metadata(&target).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    fs::set_permissions(&target, perms).unwrap();
    fs::write(&target, &bytes).unwrap();
    // deleted file
    let deleted = eps[1].join("metadata.json");
    fs::remove_file(&deleted).unwrap();
    // added file
    let added = run.join("notes.txt");
    fs::write(&added, b"hello").unwrap();

    let out = t.run(&["audit", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &report["runs"][0];
    assert_eq!(r["modified"], serde_json::json!([rel(&target)]));
    assert_eq!(r["missing"], serde_json::json!([rel(&deleted)]));
    assert_eq!(r["unexpected"], serde_json::json!([rel(&added)]));
    assert!(report["ledger_error"].is_null());

    // an edited ledger value
    let t2 = TestDir::new();
    let out = campaign(&t2, &[], &["--seed", "3", "--episodes", "1"]);
    assert!(out.status.success(), "{}", text(&out));
    {
        let db = sled::open(t2.path().join("data/ledger")).expect("open sled");
        let events = db.open_tree("events").unwrap();
        let key = 3u64.to_be_bytes();
        let mut value = events.get(key).unwrap().expect("seq 3").to_vec();
        let i = value.len() / 2;
        value[i] ^= 0x20;
        events.insert(key, value).unwrap();
        db.flush().unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = t2.run(&["audit"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("seq 3"), "{}", text(&out));
}

#[test]
fn replay_equals_live_learning_state_and_export_reproduces_files() {
    let t = TestDir::new();
    let out = campaign(
        &t,
        &[("LEARN_FROM_MOCK", "true")],
        &["--seed", "11", "--episodes", "4"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let run = latest_run(&t.path().join("data"));
    let m = manifest(&run);
    let live = m["learning_state_hash"].as_str().unwrap().to_string();

    let out = t.run(&["replay", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["learning_state_hash"], live.as_str());
    assert_eq!(r["learning_updates"], 4);
    assert!(r["divergence"].is_null());

    let run_id = run.file_name().unwrap().to_string_lossy().into_owned();
    let dest = t.path().join("export");
    let out = t.run(&["export", "--run", &run_id, "--out", dest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut compared = 0;
    for ep in episodes(&run) {
        for f in fs::read_dir(&ep).unwrap() {
            let f = f.unwrap().path();
            let name = f.strip_prefix(&run).unwrap();
            assert_eq!(
                fs::read(&f).unwrap(),
                fs::read(dest.join(name)).unwrap(),
                "{}",
                name.display()
            );
            compared += 1;
        }
    }
    for f in ["campaign.log", "manifest.json"] {
        assert_eq!(
            fs::read(run.join(f)).unwrap(),
            fs::read(dest.join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(compared, 4 * 5);
}

#[test]
fn replay_names_the_first_divergent_event() {
    let t = TestDir::new();
    let out = campaign(
        &t,
        &[("LEARN_FROM_MOCK", "true")],
        &["--seed", "5", "--episodes", "2"],
    );
    assert!(out.status.success(), "{}", text(&out));
    // Rewrite a learning.applied payload's recorded hash consistently (re-hashing the
    // chain is what an attacker would have to do; replay must still catch it).
    let dir = t.path().join("data/ledger");
    let ledger = tracka::ledger::Ledger::open(&dir).unwrap();
    let events: Vec<_> = ledger.iter().map(|e| e.unwrap()).collect();
    drop(ledger);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let target = events
        .iter()
        .find(|e| e.kind == tracka::ledger::EventKind::LearningApplied)
        .expect("a learning.applied event");
    // build a fresh ledger with the same events but one altered recorded hash
    let forged_dir = t.path().join("forged/ledger");
    let forged = tracka::ledger::Ledger::open(&forged_dir).unwrap();
    for e in &events {
        let mut payload = e.payload.clone();
        if e.seq == target.seq {
            let mut v: Value = serde_json::from_slice(&payload).unwrap();
            v["state_hash_after"] = Value::from("00".repeat(32));
            payload = tracka::ledger::canonical_json(&v).unwrap();
        }
        if e.kind == tracka::ledger::EventKind::RunFinished {
            // a consistent forger also re-roots the run
            let mut v: Value = serde_json::from_slice(&payload).unwrap();
            let root = forged.run_finished_payload(&e.run_id).unwrap();
            v["merkle_root"] = Value::from(root.merkle_root.to_hex());
            v["event_count"] = Value::from(root.event_count);
            payload = tracka::ledger::canonical_json(&v).unwrap();
        }
        forged
            .append_raw(
                e.kind,
                &e.run_id,
                e.episode_id.as_deref(),
                &e.recorded_at,
                payload,
            )
            .unwrap();
    }
    forged.flush().unwrap();
    drop(forged);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = t.run(&["replay", "--data-dir", "forged"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("DIVERGENCE at seq {}", target.seq)),
        "{}",
        text(&out)
    );
}

#[test]
fn second_writer_gets_ledger_in_use() {
    let t = TestDir::new();
    let mut child = t
        .cmd()
        .args(["campaign", "--episodes", "100000"])
        .args(FAST)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn campaign");
    let runs = t.path().join("data/runs");
    let start = std::time::Instant::now();
    while !runs.exists() && start.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = campaign(&t, &[], &["--episodes", "1"]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("ledger in use"), "{}", text(&out));
}

#[test]
fn start_training_campaign_script_takes_the_runbook_environment() {
    let t = TestDir::new();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/start_training_campaign.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .args(FAST)
        .args(["--data-dir", t.path().join("data").to_str().unwrap()])
        .env("TRACKA_BIN", env!("CARGO_BIN_EXE_tracka"))
        .env("HB_ENV", "mock")
        .env("MOCK_CLMM", "true")
        .env("EXEC_MODE", "mock")
        .env("LEARN_FROM_MOCK", "false")
        .env("INTEL_DATA_SOURCE", "mock")
        .env("HB_SEED", "12345")
        .env("EPISODES", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let run = latest_run(&t.path().join("data"));
    assert_eq!(episodes(&run).len(), 1);
    check_episode_invariants(&episodes(&run)[0]);
}
