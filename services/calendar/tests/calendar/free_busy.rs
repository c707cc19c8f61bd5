//! FreeBusy over gRPC: the busy times of a user's own calendars in a window, with a weekly
//! series (one occurrence moved and out of office, one deleted, one moved in from after the
//! window), a tentative event, a free one, an all-day one in the user's days (UTC or Paris), a user-created calendar,
//! a deleted event and a calendar shared with the user (not counted); the window's bounds.

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use eas_calendar_model::{
    stored, BusyStatus, DaySet, Event, Exception, Moment, Override, Pattern, Recurrence,
    RecurrenceEnd, When,
};
use eas_rpc::calendar::{self as wire, Access};
use eas_rpc::ServiceErrorCode as C;

use crate::harness::{backend_tests, calendar_of, code, event, Wired, OTHER, USER};

async fn add(w: &mut Wired, user: &str, folder: &str, e: &Event) -> String {
    w.calendar
        .create_event(wire::CreateEventRequest {
            user: user.into(),
            folder_id: folder.to_owned(),
            json: stored::to_json(e),
            client_uid: String::new(),
            attachments: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .id
}

fn utc(d: u32, h: u32, m: u32) -> i64 {
    Utc.with_ymd_and_hms(2026, 3, d, h, m, 0)
        .unwrap()
        .timestamp()
}

fn paris(d: u32, h: u32) -> chrono::DateTime<Utc> {
    Paris
        .with_ymd_and_hms(2026, 3, d, h, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn with_status(mut e: Event, status: Option<BusyStatus>) -> Event {
    e.busy_status = status;
    e
}

async fn free_busy(w: &mut Wired, user: &str, start: i64, end: i64) -> Vec<(i64, i64, i32)> {
    free_busy_in(w, user, start, end, "").await
}

/// FreeBusy with the user's zone (`""`: UTC).
async fn free_busy_in(
    w: &mut Wired,
    user: &str,
    start: i64,
    end: i64,
    zone: &str,
) -> Vec<(i64, i64, i32)> {
    w.calendar
        .free_busy(wire::FreeBusyRequest {
            user: user.into(),
            start,
            end,
            time_zone: zone.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .busy
        .into_iter()
        .map(|b| (b.start, b.end, b.busy_status))
        .collect()
}

backend_tests! {
    async fn the_busy_times_of_the_users_own_calendars_in_a_window(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        // The window: 2 March 00:00 UTC to 23 March 00:00 UTC (three weeks).
        let (start, end) = (utc(2, 0, 0), utc(23, 0, 0));

        // Weekly on Tuesdays at 09:00 in Paris (08:00 UTC in winter time) from 3 March, four
        // times: the 10th moved to Thursday 12th at 14:00 and out of office, the 17th deleted,
        // the 24th (after the window) moved into it on Friday 20th at 16:00.
        let mut series = Event::new(When::timed(paris(3, 9), paris(3, 10)).unwrap());
        series.time_zone = Some(Paris);
        series.busy_status = Some(BusyStatus::Busy);
        series.recurrence = Some(
            Recurrence::new(Pattern::Weekly { days: DaySet::of(chrono::Weekday::Tue) })
                .with_end(RecurrenceEnd::Count(4)),
        );
        series.exceptions.insert(
            Moment::At(paris(10, 9)),
            Exception {
                when: Some(When::timed(paris(12, 14), paris(12, 15)).unwrap()),
                busy_status: Override::Set(BusyStatus::OutOfOffice),
                ..Exception::default()
            },
        );
        series.exceptions.insert(Moment::At(paris(17, 9)), Exception::deleted());
        series.exceptions.insert(
            Moment::At(paris(24, 9)),
            Exception {
                when: Some(When::timed(paris(20, 16), paris(20, 17)).unwrap()),
                ..Exception::default()
            },
        );
        add(&mut w, USER, &calendar, &series).await;
        // A tentative event, a free one (left out), and one without BusyStatus across the
        // window's start (busy, not cut).
        let tentative = with_status(event("Maybe", utc(5, 13, 0), utc(5, 14, 0)), Some(BusyStatus::Tentative));
        add(&mut w, USER, &calendar, &tentative).await;
        let free = with_status(event("Lunch", utc(6, 12, 0), utc(6, 13, 0)), Some(BusyStatus::Free));
        add(&mut w, USER, &calendar, &free).await;
        add(&mut w, USER, &calendar, &event("Night", utc(1, 23, 0), utc(2, 1, 0))).await;
        // Before the window, ending at its start: not in it.
        add(&mut w, USER, &calendar, &event("Before", utc(1, 20, 0), utc(2, 0, 0))).await;
        // An all-day event on 9 March: that UTC day.
        let day = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        add(&mut w, USER, &calendar, &Event::new(When::all_day_for(day, 1))).await;
        // A deleted event leaves nothing.
        let gone = add(&mut w, USER, &calendar, &event("Gone", utc(11, 9, 0), utc(11, 10, 0))).await;
        w.calendar
            .delete_event(wire::DeleteEventRequest { user: USER.into(), folder_id: calendar.clone(), id: gone })
            .await
            .unwrap();
        // A calendar of the user's own making counts.
        let own = w
            .calendar
            .create_folder(wire::CreateFolderRequest { user: USER.into(), parent_id: String::new(), display_name: "Travel".into() })
            .await
            .unwrap()
            .into_inner()
            .folder
            .unwrap()
            .id;
        let elsewhere = with_status(event("Site visit", utc(18, 10, 0), utc(18, 11, 0)), Some(BusyStatus::WorkingElsewhere));
        add(&mut w, USER, &own, &elsewhere).await;
        // Another user's calendar shared with the user, read-write: not the user's time.
        let theirs = calendar_of(&w.service, OTHER).await.to_string();
        w.calendar
            .grant_share(wire::GrantShareRequest { owner: OTHER.into(), folder_id: theirs.clone(), grantee: USER.into(), access: Access::ReadWrite.into() })
            .await
            .unwrap();
        add(&mut w, OTHER, &theirs, &event("Their meeting", utc(4, 9, 0), utc(4, 10, 0))).await;
        add(&mut w, USER, &theirs, &event("Written by the grantee", utc(4, 11, 0), utc(4, 12, 0))).await;

        assert_eq!(
            free_busy(&mut w, USER, start, end).await,
            [
                (utc(1, 23, 0), utc(2, 1, 0), 2),
                (utc(3, 8, 0), utc(3, 9, 0), 2),
                (utc(5, 13, 0), utc(5, 14, 0), 1),
                (utc(9, 0, 0), utc(10, 0, 0), 2),
                (utc(12, 13, 0), utc(12, 14, 0), 3),
                (utc(18, 10, 0), utc(18, 11, 0), 4),
                (utc(20, 15, 0), utc(20, 16, 0), 2),
            ]
        );
        // The shared calendar is its owner's time.
        assert_eq!(
            free_busy(&mut w, OTHER, start, end).await,
            [(utc(4, 9, 0), utc(4, 10, 0), 2), (utc(4, 11, 0), utc(4, 12, 0), 2)]
        );
        // A narrower window: the occurrences that overlap it, by start.
        assert_eq!(
            free_busy(&mut w, USER, utc(9, 23, 30), utc(12, 13, 30)).await,
            [(utc(9, 0, 0), utc(10, 0, 0), 2), (utc(12, 13, 0), utc(12, 14, 0), 3)]
        );
        // For a user in Paris the all-day event covers 9 March in Paris: 23:00 UTC the day
        // before to 23:00 UTC; timed events do not move.
        assert_eq!(
            free_busy_in(&mut w, USER, utc(8, 12, 0), utc(10, 12, 0), "Europe/Paris").await,
            [(utc(8, 23, 0), utc(9, 23, 0), 2)]
        );
        let r = w
            .calendar
            .free_busy(wire::FreeBusyRequest { user: USER.into(), start, end, time_zone: "Mars/Olympus".into() })
            .await;
        assert_eq!(code(r), C::InvalidArgument);
    }

    async fn a_user_without_calendars_is_free_and_the_window_is_bounded(db: &TestDb) {
        let mut w = db.wired().await;
        let start = utc(2, 0, 0);
        assert_eq!(free_busy(&mut w, "nobody@example.loc", start, start + 3600).await, []);
        // Exactly 42 days is allowed; a second more, an empty window and a bad address are not.
        assert_eq!(free_busy(&mut w, USER, start, start + 42 * 86_400).await, []);
        for (user, s, e) in [
            (USER, start, start + 42 * 86_400 + 1),
            (USER, start, start),
            (USER, start, start - 1),
            ("not an address", start, start + 3600),
        ] {
            let r = w.calendar.free_busy(wire::FreeBusyRequest { user: user.into(), start: s, end: e, time_zone: String::new() }).await;
            assert_eq!(code(r), C::InvalidArgument, "{user} {s} {e}");
        }
    }
}
