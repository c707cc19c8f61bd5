//! Collected recipients: an address already in any address book (case-insensitively) is not
//! added again, and collecting twice adds nothing.

use eas_contacts::{FolderRole, Recipient};
use eas_contacts_model::stored;

use crate::harness::{backend_tests, contact_json, folder_of, USER};

fn r(address: &str, name: &str) -> Recipient {
    Recipient {
        address: address.into(),
        display_name: name.into(),
    }
}

backend_tests! {
    async fn collecting_is_idempotent_and_skips_known_addresses(db: &TestDb) {
        let (service, _bus) = db.service().await;
        // The first collection creates the address book.
        let contacts = folder_of(&service, USER, FolderRole::Contacts).await;
        let collected = folder_of(&service, USER, FolderRole::Collected).await;
        let (work, _) = service.create_folder(USER, None, "Work").await.unwrap();
        service
            .create_contact(USER, work.id, &contact_json("Known", "One", &["\"K\" <Known@Example.org>"]))
            .await
            .unwrap();
        let batch = [
            r("KNOWN@example.org", "Known One"),
            r("\"Pat\" <pat@example.org>", "\"Pat Lee\""),
            r("Pat@Example.org", "Pat again"),
            r("not-an-address", "x"),
            r("JDoe@example.loc", "myself"),
            r("sam@example.net", ""),
        ];
        assert_eq!(service.collect_recipients(USER, &batch).await.unwrap(), 2);
        let counter = service.folder_state(USER, collected).await.unwrap().counter;
        assert_eq!(service.collect_recipients(USER, &batch).await.unwrap(), 0);
        assert_eq!(service.collect_recipients(USER, &[r("SAM@EXAMPLE.NET", "Sam")]).await.unwrap(), 0);
        // Nothing added, nothing changed.
        assert_eq!(service.folder_state(USER, collected).await.unwrap().counter, counter);
        let log = service.changes_since(USER, collected, (0, ""), 100).await.unwrap();
        let ids: Vec<_> = log.iter().map(|v| v.id).collect();
        let stored_contacts = service.get_contacts(USER, collected, &ids).await.unwrap();
        let mut got: Vec<(Option<String>, Option<String>)> = stored_contacts
            .iter()
            .map(|c| {
                let c = stored::from_json(&c.json).unwrap();
                (c.file_as, c.email1_address)
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                (None, Some("sam@example.net".into())),
                (Some("Pat Lee".into()), Some("pat@example.org".into())),
            ]
        );
        // Once the user files the address in Contacts, the collected copy still counts as known.
        service
            .create_contact(USER, contacts, &contact_json("Pat", "Lee", &["pat@example.org"]))
            .await
            .unwrap();
        assert_eq!(service.collect_recipients(USER, &[r("pat@example.org", "")]).await.unwrap(), 0);
        // A deleted contact's address is no longer known.
        let known = service.search(USER, "known@", 10, true).await.unwrap();
        let hit = &known.hits[0].contact;
        service.delete_contact(USER, hit.folder_id, hit.id).await.unwrap();
        assert_eq!(service.collect_recipients(USER, &[r("known@example.org", "")]).await.unwrap(), 1);
    }

    async fn concurrent_collections_add_an_address_once(db: &TestDb) {
        let (service, _bus) = db.service().await;
        let collected = folder_of(&service, USER, FolderRole::Collected).await;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let service = service.clone();
                tokio::spawn(async move {
                    service.collect_recipients(USER, &[r("same@example.org", "Same")]).await.unwrap()
                })
            })
            .collect();
        let mut added = 0;
        for t in tasks {
            added += t.await.unwrap();
        }
        assert_eq!(added, 1);
        let log = service.changes_since(USER, collected, (0, ""), 100).await.unwrap();
        assert_eq!(log.len(), 1);
    }
}
