//! The real Uniswap V3 contracts, run in-process under revm: the reference side of the
//! engine's differential test and of the `engine_vs_revm` bench.
//!
//! [`RevmPool::new`] deploys the published `UniswapV3Factory` bytecode from
//! `@uniswap/v3-core@1.0.1` and two of our `TestERC20`s, then calls
//! `createPool(tokenA, tokenB, fee)`. Every pool action goes through a `PoolCallee`
//! (tools/contracts/PoolCallee.sol): one callee contract per owner name, deployed on the
//! owner's first action, so `burn`/`collect` (keyed by `msg.sender`) see distinct owners.
//! Callees pay each mint/swap callback exactly what it asks and receive every output.
//!
//! Results use the engine's Rust types; a revert is `Err(Revert { reason })` with the
//! `Error(string)` reason decoded, or `None` for empty revert data and invalid opcodes
//! (Solidity 0.7 `assert`). Anything else going wrong in the EVM (out of gas, a failed
//! deployment, missing artifacts) panics with a message: that is a harness failure, not a
//! pool result.
//!
//! The artifacts come from `tools/setup-test-deps.sh`; without them [`Artifacts::load`]
//! panics with a message saying to run it, so tests fail rather than skip.
#![allow(dead_code)] // the bench uses only part of the harness

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy_primitives::aliases::{I24, U160, U24};
use alloy_primitives::{keccak256, Address, Bytes, B256, I256, U256};
use alloy_sol_types::{sol, SolCall, SolConstructor, SolError};
use revm::context::result::{ExecutionResult, HaltReason, Output};
use revm::context::TxEnv;
use revm::database::{CacheDB, EmptyDB};
use revm::handler::{MainnetContext, MainnetEvm};
use revm::primitives::TxKind;
use revm::{Context, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext};

sol! {
    interface IUniswapV3Factory {
        function createPool(address tokenA, address tokenB, uint24 fee) external returns (address pool);
        function enableFeeAmount(uint24 fee, int24 tickSpacing) external;
    }

    interface IUniswapV3Pool {
        function initialize(uint160 sqrtPriceX96) external;
        function token0() external view returns (address);
        function token1() external view returns (address);
        function tickSpacing() external view returns (int24);
        function slot0() external view returns (
            uint160 sqrtPriceX96, int24 tick, uint16 observationIndex,
            uint16 observationCardinality, uint16 observationCardinalityNext,
            uint8 feeProtocol, bool unlocked);
        function liquidity() external view returns (uint128);
        function feeGrowthGlobal0X128() external view returns (uint256);
        function feeGrowthGlobal1X128() external view returns (uint256);
        function ticks(int24 tick) external view returns (
            uint128 liquidityGross, int128 liquidityNet,
            uint256 feeGrowthOutside0X128, uint256 feeGrowthOutside1X128,
            int56 tickCumulativeOutside, uint160 secondsPerLiquidityOutsideX128,
            uint32 secondsOutside, bool initialized);
        function tickBitmap(int16 wordPosition) external view returns (uint256);
        function positions(bytes32 key) external view returns (
            uint128 liquidity, uint256 feeGrowthInside0LastX128, uint256 feeGrowthInside1LastX128,
            uint128 tokensOwed0, uint128 tokensOwed1);
    }

    contract TestERC20 {
        constructor(string name_, string symbol_);
        function balanceOf(address owner) external view returns (uint256);
    }

    interface PoolCallee {
        function mint(address pool, int24 tickLower, int24 tickUpper, uint128 amount)
            external returns (uint256 amount0, uint256 amount1);
        function burn(address pool, int24 tickLower, int24 tickUpper, uint128 amount)
            external returns (uint256 amount0, uint256 amount1);
        function collect(address pool, int24 tickLower, int24 tickUpper,
            uint128 amount0Requested, uint128 amount1Requested)
            external returns (uint128 amount0, uint128 amount1);
        function swap(address pool, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96)
            external returns (int256 amount0, int256 amount1);
    }
}

/// A call the contracts reverted: the `Error(string)` reason, or `None` when the revert
/// carried no data or hit an invalid opcode. Revert data of any other shape is kept as
/// `0x…` hex so it can never compare equal to an engine reason by accident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revert {
    pub reason: Option<String>,
}

impl Revert {
    fn from_output(data: &[u8]) -> Revert {
        if data.is_empty() {
            return Revert { reason: None };
        }
        match alloy_sol_types::Revert::abi_decode(data) {
            Ok(r) => Revert {
                reason: Some(r.reason),
            },
            Err(_) => Revert {
                reason: Some(format!("0x{}", alloy_primitives::hex::encode(data))),
            },
        }
    }
}

/// Creation bytecode of the contracts the harness deploys.
#[derive(Clone)]
pub struct Artifacts {
    pub factory: Bytes,
    pub erc20: Bytes,
    pub callee: Bytes,
}

const SETUP_HINT: &str = "run tools/setup-test-deps.sh (it installs the pinned npm packages \
     into tools/node/node_modules and compiles tools/contracts into tools/node/artifacts)";

impl Artifacts {
    /// The directory holding tools/node (the crate root).
    fn node_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tools")
            .join("node")
    }

    /// Reads the three artifacts; panics naming the missing file and the setup script.
    pub fn load() -> Artifacts {
        let node = Self::node_dir();
        let v3 = node.join("node_modules/@uniswap/v3-core/artifacts/contracts");
        Artifacts {
            factory: read_bytecode(&v3.join("UniswapV3Factory.sol/UniswapV3Factory.json")),
            erc20: read_bytecode(&node.join("artifacts/TestERC20.json")),
            callee: read_bytecode(&node.join("artifacts/PoolCallee.json")),
        }
    }
}

fn read_bytecode(path: &Path) -> Bytes {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read contract artifact {}: {e}; {SETUP_HINT}",
            path.display()
        )
    });
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}; {SETUP_HINT}", path.display()));
    let hex = json
        .get("bytecode")
        .and_then(|b| b.as_str())
        .unwrap_or_else(|| panic!("{} has no string field `bytecode`", path.display()));
    let bytes = alloy_primitives::hex::decode(hex)
        .unwrap_or_else(|e| panic!("{}: bytecode is not hex: {e}", path.display()));
    assert!(!bytes.is_empty(), "{}: empty bytecode", path.display());
    Bytes::from(bytes)
}

/// `slot0`'s price and tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot0 {
    pub sqrt_price_x96: U256,
    pub tick: i32,
    pub unlocked: bool,
}

/// `ticks(t)`: the fields the engine models (the oracle fields are left out), plus the
/// contract's `initialized` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TickState {
    pub liquidity_gross: u128,
    pub liquidity_net: i128,
    pub fee_growth_outside0_x128: U256,
    pub fee_growth_outside1_x128: U256,
    pub initialized: bool,
}

/// `positions(keccak256(owner, tickLower, tickUpper))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PositionState {
    pub liquidity: u128,
    pub fee_growth_inside0_last_x128: U256,
    pub fee_growth_inside1_last_x128: U256,
    pub tokens_owed0: u128,
    pub tokens_owed1: u128,
}

type Evm = MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>;

/// Gas for every transaction: far above anything a pool action needs (a swap across the
/// whole tick range at spacing 1 walks ~3,500 bitmap words), so out-of-gas never decides
/// a result.
const TX_GAS: u64 = 4_000_000_000;

/// One deployed factory, token pair and pool under revm, plus one callee per owner.
pub struct RevmPool {
    evm: Evm,
    artifacts: Artifacts,
    deployer: Address,
    pub factory: Address,
    pub pool: Address,
    pub token0: Address,
    pub token1: Address,
    pub fee: u32,
    owners: BTreeMap<String, Address>,
}

impl RevmPool {
    /// Deploys everything with artifacts loaded from disk (see [`Artifacts::load`]).
    pub fn new(fee: u32) -> Result<RevmPool, Revert> {
        Self::with_artifacts(Artifacts::load(), fee)
    }

    /// Deploys the factory and two tokens, then `createPool(tokenA, tokenB, fee)`; an
    /// unknown fee tier reverts there (reasonless `require(tickSpacing != 0)`).
    pub fn with_artifacts(artifacts: Artifacts, fee: u32) -> Result<RevmPool, Revert> {
        let evm = Context::mainnet()
            .with_db(CacheDB::new(EmptyDB::default()))
            .modify_cfg_chained(|cfg| {
                cfg.disable_nonce_check = true;
                cfg.tx_gas_limit_cap = Some(u64::MAX);
            })
            .modify_block_chained(|block| {
                block.gas_limit = u64::MAX;
                block.basefee = 0;
                block.number = U256::from(1u64);
                block.timestamp = U256::from(1_700_000_000u64);
            })
            .build_mainnet();
        let mut this = RevmPool {
            evm,
            deployer: Address::repeat_byte(0xd0),
            factory: Address::ZERO,
            pool: Address::ZERO,
            token0: Address::ZERO,
            token1: Address::ZERO,
            fee,
            owners: BTreeMap::new(),
            artifacts,
        };
        this.factory = this.deploy(this.artifacts.factory.clone(), "UniswapV3Factory");
        let erc20_init = |name: &str| {
            let mut code = this.artifacts.erc20.to_vec();
            code.extend(
                TestERC20::constructorCall {
                    name_: name.to_string(),
                    symbol_: name.to_string(),
                }
                .abi_encode(),
            );
            code
        };
        let (code_a, code_b) = (erc20_init("TKA"), erc20_init("TKB"));
        let token_a = this.deploy(code_a.into(), "TestERC20 TKA");
        let token_b = this.deploy(code_b.into(), "TestERC20 TKB");
        let fee24 = U24::try_from(fee).map_err(|_| Revert { reason: None })?;
        if fee == 100 {
            // The 1.0.1 factory enables 500/10, 3000/60 and 10000/200 in its constructor;
            // 100/1 was enabled on mainnet later by governance, as the owner does here.
            this.call(
                this.factory,
                IUniswapV3Factory::enableFeeAmountCall {
                    fee: fee24,
                    tickSpacing: i24(1),
                },
            )
            .expect("enableFeeAmount(100, 1) as the factory owner");
        }
        let pool = this.call(
            this.factory,
            IUniswapV3Factory::createPoolCall {
                tokenA: token_a,
                tokenB: token_b,
                fee: fee24,
            },
        )?;
        this.pool = pool;
        this.token0 = this.view(pool, IUniswapV3Pool::token0Call {});
        this.token1 = this.view(pool, IUniswapV3Pool::token1Call {});
        Ok(this)
    }

    /// The pool's tick spacing as the factory set it.
    pub fn tick_spacing(&mut self) -> i32 {
        let s: I24 = self.view(self.pool, IUniswapV3Pool::tickSpacingCall {});
        s.as_i32()
    }

    /// `initialize(sqrtPriceX96)`. Panics if the price does not fit in uint160 (the
    /// contract's argument type), which a generator must not produce.
    pub fn initialize(&mut self, sqrt_price_x96: U256) -> Result<(), Revert> {
        let call = IUniswapV3Pool::initializeCall {
            sqrtPriceX96: u160(sqrt_price_x96, "sqrt_price_x96"),
        };
        self.call(self.pool, call).map(|_| ())
    }

    /// `mint(recipient = owner's callee, tickLower, tickUpper, amount)`: amounts paid in.
    pub fn mint(
        &mut self,
        owner: &str,
        tick_lower: i32,
        tick_upper: i32,
        amount: u128,
    ) -> Result<(U256, U256), Revert> {
        let callee = self.callee(owner);
        let r = self.call(
            callee,
            PoolCallee::mintCall {
                pool: self.pool,
                tickLower: i24(tick_lower),
                tickUpper: i24(tick_upper),
                amount,
            },
        )?;
        Ok((r.amount0, r.amount1))
    }

    /// `burn(tickLower, tickUpper, amount)` sent by the owner's callee.
    pub fn burn(
        &mut self,
        owner: &str,
        tick_lower: i32,
        tick_upper: i32,
        amount: u128,
    ) -> Result<(U256, U256), Revert> {
        let callee = self.callee(owner);
        let r = self.call(
            callee,
            PoolCallee::burnCall {
                pool: self.pool,
                tickLower: i24(tick_lower),
                tickUpper: i24(tick_upper),
                amount,
            },
        )?;
        Ok((r.amount0, r.amount1))
    }

    /// `collect(recipient = callee, tickLower, tickUpper, amount0Requested,
    /// amount1Requested)` sent by the owner's callee.
    pub fn collect(
        &mut self,
        owner: &str,
        tick_lower: i32,
        tick_upper: i32,
        amount0_requested: u128,
        amount1_requested: u128,
    ) -> Result<(u128, u128), Revert> {
        let callee = self.callee(owner);
        let r = self.call(
            callee,
            PoolCallee::collectCall {
                pool: self.pool,
                tickLower: i24(tick_lower),
                tickUpper: i24(tick_upper),
                amount0Requested: amount0_requested,
                amount1Requested: amount1_requested,
            },
        )?;
        Ok((r.amount0, r.amount1))
    }

    /// `swap(recipient, zeroForOne, amountSpecified, sqrtPriceLimitX96)` sent by the
    /// swapper callee (owner name `"swapper"`). Panics if the limit does not fit uint160.
    pub fn swap(
        &mut self,
        zero_for_one: bool,
        amount_specified: I256,
        sqrt_price_limit_x96: U256,
    ) -> Result<(I256, I256), Revert> {
        let callee = self.callee(SWAPPER);
        let r = self.call(
            callee,
            PoolCallee::swapCall {
                pool: self.pool,
                zeroForOne: zero_for_one,
                amountSpecified: amount_specified,
                sqrtPriceLimitX96: u160(sqrt_price_limit_x96, "sqrt_price_limit_x96"),
            },
        )?;
        Ok((r.amount0, r.amount1))
    }

    // ---- state read back ------------------------------------------------------------

    pub fn slot0(&mut self) -> Slot0 {
        let r = self.view(self.pool, IUniswapV3Pool::slot0Call {});
        Slot0 {
            sqrt_price_x96: U256::from(r.sqrtPriceX96),
            tick: r.tick.as_i32(),
            unlocked: r.unlocked,
        }
    }

    pub fn liquidity(&mut self) -> u128 {
        self.view(self.pool, IUniswapV3Pool::liquidityCall {})
    }

    pub fn fee_growth_global0_x128(&mut self) -> U256 {
        self.view(self.pool, IUniswapV3Pool::feeGrowthGlobal0X128Call {})
    }

    pub fn fee_growth_global1_x128(&mut self) -> U256 {
        self.view(self.pool, IUniswapV3Pool::feeGrowthGlobal1X128Call {})
    }

    pub fn tick_info(&mut self, tick: i32) -> TickState {
        let r = self.view(self.pool, IUniswapV3Pool::ticksCall { tick: i24(tick) });
        TickState {
            liquidity_gross: r.liquidityGross,
            liquidity_net: r.liquidityNet,
            fee_growth_outside0_x128: r.feeGrowthOutside0X128,
            fee_growth_outside1_x128: r.feeGrowthOutside1X128,
            initialized: r.initialized,
        }
    }

    /// `tickBitmap(word)`: bit `b` of word `w` is set when tick
    /// `(w * 256 + b) * tickSpacing` is initialized.
    pub fn tick_bitmap(&mut self, word: i16) -> U256 {
        self.view(
            self.pool,
            IUniswapV3Pool::tickBitmapCall { wordPosition: word },
        )
    }

    /// The position of `owner` (its callee's address) over the range; all zero when the
    /// owner never acted.
    pub fn position(&mut self, owner: &str, tick_lower: i32, tick_upper: i32) -> PositionState {
        let Some(&callee) = self.owners.get(owner) else {
            return PositionState::default();
        };
        let key = position_key(callee, tick_lower, tick_upper);
        let r = self.view(self.pool, IUniswapV3Pool::positionsCall { key });
        PositionState {
            liquidity: r.liquidity,
            fee_growth_inside0_last_x128: r.feeGrowthInside0LastX128,
            fee_growth_inside1_last_x128: r.feeGrowthInside1LastX128,
            tokens_owed0: r.tokensOwed0,
            tokens_owed1: r.tokensOwed1,
        }
    }

    /// The pool's balances of token0 and token1.
    pub fn balances(&mut self) -> (U256, U256) {
        let pool = self.pool;
        let b0 = self.view(self.token0, TestERC20::balanceOfCall { owner: pool });
        let b1 = self.view(self.token1, TestERC20::balanceOfCall { owner: pool });
        (b0, b1)
    }

    /// The callee contract acting for `owner`, if it has acted.
    pub fn owner_address(&self, owner: &str) -> Option<Address> {
        self.owners.get(owner).copied()
    }

    // ---- EVM plumbing ----------------------------------------------------------------

    /// The owner's callee, deployed on first use.
    fn callee(&mut self, owner: &str) -> Address {
        if let Some(&a) = self.owners.get(owner) {
            return a;
        }
        let a = self.deploy(self.artifacts.callee.clone(), "PoolCallee");
        self.owners.insert(owner.to_string(), a);
        a
    }

    fn tx(&self, kind: TxKind, data: Bytes) -> TxEnv {
        TxEnv {
            caller: self.deployer,
            kind,
            data,
            gas_limit: TX_GAS,
            gas_price: 0,
            nonce: 0,
            ..Default::default()
        }
    }

    fn deploy(&mut self, init_code: Bytes, what: &str) -> Address {
        let tx = self.tx(TxKind::Create, init_code);
        match self.evm.transact_commit(tx) {
            Ok(ExecutionResult::Success {
                output: Output::Create(_, Some(addr)),
                ..
            }) => addr,
            other => panic!("deploying {what} failed: {other:?}"),
        }
    }

    /// Sends a state-changing call and commits it when it succeeds.
    fn call<C: SolCall>(&mut self, to: Address, call: C) -> Result<C::Return, Revert> {
        let tx = self.tx(TxKind::Call(to), call.abi_encode().into());
        let result = self
            .evm
            .transact_commit(tx)
            .unwrap_or_else(|e| panic!("EVM rejected {}: {e:?}", C::SIGNATURE));
        let out = outcome(result, C::SIGNATURE)?;
        Ok(C::abi_decode_returns(&out)
            .unwrap_or_else(|e| panic!("cannot decode the return of {}: {e}", C::SIGNATURE)))
    }

    /// Runs a view call without committing anything; a revert is a harness failure.
    fn view<C: SolCall>(&mut self, to: Address, call: C) -> C::Return {
        let tx = self.tx(TxKind::Call(to), call.abi_encode().into());
        let result = self
            .evm
            .transact(tx)
            .unwrap_or_else(|e| panic!("EVM rejected {}: {e:?}", C::SIGNATURE))
            .result;
        let out = outcome(result, C::SIGNATURE)
            .unwrap_or_else(|r| panic!("view {} reverted: {r:?}", C::SIGNATURE));
        C::abi_decode_returns(&out)
            .unwrap_or_else(|e| panic!("cannot decode the return of {}: {e}", C::SIGNATURE))
    }
}

/// The owner name swaps are sent from.
pub const SWAPPER: &str = "swapper";

fn outcome(result: ExecutionResult, what: &str) -> Result<Bytes, Revert> {
    match result {
        ExecutionResult::Success { output, .. } => Ok(output.into_data()),
        ExecutionResult::Revert { output, .. } => Err(Revert::from_output(&output)),
        ExecutionResult::Halt {
            reason: HaltReason::InvalidFEOpcode | HaltReason::OpcodeNotFound,
            ..
        } => Err(Revert { reason: None }),
        ExecutionResult::Halt { reason, gas, .. } => {
            panic!("{what} halted: {reason:?} ({gas:?}); the harness must not run out of gas")
        }
    }
}

/// `keccak256(abi.encodePacked(owner, tickLower, tickUpper))` with int24 ticks.
pub fn position_key(owner: Address, tick_lower: i32, tick_upper: i32) -> B256 {
    let mut packed = Vec::with_capacity(26);
    packed.extend_from_slice(owner.as_slice());
    packed.extend_from_slice(&tick_lower.to_be_bytes()[1..]);
    packed.extend_from_slice(&tick_upper.to_be_bytes()[1..]);
    keccak256(packed)
}

/// An int24 argument; ticks outside int24 cannot be sent to the contract.
fn i24(t: i32) -> I24 {
    I24::try_from(t).unwrap_or_else(|_| panic!("tick {t} does not fit in int24"))
}

fn u160(v: U256, what: &str) -> U160 {
    use alloy_primitives::ruint::UintTryFrom;
    U160::uint_try_from(v)
        .ok()
        .unwrap_or_else(|| panic!("{what} = {v} does not fit in uint160"))
}
