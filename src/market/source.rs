//! Market source strings (the CLI's `--market`): where a tape comes from.
//!
//! ```text
//! synthetic:seed=7,minutes=43200,regime=mixed[,start_price=3000]
//! events:FILE[,fee=3000][,token0=WETH,token1=USDC,decimals0=18,decimals1=6]
//! demeter:DIR,pool=0x…,from=YYYY-MM-DD,to=YYYY-MM-DD[,fee=500][,token0=USDC,token1=WETH,decimals0=6,decimals1=18]
//! tape:FILE          (a tape written as JSON by `MarketTape::to_json`)
//! ```
//! Options are `key=value` after the first comma; paths cannot contain commas.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::demeter::{load_demeter, DemeterSource};
use super::error::MarketError;
use super::event_log::{load_event_log, PoolMeta};
use super::generator::{generate, MarketRegime, MarketSpec};
use super::tape::{MarketTape, Pair};
use crate::v3::pool::tick_spacing_for_fee;

/// Longest synthetic market the CLI generates (one year of minutes).
pub const MAX_SYNTHETIC_MINUTES: u32 = 525_600;

/// A parsed market source.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MarketSource {
    Synthetic {
        spec: Box<MarketSpec>,
        seed: u64,
    },
    Events {
        file: PathBuf,
        meta: PoolMeta,
    },
    Demeter {
        source: DemeterSource,
        meta: PoolMeta,
    },
    Tape {
        file: PathBuf,
    },
}

impl MarketSource {
    /// Parses a source string (syntax in the module doc and SPEC.md).
    pub fn parse(text: &str) -> Result<Self, MarketError> {
        let bad = |reason: String| MarketError::BadSource {
            source_text: text.to_string(),
            reason,
        };
        let (kind, rest) = text.split_once(':').ok_or_else(|| {
            bad("expected KIND:…, KIND one of synthetic, events, demeter, tape".into())
        })?;
        let mut parts = rest.split(',');
        let first = parts.next().unwrap_or("");
        let mut opts: BTreeMap<&str, &str> = BTreeMap::new();
        let mut positional = None;
        if kind == "synthetic" {
            if !first.is_empty() {
                let (k, v) = first
                    .split_once('=')
                    .ok_or_else(|| bad(format!("expected key=value, got {first:?}")))?;
                opts.insert(k, v);
            }
        } else {
            if first.is_empty() {
                return Err(bad(format!("{kind}: needs a path after the colon")));
            }
            positional = Some(PathBuf::from(first));
        }
        for p in parts {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| bad(format!("expected key=value, got {p:?}")))?;
            if opts.insert(k, v).is_some() {
                return Err(bad(format!("option {k:?} given twice")));
            }
        }
        let allowed: &[&str] = match kind {
            "synthetic" => &["seed", "minutes", "regime", "start_price"],
            "events" => &["fee", "token0", "token1", "decimals0", "decimals1"],
            "demeter" => &[
                "pool",
                "from",
                "to",
                "fee",
                "token0",
                "token1",
                "decimals0",
                "decimals1",
            ],
            "tape" => &[],
            other => {
                return Err(bad(format!(
                    "unknown kind {other:?} (expected synthetic, events, demeter or tape)"
                )))
            }
        };
        if let Some(k) = opts.keys().find(|k| !allowed.contains(k)) {
            return Err(bad(format!(
                "unknown option {k:?} for {kind} (allowed: {allowed:?})"
            )));
        }
        let num = |k: &str, default: u64| -> Result<u64, MarketError> {
            match opts.get(k) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u64>()
                    .map_err(|_| bad(format!("{k}={v:?} is not a non-negative integer"))),
            }
        };
        let meta = |default_pair: Pair, default_fee: u64| -> Result<PoolMeta, MarketError> {
            let fee = num("fee", default_fee)?;
            let fee_u32 = u32::try_from(fee).unwrap_or(u32::MAX);
            let tick_spacing = tick_spacing_for_fee(fee_u32)
                .ok_or_else(|| bad(format!("fee={fee} is not one of 100, 500, 3000, 10000")))?;
            let dec = |k: &str, d: u8| -> Result<u8, MarketError> {
                let v = num(k, u64::from(d))?;
                u8::try_from(v)
                    .ok()
                    .filter(|v| *v <= 36)
                    .ok_or_else(|| bad(format!("{k}={v} must be at most 36")))
            };
            Ok(PoolMeta {
                pair: Pair {
                    token0: opts
                        .get("token0")
                        .map_or(default_pair.token0.clone(), |s| s.to_string()),
                    token1: opts
                        .get("token1")
                        .map_or(default_pair.token1.clone(), |s| s.to_string()),
                    decimals0: dec("decimals0", default_pair.decimals0)?,
                    decimals1: dec("decimals1", default_pair.decimals1)?,
                },
                fee: fee_u32,
                tick_spacing,
            })
        };
        match kind {
            "synthetic" => {
                let seed = num("seed", 0)?;
                let minutes = num("minutes", 1440)?;
                let minutes = u32::try_from(minutes)
                    .ok()
                    .filter(|m| (1..=MAX_SYNTHETIC_MINUTES).contains(m))
                    .ok_or_else(|| {
                        bad(format!(
                            "minutes={minutes} must be in [1, {MAX_SYNTHETIC_MINUTES}]"
                        ))
                    })?;
                let regime = match opts.get("regime") {
                    None => MarketRegime::Mixed,
                    Some(r) => r.parse::<MarketRegime>().map_err(bad)?,
                };
                let mut spec = MarketSpec::regime(regime);
                spec.minutes = minutes;
                if let Some(p) = opts.get("start_price") {
                    spec.start_price = p
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && *x > 0.0)
                        .ok_or_else(|| {
                            bad(format!("start_price={p:?} is not a positive number"))
                        })?;
                }
                Ok(MarketSource::Synthetic {
                    spec: Box::new(spec),
                    seed,
                })
            }
            "events" => Ok(MarketSource::Events {
                file: positional.unwrap_or_default(),
                meta: meta(Pair::weth_usdc(), 3000)?,
            }),
            "demeter" => {
                let get = |k: &str| {
                    opts.get(k)
                        .map(|s| s.to_string())
                        .ok_or_else(|| bad(format!("demeter needs {k}=…")))
                };
                let usdc_weth = Pair {
                    token0: "USDC".into(),
                    token1: "WETH".into(),
                    decimals0: 6,
                    decimals1: 18,
                };
                Ok(MarketSource::Demeter {
                    source: DemeterSource {
                        dir: positional.unwrap_or_default(),
                        pool: get("pool")?,
                        from: get("from")?,
                        to: get("to")?,
                    },
                    meta: meta(usdc_weth, 500)?,
                })
            }
            _ => Ok(MarketSource::Tape {
                file: positional.unwrap_or_default(),
            }),
        }
    }

    /// Builds or loads the tape.
    pub fn load(&self) -> Result<MarketTape, MarketError> {
        match self {
            MarketSource::Synthetic { spec, seed } => generate(spec, *seed),
            MarketSource::Events { file, meta } => load_event_log(file, meta),
            MarketSource::Demeter { source, meta } => load_demeter(source, meta),
            MarketSource::Tape { file } => {
                let text = std::fs::read_to_string(file).map_err(|source| MarketError::Io {
                    path: file.clone(),
                    source,
                })?;
                MarketTape::from_json(&text).map_err(|e| match e {
                    MarketError::Malformed { line, reason, .. } => MarketError::Malformed {
                        path: file.clone(),
                        line,
                        reason,
                    },
                    other => other,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind() {
        let s = MarketSource::parse("synthetic:seed=7,minutes=43200,regime=mixed").unwrap();
        let MarketSource::Synthetic { spec, seed } = s else {
            panic!()
        };
        assert_eq!((seed, spec.minutes), (7, 43200));
        let s = MarketSource::parse("events:log.jsonl,fee=500").unwrap();
        let MarketSource::Events { file, meta } = s else {
            panic!()
        };
        assert_eq!(
            (file, meta.fee, meta.tick_spacing),
            ("log.jsonl".into(), 500, 10)
        );
        let s =
            MarketSource::parse("demeter:data,pool=0xAb,from=2023-11-25,to=2023-11-26").unwrap();
        let MarketSource::Demeter { source, meta } = s else {
            panic!()
        };
        assert_eq!(source.pool, "0xAb");
        assert_eq!(meta.pair.token0, "USDC");
        assert!(matches!(
            MarketSource::parse("tape:t.json").unwrap(),
            MarketSource::Tape { .. }
        ));
    }

    #[test]
    fn rejects_bad_sources() {
        for s in [
            "synthetic",
            "nope:x",
            "synthetic:seed=x",
            "synthetic:seed=1,seed=2",
            "synthetic:regime=wild",
            "synthetic:minutes=0",
            "synthetic:colour=red",
            "events:",
            "events:f,fee=123",
            "demeter:d,pool=0x1,from=2023-01-01",
            "synthetic:seed",
        ] {
            assert!(
                matches!(MarketSource::parse(s), Err(MarketError::BadSource { .. })),
                "{s}"
            );
        }
    }
}
