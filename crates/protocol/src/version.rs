//! ActiveSync protocol versions: parsing from the header text and the base64 query's version byte.

use std::fmt;
use std::str::FromStr;

/// A protocol version of MS-ASHTTP 2.2.1.1.2.6, ordered from oldest to newest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtocolVersion {
    V2_5,
    V12_0,
    V12_1,
    V14_0,
    V14_1,
    V16_0,
    V16_1,
}

/// Every version this crate understands, oldest first.
// MS-ASHTTP 2.2.1.1.2.6: valid values are 16.1, 16.0, 14.1, 14.0, 12.1, 12.0 and 2.5.
pub const SUPPORTED: [ProtocolVersion; 7] = [
    ProtocolVersion::V2_5,
    ProtocolVersion::V12_0,
    ProtocolVersion::V12_1,
    ProtocolVersion::V14_0,
    ProtocolVersion::V14_1,
    ProtocolVersion::V16_0,
    ProtocolVersion::V16_1,
];

/// A version string that names no known protocol version.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown protocol version {0:?}")]
pub struct UnknownVersion(pub String);

impl ProtocolVersion {
    /// The header text, e.g. `"14.1"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V2_5 => "2.5",
            ProtocolVersion::V12_0 => "12.0",
            ProtocolVersion::V12_1 => "12.1",
            ProtocolVersion::V14_0 => "14.0",
            ProtocolVersion::V14_1 => "14.1",
            ProtocolVersion::V16_0 => "16.0",
            ProtocolVersion::V16_1 => "16.1",
        }
    }

    /// The version from the base64 query's protocol version byte (141 is 14.1, 25 is 2.5).
    // MS-ASHTTP 2.2.1.1.1.1: the byte is the version times ten, e.g. 121, 140, 141, 160, 161.
    pub const fn from_byte(byte: u8) -> Option<ProtocolVersion> {
        match byte {
            25 => Some(ProtocolVersion::V2_5),
            120 => Some(ProtocolVersion::V12_0),
            121 => Some(ProtocolVersion::V12_1),
            140 => Some(ProtocolVersion::V14_0),
            141 => Some(ProtocolVersion::V14_1),
            160 => Some(ProtocolVersion::V16_0),
            161 => Some(ProtocolVersion::V16_1),
            _ => None,
        }
    }

    /// The base64 query's protocol version byte for this version.
    pub const fn to_byte(self) -> u8 {
        match self {
            ProtocolVersion::V2_5 => 25,
            ProtocolVersion::V12_0 => 120,
            ProtocolVersion::V12_1 => 121,
            ProtocolVersion::V14_0 => 140,
            ProtocolVersion::V14_1 => 141,
            ProtocolVersion::V16_0 => 160,
            ProtocolVersion::V16_1 => 161,
        }
    }

    /// The comma-separated list for the `MS-ASProtocolVersions` OPTIONS header.
    pub fn header_list(versions: &[ProtocolVersion]) -> String {
        let names: Vec<&str> = versions.iter().map(|v| v.as_str()).collect();
        names.join(",")
    }
}

impl FromStr for ProtocolVersion {
    type Err = UnknownVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        SUPPORTED
            .iter()
            .copied()
            .find(|v| v.as_str() == t)
            // Some clients send "14" or "12" without the minor digit.
            .or_else(|| {
                SUPPORTED
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == format!("{t}.0"))
            })
            .ok_or_else(|| UnknownVersion(s.to_string()))
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_version_round_trips_through_its_text() {
        for v in SUPPORTED {
            assert_eq!(v.as_str().parse::<ProtocolVersion>(), Ok(v));
            assert_eq!(v.to_string(), v.as_str());
        }
    }

    #[test]
    fn every_supported_version_round_trips_through_its_byte() {
        for v in SUPPORTED {
            assert_eq!(ProtocolVersion::from_byte(v.to_byte()), Some(v));
        }
        assert_eq!(
            ProtocolVersion::from_byte(141),
            Some(ProtocolVersion::V14_1)
        );
        assert_eq!(ProtocolVersion::from_byte(0), None);
        assert_eq!(ProtocolVersion::from_byte(142), None);
    }

    #[test]
    fn versions_order_from_oldest_to_newest() {
        assert!(ProtocolVersion::V2_5 < ProtocolVersion::V12_0);
        assert!(ProtocolVersion::V12_1 < ProtocolVersion::V14_0);
        assert!(ProtocolVersion::V14_1 < ProtocolVersion::V16_1);
        assert!(SUPPORTED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn header_text_with_spaces_or_no_minor_digit_still_parses() {
        assert_eq!(" 14.0 ".parse(), Ok(ProtocolVersion::V14_0));
        assert_eq!("12".parse(), Ok(ProtocolVersion::V12_0));
    }

    #[test]
    fn unknown_header_text_is_an_error() {
        assert!("13.0".parse::<ProtocolVersion>().is_err());
        assert!("".parse::<ProtocolVersion>().is_err());
        assert!("abc".parse::<ProtocolVersion>().is_err());
    }

    #[test]
    fn header_list_joins_with_commas() {
        assert_eq!(
            ProtocolVersion::header_list(&SUPPORTED[..3]),
            "2.5,12.0,12.1"
        );
    }
}
