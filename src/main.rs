//! The `tracka` binary: parses arguments and maps errors to exit codes.

use clap::Parser;

fn main() {
    let cli = tracka::cli::Cli::parse();
    let code = match tracka::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            tracka::cli::exit::FAILED
        }
    };
    std::process::exit(code);
}
