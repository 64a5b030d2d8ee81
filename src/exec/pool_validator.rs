//! The pool validator: real-mode health gate that a proposed pool is a genuine Uniswap V3
//! pool of the configured factory on the configured chain, checked over JSON-RPC.
//!
//! Every check runs and is reported under a stable name (see [`check_names`]); a failed
//! check does not hide later ones, except where a later check cannot run at all (no
//! address to query), in which case it is reported failed with "not run: …".

use alloy_primitives::aliases::U24;
use alloy_primitives::Address;
use alloy_sol_types::{sol, SolCall};
use serde::{Deserialize, Serialize};

use super::address::{checksummed, parse_address, parse_address_form, ChecksumState};
use super::networks::Network;
use super::rpc::RpcClient;

sol! {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function fee() external view returns (uint24);
    function tickSpacing() external view returns (int24);
    function factory() external view returns (address);
    function getPool(address tokenA, address tokenB, uint24 fee) external view returns (address);
    function decimals() external view returns (uint8);
}

/// The stable names of the checks, in the order they are reported.
pub mod check_names {
    /// `0x` + 40 hex digits.
    pub const ADDRESS_FORM: &str = "address_form";
    /// EIP-55 checksum verifies when the address is mixed-case.
    pub const ADDRESS_CHECKSUM: &str = "address_checksum";
    /// `eth_chainId` equals the network's chain id.
    pub const CHAIN_ID: &str = "chain_id";
    /// `eth_getCode` is not empty.
    pub const CODE_PRESENT: &str = "code_present";
    /// `factory()` is the network's UniswapV3Factory.
    pub const FACTORY: &str = "factory";
    /// `token0()` matches the expectation.
    pub const TOKEN0: &str = "token0";
    /// `token1()` matches the expectation.
    pub const TOKEN1: &str = "token1";
    /// `fee()` matches the expectation.
    pub const FEE: &str = "fee";
    /// `tickSpacing()` matches the expectation.
    pub const TICK_SPACING: &str = "tick_spacing";
    /// The factory's `getPool(token0, token1, fee)` is this pool.
    pub const GET_POOL: &str = "get_pool";
    /// All names, in report order.
    pub const ALL: [&str; 10] = [
        ADDRESS_FORM,
        ADDRESS_CHECKSUM,
        CHAIN_ID,
        CODE_PRESENT,
        FACTORY,
        TOKEN0,
        TOKEN1,
        FEE,
        TICK_SPACING,
        GET_POOL,
    ];
}
use check_names as names;

/// What a proposal claims about a pool. Addresses are kept as given (text) so the
/// validator itself can report their form and checksum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolExpectation {
    /// The pool address as proposed.
    pub address: String,
    /// Expected token0, if the proposal names it.
    #[serde(default)]
    pub token0: Option<String>,
    /// Expected token1, if the proposal names it.
    #[serde(default)]
    pub token1: Option<String>,
    /// Expected fee (hundredths of a basis point), if given.
    #[serde(default)]
    pub fee: Option<u32>,
    /// Expected tick spacing, if given.
    #[serde(default)]
    pub tick_spacing: Option<i32>,
}

/// One named check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable name from [`check_names`].
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was found (expected vs observed, or why it could not run).
    pub detail: String,
}

/// What the pool itself reported (for records and for price conversion).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedPool {
    /// `token0()` (EIP-55).
    pub token0: Option<String>,
    /// `token1()` (EIP-55).
    pub token1: Option<String>,
    /// `fee()`.
    pub fee: Option<u32>,
    /// `tickSpacing()`.
    pub tick_spacing: Option<i32>,
    /// Decimals of token0 (networks file, else `decimals()` on chain).
    pub token0_decimals: Option<u8>,
    /// Decimals of token1.
    pub token1_decimals: Option<u8>,
}

/// The validator's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// Network name.
    pub network: String,
    /// The network's configured chain id.
    pub chain_id: u64,
    /// The pool address as given.
    pub pool: String,
    /// The node queried (redacted to `scheme://host:port`).
    pub rpc_endpoint: String,
    /// True iff every check passed.
    pub passed: bool,
    /// Every check, in the order of [`check_names::ALL`].
    pub checks: Vec<Check>,
    /// What the pool reported.
    pub observed: ObservedPool,
}

impl ValidationReport {
    /// The check called `name`.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// Names of the failed checks.
    pub fn failed(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name.as_str())
            .collect()
    }

    /// The pool address, if it parsed (ignoring the checksum).
    pub fn pool_address(&self) -> Option<Address> {
        parse_address_form(&self.pool).ok()
    }
}

struct Checks(Vec<Check>);

impl Checks {
    fn push(&mut self, name: &str, passed: bool, detail: impl Into<String>) {
        self.0.push(Check {
            name: name.to_string(),
            passed,
            detail: detail.into(),
        });
    }
}

async fn call_decode<C: SolCall>(
    rpc: &RpcClient,
    to: Address,
    call: C,
) -> Result<C::Return, String> {
    let out = rpc
        .call(to, &call.abi_encode())
        .await
        .map_err(|e| e.to_string())?;
    if out.is_empty() {
        return Err(format!("{} returned no data", C::SIGNATURE));
    }
    C::abi_decode_returns(&out)
        .map_err(|e| format!("{} returned undecodable data: {e}", C::SIGNATURE))
}

fn not_run(why: &str) -> String {
    format!("not run: {why}")
}

fn compare_address(
    checks: &mut Checks,
    name: &str,
    expected: Option<&str>,
    observed: &Result<Address, String>,
) {
    match observed {
        Err(e) => checks.push(name, false, format!("could not read: {e}")),
        Ok(found) => match expected {
            None => checks.push(
                name,
                true,
                format!("observed {} (no expectation given)", checksummed(found)),
            ),
            Some(exp) => match parse_address(exp) {
                Err(e) => checks.push(
                    name,
                    false,
                    format!("expected value is not acceptable: {e}"),
                ),
                Ok((want, _)) if &want == found => {
                    checks.push(name, true, format!("{} as expected", checksummed(found)))
                }
                Ok((want, _)) => checks.push(
                    name,
                    false,
                    format!(
                        "expected {}, pool reports {}",
                        checksummed(&want),
                        checksummed(found)
                    ),
                ),
            },
        },
    }
}

fn compare_number<T: PartialEq + std::fmt::Display>(
    checks: &mut Checks,
    name: &str,
    expected: Option<T>,
    observed: &Result<T, String>,
) {
    match observed {
        Err(e) => checks.push(name, false, format!("could not read: {e}")),
        Ok(found) => match expected {
            None => checks.push(
                name,
                true,
                format!("observed {found} (no expectation given)"),
            ),
            Some(want) if &want == found => checks.push(name, true, format!("{found} as expected")),
            Some(want) => checks.push(
                name,
                false,
                format!("expected {want}, pool reports {found}"),
            ),
        },
    }
}

async fn token_decimals(rpc: &RpcClient, network: &Network, token: Address) -> Option<u8> {
    if let Some(t) = network.token_by_address(&token) {
        return Some(t.decimals);
    }
    call_decode(rpc, token, decimalsCall {}).await.ok()
}

/// Validates `expect` against the chain behind `rpc` and the configured `network`.
/// Never fails as a whole: every problem is a failed check in the report.
pub async fn validate_pool(
    rpc: &RpcClient,
    network: &Network,
    expect: &PoolExpectation,
) -> ValidationReport {
    let mut checks = Checks(Vec::with_capacity(names::ALL.len()));
    let mut observed = ObservedPool::default();

    // address_form and address_checksum
    let address = match parse_address_form(&expect.address) {
        Ok(a) => {
            checks.push(names::ADDRESS_FORM, true, "0x followed by 40 hex digits");
            Some(a)
        }
        Err(e) => {
            checks.push(names::ADDRESS_FORM, false, e.to_string());
            None
        }
    };
    match (address, parse_address(&expect.address)) {
        (None, _) => checks.push(
            names::ADDRESS_CHECKSUM,
            false,
            not_run("the address is malformed"),
        ),
        (Some(_), Ok((_, ChecksumState::Valid))) => {
            checks.push(names::ADDRESS_CHECKSUM, true, "EIP-55 checksum verifies")
        }
        (Some(a), Ok((_, ChecksumState::SingleCase))) => checks.push(
            names::ADDRESS_CHECKSUM,
            true,
            format!(
                "single-case address carries no checksum (EIP-55 form {})",
                checksummed(&a)
            ),
        ),
        (Some(_), Err(e)) => checks.push(names::ADDRESS_CHECKSUM, false, e.to_string()),
    }

    // chain_id (needs no address)
    match rpc.chain_id().await {
        Ok(id) if id == network.chain_id => checks.push(
            names::CHAIN_ID,
            true,
            format!("chain id {id} matches network {}", network.name),
        ),
        Ok(id) => checks.push(
            names::CHAIN_ID,
            false,
            format!(
                "node reports chain id {id}, network {} expects {}",
                network.name, network.chain_id
            ),
        ),
        Err(e) => checks.push(names::CHAIN_ID, false, format!("could not read: {e}")),
    }

    let Some(pool) = address else {
        // everything after chain_id needs the address
        for name in names::ALL.iter().skip(3) {
            checks.push(name, false, not_run("the address is malformed"));
        }
        return finish(rpc, network, expect, checks, observed);
    };

    // code_present
    match rpc.get_code(pool).await {
        Ok(code) if !code.is_empty() => checks.push(
            names::CODE_PRESENT,
            true,
            format!("{} bytes of code", code.len()),
        ),
        Ok(_) => checks.push(
            names::CODE_PRESENT,
            false,
            format!(
                "no code at {} (eth_getCode returned 0x)",
                checksummed(&pool)
            ),
        ),
        Err(e) => checks.push(names::CODE_PRESENT, false, format!("could not read: {e}")),
    }

    // factory
    let factory = call_decode(rpc, pool, factoryCall {}).await;
    match (&factory, network.factory) {
        (Err(e), _) => checks.push(names::FACTORY, false, format!("could not read: {e}")),
        (Ok(found), None) => checks.push(
            names::FACTORY,
            false,
            format!(
                "pool reports factory {}, but network {} has no factory in the networks file",
                checksummed(found),
                network.name
            ),
        ),
        (Ok(found), Some(want)) if *found == want => checks.push(
            names::FACTORY,
            true,
            format!("{} is the network's UniswapV3Factory", checksummed(found)),
        ),
        (Ok(found), Some(want)) => checks.push(
            names::FACTORY,
            false,
            format!(
                "pool reports factory {}, network {} uses {}",
                checksummed(found),
                network.name,
                checksummed(&want)
            ),
        ),
    }

    // token0, token1, fee, tick_spacing
    let token0 = call_decode(rpc, pool, token0Call {}).await;
    let token1 = call_decode(rpc, pool, token1Call {}).await;
    let fee: Result<u32, String> = call_decode(rpc, pool, feeCall {})
        .await
        .map(|f: U24| f.to::<u32>());
    let spacing: Result<i32, String> = call_decode(rpc, pool, tickSpacingCall {})
        .await
        .map(|s| s.as_i32());
    compare_address(
        &mut checks,
        names::TOKEN0,
        expect.token0.as_deref(),
        &token0,
    );
    compare_address(
        &mut checks,
        names::TOKEN1,
        expect.token1.as_deref(),
        &token1,
    );
    compare_number(&mut checks, names::FEE, expect.fee, &fee);
    compare_number(
        &mut checks,
        names::TICK_SPACING,
        expect.tick_spacing,
        &spacing,
    );

    observed.token0 = token0.as_ref().ok().map(checksummed);
    observed.token1 = token1.as_ref().ok().map(checksummed);
    observed.fee = fee.as_ref().ok().copied();
    observed.tick_spacing = spacing.as_ref().ok().copied();

    // get_pool
    match (network.factory, &token0, &token1, &fee) {
        (None, ..) => checks.push(
            names::GET_POOL,
            false,
            not_run(&format!(
                "network {} has no factory in the networks file",
                network.name
            )),
        ),
        (Some(f), Ok(t0), Ok(t1), Ok(fee)) => {
            let call = getPoolCall {
                tokenA: *t0,
                tokenB: *t1,
                fee: U24::from(*fee),
            };
            match call_decode(rpc, f, call).await {
                Ok(found) if found == pool => checks.push(
                    names::GET_POOL,
                    true,
                    format!("factory.getPool(token0, token1, {fee}) is this pool"),
                ),
                Ok(found) if found == Address::ZERO => checks.push(
                    names::GET_POOL,
                    false,
                    format!(
                        "factory {} has no pool for ({}, {}, {fee})",
                        checksummed(&f),
                        checksummed(t0),
                        checksummed(t1)
                    ),
                ),
                Ok(found) => checks.push(
                    names::GET_POOL,
                    false,
                    format!(
                        "factory's pool for ({}, {}, {fee}) is {}, not {}",
                        checksummed(t0),
                        checksummed(t1),
                        checksummed(&found),
                        checksummed(&pool)
                    ),
                ),
                Err(e) => checks.push(names::GET_POOL, false, format!("could not read: {e}")),
            }
        }
        _ => checks.push(
            names::GET_POOL,
            false,
            not_run("needs token0, token1 and fee from the pool"),
        ),
    }

    if let Ok(t0) = token0 {
        observed.token0_decimals = token_decimals(rpc, network, t0).await;
    }
    if let Ok(t1) = token1 {
        observed.token1_decimals = token_decimals(rpc, network, t1).await;
    }
    finish(rpc, network, expect, checks, observed)
}

fn finish(
    rpc: &RpcClient,
    network: &Network,
    expect: &PoolExpectation,
    checks: Checks,
    observed: ObservedPool,
) -> ValidationReport {
    let checks = checks.0;
    ValidationReport {
        network: network.name.clone(),
        chain_id: network.chain_id,
        pool: expect.address.clone(),
        rpc_endpoint: rpc.endpoint().to_string(),
        passed: !checks.is_empty() && checks.iter().all(|c| c.passed),
        checks,
        observed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_the_reference() {
        assert_eq!(token0Call::SELECTOR, [0x0d, 0xfe, 0x16, 0x81]);
        assert_eq!(token1Call::SELECTOR, [0xd2, 0x12, 0x20, 0xa7]);
        assert_eq!(feeCall::SELECTOR, [0xdd, 0xca, 0x3f, 0x43]);
        assert_eq!(tickSpacingCall::SELECTOR, [0xd0, 0xc9, 0x3a, 0x7c]);
        assert_eq!(factoryCall::SELECTOR, [0xc4, 0x5a, 0x01, 0x55]);
        assert_eq!(getPoolCall::SELECTOR, [0x16, 0x98, 0xee, 0x82]);
        assert_eq!(decimalsCall::SELECTOR, [0x31, 0x3c, 0xe5, 0x67]);
    }

    #[test]
    fn check_names_are_unique_and_stable() {
        let mut sorted = names::ALL.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names::ALL.len());
        assert_eq!(names::ALL[0], "address_form");
        assert_eq!(names::ALL[9], "get_pool");
    }
}
