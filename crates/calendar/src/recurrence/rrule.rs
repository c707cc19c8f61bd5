//! A recurrence as an RFC 5545 `RRULE` (3.3.10) and back. What EAS cannot express (`BYHOUR`,
//! `FREQ=HOURLY`, two days of the month, the 5th Monday, ...) is refused with the reason, so the
//! caller can keep the rule aside ([`crate::ICalMeta`]) and tell the user.
//!
//! | EAS | RRULE |
//! | --- | --- |
//! | 0 Daily | `FREQ=DAILY` |
//! | 1 Weekly, DayOfWeek | `FREQ=WEEKLY;BYDAY=MO,FR;WKST=..` |
//! | 2 Monthly, DayOfMonth | `FREQ=MONTHLY;BYMONTHDAY=15` |
//! | 3 nth weekday | `FREQ=MONTHLY;BYDAY=2TU` (one day) or `BYDAY=MO,..,FR;BYSETPOS=2` |
//! | 3 with 127, last | `FREQ=MONTHLY;BYMONTHDAY=-1` (the nth day: every day and `BYSETPOS=n`) |
//! | 5 Yearly | `FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25` |
//! | 6 nth weekday of a month | `FREQ=YEARLY;BYMONTH=11;BYDAY=4TH` |
//! | Interval, Occurrences, Until | `INTERVAL`, `COUNT`, `UNTIL` |
//! | FirstDayOfWeek | `WKST` |
//!
//! A rule without the `BY` part its frequency needs takes it from the LOCAL start (RFC 5545
//! 3.3.10; PIM_FACTS 6.7: a Monday 23:30 New York series is on Mondays, not on the Tuesdays of
//! UTC).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use super::expand::{resolve_local, to_local};
use super::{weekday_from_sunday, DaySet, Nth, Pattern, Recurrence, RecurrenceEnd};
use crate::event::When;
use crate::time::{format_compact, Moment};

/// An `RRULE` that cannot become an EAS recurrence.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RRuleError {
    #[error("RRULE is not valid: {0}")]
    Syntax(String),
    /// Valid, but EAS has no way to say it; the rule should be kept as it came.
    #[error("RRULE cannot be expressed in EAS: {0}")]
    Unexpressible(String),
}

const DAY_CODES: [&str; 7] = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];

fn day_code(d: Weekday) -> &'static str {
    DAY_CODES[d.num_days_from_sunday() as usize]
}

fn day_list(days: DaySet) -> String {
    days.days().map(day_code).collect::<Vec<_>>().join(",")
}

fn ordinal(week: Nth) -> i32 {
    if week.is_last() {
        -1
    } else {
        i32::from(week.week())
    }
}

/// The nth-day part of a rule: `BYDAY=2TU`, `BYMONTHDAY=-1`, or `BYDAY=..;BYSETPOS=n`.
fn nth_part(week: Nth, days: DaySet) -> String {
    let n = ordinal(week);
    if days == DaySet::ALL && week.is_last() {
        "BYMONTHDAY=-1".to_string()
    } else if days.len() == 1 {
        format!("BYDAY={n}{}", day_list(days))
    } else {
        format!("BYDAY={};BYSETPOS={n}", day_list(days))
    }
}

/// The `RRULE` value of a recurrence of an event at `when` in `zone`. `UNTIL` has the value type
/// of the start (RFC 5545 3.3.10): a date for an all-day series, a UTC date-time otherwise (a
/// date bound of a timed series is the last second of that local day).
pub fn to_rrule(rec: &Recurrence, when: &When, zone: Tz) -> String {
    let mut parts: Vec<String> = Vec::new();
    let freq = match rec.pattern {
        Pattern::Daily => "DAILY",
        Pattern::Weekly { .. } => "WEEKLY",
        Pattern::Monthly { .. } | Pattern::MonthlyNth { .. } => "MONTHLY",
        Pattern::Yearly { .. } | Pattern::YearlyNth { .. } => "YEARLY",
    };
    parts.push(format!("FREQ={freq}"));
    if rec.interval > 1 {
        parts.push(format!("INTERVAL={}", rec.interval));
    }
    match rec.end {
        RecurrenceEnd::Never => {}
        RecurrenceEnd::Count(n) => parts.push(format!("COUNT={n}")),
        RecurrenceEnd::Until(m) => parts.push(format!("UNTIL={}", until_text(m, when, zone))),
    }
    match rec.pattern {
        Pattern::Daily => {}
        Pattern::Weekly { days } => parts.push(format!("BYDAY={}", day_list(days))),
        Pattern::Monthly { day } => parts.push(format!("BYMONTHDAY={day}")),
        Pattern::MonthlyNth { week, days } => parts.push(nth_part(week, days)),
        Pattern::Yearly { month, day } => {
            parts.push(format!("BYMONTH={month}"));
            parts.push(format!("BYMONTHDAY={day}"));
        }
        Pattern::YearlyNth { month, week, days } => {
            parts.push(format!("BYMONTH={month}"));
            parts.push(nth_part(week, days));
        }
    }
    // RFC 5545 assumes Monday, EAS Sunday: name it whenever weeks are counted.
    if rec.first_day_of_week.is_some() || matches!(rec.pattern, Pattern::Weekly { .. }) {
        parts.push(format!("WKST={}", day_code(rec.week_start())));
    }
    parts.join(";")
}

fn until_text(m: Moment, when: &When, zone: Tz) -> String {
    match (m, when) {
        (Moment::On(d), When::AllDay { .. }) => d.format("%Y%m%d").to_string(),
        (Moment::At(t), When::AllDay { .. }) => t.date_naive().format("%Y%m%d").to_string(),
        (Moment::At(t), When::Timed { .. }) => format_compact(t),
        (Moment::On(d), When::Timed { .. }) => {
            let next = d.succ_opt().unwrap_or(d);
            format_compact(
                resolve_local(zone, next.and_time(NaiveTime::MIN)) - Duration::seconds(1),
            )
        }
    }
}

/// One `BYDAY` entry: an optional ordinal and a weekday.
fn parse_byday(entry: &str) -> Result<(Option<i32>, Weekday), RRuleError> {
    let e = entry.trim();
    if e.len() < 2 {
        return Err(RRuleError::Syntax(format!("BYDAY {e:?}")));
    }
    let (num, code) = e.split_at(e.len() - 2);
    let day = DAY_CODES
        .iter()
        .position(|c| c.eq_ignore_ascii_case(code))
        .map(|i| weekday_from_sunday(i as u8))
        .ok_or_else(|| RRuleError::Syntax(format!("BYDAY {e:?}")))?;
    let n = if num.is_empty() {
        None
    } else {
        Some(
            num.trim_start_matches('+')
                .parse::<i32>()
                .map_err(|_| RRuleError::Syntax(format!("BYDAY {e:?}")))?,
        )
    };
    Ok((n, day))
}

fn ints(value: &str, name: &str) -> Result<Vec<i32>, RRuleError> {
    value
        .split(',')
        .map(|v| {
            v.trim()
                .trim_start_matches('+')
                .parse::<i32>()
                .map_err(|_| RRuleError::Syntax(format!("{name}={value}")))
        })
        .collect()
}

/// An `UNTIL` value: a date, a UTC date-time, or a local date-time in `zone`.
fn parse_until(value: &str, zone: Tz) -> Result<Moment, RRuleError> {
    let v = value.trim();
    if v.len() == 8 {
        return NaiveDate::parse_from_str(v, "%Y%m%d")
            .map(Moment::On)
            .map_err(|_| RRuleError::Syntax(format!("UNTIL={v}")));
    }
    let (text, utc) = match v.strip_suffix('Z') {
        Some(t) => (t, true),
        None => (v, false),
    };
    let local = NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%S")
        .map_err(|_| RRuleError::Syntax(format!("UNTIL={v}")))?;
    Ok(Moment::At(if utc {
        DateTime::<Utc>::from_naive_utc_and_offset(local, Utc)
    } else {
        resolve_local(zone, local)
    }))
}

/// The nth part of a rule: from `BYDAY=nXX`, `BYDAY=..;BYSETPOS=n` or `BYMONTHDAY=-1`.
fn nth_of(
    byday: &[(Option<i32>, Weekday)],
    setpos: Option<&[i32]>,
) -> Result<(Nth, DaySet), RRuleError> {
    let nth = |n: i32| match n {
        1..=4 => Nth::new(n as u8).ok_or(()),
        -1 => Ok(Nth::LAST),
        _ => Err(()),
    };
    let unexpressible =
        |what: &str| RRuleError::Unexpressible(format!("{what}: EAS has the 1st to 4th and last"));
    match (byday, setpos) {
        ([(Some(n), day)], None) => Ok((
            nth(*n).map_err(|_| unexpressible(&format!("BYDAY={n}{}", day_code(*day))))?,
            DaySet::of(*day),
        )),
        (days, Some([n])) if days.iter().all(|(o, _)| o.is_none()) && !days.is_empty() => {
            let set = days.iter().fold(DaySet::default(), |s, (_, d)| s.with(*d));
            Ok((
                nth(*n).map_err(|_| unexpressible(&format!("BYSETPOS={n}")))?,
                set,
            ))
        }
        _ => Err(RRuleError::Unexpressible(
            "several days of the month (BYDAY with several ordinals, or without BYSETPOS)".into(),
        )),
    }
}

/// The recurrence an `RRULE` value describes for an event at `when` in `zone`.
pub fn from_rrule(rule: &str, when: &When, zone: Tz) -> Result<Recurrence, RRuleError> {
    let mut freq = None;
    let mut interval = 1u32;
    let mut count = None;
    let mut until = None;
    let mut byday: Vec<(Option<i32>, Weekday)> = Vec::new();
    let mut bymonthday: Option<Vec<i32>> = None;
    let mut bymonth: Option<Vec<i32>> = None;
    let mut bysetpos: Option<Vec<i32>> = None;
    let mut wkst = None;
    for part in rule.trim().split(';').filter(|p| !p.trim().is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| RRuleError::Syntax(format!("{part:?} has no value")))?;
        let name = name.trim().to_ascii_uppercase();
        let value = value.trim();
        match name.as_str() {
            "FREQ" => freq = Some(value.to_ascii_uppercase()),
            "INTERVAL" => {
                interval = value
                    .parse()
                    .map_err(|_| RRuleError::Syntax(format!("INTERVAL={value}")))?
            }
            "COUNT" => {
                count = Some(
                    value
                        .parse::<u32>()
                        .map_err(|_| RRuleError::Syntax(format!("COUNT={value}")))?,
                )
            }
            "UNTIL" => until = Some(parse_until(value, zone)?),
            "BYDAY" => {
                byday = value
                    .split(',')
                    .map(parse_byday)
                    .collect::<Result<_, _>>()?
            }
            "BYMONTHDAY" => bymonthday = Some(ints(value, "BYMONTHDAY")?),
            "BYMONTH" => bymonth = Some(ints(value, "BYMONTH")?),
            "BYSETPOS" => bysetpos = Some(ints(value, "BYSETPOS")?),
            "WKST" => {
                let (_, d) = parse_byday(value)?;
                wkst = Some(d.num_days_from_sunday() as u8);
            }
            other => {
                return Err(RRuleError::Unexpressible(format!(
                    "{other} has no EAS equivalent"
                )))
            }
        }
    }
    let local_start = match when {
        When::Timed { start, .. } => to_local(zone, *start).date(),
        When::AllDay { start, .. } => *start,
    };
    let plain_days = |list: &[(Option<i32>, Weekday)]| -> Result<DaySet, RRuleError> {
        if list.iter().any(|(n, _)| n.is_some()) {
            return Err(RRuleError::Unexpressible(
                "BYDAY with an ordinal in a daily or weekly rule".into(),
            ));
        }
        Ok(list.iter().fold(DaySet::default(), |s, (_, d)| s.with(*d)))
    };
    let single_month = || -> Result<Option<u8>, RRuleError> {
        match bymonth.as_deref() {
            None => Ok(None),
            Some([m]) if (1..=12).contains(m) => Ok(Some(*m as u8)),
            Some([m]) => Err(RRuleError::Syntax(format!("BYMONTH={m}"))),
            Some(_) => Err(RRuleError::Unexpressible("several months".into())),
        }
    };
    let freq = freq.ok_or_else(|| RRuleError::Syntax("no FREQ".into()))?;
    let no = |present: bool, what: &str| {
        if present {
            Err(RRuleError::Unexpressible(format!(
                "{what} in a {freq} rule"
            )))
        } else {
            Ok(())
        }
    };
    let pattern = match freq.as_str() {
        "DAILY" => {
            no(
                bymonthday.is_some() || bymonth.is_some() || bysetpos.is_some(),
                "BYMONTH, BYMONTHDAY or BYSETPOS",
            )?;
            if byday.is_empty() {
                Pattern::Daily
            } else if interval <= 1 {
                Pattern::Weekly {
                    days: plain_days(&byday)?,
                }
            } else {
                return Err(RRuleError::Unexpressible(
                    "every n days on some weekdays".into(),
                ));
            }
        }
        "WEEKLY" => {
            no(
                bymonthday.is_some() || bymonth.is_some() || bysetpos.is_some(),
                "BYMONTH, BYMONTHDAY or BYSETPOS",
            )?;
            Pattern::Weekly {
                days: if byday.is_empty() {
                    DaySet::of(local_start.weekday())
                } else {
                    plain_days(&byday)?
                },
            }
        }
        "MONTHLY" => {
            no(bymonth.is_some(), "BYMONTH")?;
            match (bymonthday.as_deref(), byday.is_empty()) {
                (None, true) => {
                    no(bysetpos.is_some(), "BYSETPOS without BYDAY")?;
                    Pattern::Monthly {
                        day: local_start.day() as u8,
                    }
                }
                (Some([-1]), true) if bysetpos.is_none() => Pattern::MonthlyNth {
                    week: Nth::LAST,
                    days: DaySet::ALL,
                },
                (Some([d]), true) if (1..=31).contains(d) && bysetpos.is_none() => {
                    Pattern::Monthly { day: *d as u8 }
                }
                (None, false) => {
                    let (week, days) = nth_of(&byday, bysetpos.as_deref())?;
                    Pattern::MonthlyNth { week, days }
                }
                _ => {
                    return Err(RRuleError::Unexpressible(
                        "several days of the month".into(),
                    ))
                }
            }
        }
        "YEARLY" => {
            let month = single_month()?;
            match (bymonthday.as_deref(), byday.is_empty()) {
                (None, true) => {
                    no(bysetpos.is_some(), "BYSETPOS without BYDAY")?;
                    Pattern::Yearly {
                        month: month.unwrap_or(local_start.month() as u8),
                        day: local_start.day() as u8,
                    }
                }
                (Some([-1]), true) if bysetpos.is_none() => Pattern::YearlyNth {
                    month: month.unwrap_or(local_start.month() as u8),
                    week: Nth::LAST,
                    days: DaySet::ALL,
                },
                (Some([d]), true) if (1..=31).contains(d) && bysetpos.is_none() => {
                    Pattern::Yearly {
                        month: month.unwrap_or(local_start.month() as u8),
                        day: *d as u8,
                    }
                }
                (None, false) => {
                    let month = month.ok_or_else(|| {
                        RRuleError::Unexpressible("an nth weekday of the year".into())
                    })?;
                    let (week, days) = nth_of(&byday, bysetpos.as_deref())?;
                    Pattern::YearlyNth { month, week, days }
                }
                _ => return Err(RRuleError::Unexpressible("several days of the year".into())),
            }
        }
        "HOURLY" | "MINUTELY" | "SECONDLY" => {
            return Err(RRuleError::Unexpressible(format!(
                "FREQ={freq}: EAS repeats by days at least"
            )))
        }
        other => return Err(RRuleError::Syntax(format!("FREQ={other}"))),
    };
    if let Pattern::Yearly { month, day } = pattern {
        if u32::from(day) > super::days_in_month(2000, u32::from(month)) {
            return Err(RRuleError::Syntax(format!(
                "month {month} has no day {day}"
            )));
        }
    }
    if interval == 0 || interval > 999 {
        return Err(RRuleError::Unexpressible(format!(
            "INTERVAL={interval}: EAS has 1 to 999"
        )));
    }
    let end = match (count, until) {
        (Some(_), Some(_)) => {
            return Err(RRuleError::Syntax("both COUNT and UNTIL".into()));
        }
        (Some(n), None) if (1..=999).contains(&n) => RecurrenceEnd::Count(n as u16),
        (Some(n), None) => {
            return Err(RRuleError::Unexpressible(format!(
                "COUNT={n}: EAS has 1 to 999"
            )))
        }
        (None, Some(u)) => RecurrenceEnd::Until(u),
        (None, None) => RecurrenceEnd::Never,
    };
    // Without WKST a weekly rule counts its weeks from Monday (RFC 5545 3.3.10), which EAS
    // must then be told.
    // Sunday is the model's default ([`Recurrence::week_start`]), kept as `None`.
    let first_day_of_week = match (wkst, pattern) {
        (None, Pattern::Weekly { .. }) => Some(1),
        (Some(0), _) => None,
        (w, _) => w,
    };
    Ok(Recurrence {
        pattern,
        interval: interval as u16,
        end,
        first_day_of_week,
        calendar_type: None,
        is_leap_month: false,
    })
}

#[cfg(test)]
mod tests;
