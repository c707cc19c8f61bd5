//! Item versions, the cursor into a folder's change counter, and the [`ItemSource`] trait a data service implements.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::filter::Window;

/// One item as the folder's change log sees it: its id, the counter value of its last change, whether that
/// change was a deletion (a tombstone), and the date the filter looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemVersion {
    /// The item's ServerId within the folder.
    pub id: String,
    /// The folder counter value of the item's last change (add, update, delete or move away).
    pub modseq: u64,
    /// A tombstone: the item was deleted or moved out of the folder.
    pub deleted: bool,
    /// The date the FilterType window is compared with, in unix seconds: the received time of a mail, the
    /// end of the last occurrence of an event. `None` means "always within any time window" (for example a
    /// recurring event without an end date, MS-ASCMD 2.2.3.68.2).
    pub date: Option<i64>,
    /// For tasks: completed. Only FilterType 8 (incomplete tasks) looks at it.
    pub complete: bool,
}

impl ItemVersion {
    /// A live item.
    pub fn live(id: impl Into<String>, modseq: u64, date: Option<i64>) -> Self {
        Self {
            id: id.into(),
            modseq,
            deleted: false,
            date,
            complete: false,
        }
    }

    /// A tombstone left by a deletion or by a move out of the folder.
    pub fn tombstone(id: impl Into<String>, modseq: u64) -> Self {
        Self {
            id: id.into(),
            modseq,
            deleted: true,
            date: None,
            complete: false,
        }
    }

    /// The position of this version in the folder's change order.
    pub fn position(&self) -> Cursor {
        Cursor {
            modseq: self.modseq,
            id: self.id.clone(),
        }
    }
}

/// A position in a folder's change order `(modseq, id)`; everything at or before it has been considered.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor {
    /// Counter value of the last considered version.
    pub modseq: u64,
    /// Id of the last considered version (ties on `modseq` are broken by id).
    pub id: String,
}

impl Cursor {
    /// Before every version.
    pub const fn start() -> Self {
        Self {
            modseq: 0,
            id: String::new(),
        }
    }

    /// Whether `version` comes strictly after this position.
    pub fn is_before(&self, version: &ItemVersion) -> bool {
        (self.modseq, self.id.as_str()) < (version.modseq, version.id.as_str())
    }
}

/// Why the item source could not answer; the caller maps it to Sync status 5 (MS-ASCMD 2.2.3.177.17).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The data service did not answer.
    #[error("item source unavailable: {0}")]
    Unavailable(String),
    /// The folder does not exist (any more); the caller maps it to Sync status 8 or 12.
    #[error("folder not found")]
    FolderNotFound,
}

/// The change log of one folder, as the data service exposes it. The engine never writes through it.
#[async_trait]
pub trait ItemSource: Send + Sync {
    /// Versions, tombstones included, whose `(modseq, id)` is strictly after `cursor`, ordered by
    /// `(modseq, id)` ascending, at most `limit` of them. Each item appears at most once (at its latest
    /// version) because an item only carries the counter value of its last change.
    async fn changes_after(
        &self,
        cursor: &Cursor,
        limit: usize,
    ) -> Result<Vec<ItemVersion>, SourceError>;

    /// The current version (live or tombstone) of each of `ids` that the folder still knows; ids whose
    /// tombstone was purged, or that never existed, are left out. Any order.
    async fn current(&self, ids: &[String]) -> Result<Vec<ItemVersion>, SourceError>;

    /// Tombstones with `modseq` at or below this value may have been purged. A device whose cursor is older
    /// is reconciled by looking up every item it holds. The default says nothing was ever purged.
    async fn purged_through(&self) -> Result<u64, SourceError> {
        Ok(0)
    }

    /// How many live items `window` admits (GetItemEstimate for a device that holds nothing). The default
    /// pages through [`ItemSource::changes_after`]; a database can answer with one count query.
    async fn count_admitted(&self, window: &Window) -> Result<u64, SourceError> {
        let mut cursor = Cursor::start();
        let mut count = 0u64;
        loop {
            let batch = self.changes_after(&cursor, 1024).await?;
            let Some(last) = batch.last() else {
                return Ok(count);
            };
            let next = last.position();
            count += batch
                .iter()
                .filter(|v| !v.deleted && window.admits(v))
                .count() as u64;
            if next <= cursor {
                // A source that does not move forward would loop for ever; stop instead.
                return Ok(count);
            }
            cursor = next;
        }
    }
}
