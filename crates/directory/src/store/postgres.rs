//! The cluster store: PostgreSQL.

use sqlx::postgres::PgPoolOptions;
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
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PgStore { pool })
    }
}

crate::store::sql::sql_store!(PgStore, Postgres);
