//! The whole way an event travels: an iCalendar file (a weekly series with `RRULE`, an
//! `EXDATE`, a moved occurrence and a cancelled one) in each of six zones → `Event` → EAS
//! `ApplicationData` at 14.1 and 16.1 → a phone's `Change` of the subject (at 14.1 the whole
//! event sent back as it came, at 16.1 the subject alone, every other property ghosted) → apply →
//! iCalendar → `Event`; the occurrences compared over two years (UTC instants and local times)
//! and every other field compared as it was.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use eas_calendar_model::eas::{self, ApplyOptions, EasContext, RenderOptions};
use eas_calendar_model::ical::{self, ExportOptions, ImportOptions};
use eas_calendar_model::{Event, When};
use eas_protocol::ProtocolVersion::{self, V14_1, V16_1};
use eas_wbxml::tags::calendar as cal;
use eas_wbxml::Element;

const ZONES: [&str; 6] = [
    "Europe/Paris",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "UTC",
];

/// Mondays 09:00 local from 5 January 2026, 30 times (across the DST changes of both
/// hemispheres); 19 January deleted, 26 January moved to Tuesday 14:00 with its own subject,
/// 9 February cancelled.
fn ics(zone: &str) -> String {
    let t = |d: &str| {
        if zone == "UTC" {
            format!(":{d}Z")
        } else {
            format!(";TZID={zone}:{d}")
        }
    };
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//eas-server tests//EN",
        "BEGIN:VEVENT",
        &format!("UID:weekly-{}@example.org", zone.replace('/', "-")),
        "DTSTAMP:20251201T120000Z",
        &format!("DTSTART{}", t("20260105T090000")),
        &format!("DTEND{}", t("20260105T100000")),
        "RRULE:FREQ=WEEKLY;COUNT=30;BYDAY=MO",
        &format!("EXDATE{}", t("20260119T090000")),
        &format!("EXDATE{}", t("20260209T090000")),
        "SUMMARY:Weekly review",
        "LOCATION:Room 4",
        "DESCRIPTION:Agenda in the shared folder.",
        "CATEGORIES:Work,Team",
        "CLASS:PRIVATE",
        "TRANSP:OPAQUE",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "DESCRIPTION:Weekly review",
        "TRIGGER:-PT10M",
        "END:VALARM",
        "END:VEVENT",
        "BEGIN:VEVENT",
        &format!("UID:weekly-{}@example.org", zone.replace('/', "-")),
        "DTSTAMP:20251201T120000Z",
        &format!("RECURRENCE-ID{}", t("20260126T090000")),
        &format!("DTSTART{}", t("20260127T140000")),
        &format!("DTEND{}", t("20260127T150000")),
        "SUMMARY:Weekly review (moved)",
        "LOCATION:Room 4",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    .join("\r\n")
}

fn import(text: &str, zone: Tz) -> Event {
    let options = ImportOptions {
        default_zone: zone,
        ..ImportOptions::default()
    };
    let mut imported = ical::import(text, &options).expect("the file imports");
    assert_eq!(imported.events.len(), 1, "one series with its override");
    imported.events.remove(0)
}

fn export(e: &Event) -> String {
    ical::export(
        std::slice::from_ref(e),
        &ExportOptions {
            product_id: "-//eas-server tests//EN".into(),
            dtstamp: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        },
    )
}

/// Each occurrence over two years: its UTC start and end, its local start in `zone`.
fn occurrences(e: &Event, zone: Tz) -> Vec<(DateTime<Utc>, DateTime<Utc>, NaiveDateTime)> {
    let from = Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2027, 7, 1, 0, 0, 0).unwrap();
    e.occurrences_between(from, to, zone)
        .into_iter()
        .map(|o| match o.when {
            When::Timed { start, end } => (start, end, start.with_timezone(&zone).naive_local()),
            When::AllDay { .. } => panic!("a timed series"),
        })
        .collect()
}

/// What the phone sends back: at 14.1 every element it got, the subject edited; at 16.1 the
/// subject alone (MS-ASCAL 3.1.5.3: everything is ghosted; the client sends no `Exceptions`,
/// `UID` or `DtStamp` in a Change).
fn phone_change(received: &[Element], version: ProtocolVersion) -> Vec<Element> {
    let subject = Element::text(cal::SUBJECT, "Weekly review (new name)");
    if version >= V16_1 {
        return vec![subject];
    }
    received
        .iter()
        .map(|e| {
            if e.tag == cal::SUBJECT {
                subject.clone()
            } else {
                e.clone()
            }
        })
        .collect()
}

#[test]
fn a_series_from_ical_through_a_phone_change_and_back_keeps_every_occurrence_and_field() {
    let mut checked = 0;
    for name in ZONES {
        let zone: Tz = name.parse().unwrap();
        let original = import(&ics(name), zone);
        let before = occurrences(&original, zone);
        assert_eq!(
            before.len(),
            30 - 2,
            "{name}: thirty Mondays less the two deleted"
        );
        assert!(
            before
                .iter()
                .all(|(_, _, local)| local.format("%H:%M").to_string() == "09:00"
                    || local.format("%m-%d %H:%M").to_string() == "01-27 14:00"),
            "{name}: every occurrence at 09:00 local, the moved one at 14:00: {before:?}"
        );
        for version in [V14_1, V16_1] {
            let ctx = EasContext {
                version,
                user_zone: zone,
                first_day_of_week: 1,
                now: Utc.with_ymd_and_hms(2026, 1, 2, 12, 0, 0).unwrap(),
            };
            let received = eas::render(&original, &ctx, &RenderOptions::default()).unwrap();
            let change = eas::parse(&phone_change(&received, version), version)
                .unwrap_or_else(|e| panic!("{name} at {version}: {e}"));
            let changed =
                eas::apply(&original, &change, None, &ctx, &ApplyOptions::default()).unwrap();
            assert_eq!(changed.subject.as_deref(), Some("Weekly review (new name)"));

            let text = export(&changed);
            let back = import(&text, zone);
            assert_eq!(
                occurrences(&back, zone),
                before,
                "{name} at {version}: the occurrences over two years\n{text}"
            );
            let mut expected = original.clone();
            expected.subject = changed.subject.clone();
            let mut got = back.clone();
            // What the export stamps itself.
            got.dtstamp = expected.dtstamp;
            assert_eq!(
                got.exceptions, expected.exceptions,
                "{name} at {version}: the exceptions\n{text}"
            );
            assert_eq!(got.recurrence, expected.recurrence, "{name} at {version}");
            assert_eq!(got.time_zone, expected.time_zone, "{name} at {version}");
            assert_eq!(
                (
                    &got.location,
                    &got.notes,
                    &got.categories,
                    got.sensitivity,
                    got.busy_status
                ),
                (
                    &expected.location,
                    &expected.notes,
                    &expected.categories,
                    expected.sensitivity,
                    expected.busy_status
                ),
                "{name} at {version}"
            );
            assert_eq!(got.reminder, expected.reminder, "{name} at {version}");
            assert_eq!(got.uid, expected.uid, "{name} at {version}");
            assert_eq!(got.when, expected.when, "{name} at {version}");
            checked += 1;
        }
    }
    assert_eq!(checked, ZONES.len() * 2);
}
