//! The storage seam of the directory: one trait, implemented for PostgreSQL (cluster) and SQLite
//! (embedded) from the same SQL, on the pools of `eas_store_kit`.

mod sql;
mod sql_gal;
mod sql_oof;
mod sql_users;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use eas_store_kit::{Migrations, OpenError, Opened, PoolOptions};

use crate::error::DirectoryError;
use crate::model::{Domain, GalFields, OutOfOffice, Photo, User};
use crate::options::DirectoryOptions;
use crate::policy::ApprovalPolicy;

/// A user together with the stored hash, for authentication only.
pub(crate) struct UserRecord {
    pub user: User,
    pub password_hash: String,
}

impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("user", &self.user)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

/// A user row ready to insert: names normalised, password already hashed.
pub(crate) struct NewUserRow {
    pub domain_id: i64,
    pub local_part: String,
    pub address: String,
    pub display_name: String,
    pub password_hash: String,
}

/// Changes to one user; `None` keeps the stored value.
#[derive(Default)]
pub(crate) struct UserChanges {
    pub display_name: Option<String>,
    pub password_hash: Option<String>,
    pub disabled: Option<bool>,
}

/// A GAL query, already lowercased and turned into LIKE patterns.
pub(crate) struct SearchPatterns {
    /// `query%`: start of the display name, of the first or last name, or of an address.
    pub prefix: String,
    /// `% query%`: start of a later word of the display name or of the first and last names.
    pub word: String,
}

/// Everything the directory asks of a database. Names passed in are already lowercase and
/// checked; the implementations map constraint violations to `DirectoryError::Duplicate`.
pub(crate) trait Store: DomainStore + UserStore + OofStore + GalStore {}

impl<T: DomainStore + UserStore + OofStore + GalStore> Store for T {}

/// The GAL fields and photos half of [`Store`].
#[async_trait]
pub(crate) trait GalStore: Send + Sync + 'static {
    /// Replaces every GAL field of the user (already checked).
    async fn update_gal(&self, id: i64, fields: &GalFields) -> Result<(), DirectoryError>;
    /// Sets or replaces the user's photo (already checked); false when there is no such user.
    async fn put_photo(&self, user_id: i64, photo: &Photo) -> Result<bool, DirectoryError>;
    /// False when the user had no photo.
    async fn delete_photo(&self, user_id: i64) -> Result<bool, DirectoryError>;
    /// The photos of those of these users that have one (at least one id).
    async fn photos(&self, user_ids: &[i64]) -> Result<Vec<(i64, Photo)>, DirectoryError>;
}

/// The per-user out-of-office settings half of [`Store`].
#[async_trait]
pub(crate) trait OofStore: Send + Sync + 'static {
    /// `None` when the user never set any.
    async fn out_of_office(&self, user_id: i64) -> Result<Option<OutOfOffice>, DirectoryError>;
    /// Replaces the user's settings; false when there is no such user.
    async fn put_out_of_office(
        &self,
        user_id: i64,
        oof: &OutOfOffice,
    ) -> Result<bool, DirectoryError>;
}

/// The domain half of [`Store`].
#[async_trait]
pub(crate) trait DomainStore: Send + Sync + 'static {
    async fn insert_domain(
        &self,
        name: &str,
        approval: Option<ApprovalPolicy>,
    ) -> Result<Domain, DirectoryError>;
    async fn domains(&self) -> Result<Vec<Domain>, DirectoryError>;
    async fn domain(&self, name: &str) -> Result<Option<Domain>, DirectoryError>;
    async fn set_domain_approval(
        &self,
        name: &str,
        approval: Option<ApprovalPolicy>,
    ) -> Result<Option<Domain>, DirectoryError>;
    /// Refuses with `DomainHasUsers` while a user or alias lives in the domain.
    async fn delete_domain(&self, name: &str) -> Result<(), DirectoryError>;
}

/// The user, alias and search half of [`Store`].
#[async_trait]
pub(crate) trait UserStore: Send + Sync + 'static {
    /// One round trip to the database (readiness probes).
    async fn ping(&self) -> Result<(), DirectoryError>;
    async fn insert_user(&self, row: &NewUserRow) -> Result<i64, DirectoryError>;
    async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>, DirectoryError>;
    /// By primary address or alias.
    async fn user_by_address(&self, address: &str) -> Result<Option<UserRecord>, DirectoryError>;
    /// Every user whose primary address or an alias has this local part, in any domain.
    async fn users_by_local_part(&self, local: &str) -> Result<Vec<UserRecord>, DirectoryError>;
    async fn users(&self, domain: Option<&str>) -> Result<Vec<User>, DirectoryError>;
    async fn update_user(&self, id: i64, changes: &UserChanges) -> Result<(), DirectoryError>;
    async fn set_shared_calendars(
        &self,
        id: i64,
        value: Option<bool>,
    ) -> Result<(), DirectoryError>;
    async fn set_calendar_preferences(
        &self,
        id: i64,
        prefs: &crate::model::CalendarPreferences,
    ) -> Result<(), DirectoryError>;
    /// By primary address only; false when there is no such user.
    async fn delete_user(&self, address: &str) -> Result<bool, DirectoryError>;

    async fn insert_alias(
        &self,
        user_id: i64,
        domain_id: i64,
        local_part: &str,
        alias: &str,
    ) -> Result<(), DirectoryError>;
    /// False when there is no such alias (a primary address is not an alias).
    async fn delete_alias(&self, alias: &str) -> Result<bool, DirectoryError>;

    /// Enabled users of `domain` matching the patterns, by folded display name, at most `limit`.
    async fn search_users(
        &self,
        domain: &str,
        patterns: &SearchPatterns,
        limit: u32,
    ) -> Result<Vec<User>, DirectoryError>;
}

eas_store_kit::sql_store!(crate::store::sql::sql_store);

static MIGRATIONS: Migrations = Migrations {
    sqlite: &sqlx::migrate!("./migrations/sqlite"),
    postgres: &sqlx::migrate!("./migrations/postgres"),
};

/// Opens the store named by the URL scheme and brings its schema up to date.
pub(crate) async fn open(
    url: &str,
    options: &DirectoryOptions,
) -> Result<Arc<dyn Store>, DirectoryError> {
    let pool = PoolOptions {
        max_connections: options.max_connections,
        postgres_schema: options.postgres_schema.as_deref(),
    };
    Ok(match eas_store_kit::open(url, &pool, &MIGRATIONS).await? {
        Opened::Sqlite(store) => Arc::new(store),
        Opened::Postgres(store) => Arc::new(store),
    })
}

impl From<OpenError> for DirectoryError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::UnsupportedUrl => DirectoryError::UnsupportedUrl,
            OpenError::InvalidSchema(name) => DirectoryError::InvalidSchema(name),
            OpenError::Database(e) => DirectoryError::Database(e),
            OpenError::Migration(e) => DirectoryError::Migration(e),
        }
    }
}
