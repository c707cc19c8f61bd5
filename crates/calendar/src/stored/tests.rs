//! The stored form pinned, and what a reader refuses.

use chrono::{NaiveDate, TimeZone as _, Utc};

use super::*;
use crate::event::*;
use crate::meta::{Param, Property};
use crate::recurrence::{DaySet, Pattern, Recurrence, RecurrenceEnd};
use crate::time::Moment;

/// The form pinned: a change here breaks every stored event.
const GOLDEN: &str = r#"{"v":1,"when":{"start":"2026-03-10T08:00:00Z","end":"2026-03-10T09:00:00Z"},"time_zone":"Europe/Paris","subject":"Weekly sync","location":{"display_name":"Room 4","city":"Paris","latitude":48.8566,"longitude":2.3522},"notes":{"text":"Agenda"},"organizer_name":"Jane Doe","organizer_email":"jane@example.com","attendees":[{"email":"bob@example.com","name":"Bob","status":"accepted","type":"required"}],"reminder":15,"busy_status":"busy","sensitivity":"normal","categories":["Work"],"uid":"040000008200E000","dtstamp":"2026-03-01T12:00:00Z","meeting_status":"organizer","response_requested":true,"recurrence":{"freq":"weekly","days":["TU"],"end":{"count":10}},"exceptions":{"2026-03-17T08:00:00Z":{"deleted":true},"2026-03-24T08:00:00Z":{"when":{"start":"2026-03-24T10:00:00Z","end":"2026-03-24T11:00:00Z"},"subject":"Moved sync","location":null}},"ical":{"extra":[{"name":"X-MOZ-GENERATION","params":[{"name":"X-A","values":["b"]}],"value":"3"}]}}"#;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn sample() -> Event {
    let mut e = Event::new(When::timed(at(2026, 3, 10, 8, 0), at(2026, 3, 10, 9, 0)).unwrap());
    e.time_zone = Some(chrono_tz::Europe::Paris);
    e.subject = Some("Weekly sync".into());
    e.location = Some(Location {
        display_name: Some("Room 4".into()),
        city: Some("Paris".into()),
        latitude: Some(48.8566),
        longitude: Some(2.3522),
        ..Location::default()
    });
    e.notes = Some(Notes::plain("Agenda"));
    e.organizer_name = Some("Jane Doe".into());
    e.organizer_email = Some("jane@example.com".into());
    e.attendees = vec![Attendee {
        email: "bob@example.com".into(),
        name: Some("Bob".into()),
        status: Some(AttendeeStatus::Accepted),
        kind: Some(AttendeeType::Required),
        ..Attendee::default()
    }];
    e.reminder = Some(15);
    e.busy_status = Some(BusyStatus::Busy);
    e.sensitivity = Some(Sensitivity::Normal);
    e.categories = vec!["Work".into()];
    e.uid = Some("040000008200E000".into());
    e.dtstamp = Some(at(2026, 3, 1, 12, 0));
    e.meeting_status = Some(MeetingStatus::Organizer);
    e.response_requested = Some(true);
    e.recurrence = Some(
        Recurrence::new(Pattern::Weekly {
            days: DaySet::of(chrono::Weekday::Tue),
        })
        .with_end(RecurrenceEnd::Count(10)),
    );
    e.exceptions
        .insert(Moment::At(at(2026, 3, 17, 8, 0)), Exception::deleted());
    e.exceptions.insert(
        Moment::At(at(2026, 3, 24, 8, 0)),
        Exception {
            when: Some(When::timed(at(2026, 3, 24, 10, 0), at(2026, 3, 24, 11, 0)).unwrap()),
            subject: Override::Set("Moved sync".into()),
            location: Override::Removed,
            ..Exception::default()
        },
    );
    e.ical.extra.push(Property {
        name: "X-MOZ-GENERATION".into(),
        params: vec![Param::new("X-A", &["b"])],
        value: "3".into(),
    });
    e
}

#[test]
fn the_stored_form_is_pinned() {
    assert_eq!(to_json(&sample()), GOLDEN);
    assert_eq!(from_json(GOLDEN).expect("reads"), sample());
}

#[test]
fn an_all_day_event_is_stored_as_dates() {
    let e = Event::new(When::all_day(date(2026, 3, 10), date(2026, 3, 13)).unwrap());
    let json = to_json(&e);
    assert_eq!(
        json,
        r#"{"v":1,"when":{"start":"2026-03-10","end":"2026-03-13"}}"#
    );
    assert_eq!(from_json(&json).expect("reads"), e);
}

#[test]
fn an_all_day_series_keys_its_exceptions_by_date() {
    let mut e = Event::new(When::all_day_for(date(2026, 1, 5), 1));
    e.recurrence = Some(
        Recurrence::new(Pattern::Yearly { month: 1, day: 5 })
            .with_end(RecurrenceEnd::Until(Moment::On(date(2030, 1, 5)))),
    );
    e.exceptions
        .insert(Moment::On(date(2027, 1, 5)), Exception::deleted());
    let json = to_json(&e);
    assert_eq!(
        json,
        r#"{"v":1,"when":{"start":"2026-01-05","end":"2026-01-06"},"recurrence":{"freq":"yearly","month":1,"day":5,"end":{"until":"2030-01-05"}},"exceptions":{"2027-01-05":{"deleted":true}}}"#
    );
    assert_eq!(from_json(&json).expect("reads"), e);
}

#[test]
fn newer_or_unversioned_forms_are_refused() {
    assert!(matches!(
        from_json(r#"{"v":2}"#),
        Err(StoredError::TooNew(2))
    ));
    assert!(matches!(
        from_json(r#"{"subject":"x"}"#),
        Err(StoredError::NoVersion)
    ));
    assert!(matches!(from_json("not json"), Err(StoredError::Json(_))));
}

#[test]
fn impossible_events_are_refused() {
    let bad = [
        // no time at all
        r#"{"v":1}"#,
        // ends before it starts
        r#"{"v":1,"when":{"start":"2026-03-10T09:00:00Z","end":"2026-03-10T08:00:00Z"}}"#,
        // an all-day event of no day
        r#"{"v":1,"when":{"start":"2026-03-10","end":"2026-03-10"}}"#,
        // a date and an instant
        r#"{"v":1,"when":{"start":"2026-03-10","end":"2026-03-10T08:00:00Z"}}"#,
        // a zone that does not exist
        r#"{"v":1,"when":{"start":"2026-03-10","end":"2026-03-11"},"time_zone":"Mars/Olympus"}"#,
        // a week of month that does not exist
        r#"{"v":1,"when":{"start":"2026-03-10","end":"2026-03-11"},"recurrence":{"freq":"monthly_nth","week":6,"days":["MO"]}}"#,
        // a weekly rule without days
        r#"{"v":1,"when":{"start":"2026-03-10","end":"2026-03-11"},"recurrence":{"freq":"weekly","days":[]}}"#,
    ];
    for text in bad {
        assert!(
            matches!(from_json(text), Err(StoredError::Json(_))),
            "{text}"
        );
    }
}

#[test]
fn an_exception_tells_inherited_from_removed() {
    let json = to_json(&sample());
    let back = from_json(&json).expect("reads");
    let moved = &back.exceptions[&Moment::At(at(2026, 3, 24, 8, 0))];
    assert_eq!(moved.location, Override::Removed);
    assert_eq!(moved.notes, Override::Inherit);
    assert_eq!(
        moved
            .subject
            .resolve(back.subject.as_ref())
            .map(String::as_str),
        Some("Moved sync")
    );
    assert_eq!(moved.location.resolve(back.location.as_ref()), None);
    assert_eq!(
        moved.notes.resolve(back.notes.as_ref()),
        back.notes.as_ref()
    );
}
