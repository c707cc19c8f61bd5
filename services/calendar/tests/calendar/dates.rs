//! The FilterType date (`ItemVersion.date`, MS-ASCMD 2.2.3.68.2) as the edge reads it through
//! the collection contract: the end of an event's last occurrence in its own zone, 0 for a
//! series without end, and a change that moves it.

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use eas_calendar_model::{
    stored, DaySet, Event, Exception, Moment, Pattern, Recurrence, RecurrenceEnd, When,
};
use eas_rpc::calendar::{self as wire};
use eas_rpc::collections::{ChangesRequest, ItemVersion};

use crate::harness::{backend_tests, calendar_of, event, Wired, USER};

async fn add(w: &mut Wired, folder: &str, e: &Event) -> String {
    w.calendar
        .create_event(wire::CreateEventRequest {
            user: USER.into(),
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

async fn version(w: &mut Wired, folder: &str, id: &str) -> ItemVersion {
    w.collections
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
        .find(|v| v.id == id)
        .expect("the event's version")
}

fn paris(y: i32, mo: u32, d: u32, h: u32) -> chrono::DateTime<Utc> {
    Paris
        .with_ymd_and_hms(y, mo, d, h, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Weekly on Tuesdays at 09:00 in Paris from 10 March 2026 (before the change to summer time),
/// an hour each.
fn tuesdays(end: RecurrenceEnd) -> Event {
    let mut e = Event::new(When::timed(paris(2026, 3, 10, 9), paris(2026, 3, 10, 10)).unwrap());
    e.time_zone = Some(Paris);
    e.recurrence = Some(
        Recurrence::new(Pattern::Weekly {
            days: DaySet::of(chrono::Weekday::Tue),
        })
        .with_end(end),
    );
    e
}

backend_tests! {
    async fn a_yearly_series_started_three_years_ago_without_end_is_in_every_window(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        let start = Utc::now() - chrono::Duration::days(3 * 365 + 1);
        let mut e = event("Birthday", start.timestamp(), start.timestamp() + 3600);
        e.recurrence = Some(Recurrence::new(Pattern::Yearly { month: start.month() as u8, day: start.day() as u8 }));
        let id = add(&mut w, &folder, &e).await;
        let v = version(&mut w, &folder, &id).await;
        assert_eq!((v.date, v.deleted, v.complete), (0, false, false));
    }

    async fn a_counted_series_is_dated_by_the_end_of_its_last_occurrence(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        // The fifth Tuesday is 7 April, in summer time: 10:00 in Paris is 08:00 UTC.
        let id = add(&mut w, &folder, &tuesdays(RecurrenceEnd::Count(5))).await;
        assert_eq!(version(&mut w, &folder, &id).await.date, paris(2026, 4, 7, 10).timestamp());
        assert_eq!(paris(2026, 4, 7, 10), Utc.with_ymd_and_hms(2026, 4, 7, 8, 0, 0).unwrap());
        // Until the end of 24 March: three occurrences.
        let until = Moment::At(Utc.with_ymd_and_hms(2026, 3, 24, 23, 0, 0).unwrap());
        let id = add(&mut w, &folder, &tuesdays(RecurrenceEnd::Until(until))).await;
        assert_eq!(version(&mut w, &folder, &id).await.date, paris(2026, 3, 24, 10).timestamp());
        // A last occurrence moved later carries the end with it.
        let mut moved = tuesdays(RecurrenceEnd::Count(2));
        let later = Exception {
            when: Some(When::timed(paris(2026, 3, 20, 15), paris(2026, 3, 20, 16)).unwrap()),
            ..Exception::default()
        };
        moved.exceptions.insert(Moment::At(paris(2026, 3, 17, 9)), later);
        let id = add(&mut w, &folder, &moved).await;
        assert_eq!(version(&mut w, &folder, &id).await.date, paris(2026, 3, 20, 16).timestamp());
    }

    async fn single_and_all_day_events_are_dated_by_their_end_and_a_change_moves_it(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        let id = add(&mut w, &folder, &event("Call", 1_800_000_000, 1_800_001_800)).await;
        assert_eq!(version(&mut w, &folder, &id).await.date, 1_800_001_800);
        // An all-day event is over when its last day is over everywhere (UTC-12).
        let day = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let all_day = add(&mut w, &folder, &Event::new(When::all_day_for(day, 2))).await;
        assert_eq!(
            version(&mut w, &folder, &all_day).await.date,
            Utc.with_ymd_and_hms(2026, 3, 12, 12, 0, 0).unwrap().timestamp()
        );
        // The phone makes the call a daily series without end: no date any more.
        let mut series = event("Call", 1_800_000_000, 1_800_001_800);
        series.recurrence = Some(Recurrence::new(Pattern::Daily));
        w.calendar
            .update_event(wire::UpdateEventRequest { user: USER.into(), folder_id: folder.clone(), id: id.clone(), json: stored::to_json(&series), if_modseq: 0, attachments: Vec::new() })
            .await
            .unwrap();
        assert_eq!(version(&mut w, &folder, &id).await.date, 0);
        // And a tombstone has none.
        w.calendar
            .delete_event(wire::DeleteEventRequest { user: USER.into(), folder_id: folder.clone(), id: all_day.clone() })
            .await
            .unwrap();
        let v = version(&mut w, &folder, &all_day).await;
        assert_eq!((v.deleted, v.date), (true, 0));
    }
}
