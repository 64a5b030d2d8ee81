//! Loader for demeter-fetch minute CSVs (`<chain>-<pool>-<YYYY-MM-DD>.minute.csv`, one
//! file per day, columns `timestamp,netAmount0,netAmount1,closeTick,openTick,lowestTick,
//! highestTick,inAmount0,inAmount1,currentLiquidity`).
//!
//! A minute bar does not hold the individual swaps, so each minute is rebuilt (method and
//! its approximation in SPEC.md, "demeter-fetch minute CSVs"):
//!
//! 1. background liquidity: one position of owner `bg_demeter` holding exactly
//!    `currentLiquidity`, spanning ±[`BG_HALF_WIDTH_SPACINGS`] tick spacings around the
//!    price; it is burned, collected and minted again whenever `currentLiquidity`
//!    changes or the price comes within a quarter of the width of its edge;
//! 2. volume: an exact-input 0→1 swap of `inAmount0` (price limit: the minute's lowest
//!    tick), then an exact-input 1→0 swap of `inAmount1` (limit: the highest tick + 1),
//!    so the fees paid into the pool are those of the recorded volume;
//! 3. close: a swap with the price limit at the close tick's price, so every minute ends
//!    exactly at `closeTick`.
//!
//! The reference price of a minute is the price at its close tick.

use std::path::{Path, PathBuf};

use super::builder::{target_swap_amount, TapeBuilder};
use super::error::MarketError;
use super::event_log::PoolMeta;
use super::fields::{self, At};
use super::price::{self, floor_to_spacing};
use super::tape::{MarketTape, TapePool};
use crate::v3::action::Action;
use crate::v3::num::{I256, U256};
use crate::v3::tick_math::get_sqrt_ratio_at_tick;

/// Half width of the background position, in tick spacings.
pub const BG_HALF_WIDTH_SPACINGS: i32 = 1000;

/// The background owner.
pub const BG_OWNER: &str = "bg_demeter";

const COLUMNS: [&str; 10] = [
    "timestamp",
    "netAmount0",
    "netAmount1",
    "closeTick",
    "openTick",
    "lowestTick",
    "highestTick",
    "inAmount0",
    "inAmount1",
    "currentLiquidity",
];

/// One parsed minute bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinuteBar {
    /// Line of the bar in its file (1 = header).
    pub line: usize,
    pub ts: u64,
    pub net_amount0: i128,
    pub net_amount1: i128,
    pub close_tick: i32,
    pub open_tick: i32,
    pub lowest_tick: i32,
    pub highest_tick: i32,
    pub in_amount0: u128,
    pub in_amount1: u128,
    pub current_liquidity: u128,
}

/// Which files to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemeterSource {
    pub dir: PathBuf,
    /// Pool address as in the file names (compared case-insensitively).
    pub pool: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day (inclusive), `YYYY-MM-DD`.
    pub to: String,
}

/// Parses one minute CSV held in memory (`path` names it in errors).
pub fn parse_minute_csv(text: &str, path: &Path) -> Result<Vec<MinuteBar>, MarketError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(MarketError::Empty {
            path: path.to_path_buf(),
            what: "no header".into(),
        });
    };
    let names: Vec<&str> = header.trim().split(',').map(str::trim).collect();
    let mut idx = [0usize; 10];
    for (k, col) in COLUMNS.iter().enumerate() {
        idx[k] = names
            .iter()
            .position(|n| n == col)
            .ok_or_else(|| MarketError::MissingColumn {
                path: path.to_path_buf(),
                column: (*col).into(),
            })?;
    }
    let mut out = Vec::new();
    let mut prev: Option<u64> = None;
    for (i, raw) in lines {
        let line = i + 1;
        let at = At { path, line };
        let cells: Vec<&str> = raw.trim().split(',').map(str::trim).collect();
        if cells.len() != names.len() {
            return Err(MarketError::Malformed {
                path: path.to_path_buf(),
                line,
                reason: format!("{} fields, the header has {}", cells.len(), names.len()),
            });
        }
        let cell = |k: usize| cells.get(idx[k]).copied().unwrap_or("");
        let ts = fields::parse_timestamp(cell(0)).map_err(|e| at.bad("timestamp", cell(0), e))?;
        if let Some(p) = prev {
            if ts <= p {
                return Err(MarketError::TimeBackwards {
                    path: path.to_path_buf(),
                    line,
                    ts,
                    previous: p,
                });
            }
        }
        prev = Some(ts);
        out.push(MinuteBar {
            line,
            ts,
            net_amount0: at.i128(COLUMNS[1], cell(1))?,
            net_amount1: at.i128(COLUMNS[2], cell(2))?,
            close_tick: at.tick(COLUMNS[3], cell(3))?,
            open_tick: at.tick(COLUMNS[4], cell(4))?,
            lowest_tick: at.tick(COLUMNS[5], cell(5))?,
            highest_tick: at.tick(COLUMNS[6], cell(6))?,
            in_amount0: at.u128(COLUMNS[7], cell(7))?,
            in_amount1: at.u128(COLUMNS[8], cell(8))?,
            current_liquidity: at.u128(COLUMNS[9], cell(9))?,
        });
    }
    if out.is_empty() {
        return Err(MarketError::Empty {
            path: path.to_path_buf(),
            what: "no data rows".into(),
        });
    }
    Ok(out)
}

/// The day files of a source, in date order.
pub fn day_files(src: &DemeterSource) -> Result<Vec<PathBuf>, MarketError> {
    let bad = |field: &str, reason: String| MarketError::BadSource {
        source_text: format!(
            "{}={}",
            field,
            if field == "from" { &src.from } else { &src.to }
        ),
        reason,
    };
    let from = fields::parse_date(&src.from).map_err(|e| bad("from", e))?;
    let to = fields::parse_date(&src.to).map_err(|e| bad("to", e))?;
    if to < from {
        return Err(bad("to", format!("{} is before from={}", src.to, src.from)));
    }
    let entries = std::fs::read_dir(&src.dir).map_err(|source| MarketError::Io {
        path: src.dir.clone(),
        source,
    })?;
    let mut names: Vec<String> = Vec::new();
    for e in entries {
        let e = e.map_err(|source| MarketError::Io {
            path: src.dir.clone(),
            source,
        })?;
        if let Some(n) = e.file_name().to_str() {
            names.push(n.to_string());
        }
    }
    names.sort();
    let pool = src.pool.to_ascii_lowercase();
    let mut out = Vec::new();
    for day in from..=to {
        let suffix = format!("-{pool}-{}.minute.csv", fields::format_date(day));
        let found = names
            .iter()
            .find(|n| n.to_ascii_lowercase().ends_with(&suffix));
        match found {
            Some(n) => out.push(src.dir.join(n)),
            None => {
                return Err(MarketError::MissingFile {
                    dir: src.dir.clone(),
                    pattern: format!("*{suffix}"),
                })
            }
        }
    }
    Ok(out)
}

/// Reads the day files of `src` and rebuilds the pool's minutes as a tape.
pub fn load_demeter(src: &DemeterSource, meta: &PoolMeta) -> Result<MarketTape, MarketError> {
    let mut bars: Vec<(PathBuf, usize, MinuteBar)> = Vec::new();
    for path in day_files(src)? {
        let text = std::fs::read_to_string(&path).map_err(|source| MarketError::Io {
            path: path.clone(),
            source,
        })?;
        let day = parse_minute_csv(&text, &path)?;
        if let (Some((_, _, last)), Some(first)) = (bars.last(), day.first()) {
            if first.ts <= last.ts {
                return Err(MarketError::TimeBackwards {
                    path: path.clone(),
                    line: first.line,
                    ts: first.ts,
                    previous: last.ts,
                });
            }
        }
        bars.extend(day.into_iter().map(|b| (path.clone(), b.line, b)));
    }
    rebuild(&bars, meta)
}

/// Rebuilds minute bars (with the file and line each came from) as a tape.
pub fn rebuild(
    bars: &[(PathBuf, usize, MinuteBar)],
    meta: &PoolMeta,
) -> Result<MarketTape, MarketError> {
    let Some((path0, line0, first)) = bars.first() else {
        return Err(MarketError::Empty {
            path: PathBuf::from("<demeter>"),
            what: "no minute bars".into(),
        });
    };
    let sqrt_at = |path: &Path, line: usize, field: &str, t: i32| {
        get_sqrt_ratio_at_tick(t).map_err(|e| MarketError::TickOutOfRange {
            path: path.to_path_buf(),
            line,
            field: format!("{field} ({e})"),
            tick: i64::from(t),
        })
    };
    let start = sqrt_at(path0, *line0, "openTick", first.open_tick)?;
    let pool = TapePool {
        fee: meta.fee,
        tick_spacing: meta.tick_spacing,
        sqrt_price_x96: start,
    };
    let mut b = TapeBuilder::new(meta.pair.clone(), vec![pool])?;
    let spacing = meta.tick_spacing.max(1);
    let half = BG_HALF_WIDTH_SPACINGS * spacing;
    let mut bg: Option<(i32, i32, u128)> = None;
    let big = target_swap_amount();
    let min_limit = price::min_sqrt_ratio() + U256::from(1u8);
    let max_limit = price::max_sqrt_ratio() - U256::from(1u8);
    let mut reference = Vec::with_capacity(bars.len());
    for (path, line, bar) in bars {
        let (path, line) = (path.as_path(), *line);
        let reject = |op: &str, e: crate::v3::error::V3Error| MarketError::Rejected {
            path: path.to_path_buf(),
            line,
            op: op.into(),
            reason: e.to_string(),
        };
        let ts = bar.ts;
        let tick = b.pool(0).map(|p| p.tick()).unwrap_or(0);
        // 1. background liquidity
        let needs_move = match bg {
            None => bar.current_liquidity > 0,
            Some((tl, tu, l)) => {
                l != bar.current_liquidity || tick < tl + half / 2 || tick >= tu - half / 2
            }
        };
        if needs_move {
            if let Some((tl, tu, l)) = bg.take() {
                b.try_push(
                    ts,
                    0,
                    Action::Burn {
                        owner: BG_OWNER.into(),
                        tick_lower: tl,
                        tick_upper: tu,
                        amount: l,
                    },
                )
                .map_err(|e| reject("burn", e))?;
                b.try_push(
                    ts,
                    0,
                    Action::Collect {
                        owner: BG_OWNER.into(),
                        tick_lower: tl,
                        tick_upper: tu,
                        amount0_requested: u128::MAX,
                        amount1_requested: u128::MAX,
                    },
                )
                .map_err(|e| reject("collect", e))?;
            }
            if bar.current_liquidity > 0 {
                let tl = floor_to_spacing(tick - half, spacing);
                let tu = floor_to_spacing(tick + half, spacing).max(tl + spacing);
                b.try_push(
                    ts,
                    0,
                    Action::Mint {
                        owner: BG_OWNER.into(),
                        tick_lower: tl,
                        tick_upper: tu,
                        amount: bar.current_liquidity,
                    },
                )
                .map_err(|e| reject("mint", e))?;
                bg = Some((tl, tu, bar.current_liquidity));
            }
        }
        // 2. volume
        let current = |b: &TapeBuilder| b.pool(0).map(|p| p.sqrt_price_x96()).unwrap_or(U256::ZERO);
        if bar.in_amount0 > 0 {
            let low = sqrt_at(path, line, "lowestTick", bar.lowest_tick)?;
            let limit = if low < current(&b) {
                low.max(min_limit)
            } else {
                min_limit
            };
            if limit < current(&b) {
                b.try_push(
                    ts,
                    0,
                    Action::Swap {
                        zero_for_one: true,
                        amount_specified: I256::from_raw(U256::from(bar.in_amount0)),
                        sqrt_price_limit_x96: limit,
                    },
                )
                .map_err(|e| reject("swap", e))?;
            }
        }
        if bar.in_amount1 > 0 {
            let high_tick = (bar.highest_tick + 1).min(price::MAX_TICK);
            let high = sqrt_at(path, line, "highestTick", high_tick)?;
            let limit = if high > current(&b) {
                high.min(max_limit)
            } else {
                max_limit
            };
            if limit > current(&b) {
                b.try_push(
                    ts,
                    0,
                    Action::Swap {
                        zero_for_one: false,
                        amount_specified: I256::from_raw(U256::from(bar.in_amount1)),
                        sqrt_price_limit_x96: limit,
                    },
                )
                .map_err(|e| reject("swap", e))?;
            }
        }
        // 3. close exactly at closeTick
        let close = sqrt_at(path, line, "closeTick", bar.close_tick)?;
        let now = current(&b);
        if close != now {
            b.try_push(
                ts + 59,
                0,
                Action::Swap {
                    zero_for_one: close < now,
                    amount_specified: big,
                    sqrt_price_limit_x96: close,
                },
            )
            .map_err(|e| reject("swap", e))?;
        }
        reference.push((ts, meta.pair.human_price_at(close)));
    }
    Ok(b.finish(reference))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::builder::replay;
    use crate::market::tape::Pair;

    const HEADER: &str = "timestamp,netAmount0,netAmount1,closeTick,openTick,lowestTick,highestTick,inAmount0,inAmount1,currentLiquidity";

    fn meta() -> PoolMeta {
        PoolMeta {
            pair: Pair {
                token0: "USDC".into(),
                token1: "WETH".into(),
                decimals0: 6,
                decimals1: 18,
            },
            fee: 500,
            tick_spacing: 10,
        }
    }

    /// Minute bars in the shape of a real USDC/WETH 0.05% day.
    fn day(date: &str) -> String {
        let rows = [
            "00:00:00,2209910513,-1061323785703495633,199912,199912,199912,199912,2209910513,0,1144008204379143069",
            "00:01:00,0,0,199912,199912,199912,199912,0,0,1144008204379143069",
            "00:02:00,-1027857283,497671063411011560,199913,199912,199912,199916,7381535182,4043221863457427122,1144008204379143069",
            "00:03:00,11058200894,-5309568189831430546,199909,199913,199909,199913,11254295546,94229946427606595,1142539391948969197",
            "00:04:00,-57285178102,27579495416418048572,199931,199921,199921,199935,11035947181,32890376435106500500,1157622659646658382",
            "00:05:00,0,0,199931,199931,199931,199931,0,0,0",
            "00:06:00,6970917011,-3355661877894121161,199926,199931,199926,199931,7561281768,0,1157622659646658382",
        ];
        let mut s = format!("{HEADER}\n");
        for r in rows {
            s.push_str(&format!("{date} {r}\n"));
        }
        s
    }

    #[test]
    fn parses_bars_and_rebuilds_minutes_that_close_at_the_close_tick() {
        let bars = parse_minute_csv(&day("2023-11-25"), Path::new("d.csv")).unwrap();
        assert_eq!(bars.len(), 7);
        assert_eq!(bars[0].ts, 1_700_870_400);
        assert_eq!(bars[4].in_amount1, 32_890_376_435_106_500_500);
        assert_eq!(bars[2].line, 4);
        let with_paths: Vec<_> = bars
            .iter()
            .map(|b| (PathBuf::from("d.csv"), b.line, *b))
            .collect();
        let tape = rebuild(&with_paths, &meta()).unwrap();
        assert_eq!(tape.minutes(), 7);
        // replaying minute by minute, every minute ends exactly at its close tick's price
        let mut pool = crate::market::builder::new_pool(0, &tape.pools[0]).unwrap();
        let mut si = 0;
        for bar in &bars {
            while si < tape.steps.len() && tape.steps[si].ts < bar.ts + 60 {
                pool.apply(&tape.steps[si].action).unwrap();
                si += 1;
            }
            assert_eq!(
                pool.sqrt_price_x96(),
                get_sqrt_ratio_at_tick(bar.close_tick).unwrap()
            );
        }
        // the recorded volume is swapped in both directions
        let swaps_in = |zfo: bool| {
            tape.steps
                .iter()
                .filter_map(|s| match &s.action {
                    Action::Swap {
                        zero_for_one,
                        amount_specified,
                        ..
                    } if *zero_for_one == zfo
                        && *amount_specified < I256::try_from(1u128 << 100).unwrap() =>
                    {
                        Some(*amount_specified)
                    }
                    _ => None,
                })
                .count()
        };
        assert_eq!(swaps_in(true), 5);
        assert_eq!(swaps_in(false), 3);
        // background liquidity follows currentLiquidity, including a minute with none
        let pools = replay(&tape).unwrap();
        assert_eq!(pools[0].liquidity(), 1_157_622_659_646_658_382);
        let human = tape.reference[0].1;
        assert!(
            (1.0 / human - 2081.0).abs() < 5.0,
            "USDC/WETH price {human}"
        );
    }

    fn err(text: &str) -> MarketError {
        parse_minute_csv(text, Path::new("bad.csv")).unwrap_err()
    }

    #[test]
    fn malformed_csvs_name_file_line_and_field() {
        assert!(matches!(err(""), MarketError::Empty { .. }));
        assert!(matches!(
            err(&format!("{HEADER}\n")),
            MarketError::Empty { .. }
        ));
        let no_close = HEADER.replace("closeTick,", "");
        assert!(
            matches!(err(&no_close), MarketError::MissingColumn { column, .. } if column == "closeTick")
        );
        let row = "2023-11-25 00:00:00,1,-1,10,10,10,10,1,0,5";
        let bad = |r: &str| err(&format!("{HEADER}\n{row}\n{r}\n"));
        let field = |e: MarketError| match e {
            MarketError::BadField {
                line, field, value, ..
            } => (line, field, value),
            other => panic!("{other}"),
        };
        assert_eq!(
            field(bad("2023-11-25 00:01:00,1,-1,10,10,10,10,x1,0,5")),
            (3, "inAmount0".into(), "x1".into())
        );
        assert_eq!(
            field(bad("2023-11-25 00:01:00,1,-1,ten,10,10,10,1,0,5")).1,
            "closeTick"
        );
        assert_eq!(
            field(bad("2023-11-25 25:01:00,1,-1,10,10,10,10,1,0,5")).1,
            "timestamp"
        );
        assert_eq!(
            field(bad("2023-11-25 00:01:00,1,-1,10,10,10,10,1,0,-5")).1,
            "currentLiquidity"
        );
        assert!(matches!(
            bad("2023-11-25 00:01:00,1,-1,900000,10,10,10,1,0,5"),
            MarketError::TickOutOfRange {
                line: 3,
                tick: 900000,
                ..
            }
        ));
        assert!(matches!(
            bad("2023-11-25 00:00:00,1,-1,10,10,10,10,1,0,5"),
            MarketError::TimeBackwards { line: 3, .. }
        ));
        assert!(matches!(
            bad("2023-11-25 00:01:00,1,-1"),
            MarketError::Malformed { line: 3, .. }
        ));
        let msg = bad("2023-11-25 00:01:00,1,-1,10,10,10,10,1,0,5.5").to_string();
        assert!(
            msg.starts_with("bad.csv:3: field \"currentLiquidity\""),
            "{msg}"
        );
    }

    #[test]
    fn loads_a_day_range_from_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let pool = "0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640";
        for d in ["2023-11-25", "2023-11-26"] {
            std::fs::write(
                dir.path().join(format!("ethereum-{pool}-{d}.minute.csv")),
                day(d),
            )
            .unwrap();
        }
        let src = |from: &str, to: &str| DemeterSource {
            dir: dir.path().to_path_buf(),
            pool: pool.to_uppercase().replace("0X", "0x"),
            from: from.into(),
            to: to.into(),
        };
        let tape = load_demeter(&src("2023-11-25", "2023-11-26"), &meta()).unwrap();
        assert_eq!(tape.minutes(), 14);
        assert!(replay(&tape).is_ok());
        assert!(matches!(
            load_demeter(&src("2023-11-25", "2023-11-27"), &meta()),
            Err(MarketError::MissingFile { pattern, .. }) if pattern.contains("2023-11-27")
        ));
        assert!(matches!(
            load_demeter(&src("2023-11-26", "2023-11-25"), &meta()),
            Err(MarketError::BadSource { .. })
        ));
        assert!(matches!(
            load_demeter(&src("2023-11-25", "2023-02-30"), &meta()),
            Err(MarketError::BadSource { .. })
        ));
        // a day whose rows go back in time across files
        std::fs::write(
            dir.path()
                .join(format!("ethereum-{pool}-2023-11-27.minute.csv")),
            day("2023-11-20"),
        )
        .unwrap();
        assert!(matches!(
            load_demeter(&src("2023-11-26", "2023-11-27"), &meta()),
            Err(MarketError::TimeBackwards { .. })
        ));
    }
}
