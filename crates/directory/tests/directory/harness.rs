//! Test backends: a fresh SQLite file or a fresh PostgreSQL database per test, and the macro
//! that runs each test against both.

use eas_directory::{Argon2Cost, Directory, DirectoryOptions, NewUser, User};

/// Base URL of the PostgreSQL server the suite creates its throwaway databases on.
fn postgres_base_url() -> String {
    std::env::var("EAS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Options with the cheapest argon2 cost, so that tests spend no time hashing.
pub fn test_options() -> DirectoryOptions {
    DirectoryOptions {
        argon2: Argon2Cost::INSECURE_FOR_TESTS,
        default_domain: None,
        max_connections: 2,
        postgres_schema: None,
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
        let url = format!("sqlite://{}", dir.path().join("directory.db").display());
        TestDb::Sqlite { _dir: dir, url }
    }

    /// Fails (never skips) when PostgreSQL is not reachable.
    pub async fn postgres() -> TestDb {
        use sqlx::Connection;
        let base = postgres_base_url();
        let name = format!("eas_directory_test_{}", uuid::Uuid::new_v4().simple());
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

    pub async fn directory(&self, options: DirectoryOptions) -> Directory {
        Directory::connect(self.url(), options)
            .await
            .expect("connect directory")
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

/// Creates `address` with display name `name` and password `password`.
pub async fn user(dir: &Directory, address: &str, name: &str, password: &str) -> User {
    dir.create_user(NewUser {
        address: address.into(),
        display_name: name.into(),
        password: password.into(),
    })
    .await
    .expect("create user")
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

                #[tokio::test]
                async fn on_sqlite() {
                    run(&TestDb::sqlite().await).await;
                }

                #[tokio::test]
                async fn on_postgres() {
                    run(&TestDb::postgres().await).await;
                }
            }
        )*
    };
}
pub(crate) use backend_tests;

/// The `password_hash` column of every user, read past the library.
pub async fn stored_password_hashes(db: &TestDb) -> Vec<String> {
    let sql = "SELECT password_hash FROM users ORDER BY id";
    match db {
        TestDb::Sqlite { url, .. } => {
            let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
            sqlx::query_scalar(sql)
                .fetch_all(&pool)
                .await
                .expect("hashes")
        }
        TestDb::Postgres { url, .. } => {
            let pool = sqlx::PgPool::connect(url).await.expect("postgres");
            sqlx::query_scalar(sql)
                .fetch_all(&pool)
                .await
                .expect("hashes")
        }
    }
}
