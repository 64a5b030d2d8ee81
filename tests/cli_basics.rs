//! The binary starts, prints its version and rejects unknown commands with exit 2.

use crate::util::TestDir;

#[test]
fn version_prints_crate_version() {
    let t = TestDir::new();
    let out = t.run(&["version"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(env!("CARGO_PKG_VERSION")), "{stdout}");
}

#[test]
fn unknown_subcommand_is_usage_error() {
    let t = TestDir::new();
    let out = t.run(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2));
}
