//! Events: create, read, update (with and without `if_modseq`), delete, move, the change log
//! they leave, and the errors of each call.

use eas_calendar::{CalendarError, EventId};
use eas_calendar_model::stored;

use crate::harness::{backend_tests, calendar_of, event, event_json, read, OTHER, USER};

backend_tests! {
    async fn an_event_is_stored_in_its_normal_form_and_read_back(db: &TestDb) {
        let (service, _events) = db.account().await;
        let folder = calendar_of(&service, USER).await;
        // Members in another order, and one this version does not know: stored normalised.
        let json = r#"{"subject":"Lunch","v":1,"uid":"u-1","unknown_member":true,"when":{"end":"2026-03-10T13:00:00Z","start":"2026-03-10T12:00:00Z"}}"#;
        let c = service.create_event(USER, folder, json, "").await.unwrap();
        assert!(!c.existed);
        assert_eq!(c.event.folder_id, folder);
        let got = service.get_events(USER, folder, &[c.event.id, EventId(999_999)]).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].id, got[0].modseq), (c.event.id, c.event.modseq));
        let e = read(&got[0].json);
        assert_eq!(got[0].json, stored::to_json(&e));
        assert_eq!(got[0].json, c.event.json);
        assert_eq!((e.subject.as_deref(), e.uid.as_deref()), (Some("Lunch"), Some("u-1")));
        assert_eq!(service.folder_state(USER, folder).await.unwrap().counter, c.event.modseq);
        let v = service.versions(USER, folder, &[c.event.id]).await.unwrap();
        assert_eq!(v[0].date, read(json).last_end().unwrap().timestamp());
    }

    async fn an_update_moves_the_modseq_keeps_the_uid_and_a_stale_one_conflicts(db: &TestDb) {
        let (service, _events) = db.account().await;
        let folder = calendar_of(&service, USER).await;
        let c = service.create_event(USER, folder, &event_json("A", 1_700_000_000, 1_700_003_600), "").await.unwrap();
        let uid = read(&c.event.json).uid.unwrap();
        // A version without UID keeps the stored one; the date follows the new end.
        let w2 = service
            .update_event(USER, folder, c.event.id, &event_json("B", 1_700_000_000, 1_700_007_200), Some(c.event.modseq))
            .await
            .unwrap();
        assert_eq!(w2.id, c.event.id);
        assert!(w2.modseq > c.event.modseq);
        let stale = service
            .update_event(USER, folder, c.event.id, &event_json("C", 1_700_000_000, 1_700_003_600), Some(c.event.modseq))
            .await;
        match stale {
            Err(CalendarError::Conflict { expected, current, .. }) => assert_eq!((expected, current), (c.event.modseq, w2.modseq)),
            other => panic!("expected a conflict, got {other:?}"),
        }
        // The refused write changed nothing, not even the counter.
        assert_eq!(service.folder_state(USER, folder).await.unwrap().counter, w2.modseq);
        let got = read(&service.get_events(USER, folder, &[c.event.id]).await.unwrap()[0].json);
        assert_eq!((got.subject.as_deref(), got.uid.as_deref()), (Some("B"), Some(uid.as_str())));
        let v = service.versions(USER, folder, &[c.event.id]).await.unwrap();
        assert_eq!(v[0].date, 1_700_007_200);
        // A version with a UID of its own carries it.
        let mut e = event("D", 1_700_000_000, 1_700_003_600);
        e.uid = Some("another".into());
        service.update_event(USER, folder, c.event.id, &stored::to_json(&e), None).await.unwrap();
        let got = read(&service.get_events(USER, folder, &[c.event.id]).await.unwrap()[0].json);
        assert_eq!(got.uid.as_deref(), Some("another"));
    }

    async fn delete_and_move_leave_tombstones_in_the_change_log(db: &TestDb) {
        let (service, _events) = db.account().await;
        let folder = calendar_of(&service, USER).await;
        let (other, _) = service.create_folder(USER, None, "Other").await.unwrap();
        let a = service.create_event(USER, folder, &event_json("A", 1_700_000_000, 1_700_003_600), "").await.unwrap().event;
        let b = service.create_event(USER, folder, &event_json("B", 1_700_000_000, 1_700_003_600), "cu-b").await.unwrap().event;
        let gone = service.delete_event(USER, folder, a.id).await.unwrap();
        let moved = service.move_event(USER, folder, b.id, other.id).await.unwrap();
        assert_ne!(moved.item.id, b.id);
        assert_eq!(moved.tombstone.id, b.id);
        let log = service.changes_since(USER, folder, (0, ""), 100).await.unwrap();
        let seen: Vec<(EventId, u64, bool, i64)> = log.iter().map(|v| (v.id, v.modseq, v.deleted, v.date)).collect();
        assert_eq!(seen, [(a.id, gone.modseq, true, 0), (b.id, moved.tombstone.modseq, true, 0)]);
        assert!(service.get_events(USER, folder, &[a.id, b.id]).await.unwrap().is_empty());
        let there = service.get_events(USER, other.id, &[moved.item.id]).await.unwrap();
        assert_eq!(there[0].json, b.json);
        let there_log = service.changes_since(USER, other.id, (0, ""), 100).await.unwrap();
        assert_eq!((there_log[0].id, there_log[0].date), (moved.item.id, 1_700_003_600));
        // The ClientUid went along: a repeated Add in the destination finds the moved event,
        // one in the source (where it is a tombstone now) adds anew.
        let again = service.create_event(USER, other.id, &event_json("B", 1_700_000_000, 1_700_003_600), "cu-b").await.unwrap();
        assert!(again.existed);
        assert_eq!(again.event.id, moved.item.id);
        assert!(!service.create_event(USER, folder, &event_json("B", 1_700_000_000, 1_700_003_600), "cu-b").await.unwrap().existed);
        // Purged tombstones leave the log; the horizon says so.
        assert_eq!(service.purge_tombstones(USER, folder, gone.modseq).await.unwrap(), 1);
        let state = service.folder_state(USER, folder).await.unwrap();
        assert_eq!(state.purged_through, gone.modseq);
        let versions = service.versions(USER, folder, &[a.id, b.id]).await.unwrap();
        assert_eq!(versions.iter().map(|v| v.id).collect::<Vec<_>>(), [b.id]);
    }

    async fn a_moved_event_whose_client_uid_is_taken_in_the_destination_goes_without(db: &TestDb) {
        let (service, _events) = db.account().await;
        let folder = calendar_of(&service, USER).await;
        let (other, _) = service.create_folder(USER, None, "Other").await.unwrap();
        let here = service.create_event(USER, folder, &event_json("A", 1_700_000_000, 1_700_003_600), "same").await.unwrap().event;
        let there = service.create_event(USER, other.id, &event_json("B", 1_700_000_000, 1_700_003_600), "same").await.unwrap().event;
        let moved = service.move_event(USER, folder, here.id, other.id).await.unwrap();
        // The first event with that ClientUid in the destination stays the one a retry finds.
        let again = service.create_event(USER, other.id, &event_json("B", 1_700_000_000, 1_700_003_600), "same").await.unwrap();
        assert_eq!((again.existed, again.event.id), (true, there.id));
        assert_eq!(service.get_events(USER, other.id, &[moved.item.id]).await.unwrap().len(), 1);
    }

    async fn item_calls_refuse_what_they_cannot_do(db: &TestDb) {
        let (service, _events) = db.account().await;
        let folder = calendar_of(&service, USER).await;
        let (other, _) = service.create_folder(USER, None, "Other").await.unwrap();
        let w = service.create_event(USER, folder, &event_json("A", 1_700_000_000, 1_700_003_600), "").await.unwrap().event;
        for bad in ["", "not json", "{}", r#"{"v":2}"#, r#"{"v":1,"subject":"no when"}"#, r#"{"v":1,"when":{"start":"2026-03-10T12:00:00Z","end":"2026-03-10T11:00:00Z"}}"#] {
            assert!(matches!(service.create_event(USER, folder, bad, "").await, Err(CalendarError::InvalidEvent(_))), "{bad:?}");
            assert!(matches!(service.update_event(USER, folder, w.id, bad, None).await, Err(CalendarError::InvalidEvent(_))), "{bad:?}");
        }
        assert!(matches!(
            service.create_event(USER, folder, &event_json("A", 0, 1), &"x".repeat(301)).await,
            Err(CalendarError::InvalidEvent(_))
        ));
        // An event is addressed in its own calendar only.
        assert!(matches!(
            service.update_event(USER, other.id, w.id, &event_json("X", 0, 1), None).await,
            Err(CalendarError::EventNotFound(_))
        ));
        assert!(matches!(service.delete_event(USER, other.id, w.id).await, Err(CalendarError::EventNotFound(_))));
        assert!(matches!(service.move_event(USER, folder, w.id, folder).await, Err(CalendarError::SameFolder(_))));
        service.delete_event(USER, folder, w.id).await.unwrap();
        assert!(matches!(service.delete_event(USER, folder, w.id).await, Err(CalendarError::EventNotFound(_))));
        assert!(matches!(service.move_event(USER, folder, w.id, other.id).await, Err(CalendarError::EventNotFound(_))));
        // Another user sees none of it.
        let theirs = calendar_of(&service, OTHER).await;
        assert!(matches!(
            service.create_event(USER, theirs, &event_json("X", 0, 1), "").await,
            Err(CalendarError::FolderNotFound(_))
        ));
        assert!(matches!(service.get_events(OTHER, folder, &[w.id]).await, Err(CalendarError::FolderNotFound(_))));
        assert!(matches!(service.changes_since(OTHER, folder, (0, ""), 10).await, Err(CalendarError::FolderNotFound(_))));
        assert!(matches!(service.purge_tombstones(OTHER, folder, 10).await, Err(CalendarError::FolderNotFound(_))));
        assert!(matches!(
            service.create_event("no address", folder, &event_json("X", 0, 1), "").await,
            Err(CalendarError::InvalidAddress(_))
        ));
    }
}
