//! Helpers shared by the integration tests.
#![allow(dead_code)] // not every test binary module uses every helper

use std::path::PathBuf;
use std::process::{Command, Output};

/// A test's own directory and a way to run the `tracka` binary inside it.
pub struct TestDir {
    pub dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("create temp dir"),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// A `tracka` command with the test's directory as working directory and a
    /// clean environment (no inherited tracka variables).
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tracka"));
        cmd.current_dir(self.dir.path());
        for (k, _) in std::env::vars() {
            if is_tracka_var(&k) {
                cmd.env_remove(k);
            }
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run tracka")
    }
}

fn is_tracka_var(k: &str) -> bool {
    const VARS: &[&str] = &[
        "HB_ENV",
        "MOCK_CLMM",
        "EXEC_MODE",
        "LEARN_FROM_MOCK",
        "INTEL_DATA_SOURCE",
        "HB_SEED",
        "EPISODES",
        "TRACKA_DATA_DIR",
        "DUNE_API_KEY",
        "GATEWAY_URL",
        "I_UNDERSTAND_LIVE_RISK",
        "ETH_RPC_URL",
        "TRACKA_NETWORK",
        "TRACKA_NETWORKS",
        "GATEWAY_WALLET",
    ];
    VARS.contains(&k)
}
