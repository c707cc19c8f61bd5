//! Expansion in the event's zone, against hand-checked series and against a day-by-day
//! reference over two years.

use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone as _, Utc, Weekday};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;
use crate::event::{Event, Exception, Override, When};
use crate::recurrence::{DaySet, Nth, Pattern, Recurrence, RecurrenceEnd};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn local(zone: Tz, y: i32, m: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<Utc> {
    resolve_local(zone, date(y, m, d).and_hms_opt(h, mi, 0).unwrap())
}

fn timed_series(zone: Tz, start: chrono::DateTime<Utc>, minutes: i64, rec: Recurrence) -> Event {
    let mut e = Event::new(When::timed(start, start + Duration::minutes(minutes)).unwrap());
    e.time_zone = Some(zone);
    e.recurrence = Some(rec);
    e
}

fn starts(e: &Event) -> Vec<Moment> {
    e.occurrences().map(|o| o.when.start()).collect()
}

#[test]
fn a_weekly_paris_meeting_stays_at_nine_local_across_daylight_saving() {
    let paris = chrono_tz::Europe::Paris;
    let rec = Recurrence::new(Pattern::Weekly {
        days: DaySet::of(Weekday::Thu),
    })
    .with_end(RecurrenceEnd::Count(4));
    // 19 March 2026 is before the change (UTC+1), 26 March after it (29 March, UTC+2).
    let e = timed_series(paris, local(paris, 2026, 3, 19, 9, 0), 60, rec);
    let utc: Vec<String> = e
        .occurrences()
        .map(|o| o.when.start().to_string())
        .collect();
    assert_eq!(
        utc,
        [
            "2026-03-19T08:00:00Z",
            "2026-03-26T08:00:00Z",
            "2026-04-02T07:00:00Z",
            "2026-04-09T07:00:00Z"
        ]
    );
    for o in e.occurrences() {
        let Moment::At(t) = o.when.start() else {
            panic!("timed")
        };
        assert_eq!(
            to_local(paris, t).time(),
            NaiveTime::from_hms_opt(9, 0, 0).unwrap()
        );
        assert_eq!(o.when.duration(), Duration::hours(1));
    }
}

#[test]
fn days_are_local_days_not_utc_days() {
    // Monday 23:30 in New York is Tuesday in UTC; the series is on Mondays (PIM_FACTS 6.7).
    let ny = chrono_tz::America::New_York;
    let rec = Recurrence::new(Pattern::Weekly {
        days: DaySet::of(Weekday::Mon),
    })
    .with_end(RecurrenceEnd::Count(3));
    let e = timed_series(ny, local(ny, 2026, 6, 1, 23, 30), 30, rec);
    for o in e.occurrences() {
        let Moment::At(t) = o.when.start() else {
            panic!("timed")
        };
        assert_eq!(to_local(ny, t).weekday(), Weekday::Mon);
        assert_eq!(t.weekday(), Weekday::Tue);
    }
}

#[test]
fn the_last_friday_and_the_last_day_of_the_month() {
    let utc = Tz::UTC;
    let last_friday = Recurrence::new(Pattern::MonthlyNth {
        week: Nth::LAST,
        days: DaySet::of(Weekday::Fri),
    })
    .with_end(RecurrenceEnd::Count(3));
    let e = timed_series(utc, local(utc, 2026, 1, 1, 10, 0), 30, last_friday);
    let days: Vec<u32> = e
        .occurrences()
        .map(|o| o.when.start().instant().unwrap().day())
        .collect();
    assert_eq!(days, [30, 27, 27]);

    let last_day = Recurrence::new(Pattern::MonthlyNth {
        week: Nth::LAST,
        days: DaySet::ALL,
    })
    .with_end(RecurrenceEnd::Count(3));
    let mut e = Event::new(When::all_day_for(date(2028, 1, 31), 1));
    e.recurrence = Some(last_day);
    assert_eq!(
        starts(&e),
        [
            Moment::On(date(2028, 1, 31)),
            Moment::On(date(2028, 2, 29)),
            Moment::On(date(2028, 3, 31))
        ]
    );
}

#[test]
fn the_second_weekday_of_the_month() {
    let rec = Recurrence::new(Pattern::MonthlyNth {
        week: Nth::new(2).unwrap(),
        days: DaySet::WEEKDAYS,
    })
    .with_end(RecurrenceEnd::Count(2));
    let mut e = Event::new(When::all_day_for(date(2026, 8, 1), 1));
    e.recurrence = Some(rec);
    // 1 August 2026 is a Saturday: the weekdays are the 3rd, 4th, ...; September starts on a
    // Tuesday.
    assert_eq!(
        starts(&e),
        [Moment::On(date(2026, 8, 4)), Moment::On(date(2026, 9, 2))]
    );
}

#[test]
fn the_31st_skips_short_months_and_29_february_waits_for_leap_years() {
    let mut e = Event::new(When::all_day_for(date(2026, 1, 31), 1));
    e.recurrence =
        Some(Recurrence::new(Pattern::Monthly { day: 31 }).with_end(RecurrenceEnd::Count(3)));
    assert_eq!(
        starts(&e),
        [
            Moment::On(date(2026, 1, 31)),
            Moment::On(date(2026, 3, 31)),
            Moment::On(date(2026, 5, 31))
        ]
    );
    e.when = When::all_day_for(date(2024, 2, 29), 1);
    e.recurrence = Some(
        Recurrence::new(Pattern::Yearly { month: 2, day: 29 }).with_end(RecurrenceEnd::Count(2)),
    );
    assert_eq!(
        starts(&e),
        [Moment::On(date(2024, 2, 29)), Moment::On(date(2028, 2, 29))]
    );
}

#[test]
fn a_start_in_the_spring_gap_moves_forward_by_the_gap() {
    let paris = chrono_tz::Europe::Paris;
    // 29 March 2026, 02:30 does not exist in Paris.
    let t = resolve_local(paris, date(2026, 3, 29).and_hms_opt(2, 30, 0).unwrap());
    assert_eq!(
        to_local(paris, t).time(),
        NaiveTime::from_hms_opt(3, 30, 0).unwrap()
    );
    // 25 October 2026, 02:30 exists twice: the first (summer time) is taken.
    let t = resolve_local(paris, date(2026, 10, 25).and_hms_opt(2, 30, 0).unwrap());
    assert_eq!(t, Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap());
}

#[test]
fn exceptions_move_and_delete_occurrences() {
    let paris = chrono_tz::Europe::Paris;
    let rec = Recurrence::new(Pattern::Daily).with_end(RecurrenceEnd::Count(5));
    let mut e = timed_series(paris, local(paris, 2026, 5, 4, 9, 0), 30, rec);
    e.exceptions.insert(
        Moment::At(local(paris, 2026, 5, 5, 9, 0)),
        Exception::deleted(),
    );
    let moved = When::timed(
        local(paris, 2026, 5, 6, 14, 0),
        local(paris, 2026, 5, 6, 15, 0),
    )
    .unwrap();
    e.exceptions.insert(
        Moment::At(local(paris, 2026, 5, 6, 9, 0)),
        Exception {
            when: Some(moved),
            subject: Override::Set("Later".into()),
            ..Exception::default()
        },
    );
    let occ: Vec<_> = e.occurrences().collect();
    assert_eq!(occ.len(), 4, "five occurrences, one deleted");
    assert_eq!(occ[1].when, moved);
    assert_eq!(occ[1].original, Moment::At(local(paris, 2026, 5, 6, 9, 0)));
    assert!(occ[1].exception.is_some());
    assert_eq!(
        e.last_end(),
        Some(local(paris, 2026, 5, 8, 9, 30)),
        "the count includes the deleted occurrence"
    );
}

#[test]
fn a_moved_occurrence_is_found_in_a_window_its_original_start_is_not_in() {
    let utc = Tz::UTC;
    let rec = Recurrence::new(Pattern::Weekly {
        days: DaySet::of(Weekday::Mon),
    });
    let mut e = timed_series(utc, local(utc, 2026, 1, 5, 9, 0), 60, rec);
    // The occurrence of 19 January moved a week earlier, to 12 January 15:00.
    let moved = When::timed(
        local(utc, 2026, 1, 12, 15, 0),
        local(utc, 2026, 1, 12, 16, 0),
    )
    .unwrap();
    e.exceptions.insert(
        Moment::At(local(utc, 2026, 1, 19, 9, 0)),
        Exception {
            when: Some(moved),
            ..Exception::default()
        },
    );
    let window = e.occurrences_between(
        local(utc, 2026, 1, 12, 0, 0),
        local(utc, 2026, 1, 13, 0, 0),
        utc,
    );
    let whens: Vec<When> = window.iter().map(|o| o.when).collect();
    assert_eq!(
        whens,
        [
            When::timed(
                local(utc, 2026, 1, 12, 9, 0),
                local(utc, 2026, 1, 12, 10, 0)
            )
            .unwrap(),
            moved
        ]
    );
    // An exception at a time that is not an occurrence is not one.
    e.exceptions.insert(
        Moment::At(local(utc, 2026, 1, 20, 9, 0)),
        Exception {
            when: Some(moved),
            ..Exception::default()
        },
    );
    assert!(!e.has_occurrence(Moment::At(local(utc, 2026, 1, 20, 9, 0))));
    assert_eq!(
        e.occurrences_between(
            local(utc, 2026, 1, 12, 0, 0),
            local(utc, 2026, 1, 13, 0, 0),
            utc
        )
        .len(),
        2
    );
}

#[test]
fn the_last_end_of_single_events_and_series() {
    let utc = Tz::UTC;
    let single = Event::new(
        When::timed(local(utc, 2026, 1, 5, 9, 0), local(utc, 2026, 1, 5, 10, 0)).unwrap(),
    );
    assert_eq!(single.last_end(), Some(local(utc, 2026, 1, 5, 10, 0)));

    let day = Event::new(When::all_day_for(date(2026, 1, 5), 3));
    assert_eq!(
        day.last_end(),
        Some(Utc.with_ymd_and_hms(2026, 1, 8, 12, 0, 0).unwrap()),
        "the 7th is over everywhere at noon UTC on the 8th"
    );

    let mut endless = single.clone();
    endless.recurrence = Some(Recurrence::new(Pattern::Daily));
    assert_eq!(endless.last_end(), None);

    let mut until = single.clone();
    until.recurrence = Some(Recurrence::new(Pattern::Daily).with_interval(2).with_end(
        RecurrenceEnd::Until(Moment::At(local(utc, 2026, 1, 10, 9, 0))),
    ));
    // 5, 7, 9 January (the 11th is after Until).
    assert_eq!(until.last_end(), Some(local(utc, 2026, 1, 9, 10, 0)));

    let mut all_deleted = single.clone();
    all_deleted.recurrence =
        Some(Recurrence::new(Pattern::Daily).with_end(RecurrenceEnd::Count(1)));
    all_deleted.exceptions.insert(
        Moment::At(local(utc, 2026, 1, 5, 9, 0)),
        Exception::deleted(),
    );
    assert_eq!(all_deleted.occurrences().count(), 0);
    assert_eq!(all_deleted.last_end(), Some(local(utc, 2026, 1, 5, 10, 0)));

    let mut unexpressed = single.clone();
    unexpressed
        .ical
        .extra
        .push(crate::meta::Property::new("RRULE", "FREQ=HOURLY;COUNT=3"));
    assert_eq!(unexpressed.last_end(), None);
}

#[test]
fn an_until_date_bounds_an_all_day_series_inclusively() {
    let mut e = Event::new(When::all_day_for(date(2026, 12, 24), 2));
    e.recurrence = Some(
        Recurrence::new(Pattern::Yearly { month: 12, day: 24 })
            .with_end(RecurrenceEnd::Until(Moment::On(date(2028, 12, 24)))),
    );
    assert_eq!(e.occurrences().count(), 3);
    assert_eq!(
        e.last_end(),
        Some(Utc.with_ymd_and_hms(2028, 12, 26, 12, 0, 0).unwrap())
    );
}

// ---- the day-by-day reference ----

const ZONES: [Tz; 6] = [
    chrono_tz::Europe::Paris,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Sydney,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Pacific::Auckland,
    Tz::UTC,
];

fn months_between(a: NaiveDate, b: NaiveDate) -> i32 {
    (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32
}

/// Whether `d` is the nth (or last) day of its month with a weekday in `days`, counted by hand.
fn is_nth(d: NaiveDate, week: Nth, days: DaySet) -> bool {
    if !days.contains(d.weekday()) {
        return false;
    }
    let same_month = |x: &NaiveDate| x.month() == d.month();
    if week.is_last() {
        let mut x = d.succ_opt().unwrap();
        while same_month(&x) {
            if days.contains(x.weekday()) {
                return false;
            }
            x = x.succ_opt().unwrap();
        }
        true
    } else {
        let before = (1..d.day())
            .filter(|n| days.contains(date(d.year(), d.month(), *n).weekday()))
            .count();
        before + 1 == usize::from(week.week())
    }
}

/// Whether the pattern falls on `d`, for a series starting on `start`.
fn matches(rec: &Recurrence, start: NaiveDate, d: NaiveDate) -> bool {
    let i = i64::from(rec.interval);
    let months = i64::from(months_between(start, d));
    let years = i64::from(d.year() - start.year());
    match rec.pattern {
        Pattern::Daily => (d - start).num_days() % i == 0,
        Pattern::Weekly { days } => {
            let ws = rec.week_start().num_days_from_sunday() as i64;
            let week_of = |x: NaiveDate| {
                let back = (7 + x.weekday().num_days_from_sunday() as i64 - ws) % 7;
                (x - Duration::days(back)).num_days_from_ce() as i64
            };
            days.contains(d.weekday()) && ((week_of(d) - week_of(start)) / 7) % i == 0
        }
        Pattern::Monthly { day } => d.day() == u32::from(day) && months % i == 0,
        Pattern::MonthlyNth { week, days } => is_nth(d, week, days) && months % i == 0,
        Pattern::Yearly { month, day } => {
            d.month() == u32::from(month) && d.day() == u32::from(day) && years % i == 0
        }
        Pattern::YearlyNth { month, week, days } => {
            d.month() == u32::from(month) && is_nth(d, week, days) && years % i == 0
        }
    }
}

fn reference(e: &Event, days: i64) -> Vec<Moment> {
    let rec = e.recurrence.as_ref().unwrap();
    let zone = e.zone();
    let (start, time) = match e.when {
        When::Timed { start, .. } => {
            let l = to_local(zone, start);
            (l.date(), Some(l.time()))
        }
        When::AllDay { start, .. } => (start, None),
    };
    let mut out = Vec::new();
    for n in 0..days {
        let d = start + Duration::days(n);
        if !matches(rec, start, d) {
            continue;
        }
        let m = match time {
            Some(t) => Moment::At(resolve_local(zone, d.and_time(t))),
            None => Moment::On(d),
        };
        match rec.end {
            RecurrenceEnd::Count(c) if out.len() >= usize::from(c) => break,
            RecurrenceEnd::Until(u) if m > u => break,
            _ => {}
        }
        out.push(m);
    }
    out
}

fn day_set() -> impl Strategy<Value = DaySet> {
    (1u16..=127).prop_map(|b| DaySet::from_bits(b).unwrap())
}

fn pattern() -> impl Strategy<Value = Pattern> {
    let nth = (1u8..=5).prop_map(|w| Nth::new(w).unwrap());
    prop_oneof![
        Just(Pattern::Daily),
        day_set().prop_map(|days| Pattern::Weekly { days }),
        (1u8..=31).prop_map(|day| Pattern::Monthly { day }),
        (nth.clone(), day_set()).prop_map(|(week, days)| Pattern::MonthlyNth { week, days }),
        (1u8..=12, 1u8..=31)
            .prop_filter("a day the month has", |(m, d)| *d
                <= match m {
                    2 => 29,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                })
            .prop_map(|(month, day)| Pattern::Yearly { month, day }),
        (1u8..=12, nth, day_set()).prop_map(|(month, week, days)| Pattern::YearlyNth {
            month,
            week,
            days
        }),
    ]
}

fn series() -> impl Strategy<Value = Event> {
    (
        pattern(),
        1u16..=4,
        0usize..6,
        0i64..1461,
        0u32..24,
        prop_oneof![Just(0u32), Just(30u32), Just(45u32)],
        any::<bool>(),
        prop_oneof![Just(None), (1u16..80).prop_map(Some),],
        prop_oneof![Just(None), (0i64..900).prop_map(Some)],
        proptest::option::of(0u8..7),
    )
        .prop_map(
            |(pattern, interval, z, day, hour, minute, all_day, count, until, fdow)| {
                let zone = ZONES[z];
                let start = date(2024, 1, 1) + Duration::days(day);
                let mut rec = Recurrence::new(pattern).with_interval(interval);
                rec.first_day_of_week = fdow;
                let mut e = if all_day {
                    Event::new(When::all_day_for(start, 1))
                } else {
                    let s = resolve_local(zone, start.and_hms_opt(hour, minute, 0).unwrap());
                    Event::new(When::timed(s, s + Duration::minutes(45)).unwrap())
                };
                e.time_zone = Some(zone);
                rec.end = match (count, until) {
                    (Some(c), _) => RecurrenceEnd::Count(c),
                    (None, Some(d)) => {
                        let u = start + Duration::days(d);
                        if all_day {
                            RecurrenceEnd::Until(Moment::On(u))
                        } else {
                            RecurrenceEnd::Until(Moment::At(resolve_local(
                                zone,
                                u.and_hms_opt(hour, minute, 0).unwrap(),
                            )))
                        }
                    }
                    (None, None) => RecurrenceEnd::Never,
                };
                e.recurrence = Some(rec);
                e
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn expansion_matches_the_day_by_day_reference_over_two_years(e in series()) {
        let days = 731;
        let expected = reference(&e, days);
        let start = match e.when {
            When::Timed { start, .. } => to_local(e.zone(), start).date(),
            When::AllDay { start, .. } => start,
        };
        let horizon = start + Duration::days(days);
        let got: Vec<Moment> = e
            .occurrences()
            .map(|o| o.original)
            .take_while(|m| match m {
                Moment::At(t) => to_local(e.zone(), *t).date() < horizon,
                Moment::On(d) => *d < horizon,
            })
            .collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn timed_occurrences_keep_the_local_start_time(e in series()) {
        let zone = e.zone();
        if let When::Timed { start, end } = e.when {
            let time = to_local(zone, start).time();
            for o in e.occurrences().take(60) {
                let Moment::At(t) = o.original else { panic!("timed") };
                let l = to_local(zone, t);
                // Only a start in the spring-forward gap moves, by the gap.
                if l.time() != time {
                    let naive = l.date().and_time(time);
                    prop_assert!(matches!(zone.from_local_datetime(&naive), LocalResult::None));
                }
                prop_assert_eq!(o.when.duration(), end - start);
            }
        }
    }

    #[test]
    fn the_window_holds_exactly_the_overlapping_occurrences(
        e in series(),
        from_days in 0i64..700,
        len_hours in 1i64..2000,
    ) {
        let from = Utc.from_utc_datetime(&date(2024, 1, 1).and_hms_opt(0, 0, 0).unwrap())
            + Duration::days(from_days);
        let to = from + Duration::hours(len_hours);
        let zone = e.zone();
        let all: Vec<When> = e
            .occurrences()
            .take_while(|o| span_in(&o.when, zone).0 < to)
            .map(|o| o.when)
            .filter(|w| {
                let (s, en) = span_in(w, zone);
                s < to && (en > from || (en == s && s >= from))
            })
            .collect();
        let got: Vec<When> = e.occurrences_between(from, to, zone).iter().map(|o| o.when).collect();
        prop_assert_eq!(got, all);
    }

    #[test]
    fn the_last_end_is_the_end_of_the_last_occurrence(e in series()) {
        let rec = e.recurrence.as_ref().unwrap();
        if rec.end.is_never() {
            prop_assert_eq!(e.last_end(), None);
        } else if let Some(last) = e.occurrences().last() {
            let expected = match last.when {
                When::Timed { end, .. } => end,
                When::AllDay { end, .. } => date_end_anywhere(end),
            };
            prop_assert_eq!(e.last_end(), Some(expected));
        }
    }
}

#[test]
fn a_series_until_year_9999_is_bounded_without_expanding_it() {
    let utc = Tz::UTC;
    let mut e = Event::new(
        When::timed(local(utc, 2026, 1, 5, 9, 0), local(utc, 2026, 1, 5, 10, 0)).unwrap(),
    );
    let until = Utc.with_ymd_and_hms(9999, 12, 31, 9, 0, 0).unwrap();
    e.recurrence =
        Some(Recurrence::new(Pattern::Daily).with_end(RecurrenceEnd::Until(Moment::At(until))));
    // The last occurrence starts at Until and lasts an hour: the bound is exact here.
    assert_eq!(e.last_end(), Some(until + chrono::Duration::hours(1)));

    // Past the exact limit, the bound is never before the true end: a daily series of six
    // years (2,191 occurrences) whose Until falls between two occurrences.
    let mut six = e.clone();
    let six_until = local(utc, 2032, 1, 5, 12, 0);
    six.recurrence =
        Some(Recurrence::new(Pattern::Daily).with_end(RecurrenceEnd::Until(Moment::At(six_until))));
    let exact = six.occurrences().map(|o| match o.when {
        When::Timed { end, .. } => end,
        When::AllDay { .. } => unreachable!(),
    });
    let exact = exact.max().unwrap();
    assert_eq!(exact, local(utc, 2032, 1, 5, 10, 0));
    let bound = six.last_end().unwrap();
    assert!(
        bound >= exact && bound <= six_until + chrono::Duration::hours(1),
        "{bound}"
    );
}
