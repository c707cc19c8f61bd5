//! The cluster store: PostgreSQL.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Pool, Postgres};

use crate::error::DirectoryError;
use crate::options::DirectoryOptions;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub(crate) struct PgStore {
    pool: Pool<Postgres>,
}

impl PgStore {
    pub(crate) async fn open(
        url: &str,
        options: &DirectoryOptions,
    ) -> Result<Self, DirectoryError> {
        let mut connect = PgConnectOptions::from_str(url)?;
        if let Some(schema) = &options.postgres_schema {
            if !is_plain_identifier(schema) {
                return Err(DirectoryError::InvalidSchema(schema.clone()));
            }
            // Every pooled connection resolves unqualified names, `_sqlx_migrations` included,
            // in this schema first.
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
}

/// Lowercase letters, digits and `_`, not starting with a digit: safe to splice into SQL
/// unquoted, and the same name PostgreSQL would fold it to.
fn is_plain_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

crate::store::sql::sql_store!(PgStore, Postgres);

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_lowercase_identifiers_are_accepted_as_schema_names() {
        assert!(super::is_plain_identifier("directory"));
        assert!(super::is_plain_identifier("eas_dir2"));
        for bad in ["", "2dir", "Dir", "dir; drop table users", "a-b", "\"x\""] {
            assert!(!super::is_plain_identifier(bad), "{bad:?}");
        }
    }
}
