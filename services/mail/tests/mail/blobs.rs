//! Raw messages and attachments: stored once, in chunks, read back chunk by chunk.

use eas_mail::MailError;
use futures::TryStreamExt;

use crate::harness::{backend_tests, text_mail, TestDb, PDF, USER, WITH_ATTACHMENTS};

/// Rows in `table`, read past the library.
async fn rows(db: &TestDb, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table}");
    match &**db {
        eas_test_db::TestDb::Sqlite { url, .. } => {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::query_scalar(&sql).fetch_one(&pool).await.unwrap()
        }
        eas_test_db::TestDb::Postgres { url, .. } => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query_scalar(&sql).fetch_one(&pool).await.unwrap()
        }
    }
}

backend_tests! {
    async fn the_raw_message_reads_back_byte_for_byte_in_chunks(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let change = store.deliver(USER, None, WITH_ATTACHMENTS, 1).await.unwrap();
        let mut reader = store.raw(USER, change.id).await.unwrap();
        assert_eq!(reader.size(), WITH_ATTACHMENTS.len() as u64);
        let mut chunks = Vec::new();
        while let Some(chunk) = reader.next_chunk().await.unwrap() {
            assert!(chunk.len() <= 64);
            chunks.push(chunk);
        }
        assert_eq!(chunks.len(), WITH_ATTACHMENTS.len().div_ceil(64));
        assert_eq!(chunks.concat(), WITH_ATTACHMENTS);
    }

    async fn an_attachment_streams_its_decoded_bytes(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let change = store.deliver(USER, None, WITH_ATTACHMENTS, 1).await.unwrap();
        let (meta, reader) = store.attachment(USER, change.id, 1).await.unwrap();
        assert_eq!(meta.name.as_deref(), Some("report.pdf"));
        let chunks: Vec<bytes::Bytes> = reader.into_stream().try_collect().await.unwrap();
        assert_eq!(chunks.concat(), PDF);
        let err = store.attachment(USER, change.id, 2).await.unwrap_err();
        assert!(matches!(err, MailError::AttachmentNotFound { index: 2, .. }), "{err:?}");
        let err = store.attachment("eve@example.loc", change.id, 1).await.unwrap_err();
        assert!(matches!(err, MailError::AttachmentNotFound { .. }), "{err:?}");
    }

    async fn the_same_message_for_two_users_is_stored_once(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        store.deliver(USER, None, WITH_ATTACHMENTS, 1).await.unwrap();
        store.deliver("bob@example.loc", None, WITH_ATTACHMENTS, 1).await.unwrap();
        // The raw message and its two decoded attachments.
        assert_eq!(rows(db, "blobs").await, 3);
        assert_eq!(rows(db, "messages").await, 2);
    }

    async fn a_blob_goes_when_its_last_message_is_deleted(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let mine = store.deliver(USER, None, WITH_ATTACHMENTS, 1).await.unwrap();
        let bobs = store.deliver("bob@example.loc", None, WITH_ATTACHMENTS, 1).await.unwrap();
        store.delete(USER, mine.id).await.unwrap();
        assert_eq!(rows(db, "blobs").await, 3);
        let raw = store.raw("bob@example.loc", bobs.id).await.unwrap().read_to_end().await.unwrap();
        assert_eq!(raw, WITH_ATTACHMENTS);
        store.delete("bob@example.loc", bobs.id).await.unwrap();
        assert_eq!(rows(db, "blobs").await, 0);
        assert_eq!(rows(db, "blob_chunks").await, 0);
    }

    async fn emptying_and_deleting_folders_release_their_blobs(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let folder = store.create_folder(USER, None, "Tmp").await.unwrap();
        store.deliver(USER, Some(folder.id), WITH_ATTACHMENTS, 1).await.unwrap();
        let a = store.deliver(USER, None, &text_mail("a", "x"), 1).await.unwrap();
        store.delete_folder(USER, folder.id).await.unwrap();
        assert_eq!(rows(db, "blobs").await, 1);
        store.empty_folder(USER, a.folder_id, false).await.unwrap();
        assert_eq!(rows(db, "blobs").await, 0);
    }

    async fn a_message_larger_than_many_chunks_streams_without_change(db: &TestDb) {
        let (store, _bus) = db
            .store_with(eas_mail::MailOptions { chunk_size: 4096, ..crate::harness::test_options() })
            .await;
        let body: String = (0..20_000).map(|n| format!("line {n}\r\n")).collect();
        let raw = text_mail("big", &body);
        let change = store.deliver(USER, None, &raw, 1).await.unwrap();
        let reader = store.raw(USER, change.id).await.unwrap();
        let mut total = 0usize;
        let mut chunks = 0;
        let mut stream = Box::pin(reader.into_stream());
        let mut rebuilt = Vec::new();
        while let Some(chunk) = stream.try_next().await.unwrap() {
            total += chunk.len();
            chunks += 1;
            rebuilt.extend_from_slice(&chunk);
        }
        assert_eq!(total, raw.len());
        assert_eq!(chunks, raw.len().div_ceil(4096));
        assert!(rebuilt == raw);
    }
}
