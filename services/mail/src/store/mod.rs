//! The storage seam of the mail service: one trait, implemented for PostgreSQL (cluster) and
//! SQLite (embedded) from the same SQL, on the pools of `eas_store_kit`.

#[cfg(test)]
mod full_disk;
mod sql;
mod sql_blobs;
mod sql_folders;
mod sql_queue;
mod sql_read;
mod sql_write;

use std::sync::Arc;

use async_trait::async_trait;
use eas_store_kit::{Migrations, OpenError, Opened, PoolOptions};

use crate::error::MailError;
use crate::model::{
    AttachmentMeta, Flag, Folder, FolderId, FolderState, Hierarchy, ItemChange, ItemVersion,
    MessageId, MessageMeta, Moved,
};
use crate::options::MailOptions;
use crate::parse::NewMessage;

/// Where a stored blob is and how to read it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlobRef {
    pub id: i64,
    pub size: u64,
    pub chunk_count: u32,
}

/// What a write that removed content left behind: blobs that may now be unreferenced.
#[derive(Debug, Default)]
pub(crate) struct Released {
    pub blobs: Vec<i64>,
}

/// The result of emptying a folder.
#[derive(Debug, Default)]
pub(crate) struct Emptied {
    /// The folder's new counter, when it held live messages.
    pub counter: Option<u64>,
    /// The new hierarchy counter, when subfolders were deleted.
    pub hierarchy: Option<u64>,
    pub released: Released,
}

/// Everything the mail service asks of a database. Addresses passed in are lowercase; every
/// operation is scoped to that user's mailbox, so an id of another user is "not found".
pub(crate) trait Store:
    FolderStore + ReadStore + WriteStore + BlobStore + QueueStore
{
}

impl<T: FolderStore + ReadStore + WriteStore + BlobStore + QueueStore> Store for T {}

/// Mailboxes and the folder hierarchy.
#[async_trait]
pub(crate) trait FolderStore: Send + Sync + 'static {
    /// Creates the mailbox and its standard folders unless it exists; true when created.
    async fn ensure_mailbox(&self, user: &str) -> Result<bool, MailError>;
    async fn hierarchy(&self, user: &str) -> Result<Hierarchy, MailError>;
    async fn folder_state(&self, user: &str, folder: FolderId) -> Result<FolderState, MailError>;
    /// Returns the folder and the new hierarchy counter.
    async fn create_folder(
        &self,
        user: &str,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<(Folder, u64), MailError>;
    /// `parent: Some(None)` moves to the top level; `None` keeps the parent.
    async fn update_folder(
        &self,
        user: &str,
        folder: FolderId,
        parent: Option<Option<FolderId>>,
        name: Option<&str>,
    ) -> Result<(Folder, u64), MailError>;
    async fn delete_folder(
        &self,
        user: &str,
        folder: FolderId,
    ) -> Result<(u64, Released), MailError>;
}

/// Reads of messages and of the change log.
#[async_trait]
pub(crate) trait ReadStore: Send + Sync + 'static {
    /// One round trip to the database (readiness probes).
    async fn ping(&self) -> Result<(), MailError>;
    async fn changes(
        &self,
        user: &str,
        folder: FolderId,
        after: (u64, &str),
        limit: u32,
    ) -> Result<Vec<ItemVersion>, MailError>;
    async fn versions(
        &self,
        user: &str,
        folder: FolderId,
        ids: &[MessageId],
    ) -> Result<Vec<ItemVersion>, MailError>;
    async fn messages(&self, user: &str, ids: &[MessageId]) -> Result<Vec<MessageMeta>, MailError>;
    async fn count(
        &self,
        user: &str,
        folder: FolderId,
        since: Option<i64>,
    ) -> Result<u64, MailError>;
    /// `pattern` is a LIKE pattern with `\` as escape.
    async fn search(
        &self,
        user: &str,
        pattern: &str,
        folder: Option<FolderId>,
        offset: u32,
        limit: u32,
    ) -> Result<(u64, Vec<MessageMeta>), MailError>;
}

/// Writes to messages; each bumps the counter of every folder it touches in its transaction.
#[async_trait]
pub(crate) trait WriteStore: Send + Sync + 'static {
    async fn deliver(
        &self,
        user: &str,
        folder: Option<FolderId>,
        message: &NewMessage<'_>,
        chunk_size: usize,
    ) -> Result<ItemChange, MailError>;
    async fn set_read(
        &self,
        user: &str,
        id: MessageId,
        read: bool,
    ) -> Result<ItemChange, MailError>;
    async fn set_flag(
        &self,
        user: &str,
        id: MessageId,
        flag: Flag,
    ) -> Result<ItemChange, MailError>;
    async fn delete(&self, user: &str, id: MessageId) -> Result<(ItemChange, Released), MailError>;
    async fn move_to(
        &self,
        user: &str,
        id: MessageId,
        folder: FolderId,
    ) -> Result<Moved, MailError>;
    async fn empty_folder(
        &self,
        user: &str,
        folder: FolderId,
        include_subfolders: bool,
    ) -> Result<Emptied, MailError>;
    /// Removes tombstones with a modseq below `below`; returns how many.
    async fn purge_tombstones(
        &self,
        user: &str,
        folder: FolderId,
        below: u64,
    ) -> Result<u64, MailError>;
}

/// Chunked blobs.
#[async_trait]
pub(crate) trait BlobStore: Send + Sync + 'static {
    async fn raw_blob(&self, user: &str, id: MessageId) -> Result<BlobRef, MailError>;
    async fn attachment_blob(
        &self,
        user: &str,
        id: MessageId,
        index: u32,
    ) -> Result<(AttachmentMeta, BlobRef), MailError>;
    async fn chunk(&self, blob: i64, seq: u32) -> Result<Option<Vec<u8>>, MailError>;
    /// Deletes each of `blobs` that nothing references any more. Best effort.
    async fn collect_garbage(&self, blobs: &[i64]);
}

/// The outbound queue of the SMTP relay. Times are unix milliseconds.
#[async_trait]
pub(crate) trait QueueStore: Send + Sync + 'static {
    /// Adds a message for `recipients`, due at once; returns its id.
    async fn enqueue(
        &self,
        sender: &str,
        recipients: &[String],
        raw: &[u8],
        now_ms: i64,
    ) -> Result<i64, MailError>;
    /// Takes up to `limit` due rows, moving their next attempt to `lease_until_ms` so that no
    /// other worker takes them meanwhile; a worker that dies leaves them due again after it.
    async fn claim_due(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<crate::outbound::Outbound>, MailError>;
    /// Counts a failed attempt and sets the next one.
    async fn retry_later(
        &self,
        id: i64,
        next_attempt_ms: i64,
        error: &str,
    ) -> Result<(), MailError>;
    /// Drops a row once the relay accepted it or refused it for good.
    async fn remove(&self, id: i64) -> Result<(), MailError>;
    /// How many rows there are, and the earliest next attempt of any row.
    async fn next_due(&self) -> Result<(u64, Option<i64>), MailError>;
    /// Every row, oldest first.
    async fn queued(&self) -> Result<Vec<crate::outbound::Outbound>, MailError>;
}

eas_store_kit::sql_store!(crate::store::sql::sql_store);

pub(crate) static MIGRATIONS: Migrations = Migrations {
    sqlite: &sqlx::migrate!("./migrations/sqlite"),
    postgres: &sqlx::migrate!("./migrations/postgres"),
};

/// The pool settings of `options`.
pub(crate) fn pool_options(options: &MailOptions) -> PoolOptions<'_> {
    PoolOptions {
        max_connections: options.max_connections,
        postgres_schema: options.postgres_schema.as_deref(),
    }
}

/// Opens the store named by the URL scheme and brings its schema up to date.
pub(crate) async fn open(url: &str, options: &MailOptions) -> Result<Arc<dyn Store>, MailError> {
    Ok(
        match eas_store_kit::open(url, &pool_options(options), &MIGRATIONS).await? {
            Opened::Sqlite(store) => Arc::new(store),
            Opened::Postgres(store) => Arc::new(store),
        },
    )
}

impl From<OpenError> for MailError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::UnsupportedUrl => MailError::UnsupportedUrl,
            OpenError::InvalidSchema(name) => MailError::InvalidSchema(name),
            OpenError::Database(e) => MailError::Database(e),
            OpenError::Migration(e) => MailError::Migration(e),
        }
    }
}
