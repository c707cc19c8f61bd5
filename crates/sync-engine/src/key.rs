//! Sync keys (MS-ASCMD 2.2.3.181.4): "0" to start, then an opaque `<generation>-<counter>` per answer.

use std::fmt;

/// A sync key the server issued: a generation chosen when the device sent key "0", and a counter that
/// grows by one with every answer. The generation makes keys of an older relationship (before the device
/// started again from "0") unknown instead of colliding with new ones.
///
/// On the wire it is `<generation as 8 hex digits>-<counter>`, for example `66a1b2c3-12`, well under the
/// 64 characters a client must store (MS-ASCMD 2.2.3.181.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SyncKey {
    generation: u32,
    counter: u64,
}

impl SyncKey {
    /// A key from its parts.
    pub fn new(generation: u32, counter: u64) -> Self {
        Self {
            generation,
            counter,
        }
    }

    /// The generation, fixed from key "0" on.
    pub fn generation(self) -> u32 {
        self.generation
    }

    /// The counter: 1 in the answer to key "0", then one more per answer.
    pub fn counter(self) -> u64 {
        self.counter
    }

    /// The key of the next answer.
    pub fn next(self) -> Self {
        Self {
            generation: self.generation,
            counter: self.counter.saturating_add(1),
        }
    }

    /// Parses a key this server issued; `None` for anything else ("0" included).
    pub fn parse(text: &str) -> Option<Self> {
        let (generation, counter) = text.split_once('-')?;
        if generation.len() != 8 || counter.is_empty() || counter.len() > 20 {
            return None;
        }
        if !counter.bytes().all(|b| b.is_ascii_digit()) || counter.starts_with('0') {
            return None;
        }
        Some(Self {
            generation: u32::from_str_radix(generation, 16).ok()?,
            counter: counter.parse().ok()?,
        })
    }
}

impl fmt::Display for SyncKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}-{}", self.generation, self.counter)
    }
}

/// The SyncKey of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKey {
    /// "0": start a new sync relationship (MS-ASCMD 2.2.3.181.4).
    Initial,
    /// A key this server may have issued.
    Issued(SyncKey),
    /// Anything else: answered with status 3 (MS-ASCMD 2.2.3.177.17).
    Unknown,
}

impl RequestKey {
    /// Reads the SyncKey element of a request.
    pub fn parse(text: &str) -> Self {
        if text == "0" {
            return Self::Initial;
        }
        SyncKey::parse(text).map_or(Self::Unknown, Self::Issued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_prints_as_hex_generation_and_decimal_counter_and_parses_back() {
        let key = SyncKey::new(0x66a1_b2c3, 12);
        assert_eq!(key.to_string(), "66a1b2c3-12");
        assert_eq!(SyncKey::parse("66a1b2c3-12"), Some(key));
        assert_eq!(RequestKey::parse("66a1b2c3-12"), RequestKey::Issued(key));
    }

    #[test]
    fn zero_is_the_initial_key_and_junk_is_unknown() {
        assert_eq!(RequestKey::parse("0"), RequestKey::Initial);
        for junk in [
            "",
            "1",
            "00",
            "66a1b2c3-",
            "66a1b2c3-01",
            "66a1b2c-1",
            "zzzzzzzz-1",
            "66a1b2c3-+1",
            "66a1b2c3-99999999999999999999999",
            "{5}",
        ] {
            assert_eq!(RequestKey::parse(junk), RequestKey::Unknown, "{junk}");
        }
    }

    #[test]
    fn the_next_key_keeps_the_generation_and_adds_one() {
        let key = SyncKey::new(7, 41).next();
        assert_eq!((key.generation(), key.counter()), (7, 42));
        assert_eq!(SyncKey::new(7, u64::MAX).next().counter(), u64::MAX);
    }
}
