//! The cluster backend: PostgreSQL.

use std::str::FromStr;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Pool, Postgres, Transaction};

use crate::{is_plain_identifier, OpenError, PoolOptions};

/// A PostgreSQL pool, optionally confined to a schema of its own.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub pool: Pool<Postgres>,
}

impl PgStore {
    /// Connects to `url`, creates the schema when one is asked for, and runs `migrations`.
    pub async fn open(
        url: &str,
        options: &PoolOptions<'_>,
        migrations: &Migrator,
    ) -> Result<Self, OpenError> {
        let mut connect = PgConnectOptions::from_str(url)?;
        if let Some(schema) = options.postgres_schema {
            if !is_plain_identifier(schema) {
                return Err(OpenError::InvalidSchema(schema.to_owned()));
            }
            // Every pooled connection resolves unqualified names, `_sqlx_migrations` included,
            // in this schema first.
            connect = connect.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .connect_with(connect)
            .await?;
        if let Some(schema) = options.postgres_schema {
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .execute(&pool)
                .await?;
        }
        migrations.run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// Read committed; the row locks a write takes (a folder's counter, say) order the writers
    /// that touch the same rows.
    pub async fn write_tx(&self) -> Result<Transaction<'_, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}
