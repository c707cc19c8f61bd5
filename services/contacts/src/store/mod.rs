//! The storage seam of the contacts service: one trait, implemented for PostgreSQL (cluster)
//! and SQLite (embedded) from the same SQL, on the pools of `eas_store_kit`.

mod sql;
mod sql_folders;
mod sql_items;

use std::sync::Arc;

use async_trait::async_trait;
use eas_store_kit::{Migrations, Opened, PoolOptions};

use crate::error::ContactsError;
use crate::index::Indexed;
use crate::model::{
    ContactId, Folder, FolderId, FolderState, Hierarchy, ItemVersion, Moved, SearchResult,
    StoredContact, Written,
};

/// Everything the contacts service asks of a database. Addresses passed in are canonical
/// (lowercase); every operation is scoped to that user's address books, so an id of another
/// user is "not found".
#[async_trait]
pub(crate) trait Store: Send + Sync + 'static {
    /// One round trip to the database (readiness probes).
    async fn ping(&self) -> Result<(), ContactsError>;

    /// Creates the user's address book with its Contacts folder and the collected contacts
    /// unless it exists; true when created.
    async fn ensure_book(&self, user: &str) -> Result<bool, ContactsError>;
    /// Every folder of the user, the collected contacts included, with the hierarchy counter.
    async fn hierarchy(&self, user: &str) -> Result<Hierarchy, ContactsError>;
    async fn folder_state(
        &self,
        user: &str,
        folder: FolderId,
    ) -> Result<FolderState, ContactsError>;
    /// A user folder under `parent` (or at the top); the folder and the new hierarchy counter.
    async fn create_folder(
        &self,
        user: &str,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<(Folder, u64), ContactsError>;
    /// Moves (`parent: None` is the top) and renames a user folder.
    async fn update_folder(
        &self,
        user: &str,
        folder: FolderId,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<(Folder, u64), ContactsError>;
    /// Deletes a user folder with its subfolders and contacts; the new hierarchy counter.
    async fn delete_folder(&self, user: &str, folder: FolderId) -> Result<u64, ContactsError>;

    /// Versions strictly after `after`, by (modseq, id as text in byte order).
    async fn changes(
        &self,
        user: &str,
        folder: FolderId,
        after: (u64, &str),
        limit: u32,
    ) -> Result<Vec<ItemVersion>, ContactsError>;
    async fn versions(
        &self,
        user: &str,
        folder: FolderId,
        ids: &[ContactId],
    ) -> Result<Vec<ItemVersion>, ContactsError>;
    /// The live contacts of `folder` among `ids`.
    async fn contacts(
        &self,
        user: &str,
        folder: FolderId,
        ids: &[ContactId],
    ) -> Result<Vec<StoredContact>, ContactsError>;
    /// Every live contact of `folder`, by id.
    async fn all_contacts(
        &self,
        user: &str,
        folder: FolderId,
    ) -> Result<Vec<StoredContact>, ContactsError>;
    /// `pattern` is a LIKE pattern with `\` as escape, matched against the contacts' terms.
    async fn search(
        &self,
        user: &str,
        pattern: &str,
        include_collected: bool,
        limit: u32,
    ) -> Result<SearchResult, ContactsError>;

    /// Adds `contacts` to `folder` in one write, all with one modseq; returns that modseq and
    /// the new ids in order.
    async fn insert(
        &self,
        user: &str,
        folder: FolderId,
        contacts: &[Indexed],
    ) -> Result<(u64, Vec<ContactId>), ContactsError>;
    /// Replaces a live contact; with `if_modseq`, only while it is still at that modseq.
    async fn update(
        &self,
        user: &str,
        folder: FolderId,
        id: ContactId,
        contact: &Indexed,
        if_modseq: Option<u64>,
    ) -> Result<Written, ContactsError>;
    /// Leaves a tombstone in place of a live contact.
    async fn delete(
        &self,
        user: &str,
        folder: FolderId,
        id: ContactId,
    ) -> Result<Written, ContactsError>;
    async fn move_to(
        &self,
        user: &str,
        from: FolderId,
        id: ContactId,
        to: FolderId,
    ) -> Result<Moved, ContactsError>;
    /// Forgets the tombstones at or below `through`; `purged_through` becomes at least that.
    async fn purge_tombstones(
        &self,
        user: &str,
        folder: FolderId,
        through: u64,
    ) -> Result<u64, ContactsError>;
    /// Adds to the collected contacts each `(address key, contact)` whose address is in none
    /// of the user's address books; the collected folder and its new counter when any was.
    async fn collect(
        &self,
        user: &str,
        recipients: &[(String, Indexed)],
    ) -> Result<Option<(FolderId, u64, usize)>, ContactsError>;
}

eas_store_kit::sql_store!(crate::store::sql::sql_store);

static MIGRATIONS: Migrations = Migrations {
    sqlite: &sqlx::migrate!("./migrations/sqlite"),
    postgres: &sqlx::migrate!("./migrations/postgres"),
};

/// Opens the store named by the URL scheme and brings its schema up to date.
pub(crate) async fn open(
    url: &str,
    max_connections: u32,
    postgres_schema: Option<&str>,
) -> Result<Arc<dyn Store>, ContactsError> {
    let pool = PoolOptions {
        max_connections,
        postgres_schema,
    };
    Ok(match eas_store_kit::open(url, &pool, &MIGRATIONS).await? {
        Opened::Sqlite(store) => Arc::new(store),
        Opened::Postgres(store) => Arc::new(store),
    })
}
