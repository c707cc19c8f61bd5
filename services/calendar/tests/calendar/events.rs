//! Every committed write publishes change events of class Calendar carrying the calendar's new
//! counter (or the hierarchy counter for a folder change); a refused write, and a repeated Add
//! that finds its event, publish none.

use eas_calendar::CalendarError;
use eas_event_bus::{ChangeEvent, DataClass};

use crate::harness::{backend_tests, calendar_of, event_json, next_event, no_event, USER};

fn items(folder: impl ToString, counter: u64) -> (String, u64, bool) {
    (folder.to_string(), counter, false)
}

fn hierarchy(folder: impl ToString, counter: u64) -> (String, u64, bool) {
    (folder.to_string(), counter, true)
}

fn seen(e: &ChangeEvent) -> (String, u64, bool) {
    assert_eq!((e.user.as_str(), e.class), (USER, DataClass::Calendar));
    assert!(e.produced_ms.is_some());
    (e.folder_id.clone(), e.counter, e.hierarchy_changed)
}

backend_tests! {
    async fn each_write_publishes_its_calendar_and_counter(db: &TestDb) {
        let (service, mut events) = db.account().await;
        let folder = calendar_of(&service, USER).await;
        let (work, h1) = service.create_folder(USER, None, "Work").await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), hierarchy(work.id, h1));
        let a = service.create_event(USER, folder, &event_json("A", 0, 60), "add-a").await.unwrap().event;
        assert_eq!(seen(&next_event(&mut events).await), items(folder, a.modseq));
        // A repeated Add writes nothing and publishes nothing.
        assert!(service.create_event(USER, folder, &event_json("A", 0, 60), "add-a").await.unwrap().existed);
        // A refused write: no event either.
        assert!(matches!(service.update_event(USER, folder, a.id, "{}", None).await, Err(CalendarError::InvalidEvent(_))));
        no_event(&mut events).await;
        let u = service.update_event(USER, folder, a.id, &event_json("B", 0, 60), None).await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), items(folder, u.modseq));
        let m = service.move_event(USER, folder, a.id, work.id).await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), items(folder, m.tombstone.modseq));
        assert_eq!(seen(&next_event(&mut events).await), items(work.id, m.item.modseq));
        let d = service.delete_event(USER, work.id, m.item.id).await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), items(work.id, d.modseq));
        let (_, h2) = service.update_folder(USER, work.id, None, "Work 2").await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), hierarchy(work.id, h2));
        let h3 = service.delete_folder(USER, work.id).await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), hierarchy(work.id, h3));
        no_event(&mut events).await;
    }
}
