//! Dune API v1 response bodies and execution states, as documented (and as the
//! official clients accept them: both CANCELED and CANCELLED spellings).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// An execution's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutionState {
    Pending,
    Executing,
    Completed,
    CompletedPartial,
    Failed,
    /// `QUERY_STATE_CANCELED` or `QUERY_STATE_CANCELLED`.
    Cancelled,
    Expired,
    /// A state this client does not know (kept verbatim).
    Unknown(String),
}

impl ExecutionState {
    /// Parses the wire name.
    pub fn parse(s: &str) -> Self {
        match s {
            "QUERY_STATE_PENDING" => Self::Pending,
            "QUERY_STATE_EXECUTING" => Self::Executing,
            "QUERY_STATE_COMPLETED" => Self::Completed,
            "QUERY_STATE_COMPLETED_PARTIAL" => Self::CompletedPartial,
            "QUERY_STATE_FAILED" => Self::Failed,
            "QUERY_STATE_CANCELED" | "QUERY_STATE_CANCELLED" => Self::Cancelled,
            "QUERY_STATE_EXPIRED" => Self::Expired,
            other => Self::Unknown(other.to_string()),
        }
    }

    /// The wire name (CANCELLED spelling for cancelled).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Pending => "QUERY_STATE_PENDING",
            Self::Executing => "QUERY_STATE_EXECUTING",
            Self::Completed => "QUERY_STATE_COMPLETED",
            Self::CompletedPartial => "QUERY_STATE_COMPLETED_PARTIAL",
            Self::Failed => "QUERY_STATE_FAILED",
            Self::Cancelled => "QUERY_STATE_CANCELLED",
            Self::Expired => "QUERY_STATE_EXPIRED",
            Self::Unknown(s) => s,
        }
    }

    /// No further change will happen.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Completed
                | Self::CompletedPartial
                | Self::Failed
                | Self::Cancelled
                | Self::Expired
        )
    }

    /// Results can be read.
    pub fn has_results(&self) -> bool {
        matches!(self, Self::Completed | Self::CompletedPartial)
    }
}

impl fmt::Display for ExecutionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ExecutionState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

impl Serialize for ExecutionState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `POST /v1/query/{id}/execute` → 200.
#[derive(Debug, Clone, Deserialize)]
pub struct ExecuteResponse {
    pub execution_id: String,
    pub state: ExecutionState,
}

/// The `error` object of a failed execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionErrorInfo {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
}

/// `result.metadata` / `result_metadata`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultMetadata {
    #[serde(default)]
    pub column_names: Vec<String>,
    #[serde(default)]
    pub column_types: Vec<String>,
    #[serde(default)]
    pub row_count: Option<u64>,
    #[serde(default)]
    pub total_row_count: Option<u64>,
    #[serde(default)]
    pub datapoint_count: Option<u64>,
    #[serde(default)]
    pub execution_time_millis: Option<u64>,
}

/// `GET /v1/execution/{id}/status` → 200.
#[derive(Debug, Clone, Deserialize)]
pub struct ExecutionStatus {
    pub execution_id: String,
    #[serde(default)]
    pub query_id: Option<u64>,
    pub state: ExecutionState,
    #[serde(default)]
    pub is_execution_finished: Option<bool>,
    #[serde(default)]
    pub submitted_at: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub execution_started_at: Option<String>,
    #[serde(default)]
    pub execution_ended_at: Option<String>,
    #[serde(default)]
    pub cancelled_at: Option<String>,
    #[serde(default)]
    pub queue_position: Option<u64>,
    #[serde(default)]
    pub execution_cost_credits: Option<f64>,
    #[serde(default)]
    pub result_metadata: Option<ResultMetadata>,
    #[serde(default)]
    pub error: Option<ExecutionErrorInfo>,
}

/// The `result` object of a results page.
#[derive(Debug, Clone, Deserialize)]
pub struct ResultBody {
    #[serde(default)]
    pub rows: Vec<serde_json::Value>,
    #[serde(default)]
    pub metadata: Option<ResultMetadata>,
}

/// One page of `GET …/results`.
#[derive(Debug, Clone, Deserialize)]
pub struct ResultsPage {
    pub execution_id: String,
    #[serde(default)]
    pub query_id: Option<u64>,
    pub state: ExecutionState,
    #[serde(default)]
    pub is_execution_finished: Option<bool>,
    #[serde(default)]
    pub submitted_at: Option<String>,
    #[serde(default)]
    pub execution_ended_at: Option<String>,
    #[serde(default)]
    pub result: Option<ResultBody>,
    #[serde(default)]
    pub next_uri: Option<String>,
    #[serde(default)]
    pub next_offset: Option<u64>,
    #[serde(default)]
    pub error: Option<ExecutionErrorInfo>,
}

/// All pages of a result, joined.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultSet {
    pub execution_id: String,
    pub query_id: Option<u64>,
    pub state: ExecutionState,
    pub submitted_at: Option<String>,
    pub execution_ended_at: Option<String>,
    pub rows: Vec<serde_json::Value>,
    pub metadata: Option<ResultMetadata>,
    pub pages: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_state_parses() {
        use ExecutionState::*;
        let cases = [
            ("QUERY_STATE_PENDING", Pending, false),
            ("QUERY_STATE_EXECUTING", Executing, false),
            ("QUERY_STATE_COMPLETED", Completed, true),
            ("QUERY_STATE_COMPLETED_PARTIAL", CompletedPartial, true),
            ("QUERY_STATE_FAILED", Failed, true),
            ("QUERY_STATE_CANCELED", Cancelled, true),
            ("QUERY_STATE_CANCELLED", Cancelled, true),
            ("QUERY_STATE_EXPIRED", Expired, true),
        ];
        for (wire, state, terminal) in cases {
            let parsed: ExecutionState = serde_json::from_str(&format!("\"{wire}\"")).unwrap();
            assert_eq!(parsed, state);
            assert_eq!(parsed.is_terminal(), terminal, "{wire}");
        }
        assert_eq!(
            ExecutionState::parse("QUERY_STATE_NEW"),
            Unknown("QUERY_STATE_NEW".into())
        );
        assert!(!ExecutionState::parse("QUERY_STATE_NEW").is_terminal());
    }

    #[test]
    fn results_body_without_result_key_parses() {
        let p: ResultsPage = serde_json::from_str(
            r#"{"execution_id":"01HK","state":"QUERY_STATE_EXECUTING","submitted_at":"2024-02-12T21:05:48.848069Z"}"#,
        )
        .unwrap();
        assert!(p.result.is_none());
        assert!(p.next_uri.is_none());
    }
}
