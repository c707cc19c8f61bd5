//! The real-world calendar bugs of PIM_FACTS section 6, each shown impossible in the model (the
//! ones that belong to the model; see docs/calendar-model.md for the others).

use chrono::{NaiveDate, TimeZone as _, Utc, Weekday};
use chrono_tz::Tz;
use eas_protocol::ProtocolVersion;

use crate::event::{Attendee, BusyStatus, Event, Exception, When};
use crate::recurrence::expand::{resolve_local, to_local};
use crate::recurrence::{DaySet, Pattern, Recurrence, RecurrenceElements, RecurrenceEnd};
use crate::time::{parse_eas_datetime, Moment};
use crate::tz::{encode_zone, match_zone, TimeZoneBlob};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn local(zone: Tz, y: i32, m: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<Utc> {
    resolve_local(zone, date(y, m, d).and_hms_opt(h, mi, 0).unwrap())
}

/// 6.1 and 6.4: an all-day event is dates; it goes out at local midnight with the item's zone
/// up to 14.1 and at midnight UTC without a zone at 16.x, and reads back the same day.
#[test]
fn fact_6_1_and_6_4_all_day_events_are_dates_in_every_version() {
    let berlin = chrono_tz::Europe::Berlin;
    let w = When::all_day_for(date(2024, 6, 10), 1);
    let (s14, e14) = w.eas_instants(Some(berlin));
    assert_eq!(s14, Utc.with_ymd_and_hms(2024, 6, 9, 22, 0, 0).unwrap());
    assert_eq!(e14, Utc.with_ymd_and_hms(2024, 6, 10, 22, 0, 0).unwrap());
    let (s16, e16) = w.eas_instants(None);
    assert_eq!(s16, Utc.with_ymd_and_hms(2024, 6, 10, 0, 0, 0).unwrap());
    assert_eq!(e16, Utc.with_ymd_and_hms(2024, 6, 11, 0, 0, 0).unwrap());
    assert_eq!(When::all_day_from_instants(s14, e14, berlin), w);
    assert_eq!(When::all_day_from_instants(s16, e16, Tz::UTC), w);
    // Whatever zone later views it, the stored event is the same dates.
    let e = Event::new(w);
    assert_eq!(
        crate::stored::from_json(&crate::stored::to_json(&e))
            .unwrap()
            .when,
        w
    );
}

/// 6.2: a received all-day meeting made in New York (its midnight, 04:00Z) read on a phone in
/// Berlin stays on its day.
#[test]
fn fact_6_2_an_all_day_meeting_from_another_zone_stays_on_its_day() {
    let ny = chrono_tz::America::New_York;
    let berlin = chrono_tz::Europe::Berlin;
    let w = When::all_day_from_instants(
        local(ny, 2026, 6, 10, 0, 0),
        local(ny, 2026, 6, 11, 0, 0),
        berlin,
    );
    assert_eq!(w, When::all_day_for(date(2026, 6, 10), 1));
}

/// 6.3: a three-day all-day event whose EndTime came as 23:59 of the last day is three days.
#[test]
fn fact_6_3_an_end_at_23_59_is_the_next_midnight() {
    let paris = chrono_tz::Europe::Paris;
    let w = When::all_day_from_instants(
        local(paris, 2026, 6, 10, 0, 0),
        local(paris, 2026, 6, 12, 23, 59),
        paris,
    );
    assert_eq!(
        w,
        When::all_day(date(2026, 6, 10), date(2026, 6, 13)).unwrap()
    );
}

/// 6.5 and 6.6: blobs go out without names and come back to a zone with the same changes in
/// the event's year; a blob never falls back to GMT for want of a name.
#[test]
fn fact_6_5_and_6_6_zones_go_without_names_and_come_back_by_their_changes() {
    let paris = chrono_tz::Europe::Paris;
    let at = local(paris, 2027, 7, 1, 9, 0);
    let blob = encode_zone(paris, at);
    assert!(blob.standard_name.is_empty() && blob.daylight_name.is_empty());
    let read = TimeZoneBlob::from_base64(&blob.to_base64()).unwrap();
    assert_eq!(match_zone(&read, 2027, Some(paris)), Some(paris));
    // An Android-style Berlin blob in a year where its "4th Sunday" is not the last one.
    let mut android = read;
    android.standard_date.day = 4;
    assert_eq!(
        match_zone(&android, 2027, None),
        Some(chrono_tz::Europe::Berlin)
    );
}

/// 6.7: a Monday 23:30 New York series is on Mondays (Tuesdays in UTC), in EAS, in RRULE and in
/// its occurrences; its monthly form keeps its interval.
#[test]
fn fact_6_7_days_of_the_pattern_are_local_days() {
    let ny = chrono_tz::America::New_York;
    let start = local(ny, 2026, 6, 1, 23, 30);
    let mut e = Event::new(When::timed(start, start + chrono::Duration::minutes(30)).unwrap());
    e.time_zone = Some(ny);
    let rec = crate::recurrence::from_rrule("FREQ=WEEKLY;COUNT=4", &e.when, ny).unwrap();
    assert_eq!(
        rec.pattern,
        Pattern::Weekly {
            days: DaySet::of(Weekday::Mon)
        }
    );
    e.recurrence = Some(rec);
    for o in e.occurrences() {
        let t = o.when.start().instant().unwrap();
        assert_eq!(to_local(ny, t).date().weekday(), Weekday::Mon);
    }
    let monthly = Recurrence::new(Pattern::MonthlyNth {
        week: crate::Nth::new(2).unwrap(),
        days: DaySet::of(Weekday::Mon),
    })
    .with_interval(3);
    let el =
        RecurrenceElements::from_recurrence(&monthly, &e.when, ny, ProtocolVersion::V14_1, None);
    assert_eq!(el.interval, Some(3));
    let text = crate::recurrence::to_rrule(&monthly, &e.when, ny);
    assert!(text.contains("INTERVAL=3"), "{text}");
}

use chrono::Datelike as _;

fn all_day_series() -> Event {
    let mut e = Event::new(When::all_day_for(date(2026, 3, 2), 1));
    e.recurrence = Some(
        Recurrence::new(Pattern::Weekly {
            days: DaySet::of(Weekday::Mon),
        })
        .with_end(RecurrenceEnd::Count(10)),
    );
    e
}

/// 6.8 and 6.9: an occurrence of an all-day series named by any client's instant (local
/// midnight in the device's zone at 14.1, a 16.x InstanceId at midnight UTC) is the same date
/// key; moving it leaves no duplicate.
#[test]
fn fact_6_8_and_6_9_all_day_occurrences_are_found_by_date() {
    let mut e = all_day_series();
    let berlin = chrono_tz::Europe::Berlin;
    let key14 = e.original_start_for(local(berlin, 2026, 3, 9, 0, 0), berlin);
    let id16 = parse_eas_datetime("20260309T000000Z").unwrap();
    let key16 = e.original_start_for(id16, Tz::UTC);
    assert_eq!(key14, Some(Moment::On(date(2026, 3, 9))));
    assert_eq!(key16, key14);
    e.exceptions.insert(
        Moment::On(date(2026, 3, 9)),
        Exception {
            when: Some(When::all_day_for(date(2026, 3, 11), 1)),
            ..Exception::default()
        },
    );
    let starts: Vec<Moment> = e.occurrences().take(3).map(|o| o.when.start()).collect();
    assert_eq!(
        starts,
        [
            Moment::On(date(2026, 3, 2)),
            Moment::On(date(2026, 3, 11)),
            Moment::On(date(2026, 3, 16))
        ],
        "moved, not duplicated"
    );
    // A day that is not an occurrence is not one.
    assert_eq!(
        e.original_start_for(id16 + chrono::Duration::days(1), Tz::UTC),
        None
    );
}

/// 6.11: after the series moved, a phone names an occurrence with the old time of day: the
/// occurrence of that local day is meant.
#[test]
fn fact_6_11_a_wrong_time_of_day_finds_the_occurrence_of_that_day() {
    let paris = chrono_tz::Europe::Paris;
    let start = local(paris, 2026, 3, 2, 10, 0);
    let mut e = Event::new(When::timed(start, start + chrono::Duration::hours(1)).unwrap());
    e.time_zone = Some(paris);
    e.recurrence = Some(Recurrence::new(Pattern::Daily).with_end(RecurrenceEnd::Count(30)));
    let stale = local(paris, 2026, 3, 20, 9, 0);
    assert_eq!(
        e.original_start_for(stale, paris),
        Some(Moment::At(local(paris, 2026, 3, 20, 10, 0)))
    );
    assert_eq!(
        e.original_start_for(local(paris, 2026, 5, 20, 10, 0), paris),
        None
    );
}

/// 6.9 and 6.10: a deleted occurrence is a deleted exception, written as EXDATE (VALUE=DATE
/// for all-day) and read back deleted; it never comes back as an occurrence.
#[test]
fn fact_6_10_deleted_occurrences_stay_deleted_through_icalendar() {
    let mut e = all_day_series();
    e.uid = Some("s@example.com".into());
    e.dtstamp = Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    e.exceptions
        .insert(Moment::On(date(2026, 3, 9)), Exception::deleted());
    let options = crate::ical::ExportOptions {
        product_id: "-//t//t//EN".into(),
        dtstamp: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    };
    let text = crate::ical::export(std::slice::from_ref(&e), &options);
    assert!(text.contains("EXDATE;VALUE=DATE:20260309"));
    let back = crate::ical::import(&text, &Default::default())
        .unwrap()
        .events;
    assert_eq!(back, [e.clone()]);
    assert!(back[0]
        .occurrences()
        .all(|o| o.original != Moment::On(date(2026, 3, 9))));
}

/// 6.12: one UID, one GlobalObjId, both ways.
#[test]
fn fact_6_12_the_uid_and_the_global_object_id_are_one_mapping() {
    for uid in ["abc@example.com", "0123456789ABCDEF"] {
        let goid = crate::goid::uid_to_goid_base64(uid);
        assert_eq!(crate::goid::goid_base64_to_uid(&goid).as_deref(), Some(uid));
    }
}

/// 6.19: no AttendeeType 0, a name for every attendee, BusyStatus 4 and -1 only from 16.0,
/// FirstDayOfWeek with every weekly recurrence from 14.1, Interval 0 accepted as 1.
#[test]
fn fact_6_19_values_that_break_clients_are_not_sent() {
    assert_eq!(crate::AttendeeType::from_code(0), None);
    let a = Attendee::new("bob@example.com", None);
    assert_eq!(a.display_name(), "bob@example.com");
    assert_eq!(
        BusyStatus::Unknown.for_version(ProtocolVersion::V14_1),
        BusyStatus::Busy
    );
    assert_eq!(
        BusyStatus::WorkingElsewhere.for_version(ProtocolVersion::V14_1),
        BusyStatus::Free
    );
    assert_eq!(
        BusyStatus::Unknown.for_version(ProtocolVersion::V16_1),
        BusyStatus::Unknown
    );
    let weekly = Recurrence::new(Pattern::Weekly {
        days: DaySet::of(Weekday::Mon),
    });
    let w = When::all_day_for(date(2026, 3, 2), 1);
    let el =
        RecurrenceElements::from_recurrence(&weekly, &w, Tz::UTC, ProtocolVersion::V14_1, None);
    assert_eq!(
        el.first_day_of_week,
        Some(0),
        "always sent for a weekly series (ZP-1457)"
    );
    let zero = RecurrenceElements {
        recurrence_type: Some(0),
        interval: Some(0),
        ..RecurrenceElements::default()
    };
    assert_eq!(
        zero.to_recurrence(&w, Tz::UTC, true, 0).unwrap().interval,
        1
    );
}
