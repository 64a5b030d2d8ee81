//! The Dune API key: read from `DUNE_API_KEY` or a `.env` file, and wrapped so that it
//! never shows in Debug or Display output, logs, errors or artifacts.

use std::fmt;
use std::path::Path;

/// The environment variable that holds the key.
pub const DUNE_API_KEY_VAR: &str = "DUNE_API_KEY";

/// A secret API key. Debug and Display print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key; None when it is empty or blank.
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into().trim().to_string();
        (!key.is_empty()).then_some(Self(key))
    }

    /// `DUNE_API_KEY` from the environment, else from `<dir>/.env` (the process
    /// environment is not modified).
    pub fn from_env_or_dotenv(dir: &Path) -> Option<Self> {
        if let Some(k) = std::env::var(DUNE_API_KEY_VAR).ok().and_then(Self::new) {
            return Some(k);
        }
        let iter = dotenvy::from_path_iter(dir.join(".env")).ok()?;
        iter.flatten()
            .find(|(k, _)| k == DUNE_API_KEY_VAR)
            .and_then(|(_, v)| Self::new(v))
    }

    /// The secret itself, for the request header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the key in `text` with `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_never_prints() {
        let k = ApiKey::new("sk-very-secret-123").unwrap();
        assert_eq!(format!("{k:?}"), "***");
        assert_eq!(format!("{k}"), "***");
        assert_eq!(format!("{:?}", Some(&k)), "Some(***)");
        assert_eq!(k.redact("x sk-very-secret-123 y"), "x *** y");
        assert!(ApiKey::new("  ").is_none());
    }

    #[test]
    fn reads_dotenv_file() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(".env"), "OTHER=1\nDUNE_API_KEY=from-dotenv\n").unwrap();
        if std::env::var(DUNE_API_KEY_VAR).is_err() {
            let k = ApiKey::from_env_or_dotenv(d.path()).unwrap();
            assert_eq!(k.expose(), "from-dotenv");
        }
        let empty = tempfile::tempdir().unwrap();
        if std::env::var(DUNE_API_KEY_VAR).is_err() {
            assert!(ApiKey::from_env_or_dotenv(empty.path()).is_none());
        }
    }
}
