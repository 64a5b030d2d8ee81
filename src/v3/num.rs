//! Integer types of the V3 contracts and their JSON form: every 256-bit (and 128-bit)
//! integer is written as a decimal string, signed values with a leading `-`.

pub use alloy_primitives::{I256, U256};

/// serde helpers: `#[serde(with = "crate::v3::num::dec_u256")]` etc.
pub mod dec_u256 {
    use super::U256;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_u256(&s).map_err(D::Error::custom)
    }

    /// Parses a non-negative decimal integer below 2^256.
    pub fn parse_u256(s: &str) -> Result<U256, String> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "expected a non-negative decimal integer string, got {s:?}"
            ));
        }
        U256::from_str_radix(s, 10).map_err(|_| format!("{s:?} does not fit in 256 bits"))
    }
}

/// Signed 256-bit integers as decimal strings.
pub mod dec_i256 {
    use super::{I256, U256};
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &I256, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<I256, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_i256(&s).map_err(D::Error::custom)
    }

    /// Parses a decimal integer in [-2^255, 2^255).
    pub fn parse_i256(s: &str) -> Result<I256, String> {
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let mag = super::dec_u256::parse_u256(digits)
            .map_err(|_| format!("expected a decimal integer string, got {s:?}"))?;
        let too_big = || format!("{s:?} does not fit in a signed 256-bit integer");
        if neg {
            if mag > U256::from(1u8) << 255 {
                return Err(too_big());
            }
            Ok(I256::from_raw(mag.wrapping_neg()))
        } else {
            if mag >= U256::from(1u8) << 255 {
                return Err(too_big());
            }
            Ok(I256::from_raw(mag))
        }
    }
}

/// u128 as a decimal string (JSON numbers lose precision above 2^53).
pub mod dec_u128 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(D::Error::custom(format!(
                "expected a non-negative decimal integer string, got {s:?}"
            )));
        }
        s.parse::<u128>()
            .map_err(|_| D::Error::custom(format!("{s:?} does not fit in 128 bits")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i256_round_trips_extremes() {
        for s in [
            "0",
            "-1",
            "57896044618658097711785492504343953926634992332820282019728792003956564819967",
            "-57896044618658097711785492504343953926634992332820282019728792003956564819968",
        ] {
            let v = dec_i256::parse_i256(s).unwrap();
            assert_eq!(v.to_string(), s);
        }
        assert!(dec_i256::parse_i256(
            "57896044618658097711785492504343953926634992332820282019728792003956564819968"
        )
        .is_err());
        assert!(dec_i256::parse_i256("-").is_err());
        assert!(dec_i256::parse_i256("1e5").is_err());
    }

    #[test]
    fn u256_rejects_signs_and_overflow() {
        assert!(dec_u256::parse_u256("-1").is_err());
        assert!(dec_u256::parse_u256("+1").is_err());
        assert!(dec_u256::parse_u256(&"9".repeat(78)).is_err());
        assert_eq!(dec_u256::parse_u256("0").unwrap(), U256::ZERO);
    }
}
