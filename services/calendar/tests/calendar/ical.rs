//! iCalendar import and export through the gRPC face: a round trip keeps every event as it
//! was stored, an event whose UID is already in the calendar is replaced, an unreadable event
//! costs only itself, and the calls' errors.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use eas_calendar_model::{stored, MeetingStatus};
use eas_event_bus::{EventBus, EventFilter};
use eas_rpc::calendar::{self as wire};
use eas_rpc::collections::ChangesRequest;
use eas_rpc::ServiceErrorCode as C;

use crate::harness::{
    backend_tests, calendar_of, code, event, next_event, no_event, read, Wired, OTHER, USER,
};

/// A weekly series in Paris with a deleted and a moved occurrence, a reminder and a property
/// EAS has no slot for; and a yearly all-day event.
const FILE: &str = "BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//Test//Test//EN\r\n\
BEGIN:VTIMEZONE\r\n\
TZID:Europe/Paris\r\n\
BEGIN:DAYLIGHT\r\n\
TZOFFSETFROM:+0100\r\n\
TZOFFSETTO:+0200\r\n\
DTSTART:19700329T020000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n\
END:DAYLIGHT\r\n\
BEGIN:STANDARD\r\n\
TZOFFSETFROM:+0200\r\n\
TZOFFSETTO:+0100\r\n\
DTSTART:19701025T030000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n\
END:STANDARD\r\n\
END:VTIMEZONE\r\n\
BEGIN:VEVENT\r\n\
UID:weekly-sync@example.org\r\n\
DTSTAMP:20260301T120000Z\r\n\
DTSTART;TZID=Europe/Paris:20260310T090000\r\n\
DTEND;TZID=Europe/Paris:20260310T100000\r\n\
SUMMARY:Weekly sync\r\n\
LOCATION:Room 4\r\n\
RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6\r\n\
EXDATE;TZID=Europe/Paris:20260317T090000\r\n\
X-CUSTOM:kept as it came\r\n\
BEGIN:VALARM\r\n\
ACTION:DISPLAY\r\n\
TRIGGER:-PT15M\r\n\
END:VALARM\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:holiday@example.org\r\n\
DTSTAMP:20260301T120000Z\r\n\
DTSTART;VALUE=DATE:20260501\r\n\
DTEND;VALUE=DATE:20260502\r\n\
SUMMARY:Holiday\r\n\
RRULE:FREQ=YEARLY\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:weekly-sync@example.org\r\n\
RECURRENCE-ID;TZID=Europe/Paris:20260324T090000\r\n\
DTSTAMP:20260301T120000Z\r\n\
DTSTART;TZID=Europe/Paris:20260324T110000\r\n\
DTEND;TZID=Europe/Paris:20260324T120000\r\n\
SUMMARY:Weekly sync (moved)\r\n\
LOCATION:Room 4\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n";

/// One event of its own.
fn single(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260301T120000Z\r\n\
         DTSTART:20260310T090000Z\r\nDTEND:20260310T100000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn import(user: &str, folder: &str, data: &str) -> wire::ImportRequest {
    wire::ImportRequest {
        user: user.into(),
        folder_id: folder.to_owned(),
        data: data.as_bytes().to_vec(),
        time_zone: String::new(),
    }
}

/// A calendar exported over gRPC, its chunks put together.
async fn export(w: &Wired, user: &str, folder: &str) -> String {
    let mut calendar = w.calendar.clone();
    let stream = calendar
        .export_ical(wire::ExportRequest {
            user: user.into(),
            folder_id: folder.to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    String::from_utf8(eas_rpc::chunks::collect(stream).await.unwrap()).unwrap()
}

/// Every live event of a calendar, by UID.
async fn by_uid(w: &Wired, folder: &str) -> BTreeMap<String, eas_calendar_model::Event> {
    let mut calendar = w.calendar.clone();
    let ids: Vec<String> = {
        let mut collections = w.collections.clone();
        collections
            .changes_since(ChangesRequest {
                user: USER.into(),
                folder_id: folder.to_owned(),
                after: None,
                limit: 1000,
            })
            .await
            .unwrap()
            .into_inner()
            .items
            .into_iter()
            .filter(|v| !v.deleted)
            .map(|v| v.id)
            .collect()
    };
    calendar
        .get_events(wire::GetEventsRequest {
            user: USER.into(),
            folder_id: folder.to_owned(),
            ids,
        })
        .await
        .unwrap()
        .into_inner()
        .events
        .iter()
        .map(|e| {
            let event = read(&e.json);
            (event.uid.clone().expect("every event has a UID"), event)
        })
        .collect()
}

backend_tests! {
    async fn an_import_exports_and_imports_again_as_the_same_events(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        let mut events = w.bus.subscribe(EventFilter::user(USER)).await.unwrap();
        // Empty folder id: the default Calendar.
        let imported = w.calendar.import_ical(import(USER, "", FILE)).await.unwrap().into_inner();
        assert_eq!((imported.imported, imported.ids.len()), (2, 2), "{:?}", imported.errors);
        assert!(imported.errors.is_empty());
        // One write: one modseq and one change event for the whole file.
        let woken = next_event(&mut events).await;
        assert_eq!(woken.folder_id, calendar);
        assert_eq!(woken.counter, w.service.folder_state(USER, calendar.parse().unwrap()).await.unwrap().counter);
        no_event(&mut events).await;
        let first = by_uid(&w, &calendar).await;
        let series = &first["weekly-sync@example.org"];
        assert_eq!((series.subject.as_deref(), series.reminder, series.exceptions.len()), (Some("Weekly sync"), Some(15), 2));
        // The FilterType date: the sixth Tuesday, 14 April 10:00 in Paris (summer time).
        let log = w.collections.changes_since(ChangesRequest { user: USER.into(), folder_id: calendar.clone(), after: None, limit: 10 }).await.unwrap().into_inner();
        let series_version = log.items.iter().find(|v| v.id == imported.ids[0]).unwrap();
        assert_eq!(series_version.date, Utc.with_ymd_and_hms(2026, 4, 14, 8, 0, 0).unwrap().timestamp());
        let holiday_version = log.items.iter().find(|v| v.id == imported.ids[1]).unwrap();
        assert_eq!(holiday_version.date, 0);
        let text = export(&w, USER, &calendar).await;
        // Two events: the series with its moved occurrence (a RECURRENCE-ID override), the holiday.
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 3, "{text}");
        for kept in ["X-CUSTOM:kept as it came", "BEGIN:VTIMEZONE", "TZID:Europe/Paris", "RECURRENCE-ID", "EXDATE", eas_calendar::PRODUCT_ID] {
            assert!(text.contains(kept), "export lost {kept}:\n{text}");
        }
        // Into another calendar, and out and in once more: the same events each time.
        let (copy, _) = w.service.create_folder(USER, None, "Copy").await.unwrap();
        let copy = copy.id.to_string();
        let again = w.calendar.import_ical(import(USER, &copy, &text)).await.unwrap().into_inner();
        assert_eq!((again.imported, again.errors.len()), (2, 0));
        let second = by_uid(&w, &copy).await;
        assert_eq!(second, first);
        let text2 = export(&w, USER, &copy).await;
        let (third, _) = w.service.create_folder(USER, None, "Third").await.unwrap();
        w.calendar.import_ical(import(USER, &third.id.to_string(), &text2)).await.unwrap();
        assert_eq!(by_uid(&w, &third.id.to_string()).await, first);
        // An empty calendar exports nothing.
        let (empty, _) = w.service.create_folder(USER, None, "Empty").await.unwrap();
        assert_eq!(export(&w, USER, &empty.id.to_string()).await, "");
    }

    async fn an_event_whose_uid_is_in_the_calendar_is_replaced(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        let first = w.calendar.import_ical(import(USER, &calendar, &single("rep-1", "First"))).await.unwrap().into_inner();
        let state = w.service.folder_state(USER, calendar.parse().unwrap()).await.unwrap();
        let second = w.calendar.import_ical(import(USER, &calendar, &single("rep-1", "Second"))).await.unwrap().into_inner();
        assert_eq!(second.ids, first.ids);
        let events = by_uid(&w, &calendar).await;
        assert_eq!(events.len(), 1);
        assert_eq!(events["rep-1"].subject.as_deref(), Some("Second"));
        let log = w.collections.changes_since(ChangesRequest { user: USER.into(), folder_id: calendar.clone(), after: None, limit: 10 }).await.unwrap().into_inner();
        assert_eq!(log.items.len(), 1);
        assert!(log.items[0].modseq > state.counter);
        // An event a phone added (with a ClientUid) is replaced too, and a retry of that Add
        // still finds it.
        let mut added = event("Phone", 1_700_000_000, 1_700_003_600);
        added.uid = Some("from-phone".into());
        let c = w.calendar
            .create_event(wire::CreateEventRequest { user: USER.into(), folder_id: calendar.clone(), json: stored::to_json(&added), client_uid: "cu".into(), attachments: Vec::new() })
            .await
            .unwrap()
            .into_inner();
        let replaced = w.calendar.import_ical(import(USER, &calendar, &single("from-phone", "From the file"))).await.unwrap().into_inner();
        assert_eq!(replaced.ids, std::slice::from_ref(&c.id));
        let retry = w.calendar
            .create_event(wire::CreateEventRequest { user: USER.into(), folder_id: calendar.clone(), json: stored::to_json(&added), client_uid: "cu".into(), attachments: Vec::new() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((retry.existed, retry.id.as_str()), (true, c.id.as_str()));
        assert_eq!(read(&retry.json).subject.as_deref(), Some("From the file"));
        // Two VCALENDARs of one file with one UID: both kept, the first replacing the stored one.
        let twice = format!("{}{}", single("rep-1", "Third"), single("rep-1", "Fourth"));
        let both = w.calendar.import_ical(import(USER, &calendar, &twice)).await.unwrap().into_inner();
        assert_eq!(both.ids.len(), 2);
        assert_eq!(both.ids[0], first.ids[0]);
        assert_ne!(both.ids[1], first.ids[0]);
        // The same UID in another calendar is another event.
        let (other, _) = w.service.create_folder(USER, None, "Other").await.unwrap();
        let elsewhere = w.calendar.import_ical(import(USER, &other.id.to_string(), &single("rep-1", "Elsewhere"))).await.unwrap().into_inner();
        assert_ne!(elsewhere.ids, first.ids);
    }

    async fn an_unreadable_event_is_reported_and_the_others_imported(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        let file = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n\
            BEGIN:VEVENT\r\nUID:no-start\r\nSUMMARY:No start\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nDTSTART:20260310T090000Z\r\nDTEND:20260310T100000Z\r\nSUMMARY:No UID\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:unclosed\r\nDTSTART:20260310T090000Z\r\n\
            BEGIN:VEVENT\r\nUID:bad-zone\r\nDTSTART;TZID=Nowhere/Special:20260310T090000\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:fine\r\nDTSTART:20260311T090000Z\r\nDTEND:20260311T100000Z\r\nEND:VEVENT\r\n\
            END:VCALENDAR\r\n";
        let imported = w.calendar.import_ical(import(USER, &calendar, file)).await.unwrap().into_inner();
        assert_eq!(imported.imported, 3);
        let refused: Vec<u32> = imported.errors.iter().map(|e| e.index).collect();
        assert_eq!(refused, [0, 3], "{:?}", imported.errors);
        assert!(imported.errors[0].reason.contains("DTSTART"), "{:?}", imported.errors);
        assert!(imported.errors[1].reason.contains("Nowhere/Special"), "{:?}", imported.errors);
        // The event without UID got one; the unclosed one is read up to the next event and
        // takes none of it along.
        let events = by_uid(&w, &calendar).await;
        assert_eq!(events.len(), 3);
        let unclosed = &events["unclosed"];
        assert_eq!(unclosed.when.start().instant(), Some(Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).unwrap()));
        assert_eq!(unclosed.subject, None);
        let generated = events.keys().find(|u| *u != "fine" && *u != "unclosed").unwrap();
        assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");
        assert_eq!(events[generated].subject.as_deref(), Some("No UID"));
        // A calendar without events: nothing to do, nothing refused.
        let empty = w.calendar.import_ical(import(USER, &calendar, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")).await.unwrap().into_inner();
        assert_eq!((empty.imported, empty.errors.len()), (0, 0));
    }

    async fn floating_times_are_read_in_the_zone_of_the_request(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        let floating = |uid: &str| format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
             DTSTART:20260310T090000\r\nDTEND:20260310T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        let paris = wire::ImportRequest { time_zone: "Europe/Paris".into(), ..import(USER, &calendar, &floating("in-paris")) };
        assert_eq!(w.calendar.import_ical(paris).await.unwrap().into_inner().imported, 1);
        w.calendar.import_ical(import(USER, &calendar, &floating("in-utc"))).await.unwrap();
        let events = by_uid(&w, &calendar).await;
        // 09:00 in Paris in March is 08:00 UTC; without a zone, 09:00 UTC.
        assert_eq!(events["in-paris"].when.start().instant(), Some(Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).unwrap()));
        assert_eq!(events["in-utc"].when.start().instant(), Some(Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).unwrap()));
        let bad = wire::ImportRequest { time_zone: "Mars/Olympus".into(), ..import(USER, &calendar, &floating("nowhere")) };
        assert_eq!(code(w.calendar.import_ical(bad).await), C::InvalidArgument);
        assert!(!by_uid(&w, &calendar).await.contains_key("nowhere"));
    }

    async fn what_phones_will_not_see_is_reported_as_warnings_of_imported_events(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        let file = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n\
            BEGIN:VEVENT\r\nUID:plain\r\nDTSTART:20260310T090000Z\r\nDTEND:20260310T100000Z\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:hourly\r\nDTSTART:20260311T090000Z\r\nDTEND:20260311T091500Z\r\nRRULE:FREQ=HOURLY;COUNT=3\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:extra\r\nDTSTART:20260312T090000Z\r\nDTEND:20260312T100000Z\r\nRDATE:20260320T090000Z\r\nEND:VEVENT\r\n\
            END:VCALENDAR\r\n";
        let imported = w.calendar.import_ical(import(USER, &calendar, file)).await.unwrap().into_inner();
        assert_eq!((imported.imported, imported.errors.len()), (3, 0), "{:?}", imported.errors);
        let warned: Vec<(u32, &str)> = imported.warnings.iter().map(|e| (e.index, e.reason.as_str())).collect();
        assert_eq!(warned.len(), 2, "{warned:?}");
        assert_eq!(warned[0].0, 1);
        assert!(warned[0].1.starts_with("hourly: RRULE") && warned[0].1.contains("FREQ=HOURLY"), "{warned:?}");
        assert_eq!(warned[1].0, 2);
        assert!(warned[1].1.starts_with("extra: RDATE"), "{warned:?}");
    }

    async fn a_meeting_is_imported_as_the_calendar_owner_sees_it(db: &TestDb) {
        let mut w = db.wired().await;
        let (team, _) = w.service.create_folder(USER, None, "Team").await.unwrap();
        let team = team.id.to_string();
        w.calendar
            .grant_share(wire::GrantShareRequest { owner: USER.into(), folder_id: team.clone(), grantee: OTHER.into(), access: wire::Access::ReadWrite.into() })
            .await
            .unwrap();
        let meeting = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:meeting\r\nDTSTAMP:20260301T120000Z\r\n\
             DTSTART:20260310T090000Z\r\nDTEND:20260310T100000Z\r\nSUMMARY:Review\r\n\
             ORGANIZER:mailto:{USER}\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{OTHER}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        // The grantee imports into the owner's calendar: the owner organizes the meeting.
        let shared = w.calendar.import_ical(import(OTHER, &team, &meeting)).await.unwrap().into_inner();
        let got = w.service.get_events(USER, team.parse().unwrap(), &[shared.ids[0].parse().unwrap()]).await.unwrap();
        assert_eq!(read(&got[0].json).meeting_status, Some(MeetingStatus::Organizer));
        // Into the grantee's own calendar, the same file is a meeting they were invited to.
        let own = calendar_of(&w.service, OTHER).await;
        let mine = w.calendar.import_ical(import(OTHER, "", &meeting)).await.unwrap().into_inner();
        let got = w.service.get_events(OTHER, own, &[mine.ids[0].parse().unwrap()]).await.unwrap();
        assert_eq!(read(&got[0].json).meeting_status, Some(MeetingStatus::Received));
    }

    async fn import_and_export_refuse_what_they_cannot_do(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        let theirs = calendar_of(&w.service, OTHER).await.to_string();
        let counter = w.service.folder_state(USER, calendar.parse().unwrap()).await.unwrap().counter;
        for bad in [&b""[..], b"hello\r\n", b"\xff\xfe\x00", b"BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n", b"BEGIN:VEVENT\r\nDTSTART:20260310T090000Z\r\nEND:VEVENT\r\n"] {
            assert_eq!(
                code(w.calendar.import_ical(wire::ImportRequest { data: bad.to_vec(), ..import(USER, &calendar, "") }).await),
                C::InvalidArgument,
                "{bad:?}"
            );
        }
        for unknown in [theirs.as_str(), "999999", "x"] {
            assert_eq!(code(w.calendar.import_ical(import(USER, unknown, FILE)).await), C::NotFound, "{unknown}");
            assert_eq!(code(w.calendar.export_ical(wire::ExportRequest { user: USER.into(), folder_id: unknown.into() }).await), C::NotFound);
        }
        assert_eq!(code(w.calendar.import_ical(import("nobody", "", FILE)).await), C::InvalidArgument);
        // Nothing was written anywhere.
        assert_eq!(w.service.folder_state(USER, calendar.parse().unwrap()).await.unwrap().counter, counter);
        assert!(w.service.export_ical(OTHER, theirs.parse().unwrap()).await.unwrap().1 == 0);
    }
}
