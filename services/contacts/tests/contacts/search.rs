//! Search: case-insensitive prefixes of names, display-name words, nicknames and every e-mail
//! address, the collected contacts only when asked for, totals beyond the limit.

use eas_contacts::{ContactsError, FolderRole, Recipient};
use eas_contacts_model::{stored, Contact};

use crate::harness::{backend_tests, contact_json, folder_of, USER};

fn names(result: &eas_contacts::SearchResult) -> Vec<String> {
    result
        .hits
        .iter()
        .map(|h| {
            stored::from_json(&h.contact.json)
                .unwrap()
                .display_name()
                .unwrap_or_default()
        })
        .collect()
}

backend_tests! {
    async fn every_indexed_field_matches_by_prefix_without_case(db: &TestDb) {
        let (service, _events) = db.book().await;
        let folder = folder_of(&service, USER, FolderRole::Contacts).await;
        let jane = Contact {
            file_as: Some("Doe, Jane (Acme Corp)".into()),
            first_name: Some("Jane".into()),
            last_name: Some("Doe".into()),
            nick_name: Some("Janie".into()),
            email1_address: Some("jane.doe@example.com".into()),
            email2_address: Some("JD@Home.Example".into()),
            email3_address: Some("third@example.net".into()),
            ..Contact::default()
        };
        service.create_contact(USER, folder, &stored::to_json(&jane)).await.unwrap();
        service
            .create_contact(USER, folder, &contact_json("Bob", "Stone", &["bob@example.org"]))
            .await
            .unwrap();
        for query in ["JA", "doe", "Doe, J", "acme", "corp", "janie", "jane.d", "jd@home", "THIRD@"] {
            let r = service.search(USER, query, 10, false).await.unwrap();
            assert_eq!(names(&r), ["Doe, Jane (Acme Corp)"], "{query}");
            assert_eq!(r.total, 1);
            assert!(!r.hits[0].from_collected);
        }
        for query in ["ane", "example.com", "xyz", "%", "_"] {
            let r = service.search(USER, query, 10, false).await.unwrap();
            assert_eq!(r.total, 0, "{query}");
        }
        let r = service.search(USER, "b", 10, false).await.unwrap();
        assert_eq!(names(&r), ["Bob Stone"]);
        assert!(matches!(
            service.search(USER, "  ", 10, false).await,
            Err(ContactsError::InvalidQuery)
        ));
        // A user without an address book finds nothing, and gets no book from asking.
        let r = service.search("new@example.loc", "a", 10, true).await.unwrap();
        assert_eq!(r.total, 0);
        assert!(service.hierarchy("new@example.loc").await.unwrap().folders.is_empty());
    }

    async fn results_are_ordered_limited_and_counted(db: &TestDb) {
        let (service, _events) = db.book().await;
        let folder = folder_of(&service, USER, FolderRole::Contacts).await;
        let (work, _) = service.create_folder(USER, None, "Work").await.unwrap();
        for (f, first) in [(folder, "Mia"), (work.id, "max"), (folder, "Mark"), (work.id, "Milo")] {
            service.create_contact(USER, f, &contact_json(first, "M", &[])).await.unwrap();
        }
        let r = service.search(USER, "m", 3, false).await.unwrap();
        assert_eq!(r.total, 4);
        assert_eq!(names(&r), ["Mark M", "max M", "Mia M"]);
        // Nothing of another user.
        let theirs = folder_of(&service, "other@example.loc", FolderRole::Contacts).await;
        service.create_contact("other@example.loc", theirs, &contact_json("Mo", "M", &[])).await.unwrap();
        assert_eq!(service.search(USER, "m", 0, false).await.unwrap().total, 4);
    }

    async fn collected_contacts_are_found_only_when_asked_for(db: &TestDb) {
        let (service, _events) = db.book().await;
        let collected = folder_of(&service, USER, FolderRole::Collected).await;
        let added = service
            .collect_recipients(USER, &[Recipient { address: "zoe@example.org".into(), display_name: "Zoe Park".into() }])
            .await
            .unwrap();
        assert_eq!(added, 1);
        assert_eq!(service.search(USER, "zoe", 10, false).await.unwrap().total, 0);
        let r = service.search(USER, "park", 10, true).await.unwrap();
        assert_eq!(r.total, 1);
        assert!(r.hits[0].from_collected);
        assert_eq!(r.hits[0].contact.folder_id, collected);
        assert_eq!(names(&r), ["Zoe Park"]);
    }
}
