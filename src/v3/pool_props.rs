//! Property tests of the pool engine on random action sequences: no panic on any input,
//! a failed action leaves the pool unchanged, and after every action the pool's books
//! agree with its positions (in-range liquidity, per-tick gross/net, bitmap = ticks,
//! price within the current tick, token balances cover everything owed).

use proptest::prelude::*;

use super::action::{Action, ActionOutput};
use super::num::{I256, U256};
use super::pool::{Pool, FEE_TIERS};
use super::safe_math::i128_to_i256;
use super::tick_math::{
    get_sqrt_ratio_at_tick, MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK,
};

const OWNERS: [&str; 3] = ["alice", "bob", "carol"];

fn tick_strategy(spacing: i32) -> impl Strategy<Value = i32> + Clone {
    let max_c = MAX_TICK / spacing;
    prop_oneof![
        8 => (-6i32..=6).prop_map(move |k| k * spacing * 10),
        3 => (-max_c..=max_c).prop_map(move |c| c * spacing),
        1 => Just(MIN_TICK),
        1 => Just(MAX_TICK),
        1 => -1000i32..1000,
        1 => any::<i32>(),
    ]
}

fn liquidity_strategy() -> impl Strategy<Value = u128> + Clone {
    prop_oneof![
        6 => 1u128..1_000_000_000_000_000_000,
        2 => 0u128..10,
        1 => any::<u128>(),
        1 => (0u32..128).prop_map(|b| 1u128 << b),
    ]
}

fn amount_strategy() -> impl Strategy<Value = I256> {
    prop_oneof![
        6 => (-1_000_000_000_000_000_000i128..1_000_000_000_000_000_000).prop_map(i128_to_i256),
        1 => any::<i128>().prop_map(i128_to_i256),
        1 => any::<[u64; 4]>().prop_map(|l| I256::from_raw(U256::from_limbs(l))),
        1 => Just(I256::MIN),
        1 => Just(I256::MAX),
    ]
}

fn limit_strategy() -> impl Strategy<Value = (bool, U256)> {
    prop_oneof![
        4 => any::<bool>().prop_map(|z| (z, if z { MIN_SQRT_RATIO + U256::from(1u8) } else { MAX_SQRT_RATIO - U256::from(1u8) })),
        4 => (any::<bool>(), -200_000i32..200_000).prop_map(|(z, t)| (z, get_sqrt_ratio_at_tick(t).unwrap_or(U256::ZERO))),
        1 => (any::<bool>(), any::<[u64; 4]>()).prop_map(|(z, l)| (z, U256::from_limbs(l))),
    ]
}

fn action_strategy(spacing: i32) -> impl Strategy<Value = Action> {
    let owner = (0usize..OWNERS.len()).prop_map(|i| OWNERS[i].to_string());
    let range = (tick_strategy(spacing), tick_strategy(spacing));
    prop_oneof![
        3 => (owner.clone(), range.clone(), liquidity_strategy()).prop_map(|(owner, (l, u), amount)| Action::Mint { owner, tick_lower: l.min(u), tick_upper: l.max(u), amount }),
        2 => (owner.clone(), range.clone(), liquidity_strategy()).prop_map(|(owner, (l, u), amount)| Action::Burn { owner, tick_lower: l.min(u), tick_upper: l.max(u), amount }),
        1 => (owner.clone(), range.clone(), any::<u128>(), any::<u128>()).prop_map(|(owner, (l, u), a0, a1)| Action::Collect { owner, tick_lower: l, tick_upper: u, amount0_requested: a0, amount1_requested: a1 }),
        5 => (amount_strategy(), limit_strategy()).prop_map(|(amount_specified, (zero_for_one, sqrt_price_limit_x96))| Action::Swap { zero_for_one, amount_specified, sqrt_price_limit_x96 }),
    ]
}

/// A step of a scenario: a raw action, or one aimed at an existing position (burn a
/// quarter..all of it, poke it, collect everything) so burns succeed often.
#[derive(Debug, Clone)]
enum Step {
    Raw(Action),
    OnExisting {
        index: usize,
        quarters: u8,
        collect: bool,
    },
}

impl Step {
    fn resolve(&self, p: &Pool) -> Option<Action> {
        match self {
            Step::Raw(a) => Some(a.clone()),
            Step::OnExisting {
                index,
                quarters,
                collect,
            } => {
                let n = p.positions().count();
                let (k, info) = p.positions().nth(index.checked_rem(n)?)?;
                let (owner, tick_lower, tick_upper) = (k.owner.clone(), k.tick_lower, k.tick_upper);
                Some(if *collect {
                    Action::Collect {
                        owner,
                        tick_lower,
                        tick_upper,
                        amount0_requested: u128::MAX,
                        amount1_requested: u128::MAX,
                    }
                } else {
                    let amount = info.liquidity / 4 * (*quarters as u128)
                        + if *quarters == 4 {
                            info.liquidity % 4
                        } else {
                            0
                        };
                    Action::Burn {
                        owner,
                        tick_lower,
                        tick_upper,
                        amount,
                    }
                })
            }
        }
    }
}

fn step_strategy(spacing: i32) -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => action_strategy(spacing).prop_map(Step::Raw),
        2 => (any::<usize>(), 0u8..=4, any::<bool>()).prop_map(|(index, quarters, collect)| Step::OnExisting { index, quarters, collect }),
    ]
}

fn scenario() -> impl Strategy<Value = (u32, U256, Vec<Step>)> {
    (0usize..FEE_TIERS.len()).prop_flat_map(|i| {
        let (fee, spacing) = FEE_TIERS[i];
        let price = prop_oneof![
            6 => (-100_000i32..100_000).prop_map(|t| get_sqrt_ratio_at_tick(t).unwrap_or(U256::ZERO)),
            1 => any::<[u64; 4]>().prop_map(|l| U256::from_limbs(l) >> 96usize),
        ];
        (Just(fee), price, prop::collection::vec(step_strategy(spacing), 1..60))
    })
}

/// Token balances of the pool as the callers paid and received them.
#[derive(Default)]
struct Books {
    balance0: I256,
    balance1: I256,
}

fn check_invariants(p: &Pool, books: &Books) {
    // bitmap <-> ticks
    for (t, info) in p.ticks() {
        assert!(
            info.initialized && info.liquidity_gross > 0,
            "tick {t} {info:?}"
        );
        assert!(
            p.tick_bitmap().is_initialized(t, p.tick_spacing()),
            "bit of tick {t}"
        );
    }
    let bits: u32 = p
        .tick_bitmap()
        .words()
        .map(|(_, w)| w.count_ones() as u32)
        .sum();
    assert_eq!(bits as usize, p.ticks().count());
    // per-tick gross and net from the positions
    for (t, info) in p.ticks() {
        let mut gross = 0u128;
        let mut net = 0i128;
        for (k, pos) in p.positions() {
            if k.tick_lower == t {
                gross += pos.liquidity;
                net += pos.liquidity as i128;
            }
            if k.tick_upper == t {
                gross += pos.liquidity;
                net -= pos.liquidity as i128;
            }
        }
        assert_eq!(
            (info.liquidity_gross, info.liquidity_net),
            (gross, net),
            "tick {t}"
        );
    }
    // in-range liquidity
    let in_range: u128 = p
        .positions()
        .filter(|(k, _)| k.tick_lower <= p.tick() && p.tick() < k.tick_upper)
        .map(|(_, v)| v.liquidity)
        .sum();
    assert_eq!(p.liquidity(), in_range);
    // price within the current tick: ratio(tick) <= price <= ratio(tick + 1)
    if p.is_initialized() {
        let lo = get_sqrt_ratio_at_tick(p.tick()).unwrap();
        assert!(lo <= p.sqrt_price_x96());
        if p.tick() < MAX_TICK {
            assert!(p.sqrt_price_x96() <= get_sqrt_ratio_at_tick(p.tick() + 1).unwrap());
        }
    }
    // the pool holds at least what it owes (rounding always favours the pool)
    let owed0: u128 = p
        .positions()
        .map(|(_, v)| v.tokens_owed0)
        .fold(0, u128::saturating_add);
    let owed1: u128 = p
        .positions()
        .map(|(_, v)| v.tokens_owed1)
        .fold(0, u128::saturating_add);
    assert!(
        books.balance0 >= i128_to_i256(owed0 as i128).max(I256::ZERO) || owed0 > i128::MAX as u128
    );
    assert!(
        books.balance1 >= i128_to_i256(owed1 as i128).max(I256::ZERO) || owed1 > i128::MAX as u128
    );
}

fn book(books: &mut Books, out: &ActionOutput) {
    match *out {
        ActionOutput::Amounts { .. } => {}
        ActionOutput::Collected { amount0, amount1 } => {
            books.balance0 = books.balance0.saturating_sub(i128_to_i256(amount0 as i128));
            books.balance1 = books.balance1.saturating_sub(i128_to_i256(amount1 as i128));
        }
        ActionOutput::Swapped { amount0, amount1 } => {
            books.balance0 = books.balance0.saturating_add(amount0);
            books.balance1 = books.balance1.saturating_add(amount1);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_actions_never_panic_and_failures_are_atomic((fee, price, actions) in scenario()) {
        let mut p = Pool::new(fee).unwrap();
        let _ = p.initialize(price);
        let mut books = Books::default();
        for step in &actions {
            let Some(a) = step.resolve(&p) else { continue };
            let a = &a;
            let before = p.clone();
            match p.apply(a) {
                Ok(out) => {
                    if let (Action::Mint { .. }, ActionOutput::Amounts { amount0, amount1 }) = (a, &out) {
                        books.balance0 = books.balance0.saturating_add(I256::from_raw(*amount0));
                        books.balance1 = books.balance1.saturating_add(I256::from_raw(*amount1));
                    }
                    book(&mut books, &out);
                }
                Err(e) => {
                    prop_assert_eq!(&p, &before, "failed {:?} ({}) changed the pool", a, e);
                }
            }
            check_invariants(&p, &books);
        }
    }

    #[test]
    fn swaps_round_trip_never_profit_the_trader(
        (fee, price, actions) in scenario(),
        amount in 1i128..1_000_000_000_000_000_000,
    ) {
        let mut p = Pool::new(fee).unwrap();
        prop_assume!(p.initialize(price).is_ok());
        for step in &actions {
            if let Step::Raw(a @ Action::Mint { .. }) = step {
                let _ = p.apply(a);
            }
        }
        let z = p.sqrt_price_x96() > MIN_SQRT_RATIO + U256::from(1u8);
        let limit_in = if z { MIN_SQRT_RATIO + U256::from(1u8) } else { MAX_SQRT_RATIO - U256::from(1u8) };
        let limit_back = if z { MAX_SQRT_RATIO - U256::from(1u8) } else { MIN_SQRT_RATIO + U256::from(1u8) };
        if let Ok((a0, a1)) = p.swap(z, i128_to_i256(amount), limit_in) {
            let received = if z { a1 } else { a0 }.wrapping_neg();
            if received > I256::ZERO {
                if let Ok((b0, b1)) = p.swap(!z, received, limit_back) {
                    let got_back = if z { b0 } else { b1 }.wrapping_neg();
                    prop_assert!(got_back <= i128_to_i256(amount), "round trip gave {} for {}", got_back, amount);
                }
            }
        }
        let _ = MIN_TICK;
    }
}
