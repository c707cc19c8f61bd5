//! Search over subject, sender and body text.

use eas_mail::FolderType;

use crate::harness::{backend_tests, folder, text_mail, USER};

backend_tests! {
    async fn search_matches_subject_sender_and_body_case_insensitively(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let a = store.deliver(USER, None, &text_mail("Budget 2025", "numbers"), 100).await.unwrap();
        let b = store.deliver(USER, None, &text_mail("lunch", "The BUDGET is tight"), 200).await.unwrap();
        store.deliver(USER, None, &text_mail("other", "nothing"), 300).await.unwrap();
        let found = store.search(USER, "budget", None, 0..10).await.unwrap();
        assert_eq!(found.total, 2);
        // Newest first.
        assert_eq!(found.items.iter().map(|m| m.id).collect::<Vec<_>>(), [b.id, a.id]);
        let by_sender = store.search(USER, "ANN SENDER", None, 0..10).await.unwrap();
        assert_eq!(by_sender.total, 3);
        let by_address = store.search(USER, "ann@example.org", None, 0..10).await.unwrap();
        assert_eq!(by_address.total, 3);
    }

    async fn search_pages_by_range_and_reports_the_total(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        for n in 0..7 {
            store.deliver(USER, None, &text_mail(&format!("report {n}"), "x"), n).await.unwrap();
        }
        let page = store.search(USER, "report", None, 2..5).await.unwrap();
        assert_eq!(page.total, 7);
        let subjects: Vec<_> = page.items.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(subjects, ["report 4", "report 3", "report 2"]);
    }

    async fn search_can_be_limited_to_a_folder_and_skips_deleted_and_other_users(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let drafts = folder(&store, FolderType::Drafts).await;
        store.deliver(USER, None, &text_mail("invoice a", "x"), 1).await.unwrap();
        store.deliver(USER, Some(drafts), &text_mail("invoice b", "x"), 2).await.unwrap();
        let gone = store.deliver(USER, None, &text_mail("invoice c", "x"), 3).await.unwrap();
        store.delete(USER, gone.id).await.unwrap();
        store.deliver("eve@example.loc", None, &text_mail("invoice d", "x"), 4).await.unwrap();
        assert_eq!(store.search(USER, "invoice", None, 0..10).await.unwrap().total, 2);
        let in_drafts = store.search(USER, "invoice", Some(drafts), 0..10).await.unwrap();
        assert_eq!(in_drafts.items.len(), 1);
        assert_eq!(in_drafts.items[0].subject, "invoice b");
    }

    async fn like_wildcards_in_the_query_match_literally(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        store.deliver(USER, None, &text_mail("100% done", "x"), 1).await.unwrap();
        store.deliver(USER, None, &text_mail("1000 done", "x"), 2).await.unwrap();
        let found = store.search(USER, "100%", None, 0..10).await.unwrap();
        assert_eq!(found.total, 1);
        assert_eq!(store.search(USER, "a_b", None, 0..10).await.unwrap().total, 0);
    }
}
