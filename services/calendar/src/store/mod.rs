//! The storage seam of the calendar service: one trait, implemented for PostgreSQL (cluster)
//! and SQLite (embedded) from the same SQL, on the pools of `eas_store_kit`.

mod sql;
mod sql_folders;
mod sql_items;
mod sql_shares;

use std::sync::Arc;

use async_trait::async_trait;
use eas_store_kit::{Migrations, Opened, PoolOptions};

use crate::error::CalendarError;
use crate::index::Indexed;
use crate::model::{
    Access, Created, EventId, Folder, FolderId, FolderState, Hierarchy, ItemVersion, Moved, Share,
    Shares, StoredEvent, Written,
};

/// The users a change to a calendar concerns: its owner first, then every user it is shared
/// with (lowercase addresses). Each one's held Ping waits on the calendar.
pub(crate) type Audience = Vec<String>;

/// Users whose hierarchy counter a write moved, with the new value.
pub(crate) type Moves = Vec<(String, u64)>;

/// Everything the calendar service asks of a database. Addresses passed in are canonical
/// (lowercase). A user sees their own calendars and those shared with them; any other id is
/// "not found". Reads need any access, event writes read-write access (the owner always has
/// it), folder writes, purges and grants ownership.
#[async_trait]
pub(crate) trait Store: Send + Sync + 'static {
    /// One round trip to the database (readiness probes).
    async fn ping(&self) -> Result<(), CalendarError>;

    /// Creates the user's account with its default Calendar unless it exists; true when
    /// created.
    async fn ensure_account(&self, user: &str) -> Result<bool, CalendarError>;
    /// The user's own calendars, then those shared with them, with the hierarchy counter.
    async fn hierarchy(&self, user: &str) -> Result<Hierarchy, CalendarError>;
    async fn folder_state(
        &self,
        user: &str,
        folder: FolderId,
    ) -> Result<FolderState, CalendarError>;
    /// A user calendar under `parent` (or at the top); the calendar and the new hierarchy
    /// counter.
    async fn create_folder(
        &self,
        user: &str,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<(Folder, u64), CalendarError>;
    /// Moves (`parent: None` is the top) and renames a user calendar; the calendar, the
    /// owner's new hierarchy counter and those of the grantees who see the new name.
    async fn update_folder(
        &self,
        user: &str,
        folder: FolderId,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<(Folder, u64, Moves), CalendarError>;
    /// Deletes a user calendar with its subcalendars, events and shares; the owner's new
    /// hierarchy counter and those of the grantees who lost a calendar.
    async fn delete_folder(
        &self,
        user: &str,
        folder: FolderId,
    ) -> Result<(u64, Moves), CalendarError>;

    /// Versions strictly after `after`, by (modseq, id as text in byte order).
    async fn changes(
        &self,
        user: &str,
        folder: FolderId,
        after: (u64, &str),
        limit: u32,
    ) -> Result<Vec<ItemVersion>, CalendarError>;
    async fn versions(
        &self,
        user: &str,
        folder: FolderId,
        ids: &[EventId],
    ) -> Result<Vec<ItemVersion>, CalendarError>;
    /// The live events of `folder` among `ids`, or all of them (`None`), by id.
    async fn events(
        &self,
        user: &str,
        folder: FolderId,
        ids: Option<&[EventId]>,
    ) -> Result<Vec<StoredEvent>, CalendarError>;
    /// The live events of the user's own calendars (not those shared with them) that may have
    /// an occurrence ending after `after` (unix seconds): their FilterType date is later, or
    /// they are series without end. None when the user has no account.
    async fn own_events_after(
        &self,
        user: &str,
        after: i64,
    ) -> Result<Vec<StoredEvent>, CalendarError>;

    /// Adds an event, unless its ClientUid is already that of a live event of the folder:
    /// then that event, and nothing written.
    async fn create(
        &self,
        user: &str,
        folder: FolderId,
        event: &Indexed,
    ) -> Result<(Created, Audience), CalendarError>;
    /// Replaces a live event; with `if_modseq`, only while it is still at that modseq. An
    /// event without UID keeps the stored one.
    async fn update(
        &self,
        user: &str,
        folder: FolderId,
        id: EventId,
        event: &Indexed,
        if_modseq: Option<u64>,
    ) -> Result<(Written, Audience), CalendarError>;
    /// Leaves a tombstone in place of a live event.
    async fn delete(
        &self,
        user: &str,
        folder: FolderId,
        id: EventId,
    ) -> Result<(Written, Audience), CalendarError>;
    /// Moves a live event; the audiences of the source and of the destination.
    async fn move_to(
        &self,
        user: &str,
        from: FolderId,
        id: EventId,
        to: FolderId,
    ) -> Result<(Moved, Audience, Audience), CalendarError>;
    /// Writes `events` to `folder` in one write with one modseq: each replaces the live event
    /// with its UID (the lowest id, not already written by this import), else is added.
    /// No events: only the access is checked, and nothing is written (modseq 0).
    async fn import(
        &self,
        user: &str,
        folder: FolderId,
        events: &[Indexed],
    ) -> Result<(u64, Vec<EventId>, Audience), CalendarError>;
    /// Forgets the tombstones at or below `through` of one of the user's own calendars;
    /// `purged_through` becomes at least that.
    async fn purge_tombstones(
        &self,
        user: &str,
        folder: FolderId,
        through: u64,
    ) -> Result<u64, CalendarError>;

    /// Grants (or changes) `grantee`'s access to `owner`'s calendar; the grantee's new
    /// hierarchy counter when their view changed.
    async fn grant(
        &self,
        owner: &str,
        folder: FolderId,
        grantee: &str,
        access: Access,
    ) -> Result<(Share, Option<u64>), CalendarError>;
    /// Withdraws a grant; the grantee's new hierarchy counter.
    async fn revoke(
        &self,
        owner: &str,
        folder: FolderId,
        grantee: &str,
    ) -> Result<u64, CalendarError>;
    async fn shares(&self, user: &str) -> Result<Shares, CalendarError>;

    /// The bytes of the attachment of that FileReference, if a live event of a calendar the
    /// user sees has it; `AttachmentNotFound` otherwise.
    async fn attachment(&self, user: &str, reference: &str) -> Result<Vec<u8>, CalendarError>;
    /// The bytes of every attachment of the live events of `folder`, by FileReference.
    async fn folder_attachments(
        &self,
        user: &str,
        folder: FolderId,
    ) -> Result<std::collections::HashMap<String, Vec<u8>>, CalendarError>;
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
) -> Result<Arc<dyn Store>, CalendarError> {
    let pool = PoolOptions {
        max_connections,
        postgres_schema,
    };
    Ok(match eas_store_kit::open(url, &pool, &MIGRATIONS).await? {
        Opened::Sqlite(store) => Arc::new(store),
        Opened::Postgres(store) => Arc::new(store),
    })
}
