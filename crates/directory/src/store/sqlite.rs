//! The embedded store: SQLite, for the one-process server and for tests.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Pool, Sqlite};

use crate::error::DirectoryError;
use crate::options::DirectoryOptions;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub(crate) struct SqliteStore {
    pool: Pool<Sqlite>,
}

impl SqliteStore {
    pub(crate) async fn open(
        url: &str,
        options: &DirectoryOptions,
    ) -> Result<Self, DirectoryError> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // sqlx turns foreign keys on by default; ON DELETE CASCADE of aliases relies on it.
        let mut connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true);
        let mut pool = SqlitePoolOptions::new();
        if in_memory {
            // Every connection to :memory: opens a database of its own, so keep exactly one
            // and never let the pool retire it.
            pool = pool
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        } else {
            connect = connect.journal_mode(SqliteJournalMode::Wal);
            pool = pool.max_connections(options.max_connections.max(1));
        }
        let pool = pool.connect_with(connect).await?;
        MIGRATOR.run(&pool).await?;
        Ok(SqliteStore { pool })
    }
}

crate::store::sql::sql_store!(SqliteStore, Sqlite);
