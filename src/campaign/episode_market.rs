//! The market of a mock episode: a generated tape for the pair (by default WETH/USDC
//! with the 0.05% and 0.3% pools) with a warm-up the agent observes and a holding
//! period the position lives through. Each episode's tape comes from its own seed.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::agent::context::MAX_WARMUP_MINUTES;
use crate::agent::rng;
use crate::market::{generate, MarketError, MarketRegime, MarketSpec, MarketTape};

/// Mainnet addresses of the default pair's pools, by fee (intel is keyed by them).
const POOL_ADDRESSES: [(u32, &str); 2] = [
    (500, "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640"),
    (3000, "0x8ad599c3A0ff1De082011EFDDc58f1908eb6e6D8"),
];

/// How episodes' markets are made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeMarket {
    pub regime: MarketRegime,
    /// Minutes of history before the open (observable by the agent).
    pub warmup_minutes: u32,
    /// Minutes the position is held (a day by default).
    pub hold_minutes: u32,
}

impl Default for EpisodeMarket {
    fn default() -> Self {
        EpisodeMarket {
            regime: MarketRegime::Mixed,
            warmup_minutes: 240,
            hold_minutes: 1440,
        }
    }
}

/// A bad market setting.
#[derive(Debug, thiserror::Error)]
#[error("{flag} {value}: {reason}")]
pub struct MarketSettingError {
    pub flag: &'static str,
    pub value: String,
    pub reason: String,
}

impl EpisodeMarket {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), MarketSettingError> {
        if self.hold_minutes == 0 || self.hold_minutes > 43_200 {
            return Err(MarketSettingError {
                flag: "--hold-minutes",
                value: self.hold_minutes.to_string(),
                reason: "must be from 1 to 43200 (30 days)".into(),
            });
        }
        if self.warmup_minutes < 2 || self.warmup_minutes as usize > MAX_WARMUP_MINUTES {
            return Err(MarketSettingError {
                flag: "--warmup-minutes",
                value: self.warmup_minutes.to_string(),
                reason: format!("must be from 2 to {MAX_WARMUP_MINUTES}"),
            });
        }
        Ok(())
    }

    /// The generator's spec.
    pub fn spec(&self) -> MarketSpec {
        let mut spec = MarketSpec::regime(self.regime);
        spec.minutes = self.warmup_minutes + self.hold_minutes;
        spec
    }

    /// The seed of episode `index`'s market, derived from the run seed.
    pub fn episode_seed(&self, seed: u64, index: u64) -> u64 {
        rng::stream(seed, index, "market").next_u64()
    }

    /// The episode's tape and the open time (after the warm-up).
    pub fn tape(&self, episode_seed: u64) -> Result<(MarketTape, u64), MarketError> {
        let tape = generate(&self.spec(), episode_seed)?;
        let open_ts = tape.start_ts() + u64::from(self.warmup_minutes) * 60;
        Ok((tape, open_ts))
    }

    /// The pair's name as the runbook writes it.
    pub fn pair_name(&self) -> String {
        let spec = self.spec();
        format!("{}-{}", spec.pair.token0, spec.pair.token1)
    }

    /// The address intel is keyed by: the pair's first (lowest-fee) pool.
    pub fn primary_pool_address(&self) -> &'static str {
        let fee = self.spec().tiers.first().map(|t| t.fee).unwrap_or(500);
        POOL_ADDRESSES
            .iter()
            .find(|(f, _)| *f == fee)
            .map(|(_, a)| *a)
            .unwrap_or(POOL_ADDRESSES[0].1)
    }

    /// A one-line description recorded in run.started.
    pub fn describe(&self) -> String {
        format!(
            "synthetic:regime={},warmup_minutes={},hold_minutes={}",
            serde_json::to_value(self.regime)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            self.warmup_minutes,
            self.hold_minutes
        )
    }
}
