//! The dateTime values of MS-ASDTYPE 2.3 (`2026-11-25T10:00:00.000Z`, always UTC), without a
//! calendar crate: days are converted with the proleptic Gregorian civil-date arithmetic.

use std::fmt;

/// A point in time to the millisecond, written as MS-ASDTYPE 2.3 requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EasDateTime {
    unix_millis: i64,
}

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a civil date (month 1..=12, day 1..=31).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The number in `text[range]` if every byte there is an ASCII digit.
fn digits(text: &[u8], from: usize, len: usize) -> Option<i64> {
    let part = text.get(from..from + len)?;
    part.iter().try_fold(0i64, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

impl EasDateTime {
    /// The instant `millis` milliseconds after 1970-01-01T00:00:00Z.
    pub const fn from_unix_millis(millis: i64) -> EasDateTime {
        EasDateTime {
            unix_millis: millis,
        }
    }

    /// The instant `seconds` seconds after 1970-01-01T00:00:00Z.
    pub const fn from_unix_seconds(seconds: i64) -> EasDateTime {
        EasDateTime::from_unix_millis(seconds.saturating_mul(1000))
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub const fn unix_millis(self) -> i64 {
        self.unix_millis
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.mmm]Z` or the compact `YYYYMMDDTHHMMSSZ` some clients send.
    pub fn parse(text: &str) -> Option<EasDateTime> {
        let t = text.trim().as_bytes();
        let (date, time, rest) = if t.get(4) == Some(&b'-') {
            let sep = |i: usize, c: u8| t.get(i) == Some(&c);
            if !(sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
                return None;
            }
            let date = (digits(t, 0, 4)?, digits(t, 5, 2)?, digits(t, 8, 2)?);
            let time = (digits(t, 11, 2)?, digits(t, 14, 2)?, digits(t, 17, 2)?);
            (date, time, t.get(19..)?)
        } else {
            if t.get(8) != Some(&b'T') {
                return None;
            }
            let date = (digits(t, 0, 4)?, digits(t, 4, 2)?, digits(t, 6, 2)?);
            let time = (digits(t, 9, 2)?, digits(t, 11, 2)?, digits(t, 13, 2)?);
            (date, time, t.get(15..)?)
        };
        let (millis, rest) = match rest.first() {
            Some(b'.') => {
                let n = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
                if n == 0 {
                    return None;
                }
                // Keep three digits of the fraction: 5 is 500 ms, 1234 is 123 ms.
                let mut ms = digits(rest, 1, n.min(3))?;
                for _ in n..3 {
                    ms *= 10;
                }
                (ms, &rest[1 + n..])
            }
            _ => (0, rest),
        };
        if rest != b"Z" {
            return None;
        }
        let ((year, month, day), (hour, minute, second)) = (date, time);
        let valid = (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day)
            && hour < 24
            && minute < 60
            && second < 60;
        if !valid {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let seconds = ((hour * 60) + minute) * 60 + second;
        Some(EasDateTime::from_unix_millis(
            days * MILLIS_PER_DAY + seconds * 1000 + millis,
        ))
    }
}

impl fmt::Display for EasDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.unix_millis.div_euclid(MILLIS_PER_DAY);
        let in_day = self.unix_millis.rem_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let (secs, ms) = (in_day / 1000, in_day % 1000);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_written_in_the_ms_asdtype_form() {
        let t = EasDateTime::parse("2026-11-25T10:00:00.000Z").expect("parses");
        assert_eq!(t.to_string(), "2026-11-25T10:00:00.000Z");
        assert_eq!(
            EasDateTime::from_unix_millis(0).to_string(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            EasDateTime::from_unix_seconds(951_782_400).to_string(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            EasDateTime::from_unix_millis(-1).to_string(),
            "1969-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn compact_and_fractionless_forms_parse_to_the_same_instant() {
        let full = EasDateTime::parse("2026-11-25T10:00:05.000Z");
        assert_eq!(EasDateTime::parse("20261125T100005Z"), full);
        assert_eq!(EasDateTime::parse("2026-11-25T10:00:05Z"), full);
        let frac = EasDateTime::parse("2026-11-25T10:00:05.5Z").expect("parses");
        assert_eq!(frac.unix_millis() % 1000, 500);
    }

    #[test]
    fn malformed_or_impossible_dates_are_refused() {
        for bad in [
            "",
            "2026-11-25",
            "2026-02-29T00:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-11-25T24:00:00.000Z",
            "2026-11-25T10:00:00.000",
            "2026-11-25T10:00:00.Z",
            "2026-11-25T10:00:00.000+01:00",
            "2026-11-2xT10:00:00.000Z",
            "é026-11-25T10:00:00.000Z",
        ] {
            assert_eq!(EasDateTime::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        let start = days_from_civil(1900, 1, 1);
        for d in (start..start + 146_097).step_by(7) {
            let t = EasDateTime::from_unix_millis(d * MILLIS_PER_DAY + 3_723_004);
            assert_eq!(EasDateTime::parse(&t.to_string()), Some(t));
        }
    }
}
