//! Instants, calendar dates and zones as the model holds them: a timed event's start and end are
//! UTC instants, an all-day event's are calendar dates (MS-ASCAL 2.2.2.1, R87, R2008), and the
//! event's IANA zone is kept by name.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The start of an occurrence, or the bound of a recurrence: an instant for a timed event, a
/// calendar date for an all-day one. The stored text is `2026-03-10T09:00:00Z` or `2026-03-10`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Moment {
    /// A UTC instant.
    At(DateTime<Utc>),
    /// A calendar date, in no zone.
    On(NaiveDate),
}

/// Text that is neither an RFC 3339 UTC instant nor a `YYYY-MM-DD` date.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an instant or a date: {0:?}")]
pub struct BadMoment(pub String);

impl Moment {
    /// The instant, for a timed moment.
    pub fn instant(self) -> Option<DateTime<Utc>> {
        match self {
            Moment::At(t) => Some(t),
            Moment::On(_) => None,
        }
    }

    /// The date, for an all-day moment.
    pub fn date(self) -> Option<NaiveDate> {
        match self {
            Moment::At(_) => None,
            Moment::On(d) => Some(d),
        }
    }

    pub fn is_date(self) -> bool {
        matches!(self, Moment::On(_))
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Moment::At(t) => f.write_str(&format_instant(*t)),
            Moment::On(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}

impl FromStr for Moment {
    type Err = BadMoment;

    fn from_str(s: &str) -> Result<Moment, BadMoment> {
        if s.len() == 10 {
            return NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Moment::On)
                .map_err(|_| BadMoment(s.to_string()));
        }
        parse_instant(s)
            .map(Moment::At)
            .ok_or_else(|| BadMoment(s.to_string()))
    }
}

impl Serialize for Moment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Moment {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Moment, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// `2026-03-10T09:00:00Z`; fractions of a second only when there are some.
pub fn format_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An RFC 3339 instant with `Z` (what [`format_instant`] writes).
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    if !s.ends_with('Z') {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// An EAS date and time: the Compact DateTime of the Calendar class (`20260310T090000Z`,
/// MS-ASDTYPE 2.7.5), the dashed dateTime some clients send instead, or a bare `20260310` (an
/// all-day `Until` "with no time component", MS-ASCAL R2005), read as midnight UTC.
pub fn parse_eas_datetime(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        let d = NaiveDate::parse_from_str(t, "%Y%m%d").ok()?;
        return Some(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let eas = eas_protocol::datetime::EasDateTime::parse(t)?;
    DateTime::from_timestamp_millis(eas.unix_millis())
}

/// The Compact DateTime of an instant (MS-ASDTYPE 2.7.5): `20260310T090000Z`.
pub fn format_compact(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The zone with that IANA name (`Europe/Paris`), or a link to one (`US/Eastern`).
pub fn zone_named(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// Serde for optional instants.
pub(crate) mod utc_opt {
    use super::*;

    pub fn serialize<S: serde::Serializer>(
        t: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_instant(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| {
            parse_instant(&t)
                .ok_or_else(|| serde::de::Error::custom(format!("not a UTC instant: {t:?}")))
        })
        .transpose()
    }
}

/// Serde for an optional IANA zone, by name.
pub(crate) mod zone_opt {
    use super::*;

    pub fn serialize<S: serde::Serializer>(z: &Option<Tz>, s: S) -> Result<S::Ok, S::Error> {
        match z {
            Some(z) => s.serialize_str(z.name()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Tz>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| {
            zone_named(&t)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown time zone: {t:?}")))
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn moments_read_back_what_they_write() {
        let at = Moment::At(Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).unwrap());
        assert_eq!(at.to_string(), "2026-03-10T09:00:00Z");
        assert_eq!("2026-03-10T09:00:00Z".parse::<Moment>(), Ok(at));
        let on = Moment::On(NaiveDate::from_ymd_opt(2026, 3, 10).unwrap());
        assert_eq!(on.to_string(), "2026-03-10");
        assert_eq!("2026-03-10".parse::<Moment>(), Ok(on));
    }

    #[test]
    fn moments_refuse_other_text() {
        for bad in [
            "2026-02-30",
            "2026-03-10T09:00:00+01:00",
            "20260310T090000Z",
            "",
            "x",
        ] {
            assert!(bad.parse::<Moment>().is_err(), "{bad}");
        }
    }

    #[test]
    fn eas_datetimes_in_every_form_clients_send() {
        let t = Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 5).unwrap();
        assert_eq!(parse_eas_datetime("20260310T090005Z"), Some(t));
        assert_eq!(parse_eas_datetime("2026-03-10T09:00:05.000Z"), Some(t));
        assert_eq!(format_compact(t), "20260310T090005Z");
        assert_eq!(
            parse_eas_datetime("20260310"),
            Some(Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap())
        );
        for bad in ["20261310T000000Z", "2026031", "x", ""] {
            assert_eq!(parse_eas_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn zones_are_found_by_name_and_link() {
        assert_eq!(zone_named("Europe/Paris"), Some(chrono_tz::Europe::Paris));
        assert!(zone_named("US/Eastern").is_some());
        assert_eq!(zone_named("Mars/Olympus"), None);
    }
}
