//! The embedded backend: SQLite, for the one-process server and for tests.

use std::path::Path;
use std::str::FromStr;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite, Transaction};

use crate::{OpenError, PoolOptions};

/// A SQLite pool: write-ahead log, `synchronous = FULL`, foreign keys on, a database file
/// readable by its owner only.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub pool: Pool<Sqlite>,
}

impl SqliteStore {
    /// Opens (creating when missing) the database `url` names and runs `migrations`.
    pub async fn open(
        url: &str,
        options: &PoolOptions<'_>,
        migrations: &Migrator,
    ) -> Result<Self, OpenError> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // ON DELETE CASCADE in the services' schemas relies on foreign keys. FULL is sqlx's
        // default too, said here because an acknowledged write must survive a power cut.
        let mut connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Full);
        let mut pool = SqlitePoolOptions::new();
        if in_memory {
            // Every connection to :memory: opens a database of its own: keep exactly one, and
            // never let the pool retire it.
            pool = pool
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        } else {
            create_private_file(connect.get_filename()).map_err(sqlx::Error::Io)?;
            connect = connect.journal_mode(SqliteJournalMode::Wal);
            pool = pool.max_connections(options.max_connections.max(1));
        }
        // A connection that comes back from a failed write with sqlx still counting an open
        // transaction is repaired before it is handed out again (see `repair`).
        let pool = pool
            .before_acquire(|conn, _| Box::pin(repair(conn)))
            .connect_with(connect)
            .await?;
        migrations.run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// A write transaction that holds the write lock from its first statement. A deferred one
    /// that reads first could fail with SQLITE_BUSY when it upgrades instead of waiting.
    pub async fn write_tx(&self) -> Result<Transaction<'_, Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }
}

/// Creates an empty file readable and writable by its owner only (0600) when it does not exist,
/// so that SQLite opens a database there instead of creating it with the process's umask.
/// SQLite gives the `-wal` and `-shm` files it creates beside a database the database file's
/// permissions, so they are private too. An existing file is left as it is.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Brings sqlx's transaction count of `conn` back to zero; false when that fails, and the pool
/// then closes the connection and opens a new one.
///
/// Some errors inside a transaction (SQLITE_FULL when the disk is full, SQLITE_IOERR,
/// SQLITE_NOMEM) make SQLite roll the whole transaction back by itself. sqlx does not notice:
/// its count stays at one, the ROLLBACK it sends when the transaction is dropped fails ("no
/// transaction is active"), and every later `BEGIN IMMEDIATE` on that connection is refused
/// ("attempted to call begin_with at non-zero transaction depth") for as long as the process
/// runs, so that one full disk made every later write fail until a restart. The count only
/// goes down through a ROLLBACK that succeeds, so one is given a transaction to end: a plain
/// BEGIN (which fails harmlessly when SQLite really is still inside one).
async fn repair(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::{Connection, Executor, TransactionManager};
    type Manager = <Sqlite as sqlx::Database>::TransactionManager;
    for _ in 0..4 {
        if !conn.is_in_transaction() {
            return Ok(true);
        }
        tracing::warn!("sqlite connection left inside a failed transaction; rolling it back");
        let _ = conn.execute("BEGIN").await;
        if let Err(error) = Manager::rollback(conn).await {
            tracing::warn!(%error, "sqlite connection not repaired; closing it");
            return Ok(false);
        }
    }
    Ok(!conn.is_in_transaction())
}

#[cfg(test)]
mod tests {
    use super::*;

    static MIGRATIONS: Migrator = Migrator::DEFAULT;

    async fn open(url: &str, max_connections: u32) -> SqliteStore {
        let options = PoolOptions {
            max_connections,
            postgres_schema: None,
        };
        let store = SqliteStore::open(url, &options, &MIGRATIONS).await.unwrap();
        sqlx::query("CREATE TABLE IF NOT EXISTS t (n INTEGER NOT NULL)")
            .execute(&store.pool)
            .await
            .unwrap();
        store
    }

    async fn insert(store: &SqliteStore, n: i64) -> Result<(), sqlx::Error> {
        let mut tx = store.write_tx().await?;
        sqlx::query("INSERT INTO t (n) VALUES ($1)")
            .bind(n)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// Three writes, each in a write transaction of its own; the rows the table then holds.
    async fn write_three(store: &SqliteStore) -> i64 {
        for n in 0..3 {
            insert(store, n).await.unwrap();
        }
        sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(&store.pool)
            .await
            .unwrap()
    }

    /// What SQLITE_FULL on a full disk does: SQLite ends the transaction by itself while sqlx
    /// still counts it open. Before the repair every later write on that connection failed.
    #[tokio::test]
    async fn a_connection_whose_transaction_sqlite_ended_by_itself_takes_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("kit.db").display());
        // One connection, so that the one that failed is the one every later write gets.
        let store = open(&url, 1).await;
        let mut tx = store.write_tx().await.unwrap();
        sqlx::query("ROLLBACK").execute(&mut *tx).await.unwrap();
        drop(tx);
        assert_eq!(write_three(&store).await, 3);
    }

    #[tokio::test]
    async fn a_file_database_is_private_and_written_ahead() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kit.db");
        let store = open(&format!("sqlite://{}", path.display()), 2).await;
        insert(&store, 1).await.unwrap();
        // synchronous 2 is FULL.
        for (pragma, expected) in [
            ("journal_mode", "wal"),
            ("synchronous", "2"),
            ("foreign_keys", "1"),
        ] {
            use sqlx::Row;
            let row = sqlx::query(&format!("PRAGMA {pragma}"))
                .fetch_one(&store.pool)
                .await
                .unwrap();
            let value = (row.try_get::<String, _>(0))
                .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
                .unwrap();
            assert_eq!(value, expected, "{pragma}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for name in ["kit.db", "kit.db-wal"] {
                let meta = std::fs::metadata(dir.path().join(name)).unwrap();
                assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
            }
        }
    }

    #[tokio::test]
    async fn an_in_memory_database_keeps_its_one_connection() {
        let store = open("sqlite::memory:", 8).await;
        // Another connection would open an empty database of its own, without the table.
        assert_eq!(write_three(&store).await, 3);
        assert_eq!(store.pool.options().get_max_connections(), 1);
    }
}
