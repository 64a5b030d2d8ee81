//! [`EventKind`]: the closed set of event kinds and their stable names. The name is
//! what is stored and hashed; it never changes once released (a renamed Rust variant
//! keeps its old string).

use std::fmt;
use std::str::FromStr;

/// What an event records. Stored as its stable name ([`EventKind::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum EventKind {
    RunStarted,
    EpisodeStarted,
    Proposal,
    IntelSnapshot,
    PoolValidation,
    ExecutionResult,
    ExecutionFailure,
    Timings,
    LearningApplied,
    LearningSkipped,
    ArtifactWritten,
    EpisodeAborted,
    EpisodeFinished,
    RunFinished,
    GatewayCall,
}

impl EventKind {
    /// Every kind, in a fixed order.
    pub const ALL: [EventKind; 15] = [
        EventKind::RunStarted,
        EventKind::EpisodeStarted,
        EventKind::Proposal,
        EventKind::IntelSnapshot,
        EventKind::PoolValidation,
        EventKind::ExecutionResult,
        EventKind::ExecutionFailure,
        EventKind::Timings,
        EventKind::LearningApplied,
        EventKind::LearningSkipped,
        EventKind::ArtifactWritten,
        EventKind::EpisodeAborted,
        EventKind::EpisodeFinished,
        EventKind::RunFinished,
        EventKind::GatewayCall,
    ];

    /// The stable name stored in the envelope and covered by the event hash.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::RunStarted => "run.started",
            EventKind::EpisodeStarted => "episode.started",
            EventKind::Proposal => "proposal",
            EventKind::IntelSnapshot => "intel.snapshot",
            EventKind::PoolValidation => "pool.validation",
            EventKind::ExecutionResult => "execution.result",
            EventKind::ExecutionFailure => "execution.failure",
            EventKind::Timings => "timings",
            EventKind::LearningApplied => "learning.applied",
            EventKind::LearningSkipped => "learning.skipped",
            EventKind::ArtifactWritten => "artifact.written",
            EventKind::EpisodeAborted => "episode.aborted",
            EventKind::EpisodeFinished => "episode.finished",
            EventKind::RunFinished => "run.finished",
            EventKind::GatewayCall => "gateway.call",
        }
    }

    /// The kind with this stable name.
    pub fn parse(name: &str) -> Result<EventKind, UnknownKind> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| UnknownKind {
                name: name.to_owned(),
            })
    }
}

/// A kind name this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event kind {name:?}")]
#[non_exhaustive]
pub struct UnknownKind {
    pub name: String,
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable() {
        // Stored and hashed: this list only ever grows.
        let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "run.started",
                "episode.started",
                "proposal",
                "intel.snapshot",
                "pool.validation",
                "execution.result",
                "execution.failure",
                "timings",
                "learning.applied",
                "learning.skipped",
                "artifact.written",
                "episode.aborted",
                "episode.finished",
                "run.finished",
                "gateway.call",
            ]
        );
    }

    #[test]
    fn parse_round_trips_and_rejects_unknown() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Ok(k));
        }
        assert_eq!(
            EventKind::parse("RunStarted").map_err(|e| e.name),
            Err("RunStarted".to_owned())
        );
    }
}
