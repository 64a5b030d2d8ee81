//! The list of pools the scheduler keeps warm (`data/pools.json`): address, pair and
//! fee tier per pool, validated at load; and where the registry and the pools list are
//! looked up (an explicit path, else `<data>/…json`, else the copy built into the crate).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::pool::PoolAddress;
use super::registry::{Registry, RegistryError};

/// The pools list shipped with the crate (a copy of `data/pools.json`).
pub const BUILTIN_POOLS_JSON: &str = include_str!("../../data/pools.json");
/// File names looked up under the data directory.
pub const REGISTRY_FILE: &str = "intel_queries.json";
pub const POOLS_FILE: &str = "pools.json";

/// Errors from loading a pools list.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolsError {
    #[error("cannot read pools list {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("pools list {origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("pools list {origin}: entry #{index}: field `address`: {message}")]
    Address {
        origin: String,
        index: usize,
        message: String,
    },
}

/// One pool of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolInfo {
    pub address: PoolAddress,
    #[serde(default)]
    pub pair: Option<String>,
    #[serde(default)]
    pub fee_tier: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolsFile {
    version: u32,
    pools: Vec<serde_json::Value>,
}

/// Parses a pools list; `origin` names it in errors.
pub fn parse_pools(text: &str, origin: &str) -> Result<Vec<PoolInfo>, PoolsError> {
    let syntax = |message: String| PoolsError::Syntax {
        origin: origin.to_string(),
        message,
    };
    let f: PoolsFile = serde_json::from_str(text).map_err(|e| syntax(e.to_string()))?;
    if f.version != 1 {
        return Err(syntax(format!(
            "unsupported version {} (expected 1)",
            f.version
        )));
    }
    let mut out: Vec<PoolInfo> = Vec::with_capacity(f.pools.len());
    for (index, raw) in f.pools.into_iter().enumerate() {
        let info: PoolInfo = serde_json::from_value(raw).map_err(|e| PoolsError::Address {
            origin: origin.to_string(),
            index,
            message: e.to_string(),
        })?;
        if !out.iter().any(|p| p.address == info.address) {
            out.push(info);
        }
    }
    Ok(out)
}

/// The pools list: `explicit`, else `<data_dir>/pools.json` when present, else built in.
pub fn load_pools(explicit: Option<&Path>, data_dir: &Path) -> Result<Vec<PoolInfo>, PoolsError> {
    let candidate = explicit
        .map(Path::to_path_buf)
        .or_else(|| Some(data_dir.join(POOLS_FILE)).filter(|p| p.exists()));
    match candidate {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|source| PoolsError::Io {
                path: path.clone(),
                source,
            })?;
            parse_pools(&text, &path.display().to_string())
        }
        None => parse_pools(BUILTIN_POOLS_JSON, "builtin data/pools.json"),
    }
}

/// The registry: `explicit`, else `<data_dir>/intel_queries.json` when present, else
/// built in.
pub fn load_registry(explicit: Option<&Path>, data_dir: &Path) -> Result<Registry, RegistryError> {
    let candidate = explicit
        .map(Path::to_path_buf)
        .or_else(|| Some(data_dir.join(REGISTRY_FILE)).filter(|p| p.exists()));
    match candidate {
        Some(path) => Registry::load(&path),
        None => Registry::builtin(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pools_parse() {
        let p = parse_pools(BUILTIN_POOLS_JSON, "b").unwrap();
        assert_eq!(p.len(), 5);
        assert_eq!(
            p[0].address.as_str(),
            "0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640"
        );
    }

    #[test]
    fn bad_address_names_entry() {
        let text = r#"{"version":1,"pools":[{"address":"0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640"},{"address":"0x12"}]}"#;
        let err = parse_pools(text, "p.json").unwrap_err();
        assert!(err.to_string().contains("p.json: entry #1"), "{err}");
    }

    #[test]
    fn lookup_order() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(load_registry(None, d.path()).unwrap().len(), 25);
        std::fs::write(d.path().join(REGISTRY_FILE), "{").unwrap();
        assert!(load_registry(None, d.path()).is_err());
        std::fs::write(d.path().join(POOLS_FILE), r#"{"version":1,"pools":[]}"#).unwrap();
        assert!(load_pools(None, d.path()).unwrap().is_empty());
        assert!(load_pools(Some(Path::new("/nonexistent/x.json")), d.path()).is_err());
    }
}
