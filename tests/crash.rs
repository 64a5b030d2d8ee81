//! kill -9 rounds: a child campaign is killed at random points; the next start must
//! close what was interrupted, lose nothing that was flushed, and leave a ledger and
//! files that audit clean. `TRACKA_KILL_ROUNDS` sets the number of rounds (CI: 20) and
//! `TRACKA_KILL_SEED` the seed of the kill delays.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::campaign::{campaign, check_episode_invariants, episodes, text, FAST};
use crate::util::TestDir;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every episode whose five files are all on disk, with its outcome file's bytes.
fn complete_episodes(data: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let Ok(runs) = fs::read_dir(data.join("runs")) else {
        return out;
    };
    for run in runs.filter_map(Result::ok) {
        for ep in episodes(&run.path()) {
            let files = [
                "proposal.json",
                "metadata.json",
                "timings.json",
                "logs.jsonl",
            ];
            if !files.iter().all(|f| ep.join(f).is_file()) {
                continue;
            }
            let outcome = ["result.json", "failure.json"]
                .iter()
                .find_map(|f| fs::read(ep.join(f)).ok());
            if let Some(bytes) = outcome {
                out.insert(ep.display().to_string(), bytes);
            }
        }
    }
    out
}

#[test]
fn kill_9_at_random_points_loses_nothing_flushed() {
    let rounds = env_u64("TRACKA_KILL_ROUNDS", 20);
    let seed = env_u64("TRACKA_KILL_SEED", 20261129);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let t = TestDir::new();
    let data = t.path().join("data");
    let mut aborted_seen = 0;
    for round in 0..rounds {
        let delay = rng.gen_range(30..700u64);
        let mut child = t
            .cmd()
            .args(["campaign", "--episodes", "1000000", "--seed"])
            .arg(round.to_string())
            .args(FAST)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn campaign");
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().expect("SIGKILL"); // SIGKILL on Unix
        let _ = child.wait();
        let before = complete_episodes(&data);

        // The next start recovers, then runs its own episode.
        let out = campaign(&t, &[], &["--episodes", "1", "--seed", "999"]);
        assert!(
            out.status.success(),
            "round {round} (seed {seed}, delay {delay} ms): {}",
            text(&out)
        );
        if text(&out).contains("Closed interrupted episode") {
            aborted_seen += 1;
        }
        // Nothing that was on disk (hence flushed) changed or vanished.
        let after = complete_episodes(&data);
        for (ep, bytes) in &before {
            assert_eq!(
                after.get(ep),
                Some(bytes),
                "round {round}: {ep} changed or vanished"
            );
        }
        let audit = t.run(&["audit"]);
        assert_eq!(
            audit.status.code(),
            Some(0),
            "round {round} (seed {seed}): {}",
            text(&audit)
        );
        let replay = t.run(&["replay"]);
        assert_eq!(
            replay.status.code(),
            Some(0),
            "round {round}: {}",
            text(&replay)
        );
    }
    // Every episode of every run keeps the runbook's invariants; interrupted runs are
    // closed, and their aborted episodes have a failure.json saying so.
    let out = t.run(&["runs", "--json"]);
    let runs: Vec<Value> = serde_json::from_slice(&out.stdout).expect("runs --json");
    // every round's recovering campaign is a run; a child killed before its first event
    // left none
    let n = runs.len() as u64;
    assert!(
        (rounds..=2 * rounds).contains(&n),
        "{n} runs after {rounds} rounds"
    );
    let mut aborted_files = 0;
    for r in &runs {
        let status = r["status"].as_str().unwrap_or_default();
        assert!(status == "complete" || status == "interrupted", "{r}");
        assert!(r["aborted"].as_u64().unwrap_or(9) <= 1, "{r}");
        let run_dir = data
            .join("runs")
            .join(r["run_id"].as_str().unwrap_or_default());
        assert!(
            run_dir.join("manifest.json").is_file(),
            "{}",
            run_dir.display()
        );
        for ep in episodes(&run_dir) {
            if check_episode_invariants(&ep) == "failure" {
                // an aborted episode has no result.json
                assert!(!ep.join("result.json").exists(), "{}", ep.display());
                let f: Value =
                    serde_json::from_slice(&fs::read(ep.join("failure.json")).unwrap()).unwrap();
                if f["status"] == "aborted" {
                    aborted_files += 1;
                }
            }
        }
    }
    assert_eq!(
        aborted_files, aborted_seen,
        "aborted episodes vs failure.json files"
    );
    eprintln!("{rounds} kill rounds (seed {seed}): {aborted_seen} interrupted episodes closed");
}
