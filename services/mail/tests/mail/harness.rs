//! Test backends: a fresh SQLite file or a fresh PostgreSQL database per test, the macro that
//! runs each test against both, and sample messages.

use std::sync::Arc;

use eas_event_bus::{EventBus, EventFilter, InProcessBus, Subscription};
use eas_mail::{FolderId, FolderType, MailOptions, MailStore};

pub const USER: &str = "jdoe@example.loc";

fn postgres_base_url() -> String {
    std::env::var("EAS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Small chunks, so that every test message spans several of them.
pub fn test_options() -> MailOptions {
    MailOptions {
        max_connections: 4,
        postgres_schema: None,
        chunk_size: 64,
        max_search_text: 4096,
    }
}

/// A database that exists for one test and is removed when dropped, even after a panic.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        name: String,
        url: String,
    },
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("mail.db").display());
        TestDb::Sqlite { _dir: dir, url }
    }

    /// Fails (never skips) when PostgreSQL is not reachable.
    pub async fn postgres() -> TestDb {
        use sqlx::Connection;
        let base = postgres_base_url();
        let name = format!("eas_mail_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&base).await.unwrap_or_else(|e| {
            panic!("postgres at {base} is required for these tests (set EAS_TEST_POSTGRES_URL): {e}")
        });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let url = match base.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("EAS_TEST_POSTGRES_URL has no database part: {base}"),
        };
        TestDb::Postgres { name, url }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
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

impl Drop for TestDb {
    fn drop(&mut self) {
        let TestDb::Postgres { name, .. } = self else {
            return;
        };
        let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        // Drop runs inside the test's runtime, which cannot block on itself.
        let dropped = std::thread::spawn(move || {
            use sqlx::Connection;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&postgres_base_url()).await?;
                sqlx::query(&statement).execute(&mut admin).await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database: {dropped:?}");
        }
    }
}

/// Runs each `async fn name(db: &TestDb)` once on SQLite and once on PostgreSQL, as
/// `name::on_sqlite` and `name::on_postgres`.
macro_rules! backend_tests {
    ($(async fn $name:ident($db:ident: &TestDb) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                use $crate::harness::TestDb;

                async fn run($db: &TestDb) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    run(&TestDb::sqlite().await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    run(&TestDb::postgres().await).await;
                }
            }
        )*
    };
}
pub(crate) use backend_tests;

/// The id of the user's folder of `kind` (the first one).
pub async fn folder(store: &MailStore, kind: FolderType) -> FolderId {
    store
        .hierarchy(USER)
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
