//! The real-mode gate: the execution mode (mock or real, derived from the runbook's
//! environment variables) and [`RealModeGate`], the one value from which anything that
//! can reach the network in real mode (the JSON-RPC client, the Gateway client, the real
//! executor) is constructed.
//!
//! A [`RealModeGate`] has a private field, so the only way to obtain one is
//! [`RealModeGate::open`], which refuses every mode but [`ExecMode::Real`]. A mock-mode
//! configuration therefore cannot construct a network client: the type system carries
//! the runbook rule "mock mode never talks to Gateway or a node".
//!
//! ```compile_fail
//! // The gate cannot be built by hand outside this module.
//! let gate = tracka::exec::gate::RealModeGate { _sealed: () };
//! ```

use std::fmt;
use std::str::FromStr;

/// Errors of the real-mode gate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum GateError {
    /// The execution mode is not `real`; nothing may reach Gateway or a node.
    #[error("execution mode is {0}: real-mode clients (Gateway, JSON-RPC) are not available")]
    NotRealMode(ExecMode),
    /// An environment variable or flag held an unknown execution mode.
    #[error("unknown execution mode {value:?} in {source_name} (expected \"mock\" or \"real\")")]
    UnknownMode {
        /// Where the value came from (flag or variable name).
        source_name: String,
        /// The value found.
        value: String,
    },
}

/// Where an episode runs: against the simulated engine, or against a live chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecMode {
    /// Simulation only; no network.
    Mock,
    /// Live chain through Gateway, behind the safety gates.
    Real,
}

impl ExecMode {
    /// The runbook's derivation: `MOCK_CLMM=true` forces mock, else `HB_ENV=real`
    /// selects real, else mock. Arguments are the raw variable values (if set).
    pub fn derive(hb_env: Option<&str>, mock_clmm: Option<&str>) -> ExecMode {
        if mock_clmm.map(str::trim) == Some("true") {
            ExecMode::Mock
        } else if hb_env.map(str::trim) == Some("real") {
            ExecMode::Real
        } else {
            ExecMode::Mock
        }
    }

    /// Parses `mock` or `real`, naming `source_name` in the error.
    pub fn parse_from(value: &str, source_name: &str) -> Result<ExecMode, GateError> {
        value.parse().map_err(|_| GateError::UnknownMode {
            source_name: source_name.to_string(),
            value: value.to_string(),
        })
    }
}

impl fmt::Display for ExecMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExecMode::Mock => "mock",
            ExecMode::Real => "real",
        })
    }
}

impl FromStr for ExecMode {
    type Err = GateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "mock" => Ok(ExecMode::Mock),
            "real" => Ok(ExecMode::Real),
            other => Err(GateError::UnknownMode {
                source_name: "execution mode".to_string(),
                value: other.to_string(),
            }),
        }
    }
}

impl From<crate::campaign::config::ExecMode> for ExecMode {
    /// The campaign's resolved mode (flags/env as in the runbook) as the gate's mode.
    fn from(mode: crate::campaign::config::ExecMode) -> ExecMode {
        match mode {
            crate::campaign::config::ExecMode::Mock => ExecMode::Mock,
            crate::campaign::config::ExecMode::Real => ExecMode::Real,
        }
    }
}

/// Proof that the execution mode is `real`. Required by every constructor of a
/// network client in [`crate::exec`]; cannot be built in mock mode.
#[derive(Debug)]
pub struct RealModeGate {
    _sealed: (),
}

impl RealModeGate {
    /// Opens the gate for `mode`; only [`ExecMode::Real`] succeeds.
    pub fn open(mode: ExecMode) -> Result<RealModeGate, GateError> {
        match mode {
            ExecMode::Real => Ok(RealModeGate { _sealed: () }),
            ExecMode::Mock => Err(GateError::NotRealMode(mode)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_follows_the_runbook() {
        assert_eq!(ExecMode::derive(Some("real"), Some("true")), ExecMode::Mock);
        assert_eq!(
            ExecMode::derive(Some("real"), Some("false")),
            ExecMode::Real
        );
        assert_eq!(ExecMode::derive(Some("real"), None), ExecMode::Real);
        assert_eq!(ExecMode::derive(Some("mock"), None), ExecMode::Mock);
        assert_eq!(ExecMode::derive(None, None), ExecMode::Mock);
    }

    #[test]
    fn only_real_mode_opens_the_gate() {
        assert!(RealModeGate::open(ExecMode::Real).is_ok());
        assert_eq!(
            RealModeGate::open(ExecMode::Mock).unwrap_err(),
            GateError::NotRealMode(ExecMode::Mock)
        );
    }

    #[test]
    fn campaign_mode_converts() {
        use crate::campaign::config::ExecMode as Campaign;
        assert!(RealModeGate::open(Campaign::Mock.into()).is_err());
        assert!(RealModeGate::open(Campaign::Real.into()).is_ok());
    }

    #[test]
    fn parse_names_the_source() {
        let err = ExecMode::parse_from("live", "EXEC_MODE").unwrap_err();
        assert!(err.to_string().contains("EXEC_MODE"), "{err}");
        assert_eq!(ExecMode::parse_from(" real ", "x").unwrap(), ExecMode::Real);
    }
}
