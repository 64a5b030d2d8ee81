//! `tracka export`: regenerates a run's files from the ledger into a directory.

use std::path::PathBuf;

use clap::Args;

use super::common::{exit_for, open_for};
use super::exit;
use crate::campaign::export::export;

/// Arguments of `tracka export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The run to export.
    #[arg(long, value_name = "RUN_ID")]
    pub run: String,
    /// Directory to write into (created; existing files must match byte for byte).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Data directory [env: TRACKA_DATA_DIR, default ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

pub fn run(args: ExportArgs) -> anyhow::Result<i32> {
    let (_, ledger) = match open_for(args.data_dir, Some(&args.run)) {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    match export(&ledger, &args.run, &args.out) {
        Ok(n) => {
            println!(
                "exported {n} files of {} to {}",
                args.run,
                args.out.display()
            );
            Ok(exit::OK)
        }
        Err(e) => exit_for(e),
    }
}
