//! The networks file (`data/networks.json`): per network its chain id, the Uniswap V3
//! factory and position manager, known tokens with decimals and known pools.
//!
//! The repository's file is compiled in as the default; `--networks FILE` or
//! `TRACKA_NETWORKS` replaces it (e.g. for a local development chain). Every file is
//! validated when loaded: addresses must be `0x` + 40 hex digits with a verifying EIP-55
//! checksum when mixed-case, pools must name known tokens in token0 < token1 order and a
//! standard fee tier.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

use super::address::{parse_address, AddressError};

/// The environment variable naming a networks file that replaces the built-in one.
pub const NETWORKS_ENV: &str = "TRACKA_NETWORKS";

/// The built-in networks file (the repository's `data/networks.json`).
pub const BUILTIN_NETWORKS_JSON: &str = include_str!("../../data/networks.json");

/// The schema version this code reads.
pub const NETWORKS_SCHEMA_VERSION: u32 = 1;

/// Errors loading or validating a networks file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetworksError {
    /// The file could not be read.
    #[error("cannot read networks file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("networks file {origin} is malformed at line {line}, column {column}: {message}")]
    Parse {
        /// The file (or "built-in").
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde found.
        message: String,
    },
    /// The schema version is not the one this code reads.
    #[error("networks file {origin} has schema_version {found}, expected {expected}")]
    SchemaVersion {
        /// The file.
        origin: String,
        /// The version found.
        found: u32,
        /// The version supported.
        expected: u32,
    },
    /// A field is invalid.
    #[error("networks file {origin}: {field}: {problem}")]
    Invalid {
        /// The file.
        origin: String,
        /// Path to the field, e.g. `networks.mainnet.tokens.USDC.address`.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// A network name that the file does not define.
    #[error("unknown network {name:?} (known: {known})")]
    UnknownNetwork {
        /// The requested name.
        name: String,
        /// The names the file defines, comma-separated.
        known: String,
    },
}

/// The file as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworksFile {
    schema_version: u32,
    networks: BTreeMap<String, NetworkEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkEntry {
    chain_id: u64,
    #[serde(default)]
    factory: Option<String>,
    #[serde(default)]
    position_manager: Option<String>,
    #[serde(default)]
    tokens: BTreeMap<String, TokenEntry>,
    #[serde(default)]
    pools: Vec<PoolEntry>,
    /// Symbol (under `tokens`) of the wrapped native currency gas is paid in.
    #[serde(default)]
    gas_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    address: String,
    decimals: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolEntry {
    name: String,
    address: String,
    token0: String,
    token1: String,
    fee: u32,
}

/// A token known on a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    /// Symbol (the key in the file).
    pub symbol: String,
    /// Contract address.
    pub address: Address,
    /// ERC-20 decimals.
    pub decimals: u8,
}

/// A pool known on a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownPool {
    /// Human name, e.g. `USDC/WETH 0.05%`.
    pub name: String,
    /// Pool address.
    pub address: Address,
    /// Symbol of token0 (the numerically lower address).
    pub token0: String,
    /// Symbol of token1.
    pub token1: String,
    /// Fee in hundredths of a basis point (500 = 0.05%).
    pub fee: u32,
}

/// One validated network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Network {
    /// Name (the key in the file), sent to Gateway as `network`.
    pub name: String,
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// UniswapV3Factory, when known.
    pub factory: Option<Address>,
    /// NonfungiblePositionManager, when known.
    pub position_manager: Option<Address>,
    /// Known tokens by symbol.
    pub tokens: BTreeMap<String, Token>,
    /// Known pools.
    pub pools: Vec<KnownPool>,
    /// Symbol of the known token that wraps the native currency gas is paid in (WETH on
    /// Ethereum and its rollups), so real-mode gas can be valued in the quote token.
    pub gas_token: Option<String>,
}

impl Network {
    /// The known token at `address`, if any.
    pub fn token_by_address(&self, address: &Address) -> Option<&Token> {
        self.tokens.values().find(|t| &t.address == address)
    }

    /// The known pool at `address`, if any.
    pub fn pool_by_address(&self, address: &Address) -> Option<&KnownPool> {
        self.pools.iter().find(|p| &p.address == address)
    }
}

/// All validated networks, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Networks {
    /// Where they were loaded from (a path or "built-in").
    pub origin: String,
    /// Networks by name.
    pub networks: BTreeMap<String, Network>,
}

/// The tick spacing the factory enables for a standard fee tier.
pub fn standard_tick_spacing(fee: u32) -> Option<i32> {
    match fee {
        100 => Some(1),
        500 => Some(10),
        3000 => Some(60),
        10000 => Some(200),
        _ => None,
    }
}

impl Networks {
    /// The built-in networks (the repository's `data/networks.json`).
    pub fn builtin() -> Result<Networks, NetworksError> {
        Networks::parse(BUILTIN_NETWORKS_JSON, "built-in data/networks.json")
    }

    /// Loads `path` if given, else the file named by `TRACKA_NETWORKS` if set, else the
    /// built-in networks.
    pub fn load(path: Option<&Path>) -> Result<Networks, NetworksError> {
        if let Some(path) = path {
            return Networks::from_file(path);
        }
        match std::env::var_os(NETWORKS_ENV) {
            Some(p) if !p.is_empty() => Networks::from_file(Path::new(&p)),
            _ => Networks::builtin(),
        }
    }

    /// Reads and validates a networks file.
    pub fn from_file(path: &Path) -> Result<Networks, NetworksError> {
        let text = std::fs::read_to_string(path).map_err(|source| NetworksError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Networks::parse(&text, &path.display().to_string())
    }

    /// Parses and validates networks JSON; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Networks, NetworksError> {
        let file: NetworksFile = serde_json::from_str(text).map_err(|e| NetworksError::Parse {
            origin: origin.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if file.schema_version != NETWORKS_SCHEMA_VERSION {
            return Err(NetworksError::SchemaVersion {
                origin: origin.to_string(),
                found: file.schema_version,
                expected: NETWORKS_SCHEMA_VERSION,
            });
        }
        let mut networks = BTreeMap::new();
        for (name, entry) in file.networks {
            let network = validate_network(origin, &name, entry)?;
            networks.insert(name, network);
        }
        Ok(Networks {
            origin: origin.to_string(),
            networks,
        })
    }

    /// The network called `name`.
    pub fn get(&self, name: &str) -> Result<&Network, NetworksError> {
        self.networks
            .get(name)
            .ok_or_else(|| NetworksError::UnknownNetwork {
                name: name.to_string(),
                known: self.networks.keys().cloned().collect::<Vec<_>>().join(", "),
            })
    }
}

fn validate_network(
    origin: &str,
    name: &str,
    entry: NetworkEntry,
) -> Result<Network, NetworksError> {
    let invalid = |field: String, problem: String| NetworksError::Invalid {
        origin: origin.to_string(),
        field,
        problem,
    };
    let addr = |field: String, value: &str| -> Result<Address, NetworksError> {
        parse_address(value)
            .map(|(a, _)| a)
            .map_err(|e: AddressError| invalid(field, e.to_string()))
    };
    let base = format!("networks.{name}");
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(invalid(
            base,
            "network names are non-empty and use only letters, digits, '-' and '_'".to_string(),
        ));
    }
    if entry.chain_id == 0 {
        return Err(invalid(
            format!("{base}.chain_id"),
            "must be positive".to_string(),
        ));
    }
    let factory = match &entry.factory {
        Some(f) => Some(addr(format!("{base}.factory"), f)?),
        None => None,
    };
    let position_manager = match &entry.position_manager {
        Some(f) => Some(addr(format!("{base}.position_manager"), f)?),
        None => None,
    };
    let mut tokens = BTreeMap::new();
    for (symbol, t) in &entry.tokens {
        let field = format!("{base}.tokens.{symbol}");
        let address = addr(format!("{field}.address"), &t.address)?;
        if t.decimals > 77 {
            return Err(invalid(
                format!("{field}.decimals"),
                format!("{} is not a plausible ERC-20 decimals value", t.decimals),
            ));
        }
        tokens.insert(
            symbol.clone(),
            Token {
                symbol: symbol.clone(),
                address,
                decimals: t.decimals,
            },
        );
    }
    let mut pools = Vec::with_capacity(entry.pools.len());
    for (i, p) in entry.pools.iter().enumerate() {
        let field = format!("{base}.pools[{i}]");
        let address = addr(format!("{field}.address"), &p.address)?;
        let t0 = tokens.get(&p.token0).ok_or_else(|| {
            invalid(
                format!("{field}.token0"),
                format!("token {:?} is not listed under tokens", p.token0),
            )
        })?;
        let t1 = tokens.get(&p.token1).ok_or_else(|| {
            invalid(
                format!("{field}.token1"),
                format!("token {:?} is not listed under tokens", p.token1),
            )
        })?;
        if t0.address >= t1.address {
            return Err(invalid(
                field,
                format!(
                    "token0 {} must be the numerically lower address than token1 {}",
                    p.token0, p.token1
                ),
            ));
        }
        if standard_tick_spacing(p.fee).is_none() {
            return Err(invalid(
                format!("{field}.fee"),
                format!(
                    "{} is not a standard fee tier (100, 500, 3000, 10000)",
                    p.fee
                ),
            ));
        }
        pools.push(KnownPool {
            name: p.name.clone(),
            address,
            token0: p.token0.clone(),
            token1: p.token1.clone(),
            fee: p.fee,
        });
    }
    if let Some(g) = &entry.gas_token {
        if !tokens.contains_key(g) {
            return Err(invalid(
                format!("{base}.gas_token"),
                format!("token {g:?} is not listed under tokens"),
            ));
        }
    }
    Ok(Network {
        gas_token: entry.gas_token.clone(),
        name: name.to_string(),
        chain_id: entry.chain_id,
        factory,
        position_manager,
        tokens,
        pools,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_file_loads_and_has_the_expected_networks() {
        let n = Networks::builtin().unwrap();
        let names: Vec<_> = n.networks.keys().cloned().collect();
        assert_eq!(
            names,
            ["arbitrum", "base", "local", "mainnet", "optimism", "polygon"]
        );
        let mainnet = n.get("mainnet").unwrap();
        assert_eq!(mainnet.chain_id, 1);
        assert_eq!(
            mainnet.factory.unwrap().to_checksum(None),
            "0x1F98431c8aD98523631AE4a59f267346ea31F984"
        );
        assert_eq!(n.get("local").unwrap().chain_id, 31337);
        assert_eq!(n.get("base").unwrap().chain_id, 8453);
        let pool = mainnet
            .pool_by_address(
                &"0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640"
                    .parse()
                    .unwrap(),
            )
            .unwrap();
        assert_eq!((pool.token0.as_str(), pool.fee), ("USDC", 500));
    }

    #[test]
    fn unknown_network_lists_the_known_ones() {
        let err = Networks::builtin().unwrap().get("goerli").unwrap_err();
        assert!(err.to_string().contains("mainnet"), "{err}");
    }

    #[test]
    fn bad_checksum_is_rejected_with_its_field() {
        let text = BUILTIN_NETWORKS_JSON.replace(
            "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            "0xa0B86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
        );
        let err = Networks::parse(&text, "t").unwrap_err().to_string();
        assert!(
            err.contains("networks.mainnet.tokens.USDC.address"),
            "{err}"
        );
        assert!(err.contains("checksum"), "{err}");
    }

    #[test]
    fn pool_token_order_and_fee_are_checked() {
        let swapped = BUILTIN_NETWORKS_JSON.replace(
            r#""token0": "USDC", "token1": "WETH", "fee": 500"#,
            r#""token0": "WETH", "token1": "USDC", "fee": 500"#,
        );
        let err = Networks::parse(&swapped, "t").unwrap_err().to_string();
        assert!(err.contains("pools[0]") && err.contains("lower"), "{err}");
        let fee = BUILTIN_NETWORKS_JSON.replace(r#""fee": 500"#, r#""fee": 501"#);
        let err = Networks::parse(&fee, "t").unwrap_err().to_string();
        assert!(err.contains("fee") && err.contains("501"), "{err}");
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let err = Networks::parse("{\n  \"schema_version\": 1,\n  oops", "f.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("f.json") && err.contains("line 3"), "{err}");
        let err = Networks::parse(r#"{"schema_version": 2, "networks": {}}"#, "f")
            .unwrap_err()
            .to_string();
        assert!(err.contains("schema_version 2"), "{err}");
    }
}
