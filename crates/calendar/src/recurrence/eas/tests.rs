//! The Recurrence element: each Sync status 6 case of MS-ASCAL 3.2.5.3, the 16.x forms, the
//! bounds clients send, and what responses carry.

use chrono::{NaiveDate, TimeZone as _, Utc, Weekday};
use chrono_tz::Tz;
use eas_protocol::ProtocolVersion;
use eas_wbxml::tags::calendar as cal;
use eas_wbxml::Element;

use super::*;
use crate::recurrence::expand::resolve_local;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn timed() -> When {
    let s = Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).unwrap();
    When::timed(s, s + chrono::Duration::hours(1)).unwrap()
}

fn element(children: &[(eas_wbxml::Tag, &str)]) -> Element {
    let mut el = Element::new(cal::RECURRENCE);
    for (t, v) in children {
        el.push_text(*t, *v);
    }
    el
}

fn read(children: &[(eas_wbxml::Tag, &str)]) -> Result<Recurrence, RecurrenceError> {
    RecurrenceElements::from_element(&element(children))?.to_recurrence(
        &timed(),
        chrono_tz::Europe::Paris,
        true,
        0,
    )
}

#[test]
fn every_pattern_type_is_read() {
    let weekly = read(&[
        (cal::TYPE, "1"),
        (cal::DAY_OF_WEEK, "34"),
        (cal::INTERVAL, "2"),
    ])
    .unwrap();
    assert_eq!(
        weekly.pattern,
        Pattern::Weekly {
            days: DaySet::of(Weekday::Mon).with(Weekday::Fri)
        }
    );
    assert_eq!(weekly.interval, 2);
    assert_eq!(read(&[(cal::TYPE, "0")]).unwrap().pattern, Pattern::Daily);
    assert_eq!(
        read(&[(cal::TYPE, "0"), (cal::DAY_OF_WEEK, "62")])
            .unwrap()
            .pattern,
        Pattern::Weekly {
            days: DaySet::WEEKDAYS
        },
        "type 0 with days is weekly (R3892312)"
    );
    assert_eq!(
        read(&[(cal::TYPE, "2"), (cal::DAY_OF_MONTH, "15")])
            .unwrap()
            .pattern,
        Pattern::Monthly { day: 15 }
    );
    assert_eq!(
        read(&[
            (cal::TYPE, "3"),
            (cal::WEEK_OF_MONTH, "5"),
            (cal::DAY_OF_WEEK, "127")
        ])
        .unwrap()
        .pattern,
        Pattern::MonthlyNth {
            week: Nth::LAST,
            days: DaySet::ALL
        },
        "the last day of the month"
    );
    assert_eq!(
        read(&[
            (cal::TYPE, "5"),
            (cal::MONTH_OF_YEAR, "2"),
            (cal::DAY_OF_MONTH, "29")
        ])
        .unwrap()
        .pattern,
        Pattern::Yearly { month: 2, day: 29 }
    );
    // Type 6 without DayOfWeek: the weekday of the local start (Tuesday 10 March in Paris).
    assert_eq!(
        read(&[
            (cal::TYPE, "6"),
            (cal::MONTH_OF_YEAR, "3"),
            (cal::WEEK_OF_MONTH, "2")
        ])
        .unwrap()
        .pattern,
        Pattern::YearlyNth {
            month: 3,
            week: Nth::new(2).unwrap(),
            days: DaySet::of(Weekday::Tue)
        }
    );
}

#[test]
fn the_status_6_cases_of_3_2_5_3_are_typed_errors() {
    let cases: Vec<(Vec<(eas_wbxml::Tag, &str)>, RecurrenceError)> = vec![
        (
            vec![
                (cal::TYPE, "2"),
                (cal::DAY_OF_MONTH, "1"),
                (cal::CALENDAR_TYPE, "1"),
                (cal::CALENDAR_TYPE, "1"),
            ],
            RecurrenceError::SeveralCalendarTypes(2),
        ),
        (
            vec![
                (cal::TYPE, "2"),
                (cal::DAY_OF_MONTH, "1"),
                (cal::CALENDAR_TYPE, "13"),
            ],
            RecurrenceError::BadCalendarType(13),
        ),
        (
            vec![
                (cal::TYPE, "2"),
                (cal::DAY_OF_MONTH, "1"),
                (cal::CALENDAR_TYPE, "21"),
            ],
            RecurrenceError::BadCalendarType(21),
        ),
        (
            vec![
                (cal::TYPE, "1"),
                (cal::DAY_OF_WEEK, "2"),
                (cal::FIRST_DAY_OF_WEEK, "7"),
            ],
            RecurrenceError::BadFirstDayOfWeek(7),
        ),
        (
            vec![
                (cal::TYPE, "1"),
                (cal::DAY_OF_WEEK, "2"),
                (cal::DAY_OF_MONTH, "3"),
            ],
            RecurrenceError::NotForType {
                element: "DayOfMonth",
                recurrence_type: 1,
            },
        ),
        (
            vec![
                (cal::TYPE, "2"),
                (cal::DAY_OF_MONTH, "3"),
                (cal::DAY_OF_WEEK, "2"),
            ],
            RecurrenceError::NotForType {
                element: "DayOfWeek",
                recurrence_type: 2,
            },
        ),
        (
            vec![
                (cal::TYPE, "3"),
                (cal::WEEK_OF_MONTH, "1"),
                (cal::DAY_OF_WEEK, "2"),
                (cal::MONTH_OF_YEAR, "4"),
            ],
            RecurrenceError::NotForType {
                element: "MonthOfYear",
                recurrence_type: 3,
            },
        ),
        (
            vec![
                (cal::TYPE, "5"),
                (cal::MONTH_OF_YEAR, "4"),
                (cal::DAY_OF_MONTH, "1"),
                (cal::WEEK_OF_MONTH, "1"),
            ],
            RecurrenceError::NotForType {
                element: "WeekOfMonth",
                recurrence_type: 5,
            },
        ),
        (vec![(cal::TYPE, "4")], RecurrenceError::BadType(4)),
        (vec![(cal::INTERVAL, "1")], RecurrenceError::MissingType),
        (
            vec![(cal::TYPE, "1")],
            RecurrenceError::Missing {
                element: "DayOfWeek",
                recurrence_type: 1,
            },
        ),
        (
            vec![(cal::TYPE, "1"), (cal::DAY_OF_WEEK, "128")],
            RecurrenceError::OutOfRange {
                element: "DayOfWeek",
                value: 128,
            },
        ),
        (
            vec![
                (cal::TYPE, "3"),
                (cal::WEEK_OF_MONTH, "6"),
                (cal::DAY_OF_WEEK, "2"),
            ],
            RecurrenceError::OutOfRange {
                element: "WeekOfMonth",
                value: 6,
            },
        ),
        (
            vec![
                (cal::TYPE, "5"),
                (cal::MONTH_OF_YEAR, "2"),
                (cal::DAY_OF_MONTH, "30"),
            ],
            RecurrenceError::NoSuchDay { month: 2, day: 30 },
        ),
        (
            vec![(cal::TYPE, "0"), (cal::OCCURRENCES, "1000")],
            RecurrenceError::OutOfRange {
                element: "Occurrences",
                value: 1000,
            },
        ),
        (
            vec![(cal::TYPE, "x")],
            RecurrenceError::NotANumber {
                element: "Type",
                value: "x".into(),
            },
        ),
    ];
    for (children, want) in cases {
        let got = read(&children).expect_err("refused");
        assert_eq!(got, want);
        assert_eq!(
            got.sync_status(),
            eas_protocol::status::SyncStatus::ConversionError
        );
    }
    assert_eq!(
        RecurrenceElements::from_element(&element(&[(cal::UNTIL, "tomorrow")])),
        Err(RecurrenceError::BadUntil("tomorrow".into()))
    );
}

#[test]
fn occurrences_win_over_until_and_interval_0_is_1() {
    let r = read(&[
        (cal::TYPE, "0"),
        (cal::OCCURRENCES, "5"),
        (cal::UNTIL, "20260401T000000Z"),
        (cal::INTERVAL, "0"),
    ])
    .unwrap();
    assert_eq!(r.end, RecurrenceEnd::Count(5));
    assert_eq!(r.interval, 1);
}

#[test]
fn at_16_the_type_may_be_left_out() {
    let read16 = |children: &[(eas_wbxml::Tag, &str)]| {
        RecurrenceElements::from_element(&element(children))
            .unwrap()
            .to_recurrence(&timed(), Tz::UTC, false, 0)
            .unwrap()
            .pattern
    };
    assert_eq!(read16(&[(cal::INTERVAL, "2")]), Pattern::Daily);
    assert_eq!(
        read16(&[(cal::DAY_OF_WEEK, "4")]),
        Pattern::Weekly {
            days: DaySet::of(Weekday::Tue)
        }
    );
    assert_eq!(
        read16(&[(cal::DAY_OF_MONTH, "9")]),
        Pattern::Monthly { day: 9 }
    );
    assert_eq!(
        read16(&[(cal::DAY_OF_MONTH, "9"), (cal::MONTH_OF_YEAR, "3")]),
        Pattern::Yearly { month: 3, day: 9 }
    );
    assert!(
        RecurrenceElements::from_element(&Element::new(cal::RECURRENCE))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn until_is_read_as_the_bound_clients_mean() {
    let paris = chrono_tz::Europe::Paris;
    let rec = |until: &str, when: &When| {
        RecurrenceElements::from_element(&element(&[(cal::TYPE, "0"), (cal::UNTIL, until)]))
            .unwrap()
            .to_recurrence(when, paris, true, 0)
            .unwrap()
            .end
    };
    // A timed series: an instant stays an instant, a bare date bounds by the local day.
    assert_eq!(
        rec("20260320T080000Z", &timed()),
        RecurrenceEnd::Until(Moment::At(
            Utc.with_ymd_and_hms(2026, 3, 20, 8, 0, 0).unwrap()
        ))
    );
    assert_eq!(
        rec("20260320T000000Z", &timed()),
        RecurrenceEnd::Until(Moment::On(date(2026, 3, 20)))
    );
    // An all-day series: local midnight in the zone (a 14.1 phone's last start), or the date
    // of 16.x.
    let all_day = When::all_day_for(date(2026, 3, 10), 1);
    assert_eq!(
        rec("20260319T230000Z", &all_day),
        RecurrenceEnd::Until(Moment::On(date(2026, 3, 20)))
    );
    assert_eq!(
        rec("20260320", &all_day),
        RecurrenceEnd::Until(Moment::On(date(2026, 3, 20)))
    );
    assert_eq!(
        rec("20260320T235959Z", &all_day),
        RecurrenceEnd::Until(Moment::On(date(2026, 3, 20)))
    );
}

#[test]
fn responses_carry_what_the_type_requires() {
    let weekly = Recurrence::new(Pattern::Weekly {
        days: DaySet::of(Weekday::Tue),
    });
    let out = RecurrenceElements::from_recurrence(
        &weekly,
        &timed(),
        Tz::UTC,
        ProtocolVersion::V14_1,
        None,
    );
    assert_eq!(out.recurrence_type, Some(1));
    assert_eq!(out.day_of_week, Some(4));
    assert_eq!(
        out.first_day_of_week,
        Some(0),
        "R52523: the week start the occurrences use, Sunday by default"
    );
    assert!(out.calendar_type.is_empty());
    // A client that leaves FirstDayOfWeek out gets the user's preference (R52524), kept.
    let read =
        RecurrenceElements::from_element(&element(&[(cal::TYPE, "1"), (cal::DAY_OF_WEEK, "4")]))
            .unwrap()
            .to_recurrence(&timed(), Tz::UTC, true, 1)
            .unwrap();
    assert_eq!(read.first_day_of_week, Some(1));
    let again =
        RecurrenceElements::from_recurrence(&read, &timed(), Tz::UTC, ProtocolVersion::V14_1, None);
    assert_eq!(again.first_day_of_week, Some(1));
    let out12 = RecurrenceElements::from_recurrence(
        &weekly,
        &timed(),
        Tz::UTC,
        ProtocolVersion::V12_1,
        None,
    );
    assert_eq!(out12.first_day_of_week, None, "not before 14.1");

    let monthly = Recurrence::new(Pattern::MonthlyNth {
        week: Nth::LAST,
        days: DaySet::ALL,
    });
    let out = RecurrenceElements::from_recurrence(
        &monthly,
        &timed(),
        Tz::UTC,
        ProtocolVersion::V16_1,
        None,
    );
    assert_eq!(out.calendar_type, vec![0], "R143: CalendarType for type 3");
    assert_eq!((out.week_of_month, out.day_of_week), (Some(5), Some(127)));
    assert_eq!(out.day_of_month, None);

    let daily = Recurrence::new(Pattern::Daily);
    let out = RecurrenceElements::from_recurrence(
        &daily,
        &timed(),
        Tz::UTC,
        ProtocolVersion::V14_1,
        None,
    );
    assert_eq!(out.day_of_week, Some(127));
    let out = RecurrenceElements::from_recurrence(
        &daily.with_interval(3),
        &timed(),
        Tz::UTC,
        ProtocolVersion::V14_1,
        None,
    );
    assert_eq!((out.day_of_week, out.interval), (None, Some(3)));
}

#[test]
fn until_is_written_for_the_version() {
    let paris = chrono_tz::Europe::Paris;
    let all_day = When::all_day_for(date(2026, 3, 10), 1);
    let rec = Recurrence::new(Pattern::Daily)
        .with_end(RecurrenceEnd::Until(Moment::On(date(2026, 3, 20))));
    let at14 = RecurrenceElements::from_recurrence(
        &rec,
        &all_day,
        paris,
        ProtocolVersion::V14_1,
        Some(paris),
    );
    assert_eq!(
        at14.until,
        Some(Utc.with_ymd_and_hms(2026, 3, 19, 23, 0, 0).unwrap())
    );
    let at16 =
        RecurrenceElements::from_recurrence(&rec, &all_day, paris, ProtocolVersion::V16_1, None);
    assert_eq!(
        at16.until,
        Some(Utc.with_ymd_and_hms(2026, 3, 20, 0, 0, 0).unwrap())
    );
    assert!(at16
        .to_element()
        .children_of(cal::UNTIL)
        .any(|u| u.text_content().as_deref() == Some("20260320T000000Z")));
    // A date bound of a timed series: the last second of that local day.
    let timed_out =
        RecurrenceElements::from_recurrence(&rec, &timed(), paris, ProtocolVersion::V14_1, None);
    assert_eq!(
        timed_out.until,
        Some(
            resolve_local(paris, date(2026, 3, 21).and_hms_opt(0, 0, 0).unwrap())
                - chrono::Duration::seconds(1)
        )
    );
}

#[test]
fn what_is_written_reads_back_the_same() {
    let paris = chrono_tz::Europe::Paris;
    let patterns = [
        Pattern::Daily,
        Pattern::Weekly {
            days: DaySet::WEEKEND,
        },
        Pattern::Monthly { day: 31 },
        Pattern::MonthlyNth {
            week: Nth::new(2).unwrap(),
            days: DaySet::WEEKDAYS,
        },
        Pattern::Yearly { month: 12, day: 25 },
        Pattern::YearlyNth {
            month: 11,
            week: Nth::new(4).unwrap(),
            days: DaySet::of(Weekday::Thu),
        },
    ];
    for p in patterns {
        for end in [
            RecurrenceEnd::Never,
            RecurrenceEnd::Count(12),
            RecurrenceEnd::Until(Moment::At(
                Utc.with_ymd_and_hms(2027, 1, 1, 8, 0, 0).unwrap(),
            )),
        ] {
            for interval in [1, 2] {
                let mut rec = Recurrence::new(p).with_interval(interval).with_end(end);
                rec.first_day_of_week = Some(1);
                rec.calendar_type = Some(1);
                let el = RecurrenceElements::from_recurrence(
                    &rec,
                    &timed(),
                    paris,
                    ProtocolVersion::V16_1,
                    None,
                )
                .to_element();
                let back = RecurrenceElements::from_element(&el)
                    .unwrap()
                    .to_recurrence(&timed(), paris, true, 0)
                    .unwrap();
                assert_eq!(back, rec, "{p:?} {end:?}");
            }
        }
    }
}
