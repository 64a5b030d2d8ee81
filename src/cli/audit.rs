//! `tracka audit`: verifies the ledger and every file of every run (or one run).

use std::path::PathBuf;

use clap::Args;

use super::common::{exit_for, open_for};
use super::exit;
use crate::campaign::audit::audit;

/// Arguments of `tracka audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this run's files (the whole ledger is verified regardless).
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// Data directory [env: TRACKA_DATA_DIR, default ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Exit 0 when everything verifies, 1 when anything does not, 2 on bad input.
pub fn run(args: AuditArgs) -> anyhow::Result<i32> {
    let (dir, ledger) = match open_for(args.data_dir, args.run.as_deref()) {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let report = match audit(&ledger, &dir, args.run.as_deref()) {
        Ok(r) => r,
        Err(e) => return exit_for(e),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        match &report.ledger_error {
            None => println!(
                "ledger: {} events verified (hashes, chain, run roots)",
                report.events_verified
            ),
            Some(e) => println!(
                "ledger: FAILED after {} good events: {e}",
                report.events_verified
            ),
        }
        if let Some(p) = &report.index_problem {
            println!("ledger index: FAILED: {p}");
        }
        for r in &report.runs {
            let status = if r.is_ok() { "ok" } else { "FAILED" };
            println!("{}: {} files checked, {status}", r.run_id, r.files_checked);
            for (label, paths) in [
                ("missing", &r.missing),
                ("modified", &r.modified),
                ("unexpected", &r.unexpected),
                ("projection mismatch", &r.projection_mismatch),
            ] {
                for p in paths {
                    println!("  {label}: {p}");
                }
            }
        }
        println!(
            "{}",
            if report.ok {
                "audit: OK"
            } else {
                "audit: FAILED"
            }
        );
    }
    Ok(if report.ok { exit::OK } else { exit::FAILED })
}
