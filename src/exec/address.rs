//! Ethereum address parsing with EIP-55 checksum verification.
//!
//! An address is `0x` followed by 40 hex digits. A mixed-case address carries an EIP-55
//! checksum that must verify (alloy-primitives computes it); an all-lowercase or
//! all-uppercase address carries none and is accepted as is.

use alloy_primitives::Address;

/// Why a string is not an acceptable address.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressError {
    /// Not `0x` + 40 hex digits.
    #[error("{value:?} is not an address (expected 0x followed by 40 hex digits)")]
    Form {
        /// The rejected text.
        value: String,
    },
    /// Mixed case whose EIP-55 checksum does not verify.
    #[error("{value:?} has a bad EIP-55 checksum (the checksummed form is {expected})")]
    Checksum {
        /// The rejected text.
        value: String,
        /// The correctly checksummed spelling of the same 20 bytes.
        expected: String,
    },
}

/// How an address was spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumState {
    /// All one case: carries no checksum.
    SingleCase,
    /// Mixed case and the checksum verifies.
    Valid,
}

/// Checks only the form (`0x` + 40 hex digits) and returns the 20 bytes, ignoring case.
pub fn parse_address_form(value: &str) -> Result<Address, AddressError> {
    let form_err = || AddressError::Form {
        value: value.to_string(),
    };
    let hex = value.strip_prefix("0x").ok_or_else(form_err)?;
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(form_err());
    }
    hex.parse::<Address>().map_err(|_| form_err())
}

/// Parses an address and verifies its EIP-55 checksum when it is mixed-case.
pub fn parse_address(value: &str) -> Result<(Address, ChecksumState), AddressError> {
    let address = parse_address_form(value)?;
    let hex = value.get(2..).unwrap_or_default();
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    if !(has_lower && has_upper) {
        return Ok((address, ChecksumState::SingleCase));
    }
    let expected = address.to_checksum(None);
    if expected == value {
        Ok((address, ChecksumState::Valid))
    } else {
        Err(AddressError::Checksum {
            value: value.to_string(),
            expected,
        })
    }
}

/// The EIP-55 spelling of an address.
pub fn checksummed(address: &Address) -> String {
    address.to_checksum(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USDC: &str = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";

    #[test]
    fn accepts_checksummed_and_single_case() {
        assert_eq!(parse_address(USDC).unwrap().1, ChecksumState::Valid);
        let lower = USDC.to_lowercase();
        assert_eq!(parse_address(&lower).unwrap().1, ChecksumState::SingleCase);
        let upper = format!("0x{}", USDC[2..].to_uppercase());
        assert_eq!(parse_address(&upper).unwrap().1, ChecksumState::SingleCase);
        assert_eq!(checksummed(&parse_address(&lower).unwrap().0), USDC);
    }

    #[test]
    fn rejects_a_flipped_case_letter() {
        // 'A' -> 'a' at the first letter breaks the checksum.
        let bad = USDC.replacen("A0b8", "a0b8", 1);
        match parse_address(&bad) {
            Err(AddressError::Checksum { expected, .. }) => assert_eq!(expected, USDC),
            other => panic!("expected checksum error, got {other:?}"),
        }
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in [
            "",
            "0x",
            "A0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB4",
            "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB480",
            "0xG0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            "0X a0b86991c6218b36c1d19d4a2e9eb0ce3606eb4",
        ] {
            assert!(
                matches!(parse_address(bad), Err(AddressError::Form { .. })),
                "{bad:?} accepted"
            );
        }
    }
}
