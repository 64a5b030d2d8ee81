//! The Dune client against the local stand-in: pagination by next_uri, every execution
//! state, every documented error status, 429 + Retry-After, 5xx retries, timeouts on
//! slow and hanging responses, malformed JSON, and the key kept out of every error.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use tracka::intel::dune::{ApiKey, DuneClient, DuneConfig, DuneError, ExecutionState, RetryPolicy};

use crate::intel_standin::{Behavior, StandIn, KEY};

fn client(s: &StandIn) -> DuneClient {
    client_with(s, |_| {})
}

fn client_with(s: &StandIn, f: impl FnOnce(&mut DuneConfig)) -> DuneClient {
    let mut cfg = DuneConfig {
        base_url: s.base_url.clone(),
        request_timeout: Duration::from_millis(500),
        connect_timeout: Duration::from_millis(500),
        poll_interval: Duration::from_millis(5),
        max_wait: Duration::from_secs(5),
        page_limit: 3,
        max_pages: 100,
        retry: RetryPolicy {
            max_tries: 3,
            base: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(5),
        },
        ..DuneConfig::default()
    };
    f(&mut cfg);
    DuneClient::new(cfg, ApiKey::new(KEY).unwrap()).unwrap()
}

fn params() -> BTreeMap<String, String> {
    BTreeMap::from([("pool_address".to_string(), "0xabc".to_string())])
}

fn assert_key_hidden(e: &DuneError) {
    let texts = [format!("{e}"), format!("{e:?}")];
    for t in texts {
        assert!(!t.contains(KEY), "key leaked: {t}");
    }
}

#[tokio::test]
async fn run_query_polls_then_pages_by_next_uri() {
    let s = StandIn::start();
    let c = client(&s);
    let set = c.run_query(11, &params()).await.unwrap();
    assert_eq!(set.state, ExecutionState::Completed);
    assert_eq!(set.rows.len(), 7);
    assert_eq!(set.pages, 3);
    let rows: Vec<i64> = set
        .rows
        .iter()
        .map(|r| r["row"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, vec![0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(set.rows[0]["params"], json!({"pool_address": "0xabc"}));
    assert_eq!(set.query_id, Some(11));
    let hits = s.hits();
    let statuses = hits.iter().filter(|h| h.path.ends_with("/status")).count();
    assert_eq!(statuses, 3, "PENDING, EXECUTING, COMPLETED");
    let offsets: Vec<_> = hits
        .iter()
        .filter(|h| h.path.ends_with("/results"))
        .map(|h| h.query.get("offset").cloned().unwrap_or_default())
        .collect();
    assert_eq!(offsets, vec!["", "3", "6"]);
    assert!(hits.iter().all(|h| h.key.as_deref() == Some(KEY)));
}

#[tokio::test]
async fn latest_results_page_too() {
    let s = StandIn::start();
    let set = client(&s).latest_results(12).await.unwrap();
    assert_eq!(set.rows.len(), 7);
    assert_eq!(set.pages, 3);
    assert!(s.hits().iter().all(|h| !h.path.contains("execute")));
}

#[tokio::test]
async fn every_terminal_state() {
    let s = StandIn::start();
    let c = client(&s);
    let cases: [(&str, u64); 6] = [
        ("QUERY_STATE_COMPLETED", 20),
        ("QUERY_STATE_COMPLETED_PARTIAL", 21),
        ("QUERY_STATE_FAILED", 22),
        ("QUERY_STATE_CANCELED", 23),
        ("QUERY_STATE_CANCELLED", 24),
        ("QUERY_STATE_EXPIRED", 25),
    ];
    for (state, q) in cases {
        s.set(
            q,
            Behavior {
                final_state: state,
                rows: 8,
                ..Behavior::default()
            },
        );
        let r = c.run_query(q, &params()).await;
        match (state, r) {
            ("QUERY_STATE_COMPLETED", Ok(set)) => assert_eq!(set.rows.len(), 8),
            ("QUERY_STATE_COMPLETED_PARTIAL", Ok(set)) => {
                assert_eq!(set.state, ExecutionState::CompletedPartial);
                assert_eq!(set.rows.len(), 4);
            }
            ("QUERY_STATE_FAILED", Err(DuneError::ExecutionFailed { kind, message, .. })) => {
                assert_eq!(kind, "FAILED_TYPE_EXECUTION_FAILED");
                assert!(message.contains("cannot be resolved"), "{message}");
            }
            (
                "QUERY_STATE_CANCELED" | "QUERY_STATE_CANCELLED",
                Err(DuneError::ExecutionCancelled { .. }),
            ) => {}
            ("QUERY_STATE_EXPIRED", Err(DuneError::ExecutionExpired { .. })) => {}
            (state, other) => panic!("{state}: unexpected {other:?}"),
        }
    }
    s.set(
        26,
        Behavior {
            final_state: "QUERY_STATE_SOMETHING_NEW",
            ..Behavior::default()
        },
    );
    let e = c.run_query(26, &params()).await.unwrap_err();
    assert!(matches!(e, DuneError::UnknownState { .. }), "{e:?}");
}

#[tokio::test]
async fn every_documented_error_status_is_typed() {
    let s = StandIn::start();
    let c = client(&s);
    for code in [400u16, 401, 402, 403, 404, 409, 500] {
        let q = 100 + u64::from(code);
        s.set(
            q,
            Behavior {
                execute_status: Some(code),
                ..Behavior::default()
            },
        );
        let e = c.run_query(q, &params()).await.unwrap_err();
        assert_key_hidden(&e);
        let ok = match (code, &e) {
            (400, DuneError::BadRequest { message, .. }) => message == "bad request",
            (401, DuneError::Unauthorized { message, .. }) => message == "invalid API Key",
            (402, DuneError::PaymentRequired { .. }) => true,
            (403, DuneError::Forbidden { .. }) => true,
            (404, DuneError::NotFound { message, .. }) => message.contains("Query not found"),
            (409, DuneError::Conflict { .. }) => true,
            (
                500,
                DuneError::Server {
                    status: 500,
                    tries: 1,
                    ..
                },
            ) => true,
            _ => false,
        };
        assert!(ok, "{code}: {e:?}");
    }
    // a wrong key is a 401 too, and the wrong key is not echoed either
    let bad = DuneClient::new(
        DuneConfig {
            base_url: s.base_url.clone(),
            ..DuneConfig::default()
        },
        ApiKey::new("wrong-key-777").unwrap(),
    )
    .unwrap();
    let e = bad.run_query(1, &params()).await.unwrap_err();
    assert!(matches!(e, DuneError::Unauthorized { .. }), "{e:?}");
    assert!(!format!("{e:?}{e}").contains("wrong-key-777"));
    // unknown execution id → 404; malformed one is refused before any request
    let e = c.status("01HK0000000000000000009999").await.unwrap_err();
    assert!(matches!(e, DuneError::NotFound { .. }), "{e:?}");
    let e = c.status("../../etc").await.unwrap_err();
    assert!(matches!(e, DuneError::InvalidExecutionId(_)), "{e:?}");
    let e = c.status("01HKshort").await.unwrap_err();
    assert!(matches!(e, DuneError::BadRequest { .. }), "{e:?}");
}

#[tokio::test]
async fn rate_limit_honours_retry_after_then_succeeds() {
    let s = StandIn::start();
    let c = client(&s);
    s.set(
        30,
        Behavior {
            fail_429: 1,
            retry_after: Some("1".into()),
            ..Behavior::default()
        },
    );
    let set = c.run_query(30, &params()).await.unwrap();
    assert_eq!(set.rows.len(), 7);
    let execs: Vec<_> = s
        .hits()
        .into_iter()
        .filter(|h| h.path.ends_with("/execute"))
        .collect();
    assert_eq!(execs.len(), 2);
    let gap = execs[1].at - execs[0].at;
    // a correctness bound (the client waited what the server asked), not a speed claim
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
}

#[tokio::test]
async fn rate_limit_and_server_errors_are_retried_then_typed() {
    let s = StandIn::start();
    let c = client(&s);
    s.set(
        31,
        Behavior {
            fail_429: 99,
            ..Behavior::default()
        },
    );
    let e = c.run_query(31, &params()).await.unwrap_err();
    assert!(
        matches!(e, DuneError::RateLimited { tries: 3, .. }),
        "{e:?}"
    );
    s.set(
        32,
        Behavior {
            fail_503: 2,
            ..Behavior::default()
        },
    );
    assert_eq!(c.run_query(32, &params()).await.unwrap().rows.len(), 7);
    s.set(
        33,
        Behavior {
            fail_503: 99,
            ..Behavior::default()
        },
    );
    let e = c.run_query(33, &params()).await.unwrap_err();
    assert!(
        matches!(
            e,
            DuneError::Server {
                status: 503,
                tries: 3,
                ..
            }
        ),
        "{e:?}"
    );
    let n = s
        .hits()
        .iter()
        .filter(|h| h.path == "/v1/query/33/execute")
        .count();
    assert_eq!(n, 3);
}

#[tokio::test]
async fn slow_and_hanging_responses_time_out() {
    let s = StandIn::start();
    let c = client_with(&s, |cfg| cfg.request_timeout = Duration::from_millis(200));
    s.set(
        40,
        Behavior {
            delay: Duration::from_millis(1500),
            ..Behavior::default()
        },
    );
    let e = c.run_query(40, &params()).await.unwrap_err();
    assert!(matches!(e, DuneError::Timeout { .. }), "{e:?}");
    s.set(
        41,
        Behavior {
            hang: true,
            ..Behavior::default()
        },
    );
    let e = c.run_query(41, &params()).await.unwrap_err();
    assert!(matches!(e, DuneError::Timeout { .. }), "{e:?}");
    assert_key_hidden(&e);
}

#[tokio::test]
async fn malformed_bodies_and_error_bodies() {
    let s = StandIn::start();
    let c = client(&s);
    s.set(
        50,
        Behavior {
            malformed: true,
            ..Behavior::default()
        },
    );
    let e = c.run_query(50, &params()).await.unwrap_err();
    assert!(matches!(e, DuneError::MalformedBody { .. }), "{e:?}");
    s.set(
        51,
        Behavior {
            error_body_200: true,
            ..Behavior::default()
        },
    );
    let e = c.run_query(51, &params()).await.unwrap_err();
    assert!(matches!(e, DuneError::Api { .. }), "{e:?}");
    s.set(
        52,
        Behavior {
            foreign_next: true,
            ..Behavior::default()
        },
    );
    let e = c.run_query(52, &params()).await.unwrap_err();
    assert!(matches!(e, DuneError::ForeignNextUri { .. }), "{e:?}");
}

#[tokio::test]
async fn long_execution_is_cancelled_after_max_wait() {
    let s = StandIn::start();
    let c = client_with(&s, |cfg| cfg.max_wait = Duration::from_millis(100));
    s.set(
        60,
        Behavior {
            polls_before_done: u32::MAX,
            ..Behavior::default()
        },
    );
    let e = c.run_query(60, &params()).await.unwrap_err();
    assert!(matches!(e, DuneError::WaitTimeout { .. }), "{e:?}");
    assert!(s.hits().iter().any(|h| h.path.ends_with("/cancel")));
}

#[tokio::test]
async fn unreachable_server_is_a_transport_error() {
    let s = StandIn::start();
    let port = s.port;
    drop(s);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let c = DuneClient::new(
        DuneConfig {
            base_url: format!("http://127.0.0.1:{port}/api"),
            request_timeout: Duration::from_millis(500),
            ..DuneConfig::default()
        },
        ApiKey::new(KEY).unwrap(),
    )
    .unwrap();
    let e = c.run_query(1, &params()).await.unwrap_err();
    assert!(
        matches!(e, DuneError::Transport { .. } | DuneError::Timeout { .. }),
        "{e:?}"
    );
    assert_key_hidden(&e);
}
