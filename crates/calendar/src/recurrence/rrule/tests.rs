//! RRULE text both ways: every EAS pattern, the parts taken from the local start, and the rules
//! EAS cannot say.

use chrono::{NaiveDate, TimeZone as _, Utc, Weekday};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn timed_at(zone: Tz, y: i32, m: u32, d: u32, h: u32, mi: u32) -> When {
    let s = resolve_local(zone, date(y, m, d).and_hms_opt(h, mi, 0).unwrap());
    When::timed(s, s + Duration::hours(1)).unwrap()
}

#[test]
fn eas_patterns_are_written_as_rfc_5545_rules() {
    let when = timed_at(Tz::UTC, 2026, 3, 10, 9, 0);
    let w = |p: Pattern| to_rrule(&Recurrence::new(p), &when, Tz::UTC);
    assert_eq!(w(Pattern::Daily), "FREQ=DAILY");
    assert_eq!(
        w(Pattern::Weekly {
            days: DaySet::of(Weekday::Mon).with(Weekday::Fri)
        }),
        "FREQ=WEEKLY;BYDAY=MO,FR;WKST=SU"
    );
    assert_eq!(
        w(Pattern::Monthly { day: 15 }),
        "FREQ=MONTHLY;BYMONTHDAY=15"
    );
    assert_eq!(
        w(Pattern::MonthlyNth {
            week: Nth::LAST,
            days: DaySet::of(Weekday::Fri)
        }),
        "FREQ=MONTHLY;BYDAY=-1FR"
    );
    assert_eq!(
        w(Pattern::MonthlyNth {
            week: Nth::LAST,
            days: DaySet::ALL
        }),
        "FREQ=MONTHLY;BYMONTHDAY=-1"
    );
    let second_day = Pattern::MonthlyNth {
        week: Nth::new(2).unwrap(),
        days: DaySet::ALL,
    };
    assert_eq!(
        w(second_day),
        "FREQ=MONTHLY;BYDAY=SU,MO,TU,WE,TH,FR,SA;BYSETPOS=2"
    );
    assert_eq!(
        from_rrule(&w(second_day), &when, Tz::UTC).unwrap().pattern,
        second_day
    );
    assert_eq!(
        w(Pattern::MonthlyNth {
            week: Nth::new(2).unwrap(),
            days: DaySet::WEEKDAYS
        }),
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=2"
    );
    assert_eq!(
        w(Pattern::YearlyNth {
            month: 11,
            week: Nth::new(4).unwrap(),
            days: DaySet::of(Weekday::Thu)
        }),
        "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH"
    );
    let rec = Recurrence::new(Pattern::Yearly { month: 12, day: 25 })
        .with_interval(2)
        .with_end(RecurrenceEnd::Count(10));
    assert_eq!(
        to_rrule(&rec, &when, Tz::UTC),
        "FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=12;BYMONTHDAY=25"
    );
}

#[test]
fn until_has_the_value_type_of_the_start() {
    let paris = chrono_tz::Europe::Paris;
    let all_day = When::all_day_for(date(2026, 3, 10), 1);
    let rec = Recurrence::new(Pattern::Daily)
        .with_end(RecurrenceEnd::Until(Moment::On(date(2026, 3, 20))));
    assert_eq!(to_rrule(&rec, &all_day, paris), "FREQ=DAILY;UNTIL=20260320");
    // A date bound of a timed series: the last second of that day in Paris.
    assert_eq!(
        to_rrule(&rec, &timed_at(paris, 2026, 3, 10, 9, 0), paris),
        "FREQ=DAILY;UNTIL=20260320T225959Z"
    );
    let back = from_rrule(
        "FREQ=DAILY;UNTIL=20260320T090000",
        &timed_at(paris, 2026, 3, 10, 9, 0),
        paris,
    )
    .unwrap();
    assert_eq!(
        back.end,
        RecurrenceEnd::Until(Moment::At(
            Utc.with_ymd_and_hms(2026, 3, 20, 8, 0, 0).unwrap()
        )),
        "a floating UNTIL is local time"
    );
}

#[test]
fn missing_parts_come_from_the_local_start() {
    // Monday 1 June 2026, 23:30 in New York is Tuesday 03:30 UTC.
    let ny = chrono_tz::America::New_York;
    let when = timed_at(ny, 2026, 6, 1, 23, 30);
    assert_eq!(
        from_rrule("FREQ=WEEKLY", &when, ny).unwrap().pattern,
        Pattern::Weekly {
            days: DaySet::of(Weekday::Mon)
        }
    );
    // The 31st of May at 22:00 in New York is the 1st of June in UTC.
    let when = timed_at(ny, 2026, 5, 31, 22, 0);
    assert_eq!(
        from_rrule("FREQ=MONTHLY", &when, ny).unwrap().pattern,
        Pattern::Monthly { day: 31 }
    );
    assert_eq!(
        from_rrule("FREQ=YEARLY", &when, ny).unwrap().pattern,
        Pattern::Yearly { month: 5, day: 31 }
    );
    assert_eq!(
        from_rrule("FREQ=WEEKLY", &when, ny)
            .unwrap()
            .first_day_of_week,
        Some(1),
        "RFC 5545 weeks start on Monday without WKST"
    );
}

#[test]
fn rules_eas_cannot_say_are_reported() {
    let when = timed_at(Tz::UTC, 2026, 3, 10, 9, 0);
    for rule in [
        "FREQ=HOURLY",
        "FREQ=DAILY;BYHOUR=9,17",
        "FREQ=MONTHLY;BYMONTHDAY=1,15",
        "FREQ=MONTHLY;BYDAY=5MO",
        "FREQ=MONTHLY;BYDAY=1MO,3MO",
        "FREQ=MONTHLY;BYDAY=MO",
        "FREQ=YEARLY;BYMONTH=1,7",
        "FREQ=YEARLY;BYDAY=20MO",
        "FREQ=YEARLY;BYWEEKNO=20",
        "FREQ=DAILY;INTERVAL=2;BYDAY=MO,TU",
        "FREQ=DAILY;COUNT=1000",
    ] {
        assert!(
            matches!(
                from_rrule(rule, &when, Tz::UTC),
                Err(RRuleError::Unexpressible(_))
            ),
            "{rule}"
        );
    }
    for rule in [
        "",
        "FREQ=FORTNIGHTLY",
        "FREQ=DAILY;COUNT=x",
        "FREQ=WEEKLY;BYDAY=XX",
        "BYDAY=MO",
        "FREQ=DAILY;COUNT=2;UNTIL=20260101",
    ] {
        assert!(
            matches!(from_rrule(rule, &when, Tz::UTC), Err(RRuleError::Syntax(_))),
            "{rule}"
        );
    }
}

fn day_set() -> impl Strategy<Value = DaySet> {
    (1u16..=127).prop_map(|b| DaySet::from_bits(b).unwrap())
}

fn recurrence() -> impl Strategy<Value = Recurrence> {
    let nth = (1u8..=5).prop_map(|w| Nth::new(w).unwrap());
    let pattern = prop_oneof![
        Just(Pattern::Daily),
        day_set().prop_map(|days| Pattern::Weekly { days }),
        (1u8..=31).prop_map(|day| Pattern::Monthly { day }),
        (nth.clone(), day_set()).prop_map(|(week, days)| Pattern::MonthlyNth { week, days }),
        (1u8..=12, 1u8..=28).prop_map(|(month, day)| Pattern::Yearly { month, day }),
        (1u8..=12, nth, day_set()).prop_map(|(month, week, days)| Pattern::YearlyNth {
            month,
            week,
            days
        }),
    ];
    (
        pattern,
        1u16..=999,
        0u8..3,
        1u16..=999,
        proptest::option::of(1u8..7),
    )
        .prop_map(|(p, interval, end, n, wkst)| {
            let mut r = Recurrence::new(p)
                .with_interval(interval)
                .with_end(match end {
                    0 => RecurrenceEnd::Never,
                    1 => RecurrenceEnd::Count(n),
                    _ => RecurrenceEnd::Until(Moment::At(
                        Utc.with_ymd_and_hms(2027, 5, 4, 7, 30, 0).unwrap(),
                    )),
                });
            r.first_day_of_week = match (wkst, p) {
                // A weekly rule always names its week start; Sunday is None.
                (None, Pattern::Weekly { .. }) => Some(1),
                (w, _) => w,
            };
            r
        })
}

proptest! {
    #[test]
    fn every_eas_recurrence_comes_back_from_its_rrule(rec in recurrence()) {
        let paris = chrono_tz::Europe::Paris;
        let when = timed_at(paris, 2026, 3, 10, 9, 0);
        let text = to_rrule(&rec, &when, paris);
        prop_assert_eq!(from_rrule(&text, &when, paris), Ok(rec));
    }
}
