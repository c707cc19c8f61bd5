//! iCalendar values the mapping reads and writes: dates and date-times with their zone
//! (RFC 5545 3.3.4, 3.3.5), durations (3.3.6), and the property values that map to EAS enums.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::event::{AttendeeStatus, AttendeeType, BusyStatus, Sensitivity};
use crate::meta::Property;
use crate::recurrence::expand::resolve_local;

/// A DATE or DATE-TIME value, read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeValue {
    Date(NaiveDate),
    /// An instant, and the zone its local form was in (`None`: UTC, or floating read in the
    /// default zone, which is then that zone).
    Instant(DateTime<Utc>, Option<Tz>),
}

/// A value that is not an RFC 5545 date, date-time or duration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{property}: {value:?} is not {expected}")]
pub struct BadValue {
    pub property: String,
    pub value: String,
    pub expected: &'static str,
}

fn bad(p: &Property, value: &str, expected: &'static str) -> BadValue {
    BadValue {
        property: p.name.clone(),
        value: value.chars().take(64).collect(),
        expected,
    }
}

/// Reads the values of a DATE / DATE-TIME property (several for `EXDATE` and `RDATE`).
/// `zone_of` resolves a `TZID`; a floating time is read in `default_zone`.
pub fn time_values(
    p: &Property,
    zone_of: &dyn Fn(&str) -> Option<Tz>,
    default_zone: Tz,
) -> Result<Vec<TimeValue>, BadValue> {
    let is_date = p
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
    let tzid = p.param("TZID");
    let zone = match tzid {
        Some(id) => Some(zone_of(id).ok_or_else(|| bad(p, id, "a known time zone"))?),
        None => None,
    };
    p.value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            if is_date || (v.len() == 8 && !v.contains('T')) {
                return NaiveDate::parse_from_str(v, "%Y%m%d")
                    .map(TimeValue::Date)
                    .map_err(|_| bad(p, v, "a date"));
            }
            if let Some(utc) = v.strip_suffix('Z') {
                let t = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
                    .map_err(|_| bad(p, v, "a date-time"))?;
                return Ok(TimeValue::Instant(t.and_utc(), None));
            }
            let local = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
                .map_err(|_| bad(p, v, "a date-time"))?;
            let z = zone.unwrap_or(default_zone);
            let zone = if z == Tz::UTC { None } else { Some(z) };
            Ok(TimeValue::Instant(resolve_local(z, local), zone))
        })
        .collect()
}

/// An RFC 5545 duration (`-PT15M`, `P1D`, `P2W`).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'-') => (-1, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let mut total = Duration::zero();
    let mut number = String::new();
    let mut in_time = false;
    let mut any = false;
    let mut time_parts = 0;
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            'T' if !in_time => in_time = true,
            d if d.is_ascii_digit() => number.push(d),
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                any = true;
                time_parts += usize::from(in_time);
                total += match (unit, in_time) {
                    ('W', false) => Duration::weeks(n),
                    ('D', false) => Duration::days(n),
                    ('H', true) => Duration::hours(n),
                    ('M', true) => Duration::minutes(n),
                    ('S', true) => Duration::seconds(n),
                    _ => return None,
                };
            }
        }
    }
    let time_ok = !in_time || time_parts > 0;
    (any && number.is_empty() && time_ok).then_some(total * sign)
}

/// A duration as RFC 5545 writes it, in minutes (`-PT15M`, `PT0M`).
pub fn format_minutes_before(minutes: u32) -> String {
    if minutes == 0 {
        "PT0M".to_string()
    } else {
        format!("-PT{minutes}M")
    }
}

/// `20260310` for a date.
pub fn format_date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// The local form of an instant in a zone: `20260310T090000`.
pub fn format_local(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .naive_local()
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

/// Midnight of a date.
pub fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_time(NaiveTime::MIN)
}

/// `PARTSTAT` (RFC 5545 3.2.12) to `AttendeeStatus`.
pub fn partstat(v: &str) -> AttendeeStatus {
    match v.to_ascii_uppercase().as_str() {
        "ACCEPTED" => AttendeeStatus::Accepted,
        "DECLINED" => AttendeeStatus::Declined,
        "TENTATIVE" => AttendeeStatus::Tentative,
        "NEEDS-ACTION" => AttendeeStatus::NotResponded,
        _ => AttendeeStatus::Unknown,
    }
}

pub fn partstat_text(s: AttendeeStatus) -> &'static str {
    match s {
        AttendeeStatus::Accepted => "ACCEPTED",
        AttendeeStatus::Declined => "DECLINED",
        AttendeeStatus::Tentative => "TENTATIVE",
        AttendeeStatus::NotResponded => "NEEDS-ACTION",
        AttendeeStatus::Unknown => "X-UNKNOWN",
    }
}

/// `ROLE` and `CUTYPE` (RFC 5545 3.2.16, 3.2.3) to `AttendeeType`: a resource or room is a
/// resource whatever its role; a chair is required; a non-participant optional.
pub fn attendee_type(role: Option<&str>, cutype: Option<&str>) -> Option<AttendeeType> {
    if cutype.is_some_and(|c| c.eq_ignore_ascii_case("RESOURCE") || c.eq_ignore_ascii_case("ROOM"))
    {
        return Some(AttendeeType::Resource);
    }
    match role?.to_ascii_uppercase().as_str() {
        "OPT-PARTICIPANT" | "NON-PARTICIPANT" => Some(AttendeeType::Optional),
        _ => Some(AttendeeType::Required),
    }
}

/// `CLASS` (RFC 5545 3.8.1.3) to `Sensitivity`. EAS's Personal has no iCalendar value and
/// goes out as `X-PERSONAL`.
pub fn class(v: &str) -> Option<Sensitivity> {
    Some(match v.to_ascii_uppercase().as_str() {
        "PUBLIC" => Sensitivity::Normal,
        "PRIVATE" => Sensitivity::Private,
        "CONFIDENTIAL" => Sensitivity::Confidential,
        "X-PERSONAL" => Sensitivity::Personal,
        _ => return None,
    })
}

pub fn class_text(s: Sensitivity) -> &'static str {
    match s {
        Sensitivity::Normal => "PUBLIC",
        Sensitivity::Private => "PRIVATE",
        Sensitivity::Confidential => "CONFIDENTIAL",
        Sensitivity::Personal => "X-PERSONAL",
    }
}

/// `X-MICROSOFT-CDO-BUSYSTATUS` (Outlook's, more precise than `TRANSP`).
pub fn cdo_busy(v: &str) -> Option<BusyStatus> {
    Some(match v.to_ascii_uppercase().as_str() {
        "FREE" => BusyStatus::Free,
        "TENTATIVE" => BusyStatus::Tentative,
        "BUSY" => BusyStatus::Busy,
        "OOF" => BusyStatus::OutOfOffice,
        "WORKINGELSEWHERE" => BusyStatus::WorkingElsewhere,
        _ => return None,
    })
}

pub fn cdo_busy_text(b: BusyStatus) -> Option<&'static str> {
    Some(match b {
        BusyStatus::Free => "FREE",
        BusyStatus::Tentative => "TENTATIVE",
        BusyStatus::Busy => "BUSY",
        BusyStatus::OutOfOffice => "OOF",
        BusyStatus::WorkingElsewhere => "WORKINGELSEWHERE",
        BusyStatus::Unknown => return None,
    })
}

/// A `mailto:` address without its scheme.
pub fn address(value: &str) -> String {
    let v = value.trim();
    match v.get(..7) {
        Some(s) if s.eq_ignore_ascii_case("mailto:") => v[7..].to_string(),
        _ => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("-PT15M"), Some(Duration::minutes(-15)));
        assert_eq!(parse_duration("P1DT2H"), Some(Duration::hours(26)));
        assert_eq!(parse_duration("P2W"), Some(Duration::weeks(2)));
        assert_eq!(parse_duration("+PT30S"), Some(Duration::seconds(30)));
        for bad in ["", "P", "PT", "15M", "P1H", "PT1D", "P1DT"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(
            parse_duration(&format_minutes_before(15)),
            Some(Duration::minutes(-15))
        );
    }

    #[test]
    fn times_are_read_in_their_zone() {
        let paris = chrono_tz::Europe::Paris;
        let zone_of = |id: &str| id.parse::<Tz>().ok();
        let p = crate::ical::syntax::split_line("DTSTART;TZID=Europe/Paris:20260310T090000")
            .expect("line");
        assert_eq!(
            time_values(&p, &zone_of, Tz::UTC).unwrap(),
            [TimeValue::Instant(
                "2026-03-10T08:00:00Z".parse().unwrap(),
                Some(paris)
            )]
        );
        let p = crate::ical::syntax::split_line("EXDATE;VALUE=DATE:20260310,20260317").unwrap();
        assert_eq!(time_values(&p, &zone_of, Tz::UTC).unwrap().len(), 2);
        let p =
            crate::ical::syntax::split_line("DTSTART;TZID=Nowhere/Else:20260310T090000").unwrap();
        assert!(time_values(&p, &zone_of, Tz::UTC).is_err());
        let p = crate::ical::syntax::split_line("DTSTART:20260310T0900").unwrap();
        assert!(time_values(&p, &zone_of, Tz::UTC).is_err());
    }
}
