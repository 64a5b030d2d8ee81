//! A local Dune API v1 stand-in (axum on 127.0.0.1, port 0) that follows the documented
//! contract: execute → status → paginated results with absolute `next_uri`, latest
//! results, cancel; every execution state; `{"error": …}` bodies with 400 / 401 / 402 /
//! 403 / 404 / 409 / 429 / 5xx; `Retry-After`; slow, hanging and malformed responses.
//! It runs on its own thread and runtime so both sync and async tests can use it.
#![allow(dead_code)] // not every test uses every knob
#![allow(clippy::result_large_err, clippy::too_many_arguments)] // test server plumbing

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

pub const KEY: &str = "test-key-5f3a9c";

/// How the stand-in answers for one query id.
#[derive(Debug, Clone)]
pub struct Behavior {
    pub rows: usize,
    /// Status polls answered PENDING / EXECUTING before the final state.
    pub polls_before_done: u32,
    pub final_state: &'static str,
    /// Execute answers with this status and `{"error": …}`.
    pub execute_status: Option<u16>,
    /// The first N executes answer 429 (with `retry_after` when set).
    pub fail_429: u32,
    pub retry_after: Option<String>,
    /// The first N executes answer 503.
    pub fail_503: u32,
    /// Every response for this query waits this long.
    pub delay: Duration,
    /// Execute never answers.
    pub hang: bool,
    /// Results pages are not JSON.
    pub malformed: bool,
    /// Execute answers 200 with `{"error": …}`.
    pub error_body_200: bool,
    /// next_uri points at another host.
    pub foreign_next: bool,
}

impl Default for Behavior {
    fn default() -> Self {
        Self {
            rows: 7,
            polls_before_done: 2,
            final_state: "QUERY_STATE_COMPLETED",
            execute_status: None,
            fail_429: 0,
            retry_after: None,
            fail_503: 0,
            delay: Duration::ZERO,
            hang: false,
            malformed: false,
            error_body_200: false,
            foreign_next: false,
        }
    }
}

/// One request the stand-in saw.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: &'static str,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub key: Option<String>,
    pub at: Instant,
}

#[derive(Debug)]
struct Exec {
    query_id: u64,
    params: Value,
    polls: u32,
    cancelled: bool,
}

#[derive(Debug, Default)]
pub struct Inner {
    pub behaviors: BTreeMap<u64, Behavior>,
    pub default: Behavior,
    pub hits: Vec<Hit>,
    execs: BTreeMap<String, Exec>,
    counters: BTreeMap<(u64, &'static str), u32>,
    next: u64,
}

type Shared = Arc<Mutex<Inner>>;

/// A running stand-in; stops when dropped.
pub struct StandIn {
    pub base_url: String,
    pub port: u16,
    inner: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl StandIn {
    pub fn start() -> Self {
        Self::with_default(Behavior::default())
    }

    pub fn with_default(default: Behavior) -> Self {
        let inner: Shared = Arc::new(Mutex::new(Inner {
            default,
            ..Inner::default()
        }));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (ptx, prx) = std::sync::mpsc::channel();
        let shared = Arc::clone(&inner);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("stand-in runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                ptx.send(listener.local_addr().expect("addr").port())
                    .expect("port");
                let app = router(shared);
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = rx => {}
                }
            });
            rt.shutdown_background();
        });
        let port = prx.recv().expect("stand-in port");
        Self {
            base_url: format!("http://127.0.0.1:{port}/api"),
            port,
            inner,
            stop: Some(tx),
        }
    }

    pub fn set(&self, query_id: u64, b: Behavior) {
        self.inner.lock().unwrap().behaviors.insert(query_id, b);
    }

    pub fn set_default(&self, b: Behavior) {
        self.inner.lock().unwrap().default = b;
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.inner.lock().unwrap().hits.clone()
    }

    pub fn hit_count(&self) -> usize {
        self.inner.lock().unwrap().hits.len()
    }

    /// The rows the stand-in serves for `query_id` with `params`.
    pub fn rows(query_id: u64, params: &Value, n: usize) -> Vec<Value> {
        (0..n)
            .map(|i| json!({"query_id": query_id, "row": i, "params": params.clone()}))
            .collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/api/v1/query/{id}/execute", post(execute))
        .route("/api/v1/query/{id}/results", get(latest))
        .route("/api/v1/execution/{id}/status", get(status))
        .route("/api/v1/execution/{id}/results", get(results))
        .route("/api/v1/execution/{id}/cancel", post(cancel))
        .with_state(shared)
}

fn err(status: u16, msg: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        json!({ "error": msg }).to_string(),
    )
        .into_response()
}

fn ok(v: Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn record(
    s: &Shared,
    method: &'static str,
    path: String,
    query: &BTreeMap<String, String>,
    headers: &HeaderMap,
) -> Result<(), Response> {
    let key = headers
        .get("x-dune-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let good = key.as_deref() == Some(KEY);
    s.lock().unwrap().hits.push(Hit {
        method,
        path,
        query: query.clone(),
        key,
        at: Instant::now(),
    });
    if good {
        Ok(())
    } else {
        Err(err(401, "invalid API Key"))
    }
}

fn behavior(s: &Shared, q: u64) -> Behavior {
    let g = s.lock().unwrap();
    g.behaviors
        .get(&q)
        .cloned()
        .unwrap_or_else(|| g.default.clone())
}

fn bump(s: &Shared, q: u64, what: &'static str) -> u32 {
    let mut g = s.lock().unwrap();
    let c = g.counters.entry((q, what)).or_insert(0);
    *c += 1;
    *c
}

async fn execute(
    State(s): State<Shared>,
    Path(id): Path<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = record(
        &s,
        "POST",
        format!("/v1/query/{id}/execute"),
        &BTreeMap::new(),
        &headers,
    ) {
        return r;
    }
    let b = behavior(&s, id);
    if b.hang {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(b.delay).await;
    let n = bump(&s, id, "execute");
    if n <= b.fail_429 {
        let mut r = err(429, "rate limit exceeded");
        if let Some(ra) = &b.retry_after {
            r.headers_mut().insert("retry-after", ra.parse().unwrap());
        }
        return r;
    }
    if n <= b.fail_429 + b.fail_503 {
        return err(503, "service unavailable");
    }
    if let Some(code) = b.execute_status {
        let msg = match code {
            400 => "bad request",
            401 => "invalid API Key",
            402 => "billing limit exceeded",
            403 => "query is private or archived",
            404 => "not found: Query not found or private",
            409 => "conflict",
            _ => "internal error",
        };
        return err(code, msg);
    }
    if b.error_body_200 {
        return ok(json!({"error": "something odd"}));
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return err(400, "bad request: body is not JSON"),
    };
    let params = body.get("query_parameters").cloned().unwrap_or(json!({}));
    let mut g = s.lock().unwrap();
    g.next += 1;
    let exec_id = format!("01HK{:022}", g.next);
    g.execs.insert(
        exec_id.clone(),
        Exec {
            query_id: id,
            params,
            polls: 0,
            cancelled: false,
        },
    );
    ok(json!({"execution_id": exec_id, "state": "QUERY_STATE_PENDING"}))
}

fn state_of(e: &Exec, b: &Behavior) -> &'static str {
    if e.cancelled {
        "QUERY_STATE_CANCELLED"
    } else if e.polls < b.polls_before_done {
        if e.polls == 0 {
            "QUERY_STATE_PENDING"
        } else {
            "QUERY_STATE_EXECUTING"
        }
    } else {
        b.final_state
    }
}

fn terminal(state: &str) -> bool {
    !matches!(state, "QUERY_STATE_PENDING" | "QUERY_STATE_EXECUTING")
}

async fn status(State(s): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = record(
        &s,
        "GET",
        format!("/v1/execution/{id}/status"),
        &BTreeMap::new(),
        &headers,
    ) {
        return r;
    }
    if id.len() != 26 {
        return err(400, "bad request: malformed execution id");
    }
    let q = match s.lock().unwrap().execs.get(&id) {
        Some(e) => e.query_id,
        None => return err(404, "not found"),
    };
    let b = behavior(&s, q);
    tokio::time::sleep(b.delay).await;
    let mut g = s.lock().unwrap();
    let Some(e) = g.execs.get_mut(&id) else {
        return err(404, "not found");
    };
    let state = state_of(e, &b);
    e.polls += 1;
    let mut v = json!({
        "execution_id": id, "query_id": q, "state": state,
        "is_execution_finished": terminal(state),
        "submitted_at": "2024-02-12T21:05:48.848069Z",
    });
    if state == "QUERY_STATE_FAILED" {
        v["error"] = json!({"type": "FAILED_TYPE_EXECUTION_FAILED", "message": "line 1:8: column x cannot be resolved", "metadata": {"line": 1, "column": 8}});
    }
    if terminal(state) {
        v["execution_ended_at"] = json!("2024-02-12T21:05:50.199442351Z");
    }
    ok(v)
}

fn page(
    host: &str,
    path: &str,
    exec_id: &str,
    q: u64,
    state: &str,
    all: Vec<Value>,
    query: &BTreeMap<String, String>,
    b: &Behavior,
) -> Response {
    if b.malformed {
        return (
            StatusCode::OK,
            [("content-type", "application/json")],
            "{\"execution_id\": [oops",
        )
            .into_response();
    }
    let limit: usize = query
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(32_000)
        .max(1);
    let offset: usize = query
        .get("offset")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let total = all.len();
    let rows: Vec<Value> = all.into_iter().skip(offset).take(limit).collect();
    let mut v = json!({
        "execution_id": exec_id, "query_id": q, "is_execution_finished": true, "state": state,
        "submitted_at": "2024-02-12T21:05:48.848069Z",
        "execution_ended_at": "2024-02-12T21:05:50.199442351Z",
        "result": {"rows": rows, "metadata": {"column_names": ["query_id", "row", "params"],
            "column_types": ["bigint", "bigint", "varchar"], "row_count": rows.len(),
            "total_row_count": total, "result_set_bytes": 0, "datapoint_count": total * 3}},
    });
    if offset + limit < total {
        let next = offset + limit;
        let h = if b.foreign_next { "evil.example" } else { host };
        v["next_uri"] = json!(format!("http://{h}/api{path}?limit={limit}&offset={next}"));
        v["next_offset"] = json!(next);
    }
    ok(v)
}

async fn results(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/execution/{id}/results");
    if let Err(r) = record(&s, "GET", path.clone(), &query, &headers) {
        return r;
    }
    let (q, params) = match s.lock().unwrap().execs.get(&id) {
        Some(e) => (e.query_id, e.params.clone()),
        None => return err(404, "not found"),
    };
    let b = behavior(&s, q);
    tokio::time::sleep(b.delay).await;
    let state = {
        let g = s.lock().unwrap();
        match g.execs.get(&id) {
            Some(e) => state_of(e, &b),
            None => return err(404, "not found"),
        }
    };
    if !matches!(
        state,
        "QUERY_STATE_COMPLETED" | "QUERY_STATE_COMPLETED_PARTIAL"
    ) {
        let mut v = json!({"execution_id": id, "query_id": q, "state": state,
            "is_execution_finished": terminal(state), "submitted_at": "2024-02-12T21:05:48.848069Z"});
        if state == "QUERY_STATE_FAILED" {
            v["error"] = json!({"type": "FAILED_TYPE_EXECUTION_FAILED", "message": "boom"});
        }
        return ok(v);
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let n = if state == "QUERY_STATE_COMPLETED_PARTIAL" {
        b.rows / 2
    } else {
        b.rows
    };
    page(
        &host,
        &path,
        &id,
        q,
        state,
        StandIn::rows(q, &params, n),
        &query,
        &b,
    )
}

async fn latest(
    State(s): State<Shared>,
    Path(id): Path<u64>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/query/{id}/results");
    if let Err(r) = record(&s, "GET", path.clone(), &query, &headers) {
        return r;
    }
    let b = behavior(&s, id);
    tokio::time::sleep(b.delay).await;
    if let Some(code) = b.execute_status {
        return err(code, "not found: Query not found or private");
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    page(
        &host,
        &path,
        "01HKLATEST0000000000000000",
        id,
        "QUERY_STATE_COMPLETED",
        StandIn::rows(id, &json!({}), b.rows),
        &query,
        &b,
    )
}

async fn cancel(State(s): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = record(
        &s,
        "POST",
        format!("/v1/execution/{id}/cancel"),
        &BTreeMap::new(),
        &headers,
    ) {
        return r;
    }
    match s.lock().unwrap().execs.get_mut(&id) {
        Some(e) => {
            e.cancelled = true;
            ok(json!({"success": true}))
        }
        None => err(404, "not found"),
    }
}
