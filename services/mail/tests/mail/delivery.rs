//! Delivery: parsed fields, attachments, and the events a delivery publishes.

use eas_mail::{FolderType, Importance, MailError, MessageId};

use crate::harness::{backend_tests, folder, text_mail, USER, WITH_ATTACHMENTS};

backend_tests! {
    async fn a_delivered_message_is_indexed_from_its_headers(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let change = store.deliver(USER, None, WITH_ATTACHMENTS, 1_750_000_000).await.unwrap();
        let inbox = folder(&store, FolderType::Inbox).await;
        assert_eq!((change.folder_id, change.modseq), (inbox, 1));
        let meta = store.get(USER, &[change.id]).await.unwrap().remove(0);
        assert_eq!(meta.subject, "Report attached");
        assert_eq!(meta.from[0].address, "ann@example.org");
        let to: Vec<_> = meta.to.iter().map(|a| (a.name.as_deref(), a.address.as_str())).collect();
        assert_eq!(to, [(None, "jdoe@example.loc"), (Some("Bob"), "bob@example.loc")]);
        assert_eq!(meta.cc[0].address, "carl@example.loc");
        assert_eq!(meta.reply_to[0].address, "replies@example.org");
        assert_eq!(meta.message_id.as_deref(), Some("rep@example.org"));
        assert_eq!(meta.in_reply_to, ["q1@example.loc"]);
        assert_eq!(meta.references, ["q0@example.loc", "q1@example.loc"]);
        assert_eq!(meta.importance, Importance::High);
        assert_eq!(meta.received_at, 1_750_000_000);
        assert_eq!(meta.sent_at, None);
        assert_eq!(meta.size, WITH_ATTACHMENTS.len() as u64);
        assert!(!meta.read);
        assert!(meta.has_attachments);
    }

    async fn attachments_are_listed_with_name_type_size_content_id_and_inline_flag(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let change = store.deliver(USER, None, WITH_ATTACHMENTS, 1).await.unwrap();
        let meta = store.get(USER, &[change.id]).await.unwrap().remove(0);
        let list: Vec<_> = meta
            .attachments
            .iter()
            .map(|a| (a.index, a.name.as_deref(), a.content_type.as_str(), a.size, a.content_id.as_deref(), a.inline))
            .collect();
        assert_eq!(
            list,
            [
                (0, Some("logo.png"), "image/png", 8, Some("logo@example.org"), true),
                (1, Some("report.pdf"), "application/pdf", crate::harness::PDF.len() as u64, None, false),
            ]
        );
    }

    async fn a_plain_message_has_no_attachments_and_a_date(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let change = store.deliver(USER, None, &text_mail("hello", "hi"), 5).await.unwrap();
        let meta = store.get(USER, &[change.id]).await.unwrap().remove(0);
        assert!(!meta.has_attachments && meta.attachments.is_empty());
        assert_eq!(meta.sent_at, Some(1_743_501_600));
        assert_eq!(meta.importance, Importance::Normal);
    }

    async fn delivery_creates_the_mailbox_and_publishes_an_event_after_commit(db: &TestDb) {
        let (store, bus) = db.store_with(crate::harness::test_options()).await;
        let mut events = eas_event_bus::EventBus::subscribe(&bus, eas_event_bus::EventFilter::user(USER))
            .await
            .unwrap();
        let change = store.deliver(USER, None, &text_mail("first", "x"), 1).await.unwrap();
        let event = events.recv().await.unwrap();
        assert_eq!(event.class, eas_event_bus::DataClass::Mail);
        assert_eq!((event.folder_id, event.counter), (change.folder_id.to_string(), 1));
        assert!(!event.hierarchy_changed);
        // The counter in the event is already visible to a reader.
        let state = store.folder_state(USER, change.folder_id).await.unwrap();
        assert_eq!(state.counter, 1);
    }

    async fn delivery_into_a_named_folder_and_into_another_users_folder(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let drafts = folder(&store, FolderType::Drafts).await;
        let change = store.deliver(USER, Some(drafts), &text_mail("d", "x"), 1).await.unwrap();
        assert_eq!(change.folder_id, drafts);
        let err = store.deliver("eve@example.loc", Some(drafts), &text_mail("e", "x"), 1).await;
        assert!(matches!(err, Err(MailError::FolderNotFound(_))), "{err:?}");
    }

    async fn an_empty_message_cannot_be_parsed(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let err = store.deliver(USER, None, b"", 1).await.unwrap_err();
        assert!(matches!(err, MailError::Unparseable), "{err:?}");
    }

    async fn get_skips_unknown_ids_and_other_users_messages(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let mine = store.deliver(USER, None, &text_mail("a", "x"), 1).await.unwrap();
        let theirs = store.deliver("eve@example.loc", None, &text_mail("b", "y"), 1).await.unwrap();
        let found = store.get(USER, &[mine.id, theirs.id, MessageId(999_999)]).await.unwrap();
        assert_eq!(found.iter().map(|m| m.id).collect::<Vec<_>>(), [mine.id]);
    }

    async fn concurrent_deliveries_to_one_folder_get_distinct_consecutive_modseqs(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let tasks = (0..10).map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                store.deliver(USER, None, &text_mail(&format!("m{n}"), "x"), n).await
            })
        });
        let mut modseqs = Vec::new();
        for task in tasks {
            modseqs.push(task.await.unwrap().unwrap().modseq);
        }
        modseqs.sort_unstable();
        assert_eq!(modseqs, (1..=10).collect::<Vec<u64>>());
    }
}
