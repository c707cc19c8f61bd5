//! The storage plumbing every service with a database shares (the directory, the mail service,
//! and the data services after them): a SQLite or PostgreSQL pool opened from a URL with the
//! project's settings and the service's migrations ([`open`]), [`sql_store!`], which
//! compiles a service's SQL, written once, for both backends, and the plain helpers that SQL
//! shares (placeholder lists, BIGINT counters, unique violations, folder subtrees).
//!
//! A service keeps only what is its own: its storage traits, its SQL (a macro implementing the
//! traits for a store type) and its migrations. docs/adding-a-data-class.md shows the shape.

mod failure;
mod postgres;
mod rows;
mod sqlite;

pub use failure::{failure, Failure};
pub use postgres::PgStore;
pub use rows::{is_unique_violation, placeholders, subtree, to_i64, to_u64, versions_sql};
pub use sqlite::{create_private_file, SqliteStore};

/// The two databases a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded: the one-process server and tests (`sqlite:...`).
    Sqlite,
    /// The cluster (`postgres://...` or `postgresql://...`).
    Postgres,
}

impl Backend {
    /// The backend a database URL names, by its scheme.
    pub fn of(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// How a pool is set up.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolOptions<'a> {
    /// Upper bound of the pool (at least 1). An in-memory SQLite database always has exactly one
    /// connection.
    pub max_connections: u32,
    /// PostgreSQL only: keep the service's tables and migration history in this schema, created
    /// when missing. `None` uses the connection's `search_path`.
    pub postgres_schema: Option<&'a str>,
}

/// The migrations of a service, one set per backend (`sqlx::migrate!("./migrations/...")`).
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    pub sqlite: &'static sqlx::migrate::Migrator,
    pub postgres: &'static sqlx::migrate::Migrator,
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database url: expected sqlite:// or postgres://")]
    UnsupportedUrl,
    #[error("invalid postgres schema name {0:?}: expected lowercase letters, digits and _")]
    InvalidSchema(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// An open store of either backend, its schema up to date.
pub enum Opened {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Opens the database `url` names and runs that backend's migrations.
pub async fn open(
    url: &str,
    options: &PoolOptions<'_>,
    migrations: &Migrations,
) -> Result<Opened, OpenError> {
    match Backend::of(url) {
        Some(Backend::Sqlite) => Ok(Opened::Sqlite(
            SqliteStore::open(url, options, migrations.sqlite).await?,
        )),
        Some(Backend::Postgres) => Ok(Opened::Postgres(
            PgStore::open(url, options, migrations.postgres).await?,
        )),
        None => Err(OpenError::UnsupportedUrl),
    }
}

/// Lowercase letters, digits and `_`, not starting with a digit, at most 63 bytes: safe to
/// splice into SQL unquoted, and the name PostgreSQL would fold it to.
pub fn is_plain_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Compiles a service's SQL for both backends. The argument is the path of the service's own
/// macro, which implements its storage traits for a store type and takes
/// `($store:ty, $db:ty, $byte_order:literal)`: it is expanded once for [`SqliteStore`] with
/// `sqlx::Sqlite` and once for [`PgStore`] with `sqlx::Postgres`, each in a module of its own
/// (`sqlite_sql`, `postgres_sql`) so that the helpers it defines do not clash.
///
/// `$byte_order` is what follows a text expression to compare it byte by byte, the order the
/// sync engine's cursor compares ids in (`"CAST(id AS TEXT)" $byte_order`): nothing for SQLite,
/// whose default collation is binary, and `COLLATE "C"` for PostgreSQL, whose default follows
/// the database's locale.
///
/// ```ignore
/// eas_store_kit::sql_store!(crate::store::sql::sql_store);
/// ```
#[macro_export]
macro_rules! sql_store {
    ($($sql:tt)+) => {
        mod sqlite_sql {
            $($sql)+!($crate::SqliteStore, sqlx::Sqlite, "");
        }
        mod postgres_sql {
            $($sql)+!($crate::PgStore, sqlx::Postgres, " COLLATE \"C\"");
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_lowercase_identifiers_are_accepted_as_schema_names() {
        for good in ["mail", "directory", "eas_dir2", &"a".repeat(63)] {
            assert!(is_plain_identifier(good), "{good:?}");
        }
        let long = "a".repeat(64);
        for bad in [
            "",
            "2mail",
            "Mail",
            "mail; drop table messages",
            "a-b",
            "\"x\"",
            long.as_str(),
        ] {
            assert!(!is_plain_identifier(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_url_scheme_names_the_backend() {
        assert_eq!(Backend::of("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(Backend::of("postgres://h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("postgresql://h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("mysql://h/db"), None);
    }
}
