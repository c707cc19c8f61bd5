//! Message operations of `MailStore`: delivery, the change log, reads, flags, moves, deletes,
//! search and blob readers.

use std::ops::Range;

use crate::blob::BlobReader;
use crate::error::MailError;
use crate::mail_store::{canonical, MailStore};
use crate::model::{
    AttachmentMeta, Flag, FolderId, ItemChange, ItemVersion, MessageId, MessageMeta, Moved,
    SearchResult,
};
use crate::parse;

/// Most versions or messages one call returns.
pub const MAX_PAGE: u32 = 1000;

impl MailStore {
    /// Stores a raw RFC 5322 message in `folder` (the Inbox when `None`), creating the mailbox
    /// if needed. The bytes are stored once however many mailboxes receive them.
    pub async fn deliver(
        &self,
        user: &str,
        folder: Option<FolderId>,
        raw: &[u8],
        received_at: i64,
    ) -> Result<ItemChange, MailError> {
        canonical(user)?;
        let message = parse::parse(raw)?;
        let new = parse::index(raw, &message, received_at, self.options.max_search_text);
        self.deliver_indexed(user, folder, &new).await
    }

    /// Stores an indexed message in `folder` (the Inbox when `None`) of `user`; a message for
    /// several mailboxes is parsed and indexed once.
    pub(crate) async fn deliver_indexed(
        &self,
        user: &str,
        folder: Option<FolderId>,
        new: &parse::NewMessage<'_>,
    ) -> Result<ItemChange, MailError> {
        let user = canonical(user)?;
        self.store.ensure_mailbox(&user).await?;
        let change = self
            .store
            .deliver(&user, folder, new, self.options.chunk_size)
            .await?;
        tracing::info!(
            user = %user,
            folder = %change.folder_id,
            message = %change.id,
            modseq = change.modseq,
            size = new.raw.len(),
            "message delivered"
        );
        self.items_changed(&user, change.folder_id, change.modseq)
            .await;
        Ok(change)
    }

    /// Versions (tombstones included) of `folder` strictly after `after = (modseq, id)`,
    /// ordered by modseq then by the id's string form; `(0, "")` starts at the beginning.
    pub async fn changes_since(
        &self,
        user: &str,
        folder: FolderId,
        after: (u64, &str),
        limit: u32,
    ) -> Result<Vec<ItemVersion>, MailError> {
        let limit = limit.min(MAX_PAGE);
        self.store
            .changes(&canonical(user)?, folder, after, limit)
            .await
    }

    /// The current version of each of `ids` that `folder` still has (live or tombstone).
    pub async fn versions(
        &self,
        user: &str,
        folder: FolderId,
        ids: &[MessageId],
    ) -> Result<Vec<ItemVersion>, MailError> {
        let mut all = Vec::with_capacity(ids.len());
        let user = canonical(user)?;
        for page in ids.chunks(MAX_PAGE as usize) {
            all.extend(self.store.versions(&user, folder, page).await?);
        }
        Ok(all)
    }

    /// Metadata of the live messages among `ids`, by id; unknown ids are left out.
    pub async fn get(&self, user: &str, ids: &[MessageId]) -> Result<Vec<MessageMeta>, MailError> {
        let mut all = Vec::with_capacity(ids.len());
        let user = canonical(user)?;
        for page in ids.chunks(MAX_PAGE as usize) {
            all.extend(self.store.messages(&user, page).await?);
        }
        Ok(all)
    }

    /// Live messages in `folder` received at or after `since` (all of them with `None`).
    pub async fn count(
        &self,
        user: &str,
        folder: FolderId,
        since: Option<i64>,
    ) -> Result<u64, MailError> {
        self.store.count(&canonical(user)?, folder, since).await
    }

    pub async fn set_read(
        &self,
        user: &str,
        id: MessageId,
        read: bool,
    ) -> Result<ItemChange, MailError> {
        let user = canonical(user)?;
        let change = self.store.set_read(&user, id, read).await?;
        self.items_changed(&user, change.folder_id, change.modseq)
            .await;
        Ok(change)
    }

    /// Sets the follow-up flag (MS-ASEMAIL 2.2.2.34); `Flag::default()` clears it.
    pub async fn set_flag(
        &self,
        user: &str,
        id: MessageId,
        flag: Flag,
    ) -> Result<ItemChange, MailError> {
        let user = canonical(user)?;
        let change = self.store.set_flag(&user, id, flag).await?;
        self.items_changed(&user, change.folder_id, change.modseq)
            .await;
        Ok(change)
    }

    /// Deletes a message, leaving a tombstone with a new modseq.
    pub async fn delete(&self, user: &str, id: MessageId) -> Result<ItemChange, MailError> {
        let user = canonical(user)?;
        let (change, released) = self.store.delete(&user, id).await?;
        tracing::info!(user = %user, message = %id, "message deleted");
        self.release(released).await;
        self.items_changed(&user, change.folder_id, change.modseq)
            .await;
        Ok(change)
    }

    /// Moves a message: a tombstone in the source, a new item with a new id in `folder`.
    pub async fn move_to(
        &self,
        user: &str,
        id: MessageId,
        folder: FolderId,
    ) -> Result<Moved, MailError> {
        let user = canonical(user)?;
        let moved = self.store.move_to(&user, id, folder).await?;
        tracing::info!(user = %user, message = %id, new_id = %moved.item.id, folder = %folder, "message moved");
        let (source, dest) = (moved.tombstone, moved.item);
        self.items_changed(&user, source.folder_id, source.modseq)
            .await;
        self.items_changed(&user, dest.folder_id, dest.modseq).await;
        Ok(moved)
    }

    /// Tombstones every message of `folder` and, with `include_subfolders`, deletes its
    /// subfolders (ItemOperations EmptyFolderContents, DeleteSubFolders).
    pub async fn empty_folder(
        &self,
        user: &str,
        folder: FolderId,
        include_subfolders: bool,
    ) -> Result<(), MailError> {
        let user = canonical(user)?;
        let emptied = self
            .store
            .empty_folder(&user, folder, include_subfolders)
            .await?;
        tracing::info!(user = %user, folder = %folder, include_subfolders, "folder emptied");
        self.release(emptied.released).await;
        if let Some(counter) = emptied.counter {
            self.items_changed(&user, folder, counter).await;
        }
        if let Some(counter) = emptied.hierarchy {
            self.hierarchy_changed(&user, folder, counter).await;
        }
        Ok(())
    }

    /// Forgets tombstones of `folder` with a modseq below `below`; `FolderState::purged_through`
    /// then reports `below - 1`. Returns how many were removed.
    pub async fn purge_tombstones(
        &self,
        user: &str,
        folder: FolderId,
        below: u64,
    ) -> Result<u64, MailError> {
        self.store
            .purge_tombstones(&canonical(user)?, folder, below)
            .await
    }

    /// Live messages whose subject, sender or body text contains `text` (case-insensitive),
    /// newest first; `range` selects the page (Search Range `0-9` is `0..10`).
    pub async fn search(
        &self,
        user: &str,
        text: &str,
        folder: Option<FolderId>,
        range: Range<u32>,
    ) -> Result<SearchResult, MailError> {
        let limit = range.end.saturating_sub(range.start).min(MAX_PAGE);
        let pattern = format!("%{}%", like_escape(&text.to_lowercase()));
        let (total, items) = self
            .store
            .search(&canonical(user)?, &pattern, folder, range.start, limit)
            .await?;
        Ok(SearchResult { total, items })
    }

    /// The raw RFC 5322 bytes of a live message, chunk by chunk.
    pub async fn raw(&self, user: &str, id: MessageId) -> Result<BlobReader, MailError> {
        let blob = self.store.raw_blob(&canonical(user)?, id).await?;
        Ok(BlobReader::new(self.store.clone(), blob))
    }

    /// One attachment's decoded bytes, chunk by chunk, with its metadata.
    pub async fn attachment(
        &self,
        user: &str,
        id: MessageId,
        index: u32,
    ) -> Result<(AttachmentMeta, BlobReader), MailError> {
        let (meta, blob) = self
            .store
            .attachment_blob(&canonical(user)?, id, index)
            .await?;
        Ok((meta, BlobReader::new(self.store.clone(), blob)))
    }
}

/// Escapes LIKE's wildcards so that `text` matches literally (with `ESCAPE '\'`).
fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
