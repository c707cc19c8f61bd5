//! The `Recurrence` element of the Calendar class (MS-ASCAL 2.2.2.37): its children as sent
//! ([`RecurrenceElements`]), checked into a [`Recurrence`] with the Sync status 6 cases of
//! MS-ASCAL 3.2.5.3 as a typed error, and written back with what responses must carry.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use eas_protocol::status::SyncStatus;
use eas_protocol::ProtocolVersion;
use eas_wbxml::tags::calendar as cal;
use eas_wbxml::{Element, Tag};

use super::expand::{resolve_local, to_local};
use super::{DaySet, Nth, Pattern, Recurrence, RecurrenceEnd};
use crate::event::When;
use crate::time::{format_compact, parse_eas_datetime, Moment};

/// The children of a `Recurrence` element, as numbers, before any check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecurrenceElements {
    pub recurrence_type: Option<u32>,
    pub occurrences: Option<u32>,
    pub interval: Option<u32>,
    pub week_of_month: Option<u32>,
    pub day_of_week: Option<u32>,
    pub month_of_year: Option<u32>,
    pub until: Option<DateTime<Utc>>,
    pub day_of_month: Option<u32>,
    /// Every `CalendarType` sent: more than one is an error (R53912).
    pub calendar_type: Vec<u32>,
    pub is_leap_month: Option<u32>,
    pub first_day_of_week: Option<u32>,
}

/// A `Recurrence` the server cannot take. Every case is Sync status 6 (MS-ASCAL 3.2.5.3,
/// MS-ASCMD 2.2.3.177.17).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    #[error("Recurrence {element} is not a number: {value:?}")]
    NotANumber {
        element: &'static str,
        value: String,
    },
    #[error("Recurrence Until is not a date and time: {0:?}")]
    BadUntil(String),
    /// R374: required up to 14.1.
    #[error("Recurrence has no Type")]
    MissingType,
    /// R453
    #[error("Recurrence Type {0} is not 0, 1, 2, 3, 5 or 6")]
    BadType(u32),
    /// R53912
    #[error("Recurrence has {0} CalendarType elements")]
    SeveralCalendarTypes(usize),
    /// R53913 (13, 16 to 19, 21 to 23 must not be used) and R146 (0 to 23).
    #[error("CalendarType {0} is not allowed")]
    BadCalendarType(u32),
    /// R53914
    #[error("FirstDayOfWeek {0} is not 0 to 6")]
    BadFirstDayOfWeek(u32),
    /// R53916 to R53919: an element the Type does not take.
    #[error("{element} is not allowed with Type {recurrence_type}")]
    NotForType {
        element: &'static str,
        recurrence_type: u8,
    },
    /// R38929, R38935, R3893713, R3893717, R38941, R38943, R38948, R38950.
    #[error("Type {recurrence_type} needs {element}")]
    Missing {
        element: &'static str,
        recurrence_type: u8,
    },
    #[error("{element} {value} is out of range")]
    OutOfRange { element: &'static str, value: u32 },
    #[error("month {month} has no day {day}")]
    NoSuchDay { month: u32, day: u32 },
}

impl RecurrenceError {
    /// MS-ASCAL 3.2.5.3: status 6, "error in client/server conversion".
    pub fn sync_status(&self) -> SyncStatus {
        SyncStatus::ConversionError
    }
}

fn number(el: &Element, element: &'static str) -> Result<u32, RecurrenceError> {
    let text = el.text_content().unwrap_or_default();
    text.trim()
        .parse::<u32>()
        .map_err(|_| RecurrenceError::NotANumber {
            element,
            value: text.chars().take(32).collect(),
        })
}

const INTEGER_CHILDREN: [(Tag, &str); 10] = [
    (cal::TYPE, "Type"),
    (cal::OCCURRENCES, "Occurrences"),
    (cal::INTERVAL, "Interval"),
    (cal::WEEK_OF_MONTH, "WeekOfMonth"),
    (cal::DAY_OF_WEEK, "DayOfWeek"),
    (cal::MONTH_OF_YEAR, "MonthOfYear"),
    (cal::DAY_OF_MONTH, "DayOfMonth"),
    (cal::CALENDAR_TYPE, "CalendarType"),
    (cal::IS_LEAP_MONTH, "IsLeapMonth"),
    (cal::FIRST_DAY_OF_WEEK, "FirstDayOfWeek"),
];

impl RecurrenceElements {
    /// Reads the children of a `Recurrence` element; the first of two copies wins, except
    /// `CalendarType`, whose copies are all kept (R53912).
    pub fn from_element(el: &Element) -> Result<RecurrenceElements, RecurrenceError> {
        let mut out = RecurrenceElements::default();
        for child in el.elements() {
            if child.tag == cal::UNTIL {
                if out.until.is_none() {
                    let text = child.text_content().unwrap_or_default();
                    out.until = Some(parse_eas_datetime(&text).ok_or_else(|| {
                        RecurrenceError::BadUntil(text.chars().take(32).collect())
                    })?);
                }
                continue;
            }
            let Some((_, name)) = INTEGER_CHILDREN.iter().find(|(t, _)| *t == child.tag) else {
                continue;
            };
            let v = number(child, name)?;
            let slot = match child.tag {
                t if t == cal::CALENDAR_TYPE => {
                    out.calendar_type.push(v);
                    continue;
                }
                t if t == cal::TYPE => &mut out.recurrence_type,
                t if t == cal::OCCURRENCES => &mut out.occurrences,
                t if t == cal::INTERVAL => &mut out.interval,
                t if t == cal::WEEK_OF_MONTH => &mut out.week_of_month,
                t if t == cal::DAY_OF_WEEK => &mut out.day_of_week,
                t if t == cal::MONTH_OF_YEAR => &mut out.month_of_year,
                t if t == cal::DAY_OF_MONTH => &mut out.day_of_month,
                t if t == cal::IS_LEAP_MONTH => &mut out.is_leap_month,
                _ => &mut out.first_day_of_week,
            };
            slot.get_or_insert(v);
        }
        Ok(out)
    }

    /// Whether no child was sent: at 16.x an empty `Recurrence` turns a series into a single
    /// event (R2180002).
    pub fn is_empty(&self) -> bool {
        *self == RecurrenceElements::default()
    }

    /// The `Recurrence` element, children in the schema's order.
    pub fn to_element(&self) -> Element {
        let mut el = Element::new(cal::RECURRENCE);
        let mut num = |tag: Tag, v: Option<u32>| {
            if let Some(v) = v {
                el.push_text(tag, v.to_string());
            }
        };
        num(cal::TYPE, self.recurrence_type);
        num(cal::OCCURRENCES, self.occurrences);
        num(cal::INTERVAL, self.interval);
        num(cal::WEEK_OF_MONTH, self.week_of_month);
        num(cal::DAY_OF_WEEK, self.day_of_week);
        num(cal::MONTH_OF_YEAR, self.month_of_year);
        if let Some(u) = self.until {
            el.push_text(cal::UNTIL, format_compact(u));
        }
        let mut num = |tag: Tag, v: Option<u32>| {
            if let Some(v) = v {
                el.push_text(tag, v.to_string());
            }
        };
        num(cal::DAY_OF_MONTH, self.day_of_month);
        for c in &self.calendar_type {
            num(cal::CALENDAR_TYPE, Some(*c));
        }
        num(cal::IS_LEAP_MONTH, self.is_leap_month);
        num(cal::FIRST_DAY_OF_WEEK, self.first_day_of_week);
        el
    }

    /// The recurrence these elements describe for an event at `when` in `zone`.
    ///
    /// - `type_required`: up to 14.1 `Type` is required (R374); from 16.0 it may be left out
    ///   (R2180001) and is read from the elements present.
    /// - Type 0 with `DayOfWeek` is weekly (R3892312); Type 6 without `DayOfWeek` takes the
    ///   weekday of the LOCAL start (PIM_FACTS 6.7).
    /// - `Occurrences` wins over `Until` (R53911); `Interval` 0 reads as 1 (PIM_FACTS 1.4).
    /// - A weekly pattern without `FirstDayOfWeek` takes `default_first_day`, the user's
    ///   preference (R52524); Sunday (0) is stored as the default, `None`.
    /// - `Until` of a timed series is an instant, except a bare date (midnight UTC), which
    ///   bounds by the whole local day. `Until` of an all-day series is a date: the local date
    ///   when it is local midnight in `zone` (a phone's last start), else its UTC date
    ///   (16.x's date "with no time component", or an end of day in UTC).
    pub fn to_recurrence(
        &self,
        when: &When,
        zone: Tz,
        type_required: bool,
        default_first_day: u8,
    ) -> Result<Recurrence, RecurrenceError> {
        let t = self.recurrence_type(type_required)?;
        let allowed = |element: &'static str, present: bool, types: &[u8]| {
            if present && !types.contains(&t) {
                Err(RecurrenceError::NotForType {
                    element,
                    recurrence_type: t,
                })
            } else {
                Ok(())
            }
        };
        allowed("DayOfMonth", self.day_of_month.is_some(), &[2, 5])?;
        allowed("DayOfWeek", self.day_of_week.is_some(), &[0, 1, 3, 6])?;
        allowed("MonthOfYear", self.month_of_year.is_some(), &[5, 6])?;
        allowed("WeekOfMonth", self.week_of_month.is_some(), &[3, 6])?;
        if self.calendar_type.len() > 1 {
            return Err(RecurrenceError::SeveralCalendarTypes(
                self.calendar_type.len(),
            ));
        }
        let calendar_type = self.calendar_type.first().copied();
        if let Some(c) = calendar_type {
            if c > 23 || [13, 16, 17, 18, 19, 21, 22, 23].contains(&c) {
                return Err(RecurrenceError::BadCalendarType(c));
            }
        }
        if let Some(f) = self.first_day_of_week.filter(|f| *f > 6) {
            return Err(RecurrenceError::BadFirstDayOfWeek(f));
        }
        let need = |element: &'static str, v: Option<u32>| {
            v.ok_or(RecurrenceError::Missing {
                element,
                recurrence_type: t,
            })
        };
        let range = |element: &'static str, v: u32, lo: u32, hi: u32| {
            if (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err(RecurrenceError::OutOfRange { element, value: v })
            }
        };
        let days = |v: u32| {
            range("DayOfWeek", v, 1, 127)
                .map(|v| DaySet::from_bits(v as u16).unwrap_or(DaySet::ALL))
        };
        let week =
            |v: u32| range("WeekOfMonth", v, 1, 5).map(|v| Nth::new(v as u8).unwrap_or(Nth::LAST));
        let month = |v: u32| range("MonthOfYear", v, 1, 12).map(|v| v as u8);
        let day = |v: u32| range("DayOfMonth", v, 1, 31).map(|v| v as u8);
        let start_weekday = match when {
            When::Timed { start, .. } => to_local(zone, *start).weekday(),
            When::AllDay { start, .. } => start.weekday(),
        };
        let pattern = match t {
            0 => match self.day_of_week {
                // Every day of every week is every day: what [`Self::from_recurrence`] writes
                // for a daily pattern (R204111).
                Some(127) if self.interval.unwrap_or(1) <= 1 => Pattern::Daily,
                Some(d) => Pattern::Weekly { days: days(d)? },
                None => Pattern::Daily,
            },
            1 => Pattern::Weekly {
                days: days(need("DayOfWeek", self.day_of_week)?)?,
            },
            2 => Pattern::Monthly {
                day: day(need("DayOfMonth", self.day_of_month)?)?,
            },
            3 => Pattern::MonthlyNth {
                week: week(need("WeekOfMonth", self.week_of_month)?)?,
                days: days(need("DayOfWeek", self.day_of_week)?)?,
            },
            5 => {
                let (m, d) = (
                    month(need("MonthOfYear", self.month_of_year)?)?,
                    day(need("DayOfMonth", self.day_of_month)?)?,
                );
                if u32::from(d) > super::days_in_month(2000, u32::from(m)) {
                    return Err(RecurrenceError::NoSuchDay {
                        month: u32::from(m),
                        day: u32::from(d),
                    });
                }
                Pattern::Yearly { month: m, day: d }
            }
            _ => Pattern::YearlyNth {
                month: month(need("MonthOfYear", self.month_of_year)?)?,
                week: week(need("WeekOfMonth", self.week_of_month)?)?,
                days: match self.day_of_week {
                    Some(d) => days(d)?,
                    None => DaySet::of(start_weekday),
                },
            },
        };
        let interval = range("Interval", self.interval.unwrap_or(1), 0, 999)?.max(1) as u16;
        let end = match (self.occurrences, self.until) {
            (Some(n), _) => RecurrenceEnd::Count(range("Occurrences", n, 1, 999)? as u16),
            (None, Some(u)) => RecurrenceEnd::Until(until_moment(u, when, zone)),
            (None, None) => RecurrenceEnd::Never,
        };
        let is_leap_month = match self.is_leap_month {
            None => false,
            Some(v) => range("IsLeapMonth", v, 0, 1)? == 1,
        };
        let first_day_of_week = match (self.first_day_of_week, pattern) {
            (Some(f), _) => Some(f as u8),
            (None, Pattern::Weekly { .. }) => Some(default_first_day % 7),
            (None, _) => None,
        }
        .filter(|f| *f != 0);
        Ok(Recurrence {
            pattern,
            interval,
            end,
            first_day_of_week,
            calendar_type: calendar_type.map(|c| c as u8),
            is_leap_month,
        })
    }

    fn recurrence_type(&self, type_required: bool) -> Result<u8, RecurrenceError> {
        match self.recurrence_type {
            Some(t @ (0 | 1 | 2 | 3 | 5 | 6)) => Ok(t as u8),
            Some(t) => Err(RecurrenceError::BadType(t)),
            None if type_required => Err(RecurrenceError::MissingType),
            // 16.x without Type: the elements present say which pattern it is.
            None => Ok(
                match (
                    self.day_of_month.is_some(),
                    self.week_of_month.is_some(),
                    self.month_of_year.is_some(),
                    self.day_of_week.is_some(),
                ) {
                    (true, _, true, _) => 5,
                    (true, _, false, _) => 2,
                    (false, true, true, _) => 6,
                    (false, true, false, _) => 3,
                    (false, false, _, true) => 1,
                    _ => 0,
                },
            ),
        }
    }

    /// The elements of `rec` for a response in `version` (MS-ASCAL 3.2.5, R52523; 2.2.2.10;
    /// 2.2.2.15): `DayOfWeek` for types 0, 1, 3 and 6 (127, every day, for a daily pattern of
    /// interval 1, none for a larger interval, which would make it weekly, R3892312),
    /// `FirstDayOfWeek` for type 1 from 14.1 (the week start the occurrences are computed with),
    /// `CalendarType` for types 2, 3, 5 and 6 from 14.0 (0, Default, when the item has none).
    ///
    /// `Until` of a timed series is its instant (a date bound: the end of that local day); of
    /// an all-day series, local midnight of the date in `all_day_zone` when the client reads
    /// all-day times in a zone (up to 14.1), else midnight UTC, the date "with no time
    /// component" of 16.x (R2005).
    pub fn from_recurrence(
        rec: &Recurrence,
        when: &When,
        zone: Tz,
        version: ProtocolVersion,
        all_day_zone: Option<Tz>,
    ) -> RecurrenceElements {
        let mut out = RecurrenceElements {
            recurrence_type: Some(u32::from(rec.pattern.eas_type())),
            interval: (rec.interval > 1).then_some(u32::from(rec.interval)),
            ..RecurrenceElements::default()
        };
        match rec.pattern {
            Pattern::Daily => {
                if rec.interval <= 1 {
                    out.day_of_week = Some(u32::from(DaySet::ALL.bits()));
                }
            }
            Pattern::Weekly { days } => out.day_of_week = Some(u32::from(days.bits())),
            Pattern::Monthly { day } => out.day_of_month = Some(u32::from(day)),
            Pattern::MonthlyNth { week, days } => {
                out.week_of_month = Some(u32::from(week.week()));
                out.day_of_week = Some(u32::from(days.bits()));
            }
            Pattern::Yearly { month, day } => {
                out.month_of_year = Some(u32::from(month));
                out.day_of_month = Some(u32::from(day));
            }
            Pattern::YearlyNth { month, week, days } => {
                out.month_of_year = Some(u32::from(month));
                out.week_of_month = Some(u32::from(week.week()));
                out.day_of_week = Some(u32::from(days.bits()));
            }
        }
        match rec.end {
            RecurrenceEnd::Never => {}
            RecurrenceEnd::Count(n) => out.occurrences = Some(u32::from(n)),
            RecurrenceEnd::Until(Moment::At(t)) => out.until = Some(t),
            RecurrenceEnd::Until(Moment::On(d)) => {
                out.until = Some(match (when, all_day_zone) {
                    // The last second of the local day.
                    (When::Timed { .. }, _) => {
                        let next = d.succ_opt().unwrap_or(d);
                        resolve_local(zone, next.and_time(NaiveTime::MIN)) - Duration::seconds(1)
                    }
                    (When::AllDay { .. }, Some(z)) => resolve_local(z, d.and_time(NaiveTime::MIN)),
                    (When::AllDay { .. }, None) => d.and_time(NaiveTime::MIN).and_utc(),
                })
            }
        }
        if version >= ProtocolVersion::V14_1 && matches!(rec.pattern, Pattern::Weekly { .. }) {
            out.first_day_of_week = Some(u32::from(rec.first_day_of_week.unwrap_or(0)));
        } else if version >= ProtocolVersion::V14_1 {
            out.first_day_of_week = rec.first_day_of_week.map(u32::from);
        }
        if version >= ProtocolVersion::V14_0 {
            let needs = matches!(rec.pattern.eas_type(), 2 | 3 | 5 | 6);
            match rec.calendar_type {
                Some(c) => out.calendar_type = vec![u32::from(c)],
                None if needs => out.calendar_type = vec![0],
                None => {}
            }
            if rec.is_leap_month {
                out.is_leap_month = Some(1);
            }
        }
        out
    }
}

/// The bound an incoming `Until` means (see [`RecurrenceElements::to_recurrence`]).
fn until_moment(u: DateTime<Utc>, when: &When, zone: Tz) -> Moment {
    let utc_midnight = u.time() == NaiveTime::MIN;
    match when {
        When::Timed { .. } if utc_midnight => Moment::On(u.date_naive()),
        When::Timed { .. } => Moment::At(u),
        When::AllDay { .. } => {
            let local = to_local(zone, u);
            if local.time() == NaiveTime::MIN && local.nanosecond() == 0 {
                Moment::On(local.date())
            } else {
                Moment::On(u.date_naive())
            }
        }
    }
}

#[cfg(test)]
mod tests;
