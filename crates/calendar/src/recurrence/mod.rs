//! The recurrence of a series (MS-ASCAL 2.2.2.37, 2.2.2.37.1): the pattern, its interval and
//! end, read from and written as the EAS `Recurrence` children ([`eas`]), expanded into
//! occurrences in the event's own zone ([`expand`]).

use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::time::Moment;

pub mod eas;
pub mod expand;
pub mod rrule;

pub use eas::{RecurrenceElements, RecurrenceError};
pub use expand::{Occurrence, OccurrenceIter};
pub use rrule::{from_rrule, to_rrule, RRuleError};

/// A set of weekdays: the `DayOfWeek` bitmask of MS-ASCAL 2.2.2.15 (Sunday 1, Monday 2, ...
/// Saturday 64). Stored as RFC 5545 two-letter names (`["MO","FR"]`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DaySet(u8);

const DAY_NAMES: [&str; 7] = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];

impl DaySet {
    /// Every day: with a WeekOfMonth, "the nth day of the month" (127, R3893714).
    pub const ALL: DaySet = DaySet(127);
    /// Monday to Friday (62, R3893715).
    pub const WEEKDAYS: DaySet = DaySet(62);
    /// Saturday and Sunday (65, R3893716).
    pub const WEEKEND: DaySet = DaySet(65);

    /// The set for a `DayOfWeek` value; `None` for 0 or above 127 (R200, R201).
    pub const fn from_bits(bits: u16) -> Option<DaySet> {
        if bits == 0 || bits > 127 {
            None
        } else {
            Some(DaySet(bits as u8))
        }
    }

    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The set of one day.
    pub const fn of(day: Weekday) -> DaySet {
        DaySet(1 << day.num_days_from_sunday())
    }

    pub const fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_sunday()) != 0
    }

    pub const fn with(self, day: Weekday) -> DaySet {
        DaySet(self.0 | (1 << day.num_days_from_sunday()))
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The days, Sunday first.
    pub fn days(self) -> impl Iterator<Item = Weekday> {
        (0..7u8)
            .filter(move |i| self.0 & (1 << i) != 0)
            .map(weekday_from_sunday)
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
}

/// The weekday `n` days after Sunday (0 = Sunday, as `FirstDayOfWeek` and SYSTEMTIME count).
pub fn weekday_from_sunday(n: u8) -> Weekday {
    match n % 7 {
        0 => Weekday::Sun,
        1 => Weekday::Mon,
        2 => Weekday::Tue,
        3 => Weekday::Wed,
        4 => Weekday::Thu,
        5 => Weekday::Fri,
        _ => Weekday::Sat,
    }
}

impl fmt::Debug for DaySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .days()
            .map(|d| DAY_NAMES[d.num_days_from_sunday() as usize])
            .collect();
        write!(f, "DaySet({})", names.join(","))
    }
}

impl Serialize for DaySet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq as _;
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for d in self.days() {
            seq.serialize_element(DAY_NAMES[d.num_days_from_sunday() as usize])?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for DaySet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<DaySet, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        let mut set = DaySet(0);
        for n in &names {
            let i = DAY_NAMES
                .iter()
                .position(|x| x == n)
                .ok_or_else(|| serde::de::Error::custom(format!("not a weekday: {n:?}")))?;
            set = set.with(weekday_from_sunday(i as u8));
        }
        if set.is_empty() {
            return Err(serde::de::Error::custom("a day set needs a day"));
        }
        Ok(set)
    }
}

/// Which of the matching days in a month: `WeekOfMonth` 1 to 4, or 5 for the last
/// (MS-ASCAL 2.2.2.48, R476, R477).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Nth(u8);

impl Nth {
    pub const LAST: Nth = Nth(5);

    pub const fn new(week: u8) -> Option<Nth> {
        if week >= 1 && week <= 5 {
            Some(Nth(week))
        } else {
            None
        }
    }

    pub const fn week(self) -> u8 {
        self.0
    }

    pub const fn is_last(self) -> bool {
        self.0 == 5
    }
}

impl TryFrom<u8> for Nth {
    type Error = String;

    fn try_from(v: u8) -> Result<Nth, String> {
        Nth::new(v).ok_or_else(|| format!("week of month {v} is not 1 to 5"))
    }
}

impl From<Nth> for u8 {
    fn from(n: Nth) -> u8 {
        n.0
    }
}

/// The unit and the days of a recurrence (MS-ASCAL 2.2.2.45 `Type`, 2.2.2.37.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "freq", rename_all = "snake_case")]
pub enum Pattern {
    /// Type 0 without `DayOfWeek`: every `interval` days.
    Daily,
    /// Type 1, or type 0 with `DayOfWeek` (R3892312): on these days every `interval` weeks.
    Weekly { days: DaySet },
    /// Type 2: on this day of the month (a month without it is skipped, as RFC 5545 and the
    /// phones' calendars, which store RRULEs, do).
    Monthly { day: u8 },
    /// Type 3: on the nth matching day of the month (R3893714 to R3893716: with 127 the nth day,
    /// with 62 the nth weekday, with 65 the nth weekend day).
    MonthlyNth { week: Nth, days: DaySet },
    /// Type 5: on this day of this month.
    Yearly { month: u8, day: u8 },
    /// Type 6: on the nth matching day of this month.
    YearlyNth { month: u8, week: Nth, days: DaySet },
}

impl Pattern {
    /// The EAS `Type` value (R453).
    pub const fn eas_type(self) -> u8 {
        match self {
            Pattern::Daily => 0,
            Pattern::Weekly { .. } => 1,
            Pattern::Monthly { .. } => 2,
            Pattern::MonthlyNth { .. } => 3,
            Pattern::Yearly { .. } => 5,
            Pattern::YearlyNth { .. } => 6,
        }
    }
}

/// When a series ends (R38916 to R389162).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecurrenceEnd {
    /// Neither `Occurrences` nor `Until`: no end.
    #[default]
    Never,
    /// After this many occurrences (at most 999, R345), deleted ones included.
    Count(u16),
    /// No occurrence starts after this: an instant for a timed series, a date for an all-day
    /// one (inclusive, as RFC 5545 `UNTIL`).
    Until(Moment),
}

impl RecurrenceEnd {
    pub fn is_never(&self) -> bool {
        *self == RecurrenceEnd::Never
    }
}

/// A recurrence pattern: the pattern, its interval, its end, and the week and calendar
/// settings that came with it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Recurrence {
    #[serde(flatten)]
    pub pattern: Pattern,
    /// Every how many days, weeks, months or years; at least 1 (EAS 0 reads as 1, as Exchange
    /// 2010 SP1 does, PIM_FACTS 1.4).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub interval: u16,
    #[serde(default, skip_serializing_if = "RecurrenceEnd::is_never")]
    pub end: RecurrenceEnd,
    /// `FirstDayOfWeek` (MS-ASCAL 2.2.2.24), 0 = Sunday to 6 = Saturday; it decides which
    /// weeks count for a weekly pattern with an interval above 1 (RFC 5545 `WKST`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_day_of_week: Option<u8>,
    /// `CalendarType` (MS-ASCAL 2.2.2.10), kept as the client sent it; occurrences are computed
    /// in the Gregorian calendar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_type: Option<u8>,
    /// `IsLeapMonth` (MS-ASCAL 2.2.2.26); no effect in the Gregorian calendar (R290).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_leap_month: bool,
}

fn one() -> u16 {
    1
}

fn is_one(v: &u16) -> bool {
    *v == 1
}

impl Recurrence {
    /// A pattern with interval 1 and no end.
    pub fn new(pattern: Pattern) -> Recurrence {
        Recurrence {
            pattern,
            interval: 1,
            end: RecurrenceEnd::Never,
            first_day_of_week: None,
            calendar_type: None,
            is_leap_month: false,
        }
    }

    pub fn with_interval(mut self, interval: u16) -> Recurrence {
        self.interval = interval.max(1);
        self
    }

    pub fn with_end(mut self, end: RecurrenceEnd) -> Recurrence {
        self.end = end;
        self
    }

    /// The week start used to group weeks: `FirstDayOfWeek`, else Sunday (the EAS default,
    /// MS-ASCAL R601; RFC 5545 assumes Monday, so exports always name it).
    pub fn week_start(&self) -> Weekday {
        weekday_from_sunday(self.first_day_of_week.unwrap_or(0))
    }
}

/// The number of days in a month of the Gregorian calendar.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    let first = NaiveDate::from_ymd_opt(year, month, 1);
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    match (first, next) {
        (Some(a), Some(b)) => (b - a).num_days() as u32,
        _ => 31,
    }
}

/// The nth day of `month` whose weekday is in `days` (the last one for [`Nth::LAST`]).
pub fn nth_day_in_month(year: i32, month: u32, week: Nth, days: DaySet) -> Option<NaiveDate> {
    let len = days_in_month(year, month);
    let mut matching = (1..=len)
        .filter_map(|d| NaiveDate::from_ymd_opt(year, month, d))
        .filter(|d| days.contains(d.weekday()));
    if week.is_last() {
        matching.next_back()
    } else {
        matching.nth(usize::from(week.week()) - 1)
    }
}
