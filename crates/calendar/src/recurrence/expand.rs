//! The occurrences of a series, computed in the event's own zone: a weekly 09:00 Paris series
//! stays at 09:00 Paris time across daylight-saving changes, and the days of the pattern are
//! days of the LOCAL calendar (PIM_FACTS 6.7), with the exceptions applied.
//!
//! The rules (MS-ASCAL 2.2.2.37.1, with RFC 5545 3.3.10 where EAS is silent):
//! - The occurrences are the days matching the pattern, on or after the local start date, at
//!   the local start time; the start itself counts only when it matches the pattern.
//! - The interval counts days, weeks (from [`Recurrence::week_start`]), months or years from
//!   the start's.
//! - A day of the month a month lacks (31 in April, 29 February in a common year) is skipped,
//!   as RFC 5545 and the clients' calendars (which store RRULEs) do.
//! - `Count` counts occurrences, deleted ones included; `Until` is an inclusive bound on the
//!   original start.
//! - A local time that does not exist (in the spring-forward gap) is read with the offset before
//!   the gap, so 02:30 becomes 03:30 (RFC 5545 3.3.5); one that exists twice is the first.
//! - A timed occurrence lasts as long as the series' first, in absolute time.

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime,
    Offset as _, TimeZone as _, Utc,
};
use chrono_tz::Tz;

use super::{nth_day_in_month, Pattern, Recurrence, RecurrenceEnd};
use crate::event::{Event, Exception, When};
use crate::time::Moment;

/// One occurrence of an event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Occurrence<'a> {
    /// Its original start: the key of its exception, its `InstanceId` (MS-ASAIRS 2.2.2.25) and
    /// iCalendar `RECURRENCE-ID`.
    pub original: Moment,
    /// When it happens, after its exception.
    pub when: When,
    /// Its exception, if it has one (never a deleted one: those are not occurrences).
    pub exception: Option<&'a Exception>,
}

/// The UTC instant of a local date and time in `zone` (see the module's rules).
pub fn resolve_local(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // The gap: use the offset in force a day before.
            let before = local - Duration::hours(24);
            let offset = zone.offset_from_utc_datetime(&before).fix();
            Utc.from_utc_datetime(&(local - Duration::seconds(i64::from(offset.local_minus_utc()))))
        }
    }
}

/// The local date and time of an instant in `zone`.
pub fn to_local(zone: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&zone).naive_local()
}

/// The matching local dates of a pattern, in order, from `start` on, without end.
#[derive(Clone, Debug)]
pub struct PatternDates {
    pattern: Pattern,
    interval: u32,
    start: NaiveDate,
    /// The first day of the start's week, for weekly patterns.
    week0: NaiveDate,
    period: u32,
    pending: Vec<NaiveDate>,
    done: bool,
}

impl PatternDates {
    pub fn new(recurrence: &Recurrence, start: NaiveDate) -> PatternDates {
        let ws = recurrence.week_start();
        let back = (7 + start.weekday().num_days_from_sunday() - ws.num_days_from_sunday()) % 7;
        PatternDates {
            pattern: recurrence.pattern,
            interval: u32::from(recurrence.interval.max(1)),
            start,
            week0: start - Days::new(u64::from(back)),
            period: 0,
            pending: Vec::new(),
            done: false,
        }
    }

    /// The candidate dates of period `k`, sorted; `None` past the calendar's end.
    fn period_dates(&self, k: u32) -> Option<Vec<NaiveDate>> {
        let step = k.checked_mul(self.interval)?;
        Some(match self.pattern {
            Pattern::Daily => vec![self.start.checked_add_days(Days::new(u64::from(step)))?],
            Pattern::Weekly { days } => {
                let first = self
                    .week0
                    .checked_add_days(Days::new(u64::from(step) * 7))?;
                (0..7u64)
                    .filter_map(|i| first.checked_add_days(Days::new(i)))
                    .filter(|d| days.contains(d.weekday()))
                    .collect()
            }
            Pattern::Monthly { day } => {
                let (y, m) = self.month_of(step)?;
                NaiveDate::from_ymd_opt(y, m, u32::from(day))
                    .into_iter()
                    .collect()
            }
            Pattern::MonthlyNth { week, days } => {
                let (y, m) = self.month_of(step)?;
                nth_day_in_month(y, m, week, days).into_iter().collect()
            }
            Pattern::Yearly { month, day } => {
                let y = self.year_of(step)?;
                NaiveDate::from_ymd_opt(y, u32::from(month), u32::from(day))
                    .into_iter()
                    .collect()
            }
            Pattern::YearlyNth { month, week, days } => {
                let y = self.year_of(step)?;
                nth_day_in_month(y, u32::from(month), week, days)
                    .into_iter()
                    .collect()
            }
        })
    }

    fn month_of(&self, step: u32) -> Option<(i32, u32)> {
        let first = self
            .start
            .with_day(1)?
            .checked_add_months(Months::new(step))?;
        Some((first.year(), first.month()))
    }

    fn year_of(&self, step: u32) -> Option<i32> {
        let y = self.start.year().checked_add(i32::try_from(step).ok()?)?;
        (y <= 9999).then_some(y)
    }
}

/// Periods in a row with no matching day before the pattern is taken as exhausted: a yearly
/// 29 February needs at most 8 years (1896 to 1904), a monthly 31st two months.
const MAX_EMPTY_PERIODS: u32 = 16;

impl Iterator for PatternDates {
    type Item = NaiveDate;

    fn next(&mut self) -> Option<NaiveDate> {
        let mut empty = 0;
        while self.pending.is_empty() {
            if self.done {
                return None;
            }
            let Some(dates) = self.period_dates(self.period) else {
                self.done = true;
                return None;
            };
            self.period += 1;
            let mut dates: Vec<NaiveDate> =
                dates.into_iter().filter(|d| *d >= self.start).collect();
            if dates.is_empty() {
                empty += 1;
                if empty > MAX_EMPTY_PERIODS {
                    self.done = true;
                    return None;
                }
                continue;
            }
            dates.reverse();
            self.pending = dates;
        }
        self.pending.pop()
    }
}

/// The occurrences of an event in order of original start: one for a single event, the whole
/// series (without end for a series without one) for a recurring event.
#[derive(Clone, Debug)]
pub struct OccurrenceIter<'a> {
    event: &'a Event,
    dates: Option<PatternDates>,
    /// The local start time of a timed series.
    time: Option<NaiveTime>,
    zone: Tz,
    produced: u32,
    single_done: bool,
}

impl<'a> OccurrenceIter<'a> {
    pub fn new(event: &'a Event) -> OccurrenceIter<'a> {
        let zone = event.zone();
        let (start_date, time) = match event.when {
            When::Timed { start, .. } => {
                let local = to_local(zone, start);
                (local.date(), Some(local.time()))
            }
            When::AllDay { start, .. } => (start, None),
        };
        OccurrenceIter {
            event,
            dates: event
                .recurrence
                .as_ref()
                .map(|r| PatternDates::new(r, start_date)),
            time,
            zone,
            produced: 0,
            single_done: false,
        }
    }

    /// The next original start of the series (deleted occurrences included), or `None` at its
    /// end.
    fn next_original(&mut self) -> Option<Moment> {
        let Some(rec) = self.event.recurrence.as_ref() else {
            if self.single_done {
                return None;
            }
            self.single_done = true;
            return Some(self.event.when.start());
        };
        if let RecurrenceEnd::Count(n) = rec.end {
            if self.produced >= u32::from(n) {
                return None;
            }
        }
        let date = self.dates.as_mut()?.next()?;
        let moment = match self.time {
            Some(t) => Moment::At(resolve_local(self.zone, date.and_time(t))),
            None => Moment::On(date),
        };
        if let RecurrenceEnd::Until(until) = rec.end {
            if !within_until(moment, until, self.zone) {
                self.dates = None;
                return None;
            }
        }
        self.produced += 1;
        Some(moment)
    }
}

/// Whether an original start is on or before `Until`.
fn within_until(start: Moment, until: Moment, zone: Tz) -> bool {
    match (start, until) {
        (Moment::At(s), Moment::At(u)) => s <= u,
        (Moment::On(s), Moment::On(u)) => s <= u,
        // A date bound on a timed series: the local date.
        (Moment::At(s), Moment::On(u)) => to_local(zone, s).date() <= u,
        // An instant bound on an all-day series: its UTC date.
        (Moment::On(s), Moment::At(u)) => s <= u.date_naive(),
    }
}

impl<'a> Iterator for OccurrenceIter<'a> {
    type Item = Occurrence<'a>;

    fn next(&mut self) -> Option<Occurrence<'a>> {
        loop {
            let original = self.next_original()?;
            let exception = self.event.exceptions.get(&original);
            if exception.is_some_and(|e| e.deleted) {
                continue;
            }
            let when = match exception.and_then(|e| e.when) {
                Some(w) => w,
                None => shifted_when(&self.event.when, original),
            };
            return Some(Occurrence {
                original,
                when,
                exception,
            });
        }
    }
}

/// The series' times moved to start at `original`, keeping the duration.
pub fn shifted_when(series: &When, original: Moment) -> When {
    match (*series, original) {
        (When::Timed { start, end }, Moment::At(s)) => When::Timed {
            start: s,
            end: s + (end - start),
        },
        (When::AllDay { start, end }, Moment::On(s)) => {
            let days = (end - start).num_days().max(1) as u64;
            When::AllDay {
                start: s,
                end: s
                    .checked_add_days(Days::new(days))
                    .unwrap_or(NaiveDate::MAX),
            }
        }
        (w, _) => w,
    }
}

/// The latest instant at which a date can still be running somewhere: its end at UTC−12.
/// All-day events have no zone, so a window or an end computed in instants takes this bound.
pub fn date_end_anywhere(exclusive_end: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&exclusive_end.and_time(NaiveTime::MIN)) + Duration::hours(12)
}

/// How many occurrences [`Event::last_end`] expands before it bounds the end instead.
const EXACT_UP_TO: usize = 2_000;

/// The earliest instant at which a date has begun somewhere: its start at UTC+14.
pub fn date_start_anywhere(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)) - Duration::hours(14)
}

/// The UTC span of an occurrence: its instants, or for an all-day one its dates in `zone`.
pub fn span_in(when: &When, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    match *when {
        When::Timed { start, end } => (start, end),
        When::AllDay { start, end } => (
            resolve_local(zone, start.and_time(NaiveTime::MIN)),
            resolve_local(zone, end.and_time(NaiveTime::MIN)),
        ),
    }
}

impl Event {
    /// Every occurrence, in order of original start (see [`OccurrenceIter`]).
    pub fn occurrences(&self) -> OccurrenceIter<'_> {
        OccurrenceIter::new(self)
    }

    /// The occurrences that overlap `[from, to)`: an occurrence is in when it starts before
    /// `to` and ends after `from` (one of no duration: starts in the window). All-day
    /// occurrences are placed on their dates in `all_day_zone` (the viewer's zone).
    ///
    /// An exception may move an occurrence away from its original start, so the series is read
    /// up to `to` and then every moved occurrence is checked on its own.
    pub fn occurrences_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        all_day_zone: Tz,
    ) -> Vec<Occurrence<'_>> {
        let overlaps = |w: &When| {
            let (s, e) = span_in(w, all_day_zone);
            s < to && (e > from || (e == s && s >= from))
        };
        let original_bound = |m: Moment| match m {
            Moment::At(t) => t < to,
            Moment::On(d) => date_start_anywhere(d) < to,
        };
        let mut out: Vec<Occurrence<'_>> = Vec::new();
        for occ in self.occurrences() {
            if !original_bound(occ.original) {
                break;
            }
            if overlaps(&occ.when) {
                out.push(occ);
            }
        }
        // Moved occurrences whose original start is after the window but whose new time is in.
        for (original, exception) in &self.exceptions {
            let Some(when) = exception.when.filter(|_| !exception.deleted) else {
                continue;
            };
            if original_bound(*original) || !overlaps(&when) || !self.has_occurrence(*original) {
                continue;
            }
            out.push(Occurrence {
                original: *original,
                when,
                exception: Some(exception),
            });
        }
        out.sort_by_key(|o| span_in(&o.when, all_day_zone).0);
        out
    }

    /// Whether the series has an occurrence (deleted or not) with this original start.
    pub fn has_occurrence(&self, original: Moment) -> bool {
        let mut it = self.occurrences();
        while let Some(m) = it.next_original() {
            if m == original {
                return true;
            }
            if m > original {
                return false;
            }
        }
        false
    }

    /// The original start an `ExceptionStartTime` or `InstanceId` names (MS-ASCAL 2.2.2.23,
    /// MS-ASAIRS 2.2.2.25), if the series has that occurrence:
    ///
    /// - in an all-day series, the date of the instant in `all_day_zone` (the device's zone up
    ///   to 14.1, UTC for the 16.x date forms), rounded to the nearest midnight, so the key is
    ///   the date whatever all-day convention the client used (PIM_FACTS 6.8);
    /// - in a timed series, the instant itself, else the occurrence on the same local day:
    ///   iOS and Android send a wrong time of day after a series moved (PIM_FACTS 6.11; SOGo
    ///   forces the master's time of day the same way).
    pub fn original_start_for(&self, t: DateTime<Utc>, all_day_zone: Tz) -> Option<Moment> {
        self.recurrence.as_ref()?;
        match self.when {
            When::AllDay { .. } => {
                let m = Moment::On(crate::event::all_day_date(t, all_day_zone));
                self.has_occurrence(m).then_some(m)
            }
            When::Timed { start, .. } => {
                if self.has_occurrence(Moment::At(t)) {
                    return Some(Moment::At(t));
                }
                let zone = self.zone();
                let day = to_local(zone, t).date();
                let m = Moment::At(resolve_local(
                    zone,
                    day.and_time(to_local(zone, start).time()),
                ));
                self.has_occurrence(m).then_some(m)
            }
        }
    }

    /// The UTC end of the event's last occurrence, after its exceptions: `None` for a series
    /// without end (or one whose iCalendar rule EAS could not carry, kept in [`crate::ICalMeta`],
    /// whose end is not known here). An all-day end is the moment its last day is over
    /// everywhere ([`date_end_anywhere`]). A series whose every occurrence was deleted ends
    /// when its first would have.
    pub fn last_end(&self) -> Option<DateTime<Utc>> {
        let utc_end = |w: &When| match *w {
            When::Timed { end, .. } => end,
            When::AllDay { end, .. } => date_end_anywhere(end),
        };
        if self.ical.has_unexpressed_occurrences() {
            return None;
        }
        let Some(rec) = self.recurrence.as_ref() else {
            return Some(utc_end(&self.when));
        };
        if rec.end.is_never() {
            return None;
        }
        // A Count series has at most 999 occurrences (R345); an Until one may have a million
        // (daily until 9999), which a phone could send to make every write slow. Past
        // `EXACT_UP_TO` occurrences the end is bounded instead of found: the last occurrence
        // starts by `Until` and lasts the series' duration, unless an exception moved one later.
        let mut last = None;
        for (n, o) in self.occurrences().enumerate() {
            if n >= EXACT_UP_TO {
                return Some(
                    self.until_bound(&rec.end)
                        .max(last.unwrap_or_else(|| utc_end(&self.when))),
                );
            }
            let end = utc_end(&o.when);
            last = Some(last.map_or(end, |l: DateTime<Utc>| l.max(end)));
        }
        Some(last.unwrap_or_else(|| utc_end(&self.when)))
    }

    /// An instant no occurrence of a series ending at `end` (an `Until`) ends after.
    fn until_bound(&self, end: &RecurrenceEnd) -> DateTime<Utc> {
        let (start, finish) = match self.when {
            When::Timed { start, end } => (start, end),
            When::AllDay { start, end } => (date_start_anywhere(start), date_end_anywhere(end)),
        };
        let duration = finish - start;
        let last_start = match end {
            RecurrenceEnd::Until(Moment::At(t)) => *t,
            RecurrenceEnd::Until(Moment::On(d)) => date_end_anywhere(*d),
            // Not reached: Count series are expanded in full.
            RecurrenceEnd::Count(_) | RecurrenceEnd::Never => finish,
        };
        let moved = self
            .exceptions
            .values()
            .filter_map(|x| x.when.as_ref())
            .map(|w| match *w {
                When::Timed { end, .. } => end,
                When::AllDay { end, .. } => date_end_anywhere(end),
            });
        moved.fold(last_start + duration, DateTime::max)
    }
}

#[cfg(test)]
mod tests;
