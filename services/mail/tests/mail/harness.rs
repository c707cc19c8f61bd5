//! Test backends: a fresh SQLite file or a fresh PostgreSQL database per test, the macro that
//! runs each test against both, and sample messages.

use std::sync::Arc;

use eas_event_bus::{EventBus, EventFilter, InProcessBus, Subscription};
use eas_mail::{FolderId, FolderType, MailOptions, MailStore};

pub const USER: &str = "jdoe@example.loc";

/// Small chunks, so that every test message spans several of them.
pub fn test_options() -> MailOptions {
    MailOptions {
        max_connections: 4,
        postgres_schema: None,
        chunk_size: 64,
        max_search_text: 4096,
    }
}

/// A throwaway database (`eas_test_db`) with this suite's ways to open it.
pub struct TestDb(eas_test_db::TestDb);

impl std::ops::Deref for TestDb {
    type Target = eas_test_db::TestDb;

    fn deref(&self) -> &eas_test_db::TestDb {
        &self.0
    }
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        TestDb(eas_test_db::TestDb::sqlite("mail.db").await)
    }

    /// Fails (never skips) when PostgreSQL is not reachable.
    pub async fn postgres() -> TestDb {
        TestDb(eas_test_db::TestDb::postgres("eas_mail_test").await)
    }

    pub async fn store_with(&self, options: MailOptions) -> (MailStore, InProcessBus) {
        let bus = InProcessBus::new();
        let store = MailStore::connect(self.url(), options, Arc::new(bus.clone()))
            .await
            .expect("connect mail store");
        (store, bus)
    }

    pub async fn store(&self) -> MailStore {
        self.store_with(test_options()).await.0
    }

    /// A store with the user's mailbox, and a subscription to its events.
    pub async fn mailbox(&self) -> (MailStore, Subscription) {
        let (store, bus) = self.store_with(test_options()).await;
        store.ensure_mailbox(USER).await.expect("mailbox");
        let events = bus.subscribe(EventFilter::all()).await.expect("subscribe");
        (store, events)
    }
}

/// Runs each `async fn name(db: &TestDb)` once on SQLite and once on PostgreSQL
/// (`eas_test_db::backend_tests!` with this suite's [`TestDb`]).
macro_rules! backend_tests {
    ($($tests:tt)*) => {
        eas_test_db::backend_tests!($crate::harness::TestDb; $($tests)*);
    };
}
pub(crate) use backend_tests;

/// The id of the user's folder of `kind` (the first one).
pub async fn folder(store: &MailStore, kind: FolderType) -> FolderId {
    user_folder(store, USER, kind).await
}

/// The id of `user`'s folder of `kind` (the first one).
pub async fn user_folder(store: &MailStore, user: &str, kind: FolderType) -> FolderId {
    store
        .hierarchy(user)
        .await
        .expect("hierarchy")
        .folders
        .iter()
        .find(|f| f.folder_type == kind)
        .expect("standard folder")
        .id
}

/// A plain text message with this subject and body.
pub fn text_mail(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Ann Sender <ann@example.org>\r\nTo: jdoe@example.loc\r\nSubject: {subject}\r\n\
         Date: Tue, 1 Apr 2025 10:00:00 +0000\r\nMessage-ID: <{subject}@example.org>\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// A multipart message with an inline image and a PDF attachment (base64).
pub const WITH_ATTACHMENTS: &[u8] = b"From: ann@example.org\r\n\
To: jdoe@example.loc, Bob <bob@example.loc>\r\n\
Cc: carl@example.loc\r\n\
Reply-To: replies@example.org\r\n\
Subject: Report attached\r\n\
Importance: High\r\n\
Message-ID: <rep@example.org>\r\n\
In-Reply-To: <q1@example.loc>\r\n\
References: <q0@example.loc> <q1@example.loc>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Please find the report attached.\r\n\
--b1\r\n\
Content-Type: image/png\r\n\
Content-Disposition: inline; filename=\"logo.png\"\r\n\
Content-ID: <logo@example.org>\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
iVBORw0KGgo=\r\n\
--b1\r\n\
Content-Type: application/pdf; name=\"report.pdf\"\r\n\
Content-Disposition: attachment; filename=\"report.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8PC9S\r\n\
b290IDEgMCBSPj4KJSVFT0YK\r\n\
--b1--\r\n";

/// The decoded bytes of the PDF in `WITH_ATTACHMENTS`.
pub const PDF: &[u8] = b"%PDF-1.4\n%\xc7\xec\x8f\xa2\n1 0 obj\n<</Type/Catalog>>\nendobj\ntrailer\n<</Root 1 0 R>>\n%%EOF\n";
