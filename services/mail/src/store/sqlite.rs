//! The embedded store: SQLite, for the one-process server and for tests.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Pool, Sqlite, Transaction};

use crate::error::MailError;
use crate::options::MailOptions;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub(crate) struct SqliteStore {
    pool: Pool<Sqlite>,
}

impl SqliteStore {
    pub(crate) async fn open(url: &str, options: &MailOptions) -> Result<Self, MailError> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // ON DELETE CASCADE of folders, messages and chunks relies on foreign keys.
        let mut connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true);
        let mut pool = SqlitePoolOptions::new();
        if in_memory {
            // Every connection to :memory: opens a database of its own: keep exactly one.
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

    /// A write transaction that holds the write lock from its first statement. A deferred one
    /// that reads first could fail with SQLITE_BUSY when it upgrades instead of waiting.
    async fn write_tx(&self) -> Result<Transaction<'_, Sqlite>, MailError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

crate::store::sql::sql_store!(SqliteStore, Sqlite, "CAST(id AS TEXT)");
