//! The 172-byte `TimeZone` structure of MS-ASDTYPE 2.7.4 (Win32 TIME_ZONE_INFORMATION), read
//! from and written as its base64 text (R121, R122).
//!
//! Layout, little-endian: `Bias` i32 @0, `StandardName` 32 WCHAR @4, `StandardDate` SYSTEMTIME
//! @68, `StandardBias` i32 @84, `DaylightName` 32 WCHAR @88, `DaylightDate` SYSTEMTIME @152,
//! `DaylightBias` i32 @168. UTC = local time + bias, in minutes.

use base64::Engine as _;

/// The length of the structure.
pub const BLOB_LEN: usize = 172;

/// A SYSTEMTIME (MS-DTYP 2.3.13). With `year` 0 it is an annual rule: `day` is the occurrence
/// 1 to 5 of `day_of_week` (0 = Sunday) in `month`, 5 meaning the last; with a year it is that
/// date. `month` 0 means no daylight saving time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SystemTime {
    pub year: u16,
    pub month: u16,
    pub day_of_week: u16,
    pub day: u16,
    pub hour: u16,
    pub minute: u16,
    pub second: u16,
    pub milliseconds: u16,
}

impl SystemTime {
    /// An annual rule: the `week`th (5 = last) `day_of_week` of `month` at `hour:minute` local.
    pub const fn annual(month: u16, week: u16, day_of_week: u16, hour: u16, minute: u16) -> Self {
        SystemTime {
            year: 0,
            month,
            day_of_week,
            day: week,
            hour,
            minute,
            second: 0,
            milliseconds: 0,
        }
    }

    fn read(b: &[u8]) -> SystemTime {
        let w = |i: usize| u16::from_le_bytes([b[2 * i], b[2 * i + 1]]);
        SystemTime {
            year: w(0),
            month: w(1),
            day_of_week: w(2),
            day: w(3),
            hour: w(4),
            minute: w(5),
            second: w(6),
            milliseconds: w(7),
        }
    }

    fn write(&self, out: &mut [u8]) {
        let words = [
            self.year,
            self.month,
            self.day_of_week,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.milliseconds,
        ];
        for (i, w) in words.iter().enumerate() {
            out[2 * i..2 * i + 2].copy_from_slice(&w.to_le_bytes());
        }
    }

    /// Why the value is not a transition rule, if it is not one (`which` names the field).
    fn check(&self, which: &'static str) -> Result<(), TzBlobError> {
        let bad = |reason: &'static str| TzBlobError::BadDate {
            which,
            reason,
            value: *self,
        };
        if self.month == 0 {
            return Ok(());
        }
        if self.month > 12 {
            return Err(bad("month is not 0 to 12"));
        }
        if self.year == 0 {
            if self.day_of_week > 6 {
                return Err(bad("day of week is not 0 to 6"));
            }
            if !(1..=5).contains(&self.day) {
                return Err(bad("week of the month is not 1 to 5"));
            }
        } else if !(1..=31).contains(&self.day) {
            return Err(bad("day is not 1 to 31"));
        }
        // 24:00 is how some rules write midnight at the end of the day.
        if self.hour > 24 || self.minute > 59 || self.second > 59 || self.milliseconds > 999 {
            return Err(bad("time of day out of range"));
        }
        Ok(())
    }
}

/// A `TimeZone` value that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TzBlobError {
    #[error("time zone is not base64")]
    Base64,
    #[error("time zone has {0} bytes; MS-ASDTYPE 2.7.4 has {BLOB_LEN}")]
    Length(usize),
    #[error("time zone {which} is not a transition ({reason}): {value:?}")]
    BadDate {
        which: &'static str,
        reason: &'static str,
        value: SystemTime,
    },
    #[error("time zone bias {0} minutes is beyond a day")]
    BadBias(i32),
}

/// The `TimeZone` structure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TimeZoneBlob {
    /// Minutes to add to local time to get UTC (Berlin −60, New York 300).
    pub bias: i32,
    /// Optional; clients must not depend on it, and some Android builds fall back to GMT when
    /// it is set (PIM_FACTS 6.5): [`crate::tz::encode_zone`] leaves it empty.
    pub standard_name: String,
    /// The change from daylight saving to standard time, in local daylight time.
    pub standard_date: SystemTime,
    pub standard_bias: i32,
    pub daylight_name: String,
    /// The change from standard to daylight saving time, in local standard time.
    pub daylight_date: SystemTime,
    pub daylight_bias: i32,
}

const DAY_MINUTES: i32 = 24 * 60;

fn read_i32(b: &[u8], at: usize) -> i32 {
    i32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Up to 32 UTF-16 code units, ending at the first NUL.
fn read_name(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|u| *u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// The name as 32 WCHARs, cut to 31 so a NUL ends it; the rest zero (R109, R116).
fn write_name(name: &str, out: &mut [u8]) {
    for (i, u) in name.encode_utf16().take(31).enumerate() {
        out[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
    }
}

impl TimeZoneBlob {
    /// Reads the 172 bytes.
    pub fn from_bytes(b: &[u8]) -> Result<TimeZoneBlob, TzBlobError> {
        if b.len() != BLOB_LEN {
            return Err(TzBlobError::Length(b.len()));
        }
        let blob = TimeZoneBlob {
            bias: read_i32(b, 0),
            standard_name: read_name(&b[4..68]),
            standard_date: SystemTime::read(&b[68..84]),
            standard_bias: read_i32(b, 84),
            daylight_name: read_name(&b[88..152]),
            daylight_date: SystemTime::read(&b[152..168]),
            daylight_bias: read_i32(b, 168),
        };
        for bias in [
            blob.bias,
            blob.bias.saturating_add(blob.standard_bias),
            blob.bias.saturating_add(blob.daylight_bias),
        ] {
            if bias.abs() > DAY_MINUTES {
                return Err(TzBlobError::BadBias(bias));
            }
        }
        blob.standard_date.check("StandardDate")?;
        blob.daylight_date.check("DaylightDate")?;
        Ok(blob)
    }

    /// Reads the base64 text of an EAS `Timezone` element (line breaks and spaces ignored).
    pub fn from_base64(text: &str) -> Result<TimeZoneBlob, TzBlobError> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| TzBlobError::Base64)?;
        TimeZoneBlob::from_bytes(&bytes)
    }

    pub fn to_bytes(&self) -> [u8; BLOB_LEN] {
        let mut b = [0u8; BLOB_LEN];
        b[0..4].copy_from_slice(&self.bias.to_le_bytes());
        write_name(&self.standard_name, &mut b[4..68]);
        self.standard_date.write(&mut b[68..84]);
        b[84..88].copy_from_slice(&self.standard_bias.to_le_bytes());
        write_name(&self.daylight_name, &mut b[88..152]);
        self.daylight_date.write(&mut b[152..168]);
        b[168..172].copy_from_slice(&self.daylight_bias.to_le_bytes());
        b
    }

    /// The base64 text for an EAS `Timezone` element.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.to_bytes())
    }

    /// Whether the zone has daylight saving time: both changes set (`wMonth` 0 is none, as
    /// AOSP reads it) and a different offset in summer.
    pub fn has_dst(&self) -> bool {
        self.standard_date.month != 0
            && self.daylight_date.month != 0
            && self.standard_bias != self.daylight_bias
    }

    /// Local time minus UTC in standard time, in seconds.
    pub fn standard_offset(&self) -> i32 {
        -(self.bias
            + if self.has_dst() {
                self.standard_bias
            } else {
                0
            })
            * 60
    }

    /// Local time minus UTC in daylight saving time, in seconds.
    pub fn daylight_offset(&self) -> i32 {
        -(self.bias + self.daylight_bias) * 60
    }
}
