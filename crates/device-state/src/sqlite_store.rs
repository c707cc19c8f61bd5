//! SQLite device store for the one-process server: device records and sync state survive a
//! restart or a crash of the process.
//!
//! The database runs in WAL mode with `synchronous = FULL`, so every write is committed and
//! synced to disk before the call returns, and therefore before the edge answers the phone: a
//! policy key, sync key, block or remote wipe that a phone or an administrator was told about is
//! still there after `kill -9` or a power cut. Each call is one statement (two in one transaction
//! for [`DeviceStore::delete_device`]); statements are prepared once per connection and cached.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Row, Sqlite};

use crate::{DeviceRecord, DeviceStore, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a statement waits for another connection's write to finish before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Device state in a SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: Pool<Sqlite>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {e}"))
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl SqliteStore {
    /// Opens (creating it when missing) the database file at `path` and brings its schema up to
    /// date. At most `max_connections` connections are opened (readers run in parallel in WAL
    /// mode; writers take turns).
    pub async fn open(path: &Path, max_connections: u32) -> Result<Self, StoreError> {
        eas_store_kit::create_private_file(path)
            .map_err(|e| unavailable(format!("creating {}: {e}", path.display())))?;
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(connect)
            .await
            .map_err(unavailable)?;
        MIGRATOR.run(&pool).await.map_err(unavailable)?;
        Ok(SqliteStore { pool })
    }

    /// Closes every connection; a clean close checkpoints the WAL into the database file.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn decode(raw: &str) -> Result<DeviceRecord, StoreError> {
        serde_json::from_str(raw).map_err(corrupt)
    }
}

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn get_device(
        &self,
        user: &str,
        device_id: &str,
    ) -> Result<Option<DeviceRecord>, StoreError> {
        let raw: Option<String> =
            sqlx::query_scalar("SELECT record FROM devices WHERE user = ? AND device_id = ?")
                .bind(user)
                .bind(device_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        raw.as_deref().map(Self::decode).transpose()
    }

    async fn put_device(&self, record: &DeviceRecord) -> Result<(), StoreError> {
        let json = serde_json::to_string(record).map_err(corrupt)?;
        sqlx::query(
            "INSERT INTO devices (user, device_id, record) VALUES (?, ?, ?) \
             ON CONFLICT (user, device_id) DO UPDATE SET record = excluded.record",
        )
        .bind(&record.user)
        .bind(&record.device_id)
        .bind(json)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    async fn list_devices(&self, user: Option<&str>) -> Result<Vec<DeviceRecord>, StoreError> {
        let rows = match user {
            Some(u) => {
                sqlx::query("SELECT record FROM devices WHERE user = ? ORDER BY device_id")
                    .bind(u)
                    .fetch_all(&self.pool)
                    .await
            }
            None => {
                sqlx::query("SELECT record FROM devices ORDER BY user, device_id")
                    .fetch_all(&self.pool)
                    .await
            }
        }
        .map_err(unavailable)?;
        rows.iter()
            .map(|r| {
                let raw: &str = r.try_get(0).map_err(corrupt)?;
                Self::decode(raw)
            })
            .collect()
    }

    async fn count_devices(&self, user: &str) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM devices WHERE user = ?")
            .bind(user)
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        usize::try_from(n).map_err(corrupt)
    }

    async fn delete_device(&self, user: &str, device_id: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        sqlx::query("DELETE FROM device_state WHERE user = ? AND device_id = ?")
            .bind(user)
            .bind(device_id)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        let removed = sqlx::query("DELETE FROM devices WHERE user = ? AND device_id = ?")
            .bind(user)
            .bind(device_id)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?
            .rows_affected();
        tx.commit().await.map_err(unavailable)?;
        Ok(removed > 0)
    }

    async fn get_state(
        &self,
        user: &str,
        device_id: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        sqlx::query_scalar(
            "SELECT value FROM device_state WHERE user = ? AND device_id = ? AND name = ?",
        )
        .bind(user)
        .bind(device_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)
    }

    async fn put_state(
        &self,
        user: &str,
        device_id: &str,
        name: &str,
        value: Vec<u8>,
    ) -> Result<(), StoreError> {
        // On the path of every Sync and Ping: one prepared statement, one commit.
        sqlx::query(
            "INSERT INTO device_state (user, device_id, name, value) VALUES (?, ?, ?, ?) \
             ON CONFLICT (user, device_id, name) DO UPDATE SET value = excluded.value",
        )
        .bind(user)
        .bind(device_id)
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    async fn delete_state(
        &self,
        user: &str,
        device_id: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM device_state WHERE user = ? AND device_id = ? AND name = ?")
            .bind(user)
            .bind(device_id)
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn clear_state(&self, user: &str, device_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM device_state WHERE user = ? AND device_id = ?")
            .bind(user)
            .bind(device_id)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
