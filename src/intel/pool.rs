//! Pool addresses as the intel layer uses them: validated 20-byte hex, always written
//! in lowercase `0x…` form so cache keys and trigger lines are stable whatever casing
//! (checksummed or not) the caller used.

use std::fmt;
use std::str::FromStr;

use alloy_primitives::Address;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Errors from parsing a pool address.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolError {
    /// The text is not `0x` followed by 40 hex digits.
    #[error("invalid pool address {0:?}: expected 0x followed by 40 hex digits")]
    Invalid(String),
}

/// A pool address in canonical lowercase hex (`0x` + 40 digits).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolAddress(String);

impl PoolAddress {
    /// Parses `0x…` (any case, checksum not enforced) into the canonical lowercase form.
    pub fn parse(text: &str) -> Result<Self, PoolError> {
        let t = text.trim();
        let ok_shape = t.len() == 42
            && (t.starts_with("0x") || t.starts_with("0X"))
            && t.get(2..)
                .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        if !ok_shape {
            return Err(PoolError::Invalid(text.to_string()));
        }
        let addr = Address::from_str(t).map_err(|_| PoolError::Invalid(text.to_string()))?;
        Ok(Self(format!("{addr:#x}")))
    }

    /// The canonical lowercase text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PoolAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PoolAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PoolAddress({})", self.0)
    }
}

impl FromStr for PoolAddress {
    type Err = PoolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for PoolAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PoolAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksummed_and_lowercase_agree() {
        let a = PoolAddress::parse("0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640").unwrap();
        let b = PoolAddress::parse("0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640");
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in [
            "",
            "0x",
            "88e6a0c2ddd26feeb64f039a2c41296fcb3f5640",
            "0x88e6",
            "0xzz",
        ] {
            assert!(PoolAddress::parse(bad).is_err(), "{bad}");
        }
        let g = "0xg8e6a0c2ddd26feeb64f039a2c41296fcb3f5640";
        assert_eq!(
            PoolAddress::parse(g),
            Err(PoolError::Invalid(g.to_string()))
        );
    }
}
