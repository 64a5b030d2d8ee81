//! Port of `TickBitmap.sol`: one bit per initialized (compressed) tick in 256-bit words,
//! `flipTick` (reverts without reason when the tick is not a multiple of the spacing) and
//! `nextInitializedTickWithinOneWord`, whose word boundaries are the swap's step
//! boundaries and therefore affect rounding.

use std::collections::BTreeMap;

use super::bit_math::{least_significant_bit, most_significant_bit};
use super::error::V3Error;
use super::num::U256;

/// The pool's `mapping(int16 => uint256) tickBitmap`; absent words are zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickBitmap {
    words: BTreeMap<i16, U256>,
}

/// `TickBitmap.position`: word and bit of a compressed tick.
#[inline]
fn position(compressed: i32) -> (i16, u8) {
    // compressed ticks lie within int24, so `>> 8` fits in int16 (Solidity: int16(tick >> 8))
    ((compressed >> 8) as i16, (compressed & 0xff) as u8)
}

impl TickBitmap {
    /// An empty bitmap.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `require(tick % tickSpacing == 0)` of `flipTick`, without flipping.
    #[inline]
    pub fn check_spaced(tick: i32, tick_spacing: i32) -> Result<(), V3Error> {
        if tick_spacing == 0 || tick % tick_spacing != 0 {
            return Err(V3Error::TickNotSpaced { tick, tick_spacing });
        }
        Ok(())
    }

    /// `TickBitmap.flipTick`.
    pub fn flip_tick(&mut self, tick: i32, tick_spacing: i32) -> Result<(), V3Error> {
        Self::check_spaced(tick, tick_spacing)?;
        self.toggle(tick / tick_spacing);
        Ok(())
    }

    /// Flips the bit of an already validated compressed tick.
    pub(crate) fn toggle(&mut self, compressed: i32) {
        let (word_pos, bit_pos) = position(compressed);
        let mask = U256::from(1u8) << bit_pos;
        let word = self.words.entry(word_pos).or_default();
        *word ^= mask;
        if word.is_zero() {
            self.words.remove(&word_pos);
        }
    }

    /// The stored word at `word_pos` (zero when absent).
    #[inline]
    pub fn word(&self, word_pos: i16) -> U256 {
        self.words.get(&word_pos).copied().unwrap_or(U256::ZERO)
    }

    /// Whether the bit of `tick` is set (the tick must be spaced to be meaningful).
    pub fn is_initialized(&self, tick: i32, tick_spacing: i32) -> bool {
        if tick_spacing == 0 || tick % tick_spacing != 0 {
            return false;
        }
        let (w, b) = position(tick / tick_spacing);
        self.word(w).bit(b as usize)
    }

    /// The non-zero words, in ascending word order.
    pub fn words(&self) -> impl Iterator<Item = (i16, U256)> + '_ {
        self.words.iter().map(|(k, v)| (*k, *v))
    }

    /// `TickBitmap.nextInitializedTickWithinOneWord(tick, tickSpacing, lte)`: the next
    /// initialized tick at or left of (`lte`) / right of `tick` within the same 256-bit
    /// word, or the word's last tick with `initialized = false`.
    #[inline]
    pub fn next_initialized_tick_within_one_word(
        &self,
        tick: i32,
        tick_spacing: i32,
        lte: bool,
    ) -> (i32, bool) {
        let mut compressed = tick / tick_spacing;
        if tick < 0 && tick % tick_spacing != 0 {
            compressed -= 1; // round towards negative infinity
        }
        if lte {
            let (word_pos, bit_pos) = position(compressed);
            // all the 1s at or to the right of the current bit_pos
            let mask =
                (U256::from(1u8) << bit_pos) - U256::from(1u8) + (U256::from(1u8) << bit_pos);
            let masked = self.word(word_pos) & mask;
            match most_significant_bit(masked) {
                Ok(msb) => (
                    (compressed - (bit_pos as i32 - msb as i32)) * tick_spacing,
                    true,
                ),
                Err(_) => ((compressed - bit_pos as i32) * tick_spacing, false),
            }
        } else {
            // start from the word of the next tick, since the current tick state doesn't matter
            let (word_pos, bit_pos) = position(compressed + 1);
            // all the 1s at or to the left of the bit_pos
            let mask = !((U256::from(1u8) << bit_pos) - U256::from(1u8));
            let masked = self.word(word_pos) & mask;
            match least_significant_bit(masked) {
                Ok(lsb) => (
                    (compressed + 1 + (lsb as i32 - bit_pos as i32)) * tick_spacing,
                    true,
                ),
                Err(_) => (
                    (compressed + 1 + (255 - bit_pos as i32)) * tick_spacing,
                    false,
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TickBitmap.spec.ts: ticks -200, -55, -4, 70, 78, 84, 139, 240, 535 initialized,
    /// spacing 1.
    fn spec_bitmap() -> TickBitmap {
        let mut b = TickBitmap::new();
        for t in [-200, -55, -4, 70, 78, 84, 139, 240, 535] {
            b.flip_tick(t, 1).unwrap();
        }
        b
    }

    #[test]
    fn v3_core_flip_tick_vectors() {
        let mut b = TickBitmap::new();
        b.flip_tick(-230, 1).unwrap();
        assert!(b.is_initialized(-230, 1));
        assert!(!b.is_initialized(-231, 1));
        assert!(!b.is_initialized(-229, 1));
        assert!(!b.is_initialized(-230 + 256, 1));
        assert!(!b.is_initialized(-230 - 256, 1));
        b.flip_tick(-230, 1).unwrap();
        assert!(!b.is_initialized(-230, 1));
        assert_eq!(b, TickBitmap::new());
        b.flip_tick(-230, 1).unwrap();
        b.flip_tick(-259, 1).unwrap();
        b.flip_tick(-229, 1).unwrap();
        b.flip_tick(500, 1).unwrap();
        b.flip_tick(-259, 1).unwrap();
        b.flip_tick(-229, 1).unwrap();
        b.flip_tick(-259, 1).unwrap();
        assert!(b.is_initialized(-259, 1));
        assert!(!b.is_initialized(-229, 1));
        assert!(TickBitmap::new().flip_tick(7, 10).is_err());
        assert!(TickBitmap::new().flip_tick(-7, 10).is_err());
    }

    #[test]
    fn v3_core_next_initialized_lte_false() {
        let b = spec_bitmap();
        assert_eq!(
            b.next_initialized_tick_within_one_word(78, 1, false),
            (84, true)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(-55, 1, false),
            (-4, true)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(77, 1, false),
            (78, true)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(-56, 1, false),
            (-55, true)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(255, 1, false),
            (511, false)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(-257, 1, false),
            (-200, true)
        );
        let mut b2 = b.clone();
        b2.flip_tick(340, 1).unwrap();
        assert_eq!(
            b2.next_initialized_tick_within_one_word(328, 1, false),
            (340, true)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(508, 1, false),
            (511, false)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(255, 1, false),
            (511, false)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(383, 1, false),
            (511, false)
        );
    }

    #[test]
    fn v3_core_next_initialized_lte_true() {
        let b = spec_bitmap();
        assert_eq!(
            b.next_initialized_tick_within_one_word(78, 1, true),
            (78, true)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(79, 1, true),
            (78, true)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(258, 1, true),
            (256, false)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(256, 1, true),
            (256, false)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(72, 1, true),
            (70, true)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(-257, 1, true),
            (-512, false)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(1023, 1, true),
            (768, false)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(900, 1, true),
            (768, false)
        );
        let mut b2 = b.clone();
        b2.flip_tick(329, 1).unwrap();
        assert_eq!(
            b2.next_initialized_tick_within_one_word(456, 1, true),
            (329, true)
        );
    }

    #[test]
    fn spacing_rounds_negative_ticks_down() {
        let mut b = TickBitmap::new();
        b.flip_tick(-60, 60).unwrap();
        // tick -1 compresses to -1 (word -1, bit 255); lte finds -60
        assert_eq!(
            b.next_initialized_tick_within_one_word(-1, 60, true),
            (-60, true)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(-61, 60, false),
            (-60, true)
        );
        assert_eq!(
            b.next_initialized_tick_within_one_word(-60, 60, false),
            (15300, false)
        );
    }
}
