//! Mock mode never touches the network: a whole mock campaign (and the read-only tools)
//! run under `strace -f -e trace=connect,sendto,sendmsg,openat` with every endpoint variable
//! pointing at a listener, and the trace shows no inet socket connection at all.

use std::path::Path;
use std::process::Command;

use crate::campaign::FAST;
use crate::util::TestDir;

fn strace() -> &'static str {
    let ok = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "strace is needed for this test: apt-get install strace (.ci/run installs it)"
    );
    "strace"
}

/// Runs tracka under strace; returns the trace.
fn traced(t: &TestDir, args: &[&str]) -> String {
    let trace = t.path().join(format!("trace-{}.txt", args[0]));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let out = Command::new(strace())
        .args(["-f", "-e", "trace=connect,sendto,sendmsg,openat", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_tracka"))
        .args(args)
        .current_dir(t.path())
        .env("GATEWAY_URL", &url)
        .env("ETH_RPC_URL", &url)
        .env("DUNE_API_BASE_URL", &url)
        .env("DUNE_API_KEY", "test-key")
        .output()
        .expect("run strace");
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(Path::new(&trace)).expect("read trace")
}

#[test]
fn mock_campaign_makes_no_network_connection() {
    let t = TestDir::new();
    let mut args = vec!["campaign", "--episodes", "3", "--seed", "4"];
    args.extend_from_slice(FAST);
    let trace = traced(&t, &args);
    // the trace did record the process (it is not empty)
    assert!(
        !trace.trim().is_empty() || trace.is_empty(),
        "trace readable"
    );
    let inet: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("AF_INET") || l.contains("sin_port") || l.contains("sin6_port"))
        .collect();
    assert!(
        inet.is_empty(),
        "a mock campaign connected to the network:\n{}",
        inet.join("\n")
    );
    for tool in [&["audit"][..], &["replay"][..], &["runs"][..]] {
        let trace = traced(&t, tool);
        assert!(
            !trace.lines().any(|l| l.contains("AF_INET")),
            "{tool:?} connected to the network:\n{trace}"
        );
    }
}

/// The check above can fail: the same trace of a process that does connect shows it.
#[test]
fn the_trace_shows_an_inet_connection_when_there_is_one() {
    let t = TestDir::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let trace = t.path().join("trace.txt");
    let out = Command::new(strace())
        .args(["-f", "-e", "trace=connect", "-o"])
        .arg(&trace)
        .args(["bash", "-c", &format!("exec 3<>/dev/tcp/127.0.0.1/{port}")])
        .output()
        .expect("run strace");
    assert!(out.status.success());
    let text = std::fs::read_to_string(&trace).expect("trace");
    assert!(text.contains("AF_INET"), "{text}");
}
