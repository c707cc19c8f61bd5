//! A `VTIMEZONE` (RFC 5545 3.6.5) for an IANA zone, from chrono-tz's data: two observances with
//! yearly rules when the zone keeps one rule over the years the events use, else each change of
//! those years as its own dated observance.

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;

use super::values::format_local;
use crate::meta::Property;
use crate::recurrence::{nth_day_in_month, weekday_from_sunday, DaySet, Nth};
use crate::tz::{encode_zone_year, zone_profile, SystemTime, TimeZoneBlob};

/// How many years a generated `VTIMEZONE` covers at most.
const MAX_YEARS: i32 = 40;

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

fn observance(
    kind: &str,
    from: i32,
    to: i32,
    dtstart: String,
    rrule: Option<String>,
) -> Vec<Property> {
    let mut out = vec![
        Property::new("BEGIN", kind),
        Property::new("TZOFFSETFROM", &offset_text(from)),
        Property::new("TZOFFSETTO", &offset_text(to)),
        Property::new("DTSTART", &dtstart),
    ];
    if let Some(r) = rrule {
        out.push(Property::new("RRULE", &r));
    }
    out.push(Property::new("END", kind));
    out
}

fn rule_rrule(st: &SystemTime) -> String {
    let n = if st.day >= 5 { -1 } else { i32::from(st.day) };
    let day = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"][usize::from(st.day_of_week % 7)];
    format!("FREQ=YEARLY;BYMONTH={};BYDAY={n}{day}", st.month)
}

fn rule_start(st: &SystemTime, year: i32) -> Option<String> {
    let week = if st.day >= 5 {
        Nth::LAST
    } else {
        Nth::new(st.day as u8)?
    };
    let d = nth_day_in_month(
        year,
        u32::from(st.month),
        week,
        DaySet::of(weekday_from_sunday(st.day_of_week as u8)),
    )?;
    let t = d.and_hms_opt(u32::from(st.hour).min(23), u32::from(st.minute), 0)?;
    Some(t.format("%Y%m%dT%H%M%S").to_string())
}

/// The lines of a `VTIMEZONE` for `zone` covering `from_year` to `to_year`.
pub fn vtimezone(zone: Tz, from_year: i32, to_year: i32) -> Vec<Property> {
    let to_year = to_year.clamp(from_year, from_year + MAX_YEARS);
    let mut out = vec![
        Property::new("BEGIN", "VTIMEZONE"),
        Property::new("TZID", zone.name()),
    ];
    let blobs: Vec<Option<TimeZoneBlob>> = (from_year..=to_year)
        .map(|y| encode_zone_year(zone, y).ok())
        .collect();
    let same_rule = blobs.windows(2).all(|w| w[0] == w[1]);
    match blobs.first() {
        Some(Some(b)) if same_rule && !b.has_dst() => {
            let off = b.standard_offset();
            out.extend(observance(
                "STANDARD",
                off,
                off,
                "19700101T000000".into(),
                None,
            ));
        }
        Some(Some(b)) if same_rule => {
            let (std, dst) = (b.standard_offset(), b.daylight_offset());
            if let (Some(ds), Some(ss)) = (
                rule_start(&b.daylight_date, from_year),
                rule_start(&b.standard_date, from_year),
            ) {
                out.extend(observance(
                    "DAYLIGHT",
                    std,
                    dst,
                    ds,
                    Some(rule_rrule(&b.daylight_date)),
                ));
                out.extend(observance(
                    "STANDARD",
                    dst,
                    std,
                    ss,
                    Some(rule_rrule(&b.standard_date)),
                ));
            } else {
                out.extend(dated(zone, from_year, to_year));
            }
        }
        _ => out.extend(dated(zone, from_year, to_year)),
    }
    out.push(Property::new("END", "VTIMEZONE"));
    out
}

/// Every change from `from_year - 1` to `to_year + 1`, each its own observance, after one
/// for the offset in force at the start.
fn dated(zone: Tz, from_year: i32, to_year: i32) -> Vec<Property> {
    let first = zone_profile(zone, from_year - 1);
    let mut out = Vec::new();
    let start = NaiveDate::from_ymd_opt(from_year - 1, 1, 1)
        .map(|d| d.format("%Y%m%dT000000").to_string())
        .unwrap_or_else(|| "19700101T000000".into());
    out.extend(observance(
        "STANDARD",
        first.initial,
        first.initial,
        start,
        None,
    ));
    let mut current = first.initial;
    for y in from_year - 1..=to_year + 1 {
        for (t, to) in zone_profile(zone, y).transitions {
            let local = t + Duration::seconds(i64::from(current));
            let kind = if to > current { "DAYLIGHT" } else { "STANDARD" };
            let text = format_local(local, Tz::UTC);
            out.extend(observance(kind, current, to, text, None));
            current = to;
        }
    }
    out
}

/// The years an event uses: its start year to its last end's (ten more for a series
/// without end).
pub fn years_of(event: &crate::event::Event) -> (i32, i32) {
    let zone = event.zone();
    let start = match event.when {
        crate::event::When::Timed { start, .. } => start.with_timezone(&zone).year(),
        crate::event::When::AllDay { start, .. } => start.year(),
    };
    let end = event
        .last_end()
        .map(|t| t.with_timezone(&zone).year())
        .unwrap_or(start + 10);
    (start, end.max(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(p: &[Property]) -> Vec<String> {
        p.iter().map(crate::ical::syntax::line_of).collect()
    }

    #[test]
    fn a_regular_zone_has_two_yearly_observances() {
        let l = lines(&vtimezone(chrono_tz::Europe::Paris, 2026, 2030));
        assert_eq!(
            l,
            [
                "BEGIN:VTIMEZONE",
                "TZID:Europe/Paris",
                "BEGIN:DAYLIGHT",
                "TZOFFSETFROM:+0100",
                "TZOFFSETTO:+0200",
                "DTSTART:20260329T020000",
                "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
                "END:DAYLIGHT",
                "BEGIN:STANDARD",
                "TZOFFSETFROM:+0200",
                "TZOFFSETTO:+0100",
                "DTSTART:20261025T030000",
                "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
                "END:STANDARD",
                "END:VTIMEZONE"
            ]
        );
        let kolkata = lines(&vtimezone(chrono_tz::Asia::Kolkata, 2026, 2026));
        assert!(kolkata.contains(&"TZOFFSETTO:+0530".to_string()));
        assert_eq!(
            kolkata.iter().filter(|l| l.starts_with("BEGIN:")).count(),
            2
        );
    }

    #[test]
    fn an_irregular_zone_lists_its_changes() {
        let l = lines(&vtimezone(chrono_tz::Africa::Casablanca, 2029, 2029));
        let changes = l.iter().filter(|x| x.starts_with("DTSTART:2029")).count();
        assert_eq!(changes, 3, "{l:?}");
    }
}
