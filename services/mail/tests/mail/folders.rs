//! Mailboxes and the folder hierarchy.

use eas_mail::{FolderType, MailError};

use crate::harness::{backend_tests, folder, text_mail, USER};

backend_tests! {
    async fn a_new_mailbox_has_the_five_standard_folders_at_the_top_level(db: &TestDb) {
        let store = db.store().await;
        assert!(store.ensure_mailbox(USER).await.unwrap());
        let hierarchy = store.hierarchy(USER).await.unwrap();
        let folders: Vec<(&str, i32)> = hierarchy
            .folders
            .iter()
            .map(|f| (f.name.as_str(), f.folder_type.code()))
            .collect();
        assert_eq!(
            folders,
            [("Inbox", 2), ("Drafts", 3), ("Deleted Items", 4), ("Sent Items", 5), ("Outbox", 6)]
        );
        assert!(hierarchy.folders.iter().all(|f| f.parent_id.is_none() && f.counter == 0));
        assert_eq!(hierarchy.counter, 1);
    }

    async fn ensure_mailbox_is_idempotent_and_keyed_by_the_lowercased_address(db: &TestDb) {
        let store = db.store().await;
        assert!(store.ensure_mailbox("JDoe@Example.LOC").await.unwrap());
        assert!(!store.ensure_mailbox(USER).await.unwrap());
        assert_eq!(store.hierarchy(USER).await.unwrap().folders.len(), 5);
    }

    async fn concurrent_ensure_mailbox_calls_create_one_mailbox(db: &TestDb) {
        let store = db.store().await;
        let calls = (0..8).map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.ensure_mailbox(USER).await })
        });
        let mut created = 0;
        for call in calls {
            created += usize::from(call.await.unwrap().unwrap());
        }
        assert_eq!(created, 1);
        assert_eq!(store.hierarchy(USER).await.unwrap().folders.len(), 5);
    }

    async fn an_unknown_mailbox_and_a_bad_address_are_errors(db: &TestDb) {
        let store = db.store().await;
        assert!(matches!(store.hierarchy(USER).await, Err(MailError::MailboxNotFound(_))));
        assert!(matches!(store.ensure_mailbox("nobody").await, Err(MailError::InvalidAddress(_))));
    }

    async fn folder_changes_move_the_hierarchy_counter_and_publish_events(db: &TestDb) {
        let (store, mut events) = db.mailbox().await;
        let inbox = folder(&store, FolderType::Inbox).await;
        let projects = store.create_folder(USER, None, "Projects").await.unwrap();
        assert_eq!(projects.folder_type, FolderType::UserMail);
        let event = events.recv().await.unwrap();
        assert!(event.hierarchy_changed);
        assert_eq!((event.folder_id, event.counter), (projects.id.to_string(), 2));

        let renamed = store.rename_folder(USER, projects.id, "Work").await.unwrap();
        assert_eq!(renamed.name, "Work");
        let moved = store.move_folder(USER, projects.id, Some(inbox)).await.unwrap();
        assert_eq!(moved.parent_id, Some(inbox));
        let hierarchy = store.hierarchy(USER).await.unwrap();
        assert_eq!(hierarchy.counter, 4);
        let work = hierarchy.folders.iter().find(|f| f.id == projects.id).unwrap();
        assert_eq!((work.name.as_str(), work.parent_id), ("Work", Some(inbox)));

        assert_eq!(store.delete_folder(USER, projects.id).await.unwrap(), 5);
        assert_eq!(store.hierarchy(USER).await.unwrap().folders.len(), 5);
        let counters: Vec<u64> = [
            events.recv().await.unwrap(),
            events.recv().await.unwrap(),
            events.recv().await.unwrap(),
        ]
        .iter()
        .map(|e| e.counter)
        .collect();
        assert_eq!(counters, [3, 4, 5]);
    }

    async fn sibling_folder_names_are_unique_regardless_of_case(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let inbox = folder(&store, FolderType::Inbox).await;
        store.create_folder(USER, None, "Receipts").await.unwrap();
        let err = store.create_folder(USER, None, "RECEIPTS").await.unwrap_err();
        assert!(matches!(err, MailError::FolderExists(_)), "{err:?}");
        // The same name under another parent is fine.
        store.create_folder(USER, Some(inbox), "Receipts").await.unwrap();
        let err = store.create_folder(USER, None, "inbox").await.unwrap_err();
        assert!(matches!(err, MailError::FolderExists(_)), "{err:?}");
    }

    async fn standard_folders_cannot_be_renamed_moved_or_deleted(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let inbox = folder(&store, FolderType::Inbox).await;
        let sent = folder(&store, FolderType::SentItems).await;
        for result in [
            store.rename_folder(USER, inbox, "Mail").await.map(|_| ()),
            store.move_folder(USER, sent, Some(inbox)).await.map(|_| ()),
            store.delete_folder(USER, inbox).await.map(|_| ()),
        ] {
            assert!(matches!(result, Err(MailError::SpecialFolder(_))), "{result:?}");
        }
    }

    async fn a_folder_cannot_move_under_its_own_descendant(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let a = store.create_folder(USER, None, "A").await.unwrap();
        let b = store.create_folder(USER, Some(a.id), "B").await.unwrap();
        let err = store.move_folder(USER, a.id, Some(b.id)).await.unwrap_err();
        assert!(matches!(err, MailError::FolderCycle(_)), "{err:?}");
        let err = store.move_folder(USER, a.id, Some(a.id)).await.unwrap_err();
        assert!(matches!(err, MailError::FolderCycle(_)), "{err:?}");
    }

    async fn deleting_a_folder_removes_its_subfolders_and_their_messages(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let a = store.create_folder(USER, None, "A").await.unwrap();
        let b = store.create_folder(USER, Some(a.id), "B").await.unwrap();
        let kept = store.deliver(USER, None, &text_mail("kept", "x"), 10).await.unwrap();
        let gone = store.deliver(USER, Some(b.id), &text_mail("gone", "y"), 10).await.unwrap();
        store.delete_folder(USER, a.id).await.unwrap();
        let names: Vec<String> =
            store.hierarchy(USER).await.unwrap().folders.into_iter().map(|f| f.name).collect();
        assert!(!names.contains(&"B".to_owned()));
        let found = store.get(USER, &[kept.id, gone.id]).await.unwrap();
        assert_eq!(found.iter().map(|m| m.id).collect::<Vec<_>>(), [kept.id]);
    }

    async fn another_users_folder_is_not_found(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        store.ensure_mailbox("eve@example.loc").await.unwrap();
        let mine = store.create_folder(USER, None, "Private").await.unwrap();
        let err = store.rename_folder("eve@example.loc", mine.id, "Mine").await.unwrap_err();
        assert!(matches!(err, MailError::FolderNotFound(_)), "{err:?}");
        let err = store.changes_since("eve@example.loc", mine.id, (0, ""), 10).await.unwrap_err();
        assert!(matches!(err, MailError::FolderNotFound(_)), "{err:?}");
    }

    async fn blank_and_control_character_folder_names_are_refused(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        for name in ["", "   ", "a\nb"] {
            let err = store.create_folder(USER, None, name).await.unwrap_err();
            assert!(matches!(err, MailError::InvalidFolderName), "{name:?}");
        }
    }

    async fn a_postgres_schema_option_keeps_the_tables_in_that_schema(db: &TestDb) {
        let mut options = crate::harness::test_options();
        if matches!(&**db, eas_test_db::TestDb::Postgres { .. }) {
            options.postgres_schema = Some("mail".to_owned());
        }
        let (store, _bus) = db.store_with(options.clone()).await;
        store.ensure_mailbox(USER).await.unwrap();
        if let eas_test_db::TestDb::Postgres { url, .. } = &**db {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let schema: String = sqlx::query_scalar(
                "SELECT table_schema::TEXT FROM information_schema.tables WHERE table_name = 'messages'",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!(schema, "mail");
            options.postgres_schema = Some("Bad-Name".to_owned());
            let bad = eas_mail::MailStore::connect(
                url,
                options,
                std::sync::Arc::new(eas_event_bus::InProcessBus::new()),
            )
            .await;
            assert!(matches!(bad, Err(MailError::InvalidSchema(_))));
        }
    }
}
