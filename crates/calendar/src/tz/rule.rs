//! A year of a zone's offsets ([`YearProfile`]), from an IANA zone or from a `TimeZone` blob, and
//! the two conversions between them: matching a blob to an IANA zone, and writing an IANA zone
//! as a blob.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Offset as _, TimeZone as _, Utc};
use chrono_tz::{Tz, TZ_VARIANTS};

use super::blob::{SystemTime, TimeZoneBlob};
use crate::recurrence::{days_in_month, nth_day_in_month, weekday_from_sunday, DaySet, Nth};

/// A zone's offsets over one calendar year (UTC): the offset at its start and every change.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct YearProfile {
    /// Local time minus UTC at the year's first instant, in seconds.
    pub initial: i32,
    /// Each change: the instant and the new offset, in order.
    pub transitions: Vec<(DateTime<Utc>, i32)>,
}

fn year_start(year: i32) -> Option<DateTime<Utc>> {
    NaiveDate::from_ymd_opt(year, 1, 1).map(|d| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)))
}

fn offset_at(zone: Tz, t: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The offsets of an IANA zone in `year`. Changes are found day by day and then to the second
/// (no zone changes its offset twice in a day).
pub fn zone_profile(zone: Tz, year: i32) -> YearProfile {
    let (Some(start), Some(end)) = (year_start(year), year_start(year + 1)) else {
        return YearProfile {
            initial: 0,
            transitions: Vec::new(),
        };
    };
    let initial = offset_at(zone, start);
    let mut transitions = Vec::new();
    let mut t = start;
    let mut current = initial;
    while t < end {
        let next = (t + Duration::days(1)).min(end);
        let after = offset_at(zone, next);
        if after != current {
            // The first whole second at which the new offset holds, in (t, next].
            let (mut lo, mut hi) = (t.timestamp(), next.timestamp());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let at = DateTime::from_timestamp(mid, 0).unwrap_or(next);
                if offset_at(zone, at) == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let hi = DateTime::from_timestamp(hi, 0).unwrap_or(next);
            if hi < end {
                transitions.push((hi, after));
            }
            current = after;
        }
        t = next;
    }
    YearProfile {
        initial,
        transitions,
    }
}

/// The date a SYSTEMTIME rule falls on in `year`; `week_4_is_last` reads an annual week 4 as the
/// last week (see [`match_zone`]).
fn rule_date(st: &SystemTime, year: i32, week_4_is_last: bool) -> Option<NaiveDate> {
    let month = u32::from(st.month);
    if st.year != 0 {
        return if i32::from(st.year) == year {
            NaiveDate::from_ymd_opt(year, month, u32::from(st.day))
        } else {
            None
        };
    }
    let week = if week_4_is_last && st.day == 4 {
        Nth::LAST
    } else {
        Nth::new(st.day as u8)?
    };
    let days = DaySet::of(weekday_from_sunday(st.day_of_week as u8));
    nth_day_in_month(year, month, week, days)
}

/// The UTC instant of a rule in `year`, its local time read with `offset` (seconds).
fn rule_instant(st: &SystemTime, year: i32, offset: i32, lenient: bool) -> Option<DateTime<Utc>> {
    let date = rule_date(st, year, lenient)?;
    let local = date.and_time(NaiveTime::MIN)
        + Duration::hours(i64::from(st.hour))
        + Duration::minutes(i64::from(st.minute))
        + Duration::seconds(i64::from(st.second));
    Some(Utc.from_utc_datetime(&(local - Duration::seconds(i64::from(offset)))))
}

/// The offsets a blob describes in `year`. A blob whose rule has no date that year (a dated
/// transition of another year) has no change that year.
pub fn blob_profile(blob: &TimeZoneBlob, year: i32) -> YearProfile {
    blob_profile_with(blob, year, false)
}

fn blob_profile_with(blob: &TimeZoneBlob, year: i32, lenient: bool) -> YearProfile {
    let std = blob.standard_offset();
    if !blob.has_dst() {
        return YearProfile {
            initial: std,
            transitions: Vec::new(),
        };
    }
    let dst = blob.daylight_offset();
    // DaylightDate is in standard time, StandardDate in daylight time (MS-ASDTYPE R111, R118).
    let start = rule_instant(&blob.daylight_date, year, std, lenient);
    let end = rule_instant(&blob.standard_date, year, dst, lenient);
    let mut transitions: Vec<(DateTime<Utc>, i32)> =
        [start.map(|t| (t, dst)), end.map(|t| (t, std))]
            .into_iter()
            .flatten()
            .collect();
    transitions.sort();
    // In force at New Year: the offset the year's first change leaves, i.e. daylight time in the
    // southern hemisphere (DaylightDate after StandardDate in the year).
    let initial = match transitions.first() {
        Some((_, to)) if *to == std => dst,
        _ => std,
    };
    YearProfile {
        initial,
        transitions,
    }
}

/// Zones listed first when several match, one per common region, so that a blob no preferred
/// zone claims reads as the zone most users of that rule are in.
const REPRESENTATIVES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Athens",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Halifax",
    "America/St_Johns",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Perth",
    "Pacific/Auckland",
    "Africa/Johannesburg",
    "Africa/Cairo",
];

/// Whether a zone name is a current region/city name (not `Etc/`, `US/`, `SystemV/`, or a
/// legacy alias such as `EST5EDT` or `Cuba`).
fn is_city_name(name: &str) -> bool {
    const REGIONS: [&str; 9] = [
        "Africa/",
        "America/",
        "Antarctica/",
        "Asia/",
        "Atlantic/",
        "Australia/",
        "Europe/",
        "Indian/",
        "Pacific/",
    ];
    REGIONS.iter().any(|r| name.starts_with(r))
}

fn rank(zone: Tz) -> (usize, bool, &'static str) {
    let name = zone.name();
    let rep = REPRESENTATIVES
        .iter()
        .position(|r| *r == name)
        .unwrap_or(REPRESENTATIVES.len());
    (rep, !is_city_name(name), name)
}

/// Every IANA zone whose offsets in `year` are exactly those the blob describes, best first
/// (see [`match_zone`] for the order).
pub fn matching_zones(blob: &TimeZoneBlob, year: i32) -> Vec<Tz> {
    let mut found = matching_with(blob, year, false);
    if found.is_empty() && has_week_4(blob) {
        found = matching_with(blob, year, true);
    }
    found.sort_by_key(|z| rank(*z));
    found
}

fn has_week_4(blob: &TimeZoneBlob) -> bool {
    [blob.standard_date, blob.daylight_date]
        .iter()
        .any(|st| st.year == 0 && st.day == 4)
}

fn matching_with(blob: &TimeZoneBlob, year: i32, lenient: bool) -> Vec<Tz> {
    let want = blob_profile_with(blob, year, lenient);
    let Some(start) = year_start(year) else {
        return Vec::new();
    };
    TZ_VARIANTS
        .iter()
        .copied()
        .filter(|z| offset_at(*z, start) == want.initial)
        .filter(|z| zone_profile(*z, year) == want)
        .collect()
}

/// The IANA zone a `TimeZone` blob means, judged by its offsets and changes in `year` (the year
/// of the event), never by its names (PIM_FACTS 1.2, 6.6):
///
/// 1. every zone whose offset at New Year and whose changes that year, to the second, are those
///    of the blob. Northern and southern hemispheres alike (the order of the two changes tells
///    which), zones without daylight saving time (`wMonth` 0) by their offset alone;
/// 2. if none and a rule says week 4, the same with week 4 read as the last week: AOSP writes the
///    week of the current year's change, so its "last Sunday of October" is "4th Sunday" in
///    years where the two agree (the Android Berlin blob, tine20 #2840);
/// 3. of those, `preferred` (the user's zone) when it is one, else a representative zone of
///    the region (`Europe/Berlin` before `Europe/Amsterdam`), else city names before aliases,
///    alphabetically.
///
/// `None` when no zone has those offsets that year.
pub fn match_zone(blob: &TimeZoneBlob, year: i32, preferred: Option<Tz>) -> Option<Tz> {
    let found = matching_zones(blob, year);
    if let Some(p) = preferred.filter(|p| found.contains(p)) {
        return Some(p);
    }
    found.first().copied()
}

/// A zone without daylight saving time for a blob no IANA zone matches: `Etc/GMT±N` of its
/// standard offset when that is whole hours, as the last resort of a reader.
pub fn fixed_zone_for(blob: &TimeZoneBlob) -> Option<Tz> {
    let offset = blob.standard_offset();
    if offset % 3600 != 0 {
        return None;
    }
    let hours = offset / 3600;
    // The Etc/ names have the POSIX sign: Etc/GMT-1 is UTC+1.
    let name = match hours {
        0 => "Etc/GMT".to_string(),
        h if h > 0 => format!("Etc/GMT-{h}"),
        h => format!("Etc/GMT+{}", -h),
    };
    name.parse().ok()
}

/// The SYSTEMTIME rule for a change at `instant` whose local time before it is `offset`: the
/// month, the weekday, the week (1 to 4, or 5 for the last when the zone's rule in the next
/// years says "last" rather than "4th"), and the local time.
fn rule_for(zone: Tz, instant: DateTime<Utc>, offset: i32, into: i32) -> SystemTime {
    let local = instant.naive_utc() + Duration::seconds(i64::from(offset));
    let date = local.date();
    let (year, month, day) = (date.year(), date.month(), date.day());
    let nth = (day - 1) / 7 + 1;
    // A day within the month's last seven is the last of its weekday; the 4th may be meant.
    let is_last = day + 7 > days_in_month(year, month);
    let week = if is_last && (nth == 5 || last_fits_better(zone, year, month, date.weekday(), into))
    {
        5
    } else {
        nth
    };
    let time = local.time();
    SystemTime::annual(
        month as u16,
        week as u16,
        date.weekday().num_days_from_sunday() as u16,
        chrono::Timelike::hour(&time) as u16,
        chrono::Timelike::minute(&time) as u16,
    )
}

/// For a change on a day that is both the 4th and the last of its weekday: whether the zone's
/// changes into `into` in the next six years fall on the last rather than the 4th such day.
fn last_fits_better(zone: Tz, year: i32, month: u32, weekday: chrono::Weekday, into: i32) -> bool {
    let days = DaySet::of(weekday);
    let (mut last, mut fourth) = (0, 0);
    for y in year + 1..=year + 6 {
        let change_days: Vec<NaiveDate> = zone_profile(zone, y)
            .transitions
            .iter()
            .filter(|(_, to)| *to == into)
            .map(|(t, _)| t.naive_utc().date())
            .collect();
        // The local date can be a day off the UTC one; compare within a day.
        let near = |d: Option<NaiveDate>| {
            d.is_some_and(|d| change_days.iter().any(|c| (*c - d).num_days().abs() <= 1))
        };
        let l = nth_day_in_month(y, month, Nth::LAST, days);
        let f = nth_day_in_month(y, month, Nth::new(4).unwrap_or(Nth::LAST), days);
        if l != f {
            last += i32::from(near(l));
            fourth += i32::from(near(f));
        }
    }
    last >= fourth
}

/// Why a zone's year cannot be one `TimeZone` blob.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{zone} changes its offset {changes} times in {year}; a TimeZone blob holds 0 or 2")]
pub struct IrregularYear {
    pub zone: &'static str,
    pub year: i32,
    pub changes: usize,
}

/// The blob of an IANA zone in `year`, from that year's changes, with EMPTY names (PIM_FACTS
/// 6.5: names make some Android builds fall back to GMT): bias from the standard (smaller)
/// offset, `DaylightBias` the difference, each change as an nth or last weekday rule.
///
/// A year with other than two alternating changes (a zone that drops or adopts daylight saving
/// time, Morocco's Ramadan changes) cannot be a rule: [`encode_zone`] then describes the offset
/// in force at the event.
pub fn encode_zone_year(zone: Tz, year: i32) -> Result<TimeZoneBlob, IrregularYear> {
    let profile = zone_profile(zone, year);
    match profile.transitions.as_slice() {
        [] => Ok(fixed_blob(profile.initial)),
        [(t1, o1), (t2, o2)] if *o2 == profile.initial && *o1 != profile.initial => {
            let (std, dst) = if *o1 > profile.initial {
                (profile.initial, *o1)
            } else {
                (*o1, profile.initial)
            };
            // The change into daylight time, read in standard time, and back, read in daylight
            // time.
            let (into_dst, into_std) = if *o1 == dst { (*t1, *t2) } else { (*t2, *t1) };
            Ok(TimeZoneBlob {
                bias: -std / 60,
                standard_name: String::new(),
                standard_date: rule_for(zone, into_std, dst, std),
                standard_bias: 0,
                daylight_name: String::new(),
                daylight_date: rule_for(zone, into_dst, std, dst),
                daylight_bias: -(dst - std) / 60,
            })
        }
        other => Err(IrregularYear {
            zone: zone.name(),
            year,
            changes: other.len(),
        }),
    }
}

fn fixed_blob(offset: i32) -> TimeZoneBlob {
    TimeZoneBlob {
        bias: -offset / 60,
        ..TimeZoneBlob::default()
    }
}

/// The blob to send for an event in `zone` starting at `at`: the rule of that year
/// ([`encode_zone_year`]), or, in a year no rule describes, the offset in force at `at`
/// without daylight saving time.
pub fn encode_zone(zone: Tz, at: DateTime<Utc>) -> TimeZoneBlob {
    let year = at.with_timezone(&zone).year();
    encode_zone_year(zone, year).unwrap_or_else(|_| fixed_blob(offset_at(zone, at)))
}
