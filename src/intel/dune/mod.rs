//! Dune Analytics API v1 client (reqwest + rustls, tokio): execute a query, poll its
//! status until a terminal state, page the results by `next_uri`; or read a query's
//! latest results. Every request has a timeout; 429 / 502 / 503 / 504 are retried with
//! jittered exponential backoff honouring `Retry-After`; every documented HTTP error is
//! its own typed error. The API key travels only in the `X-Dune-Api-Key` header (marked
//! sensitive) and is redacted from any text that reaches an error.
//!
//! Only this module and the scheduler own a network client.

pub mod key;
pub mod model;
pub mod retry;

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{HeaderValue, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

pub use key::ApiKey;
pub use model::{
    ExecuteResponse, ExecutionErrorInfo, ExecutionState, ExecutionStatus, ResultMetadata,
    ResultSet, ResultsPage,
};
pub use retry::RetryPolicy;

/// Production API base.
pub const DEFAULT_BASE_URL: &str = "https://api.dune.com/api";
/// Environment variable overriding the base URL.
pub const BASE_URL_VAR: &str = "DUNE_API_BASE_URL";
/// The auth header.
pub const API_KEY_HEADER: &str = "X-Dune-Api-Key";
/// Longest error text kept from a response body.
const MAX_ERROR_TEXT: usize = 300;

/// Errors from the Dune client. URLs never contain the key; bodies are redacted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DuneError {
    /// No API key configured.
    #[error("Dune API key missing: set DUNE_API_KEY (environment or .env)")]
    MissingKey,
    /// The key has characters an HTTP header cannot carry.
    #[error("Dune API key is not a valid header value")]
    InvalidKey,
    /// The base URL does not parse or is not http(s).
    #[error("invalid Dune base URL {url:?}: {message}")]
    InvalidBaseUrl { url: String, message: String },
    /// 400.
    #[error("Dune 400 bad request at {url}: {message}")]
    BadRequest { url: String, message: String },
    /// 401.
    #[error("Dune 401 unauthorized at {url}: {message}")]
    Unauthorized { url: String, message: String },
    /// 402.
    #[error("Dune 402 payment required (billing limit) at {url}: {message}")]
    PaymentRequired { url: String, message: String },
    /// 403.
    #[error("Dune 403 forbidden (private or archived query) at {url}: {message}")]
    Forbidden { url: String, message: String },
    /// 404.
    #[error("Dune 404 not found at {url}: {message}")]
    NotFound { url: String, message: String },
    /// 409.
    #[error("Dune 409 conflict at {url}: {message}")]
    Conflict { url: String, message: String },
    /// 429 after all tries.
    #[error("Dune 429 rate limited at {url} after {tries} tries: {message}")]
    RateLimited {
        url: String,
        message: String,
        retry_after: Option<Duration>,
        tries: u32,
    },
    /// 5xx (after all tries for 502/503/504).
    #[error("Dune server error {status} at {url} after {tries} tries: {message}")]
    Server {
        url: String,
        status: u16,
        message: String,
        tries: u32,
    },
    /// Any other non-2xx status.
    #[error("Dune unexpected status {status} at {url}: {message}")]
    UnexpectedStatus {
        url: String,
        status: u16,
        message: String,
    },
    /// The request (connect, headers or body) took longer than the timeout.
    #[error("Dune request {url} timed out after {after:?}")]
    Timeout { url: String, after: Duration },
    /// Connection-level failure.
    #[error("Dune request {url} failed: {message}")]
    Transport { url: String, message: String },
    /// The body is not the JSON documented for this route.
    #[error("Dune response from {url} is malformed: {message}")]
    MalformedBody { url: String, message: String },
    /// A 2xx body of the form `{"error": …}`.
    #[error("Dune error at {url}: {message}")]
    Api { url: String, message: String },
    /// The execution ended in QUERY_STATE_FAILED.
    #[error("Dune execution {execution_id} failed: {kind}: {message}")]
    ExecutionFailed {
        execution_id: String,
        kind: String,
        message: String,
    },
    /// The execution was cancelled.
    #[error("Dune execution {execution_id} was cancelled")]
    ExecutionCancelled { execution_id: String },
    /// The execution's results expired.
    #[error("Dune execution {execution_id} expired")]
    ExecutionExpired { execution_id: String },
    /// A state this client does not know.
    #[error("Dune execution {execution_id} is in unknown state {state:?}")]
    UnknownState { execution_id: String, state: String },
    /// Results were asked for before the execution finished.
    #[error("Dune execution {execution_id} has no results yet (state {state})")]
    ResultsNotReady { execution_id: String, state: String },
    /// The execution did not finish within the configured wait (it was cancelled).
    #[error("Dune execution {execution_id} not finished after {waited:?}")]
    WaitTimeout {
        execution_id: String,
        waited: Duration,
    },
    /// A `next_uri` pointing at another origin than the base URL (the key is not sent).
    #[error("Dune next_uri {next_uri:?} is not on {base}")]
    ForeignNextUri { next_uri: String, base: String },
    /// More pages than the configured bound (a looping next_uri).
    #[error("Dune results for {execution_id} exceeded {pages} pages")]
    TooManyPages { execution_id: String, pages: u32 },
    /// An execution id the server returned cannot be placed in a URL path.
    #[error("Dune returned an invalid execution id {0:?}")]
    InvalidExecutionId(String),
}

/// Execution tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Performance {
    Medium,
    Large,
}

impl Performance {
    fn as_str(self) -> &'static str {
        match self {
            Performance::Medium => "medium",
            Performance::Large => "large",
        }
    }
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct DuneConfig {
    /// API base, e.g. `https://api.dune.com/api` (routes are under `/v1`).
    pub base_url: String,
    /// Whole-request timeout (connect + headers + body), per request.
    pub request_timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Status polling period.
    pub poll_interval: Duration,
    /// Longest wait for an execution to finish before cancelling it.
    pub max_wait: Duration,
    /// Rows per results page.
    pub page_limit: u32,
    /// Upper bound of pages followed.
    pub max_pages: u32,
    pub performance: Performance,
    pub retry: RetryPolicy,
}

impl Default for DuneConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_string(),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            max_wait: Duration::from_secs(300),
            page_limit: 32_000,
            max_pages: 10_000,
            performance: Performance::Medium,
            retry: RetryPolicy::default(),
        }
    }
}

impl DuneConfig {
    /// Defaults, with the base URL from `DUNE_API_BASE_URL` when set.
    pub fn from_env() -> Self {
        let mut c = Self::default();
        if let Ok(url) = std::env::var(BASE_URL_VAR) {
            if !url.trim().is_empty() {
                c.base_url = url.trim().to_string();
            }
        }
        c
    }
}

/// The Dune client. Debug shows the key as `***`.
#[derive(Debug, Clone)]
pub struct DuneClient {
    http: reqwest::Client,
    config: DuneConfig,
    base: Url,
    key: ApiKey,
}

impl DuneClient {
    /// Builds a client; checks the base URL and the key's header form.
    pub fn new(config: DuneConfig, key: ApiKey) -> Result<Self, DuneError> {
        let trimmed = config.base_url.trim_end_matches('/').to_string();
        let base = Url::parse(&trimmed).map_err(|e| DuneError::InvalidBaseUrl {
            url: config.base_url.clone(),
            message: e.to_string(),
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(DuneError::InvalidBaseUrl {
                url: config.base_url.clone(),
                message: "expected an http(s) URL with a host".to_string(),
            });
        }
        HeaderValue::from_str(key.expose()).map_err(|_| DuneError::InvalidKey)?;
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("tracka/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DuneError::Transport {
                url: trimmed.clone(),
                message: e.to_string(),
            })?;
        Ok(Self {
            http,
            config: DuneConfig {
                base_url: trimmed,
                ..config
            },
            base,
            key,
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &DuneConfig {
        &self.config
    }

    fn url(&self, path_and_query: &str) -> Result<Url, DuneError> {
        let text = format!("{}{path_and_query}", self.config.base_url);
        Url::parse(&text).map_err(|e| DuneError::InvalidBaseUrl {
            url: text,
            message: e.to_string(),
        })
    }

    /// `POST /v1/query/{query_id}/execute` with string parameters.
    pub async fn execute(
        &self,
        query_id: u64,
        params: &BTreeMap<String, String>,
    ) -> Result<ExecuteResponse, DuneError> {
        let url = self.url(&format!("/v1/query/{query_id}/execute"))?;
        let body = serde_json::json!({
            "query_parameters": params,
            "performance": self.config.performance.as_str(),
        });
        let resp: ExecuteResponse = self.request(Method::POST, url, Some(body)).await?;
        check_execution_id(&resp.execution_id)?;
        Ok(resp)
    }

    /// `GET /v1/execution/{execution_id}/status`.
    pub async fn status(&self, execution_id: &str) -> Result<ExecutionStatus, DuneError> {
        check_execution_id(execution_id)?;
        let url = self.url(&format!("/v1/execution/{execution_id}/status"))?;
        self.request(Method::GET, url, None).await
    }

    /// `POST /v1/execution/{execution_id}/cancel`; returns the `success` flag.
    pub async fn cancel(&self, execution_id: &str) -> Result<bool, DuneError> {
        check_execution_id(execution_id)?;
        let url = self.url(&format!("/v1/execution/{execution_id}/cancel"))?;
        #[derive(serde::Deserialize)]
        struct Cancel {
            #[serde(default)]
            success: bool,
        }
        let c: Cancel = self.request(Method::POST, url, None).await?;
        Ok(c.success)
    }

    /// All result pages of an execution (`GET /v1/execution/{id}/results`, then each
    /// `next_uri`).
    pub async fn execution_results(&self, execution_id: &str) -> Result<ResultSet, DuneError> {
        check_execution_id(execution_id)?;
        let url = self.url(&format!(
            "/v1/execution/{execution_id}/results?limit={}&allow_partial_results=true",
            self.config.page_limit
        ))?;
        self.collect_pages(url, execution_id).await
    }

    /// A query's latest results without executing it (`GET /v1/query/{id}/results`).
    pub async fn latest_results(&self, query_id: u64) -> Result<ResultSet, DuneError> {
        let url = self.url(&format!(
            "/v1/query/{query_id}/results?limit={}&allow_partial_results=true",
            self.config.page_limit
        ))?;
        self.collect_pages(url, &format!("query {query_id}")).await
    }

    /// Polls status every `poll_interval` until a terminal state; cancels (best effort)
    /// and fails after `max_wait`.
    pub async fn wait_for_completion(
        &self,
        execution_id: &str,
    ) -> Result<ExecutionStatus, DuneError> {
        let start = tokio::time::Instant::now();
        loop {
            let st = self.status(execution_id).await?;
            if let ExecutionState::Unknown(state) = &st.state {
                return Err(DuneError::UnknownState {
                    execution_id: execution_id.to_string(),
                    state: state.clone(),
                });
            }
            if st.state.is_terminal() {
                return Ok(st);
            }
            if start.elapsed() >= self.config.max_wait {
                if let Err(e) = self.cancel(execution_id).await {
                    tracing::warn!(execution_id, error = %e, "cancel after wait timeout failed");
                }
                return Err(DuneError::WaitTimeout {
                    execution_id: execution_id.to_string(),
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(self.config.poll_interval).await;
        }
    }

    /// Execute → wait → all result pages. FAILED / CANCEL(L)ED / EXPIRED are errors;
    /// COMPLETED_PARTIAL returns the partial rows (the state says so).
    pub async fn run_query(
        &self,
        query_id: u64,
        params: &BTreeMap<String, String>,
    ) -> Result<ResultSet, DuneError> {
        let started = self.execute(query_id, params).await?;
        let id = started.execution_id;
        let (state, error) = if started.state.is_terminal() {
            (started.state, None)
        } else {
            let st = self.wait_for_completion(&id).await?;
            (st.state, st.error)
        };
        match state {
            ExecutionState::Completed | ExecutionState::CompletedPartial => {
                self.execution_results(&id).await
            }
            other => Err(terminal_error(&id, &other, error)),
        }
    }

    async fn collect_pages(&self, first: Url, what: &str) -> Result<ResultSet, DuneError> {
        let mut url = first;
        let mut set: Option<ResultSet> = None;
        loop {
            let page: ResultsPage = self.request(Method::GET, url.clone(), None).await?;
            if !page.state.has_results() {
                return Err(terminal_error(&page.execution_id, &page.state, page.error));
            }
            let Some(result) = page.result else {
                return Err(DuneError::MalformedBody {
                    url: url.to_string(),
                    message: format!("{} results page without `result`", page.state),
                });
            };
            let s = set.get_or_insert_with(|| ResultSet {
                execution_id: page.execution_id.clone(),
                query_id: page.query_id,
                state: page.state.clone(),
                submitted_at: page.submitted_at.clone(),
                execution_ended_at: page.execution_ended_at.clone(),
                rows: Vec::new(),
                metadata: result.metadata.clone(),
                pages: 0,
            });
            s.pages += 1;
            s.rows.extend(result.rows);
            match page.next_uri {
                None => break,
                Some(next) => {
                    if s.pages >= self.config.max_pages {
                        return Err(DuneError::TooManyPages {
                            execution_id: what.to_string(),
                            pages: s.pages,
                        });
                    }
                    url = self.same_origin(&next)?;
                }
            }
        }
        set.ok_or_else(|| DuneError::MalformedBody {
            url: what.to_string(),
            message: "no results page".to_string(),
        })
    }

    /// Resolves a `next_uri` and checks it is on the base URL's origin.
    fn same_origin(&self, next: &str) -> Result<Url, DuneError> {
        let foreign = || DuneError::ForeignNextUri {
            next_uri: next.to_string(),
            base: self.base.origin().ascii_serialization(),
        };
        let url = self.base.join(next).map_err(|_| foreign())?;
        if url.origin() != self.base.origin() {
            return Err(foreign());
        }
        Ok(url)
    }

    fn key_header(&self) -> Result<HeaderValue, DuneError> {
        let mut v = HeaderValue::from_str(self.key.expose()).map_err(|_| DuneError::InvalidKey)?;
        v.set_sensitive(true);
        Ok(v)
    }

    fn clean(&self, text: &str) -> String {
        let t = self.key.redact(text);
        if t.chars().count() > MAX_ERROR_TEXT {
            let cut: String = t.chars().take(MAX_ERROR_TEXT).collect();
            format!("{cut}…")
        } else {
            t
        }
    }

    /// One logical request with retries; decodes the 2xx body as `T`.
    async fn request<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
    ) -> Result<T, DuneError> {
        let url_text = url.to_string();
        let mut tries = 0u32;
        loop {
            tries += 1;
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .header(API_KEY_HEADER, self.key_header()?);
            if let Some(b) = &body {
                req = req.json(b);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => return Err(self.transport_error(&url_text, &e)),
            };
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry::parse_retry_after(v, chrono::Utc::now()));
            if RetryPolicy::is_retryable(status) && tries < self.config.retry.max_tries {
                let delay = self.config.retry.delay(tries, retry_after);
                tracing::warn!(url = %url_text, status, try_no = tries, ?delay, "Dune request will be retried");
                tokio::time::sleep(delay).await;
                continue;
            }
            let text = match resp.text().await {
                Ok(t) => t,
                Err(e) => return Err(self.transport_error(&url_text, &e)),
            };
            if !(200..300).contains(&status) {
                return Err(self.status_error(url_text, status, &text, retry_after, tries));
            }
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| DuneError::MalformedBody {
                    url: url_text.clone(),
                    message: format!("{e}; body: {}", self.clean(&text)),
                })?;
            if let Some(msg) = value.get("error").and_then(|e| e.as_str()) {
                if value.get("execution_id").is_none() {
                    return Err(DuneError::Api {
                        url: url_text,
                        message: self.clean(msg),
                    });
                }
            }
            return serde_json::from_value(value).map_err(|e| DuneError::MalformedBody {
                url: url_text,
                message: self.clean(&e.to_string()),
            });
        }
    }

    fn transport_error(&self, url: &str, e: &reqwest::Error) -> DuneError {
        if e.is_timeout() {
            DuneError::Timeout {
                url: url.to_string(),
                after: self.config.request_timeout,
            }
        } else {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            DuneError::Transport {
                url: url.to_string(),
                message: self.clean(&msg),
            }
        }
    }

    fn status_error(
        &self,
        url: String,
        status: u16,
        body: &str,
        retry_after: Option<std::time::Duration>,
        tries: u32,
    ) -> DuneError {
        let message = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                v.get("error")
                    .map(|e| e.as_str().map_or(e.to_string(), str::to_string))
            })
            .unwrap_or_else(|| body.to_string());
        let message = self.clean(&message);
        match status {
            400 => DuneError::BadRequest { url, message },
            401 => DuneError::Unauthorized { url, message },
            402 => DuneError::PaymentRequired { url, message },
            403 => DuneError::Forbidden { url, message },
            404 => DuneError::NotFound { url, message },
            409 => DuneError::Conflict { url, message },
            429 => DuneError::RateLimited {
                url,
                message,
                retry_after,
                tries,
            },
            500..=599 => DuneError::Server {
                url,
                status,
                message,
                tries,
            },
            _ => DuneError::UnexpectedStatus {
                url,
                status,
                message,
            },
        }
    }
}

/// The error for an execution that ended without results.
fn terminal_error(
    execution_id: &str,
    state: &ExecutionState,
    error: Option<ExecutionErrorInfo>,
) -> DuneError {
    let id = execution_id.to_string();
    match state {
        ExecutionState::Failed => {
            let e = error.unwrap_or(ExecutionErrorInfo {
                kind: None,
                message: None,
                metadata: None,
            });
            DuneError::ExecutionFailed {
                execution_id: id,
                kind: e.kind.unwrap_or_else(|| "unknown".to_string()),
                message: e.message.unwrap_or_default(),
            }
        }
        ExecutionState::Cancelled => DuneError::ExecutionCancelled { execution_id: id },
        ExecutionState::Expired => DuneError::ExecutionExpired { execution_id: id },
        ExecutionState::Unknown(s) => DuneError::UnknownState {
            execution_id: id,
            state: s.clone(),
        },
        other => DuneError::ResultsNotReady {
            execution_id: id,
            state: other.to_string(),
        },
    }
}

fn check_execution_id(id: &str) -> Result<(), DuneError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(DuneError::InvalidExecutionId(id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_debug_hides_key() {
        let c =
            DuneClient::new(DuneConfig::default(), ApiKey::new("sk-secret-42").unwrap()).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("sk-secret-42"), "{dbg}");
        assert!(dbg.contains("***"));
    }

    #[test]
    fn bad_base_urls_are_rejected() {
        for bad in ["not a url", "ftp://x/api", "file:///tmp"] {
            let cfg = DuneConfig {
                base_url: bad.into(),
                ..DuneConfig::default()
            };
            let err = DuneClient::new(cfg, ApiKey::new("k").unwrap()).unwrap_err();
            assert!(
                matches!(err, DuneError::InvalidBaseUrl { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn next_uri_must_stay_on_origin() {
        let cfg = DuneConfig {
            base_url: "http://127.0.0.1:9/api".into(),
            ..DuneConfig::default()
        };
        let c = DuneClient::new(cfg, ApiKey::new("k").unwrap()).unwrap();
        assert!(c
            .same_origin("http://127.0.0.1:9/api/v1/execution/X/results?offset=5")
            .is_ok());
        assert!(c
            .same_origin("/api/v1/execution/X/results?offset=5")
            .is_ok());
        for bad in [
            "http://evil.example/api/v1/x",
            "https://127.0.0.1:9/api",
            "http://127.0.0.1:10/api",
        ] {
            assert!(
                matches!(c.same_origin(bad), Err(DuneError::ForeignNextUri { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn execution_ids_are_path_safe() {
        assert!(check_execution_id("01HPFJ7VSFXPTA8WPMDKBXE167").is_ok());
        for bad in ["", "../x", "a/b", "a?b", "a b"] {
            assert!(check_execution_id(bad).is_err(), "{bad}");
        }
    }
}
