//! Every committed write publishes one change event of class Contacts per folder it touched,
//! carrying the folder's new counter (or the hierarchy counter for a folder change); a refused
//! write publishes none.

use eas_contacts::{FolderRole, Recipient};
use eas_event_bus::{ChangeEvent, DataClass};

use crate::harness::{backend_tests, contact_json, folder_of, next_event, USER};

fn items(folder: impl ToString, counter: u64) -> (String, u64, bool) {
    (folder.to_string(), counter, false)
}

fn hierarchy(folder: impl ToString, counter: u64) -> (String, u64, bool) {
    (folder.to_string(), counter, true)
}

fn seen(e: &ChangeEvent) -> (String, u64, bool) {
    assert_eq!((e.user.as_str(), e.class), (USER, DataClass::Contacts));
    assert!(e.produced_ms.is_some());
    (e.folder_id.clone(), e.counter, e.hierarchy_changed)
}

backend_tests! {
    async fn each_write_publishes_its_folder_and_counter(db: &TestDb) {
        let (service, mut events) = db.book().await;
        let folder = folder_of(&service, USER, FolderRole::Contacts).await;
        let collected = folder_of(&service, USER, FolderRole::Collected).await;
        let (work, h1) = service.create_folder(USER, None, "Work").await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), hierarchy(work.id, h1));
        let a = service.create_contact(USER, folder, &contact_json("A", "A", &[])).await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), items(folder, a.modseq));
        // A refused write: no event (the next one seen is the following write's).
        assert!(service.update_contact(USER, folder, a.id, "{}", None).await.is_err());
        let u = service.update_contact(USER, folder, a.id, &contact_json("A", "B", &[]), None).await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), items(folder, u.modseq));
        let m = service.move_contact(USER, folder, a.id, work.id).await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), items(folder, m.tombstone.modseq));
        assert_eq!(seen(&next_event(&mut events).await), items(work.id, m.item.modseq));
        let d = service.delete_contact(USER, work.id, m.item.id).await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), items(work.id, d.modseq));
        let (_, h2) = service.update_folder(USER, work.id, None, "Work 2").await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), hierarchy(work.id, h2));
        let recipients = [Recipient { address: "new@example.org".into(), display_name: String::new() }];
        service.collect_recipients(USER, &recipients).await.unwrap();
        let c = service.folder_state(USER, collected).await.unwrap().counter;
        assert_eq!(seen(&next_event(&mut events).await), items(collected, c));
        // Collecting a known address writes nothing and publishes nothing.
        service.collect_recipients(USER, &recipients).await.unwrap();
        let h3 = service.delete_folder(USER, work.id).await.unwrap();
        assert_eq!(seen(&next_event(&mut events).await), hierarchy(work.id, h3));
    }
}
