//! The revm harness on its own: it deploys the published contracts and gives the
//! contract's known answers (values from Uniswap v3-core's own test suite) and revert
//! reasons, so a broken harness cannot pass the differential test silently.

use alloy_primitives::{I256, U256};

use crate::support::revm_pool::{Revert, RevmPool};

const MIN_SQRT_RATIO: u64 = 4_295_128_739;
/// `encodePriceSqrt(1, 10)` from v3-core's tests.
const PRICE_1_10: &str = "25054144837504793118641380156";
const MIN_TICK_60: i32 = -887_220;
const MAX_TICK_60: i32 = 887_220;

fn u(s: &str) -> U256 {
    s.parse().unwrap()
}

fn reason(r: &str) -> Revert {
    Revert {
        reason: Some(r.to_string()),
    }
}

const NO_REASON: Revert = Revert { reason: None };

fn pool_at_1_10() -> RevmPool {
    let mut pool = RevmPool::new(3000).expect("createPool 3000");
    pool.initialize(u(PRICE_1_10)).expect("initialize");
    pool
}

#[test]
fn revm_harness_deploys_and_initializes_like_v3_core_tests() {
    let mut pool = RevmPool::new(3000).expect("createPool 3000");
    assert_eq!(pool.tick_spacing(), 60);
    assert!(pool.token0 < pool.token1, "token0 is the lower address");
    let before = pool.slot0();
    assert_eq!(before.sqrt_price_x96, U256::ZERO);
    assert!(!before.unlocked, "an uninitialized pool is locked");

    pool.initialize(u(PRICE_1_10)).unwrap();
    let s = pool.slot0();
    assert_eq!(s.sqrt_price_x96, u(PRICE_1_10));
    assert_eq!(s.tick, -23028, "v3-core: price 1:10 is tick -23028");
    assert!(s.unlocked);
    assert_eq!(pool.initialize(u(PRICE_1_10)), Err(reason("AI")));

    let spacing = |fee| RevmPool::new(fee).unwrap().tick_spacing();
    assert_eq!(
        [spacing(100), spacing(500), spacing(10000)],
        [1, 10, 200],
        "fee tier → tick spacing"
    );
    assert_eq!(
        RevmPool::new(1234).err(),
        Some(NO_REASON),
        "unknown fee tier"
    );
}

#[test]
fn revm_harness_mint_pays_the_amounts_v3_core_expects() {
    let mut pool = pool_at_1_10();
    // v3-core "mint": 3161 liquidity over the full range at 1:10 costs 9996 / 1000.
    let paid = pool.mint("alice", MIN_TICK_60, MAX_TICK_60, 3161).unwrap();
    assert_eq!(paid, (U256::from(9996u64), U256::from(1000u64)));
    assert_eq!(
        pool.balances(),
        (U256::from(9996u64), U256::from(1000u64)),
        "the callee paid exactly what the callback asked"
    );
    assert_eq!(pool.liquidity(), 3161);
    let lower = pool.tick_info(MIN_TICK_60);
    assert_eq!(lower.liquidity_gross, 3161);
    assert_eq!(lower.liquidity_net, 3161);
    assert!(lower.initialized);
    assert_eq!(pool.tick_info(MAX_TICK_60).liquidity_net, -3161);
    // compressed -887220/60 = -14787 → word -58, bit 61; 14787 → word 57, bit 195.
    assert_eq!(pool.tick_bitmap(-58), U256::from(1u8) << 61);
    assert_eq!(pool.tick_bitmap(57), U256::from(1u8) << 195);
    assert_eq!(
        pool.position("alice", MIN_TICK_60, MAX_TICK_60).liquidity,
        3161
    );
    assert_eq!(pool.position("bob", MIN_TICK_60, MAX_TICK_60).liquidity, 0);
}

#[test]
fn revm_harness_maps_reverts_to_reasons() {
    let mut fresh = RevmPool::new(500).unwrap();
    assert_eq!(fresh.mint("a", -10, 10, 1), Err(reason("LOK")));
    assert_eq!(
        fresh.swap(true, I256::ONE, U256::from(MIN_SQRT_RATIO + 1)),
        Err(reason("LOK"))
    );
    assert_eq!(
        fresh.initialize(U256::from(MIN_SQRT_RATIO - 1)),
        Err(reason("R"))
    );

    let mut pool = pool_at_1_10();
    assert_eq!(pool.mint("a", 60, 60, 1), Err(reason("TLU")));
    assert_eq!(pool.mint("a", -887_280, 0, 1), Err(reason("TLM")));
    assert_eq!(pool.mint("a", 0, 887_280, 1), Err(reason("TUM")));
    assert_eq!(pool.mint("a", 1, 60, 1), Err(NO_REASON), "tick not spaced");
    assert_eq!(pool.mint("a", -60, 60, 0), Err(NO_REASON), "amount 0");
    assert_eq!(pool.burn("a", -60, 60, 0), Err(reason("NP")));
    assert_eq!(pool.burn("a", -60, 60, 1), Err(reason("LS")));
    assert_eq!(
        pool.swap(true, I256::ZERO, U256::from(MIN_SQRT_RATIO + 1)),
        Err(reason("AS"))
    );
    assert_eq!(
        pool.swap(true, I256::ONE, u(PRICE_1_10) + U256::ONE),
        Err(reason("SPL"))
    );
    assert_eq!(
        pool.swap(true, I256::ONE, U256::from(MIN_SQRT_RATIO)),
        Err(reason("SPL"))
    );
    // a revert leaves no trace
    assert_eq!(pool.liquidity(), 0);
    assert_eq!(pool.balances(), (U256::ZERO, U256::ZERO));
}

#[test]
fn revm_harness_swaps_burns_and_collects() {
    let mut pool = pool_at_1_10();
    pool.mint("alice", MIN_TICK_60, MAX_TICK_60, 3161).unwrap();
    pool.mint("alice", -23100, -22980, 10u128.pow(12)).unwrap();

    // exact input: the pool takes exactly the amount specified
    let (a0, a1) = pool
        .swap(
            true,
            I256::try_from(1_000_000).unwrap(),
            U256::from(MIN_SQRT_RATIO + 1),
        )
        .unwrap();
    assert_eq!(a0, I256::try_from(1_000_000).unwrap());
    assert!(a1.is_negative(), "token1 flows out: {a1}");
    assert!(
        pool.fee_growth_global0_x128() > U256::ZERO,
        "fees on token0"
    );
    assert_eq!(pool.fee_growth_global1_x128(), U256::ZERO);

    // exact output: the pool pays exactly the amount asked
    let (b0, b1) = pool
        .swap(
            false,
            I256::try_from(-1_000_000).unwrap(),
            U256::from(1u8) << 159, // far above the price
        )
        .unwrap();
    assert_eq!(b0, I256::try_from(-1_000_000).unwrap());
    assert!(b1.is_positive());

    // burn 0 pokes the fees into tokens owed; collect pays at most what is owed
    assert_eq!(
        pool.burn("alice", -23100, -22980, 0),
        Ok((U256::ZERO, U256::ZERO))
    );
    let owed = pool.position("alice", -23100, -22980);
    assert!(owed.tokens_owed0 > 0 && owed.tokens_owed1 > 0, "{owed:?}");
    let got = pool.collect("alice", -23100, -22980, 1, u128::MAX).unwrap();
    assert_eq!(got, (1, owed.tokens_owed1));
    let left = pool.position("alice", -23100, -22980);
    assert_eq!(
        (left.tokens_owed0, left.tokens_owed1),
        (owed.tokens_owed0 - 1, 0)
    );

    // burning everything credits the principal to tokens owed
    let (p0, p1) = pool.burn("alice", -23100, -22980, 10u128.pow(12)).unwrap();
    assert!(p0 > U256::ZERO || p1 > U256::ZERO);
    assert_eq!(pool.position("alice", -23100, -22980).liquidity, 0);
    assert_eq!(pool.burn("alice", -23100, -22980, 1), Err(reason("LS")));
    // "bob" never minted: collect returns nothing and does not revert
    assert_eq!(pool.collect("bob", -23100, -22980, 5, 5), Ok((0, 0)));
}
