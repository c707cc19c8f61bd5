//! Test backends: a fresh SQLite file or a fresh PostgreSQL database per test, and the macro
//! that runs each test against both.

use eas_directory::{Argon2Cost, Directory, DirectoryOptions, NewUser, User};

/// Options with the cheapest argon2 cost, so that tests spend no time hashing.
pub fn test_options() -> DirectoryOptions {
    DirectoryOptions {
        argon2: Argon2Cost::INSECURE_FOR_TESTS,
        default_domain: None,
        max_connections: 2,
        postgres_schema: None,
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
        TestDb(eas_test_db::TestDb::sqlite("directory.db").await)
    }

    /// Fails (never skips) when PostgreSQL is not reachable.
    pub async fn postgres() -> TestDb {
        TestDb(eas_test_db::TestDb::postgres("eas_directory_test").await)
    }

    pub async fn directory(&self, options: DirectoryOptions) -> Directory {
        Directory::connect(self.url(), options)
            .await
            .expect("connect directory")
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

/// Runs each `async fn name(db: &TestDb)` once on SQLite and once on PostgreSQL
/// (`eas_test_db::backend_tests!` with this suite's [`TestDb`]).
macro_rules! backend_tests {
    ($($tests:tt)*) => {
        eas_test_db::backend_tests!($crate::harness::TestDb; $($tests)*);
    };
}
pub(crate) use backend_tests;

/// The `password_hash` column of every user, read past the library.
pub async fn stored_password_hashes(db: &TestDb) -> Vec<String> {
    let sql = "SELECT password_hash FROM users ORDER BY id";
    match &**db {
        eas_test_db::TestDb::Sqlite { url, .. } => {
            let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
            sqlx::query_scalar(sql)
                .fetch_all(&pool)
                .await
                .expect("hashes")
        }
        eas_test_db::TestDb::Postgres { url, .. } => {
            let pool = sqlx::PgPool::connect(url).await.expect("postgres");
            sqlx::query_scalar(sql)
                .fetch_all(&pool)
                .await
                .expect("hashes")
        }
    }
}
