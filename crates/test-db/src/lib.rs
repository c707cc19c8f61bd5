//! Test support for the storage suites that run on both backends: a fresh SQLite file or a
//! fresh PostgreSQL database per test, removed when the value is dropped (even after a panic),
//! and [`backend_tests!`], which runs each test of a suite on both.

/// Runs each `async fn name(db: &TestDb) { .. }` once on SQLite and once on PostgreSQL, as the
/// tests `name::on_sqlite` and `name::on_postgres` (on a two-thread runtime: the stores are
/// used from several tasks). The first argument is the suite's database type, with
/// `async fn sqlite() -> Self` and `async fn postgres() -> Self` (usually a wrapper of
/// [`TestDb`] that knows how to open the suite's store); inside the tests it is named `TestDb`.
/// A suite usually wraps it in a macro of its own that passes its type:
///
/// ```ignore
/// macro_rules! backend_tests {
///     ($($tests:tt)*) => { eas_test_db::backend_tests!(crate::harness::TestDb; $($tests)*); };
/// }
/// ```
#[macro_export]
macro_rules! backend_tests {
    ($db_type:ty; $(async fn $name:ident($db:ident: &TestDb) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                type TestDb = $db_type;

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

/// Base URL of the PostgreSQL server the suites create their throwaway databases on
/// (`EAS_TEST_POSTGRES_URL`, default the machine's server on 127.0.0.1:5432).
pub fn postgres_base_url() -> String {
    std::env::var("EAS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database that exists for one test.
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
    /// A new SQLite file named `file` in a temporary directory.
    pub async fn sqlite(file: &str) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join(file).display());
        TestDb::Sqlite { _dir: dir, url }
    }

    /// A new PostgreSQL database named `<prefix>_<uuid>`. Fails (never skips) when PostgreSQL
    /// is not reachable.
    pub async fn postgres(prefix: &str) -> TestDb {
        use sqlx::Connection;
        let base = postgres_base_url();
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
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
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let TestDb::Postgres { name, .. } = self else {
            return;
        };
        let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread with
        // a runtime of its own.
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
