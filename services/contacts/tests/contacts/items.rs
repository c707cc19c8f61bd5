//! Contacts: create, read, update (with and without `if_modseq`), delete, move, the change log
//! they leave, and the errors of each call.

use eas_contacts::{ContactId, ContactsError, FolderRole};
use eas_contacts_model::stored;

use crate::harness::{backend_tests, contact_json, folder_of, USER};

backend_tests! {
    async fn a_contact_is_stored_in_its_normal_form_and_read_back(db: &TestDb) {
        let (service, _events) = db.book().await;
        let folder = folder_of(&service, USER, FolderRole::Contacts).await;
        // Members in another order, and one this version does not know: stored normalised.
        let json = r#"{"last_name":"Doe","v":1,"first_name":"Jane","unknown_member":true}"#;
        let w = service.create_contact(USER, folder, json).await.unwrap();
        assert_eq!(w.folder_id, folder);
        let got = service.get_contacts(USER, folder, &[w.id, ContactId(999_999)]).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].id, got[0].modseq), (w.id, w.modseq));
        let contact = stored::from_json(&got[0].json).unwrap();
        assert_eq!(got[0].json, stored::to_json(&contact));
        assert_eq!(contact.first_name.as_deref(), Some("Jane"));
        assert_eq!(service.folder_state(USER, folder).await.unwrap().counter, w.modseq);
    }

    async fn an_update_moves_the_modseq_and_a_stale_one_conflicts(db: &TestDb) {
        let (service, _events) = db.book().await;
        let folder = folder_of(&service, USER, FolderRole::Contacts).await;
        let w1 = service.create_contact(USER, folder, &contact_json("A", "B", &[])).await.unwrap();
        let w2 = service
            .update_contact(USER, folder, w1.id, &contact_json("A", "C", &[]), Some(w1.modseq))
            .await
            .unwrap();
        assert_eq!(w2.id, w1.id);
        assert!(w2.modseq > w1.modseq);
        let stale = service
            .update_contact(USER, folder, w1.id, &contact_json("A", "D", &[]), Some(w1.modseq))
            .await;
        match stale {
            Err(ContactsError::Conflict { expected, current, .. }) => {
                assert_eq!((expected, current), (w1.modseq, w2.modseq));
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        // The refused write changed nothing, not even the counter.
        assert_eq!(service.folder_state(USER, folder).await.unwrap().counter, w2.modseq);
        let got = service.get_contacts(USER, folder, &[w1.id]).await.unwrap();
        assert_eq!(stored::from_json(&got[0].json).unwrap().last_name.as_deref(), Some("C"));
        // Unconditional.
        let w3 = service
            .update_contact(USER, folder, w1.id, &contact_json("A", "E", &[]), None)
            .await
            .unwrap();
        assert!(w3.modseq > w2.modseq);
    }

    async fn delete_and_move_leave_tombstones_in_the_change_log(db: &TestDb) {
        let (service, _events) = db.book().await;
        let folder = folder_of(&service, USER, FolderRole::Contacts).await;
        let (other, _) = service.create_folder(USER, None, "Other").await.unwrap();
        let a = service.create_contact(USER, folder, &contact_json("A", "A", &[])).await.unwrap();
        let b = service.create_contact(USER, folder, &contact_json("B", "B", &[])).await.unwrap();
        let gone = service.delete_contact(USER, folder, a.id).await.unwrap();
        let moved = service.move_contact(USER, folder, b.id, other.id).await.unwrap();
        assert_ne!(moved.item.id, b.id);
        assert_eq!(moved.tombstone.id, b.id);
        let log = service.changes_since(USER, folder, (0, ""), 100).await.unwrap();
        let seen: Vec<(ContactId, u64, bool)> = log.iter().map(|v| (v.id, v.modseq, v.deleted)).collect();
        assert_eq!(seen, [(a.id, gone.modseq, true), (b.id, moved.tombstone.modseq, true)]);
        assert!(service.get_contacts(USER, folder, &[a.id, b.id]).await.unwrap().is_empty());
        let there = service.get_contacts(USER, other.id, &[moved.item.id]).await.unwrap();
        assert_eq!(stored::from_json(&there[0].json).unwrap().first_name.as_deref(), Some("B"));
        // The moved contact is still found by search, once, in its new folder.
        let hits = service.search(USER, "b", 10, false).await.unwrap();
        assert_eq!(hits.total, 1);
        assert_eq!(hits.hits[0].contact.folder_id, other.id);
        // Purged tombstones leave the log; the horizon says so.
        assert_eq!(service.purge_tombstones(USER, folder, gone.modseq).await.unwrap(), 1);
        let state = service.folder_state(USER, folder).await.unwrap();
        assert_eq!(state.purged_through, gone.modseq);
        let versions = service.versions(USER, folder, &[a.id, b.id]).await.unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].id, b.id);
    }

    async fn item_calls_refuse_what_they_cannot_do(db: &TestDb) {
        let (service, _events) = db.book().await;
        let folder = folder_of(&service, USER, FolderRole::Contacts).await;
        let (other, _) = service.create_folder(USER, None, "Other").await.unwrap();
        let w = service.create_contact(USER, folder, &contact_json("A", "A", &[])).await.unwrap();
        for bad in ["", "not json", "{}", r#"{"v":2}"#, r#"{"v":1,"first_name":7}"#] {
            assert!(
                matches!(service.create_contact(USER, folder, bad).await, Err(ContactsError::InvalidContact(_))),
                "{bad:?}"
            );
            assert!(matches!(
                service.update_contact(USER, folder, w.id, bad, None).await,
                Err(ContactsError::InvalidContact(_))
            ));
        }
        // A contact is addressed in its own folder only.
        assert!(matches!(
            service.update_contact(USER, other.id, w.id, &contact_json("X", "X", &[]), None).await,
            Err(ContactsError::ContactNotFound(_))
        ));
        assert!(matches!(
            service.delete_contact(USER, other.id, w.id).await,
            Err(ContactsError::ContactNotFound(_))
        ));
        assert!(matches!(
            service.move_contact(USER, folder, w.id, folder).await,
            Err(ContactsError::SameFolder(_))
        ));
        service.delete_contact(USER, folder, w.id).await.unwrap();
        assert!(matches!(
            service.delete_contact(USER, folder, w.id).await,
            Err(ContactsError::ContactNotFound(_))
        ));
        assert!(matches!(
            service.move_contact(USER, folder, w.id, other.id).await,
            Err(ContactsError::ContactNotFound(_))
        ));
        // Another user sees none of it.
        let theirs = folder_of(&service, "other@example.loc", FolderRole::Contacts).await;
        assert!(matches!(
            service.create_contact(USER, theirs, &contact_json("X", "X", &[])).await,
            Err(ContactsError::FolderNotFound(_))
        ));
        assert!(matches!(
            service.create_contact("no address", folder, &contact_json("X", "X", &[])).await,
            Err(ContactsError::InvalidAddress(_))
        ));
    }
}
