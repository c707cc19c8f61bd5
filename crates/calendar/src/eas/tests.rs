//! The Calendar class codec: what goes out at 14.1 and 16.1, what comes back, ghosting, the
//! times of 3.2.4.4, exceptions and the 16.x occurrence operations.

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc, Weekday};
use chrono_tz::Tz;
use eas_protocol::ProtocolVersion;
use eas_wbxml::tags::{air_sync_base as asb, calendar as cal};
use eas_wbxml::{Element, Tag};

use super::*;
use crate::event::*;
use crate::field::{Field, FieldSet};
use crate::recurrence::expand::resolve_local;
use crate::recurrence::{DaySet, Pattern, Recurrence, RecurrenceEnd};
use crate::time::Moment;
use crate::tz::TimeZoneBlob;

const PARIS: Tz = chrono_tz::Europe::Paris;

fn ctx(version: ProtocolVersion) -> EasContext {
    EasContext {
        version,
        user_zone: PARIS,
        first_day_of_week: 1,
        now: Utc.with_ymd_and_hms(2026, 3, 1, 18, 3, 0).unwrap(),
    }
}

fn local(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    resolve_local(
        PARIS,
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap(),
    )
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A weekly Tuesday 09:00 Paris meeting the user organizes: the 2nd occurrence deleted, the
/// 3rd moved to 14:00 with its own subject and no location.
fn series() -> Event {
    let mut e =
        Event::new(When::timed(local(2026, 3, 10, 9, 0), local(2026, 3, 10, 10, 0)).unwrap());
    e.time_zone = Some(PARIS);
    e.subject = Some("Weekly sync".into());
    e.location = Some(Location::named("Room 4"));
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
    e.sensitivity = Some(Sensitivity::Private);
    e.categories = vec!["Work".into()];
    e.uid = Some("series-1@example.com".into());
    e.dtstamp = Some(Utc.with_ymd_and_hms(2026, 2, 1, 12, 0, 0).unwrap());
    e.meeting_status = Some(MeetingStatus::Organizer);
    e.response_requested = Some(true);
    e.disallow_new_time_proposal = Some(false);
    e.recurrence = Some(
        Recurrence::new(Pattern::Weekly {
            days: DaySet::of(Weekday::Tue),
        })
        .with_end(RecurrenceEnd::Count(10)),
    );
    e.exceptions
        .insert(Moment::At(local(2026, 3, 17, 9, 0)), Exception::deleted());
    e.exceptions.insert(
        Moment::At(local(2026, 3, 24, 9, 0)),
        Exception {
            when: Some(When::timed(local(2026, 3, 24, 14, 0), local(2026, 3, 24, 15, 0)).unwrap()),
            subject: Override::Set("Moved sync".into()),
            location: Override::Removed,
            ..Exception::default()
        },
    );
    e
}

fn find(elements: &[Element], tag: Tag) -> Option<&Element> {
    elements.iter().find(|e| e.tag == tag)
}

fn text(elements: &[Element], tag: Tag) -> Option<String> {
    find(elements, tag).and_then(|e| e.text_content())
}

fn rendered(e: &Event, v: ProtocolVersion) -> Vec<Element> {
    render(e, &ctx(v), &RenderOptions::default()).expect("renders")
}

#[test]
fn a_series_goes_out_at_14_1_with_its_zone_and_exceptions() {
    let out = rendered(&series(), ProtocolVersion::V14_1);
    let blob = TimeZoneBlob::from_base64(&text(&out, cal::TIMEZONE).unwrap()).unwrap();
    assert!(blob.standard_name.is_empty());
    assert_eq!(crate::tz::match_zone(&blob, 2026, Some(PARIS)), Some(PARIS));
    assert_eq!(
        text(&out, cal::START_TIME).as_deref(),
        Some("20260310T080000Z")
    );
    assert_eq!(
        text(&out, cal::END_TIME).as_deref(),
        Some("20260310T090000Z")
    );
    assert_eq!(text(&out, cal::ALL_DAY_EVENT).as_deref(), Some("0"));
    assert_eq!(text(&out, cal::LOCATION).as_deref(), Some("Room 4"));
    assert_eq!(text(&out, cal::BUSY_STATUS).as_deref(), Some("2"));
    assert_eq!(
        text(&out, cal::DISALLOW_NEW_TIME_PROPOSAL).as_deref(),
        Some("0")
    );
    let rec = find(&out, cal::RECURRENCE).unwrap();
    assert_eq!(rec.child_text(cal::TYPE).as_deref(), Some("1"));
    assert_eq!(rec.child_text(cal::FIRST_DAY_OF_WEEK).as_deref(), Some("0"));
    let exceptions: Vec<&Element> = find(&out, cal::EXCEPTIONS)
        .unwrap()
        .children_of(cal::EXCEPTION)
        .collect();
    assert_eq!(exceptions.len(), 2);
    assert_eq!(
        exceptions[0]
            .child_text(cal::EXCEPTION_START_TIME)
            .as_deref(),
        Some("20260317T080000Z")
    );
    assert_eq!(exceptions[0].child_text(cal::DELETED).as_deref(), Some("1"));
    let moved = exceptions[1];
    assert_eq!(
        moved.child_text(cal::START_TIME).as_deref(),
        Some("20260324T130000Z")
    );
    assert_eq!(
        moved.child_text(cal::SUBJECT).as_deref(),
        Some("Moved sync")
    );
    let loc = moved
        .child(cal::LOCATION)
        .expect("removed: an empty element (R539)");
    assert_eq!(loc.text_content().unwrap_or_default(), "");
    assert!(moved.child(cal::REMINDER).is_none(), "inherited: left out");
    assert!(find(&out, asb::LOCATION).is_none());
}

#[test]
fn at_16_1_locations_are_structured_and_exceptions_named_by_instance_id() {
    let mut e = series();
    e.location = Some(Location {
        display_name: Some("HQ".into()),
        city: Some("Paris".into()),
        latitude: Some(48.85),
        longitude: Some(2.35),
        ..Location::default()
    });
    e.busy_status = Some(BusyStatus::WorkingElsewhere);
    let out = rendered(&e, ProtocolVersion::V16_1);
    let loc = find(&out, asb::LOCATION).expect("airsyncbase:Location");
    assert_eq!(loc.child_text(asb::DISPLAY_NAME).as_deref(), Some("HQ"));
    assert_eq!(loc.child_text(asb::LATITUDE).as_deref(), Some("48.85"));
    assert!(find(&out, cal::LOCATION).is_none());
    assert_eq!(text(&out, cal::BUSY_STATUS).as_deref(), Some("4"));
    let x = find(&out, cal::EXCEPTIONS)
        .unwrap()
        .children_of(cal::EXCEPTION)
        .next()
        .unwrap();
    assert_eq!(
        x.child_text(asb::INSTANCE_ID).as_deref(),
        Some("20260317T080000Z")
    );
    assert!(x.child(cal::EXCEPTION_START_TIME).is_none());
    // At 14.1 the same status is Free (R2044).
    let out14 = rendered(&e, ProtocolVersion::V14_1);
    assert_eq!(text(&out14, cal::BUSY_STATUS).as_deref(), Some("0"));
    assert_eq!(text(&out14, cal::LOCATION).as_deref(), Some("HQ"));
}

#[test]
fn all_day_events_go_out_per_version() {
    let mut e = Event::new(When::all_day_for(date(2026, 6, 10), 3));
    e.subject = Some("Conference".into());
    let out14 = rendered(&e, ProtocolVersion::V14_1);
    assert_eq!(text(&out14, cal::ALL_DAY_EVENT).as_deref(), Some("1"));
    assert_eq!(
        text(&out14, cal::START_TIME).as_deref(),
        Some("20260609T220000Z")
    );
    assert_eq!(
        text(&out14, cal::END_TIME).as_deref(),
        Some("20260612T220000Z")
    );
    assert!(
        find(&out14, cal::TIMEZONE).is_some(),
        "with the user's zone up to 14.1"
    );
    let out16 = rendered(&e, ProtocolVersion::V16_1);
    assert_eq!(
        text(&out16, cal::START_TIME).as_deref(),
        Some("20260610T000000Z")
    );
    assert_eq!(
        text(&out16, cal::END_TIME).as_deref(),
        Some("20260613T000000Z")
    );
    assert!(find(&out16, cal::TIMEZONE).is_none(), "R2006");
    for (out, v) in [
        (out14, ProtocolVersion::V14_1),
        (out16, ProtocolVersion::V16_1),
    ] {
        let back = create(&parse(&out, v).unwrap(), &ctx(v), &ApplyOptions::default()).unwrap();
        assert_eq!(back.when, e.when, "{v:?}");
    }
}

#[test]
fn what_goes_out_comes_back_the_same_at_14_1_and_16_1() {
    for v in [ProtocolVersion::V14_1, ProtocolVersion::V16_1] {
        let e = series();
        let out = rendered(&e, v);
        let change = parse(&out, v).expect("parses");
        // The UID the server makes at 16.x (R2223) is the one it made before.
        let options = ApplyOptions {
            new_uid: e.uid.clone(),
            ..ApplyOptions::default()
        };
        let back = create(&change, &ctx(v), &options).expect("creates");
        let mut want = e.clone();
        if v >= ProtocolVersion::V16_0 {
            // 16.x: the server stamps the change.
            want.dtstamp = Some(ctx(v).now);
            for x in want.exceptions.values_mut().filter(|x| !x.deleted) {
                x.dtstamp = Some(ctx(v).now);
            }
        }
        assert_eq!(back, want, "{v:?}");
        // An unchanged Change from the phone changes nothing.
        let again = apply(&e, &change, None, &ctx(v), &options).unwrap();
        assert_eq!(again.subject, e.subject);
        assert_eq!(again.exceptions.len(), 2);
    }
}

fn change_of(fields: Vec<(Field, super::Incoming)>) -> EventChange {
    EventChange {
        fields: fields.into_iter().collect(),
    }
}

#[test]
fn omitted_fields_follow_the_supported_list() {
    let e = series();
    let v = ProtocolVersion::V14_1;
    let change = change_of(vec![(Field::Subject, Incoming::Text("Renamed".into()))]);
    let options = ApplyOptions::default();

    // No Supported: nothing is ghosted (R5906): omitted fields are deleted, times and UID kept.
    let none = apply(&e, &change, None, &ctx(v), &options).unwrap();
    assert_eq!(none.subject.as_deref(), Some("Renamed"));
    assert_eq!(none.categories, Vec::<String>::new());
    assert_eq!(none.reminder, None);
    assert_eq!(none.when, e.when);
    assert_eq!(none.uid, e.uid);
    assert_eq!(
        none.recurrence, None,
        "R5912: Recurrence left out and not ghosted"
    );

    // Supported lists Subject and Reminder: the rest is ghosted (R5907, R5908).
    let supported: FieldSet = [Field::Subject, Field::Reminder].into_iter().collect();
    let some = apply(&e, &change, Some(&supported), &ctx(v), &options).unwrap();
    assert_eq!(some.reminder, None, "listed and omitted: deleted");
    assert_eq!(some.categories, e.categories, "ghosted: kept");
    assert_eq!(some.attendees, e.attendees);
    assert_eq!(some.location, None, "Location cannot be ghosted (R301)");
    assert_eq!(some.recurrence, e.recurrence);
    assert_eq!(
        some.exceptions, e.exceptions,
        "R541: no Exceptions element, no change"
    );

    // 16.x: everything is ghosted (R2231).
    let v16 = apply(&e, &change, None, &ctx(ProtocolVersion::V16_1), &options).unwrap();
    assert_eq!(v16.reminder, e.reminder);
    assert_eq!(v16.location, e.location);
    assert_eq!(v16.categories, e.categories);
}

#[test]
fn a_14_1_edit_keeps_the_structured_location_it_was_shown() {
    let mut e = series();
    e.location = Some(Location {
        display_name: Some("HQ".into()),
        city: Some("Paris".into()),
        ..Location::default()
    });
    let v = ProtocolVersion::V14_1;
    let same = change_of(vec![(Field::Location, Incoming::Text("HQ".into()))]);
    let kept = apply(
        &e,
        &same,
        Some(&FieldSet::default()),
        &ctx(v),
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(kept.location, e.location);
    let other = change_of(vec![(Field::Location, Incoming::Text("Cafe".into()))]);
    let changed = apply(
        &e,
        &other,
        Some(&FieldSet::default()),
        &ctx(v),
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(changed.location, Some(Location::named("Cafe")));
}

#[test]
fn an_add_without_times_gets_them_from_now_or_is_refused() {
    let v = ProtocolVersion::V14_1;
    let c = ctx(v);
    let o = ApplyOptions::default();
    let half = Utc.with_ymd_and_hms(2026, 3, 1, 18, 30, 0).unwrap();
    // 18:03 rounds to 18:30 (R52512).
    let both = create(&EventChange::default(), &c, &o).unwrap();
    assert_eq!(
        both.when,
        When::timed(half, half + chrono::Duration::minutes(30)).unwrap()
    );
    let future_end = change_of(vec![(
        Field::EndTime,
        Incoming::Time(half + chrono::Duration::hours(2)),
    )]);
    assert_eq!(
        create(&future_end, &c, &o).unwrap().when,
        When::timed(half, half + chrono::Duration::hours(2)).unwrap()
    );
    let past_end = change_of(vec![(
        Field::EndTime,
        Incoming::Time(half - chrono::Duration::hours(2)),
    )]);
    assert_eq!(create(&past_end, &c, &o), Err(ApplyError::MissingTimes));
    let past_start = change_of(vec![(
        Field::StartTime,
        Incoming::Time(half - chrono::Duration::hours(2)),
    )]);
    assert_eq!(
        create(&past_start, &c, &o).unwrap().when.end(),
        Moment::At(half + chrono::Duration::minutes(30))
    );
    let future_start = change_of(vec![(
        Field::StartTime,
        Incoming::Time(half + chrono::Duration::hours(2)),
    )]);
    assert_eq!(create(&future_start, &c, &o), Err(ApplyError::MissingTimes));
    // R53915: EndTime without StartTime in the request is status 6.
    let el = [Element::text(cal::END_TIME, "20260310T090000Z")];
    let err = parse(&el, v).expect_err("refused");
    assert_eq!(err, ParseError::EndWithoutStart);
    assert_eq!(
        err.sync_status(),
        eas_protocol::status::SyncStatus::ConversionError
    );
}

#[test]
fn a_phone_in_another_zone_sends_an_all_day_event_that_stays_on_its_day() {
    // An Android phone in New York: local midnights, its own blob (names empty).
    let ny = chrono_tz::America::New_York;
    let blob = crate::tz::encode_zone(ny, Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap());
    let start = resolve_local(ny, date(2026, 6, 10).and_hms_opt(0, 0, 0).unwrap());
    let el = [
        Element::text(cal::TIMEZONE, blob.to_base64()),
        Element::text(cal::ALL_DAY_EVENT, "1"),
        Element::text(cal::START_TIME, crate::time::format_compact(start)),
        Element::text(
            cal::END_TIME,
            crate::time::format_compact(start + chrono::Duration::days(1)),
        ),
        Element::text(cal::SUBJECT, "Holiday"),
    ];
    let v = ProtocolVersion::V14_1;
    let e = create(&parse(&el, v).unwrap(), &ctx(v), &ApplyOptions::default()).unwrap();
    assert_eq!(e.when, When::all_day_for(date(2026, 6, 10), 1));
    assert_eq!(e.time_zone, None);
    // A timed event from that phone is in New York's zone (matched by its changes).
    let el = [
        Element::text(cal::TIMEZONE, blob.to_base64()),
        Element::text(cal::START_TIME, "20260610T130000Z"),
        Element::text(cal::END_TIME, "20260610T140000Z"),
    ];
    let e = create(&parse(&el, v).unwrap(), &ctx(v), &ApplyOptions::default()).unwrap();
    assert_eq!(e.time_zone, Some(ny));
}

#[test]
fn exceptions_sent_at_14_1_are_keyed_by_their_occurrence() {
    let mut e = series();
    e.exceptions.clear();
    let v = ProtocolVersion::V14_1;
    let mut x = Element::new(cal::EXCEPTION);
    // The phone names the 31 March occurrence with a stale time of day (PIM_FACTS 6.11).
    x.push_text(
        cal::EXCEPTION_START_TIME,
        crate::time::format_compact(local(2026, 3, 31, 8, 0)),
    );
    x.push_text(cal::SUBJECT, "Special");
    x.push(Element::new(cal::LOCATION));
    let mut xs = Element::new(cal::EXCEPTIONS);
    xs.push(x);
    let mut deleted = Element::new(cal::EXCEPTION);
    deleted.push_text(
        cal::EXCEPTION_START_TIME,
        crate::time::format_compact(local(2026, 4, 7, 9, 0)),
    );
    deleted.push_text(cal::DELETED, "1");
    xs.push(deleted);
    let change = parse(&[xs], v).unwrap();
    // The phone manages the exceptions only; everything else is ghosted.
    let supported: FieldSet = [Field::Exceptions].into_iter().collect();
    let out = apply(
        &e,
        &change,
        Some(&supported),
        &ctx(v),
        &ApplyOptions::default(),
    );
    let out = out.unwrap();
    let special = &out.exceptions[&Moment::At(local(2026, 3, 31, 9, 0))];
    assert_eq!(special.subject, Override::Set("Special".into()));
    assert_eq!(special.location, Override::Removed);
    assert!(out.exceptions[&Moment::At(local(2026, 4, 7, 9, 0))].deleted);
    assert_eq!(out.occurrences().count(), 9);
    // An Exception without its start is status 6.
    let mut bad = Element::new(cal::EXCEPTIONS);
    bad.push(Element::new(cal::EXCEPTION));
    assert_eq!(parse(&[bad], v), Err(ParseError::ExceptionWithoutStart));
}

#[test]
fn at_16_one_occurrence_is_changed_or_deleted_by_instance_id() {
    let e = series();
    let c = ctx(ProtocolVersion::V16_1);
    let id = crate::time::parse_eas_datetime("20260407T070000Z").unwrap();
    let change = change_of(vec![
        (Field::Subject, Incoming::Text("Just this once".into())),
        (Field::StartTime, Incoming::Time(local(2026, 4, 7, 11, 0))),
        (Field::EndTime, Incoming::Time(local(2026, 4, 7, 12, 0))),
    ]);
    let changed = apply_instance(&e, id, &change, &c).unwrap();
    let x = &changed.exceptions[&Moment::At(id)];
    assert_eq!(x.subject, Override::Set("Just this once".into()));
    assert_eq!(
        x.when,
        Some(When::timed(local(2026, 4, 7, 11, 0), local(2026, 4, 7, 12, 0)).unwrap())
    );
    assert_eq!(x.location, Override::Inherit, "16.x: not sent, not changed");
    let deleted = delete_instance(&changed, id).unwrap();
    assert!(deleted.exceptions[&Moment::At(id)].deleted);
    let nowhere = crate::time::parse_eas_datetime("20260408T070000Z").unwrap();
    assert_eq!(
        delete_instance(&e, nowhere),
        Err(ApplyError::NoSuchOccurrence(nowhere))
    );
    let single = Event::new(e.when);
    assert_eq!(delete_instance(&single, id), Err(ApplyError::NotRecurring));
}

#[test]
fn at_16_a_new_pattern_or_start_clears_the_exceptions() {
    let e = series();
    let v = ProtocolVersion::V16_1;
    let start = change_of(vec![
        (Field::StartTime, Incoming::Time(local(2026, 3, 10, 10, 0))),
        (Field::EndTime, Incoming::Time(local(2026, 3, 10, 11, 0))),
    ]);
    let moved = apply(&e, &start, None, &ctx(v), &ApplyOptions::default()).unwrap();
    assert!(moved.exceptions.is_empty(), "R2202");
    let subject = change_of(vec![(Field::Subject, Incoming::Text("x".into()))]);
    let kept = apply(&e, &subject, None, &ctx(v), &ApplyOptions::default()).unwrap();
    assert_eq!(kept.exceptions, e.exceptions);
    // An empty Recurrence makes it a single event (R2180002).
    let single = change_of(vec![(
        Field::Recurrence,
        Incoming::Recurrence(Default::default()),
    )]);
    let one = apply(&e, &single, None, &ctx(v), &ApplyOptions::default()).unwrap();
    assert!(one.recurrence.is_none() && one.exceptions.is_empty());
}

#[test]
fn at_16_the_server_makes_the_uid_and_the_organizer() {
    let v = ProtocolVersion::V16_1;
    let el = [
        Element::text(cal::START_TIME, "20260310T080000Z"),
        Element::text(cal::END_TIME, "20260310T090000Z"),
        Element::text(cal::UID, "client-made"),
        Element::text(cal::CLIENT_UID, "retry-key"),
    ];
    let options = ApplyOptions {
        user_email: Some("jane@example.com".into()),
        user_name: Some("Jane Doe".into()),
        new_uid: Some("server-made".into()),
        ..ApplyOptions::default()
    };
    let e = create(&parse(&el, v).unwrap(), &ctx(v), &options).unwrap();
    assert_eq!(e.uid.as_deref(), Some("server-made"), "R2221, R2223");
    assert_eq!(e.client_uid.as_deref(), Some("retry-key"));
    assert_eq!(e.organizer_email.as_deref(), Some("jane@example.com"));
    let e14 = create(
        &parse(&el[..3], ProtocolVersion::V14_1).unwrap(),
        &ctx(ProtocolVersion::V14_1),
        &options,
    )
    .unwrap();
    assert_eq!(e14.uid.as_deref(), Some("client-made"), "R2219");
}

#[test]
fn an_attendee_cannot_take_over_a_received_meeting() {
    let mut e = series();
    e.meeting_status = Some(MeetingStatus::Received);
    e.organizer_email = Some("boss@example.com".into());
    let v = ProtocolVersion::V14_1;
    let hijack = change_of(vec![
        (
            Field::OrganizerEmail,
            Incoming::Text("jane@example.com".into()),
        ),
        (Field::MeetingStatus, Incoming::Number(1)),
        (Field::Attendees, Incoming::Empty),
    ]);
    let out = apply(
        &e,
        &hijack,
        Some(&FieldSet::default()),
        &ctx(v),
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(out.organizer_email, e.organizer_email);
    assert_eq!(out.meeting_status, e.meeting_status);
    assert_eq!(out.attendees, e.attendees);
}

#[test]
fn bad_values_are_status_6() {
    let v = ProtocolVersion::V14_1;
    for el in [
        Element::text(cal::BUSY_STATUS, "7"),
        Element::text(cal::SENSITIVITY, "4"),
        Element::text(cal::MEETING_STATUS, "2"),
        Element::text(cal::ALL_DAY_EVENT, "yes"),
        Element::text(cal::START_TIME, "yesterday"),
        Element::text(cal::TIMEZONE, "AAAA"),
        Element::text(cal::UID, "x".repeat(301)),
    ] {
        let err = parse(std::slice::from_ref(&el), v).expect_err("refused");
        assert_eq!(
            err.sync_status(),
            eas_protocol::status::SyncStatus::ConversionError,
            "{err}"
        );
    }
    let mut rec = Element::new(cal::RECURRENCE);
    rec.push_text(cal::TYPE, "1");
    rec.push_text(cal::DAY_OF_WEEK, "2");
    rec.push_text(cal::DAY_OF_MONTH, "3");
    let change = parse(&[rec], v).unwrap();
    assert!(matches!(
        apply(&series(), &change, None, &ctx(v), &ApplyOptions::default()),
        Err(ApplyError::Recurrence(_))
    ));
    assert!(parse(&[], ProtocolVersion::V2_5).is_err());
}

/// An `Attachments` element with an `Add` of `content` under `client_id`.
fn attachment_add(client_id: &str, name: &str, content: &[u8]) -> Element {
    Element::new(asb::ATTACHMENTS).with(
        Element::new(asb::ADD)
            .with_text(asb::CLIENT_ID, client_id)
            .with_text(asb::METHOD, "1")
            .with_text(asb::CONTENT_TYPE, "text/plain")
            .with(Element::opaque(asb::CONTENT, content.to_vec()))
            .with_text(asb::DISPLAY_NAME, name),
    )
}

fn attachment_delete(file_reference: &str) -> Element {
    Element::new(asb::ATTACHMENTS)
        .with(Element::new(asb::DELETE).with_text(asb::FILE_REFERENCE, file_reference))
}

/// The event as the store keeps it: each new attachment named, its bytes taken away.
fn stored_as(mut e: Event) -> Event {
    for (n, a) in e.all_attachments_mut().enumerate() {
        if a.is_new() {
            a.file_reference = format!("cal:att:{n}");
            a.content = None;
        }
    }
    e
}

fn single(v: ProtocolVersion, data: &[Element]) -> Event {
    let change = parse(data, v).expect("parses");
    create(&change, &ctx(v), &ApplyOptions::default()).expect("creates")
}

fn times() -> Vec<Element> {
    vec![
        Element::text(cal::START_TIME, "20260310T080000Z"),
        Element::text(cal::END_TIME, "20260310T090000Z"),
    ]
}

#[test]
fn at_16_an_add_brings_attachments_with_their_bytes() {
    let mut data = times();
    data.push(attachment_add("c1", "plan.txt", b"\x00plan\xff"));
    let mut e = single(ProtocolVersion::V16_1, &data);
    let [a] = e.attachments.as_slice() else {
        panic!("one attachment: {:?}", e.attachments);
    };
    assert!(a.is_new());
    assert_eq!(a.client_id.as_deref(), Some("c1"));
    assert_eq!(a.display_name.as_deref(), Some("plan.txt"));
    assert_eq!(a.content_type.as_deref(), Some("text/plain"));
    assert_eq!((a.method, a.size), (1, 6));
    assert_eq!(
        e.take_new_contents(),
        [("c1".to_string(), b"\x00plan\xff".to_vec())]
    );
    assert!(e.attachments[0].content.is_none());
    // The stored form never holds the bytes.
    let mut with_bytes = e.clone();
    with_bytes.attachments[0].content = Some(vec![1, 2]);
    assert!(!crate::stored::to_json(&with_bytes).contains("content\""));
}

#[test]
fn before_16_attachments_are_neither_read_nor_written() {
    let mut data = times();
    data.push(attachment_add("c1", "plan.txt", b"plan"));
    assert!(single(ProtocolVersion::V14_1, &data).attachments.is_empty());
    let e = stored_as(single(ProtocolVersion::V16_1, &data));
    assert!(find(&rendered(&e, ProtocolVersion::V14_1), asb::ATTACHMENTS).is_none());
    assert!(find(&rendered(&e, ProtocolVersion::V16_0), asb::ATTACHMENTS).is_some());
}

#[test]
fn at_16_attachments_go_out_with_their_file_reference_in_the_xsd_order() {
    let mut data = times();
    data.push(attachment_add("c1", "plan.txt", b"plan"));
    let mut e = stored_as(single(ProtocolVersion::V16_1, &data));
    e.attachments[0].content_id = Some("cid-1".into());
    e.attachments[0].content_location = Some("plan".into());
    e.attachments[0].is_inline = true;
    e.attachments[0].method = 6;
    let out = rendered(&e, ProtocolVersion::V16_1);
    let atts = find(&out, asb::ATTACHMENTS).expect("Attachments");
    let att: Vec<&Element> = atts.children_of(asb::ATTACHMENT).collect();
    assert_eq!(att.len(), 1);
    let names: Vec<Tag> = att[0].elements().map(|c| c.tag).collect();
    assert_eq!(
        names,
        [
            asb::DISPLAY_NAME,
            asb::FILE_REFERENCE,
            asb::METHOD,
            asb::ESTIMATED_DATA_SIZE,
            asb::CONTENT_ID,
            asb::CONTENT_LOCATION,
            asb::IS_INLINE
        ]
    );
    assert_eq!(
        att[0].child_text(asb::FILE_REFERENCE).as_deref(),
        Some("cal:att:0")
    );
    assert_eq!(att[0].child_text(asb::METHOD).as_deref(), Some("6"));
    assert_eq!(
        att[0].child_text(asb::ESTIMATED_DATA_SIZE).as_deref(),
        Some("4")
    );
    // No ClientId in a server's Attachment of ApplicationData.
    assert!(att[0].child(asb::CLIENT_ID).is_none());
    // An ItemOperations Schema without Attachments leaves them out.
    let schema = FieldSet::from_elements(&[Element::new(cal::SUBJECT)]);
    let options = RenderOptions {
        schema: Some(&schema),
        ..RenderOptions::default()
    };
    let out = render(&e, &ctx(ProtocolVersion::V16_1), &options).unwrap();
    assert!(find(&out, asb::ATTACHMENTS).is_none());
}

#[test]
fn a_change_without_attachments_keeps_them_and_a_delete_removes_one() {
    let v = ProtocolVersion::V16_1;
    let mut data = times();
    data.push(
        Element::new(asb::ATTACHMENTS)
            .with(
                attachment_add("c1", "a.txt", b"a")
                    .elements()
                    .next()
                    .unwrap()
                    .clone(),
            )
            .with(
                attachment_add("c2", "b.txt", b"b")
                    .elements()
                    .next()
                    .unwrap()
                    .clone(),
            ),
    );
    let stored = stored_as(single(v, &data));
    assert_eq!(stored.attachments.len(), 2);
    // Ghosted: a Change of the subject alone keeps both.
    let change = parse(&[Element::text(cal::SUBJECT, "New")], v).unwrap();
    let kept = apply(&stored, &change, None, &ctx(v), &ApplyOptions::default()).unwrap();
    assert_eq!(kept.attachments, stored.attachments);
    // So does a 14.1 client's Change that deletes what it omits.
    let change = parse(
        &[Element::text(cal::SUBJECT, "New")],
        ProtocolVersion::V14_1,
    )
    .unwrap();
    let kept = apply(
        &stored,
        &change,
        None,
        &ctx(ProtocolVersion::V14_1),
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(kept.attachments, stored.attachments);
    // A Delete by FileReference removes that one only.
    let first = stored.attachments[0].file_reference.clone();
    let change = parse(&[attachment_delete(&first)], v).unwrap();
    let after = apply(&stored, &change, None, &ctx(v), &ApplyOptions::default()).unwrap();
    assert_eq!(after.attachments, stored.attachments[1..]);
    // A Delete of a FileReference the item does not have is status 6 (MS-ASAIRS R1374).
    let change = parse(&[attachment_delete("cal:att:nope")], v).unwrap();
    let err = apply(&stored, &change, None, &ctx(v), &ApplyOptions::default()).unwrap_err();
    assert_eq!(err, ApplyError::UnknownAttachment("cal:att:nope".into()));
    assert_eq!(
        err.sync_status(),
        eas_protocol::status::SyncStatus::ConversionError
    );
}

#[test]
fn an_attachment_add_without_client_id_or_content_is_status_6() {
    let v = ProtocolVersion::V16_1;
    for missing in [asb::CLIENT_ID, asb::CONTENT] {
        let mut add = Element::new(asb::ADD);
        for c in attachment_add("c1", "a.txt", b"a")
            .elements()
            .next()
            .unwrap()
            .elements()
            .filter(|c| c.tag != missing)
        {
            add.push(c.clone());
        }
        let err = parse(&[Element::new(asb::ATTACHMENTS).with(add)], v).unwrap_err();
        assert_eq!(
            err,
            ParseError::Attachments(eas_protocol::ParseError::Missing(missing))
        );
        assert_eq!(
            err.sync_status(),
            eas_protocol::status::SyncStatus::ConversionError
        );
    }
}

#[test]
fn at_16_an_occurrence_gets_attachments_of_its_own() {
    let v = ProtocolVersion::V16_1;
    let mut s = series();
    s.attachments = vec![crate::Attachment {
        file_reference: "cal:att:series".into(),
        display_name: Some("agenda.pdf".into()),
        size: 10,
        ..crate::Attachment::default()
    }];
    // A Change of the occurrence of 31 March that adds a file: it shows the series' and its own.
    let change = parse(&[attachment_add("c9", "minutes.txt", b"minutes")], v).unwrap();
    let key = Moment::At(local(2026, 3, 31, 9, 0));
    let e = stored_as(apply_instance(&s, local(2026, 3, 31, 9, 0), &change, &ctx(v)).unwrap());
    let Override::Set(list) = &e.exceptions[&key].attachments else {
        panic!("own attachments: {:?}", e.exceptions[&key]);
    };
    assert_eq!(list.len(), 2);
    assert_eq!(list[0], s.attachments[0]);
    assert_eq!(list[1].client_id.as_deref(), Some("c9"));
    assert_eq!(e.all_attachments().count(), 3);
    let out = rendered(&e, v);
    let exceptions = find(&out, cal::EXCEPTIONS).unwrap();
    let x = exceptions
        .children_of(cal::EXCEPTION)
        .find(|x| x.child(asb::ATTACHMENTS).is_some())
        .expect("an exception with attachments");
    assert_eq!(
        x.child(asb::ATTACHMENTS)
            .unwrap()
            .children_of(asb::ATTACHMENT)
            .count(),
        2
    );
    assert!(find(&rendered(&e, ProtocolVersion::V14_1), cal::EXCEPTIONS)
        .unwrap()
        .children_of(cal::EXCEPTION)
        .all(|x| x.child(asb::ATTACHMENTS).is_none()));
    // Deleting the file added to it gives the occurrence the series' list again: inherited.
    let added = list[1].file_reference.clone();
    let change = parse(&[attachment_delete(&added)], v).unwrap();
    let back = apply_instance(&e, local(2026, 3, 31, 9, 0), &change, &ctx(v)).unwrap();
    assert!(back.exceptions[&key].attachments.is_inherit());
    // Deleting the series' file from one occurrence leaves that occurrence without
    // attachments and the series as it was.
    let change = parse(&[attachment_delete("cal:att:series")], v).unwrap();
    let none = apply_instance(&s, local(2026, 3, 31, 9, 0), &change, &ctx(v)).unwrap();
    assert_eq!(none.exceptions[&key].attachments, Override::Removed);
    assert_eq!(none.attachments, s.attachments);
}
