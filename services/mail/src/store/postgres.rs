//! The cluster store: PostgreSQL.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Pool, Postgres, Transaction};

use crate::error::MailError;
use crate::options::MailOptions;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub(crate) struct PgStore {
    pool: Pool<Postgres>,
}

impl PgStore {
    pub(crate) async fn open(url: &str, options: &MailOptions) -> Result<Self, MailError> {
        let mut connect = PgConnectOptions::from_str(url)?;
        if let Some(schema) = &options.postgres_schema {
            if !is_plain_identifier(schema) {
                return Err(MailError::InvalidSchema(schema.clone()));
            }
            // Unqualified names, `_sqlx_migrations` included, resolve in this schema first.
            connect = connect.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .connect_with(connect)
            .await?;
        if let Some(schema) = &options.postgres_schema {
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .execute(&pool)
                .await?;
        }
        MIGRATOR.run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// Read committed; row locks taken by the counter updates serialise writers per folder.
    async fn write_tx(&self) -> Result<Transaction<'_, Postgres>, MailError> {
        Ok(self.pool.begin().await?)
    }
}

/// Lowercase letters, digits and `_`, not starting with a digit: safe to splice into SQL.
fn is_plain_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

// Ids tie-break as text in byte order, the order the sync engine's cursor compares them in.
crate::store::sql::sql_store!(PgStore, Postgres, "CAST(id AS TEXT) COLLATE \"C\"");

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_lowercase_identifiers_are_accepted_as_schema_names() {
        assert!(super::is_plain_identifier("mail"));
        for bad in ["", "2mail", "Mail", "mail; drop table messages", "a-b"] {
            assert!(!super::is_plain_identifier(bad), "{bad:?}");
        }
    }
}
