//! The change log: counters, modseqs, tombstones, moves, flags, empty and purge.

use eas_mail::{Flag, FlagStatus, FolderType, ItemVersion, MailError, MessageId};

use crate::harness::{backend_tests, folder, text_mail, USER};

fn summary(versions: &[ItemVersion]) -> Vec<(MessageId, u64, bool)> {
    versions
        .iter()
        .map(|v| (v.id, v.modseq, v.deleted))
        .collect()
}

backend_tests! {
    async fn changes_since_pages_through_the_folder_in_modseq_order(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let inbox = folder(&store, FolderType::Inbox).await;
        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(store.deliver(USER, None, &text_mail(&format!("m{n}"), "x"), 100 + n).await.unwrap().id);
        }
        let first = store.changes_since(USER, inbox, (0, ""), 2).await.unwrap();
        assert_eq!(summary(&first), [(ids[0], 1, false), (ids[1], 2, false)]);
        assert_eq!(first[1].date, 101);
        let last = &first[1];
        let cursor = last.id.to_string();
        let rest = store.changes_since(USER, inbox, (last.modseq, &cursor), 10).await.unwrap();
        assert_eq!(rest.iter().map(|v| v.modseq).collect::<Vec<_>>(), [3, 4, 5]);
        let cursor = ids[4].to_string();
        assert!(store.changes_since(USER, inbox, (5, &cursor), 10).await.unwrap().is_empty());
    }

    async fn a_flag_or_read_change_gives_the_item_the_new_counter_value(db: &TestDb) {
        let (store, mut events) = db.mailbox().await;
        let inbox = folder(&store, FolderType::Inbox).await;
        let a = store.deliver(USER, None, &text_mail("a", "x"), 1).await.unwrap();
        let b = store.deliver(USER, None, &text_mail("b", "x"), 2).await.unwrap();
        let read = store.set_read(USER, a.id, true).await.unwrap();
        assert_eq!(read.modseq, 3);
        let flag = Flag { status: FlagStatus::Active, start_at: Some(1000), due_at: Some(2000) };
        assert_eq!(store.set_flag(USER, a.id, flag).await.unwrap().modseq, 4);
        let versions = store.changes_since(USER, inbox, (0, ""), 10).await.unwrap();
        assert_eq!(summary(&versions), [(b.id, 2, false), (a.id, 4, false)]);
        let meta = store.get(USER, &[a.id]).await.unwrap().remove(0);
        assert!(meta.read);
        assert_eq!(meta.flag, flag);
        assert_eq!(store.folder_state(USER, inbox).await.unwrap().counter, 4);
        let counters: Vec<u64> = futures_counters(&mut events, 4).await;
        assert_eq!(counters, [1, 2, 3, 4]);
    }

    async fn a_delete_leaves_a_tombstone_with_a_new_modseq(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let inbox = folder(&store, FolderType::Inbox).await;
        let a = store.deliver(USER, None, &text_mail("a", "x"), 7).await.unwrap();
        let deleted = store.delete(USER, a.id).await.unwrap();
        assert_eq!((deleted.id, deleted.modseq), (a.id, 2));
        let versions = store.changes_since(USER, inbox, (0, ""), 10).await.unwrap();
        assert_eq!(summary(&versions), [(a.id, 2, true)]);
        assert_eq!(versions[0].date, 7);
        assert!(store.get(USER, &[a.id]).await.unwrap().is_empty());
        assert_eq!(store.count(USER, inbox, None).await.unwrap(), 0);
        for err in [
            store.delete(USER, a.id).await.unwrap_err(),
            store.set_read(USER, a.id, true).await.unwrap_err(),
        ] {
            assert!(matches!(err, MailError::MessageNotFound(_)), "{err:?}");
        }
        assert!(matches!(store.raw(USER, a.id).await, Err(MailError::MessageNotFound(_))));
    }

    async fn a_move_is_a_tombstone_in_the_source_and_a_new_item_in_the_destination(db: &TestDb) {
        let (store, mut events) = db.mailbox().await;
        let inbox = folder(&store, FolderType::Inbox).await;
        let archive = store.create_folder(USER, None, "Archive").await.unwrap().id;
        let _ = events.recv().await;
        let a = store.deliver(USER, None, crate::harness::WITH_ATTACHMENTS, 9).await.unwrap();
        store.set_read(USER, a.id, true).await.unwrap();
        let moved = store.move_to(USER, a.id, archive).await.unwrap();
        assert_eq!((moved.tombstone.id, moved.tombstone.modseq), (a.id, 3));
        assert_ne!(moved.item.id, a.id);
        assert_eq!((moved.item.folder_id, moved.item.modseq), (archive, 1));
        let source = store.changes_since(USER, inbox, (0, ""), 10).await.unwrap();
        assert_eq!(summary(&source), [(a.id, 3, true)]);
        let dest = store.changes_since(USER, archive, (0, ""), 10).await.unwrap();
        assert_eq!(summary(&dest), [(moved.item.id, 1, false)]);
        let meta = store.get(USER, &[moved.item.id]).await.unwrap().remove(0);
        assert!(meta.read);
        assert_eq!(meta.attachments.len(), 2);
        assert_eq!(meta.received_at, 9);
        let raw = store.raw(USER, moved.item.id).await.unwrap().read_to_end().await.unwrap();
        assert_eq!(raw, crate::harness::WITH_ATTACHMENTS);
        let counters = futures_counters(&mut events, 4).await;
        assert_eq!(counters, [1, 2, 3, 1]);
        let err = store.move_to(USER, moved.item.id, archive).await.unwrap_err();
        assert!(matches!(err, MailError::SameFolder(_)), "{err:?}");
    }

    async fn versions_report_live_items_and_tombstones_and_skip_unknown_ids(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let inbox = folder(&store, FolderType::Inbox).await;
        let a = store.deliver(USER, None, &text_mail("a", "x"), 1).await.unwrap();
        let b = store.deliver(USER, None, &text_mail("b", "x"), 1).await.unwrap();
        store.delete(USER, b.id).await.unwrap();
        let versions = store.versions(USER, inbox, &[a.id, b.id, MessageId(424_242)]).await.unwrap();
        assert_eq!(summary(&versions), [(a.id, 1, false), (b.id, 3, true)]);
    }

    async fn emptying_a_folder_tombstones_everything_at_one_counter_value(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let trash = folder(&store, FolderType::DeletedItems).await;
        let sub = store.create_folder(USER, Some(trash), "Old").await.unwrap();
        let mut ids = Vec::new();
        for n in 0..12 {
            ids.push(store.deliver(USER, Some(trash), &text_mail(&format!("t{n}"), "x"), n).await.unwrap().id);
        }
        store.deliver(USER, Some(sub.id), &text_mail("sub", "x"), 1).await.unwrap();
        store.empty_folder(USER, trash, false).await.unwrap();
        assert_eq!(store.count(USER, trash, None).await.unwrap(), 0);
        assert_eq!(store.count(USER, sub.id, None).await.unwrap(), 1);
        // Ties on modseq are ordered by the id's string form, as the sync engine's cursor is.
        let versions = store.changes_since(USER, trash, (0, ""), 100).await.unwrap();
        let mut expected: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        expected.sort();
        assert_eq!(versions.iter().map(|v| v.id.to_string()).collect::<Vec<_>>(), expected);
        assert!(versions.iter().all(|v| v.deleted && v.modseq == 13));
        // Paging inside the tie.
        let page = store.changes_since(USER, trash, (13, &expected[4]), 3).await.unwrap();
        assert_eq!(page.iter().map(|v| v.id.to_string()).collect::<Vec<_>>(), expected[5..8]);

        store.empty_folder(USER, trash, true).await.unwrap();
        assert!(store.hierarchy(USER).await.unwrap().folders.iter().all(|f| f.id != sub.id));
        assert_eq!(store.folder_state(USER, trash).await.unwrap().counter, 13);
    }

    async fn purged_tombstones_disappear_and_the_horizon_is_reported(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let inbox = folder(&store, FolderType::Inbox).await;
        let a = store.deliver(USER, None, &text_mail("a", "x"), 1).await.unwrap();
        let b = store.deliver(USER, None, &text_mail("b", "x"), 1).await.unwrap();
        store.delete(USER, a.id).await.unwrap(); // modseq 3
        store.delete(USER, b.id).await.unwrap(); // modseq 4
        assert_eq!(store.purge_tombstones(USER, inbox, 4).await.unwrap(), 1);
        let versions = store.changes_since(USER, inbox, (0, ""), 10).await.unwrap();
        assert_eq!(summary(&versions), [(b.id, 4, true)]);
        assert_eq!(store.folder_state(USER, inbox).await.unwrap().purged_through, 3);
        // The horizon never moves back.
        store.purge_tombstones(USER, inbox, 2).await.unwrap();
        assert_eq!(store.folder_state(USER, inbox).await.unwrap().purged_through, 3);
    }

    async fn count_honours_the_received_date_filter(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let inbox = folder(&store, FolderType::Inbox).await;
        for at in [100, 200, 300] {
            store.deliver(USER, None, &text_mail(&format!("c{at}"), "x"), at).await.unwrap();
        }
        assert_eq!(store.count(USER, inbox, None).await.unwrap(), 3);
        assert_eq!(store.count(USER, inbox, Some(200)).await.unwrap(), 2);
        assert_eq!(store.count(USER, inbox, Some(301)).await.unwrap(), 0);
    }
}

/// The counters of the next `n` events.
async fn futures_counters(events: &mut eas_event_bus::Subscription, n: usize) -> Vec<u64> {
    let mut counters = Vec::new();
    for _ in 0..n {
        counters.push(events.recv().await.unwrap().counter);
    }
    counters
}
