//! Deterministic calendar data for the calendar benchmark: single events over the two years
//! around a given day (some all-day, some meetings) and recurring series (weekly with a moved
//! and a deleted occurrence, monthly on the nth weekday, yearly timed and all-day, daily) in six
//! time zones, written as one iCalendar file (RFC 5545). The end of each event's last occurrence
//! is computed here, on its own (not by the server's model), so that the events a FilterType
//! window must hold can be counted (MS-ASCMD 2.2.3.68.2: an event is in the window when its last
//! occurrence ends on or after the window's start; a series without end is in every window).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone,
    Utc, Weekday,
};
use chrono_tz::Tz;

use crate::mailgen::Rng;

/// The zones the events are in (timed events; all-day events have none).
pub const ZONES: [Tz; 6] = [
    Tz::Europe__Paris,
    Tz::America__New_York,
    Tz::Australia__Sydney,
    Tz::Asia__Kolkata,
    Tz::Pacific__Auckland,
    Tz::UTC,
];

/// How close (either side) to a guarded instant an event's last end may not fall, so that the
/// time a run takes, and a server that counts a month as 30 or 31 days, cannot move an event
/// across a window's start.
pub const GUARD_MARGIN: TimeDelta = TimeDelta::days(3);

/// What shape an event has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A single timed event in one of the zones.
    Timed,
    /// A single all-day event of one to three days.
    AllDay,
    /// Weekly (every one or two weeks on the start's weekday), with one occurrence moved a day
    /// and an hour later and another deleted.
    Weekly,
    /// Monthly on the nth (1st to 4th, or last) weekday, sometimes with a deleted occurrence.
    MonthlyNth,
    /// Yearly on a month and day, timed.
    Yearly,
    /// Yearly all-day (birthdays, anniversaries), sometimes with a deleted occurrence.
    YearlyAllDay,
    /// Daily for three to ten days, one occurrence two hours later.
    Daily,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Timed,
        Kind::AllDay,
        Kind::Weekly,
        Kind::MonthlyNth,
        Kind::Yearly,
        Kind::YearlyAllDay,
        Kind::Daily,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Timed => "single timed",
            Kind::AllDay => "single all-day",
            Kind::Weekly => "weekly series",
            Kind::MonthlyNth => "monthly nth-weekday series",
            Kind::Yearly => "yearly timed series",
            Kind::YearlyAllDay => "yearly all-day series",
            Kind::Daily => "daily series",
        }
    }

    pub fn recurring(self) -> bool {
        !matches!(self, Kind::Timed | Kind::AllDay)
    }
}

/// One generated event (a series with its overrides counts as one).
#[derive(Clone, Debug)]
pub struct GenEvent {
    pub index: usize,
    pub kind: Kind,
    /// `None` for all-day events.
    pub zone: Option<Tz>,
    /// The end of the last occurrence after exceptions (an all-day day ends at 12:00 UTC of
    /// the next day, when it is over everywhere); `None` for a series without end.
    pub last_end: Option<DateTime<Utc>>,
    /// Occurrences the series has (moved and deleted ones included); `None` without end, 1 for
    /// a single event.
    pub occurrences: Option<usize>,
    pub moved: usize,
    pub deleted: usize,
    /// One line describing the event, for reports.
    pub description: String,
    /// The `VEVENT` (and its overrides), CRLF lines folded at 75 octets.
    pub ical: String,
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub count: usize,
    /// Share of recurring series, in percent.
    pub recurring_percent: usize,
    pub seed: u64,
}

/// The generated calendar.
#[derive(Clone, Debug)]
pub struct Calendar {
    pub events: Vec<GenEvent>,
    pub today: NaiveDate,
    pub dtstamp: DateTime<Utc>,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("event {0}: no draw kept its last end away from the guarded instants")]
    Guard(usize),
    #[error("event {index}: {what}")]
    Date { index: usize, what: String },
}

impl Calendar {
    /// `spec.count` events around `today` (singles within a year either side, series started
    /// up to ten years back); none ends within [`GUARD_MARGIN`] of an instant of `guards`.
    pub fn generate(
        spec: Spec,
        today: NaiveDate,
        dtstamp: DateTime<Utc>,
        guards: &[DateTime<Utc>],
    ) -> Result<Calendar, GenError> {
        let mut events = Vec::with_capacity(spec.count);
        for index in 0..spec.count {
            let recurring = is_recurring(index, spec.recurring_percent);
            let mut rng = Rng::new(spec.seed ^ (index as u64).wrapping_mul(0x9E6C_63D0_676A_9A99));
            let mut kept = None;
            for _ in 0..64 {
                let ev = draw(&mut rng, index, recurring, today, dtstamp)?;
                let near = ev
                    .last_end
                    .is_some_and(|e| guards.iter().any(|g| (e - *g).abs() < GUARD_MARGIN));
                if !near {
                    kept = Some(ev);
                    break;
                }
            }
            events.push(kept.ok_or(GenError::Guard(index))?);
        }
        Ok(Calendar {
            events,
            today,
            dtstamp,
        })
    }

    /// The whole file: one `VCALENDAR` with a `VTIMEZONE` per zone other than UTC.
    pub fn to_ical(&self) -> String {
        let mut out =
            String::with_capacity(self.events.iter().map(|e| e.ical.len()).sum::<usize>() + 8192);
        out.push_str(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//eas-load//calendar benchmark//EN\r\n\
             CALSCALE:GREGORIAN\r\n",
        );
        for z in ZONES {
            out.push_str(vtimezone(z));
        }
        for e in &self.events {
            out.push_str(&e.ical);
        }
        out.push_str("END:VCALENDAR\r\n");
        out
    }

    /// Indexes of the events a window starting at `since` holds (`None`: no window, all).
    pub fn expected(&self, since: Option<DateTime<Utc>>) -> BTreeSet<usize> {
        self.events
            .iter()
            .filter(|e| match (since, e.last_end) {
                (Some(s), Some(end)) => end >= s,
                _ => true,
            })
            .map(|e| e.index)
            .collect()
    }
}

/// Exactly `count * percent / 100` recurring events, spread evenly over the indexes.
pub fn is_recurring(index: usize, percent: usize) -> bool {
    (index + 1) * percent / 100 != index * percent / 100
}

/// The event index a generated subject carries (`... #123`).
pub fn subject_index(subject: &str) -> Option<usize> {
    subject.rsplit_once('#')?.1.trim().parse().ok()
}

const WORDS: &[&str] = &[
    "planning",
    "review",
    "standup",
    "budget",
    "customer",
    "call",
    "lunch",
    "dentist",
    "gym",
    "project",
    "sync",
    "design",
    "retro",
    "training",
    "interview",
    "dinner",
    "school",
    "board",
    "quarterly",
    "release",
    "workshop",
    "offsite",
    "doctor",
    "football",
    "yoga",
    "piano",
    "demo",
    "launch",
    "audit",
    "coffee",
    "team",
    "weekly",
    "kickoff",
    "onboarding",
    "travel",
];

const PLACES: &[&str] = &[
    "Room 101",
    "Room 2B",
    "Main hall",
    "Cafe Central",
    "Head office",
    "Studio 4",
    "Online",
    "Clinic",
    "Library",
    "Town hall",
    "Stadium",
    "Client site",
];

fn word(rng: &mut Rng) -> &'static str {
    WORDS[rng.range(0, WORDS.len())]
}

/// A meeting: the organizer and the attendees, each as (address, name).
struct Meeting {
    organizer: (String, String),
    attendees: Vec<(String, String)>,
}

/// The properties every `VEVENT` of one event (the series and its overrides) carries.
struct Common {
    summary: String,
    location: Option<String>,
    description: Option<String>,
    meeting: Option<Meeting>,
    reminder: Option<u32>,
    category: Option<&'static str>,
    private: bool,
}

impl Common {
    fn draw(rng: &mut Rng, index: usize) -> Common {
        let summary = format!("{} {} #{index}", word(rng), word(rng));
        let location =
            (rng.range(0, 100) < 70).then(|| PLACES[rng.range(0, PLACES.len())].to_owned());
        let description = (rng.range(0, 100) < 40).then(|| {
            let len = rng.range(40, 800);
            let mut d = String::new();
            while d.len() < len {
                if !d.is_empty() {
                    d.push(' ');
                }
                d.push_str(word(rng));
            }
            d
        });
        let meeting = (rng.range(0, 100) < 30).then(|| {
            let mut attendees: Vec<(String, String)> = (0..rng.range(1, 7))
                .map(|_| {
                    let p = rng.range(1, 400);
                    (format!("person{p}@example.org"), format!("Person {p}"))
                })
                .collect();
            attendees.sort();
            attendees.dedup();
            let organizer = if rng.range(0, 2) == 0 {
                ("jdoe@example.loc".to_owned(), "John Doe".to_owned())
            } else {
                attendees.push(("jdoe@example.loc".to_owned(), "John Doe".to_owned()));
                let o = rng.range(400, 500);
                (format!("person{o}@example.org"), format!("Person {o}"))
            };
            Meeting {
                organizer,
                attendees,
            }
        });
        let reminder = (rng.range(0, 100) < 60).then(|| [5, 10, 15, 30, 60][rng.range(0, 5)]);
        let category =
            (rng.range(0, 100) < 20).then(|| ["Work", "Personal", "Family"][rng.range(0, 3)]);
        let private = rng.range(0, 100) < 10;
        Common {
            summary,
            location,
            description,
            meeting,
            reminder,
            category,
            private,
        }
    }

    /// The lines, with `location` in place of the event's own when given.
    fn write(&self, out: &mut String, location: Option<&str>, all_day: bool) {
        prop(out, &format!("SUMMARY:{}", self.summary));
        if let Some(l) = location.or(self.location.as_deref()) {
            prop(out, &format!("LOCATION:{l}"));
        }
        if let Some(d) = &self.description {
            prop(out, &format!("DESCRIPTION:{d}"));
        }
        if let Some(m) = &self.meeting {
            let (org, name) = &m.organizer;
            prop(out, &format!("ORGANIZER;CN={name}:mailto:{org}"));
            for (a, n) in &m.attendees {
                prop(
                    out,
                    &format!("ATTENDEE;CN={n};ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:{a}"),
                );
            }
        }
        if let Some(c) = self.category {
            prop(out, &format!("CATEGORIES:{c}"));
        }
        if self.private {
            prop(out, "CLASS:PRIVATE");
        }
        prop(
            out,
            if all_day {
                "TRANSP:TRANSPARENT"
            } else {
                "TRANSP:OPAQUE"
            },
        );
        if let Some(m) = self.reminder {
            let _ = write!(
                out,
                "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT{m}M\r\nEND:VALARM\r\n"
            );
        }
    }
}

/// One content line, folded at 75 octets (RFC 5545 3.1; the generated text is ASCII).
fn prop(out: &mut String, line: &str) {
    let mut rest = line;
    let mut first = true;
    while !rest.is_empty() {
        let room = if first { 75 } else { 74 };
        let cut = rest.len().min(room);
        if !first {
            out.push(' ');
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n");
        rest = &rest[cut..];
        first = false;
    }
}

/// A local time in `zone` as an instant. The generated times (07:00 to 20:45) are never in a
/// daylight-saving gap or repeat in these zones (their changes are between 01:00 and 03:00).
fn local(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let ndt = NaiveDateTime::new(date, time);
    zone.from_local_datetime(&ndt)
        .earliest()
        .unwrap_or_else(|| zone.from_utc_datetime(&ndt))
        .with_timezone(&Utc)
}

/// `DTSTART`-style value of an instant in `zone`: `;TZID=zone:local` or `:utcZ` for UTC.
fn stamp(zone: Tz, at: DateTime<Utc>) -> String {
    if zone == Tz::UTC {
        format!(":{}", at.format("%Y%m%dT%H%M%SZ"))
    } else {
        format!(
            ";TZID={}:{}",
            zone.name(),
            at.with_timezone(&zone).format("%Y%m%dT%H%M%S")
        )
    }
}

fn date_value(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// When an all-day day `end` (exclusive) is over everywhere: 12:00 UTC that day (UTC−12).
fn all_day_end(end: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&NaiveDateTime::new(
        end,
        NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN),
    ))
}

/// The `n`th (1 to 4, 5 the last) `weekday` of a month.
pub fn nth_weekday(year: i32, month: u32, n: u32, weekday: Weekday) -> Option<NaiveDate> {
    if n >= 5 {
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let mut d = next.pred_opt()?;
        while d.weekday() != weekday {
            d = d.pred_opt()?;
        }
        Some(d)
    } else {
        NaiveDate::from_weekday_of_month_opt(year, month, weekday, n as u8)
    }
}

const DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn byday(w: Weekday) -> &'static str {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][w.num_days_from_monday() as usize]
}

fn offset_day(today: NaiveDate, days: i64) -> Option<NaiveDate> {
    today.checked_add_signed(TimeDelta::days(days))
}

/// How a series ends.
#[derive(Clone, Copy)]
enum End {
    Count(usize),
    /// The series' last occurrence is its `n`th (from 1); written as `UNTIL` at 23:59:59 local
    /// that day, in UTC.
    UntilNth(usize),
    Never,
}

/// The occurrences' local dates: `k` from 0.
enum Pattern {
    Daily,
    Weekly { interval: u32 },
    MonthlyNth { week: u32, day: Weekday },
    Yearly,
}

impl Pattern {
    fn date(&self, start: NaiveDate, k: usize) -> Option<NaiveDate> {
        match *self {
            Pattern::Daily => start.checked_add_days(Days::new(k as u64)),
            Pattern::Weekly { interval } => {
                start.checked_add_days(Days::new(7 * interval as u64 * k as u64))
            }
            Pattern::MonthlyNth { week, day } => {
                let m = start
                    .with_day(1)?
                    .checked_add_months(Months::new(k as u32))?;
                nth_weekday(m.year(), m.month(), week, day)
            }
            // Days are drawn from 1 to 28, so every year has them.
            Pattern::Yearly => start.with_year(start.year() + k as i32),
        }
    }

    fn rrule(&self, start: NaiveDate) -> String {
        match *self {
            Pattern::Daily => "FREQ=DAILY".to_owned(),
            Pattern::Weekly { interval } => format!(
                "FREQ=WEEKLY;INTERVAL={interval};BYDAY={};WKST=MO",
                byday(start.weekday())
            ),
            Pattern::MonthlyNth { week, day } => {
                let n = if week >= 5 {
                    "-1".to_owned()
                } else {
                    week.to_string()
                };
                format!("FREQ=MONTHLY;BYDAY={n}{}", byday(day))
            }
            Pattern::Yearly => format!(
                "FREQ=YEARLY;BYMONTH={};BYMONTHDAY={}",
                start.month(),
                start.day()
            ),
        }
    }
}

/// A series to write: the pattern, its first day, time and length, end, and exceptions
/// (`moved`: occurrence k, new start and end; `deleted`: occurrence k).
struct Series {
    pattern: Pattern,
    start: NaiveDate,
    /// `None`: all-day, one day per occurrence.
    time: Option<(Tz, NaiveTime, TimeDelta)>,
    end: End,
    moved: Option<(usize, TimeDelta)>,
    deleted: Option<usize>,
}

impl Series {
    fn occurrence_date(&self, index: usize, k: usize) -> Result<NaiveDate, GenError> {
        self.pattern
            .date(self.start, k)
            .ok_or_else(|| GenError::Date {
                index,
                what: format!("occurrence {k} of a series from {}", self.start),
            })
    }

    /// (start, end) of occurrence `k` before exceptions; all-day ends at 12:00 UTC next day.
    fn occurrence(
        &self,
        index: usize,
        k: usize,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>), GenError> {
        let d = self.occurrence_date(index, k)?;
        Ok(match self.time {
            Some((zone, t, len)) => {
                let s = local(zone, d, t);
                (s, s + len)
            }
            None => {
                let next = d.succ_opt().ok_or_else(|| GenError::Date {
                    index,
                    what: format!("the day after {d}"),
                })?;
                (all_day_end(d), all_day_end(next))
            }
        })
    }

    fn count(&self) -> Option<usize> {
        match self.end {
            End::Count(n) | End::UntilNth(n) => Some(n),
            End::Never => None,
        }
    }

    /// The end of the last occurrence after exceptions, computed occurrence by occurrence.
    fn last_end(&self, index: usize) -> Result<Option<DateTime<Utc>>, GenError> {
        let Some(n) = self.count() else {
            return Ok(None);
        };
        let mut last = None;
        for k in 0..n {
            if self.deleted == Some(k) {
                continue;
            }
            let (_, mut end) = self.occurrence(index, k)?;
            if let Some((mk, shift)) = self.moved {
                if mk == k {
                    end += shift;
                }
            }
            last = last.max(Some(end));
        }
        Ok(last)
    }

    fn write(
        &self,
        out: &mut String,
        index: usize,
        uid: &str,
        common: &Common,
        dtstamp: &str,
    ) -> Result<(), GenError> {
        out.push_str("BEGIN:VEVENT\r\n");
        prop(out, &format!("UID:{uid}"));
        prop(out, &format!("DTSTAMP:{dtstamp}"));
        match self.time {
            Some((zone, t, len)) => {
                let s = local(zone, self.start, t);
                prop(out, &format!("DTSTART{}", stamp(zone, s)));
                prop(out, &format!("DTEND{}", stamp(zone, s + len)));
            }
            None => {
                prop(
                    out,
                    &format!("DTSTART;VALUE=DATE:{}", date_value(self.start)),
                );
                let next =
                    self.occurrence_date(index, 0)?
                        .succ_opt()
                        .ok_or_else(|| GenError::Date {
                            index,
                            what: "the day after the start".into(),
                        })?;
                prop(out, &format!("DTEND;VALUE=DATE:{}", date_value(next)));
            }
        }
        let mut rule = self.pattern.rrule(self.start);
        match self.end {
            End::Count(n) => {
                let _ = write!(rule, ";COUNT={n}");
            }
            End::UntilNth(n) => {
                let d = self.occurrence_date(index, n - 1)?;
                let until = match self.time {
                    Some((zone, _, _)) => local(
                        zone,
                        d,
                        NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN),
                    )
                    .format("%Y%m%dT%H%M%SZ")
                    .to_string(),
                    None => date_value(d),
                };
                let _ = write!(rule, ";UNTIL={until}");
            }
            End::Never => {}
        }
        prop(out, &format!("RRULE:{rule}"));
        if let Some(k) = self.deleted {
            let (s, _) = self.occurrence(index, k)?;
            match self.time {
                Some((zone, _, _)) => prop(out, &format!("EXDATE{}", stamp(zone, s))),
                None => prop(
                    out,
                    &format!(
                        "EXDATE;VALUE=DATE:{}",
                        date_value(self.occurrence_date(index, k)?)
                    ),
                ),
            }
        }
        common.write(out, None, self.time.is_none());
        out.push_str("END:VEVENT\r\n");
        if let (Some((k, shift)), Some((zone, _, _))) = (self.moved, self.time) {
            let (s, e) = self.occurrence(index, k)?;
            let place = format!("Moved to {}", PLACES[k % PLACES.len()]);
            out.push_str("BEGIN:VEVENT\r\n");
            prop(out, &format!("UID:{uid}"));
            prop(out, &format!("DTSTAMP:{dtstamp}"));
            prop(out, &format!("RECURRENCE-ID{}", stamp(zone, s)));
            prop(out, &format!("DTSTART{}", stamp(zone, s + shift)));
            prop(out, &format!("DTEND{}", stamp(zone, e + shift)));
            common.write(out, Some(&place), false);
            out.push_str("END:VEVENT\r\n");
        }
        Ok(())
    }
}

/// One event of the kind the index's turn gives.
fn draw(
    rng: &mut Rng,
    index: usize,
    recurring: bool,
    today: NaiveDate,
    dtstamp: DateTime<Utc>,
) -> Result<GenEvent, GenError> {
    let kind = if recurring {
        match rng.range(0, 100) {
            0..40 => Kind::Weekly,
            40..60 => Kind::MonthlyNth,
            60..72 => Kind::Yearly,
            72..88 => Kind::YearlyAllDay,
            _ => Kind::Daily,
        }
    } else if rng.range(0, 100) < 15 {
        Kind::AllDay
    } else {
        Kind::Timed
    };
    let zone = ZONES[rng.range(0, ZONES.len())];
    let time = NaiveTime::from_hms_opt(rng.range(7, 19) as u32, 15 * rng.range(0, 4) as u32, 0)
        .unwrap_or(NaiveTime::MIN);
    let length = TimeDelta::minutes([30, 45, 60, 60, 90, 120][rng.range(0, 6)]);
    let bad = |what: &str| GenError::Date {
        index,
        what: what.to_owned(),
    };
    let common = Common::draw(rng, index);
    let uid = format!("calbench-{index}@eas-load.test");
    let stamp_text = dtstamp.format("%Y%m%dT%H%M%SZ").to_string();
    let mut ical = String::with_capacity(1024);
    let days_around = |rng: &mut Rng, back: i64, ahead: i64| {
        offset_day(
            today,
            rng.range(0, (back + ahead + 1) as usize) as i64 - back,
        )
        .ok_or_else(|| bad("a day out of range"))
    };

    let (series, single_end, zone_of) = match kind {
        Kind::Timed => {
            let d = days_around(rng, 365, 365)?;
            let s = local(zone, d, time);
            ical.push_str("BEGIN:VEVENT\r\n");
            prop(&mut ical, &format!("UID:{uid}"));
            prop(&mut ical, &format!("DTSTAMP:{stamp_text}"));
            prop(&mut ical, &format!("DTSTART{}", stamp(zone, s)));
            prop(&mut ical, &format!("DTEND{}", stamp(zone, s + length)));
            common.write(&mut ical, None, false);
            ical.push_str("END:VEVENT\r\n");
            (None, Some((s, s + length)), Some(zone))
        }
        Kind::AllDay => {
            let d = days_around(rng, 365, 365)?;
            let days = [1, 1, 1, 1, 2, 3][rng.range(0, 6)];
            let end = d
                .checked_add_days(Days::new(days))
                .ok_or_else(|| bad("end of an all-day event"))?;
            ical.push_str("BEGIN:VEVENT\r\n");
            prop(&mut ical, &format!("UID:{uid}"));
            prop(&mut ical, &format!("DTSTAMP:{stamp_text}"));
            prop(&mut ical, &format!("DTSTART;VALUE=DATE:{}", date_value(d)));
            prop(&mut ical, &format!("DTEND;VALUE=DATE:{}", date_value(end)));
            common.write(&mut ical, None, true);
            ical.push_str("END:VEVENT\r\n");
            (None, Some((all_day_end(d), all_day_end(end))), None)
        }
        Kind::Weekly => {
            let start = days_around(rng, 365, 180)?;
            let interval = if rng.range(0, 100) < 80 { 1 } else { 2 };
            let n = rng.range(8, 60);
            let end = match rng.range(0, 100) {
                0..50 => End::Count(n),
                50..75 => End::UntilNth(n),
                _ => End::Never,
            };
            // Neither exception touches the last occurrence (n >= 8).
            let moved = rng.range(1, n - 1);
            let mut deleted = rng.range(1, n - 1);
            if deleted == moved {
                deleted = if moved + 1 < n - 1 {
                    moved + 1
                } else {
                    moved - 1
                };
            }
            let s = Series {
                pattern: Pattern::Weekly { interval },
                start,
                time: Some((zone, time, length)),
                end,
                moved: Some((moved, TimeDelta::hours(25))),
                deleted: Some(deleted),
            };
            (Some(s), None, Some(zone))
        }
        Kind::MonthlyNth => {
            let back = rng.range(0, 25) as i64 - 18;
            let first = today.with_day(1).ok_or_else(|| bad("first of the month"))?;
            let month = if back < 0 {
                first.checked_sub_months(Months::new((-back) as u32))
            } else {
                first.checked_add_months(Months::new(back as u32))
            }
            .ok_or_else(|| bad("a month out of range"))?;
            let week = rng.range(1, 6) as u32;
            let day = DAYS[rng.range(0, 7)];
            let start = nth_weekday(month.year(), month.month(), week, day)
                .ok_or_else(|| bad("an nth weekday"))?;
            let n = rng.range(3, 25);
            let end = if rng.range(0, 100) < 60 {
                End::Count(n)
            } else {
                End::Never
            };
            let deleted = (rng.range(0, 100) < 30).then(|| rng.range(1, n - 1));
            let s = Series {
                pattern: Pattern::MonthlyNth { week, day },
                start,
                time: Some((zone, time, length)),
                end,
                moved: None,
                deleted,
            };
            (Some(s), None, Some(zone))
        }
        Kind::Yearly | Kind::YearlyAllDay => {
            let years_back = if kind == Kind::Yearly { 3 } else { 10 };
            let year = today.year() - rng.range(0, years_back + 1) as i32;
            let start =
                NaiveDate::from_ymd_opt(year, rng.range(1, 13) as u32, rng.range(1, 29) as u32)
                    .ok_or_else(|| bad("a yearly date"))?;
            let n = rng.range(2, 12);
            let end = if rng.range(0, 100) < if kind == Kind::Yearly { 50 } else { 20 } {
                End::Count(n)
            } else {
                End::Never
            };
            let deleted = (n >= 3 && rng.range(0, 100) < 20).then(|| rng.range(1, n - 1));
            let s = Series {
                pattern: Pattern::Yearly,
                start,
                time: (kind == Kind::Yearly).then_some((zone, time, length)),
                end,
                moved: None,
                deleted,
            };
            let z = (kind == Kind::Yearly).then_some(zone);
            (Some(s), None, z)
        }
        Kind::Daily => {
            let start = days_around(rng, 365, 365)?;
            let n = rng.range(3, 11);
            let moved = rng.range(1, n - 1);
            let s = Series {
                pattern: Pattern::Daily,
                start,
                time: Some((zone, time, length)),
                end: End::Count(n),
                moved: Some((moved, TimeDelta::hours(2))),
                deleted: None,
            };
            (Some(s), None, Some(zone))
        }
    };

    let zone_name = zone_of.map(|z| z.name()).unwrap_or("all-day");
    let (last_end, occurrences, moved, deleted, first) = match (&series, single_end) {
        (Some(s), _) => {
            s.write(&mut ical, index, &uid, &common, &stamp_text)?;
            let first = match s.time {
                Some((z, t, _)) => local(z, s.start, t)
                    .with_timezone(&z)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                None => s.start.to_string(),
            };
            (
                s.last_end(index)?,
                s.count(),
                usize::from(s.moved.is_some() && s.time.is_some()),
                usize::from(s.deleted.is_some()),
                first,
            )
        }
        (None, Some((start, end))) => {
            let first = match zone_of {
                Some(z) => start.with_timezone(&z).format("%Y-%m-%d %H:%M").to_string(),
                None => (start - TimeDelta::hours(12)).date_naive().to_string(),
            };
            (Some(end), Some(1), 0, 0, first)
        }
        (None, None) => return Err(bad("neither a series nor a single event")),
    };
    let description = format!(
        "event #{index} ({}, {zone_name}, first {first}, {}, {moved} moved, {deleted} deleted, last end {}, UID {uid})",
        kind.name(),
        occurrences.map_or("no end".to_owned(), |n| format!("{n} occurrences")),
        last_end.map_or("none".to_owned(), |e| e.format("%Y-%m-%d %H:%M UTC").to_string()),
    );
    Ok(GenEvent {
        index,
        kind,
        zone: zone_of,
        last_end,
        occurrences,
        moved,
        deleted,
        description,
        ical,
    })
}

/// The `VTIMEZONE` of a zone (RFC 5545 3.6.5), with the rules in force in these years.
fn vtimezone(zone: Tz) -> &'static str {
    match zone {
        Tz::Europe__Paris => {
            "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n\
            BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n\
            DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
            BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n\
            DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
            END:VTIMEZONE\r\n"
        }
        Tz::America__New_York => {
            "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n\
            BEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\n\
            DTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\n\
            BEGIN:STANDARD\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\n\
            DTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\n\
            END:VTIMEZONE\r\n"
        }
        Tz::Australia__Sydney => {
            "BEGIN:VTIMEZONE\r\nTZID:Australia/Sydney\r\n\
            BEGIN:STANDARD\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1000\r\nTZNAME:AEST\r\n\
            DTSTART:19700405T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU\r\nEND:STANDARD\r\n\
            BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+1000\r\nTZOFFSETTO:+1100\r\nTZNAME:AEDT\r\n\
            DTSTART:19701004T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU\r\nEND:DAYLIGHT\r\n\
            END:VTIMEZONE\r\n"
        }
        Tz::Asia__Kolkata => {
            "BEGIN:VTIMEZONE\r\nTZID:Asia/Kolkata\r\n\
            BEGIN:STANDARD\r\nTZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530\r\nTZNAME:IST\r\n\
            DTSTART:19700101T000000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        }
        Tz::Pacific__Auckland => {
            "BEGIN:VTIMEZONE\r\nTZID:Pacific/Auckland\r\n\
            BEGIN:STANDARD\r\nTZOFFSETFROM:+1300\r\nTZOFFSETTO:+1200\r\nTZNAME:NZST\r\n\
            DTSTART:19700405T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU\r\nEND:STANDARD\r\n\
            BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+1200\r\nTZOFFSETTO:+1300\r\nTZNAME:NZDT\r\n\
            DTSTART:19700927T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=9;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
            END:VTIMEZONE\r\n"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn sample(count: usize, guards: &[DateTime<Utc>]) -> Calendar {
        let today = day(2026, 12, 7);
        let stamp = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
        Calendar::generate(
            Spec {
                count,
                recurring_percent: 20,
                seed: 1,
            },
            today,
            stamp,
            guards,
        )
        .unwrap()
    }

    #[test]
    fn the_recurring_share_is_exact_and_spread() {
        let n = (0..5000).filter(|&i| is_recurring(i, 20)).count();
        assert_eq!(n, 1000);
        assert_eq!((0..100).filter(|&i| is_recurring(i, 20)).count(), 20);
        assert_eq!((0..10).filter(|&i| is_recurring(i, 0)).count(), 0);
        assert_eq!((0..10).filter(|&i| is_recurring(i, 100)).count(), 10);
    }

    #[test]
    fn nth_weekdays_including_the_last() {
        assert_eq!(
            nth_weekday(2026, 2, 5, Weekday::Fri),
            Some(day(2026, 2, 27))
        );
        assert_eq!(
            nth_weekday(2026, 12, 5, Weekday::Thu),
            Some(day(2026, 12, 31))
        );
        assert_eq!(
            nth_weekday(2026, 3, 2, Weekday::Tue),
            Some(day(2026, 3, 10))
        );
        assert_eq!(nth_weekday(2026, 3, 1, Weekday::Sun), Some(day(2026, 3, 1)));
    }

    #[test]
    fn a_weekly_series_ends_with_its_last_occurrence_not_the_moved_one() {
        let s = Series {
            pattern: Pattern::Weekly { interval: 1 },
            start: day(2026, 3, 3),
            time: Some((
                Tz::Europe__Paris,
                NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                TimeDelta::hours(1),
            )),
            end: End::Count(5),
            moved: Some((1, TimeDelta::hours(25))),
            deleted: Some(2),
        };
        // 3, 10, 17, 24, 31 March; Paris is on summer time from 29 March: 10:00 UTC.
        assert_eq!(
            s.last_end(0).unwrap(),
            Some(Utc.with_ymd_and_hms(2026, 3, 31, 8, 0, 0).unwrap())
        );
        let mut out = String::new();
        let common = Common::draw(&mut Rng::new(3), 0);
        s.write(&mut out, 0, "u", &common, "20260101T000000Z")
            .unwrap();
        assert!(
            out.contains("DTSTART;TZID=Europe/Paris:20260303T090000\r\n"),
            "{out}"
        );
        assert!(
            out.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=TU;WKST=MO;COUNT=5\r\n"),
            "{out}"
        );
        assert!(
            out.contains("EXDATE;TZID=Europe/Paris:20260317T090000\r\n"),
            "{out}"
        );
        assert!(
            out.contains("RECURRENCE-ID;TZID=Europe/Paris:20260310T090000\r\n"),
            "{out}"
        );
        assert!(
            out.contains("DTSTART;TZID=Europe/Paris:20260311T100000\r\n"),
            "{out}"
        );
    }

    #[test]
    fn an_until_series_stops_on_the_day_it_names() {
        let s = Series {
            pattern: Pattern::MonthlyNth {
                week: 5,
                day: Weekday::Fri,
            },
            start: day(2026, 1, 30),
            time: Some((
                Tz::America__New_York,
                NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
                TimeDelta::minutes(30),
            )),
            end: End::UntilNth(3),
            moved: None,
            deleted: None,
        };
        // 30 January, 27 February, 27 March (EDT from 8 March): 18:30 EDT is 22:30 UTC.
        assert_eq!(
            s.last_end(0).unwrap(),
            Some(Utc.with_ymd_and_hms(2026, 3, 27, 22, 30, 0).unwrap())
        );
        let mut out = String::new();
        let common = Common::draw(&mut Rng::new(3), 0);
        s.write(&mut out, 0, "u", &common, "20260101T000000Z")
            .unwrap();
        assert!(
            out.contains("RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20260328T035959Z\r\n"),
            "{out}"
        );
    }

    #[test]
    fn an_all_day_day_is_over_everywhere_at_noon_utc_the_next_day() {
        let s = Series {
            pattern: Pattern::Yearly,
            start: day(2020, 5, 9),
            time: None,
            end: End::Count(3),
            moved: None,
            deleted: Some(2),
        };
        assert_eq!(
            s.last_end(0).unwrap(),
            Some(Utc.with_ymd_and_hms(2021, 5, 10, 12, 0, 0).unwrap())
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_file_and_every_kind_zone_and_both_window_sides_occur() {
        let guard = Utc.with_ymd_and_hms(2026, 11, 6, 9, 0, 0).unwrap();
        let a = sample(2000, &[guard]);
        let b = sample(2000, &[guard]);
        assert_eq!(a.to_ical(), b.to_ical());
        for k in Kind::ALL {
            assert!(
                a.events.iter().filter(|e| e.kind == k).count() >= 20,
                "{k:?}"
            );
        }
        for z in ZONES {
            assert!(
                a.events.iter().filter(|e| e.zone == Some(z)).count() >= 100,
                "{z}"
            );
        }
        assert_eq!(a.events.iter().filter(|e| e.kind.recurring()).count(), 400);
        assert!(a.events.iter().any(|e| e.last_end.is_none()));
        for e in &a.events {
            if let Some(end) = e.last_end {
                assert!((end - guard).abs() >= GUARD_MARGIN, "{}", e.description);
            }
        }
        let all = a.expected(None);
        let month = a.expected(Some(guard));
        assert_eq!(all.len(), 2000);
        assert!(
            month.len() < all.len() && month.len() > 500,
            "{}",
            month.len()
        );
        assert!(a
            .events
            .iter()
            .any(|e| e.kind.recurring() && e.last_end.is_some_and(|x| x < guard)));
        assert!(a
            .events
            .iter()
            .any(|e| e.kind.recurring() && e.last_end.is_some_and(|x| x > guard)));
    }

    #[test]
    fn lines_are_folded_crlf_and_subjects_carry_the_index() {
        let cal = sample(300, &[]);
        let text = cal.to_ical();
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n") && text.ends_with("END:VCALENDAR\r\n"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
            assert!(!line.contains('\n') && !line.contains('\r'));
        }
        for e in &cal.events {
            let summary = e
                .ical
                .lines()
                .find_map(|l| l.strip_prefix("SUMMARY:"))
                .unwrap();
            assert_eq!(subject_index(summary), Some(e.index));
            assert_eq!(
                e.ical.matches("BEGIN:VEVENT").count(),
                1 + e.moved,
                "{}",
                e.description
            );
        }
    }
}
