//! Pieces shared by the subcommands that read a data directory.

use std::path::{Path, PathBuf};

use crate::campaign::ids::is_valid_run_id;
use crate::ledger::{Ledger, LedgerError, LedgerOptions};

/// sled's page cache for the read-only tools: replay and audit read the whole ledger, so
/// a cache that holds it avoids rebuilding pages (sled allocates up to this, as needed).
const READ_CACHE_BYTES: u64 = 512 * 1024 * 1024;

/// The data directory: the flag, else `TRACKA_DATA_DIR`, else `./data`.
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| {
        std::env::var_os("TRACKA_DATA_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
    .unwrap_or_else(|| PathBuf::from("data"))
}

/// Opens the ledger under `data_dir` for reading, with an error message a user can act on.
pub fn open_ledger(data_dir: &Path) -> Result<Ledger, String> {
    let options = LedgerOptions {
        cache_capacity_bytes: READ_CACHE_BYTES,
    };
    Ledger::open_read_only_with(&data_dir.join("ledger"), options).map_err(|e| match e {
        LedgerError::NotFound { .. } => format!(
            "no ledger under {}: run `tracka campaign` first or pass --data-dir",
            data_dir.display()
        ),
        other => other.to_string(),
    })
}

/// Checks a `--run` value.
pub fn check_run_id(id: &str) -> Result<(), String> {
    if is_valid_run_id(id) {
        Ok(())
    } else {
        Err(format!(
            "--run {id:?}: not a run id (expected run_YYYYMMDD_HHMMSS[_N])"
        ))
    }
}

/// The common start of the read-only subcommands: checks `--run`, resolves the data
/// directory and opens its ledger. On failure prints the error and returns the usage
/// exit code.
pub fn open_for(
    data_dir_flag: Option<PathBuf>,
    run: Option<&str>,
) -> Result<(PathBuf, Ledger), i32> {
    let fail = |e: String| {
        eprintln!("error: {e}");
        super::exit::USAGE
    };
    if let Some(id) = run {
        check_run_id(id).map_err(fail)?;
    }
    let dir = data_dir(data_dir_flag);
    let ledger = open_ledger(&dir).map_err(fail)?;
    Ok((dir, ledger))
}

/// Maps a campaign error to the exit: bad usage prints its message and gives the usage
/// code; anything else is an error of the binary.
pub fn exit_for(e: crate::campaign::CampaignError) -> anyhow::Result<i32> {
    match e {
        crate::campaign::CampaignError::Usage(msg) => {
            eprintln!("error: {msg}");
            Ok(super::exit::USAGE)
        }
        other => Err(other.into()),
    }
}
