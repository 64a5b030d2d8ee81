//! Field parsing shared by the loaders: each helper names the file, line and field of a
//! bad value.

use std::path::Path;

use super::error::MarketError;
use super::price::{MAX_TICK, MIN_TICK};
use crate::v3::num::{dec_i256, dec_u256, I256, U256};

/// Where a value came from, for error messages.
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    pub path: &'a Path,
    pub line: usize,
}

impl At<'_> {
    /// A `BadField` error for `field` holding `value`.
    pub fn bad(&self, field: &str, value: &str, reason: impl Into<String>) -> MarketError {
        MarketError::BadField {
            path: self.path.to_path_buf(),
            line: self.line,
            field: field.into(),
            value: value.into(),
            reason: reason.into(),
        }
    }

    /// Parses an unsigned decimal integer below 2^128.
    pub fn u128(&self, field: &str, v: &str) -> Result<u128, MarketError> {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.bad(field, v, "expected a non-negative decimal integer"));
        }
        v.parse::<u128>()
            .map_err(|_| self.bad(field, v, "does not fit in 128 bits"))
    }

    /// Parses a signed decimal integer that fits in i128.
    pub fn i128(&self, field: &str, v: &str) -> Result<i128, MarketError> {
        let digits = v.strip_prefix('-').unwrap_or(v);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.bad(field, v, "expected a decimal integer"));
        }
        v.parse::<i128>()
            .map_err(|_| self.bad(field, v, "does not fit in a signed 128-bit integer"))
    }

    /// Parses a non-negative decimal integer below 2^256.
    pub fn u256(&self, field: &str, v: &str) -> Result<U256, MarketError> {
        dec_u256::parse_u256(v).map_err(|e| self.bad(field, v, e))
    }

    /// Parses a signed decimal integer in the int256 range.
    pub fn i256(&self, field: &str, v: &str) -> Result<I256, MarketError> {
        dec_i256::parse_i256(v).map_err(|e| self.bad(field, v, e))
    }

    /// Parses a tick and checks it against [MIN_TICK, MAX_TICK].
    pub fn tick(&self, field: &str, v: &str) -> Result<i32, MarketError> {
        let t: i64 = v
            .trim()
            .parse()
            .map_err(|_| self.bad(field, v, "expected an integer tick"))?;
        self.tick_value(field, t)
    }

    /// Checks a tick value against [MIN_TICK, MAX_TICK].
    pub fn tick_value(&self, field: &str, t: i64) -> Result<i32, MarketError> {
        if t < i64::from(MIN_TICK) || t > i64::from(MAX_TICK) {
            return Err(MarketError::TickOutOfRange {
                path: self.path.to_path_buf(),
                line: self.line,
                field: field.into(),
                tick: t,
            });
        }
        Ok(t as i32)
    }
}

/// Unix seconds of a UTC civil date-time (proleptic Gregorian).
pub fn unix_seconds(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32) -> i64 {
    days_from_civil(year, month, day) * 86_400
        + i64::from(h) * 3600
        + i64::from(m) * 60
        + i64::from(s)
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date (y, m, d) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses `YYYY-MM-DD` into a day number since 1970-01-01.
pub fn parse_date(s: &str) -> Result<i64, String> {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(format!("{s:?} is not a YYYY-MM-DD date"));
    };
    let num = |x: &str, len: usize| -> Result<i64, String> {
        if x.len() != len || !x.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{s:?} is not a YYYY-MM-DD date"));
        }
        x.parse::<i64>()
            .map_err(|_| format!("{s:?} is not a YYYY-MM-DD date"))
    };
    let (y, m, d) = (num(y, 4)?, num(m, 2)?, num(d, 2)?);
    if !(1..=12).contains(&m) || d < 1 || d > i64::from(days_in_month(y, m as u32)) {
        return Err(format!("{s:?} is not a calendar date"));
    }
    Ok(days_from_civil(y, m as u32, d as u32))
}

/// Formats a day number as `YYYY-MM-DD`.
pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses `YYYY-MM-DD HH:MM:SS` (UTC) or plain unix seconds.
pub fn parse_timestamp(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u64>().map_err(|_| format!("{s:?} is too large"));
    }
    let (date, time) = s
        .split_once([' ', 'T'])
        .ok_or_else(|| format!("{s:?} is not YYYY-MM-DD HH:MM:SS or unix seconds"))?;
    let days = parse_date(date)?;
    let t: Vec<&str> = time.trim_end_matches('Z').split(':').collect();
    let [h, m, sec] = t.as_slice() else {
        return Err(format!("{s:?} is not YYYY-MM-DD HH:MM:SS"));
    };
    let part = |x: &str, max: u32| -> Result<u32, String> {
        match x.parse::<u32>() {
            Ok(v) if x.len() == 2 && v <= max => Ok(v),
            _ => Err(format!("{s:?} has a bad time of day")),
        }
    };
    let secs = days * 86_400
        + i64::from(part(h, 23)?) * 3600
        + i64::from(part(m, 59)?) * 60
        + i64::from(part(sec, 59)?);
    u64::try_from(secs).map_err(|_| format!("{s:?} is before 1970"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(parse_date("1970-01-01"), Ok(0));
        assert_eq!(parse_timestamp("2023-11-25 00:01:00"), Ok(1_700_870_460));
        assert_eq!(parse_timestamp("1700870460"), Ok(1_700_870_460));
        for d in [-1000, 0, 19_686, 20_000, 60_000] {
            assert_eq!(parse_date(&format_date(d)), Ok(d));
        }
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("2024-02-29").is_ok());
        assert!(parse_date("2023-13-01").is_err());
        assert!(parse_timestamp("2023-11-25 24:00:00").is_err());
        assert!(parse_timestamp("yesterday").is_err());
        assert_eq!(unix_seconds(2023, 11, 25, 0, 1, 0), 1_700_870_460);
    }
}
