//! Campaign configuration: the runbook's environment interface (HB_ENV, MOCK_CLMM,
//! EXEC_MODE, LEARN_FROM_MOCK, INTEL_DATA_SOURCE, HB_SEED, EPISODES, TRACKA_DATA_DIR)
//! resolved with command-line flags taking precedence, validated before anything is
//! written. Every error names the flag or variable and the bad value.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where a setting came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag, e.g. `--episodes`.
    Flag(&'static str),
    /// An environment variable, e.g. `EPISODES`.
    Env(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(name) => write!(f, "flag {name}"),
            Source::Env(name) => write!(f, "environment variable {name}"),
        }
    }
}

/// A configuration error: names the setting, its value and what is wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A value that does not parse or is out of range.
    #[error("{setting} has invalid value {value:?}: {expected}")]
    Invalid {
        setting: Source,
        value: String,
        expected: String,
    },
    /// Two settings that contradict each other.
    #[error("{0}")]
    Conflict(String),
}

/// The top-level environment selector (`HB_ENV`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HbEnv {
    Mock,
    Real,
}

/// The execution mode (`EXEC_MODE`), derived as the runbook says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecMode {
    Mock,
    Real,
}

impl ExecMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecMode::Mock => "mock",
            ExecMode::Real => "real",
        }
    }
}

/// Where market intelligence comes from (`INTEL_DATA_SOURCE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntelSource {
    /// A deterministic synthetic source; no network.
    Mock,
    /// The Dune-backed cache filled by `tracka scheduler`.
    Dune,
}

impl IntelSource {
    pub fn as_str(self) -> &'static str {
        match self {
            IntelSource::Mock => "mock",
            IntelSource::Dune => "dune",
        }
    }
}

/// Raw settings as given on the command line (None = not given).
#[derive(Debug, Clone, Default)]
pub struct CampaignFlags {
    pub hb_env: Option<String>,
    pub mock_clmm: Option<String>,
    pub exec_mode: Option<String>,
    pub learn_from_mock: Option<String>,
    pub intel_data_source: Option<String>,
    pub seed: Option<String>,
    pub episodes: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub fixed_clock: Option<String>,
}

/// The resolved, validated campaign settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignSettings {
    pub hb_env: HbEnv,
    pub mock_clmm: bool,
    pub exec_mode: ExecMode,
    pub learn_from_mock: bool,
    pub intel_data_source: IntelSource,
    pub seed: Option<u64>,
    pub episodes: u32,
    pub data_dir: PathBuf,
    pub fixed_clock: Option<chrono::DateTime<chrono::Utc>>,
}

/// The most episodes one campaign may run.
pub const MAX_EPISODES: u32 = 10_000_000;

/// A view of the environment (so tests need not touch the process environment).
pub trait EnvLookup {
    fn get(&self, key: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl EnvLookup for ProcessEnv {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }
}

impl EnvLookup for BTreeMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        BTreeMap::get(self, key).cloned()
    }
}

/// Picks the flag if given, else the environment variable; empty env values count as
/// unset (a common shell idiom `VAR= cmd`).
fn pick(
    flag: &Option<String>,
    flag_name: &'static str,
    env: &dyn EnvLookup,
    var: &'static str,
) -> Option<(String, Source)> {
    if let Some(v) = flag {
        return Some((v.clone(), Source::Flag(flag_name)));
    }
    env.get(var)
        .filter(|v| !v.is_empty())
        .map(|v| (v, Source::Env(var)))
}

fn invalid(source: Source, value: &str, expected: &str) -> ConfigError {
    ConfigError::Invalid {
        setting: source,
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

fn parse_bool((value, source): (String, Source)) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(invalid(source, &value, "expected true or false")),
    }
}

fn parse_mode(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "mock" => Some(false),
        "real" => Some(true),
        _ => None,
    }
}

impl CampaignSettings {
    /// Resolves flags over the environment and validates everything. Nothing is
    /// written by this function.
    pub fn resolve(flags: &CampaignFlags, env: &dyn EnvLookup) -> Result<Self, ConfigError> {
        let hb_env = match pick(&flags.hb_env, "--hb-env", env, "HB_ENV") {
            None => HbEnv::Mock,
            Some((v, src)) => match parse_mode(&v) {
                Some(true) => HbEnv::Real,
                Some(false) => HbEnv::Mock,
                None => return Err(invalid(src, &v, "expected mock or real")),
            },
        };
        let mock_clmm = pick(&flags.mock_clmm, "--mock-clmm", env, "MOCK_CLMM")
            .map(parse_bool)
            .transpose()?
            .unwrap_or(false);
        let derived = if mock_clmm {
            ExecMode::Mock
        } else if hb_env == HbEnv::Real {
            ExecMode::Real
        } else {
            ExecMode::Mock
        };
        if let Some((v, src)) = pick(&flags.exec_mode, "--exec-mode", env, "EXEC_MODE") {
            let given = match parse_mode(&v) {
                Some(true) => ExecMode::Real,
                Some(false) => ExecMode::Mock,
                None => return Err(invalid(src, &v, "expected mock or real")),
            };
            if given != derived {
                return Err(ConfigError::Conflict(format!(
                    "{src} is {v:?} but HB_ENV={} and MOCK_CLMM={} give EXEC_MODE={} \
                     (EXEC_MODE is derived: MOCK_CLMM=true forces mock, else HB_ENV decides)",
                    match hb_env {
                        HbEnv::Mock => "mock",
                        HbEnv::Real => "real",
                    },
                    mock_clmm,
                    derived.as_str()
                )));
            }
        }
        let learn_from_mock = pick(
            &flags.learn_from_mock,
            "--learn-from-mock",
            env,
            "LEARN_FROM_MOCK",
        )
        .map(parse_bool)
        .transpose()?
        .unwrap_or(false);
        let intel_data_source = match pick(
            &flags.intel_data_source,
            "--intel-data-source",
            env,
            "INTEL_DATA_SOURCE",
        ) {
            None => IntelSource::Mock,
            Some((v, src)) => match v.to_ascii_lowercase().as_str() {
                "mock" => IntelSource::Mock,
                "dune" => IntelSource::Dune,
                _ => return Err(invalid(src, &v, "expected mock or dune")),
            },
        };
        let seed = match pick(&flags.seed, "--seed", env, "HB_SEED") {
            None => None,
            Some((v, src)) => Some(
                v.parse::<u64>()
                    .map_err(|_| invalid(src, &v, "expected a non-negative integer below 2^64"))?,
            ),
        };
        let episodes = match pick(&flags.episodes, "--episodes", env, "EPISODES") {
            None => 1,
            Some((v, src)) => match v.parse::<u32>() {
                Ok(n) if (1..=MAX_EPISODES).contains(&n) => n,
                _ => {
                    return Err(invalid(
                        src,
                        &v,
                        &format!("expected a whole number from 1 to {MAX_EPISODES}"),
                    ))
                }
            },
        };
        let data_dir = match &flags.data_dir {
            Some(p) => p.clone(),
            None => env
                .get("TRACKA_DATA_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("data")),
        };
        let fixed_clock = match &flags.fixed_clock {
            None => None,
            Some(v) => Some(
                chrono::DateTime::parse_from_rfc3339(v)
                    .map_err(|e| {
                        invalid(
                            Source::Flag("--fixed-clock"),
                            v,
                            &format!(
                                "expected an RFC 3339 time such as 2025-12-12T13:17:14Z ({e})"
                            ),
                        )
                    })?
                    .with_timezone(&chrono::Utc),
            ),
        };
        Ok(CampaignSettings {
            hb_env,
            mock_clmm,
            exec_mode: derived,
            learn_from_mock,
            intel_data_source,
            seed,
            episodes,
            data_dir,
            fixed_clock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn resolve(pairs: &[(&str, &str)]) -> Result<CampaignSettings, ConfigError> {
        CampaignSettings::resolve(&CampaignFlags::default(), &env(pairs))
    }

    #[test]
    fn exec_mode_follows_the_runbook_derivation() {
        assert_eq!(resolve(&[]).unwrap().exec_mode, ExecMode::Mock);
        assert_eq!(
            resolve(&[("HB_ENV", "real")]).unwrap().exec_mode,
            ExecMode::Real
        );
        assert_eq!(
            resolve(&[("HB_ENV", "real"), ("MOCK_CLMM", "true")])
                .unwrap()
                .exec_mode,
            ExecMode::Mock
        );
        assert_eq!(
            resolve(&[("HB_ENV", "mock"), ("MOCK_CLMM", "false")])
                .unwrap()
                .exec_mode,
            ExecMode::Mock
        );
    }

    #[test]
    fn explicit_exec_mode_must_agree_with_the_derivation() {
        assert!(resolve(&[("MOCK_CLMM", "true"), ("EXEC_MODE", "mock")]).is_ok());
        let err = resolve(&[("MOCK_CLMM", "true"), ("EXEC_MODE", "real")]).unwrap_err();
        assert!(err.to_string().contains("EXEC_MODE"), "{err}");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = resolve(&[("EPISODES", "abc")]).unwrap_err();
        assert!(
            err.to_string().contains("environment variable EPISODES"),
            "{err}"
        );
        assert!(err.to_string().contains("\"abc\""), "{err}");
        let err = resolve(&[("HB_ENV", "prod")]).unwrap_err();
        assert!(err.to_string().contains("HB_ENV"), "{err}");
        assert!(resolve(&[("EPISODES", "0")]).is_err());
        assert!(resolve(&[("HB_SEED", "-1")]).is_err());
        assert!(resolve(&[("LEARN_FROM_MOCK", "maybe")]).is_err());
        assert!(resolve(&[("INTEL_DATA_SOURCE", "web")]).is_err());
    }

    #[test]
    fn flags_take_precedence_over_environment() {
        let flags = CampaignFlags {
            episodes: Some("3".into()),
            ..Default::default()
        };
        let s = CampaignSettings::resolve(&flags, &env(&[("EPISODES", "abc")])).unwrap();
        assert_eq!(s.episodes, 3);
        let flags = CampaignFlags {
            episodes: Some("x".into()),
            ..Default::default()
        };
        let err = CampaignSettings::resolve(&flags, &env(&[])).unwrap_err();
        assert!(err.to_string().contains("flag --episodes"), "{err}");
    }

    #[test]
    fn fixed_clock_parses_rfc3339() {
        let flags = CampaignFlags {
            fixed_clock: Some("2025-12-12T13:17:14Z".into()),
            ..Default::default()
        };
        let s = CampaignSettings::resolve(&flags, &env(&[])).unwrap();
        assert_eq!(
            s.fixed_clock.unwrap().to_rfc3339(),
            "2025-12-12T13:17:14+00:00"
        );
        let flags = CampaignFlags {
            fixed_clock: Some("yesterday".into()),
            ..Default::default()
        };
        assert!(CampaignSettings::resolve(&flags, &env(&[])).is_err());
    }
}
