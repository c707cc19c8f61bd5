//! iCalendar import and export: series with deleted, moved and cancelled occurrences in six
//! zones, all-day events, other producers' zone names, and what EAS cannot carry.

use chrono::{NaiveDate, NaiveTime, TimeZone as _, Utc};
use chrono_tz::Tz;

use super::*;
use crate::event::{AttendeeStatus, AttendeeType, BusyStatus, Override, Sensitivity, When};
use crate::recurrence::expand::to_local;
use crate::recurrence::{DaySet, Pattern, RecurrenceEnd};
use crate::time::Moment;

const ZONES: [&str; 6] = [
    "Europe/Paris",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "UTC",
];

fn options() -> ImportOptions {
    ImportOptions {
        default_zone: Tz::UTC,
        user_email: Some("jane@example.com".into()),
    }
}

fn export_options() -> ExportOptions {
    ExportOptions {
        product_id: "-//EAS server//calendar model tests//EN".into(),
        dtstamp: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    }
}

fn crlf(text: &str) -> String {
    text.lines().map(|l| format!("{l}\r\n")).collect()
}

/// A weekly Tuesday 09:00 series in `zone`, ten occurrences: the 2nd deleted by EXDATE, the
/// 3rd moved to 14:00 with a new subject, the 4th cancelled by its override.
fn series_file(zone: &str) -> String {
    let (tzid, utc) = if zone == "UTC" {
        (String::new(), "Z")
    } else {
        (format!(";TZID={zone}"), "")
    };
    crlf(&format!(
        "BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//Test//EN
BEGIN:VEVENT
UID:series-1@example.com
DTSTAMP:20260101T120000Z
DTSTART{tzid}:20260310T090000{utc}
DTEND{tzid}:20260310T100000{utc}
SUMMARY:Weekly sync\\, team
LOCATION:Room 4
DESCRIPTION:Agenda:\\n1. news\\n2. plans
ORGANIZER;CN=Jane Doe:mailto:jane@example.com
ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:bob@example.com
ATTENDEE;CN=Room 4;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION:mailto:room4@example.com
CATEGORIES:Work,Team
CLASS:PRIVATE
TRANSP:OPAQUE
RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=TU;WKST=MO
EXDATE{tzid}:20260317T090000{utc}
X-MOZ-GENERATION:4
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Reminder
TRIGGER:-PT15M
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:series-1@example.com
RECURRENCE-ID{tzid}:20260324T090000{utc}
DTSTAMP:20260102T120000Z
DTSTART{tzid}:20260324T140000{utc}
DTEND{tzid}:20260324T150000{utc}
SUMMARY:Weekly sync (moved)
LOCATION:Room 4
ORGANIZER;CN=Jane Doe:mailto:jane@example.com
ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:bob@example.com
ATTENDEE;CN=Room 4;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION:mailto:room4@example.com
CATEGORIES:Work,Team
CLASS:PRIVATE
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
UID:series-1@example.com
RECURRENCE-ID{tzid}:20260331T090000{utc}
DTSTAMP:20260102T120000Z
DTSTART{tzid}:20260331T090000{utc}
DTEND{tzid}:20260331T100000{utc}
SUMMARY:Weekly sync
STATUS:CANCELLED
END:VEVENT
END:VCALENDAR"
    ))
}

fn import_one(text: &str) -> Event {
    let imported = import(text, &options()).expect("imports");
    assert_eq!(imported.events.len(), 1, "{:?}", imported.warnings);
    imported.events.into_iter().next().unwrap()
}

fn round_trip(event: &Event) -> (String, Event) {
    let text = export(std::slice::from_ref(event), &export_options());
    let back = import(&text, &options()).expect("reads its own export");
    assert!(back.warnings.is_empty(), "{:?}\n{text}", back.warnings);
    assert_eq!(back.events.len(), 1, "{text}");
    (text, back.events.into_iter().next().unwrap())
}

#[test]
fn a_series_with_deleted_moved_and_cancelled_occurrences_round_trips_in_six_zones() {
    for zone in ZONES {
        let e = import_one(&series_file(zone));
        let z: Tz = zone.parse().unwrap();
        assert_eq!(e.zone(), z, "{zone}");
        assert_eq!(e.subject.as_deref(), Some("Weekly sync, team"));
        assert_eq!(
            e.notes.as_ref().map(|n| n.text.as_str()),
            Some("Agenda:\n1. news\n2. plans")
        );
        assert_eq!(e.organizer_email.as_deref(), Some("jane@example.com"));
        assert_eq!(e.organizer_name.as_deref(), Some("Jane Doe"));
        assert_eq!(e.attendees.len(), 2);
        assert_eq!(e.attendees[0].status, Some(AttendeeStatus::Accepted));
        assert_eq!(e.attendees[0].kind, Some(AttendeeType::Required));
        assert_eq!(e.attendees[1].kind, Some(AttendeeType::Resource));
        assert_eq!(e.attendees[1].status, Some(AttendeeStatus::NotResponded));
        assert_eq!(e.categories, ["Work", "Team"]);
        assert_eq!(e.sensitivity, Some(Sensitivity::Private));
        assert_eq!(e.busy_status, Some(BusyStatus::Busy));
        assert_eq!(e.reminder, Some(15));
        assert_eq!(e.meeting_status, Some(crate::MeetingStatus::Organizer));
        let rec = e.recurrence.as_ref().expect("a series");
        assert_eq!(
            rec.pattern,
            Pattern::Weekly {
                days: DaySet::of(chrono::Weekday::Tue)
            }
        );
        assert_eq!(rec.end, RecurrenceEnd::Count(10));
        assert_eq!(e.ical.extra_named("X-MOZ-GENERATION").count(), 1);

        let local = |d: u32, h: u32| {
            crate::recurrence::expand::resolve_local(
                z,
                NaiveDate::from_ymd_opt(2026, 3, d)
                    .unwrap()
                    .and_hms_opt(h, 0, 0)
                    .unwrap(),
            )
        };
        assert!(e.exceptions[&Moment::At(local(17, 9))].deleted, "EXDATE");
        assert!(e.exceptions[&Moment::At(local(31, 9))].deleted, "cancelled");
        let moved = &e.exceptions[&Moment::At(local(24, 9))];
        assert_eq!(
            moved.when,
            Some(When::timed(local(24, 14), local(24, 15)).unwrap())
        );
        assert_eq!(
            moved.subject,
            Override::Set("Weekly sync (moved)".to_string())
        );
        assert_eq!(moved.location, Override::Inherit);
        assert_eq!(
            moved.notes,
            Override::Removed,
            "the override has no DESCRIPTION"
        );
        assert_eq!(moved.reminder, Override::Removed, "nor an alarm");
        assert_eq!(e.occurrences().count(), 8);
        for o in e.occurrences() {
            let t = o.when.start().instant().unwrap();
            let h = if o.exception.is_some() { 14 } else { 9 };
            assert_eq!(
                to_local(z, t).time(),
                NaiveTime::from_hms_opt(h, 0, 0).unwrap(),
                "{zone}: local time across daylight saving changes"
            );
        }

        let (text, back) = round_trip(&e);
        assert_eq!(back, e, "{zone}\n{text}");
        let (_, again) = round_trip(&back);
        assert_eq!(again, e, "{zone}: stable");
    }
}

#[test]
fn the_export_has_a_zone_per_zone_and_overrides_with_every_inherited_property() {
    let e = import_one(&series_file("Europe/Paris"));
    let text = export(std::slice::from_ref(&e), &export_options());
    assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 1);
    assert!(text.contains("TZID:Europe/Paris"));
    assert!(text.contains("DTSTART;TZID=Europe/Paris:20260310T090000"));
    assert!(text.contains("EXDATE;TZID=Europe/Paris:20260317T090000,20260331T090000"));
    let override_part = &text[text.find("RECURRENCE-ID").expect("an override")..];
    for inherited in [
        "LOCATION:Room 4",
        "CATEGORIES:Work,Team",
        "CLASS:PRIVATE",
        "ATTENDEE;CN=Bob",
    ] {
        assert!(override_part.contains(inherited), "{inherited}\n{text}");
    }
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{line}");
    }
    assert!(text.ends_with("END:VCALENDAR\r\n"));

    let utc = import_one(&series_file("UTC"));
    let text = export(&[e, utc], &export_options());
    assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 1, "none for UTC");
    assert!(text.contains("DTSTART:20260310T090000Z"));
}

fn all_day_file(days: u32) -> String {
    let end = 10 + days;
    crlf(&format!(
        "BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//Test//EN
BEGIN:VEVENT
UID:all-day-{days}@example.com
DTSTAMP:20260101T120000Z
DTSTART;VALUE=DATE:20260310
DTEND;VALUE=DATE:202603{end}
SUMMARY:Conference
RRULE:FREQ=YEARLY;UNTIL=20300310
EXDATE;VALUE=DATE:20270310
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:all-day-{days}@example.com
RECURRENCE-ID;VALUE=DATE:20280310
DTSTAMP:20260101T120000Z
DTSTART;VALUE=DATE:20280312
DTEND;VALUE=DATE:202803{}
SUMMARY:Conference
TRANSP:TRANSPARENT
END:VEVENT
END:VCALENDAR",
        12 + days
    ))
}

#[test]
fn all_day_and_three_day_events_stay_on_their_dates() {
    for days in [1, 3] {
        let e = import_one(&all_day_file(days));
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(
            e.when,
            When::all_day(d(2026, 3, 10), d(2026, 3, 10 + days)).unwrap()
        );
        assert_eq!(e.time_zone, None, "all-day events have no zone");
        assert_eq!(e.busy_status, Some(BusyStatus::Free));
        assert_eq!(
            e.recurrence.as_ref().unwrap().end,
            RecurrenceEnd::Until(Moment::On(d(2030, 3, 10)))
        );
        assert!(e.exceptions[&Moment::On(d(2027, 3, 10))].deleted);
        let moved = &e.exceptions[&Moment::On(d(2028, 3, 10))];
        assert_eq!(
            moved.when,
            Some(When::all_day(d(2028, 3, 12), d(2028, 3, 12 + days)).unwrap())
        );
        let starts: Vec<Moment> = e.occurrences().map(|o| o.when.start()).collect();
        assert_eq!(
            starts,
            [
                Moment::On(d(2026, 3, 10)),
                Moment::On(d(2028, 3, 12)),
                Moment::On(d(2029, 3, 10)),
                Moment::On(d(2030, 3, 10))
            ]
        );
        let (text, back) = round_trip(&e);
        assert!(text.contains("EXDATE;VALUE=DATE:20270310"), "{text}");
        assert!(text.contains("RECURRENCE-ID;VALUE=DATE:20280310"), "{text}");
        assert!(!text.contains("VTIMEZONE"));
        assert_eq!(back, e, "{text}");
    }
}

#[test]
fn windows_zone_names_and_floating_times_are_read() {
    let outlook = crlf(
        "BEGIN:VCALENDAR
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
VERSION:2.0
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:outlook-1
DTSTAMP:20260101T120000Z
DTSTART;TZID=W. Europe Standard Time:20260710T090000
DTEND;TZID=W. Europe Standard Time:20260710T093000
SUMMARY:Outlook meeting
X-MICROSOFT-CDO-BUSYSTATUS:OOF
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
UID:floating-1
DTSTAMP:20260101T120000Z
DTSTART:20260710T090000
DURATION:PT45M
SUMMARY:Floating
END:VEVENT
END:VCALENDAR",
    );
    let imported = import(
        &outlook,
        &ImportOptions {
            default_zone: chrono_tz::America::New_York,
            user_email: None,
        },
    )
    .expect("imports");
    let [outlook_event, floating] = imported.events.as_slice() else {
        panic!("two events: {:?}", imported.events)
    };
    assert_eq!(outlook_event.zone().name(), "Europe/Berlin");
    assert_eq!(
        outlook_event.when.start(),
        Moment::At(Utc.with_ymd_and_hms(2026, 7, 10, 7, 0, 0).unwrap())
    );
    assert_eq!(
        outlook_event.busy_status,
        Some(BusyStatus::OutOfOffice),
        "CDO wins"
    );
    assert_eq!(floating.zone(), chrono_tz::America::New_York);
    assert_eq!(
        floating.when,
        When::timed(
            Utc.with_ymd_and_hms(2026, 7, 10, 13, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 7, 10, 13, 45, 0).unwrap()
        )
        .unwrap()
    );
}

#[test]
fn a_rule_eas_cannot_say_is_reported_and_kept() {
    let text = crlf(
        "BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:hourly-1
DTSTAMP:20260101T120000Z
DTSTART:20260310T090000Z
DTEND:20260310T091500Z
SUMMARY:Stand-up
RRULE:FREQ=DAILY;BYHOUR=9,17;COUNT=6
RDATE:20260401T090000Z
END:VEVENT
END:VCALENDAR",
    );
    let imported = import(&text, &options()).expect("imports");
    assert!(matches!(
        imported.warnings.as_slice(),
        [
            ImportWarning::UnexpressibleRule { uid, rule, .. },
            ImportWarning::ExtraDates { .. }
        ] if uid == "hourly-1" && rule.contains("BYHOUR=9,17") && rule.contains("COUNT=6")
    ));
    let e = &imported.events[0];
    assert_eq!(e.recurrence, None);
    assert_eq!(e.last_end(), None, "its end is not known to EAS");
    let out = export(std::slice::from_ref(e), &export_options());
    // As calcard writes it: the same rule, its parts in RFC order.
    assert!(
        out.contains("RRULE:FREQ=DAILY;COUNT=6;BYHOUR=9,17"),
        "{out}"
    );
    assert!(out.contains("RDATE:20260401T090000Z"), "{out}");
}

#[test]
fn an_override_without_its_series_is_an_event_of_its_own() {
    let text = crlf(
        "BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:lonely
RECURRENCE-ID:20260310T090000Z
DTSTAMP:20260101T120000Z
DTSTART:20260310T100000Z
DTEND:20260310T110000Z
SUMMARY:Invited to one occurrence
END:VEVENT
END:VCALENDAR",
    );
    let imported = import(&text, &options()).expect("imports");
    assert_eq!(
        imported.warnings,
        [ImportWarning::OrphanOverride {
            uid: "lonely".into()
        }]
    );
    assert_eq!(imported.events.len(), 1);
    assert_eq!(
        imported.events[0].ical.extra_named("RECURRENCE-ID").count(),
        1
    );
}

#[test]
fn files_that_are_not_icalendar_are_refused_and_cut_ones_read_as_far_as_they_go() {
    assert_eq!(import("", &options()), Err(ICalError::NoCalendar));
    assert_eq!(import("hello\r\n", &options()), Err(ICalError::NoCalendar));
    // A file cut short is read as far as it goes.
    let cut = import(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260310T090000Z\r\n",
        &options(),
    )
    .expect("lenient");
    assert_eq!(cut.events.len(), 1);
}

#[test]
fn an_event_without_a_start_is_skipped_with_a_warning() {
    let text = crlf(
        "BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:no-start
SUMMARY:Nothing
END:VEVENT
END:VCALENDAR",
    );
    let imported = import(&text, &options()).expect("imports");
    assert!(imported.events.is_empty());
    assert!(matches!(
        imported.warnings.as_slice(),
        [ImportWarning::Skipped { property, .. }] if property == "DTSTART"
    ));
}

#[test]
fn inline_attachments_round_trip_with_name_type_and_bytes_and_uris_stay_as_they_came() {
    let file = crlf(
        "BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//Test//EN
BEGIN:VEVENT
UID:att-1@example.com
DTSTAMP:20260101T120000Z
DTSTART:20260310T090000Z
DTEND:20260310T100000Z
SUMMARY:With files
ATTACH;VALUE=BINARY;ENCODING=BASE64;FMTTYPE=text/plain;X-FILENAME=notes.txt:AGhlbGxv/w==
ATTACH;FMTTYPE=application/pdf:https://files.example.com/agenda.pdf
ATTACH;ENCODING=BASE64;VALUE=BINARY;X-APPLE-FILENAME=pic.png:iVBORw==
END:VEVENT
END:VCALENDAR
",
    );
    let event = import_one(&file);
    let [notes, pic] = event.attachments.as_slice() else {
        panic!("two inline attachments: {:?}", event.attachments);
    };
    assert_eq!(notes.content.as_deref(), Some(&b"\x00hello\xff"[..]));
    assert_eq!(notes.size, 7);
    assert_eq!(notes.display_name.as_deref(), Some("notes.txt"));
    assert_eq!(notes.content_type.as_deref(), Some("text/plain"));
    assert_eq!(pic.display_name.as_deref(), Some("pic.png"));
    assert_eq!(pic.content.as_deref(), Some(&b"\x89PNG"[..]));
    let uris: Vec<&crate::meta::Property> = event.ical.extra_named("ATTACH").collect();
    assert_eq!(uris.len(), 1);
    assert_eq!(uris[0].value, "https://files.example.com/agenda.pdf");
    let (text, again) = round_trip(&event);
    assert!(text.contains("X-FILENAME=notes.txt"), "{text}");
    assert!(
        text.contains("https://files.example.com/agenda.pdf"),
        "{text}"
    );
    assert_eq!(again.attachments, event.attachments);
    assert_eq!(again.ical, event.ical);
    // An attachment whose bytes are not at hand is left out, not written empty.
    let mut without = event.clone();
    without.attachments[0].content = None;
    let text = export(&[without], &export_options());
    assert!(!text.contains("notes.txt"), "{text}");
    // Content that is not base64 is refused (the importer then keeps the property as it came,
    // with a warning); a URI is not inline content.
    let mut bad = crate::meta::Property::new("ATTACH", "!!!");
    bad.params = vec![
        crate::meta::Param::new("ENCODING", &["BASE64"]),
        crate::meta::Param::new("VALUE", &["BINARY"]),
    ];
    assert!(matches!(
        super::import::binary_attachment(&bad),
        Some(Err(_))
    ));
    let uri = crate::meta::Property::new("ATTACH", "https://files.example.com/a.pdf");
    assert!(super::import::binary_attachment(&uri).is_none());
}

#[test]
fn an_override_with_its_own_attachment_keeps_it_and_one_like_the_master_inherits() {
    let file = crlf(
        "BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//Test//EN
BEGIN:VEVENT
UID:att-2@example.com
DTSTART:20260310T090000Z
DTEND:20260310T100000Z
RRULE:FREQ=WEEKLY;COUNT=3
ATTACH;VALUE=BINARY;ENCODING=BASE64;X-FILENAME=a.txt:YQ==
END:VEVENT
BEGIN:VEVENT
UID:att-2@example.com
RECURRENCE-ID:20260317T090000Z
DTSTART:20260317T090000Z
DTEND:20260317T100000Z
ATTACH;VALUE=BINARY;ENCODING=BASE64;X-FILENAME=a.txt:YQ==
ATTACH;VALUE=BINARY;ENCODING=BASE64;X-FILENAME=b.txt:Yg==
END:VEVENT
BEGIN:VEVENT
UID:att-2@example.com
RECURRENCE-ID:20260324T090000Z
DTSTART:20260324T110000Z
DTEND:20260324T120000Z
ATTACH;VALUE=BINARY;ENCODING=BASE64;X-FILENAME=a.txt:YQ==
END:VEVENT
END:VCALENDAR
",
    );
    let event = import_one(&file);
    let at = |d| Moment::At(Utc.with_ymd_and_hms(2026, 3, d, 9, 0, 0).unwrap());
    let Override::Set(own) = &event.exceptions[&at(17)].attachments else {
        panic!("own attachments: {:?}", event.exceptions[&at(17)]);
    };
    assert_eq!(own.len(), 2);
    assert!(event.exceptions[&at(24)].attachments.is_inherit());
    let (_, again) = round_trip(&event);
    assert_eq!(again.exceptions, event.exceptions);
    assert_eq!(again.attachments, event.attachments);
}
