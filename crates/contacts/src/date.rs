//! Birthdays and anniversaries as calendar dates (MS-ASCNTC 2.2.2.3, 2.2.2.6).
//!
//! EAS carries them as an MS-ASDTYPE dateTime in UTC whose "time portion ... SHOULD be
//! ignored, so that synchronizing between different time zones does not change the date"
//! (R999, R109001). Clients do not agree on the time they send (PIM_FACTS 3.1):
//!
//! | client | sends for day D |
//! | --- | --- |
//! | iOS 5 and later | local midnight of D in UTC: `D-1T22:00Z` in UTC+2, `DT05:00Z` in UTC−5 |
//! | stock Android 4–10 (dates made on the phone) | `DT08:00Z` |
//! | Samsung, Windows Phone | `DT00:00Z` (WP: `01:00Z` in summer time) |
//! | Gmail app | `DT12:00Z` |
//! | BlackBerry 10 | around `DT11:00Z` |
//! | the spec's example | `DT11:59Z` |
//!
//! So the date is read from the instant by [`ContactDate::from_instant`]:
//!
//! - Without an anchor (a new contact, or a changed date) the instant is rounded to the nearest
//!   midnight, noon itself staying on its own day. Every form in the table reads right, except
//!   iOS in UTC+12 to UTC+14, whose local midnight is noon UTC or earlier on the day before.
//! - With the stored date D as anchor, any instant from `D−14h` (local midnight in UTC+14) to
//!   `D+12h` (local midnight in UTC−12, or noon UTC) is D again, so a phone that sends an
//!   unchanged birthday back in its own form never moves it, far-east iOS included (without the
//!   anchor such a phone would move every birthday one day back at each edit of the contact).
//!   The price: a date moved exactly one day *earlier* by a client that sends 10:00Z to 12:00Z
//!   (Gmail, BlackBerry 10, iOS in UTC−10 to UTC−12) is taken as unchanged.
//!
//! Dates go out as midnight UTC, `DT00:00:00.000Z`, the form iOS, Samsung, Windows Phone and the
//! Gmail app expect (AOSP adds a day only from local noon on).

use std::fmt;
use std::str::FromStr;

use eas_protocol::datetime::EasDateTime;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// How far before its midnight a client's form of a date can lie: local midnight in UTC+14.
const BEFORE_MIDNIGHT_MS: i64 = 14 * HOUR_MS;
/// How far after its midnight: local midnight in UTC−12, or noon UTC (Gmail).
const AFTER_MIDNIGHT_MS: i64 = 12 * HOUR_MS;

/// A calendar date with no time and no zone.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContactDate {
    year: u16,
    month: u8,
    day: u8,
}

/// Text that is not a `YYYY-MM-DD` date.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a calendar date: {0:?}")]
pub struct BadDate(pub String);

impl ContactDate {
    /// The year Apple writes for a date whose year is unknown (`X-APPLE-OMIT-YEAR=1604`); a
    /// vCard date without a year is kept with this year, and written without one again.
    pub const NO_YEAR: u16 = 1604;

    /// A date, if it exists in the proleptic Gregorian calendar (years 1 to 9999).
    pub fn new(year: u16, month: u8, day: u8) -> Option<ContactDate> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(ContactDate { year, month, day })
    }

    pub const fn year(self) -> u16 {
        self.year
    }

    pub const fn month(self) -> u8 {
        self.month
    }

    pub const fn day(self) -> u8 {
        self.day
    }

    /// Whether the year is the "no year" placeholder.
    pub const fn has_no_year(self) -> bool {
        self.year == Self::NO_YEAR
    }

    /// The instant of this date's midnight UTC.
    pub fn midnight(self) -> EasDateTime {
        // The civil-date arithmetic lives in eas-protocol's datetime; going through its text
        // form keeps one copy of it.
        let text = format!(
            "{:04}-{:02}-{:02}T00:00:00.000Z",
            self.year, self.month, self.day
        );
        EasDateTime::parse(&text).unwrap_or(EasDateTime::from_unix_millis(0))
    }

    /// The date (UTC) on which an instant falls.
    fn of_instant_utc(t: EasDateTime) -> Option<ContactDate> {
        let day_start = t.unix_millis().div_euclid(DAY_MS) * DAY_MS;
        let text = EasDateTime::from_unix_millis(day_start).to_string();
        text.get(..10)?.parse().ok()
    }

    /// The date a client meant by `instant` (see the module documentation). `anchor` is the
    /// date stored before, if any.
    pub fn from_instant(instant: EasDateTime, anchor: Option<ContactDate>) -> Option<ContactDate> {
        let t = instant.unix_millis();
        if let Some(a) = anchor {
            let m = a.midnight().unix_millis();
            if (m - BEFORE_MIDNIGHT_MS..=m + AFTER_MIDNIGHT_MS).contains(&t) {
                return Some(a);
            }
        }
        let into_day = t.rem_euclid(DAY_MS);
        let rounded = if into_day > AFTER_MIDNIGHT_MS {
            t - into_day + DAY_MS
        } else {
            t - into_day
        };
        Self::of_instant_utc(EasDateTime::from_unix_millis(rounded))
    }

    /// Reads an EAS Birthday or Anniversary value (`YYYY-MM-DDTHH:MM:SS.mmmZ`, or the compact
    /// form some clients send); `None` if it is not a dateTime.
    pub fn from_eas(text: &str, anchor: Option<ContactDate>) -> Option<ContactDate> {
        ContactDate::from_instant(EasDateTime::parse(text)?, anchor)
    }

    /// The EAS form: midnight UTC of the date.
    pub fn to_eas(self) -> String {
        self.midnight().to_string()
    }

    /// The EAS form at another hour UTC (for a client that expects one, e.g. BlackBerry 10's
    /// 11:00Z); hours above 23 are taken as 23.
    pub fn to_eas_at_hour(self, hour: u8) -> String {
        let ms = self.midnight().unix_millis() + i64::from(hour.min(23)) * HOUR_MS;
        EasDateTime::from_unix_millis(ms).to_string()
    }

    /// The number of days from `self` to `other` (negative if `other` is earlier).
    pub fn days_until(self, other: ContactDate) -> i64 {
        (other.midnight().unix_millis() - self.midnight().unix_millis()) / DAY_MS
    }

    /// The date `days` days later (or earlier), if it is in range.
    pub fn add_days(self, days: i64) -> Option<ContactDate> {
        let ms = self
            .midnight()
            .unix_millis()
            .checked_add(days.checked_mul(DAY_MS)?)?;
        Self::of_instant_utc(EasDateTime::from_unix_millis(ms))
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    let year = i64::from(year);
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for ContactDate {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for ContactDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for ContactDate {
    type Err = BadDate;

    /// `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<ContactDate, BadDate> {
        let bad = || BadDate(s.chars().take(40).collect());
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Option<u16> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        let (y, m, d) = (num(0..4), num(5..7), num(8..10));
        match (y, m, d) {
            (Some(y), Some(m), Some(d)) => ContactDate::new(y, m as u8, d as u8).ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

impl serde::Serialize for ContactDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ContactDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ContactDate, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: u16, m: u8, d: u8) -> ContactDate {
        ContactDate::new(y, m, d).expect("valid date")
    }

    #[test]
    fn each_client_form_of_the_same_birthday_reads_as_that_day() {
        let d = date(1980, 5, 17);
        for form in [
            "1980-05-17T00:00:00.000Z", // Samsung, WP, the server's own form
            "1980-05-16T22:00:00.000Z", // iOS in UTC+2
            "1980-05-16T23:00:00.000Z", // iOS in UTC+1
            "1980-05-17T05:00:00.000Z", // iOS in UTC-5
            "1980-05-17T08:00:00.000Z", // stock Android
            "1980-05-17T11:00:00.000Z", // BlackBerry 10
            "1980-05-17T11:59:00.000Z", // MS-ASCNTC 2.2.2.6
            "1980-05-17T12:00:00.000Z", // Gmail app
            "1980-05-17T01:00:00.000Z", // WP in summer time
            "19800517T000000Z",         // compact form
        ] {
            assert_eq!(ContactDate::from_eas(form, None), Some(d), "{form}");
            assert_eq!(ContactDate::from_eas(form, Some(d)), Some(d), "{form}");
        }
    }

    #[test]
    fn ios_east_of_utc_plus_twelve_is_kept_by_the_anchor() {
        let d = date(1980, 5, 17);
        // Local midnight in UTC+13 (New Zealand summer) is 11:00Z the day before.
        let nz = "1980-05-16T11:00:00.000Z";
        assert_eq!(ContactDate::from_eas(nz, Some(d)), Some(d));
        // Without the stored date the instant reads as the 16th: documented limit.
        assert_eq!(ContactDate::from_eas(nz, None), Some(date(1980, 5, 16)));
    }

    #[test]
    fn the_eas_form_is_midnight_utc() {
        assert_eq!(date(1980, 5, 17).to_eas(), "1980-05-17T00:00:00.000Z");
        assert_eq!(
            date(1604, 2, 29).to_eas_at_hour(11),
            "1604-02-29T11:00:00.000Z"
        );
    }

    #[test]
    fn text_form_round_trips_and_refuses_impossible_dates() {
        assert_eq!("2024-02-29".parse(), Ok(date(2024, 2, 29)));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "0000-01-01",
            "24-02-29",
            "2024-2-29",
            "x",
        ] {
            assert!(bad.parse::<ContactDate>().is_err(), "{bad}");
        }
        assert_eq!(date(7, 1, 2).to_string(), "0007-01-02");
    }

    #[test]
    fn not_a_datetime_is_none() {
        assert_eq!(ContactDate::from_eas("1980-05-17", None), None);
        assert_eq!(ContactDate::from_eas("", None), None);
    }

    /// Every date from 1601 to 2399.
    fn any_date() -> impl Strategy<Value = ContactDate> {
        (1601u16..2400, 1u8..=12, 1u8..=31).prop_map(|(y, m, d)| {
            let last = days_in_month(y, m);
            date(y, m, d.min(last))
        })
    }

    /// What some client sends for `d`: a fixed UTC time of the day, or iOS's local midnight at
    /// a UTC offset (quarter hours from −12:00 to +14:00).
    #[derive(Clone, Copy, Debug)]
    enum Form {
        Utc(i64),
        LocalMidnight(i64),
    }

    impl Form {
        fn instant(self, d: ContactDate) -> EasDateTime {
            let m = d.midnight().unix_millis();
            EasDateTime::from_unix_millis(match self {
                Form::Utc(ms) => m + ms,
                Form::LocalMidnight(offset_ms) => m - offset_ms,
            })
        }

        /// Local midnight at UTC+12 and east of it is noon UTC or earlier on the day before.
        fn readable_without_anchor(self) -> bool {
            !matches!(self, Form::LocalMidnight(o) if o >= 12 * HOUR_MS)
        }
    }

    fn any_form() -> impl Strategy<Value = Form> {
        let quarter = 15 * 60_000i64;
        prop_oneof![
            prop::sample::select(vec![0, 1, 8, 11, 12])
                .prop_map(|h| Form::Utc(h * HOUR_MS))
                .boxed(),
            Just(Form::Utc(11 * HOUR_MS + 59 * 60_000)).boxed(),
            (-48i64..=56)
                .prop_map(move |q| Form::LocalMidnight(q * quarter))
                .boxed(),
        ]
    }

    proptest! {
        #[test]
        fn an_unchanged_date_never_moves_whatever_the_client_sends(d in any_date(), f in any_form()) {
            prop_assert_eq!(ContactDate::from_instant(f.instant(d), Some(d)), Some(d));
        }

        #[test]
        fn a_new_date_is_read_right_from_every_form_but_far_east_ios(d in any_date(), f in any_form()) {
            prop_assume!(f.readable_without_anchor());
            prop_assert_eq!(ContactDate::from_instant(f.instant(d), None), Some(d));
        }

        #[test]
        fn what_the_server_sends_reads_back_as_the_same_date(d in any_date(), anchor in any_date()) {
            let sent = d.to_eas();
            prop_assert_eq!(ContactDate::from_eas(&sent, None), Some(d));
            prop_assert_eq!(ContactDate::from_eas(&sent, Some(anchor)), Some(d));
        }

        #[test]
        fn a_changed_date_is_taken(old in any_date(), shift in -4000i64..4000, f in any_form()) {
            prop_assume!(shift != 0 && f.readable_without_anchor());
            let new = old.add_days(shift);
            prop_assume!(new.is_some());
            let new = new.unwrap_or(old);
            let instant = f.instant(new);
            // The documented ambiguity: one day earlier, sent between 10:00Z and 12:00Z.
            let offset = instant.unix_millis() - new.midnight().unix_millis();
            prop_assume!(!(shift == -1 && offset >= 10 * HOUR_MS));
            prop_assert_eq!(ContactDate::from_instant(instant, Some(old)), Some(new));
        }

        #[test]
        fn one_day_earlier_at_noon_is_read_as_unchanged(old in any_date()) {
            let noon_before = old.add_days(-1).map(|d| d.midnight().unix_millis() + 12 * HOUR_MS);
            prop_assume!(noon_before.is_some());
            let t = EasDateTime::from_unix_millis(noon_before.unwrap_or_default());
            prop_assert_eq!(ContactDate::from_instant(t, Some(old)), Some(old));
        }

        #[test]
        fn text_form_round_trips(d in any_date()) {
            prop_assert_eq!(d.to_string().parse::<ContactDate>(), Ok(d));
            prop_assert_eq!(d.add_days(1).map(|n| d.days_until(n)), Some(1));
        }
    }
}
