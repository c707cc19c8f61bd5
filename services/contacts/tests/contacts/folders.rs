//! The folder hierarchy: the default Contacts folder, user folders, the collected contacts
//! kept out of the synchronized list, and the errors of each folder call.

use eas_contacts::{ContactsError, FolderId, FolderRole, COLLECTED_FOLDER_NAME};

use crate::harness::{backend_tests, contact_json, folder_of, USER};

backend_tests! {
    async fn a_new_book_has_contacts_and_collected_and_lists_only_contacts(db: &TestDb) {
        let (service, _bus) = db.service().await;
        assert!(service.hierarchy(USER).await.unwrap().folders.is_empty());
        assert!(service.ensure_book(USER).await.unwrap());
        assert!(!service.ensure_book("JDoe@Example.LOC").await.unwrap());
        let h = service.hierarchy(USER).await.unwrap();
        let roles: Vec<(FolderRole, &str, u32)> = h
            .folders
            .iter()
            .map(|f| (f.role, f.name.as_str(), f.role.folder_type()))
            .collect();
        assert_eq!(
            roles,
            [
                (FolderRole::Contacts, "Contacts", 9),
                (FolderRole::Collected, COLLECTED_FOLDER_NAME, 14)
            ]
        );
        assert_eq!(h.counter, 1);
    }

    async fn user_folders_nest_rename_and_delete_with_their_contacts(db: &TestDb) {
        let (service, _events) = db.book().await;
        let contacts = folder_of(&service, USER, FolderRole::Contacts).await;
        let (work, c1) = service.create_folder(USER, None, " Work ").await.unwrap();
        assert_eq!((work.name.as_str(), work.role.folder_type()), ("Work", 14));
        let (team, c2) = service.create_folder(USER, Some(work.id), "Team").await.unwrap();
        assert!(c2 > c1);
        let (under, _) = service.create_folder(USER, Some(contacts), "Family").await.unwrap();
        assert_eq!(under.parent_id, Some(contacts));
        let inside = service
            .create_contact(USER, team.id, &contact_json("Ann", "Lee", &["ann@example.org"]))
            .await
            .unwrap();
        let (renamed, _) = service
            .update_folder(USER, team.id, None, "Team A")
            .await
            .unwrap();
        assert_eq!((renamed.name.as_str(), renamed.parent_id), ("Team A", None));
        service.update_folder(USER, team.id, Some(work.id), "Team A").await.unwrap();
        let before = service.hierarchy(USER).await.unwrap().counter;
        let after = service.delete_folder(USER, work.id).await.unwrap();
        assert!(after > before);
        let ids: Vec<FolderId> = service
            .hierarchy(USER)
            .await
            .unwrap()
            .folders
            .iter()
            .map(|f| f.id)
            .collect();
        assert!(!ids.contains(&work.id) && !ids.contains(&team.id), "{ids:?}");
        assert!(matches!(
            service.get_contacts(USER, team.id, &[inside.id]).await,
            Err(ContactsError::FolderNotFound(_))
        ));
        let hits = service.search(USER, "ann", 10, true).await.unwrap();
        assert_eq!(hits.total, 0);
    }

    async fn folder_calls_refuse_what_the_protocol_refuses(db: &TestDb) {
        let (service, _events) = db.book().await;
        let contacts = folder_of(&service, USER, FolderRole::Contacts).await;
        let collected = folder_of(&service, USER, FolderRole::Collected).await;
        let (work, _) = service.create_folder(USER, None, "Work").await.unwrap();
        let (sub, _) = service.create_folder(USER, Some(work.id), "Sub").await.unwrap();
        // Duplicates compare without case, under one parent only.
        assert!(matches!(
            service.create_folder(USER, None, "WORK").await,
            Err(ContactsError::FolderExists(_))
        ));
        service.create_folder(USER, Some(contacts), "Work").await.unwrap();
        // The collected contacts' name takes no slot: the user never sees that folder.
        service.create_folder(USER, None, COLLECTED_FOLDER_NAME).await.unwrap();
        for special in [contacts, collected] {
            assert!(matches!(
                service.update_folder(USER, special, None, "Renamed").await,
                Err(ContactsError::SpecialFolder(_))
            ));
            assert!(matches!(
                service.delete_folder(USER, special).await,
                Err(ContactsError::SpecialFolder(_))
            ));
        }
        assert!(matches!(
            service.update_folder(USER, work.id, Some(sub.id), "Work").await,
            Err(ContactsError::FolderCycle(_))
        ));
        assert!(matches!(
            service.update_folder(USER, work.id, Some(work.id), "Work").await,
            Err(ContactsError::FolderCycle(_))
        ));
        // Nothing goes under the collected contacts.
        assert!(matches!(
            service.create_folder(USER, Some(collected), "X").await,
            Err(ContactsError::FolderNotFound(_))
        ));
        for bad in ["", "  ", "a\u{7}b"] {
            assert!(matches!(
                service.create_folder(USER, None, bad).await,
                Err(ContactsError::InvalidFolderName)
            ));
        }
        // Another user's folder is no folder of this one.
        let other = folder_of(&service, "other@example.loc", FolderRole::Contacts).await;
        assert!(matches!(
            service.delete_folder(USER, other).await,
            Err(ContactsError::FolderNotFound(_))
        ));
        assert!(matches!(
            service.folder_state(USER, other).await,
            Err(ContactsError::FolderNotFound(_))
        ));
    }
}
