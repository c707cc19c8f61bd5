//! Time zones on the wire: the `TimeZone` blob of MS-ASDTYPE 2.7.4 ([`TimeZoneBlob`]), matched
//! to an IANA zone by its offsets in the event's year ([`match_zone`]), and written from an IANA
//! zone with empty names ([`encode_zone`]). The IANA data is chrono-tz's.

mod blob;
mod rule;

pub use blob::{SystemTime, TimeZoneBlob, TzBlobError, BLOB_LEN};
pub use rule::{
    blob_profile, encode_zone, encode_zone_year, fixed_zone_for, match_zone, matching_zones,
    zone_profile, IrregularYear, YearProfile,
};

#[cfg(test)]
mod tests;
