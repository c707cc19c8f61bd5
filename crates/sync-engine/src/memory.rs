//! An in-memory folder that implements [`ItemSource`], for tests here and in other crates.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::item::{Cursor, ItemSource, ItemVersion, SourceError};

#[derive(Debug, Default)]
struct Inner {
    counter: u64,
    next_id: u64,
    items: BTreeMap<String, ItemVersion>,
    purged_through: u64,
    unavailable: bool,
}

/// A folder with a change counter: every write bumps it and stamps the item; deletions leave tombstones
/// until [`MemoryFolder::purge_tombstones`].
#[derive(Debug, Default)]
pub struct MemoryFolder {
    inner: Mutex<Inner>,
}

impl MemoryFolder {
    /// An empty folder with its counter at 0.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-written, so a poisoned lock is usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates an item with a fresh id ("1", "2", ...) and returns its version.
    pub fn create(&self, date: Option<i64>) -> ItemVersion {
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id.to_string();
        drop(inner);
        self.put(&id, date)
    }

    /// Creates or replaces the item `id` (live, not complete) and returns its version.
    pub fn put(&self, id: &str, date: Option<i64>) -> ItemVersion {
        let mut inner = self.lock();
        inner.counter += 1;
        let v = ItemVersion::live(id, inner.counter, date);
        inner.items.insert(id.to_owned(), v.clone());
        v
    }

    /// Changes a live item's date (any edit bumps its modseq); `None` if it is not live.
    pub fn update(&self, id: &str, date: Option<i64>) -> Option<ItemVersion> {
        let mut inner = self.lock();
        let complete = inner.items.get(id).filter(|v| !v.deleted)?.complete;
        inner.counter += 1;
        let mut v = ItemVersion::live(id, inner.counter, date);
        v.complete = complete;
        inner.items.insert(id.to_owned(), v.clone());
        Some(v)
    }

    /// Marks a live task complete or not; `None` if it is not live.
    pub fn set_complete(&self, id: &str, complete: bool) -> Option<ItemVersion> {
        let mut inner = self.lock();
        let date = inner.items.get(id).filter(|v| !v.deleted)?.date;
        inner.counter += 1;
        let mut v = ItemVersion::live(id, inner.counter, date);
        v.complete = complete;
        inner.items.insert(id.to_owned(), v.clone());
        Some(v)
    }

    /// Deletes a live item, leaving a tombstone; `None` if it is not live.
    pub fn delete(&self, id: &str) -> Option<ItemVersion> {
        let mut inner = self.lock();
        inner.items.get(id).filter(|v| !v.deleted)?;
        inner.counter += 1;
        let v = ItemVersion::tombstone(id, inner.counter);
        inner.items.insert(id.to_owned(), v.clone());
        Some(v)
    }

    /// Deletes every live item in one write (a folder emptied at once): one counter value, and
    /// every tombstone at it, so they tie on `modseq` and are ordered by id. `None`, and the
    /// counter unchanged, when nothing was live.
    pub fn delete_all(&self) -> Option<u64> {
        let mut inner = self.lock();
        if inner.items.values().all(|v| v.deleted) {
            return None;
        }
        inner.counter += 1;
        let modseq = inner.counter;
        for v in inner.items.values_mut().filter(|v| !v.deleted) {
            *v = ItemVersion::tombstone(v.id.clone(), modseq);
        }
        Some(modseq)
    }

    /// Moves a live item to another folder: for this folder, the same as a delete.
    pub fn move_out(&self, id: &str) -> Option<ItemVersion> {
        self.delete(id)
    }

    /// Forgets tombstones with `modseq <= through`.
    pub fn purge_tombstones(&self, through: u64) {
        let mut inner = self.lock();
        inner
            .items
            .retain(|_, v| !(v.deleted && v.modseq <= through));
        inner.purged_through = inner.purged_through.max(through);
    }

    /// Makes every call fail with [`SourceError::Unavailable`] (or work again).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.lock().unavailable = unavailable;
    }

    /// The item's current version, tombstone included.
    pub fn get(&self, id: &str) -> Option<ItemVersion> {
        self.lock().items.get(id).cloned()
    }

    /// Every live item, in id order.
    pub fn live(&self) -> Vec<ItemVersion> {
        (self.lock().items.values())
            .filter(|v| !v.deleted)
            .cloned()
            .collect()
    }

    /// The folder's change counter.
    pub fn counter(&self) -> u64 {
        self.lock().counter
    }

    fn check(&self) -> Result<MutexGuard<'_, Inner>, SourceError> {
        let inner = self.lock();
        if inner.unavailable {
            return Err(SourceError::Unavailable(
                "memory folder switched off".into(),
            ));
        }
        Ok(inner)
    }
}

#[async_trait]
impl ItemSource for MemoryFolder {
    async fn changes_after(
        &self,
        cursor: &Cursor,
        limit: usize,
    ) -> Result<Vec<ItemVersion>, SourceError> {
        let inner = self.check()?;
        let mut after: Vec<ItemVersion> = (inner.items.values())
            .filter(|v| cursor.is_before(v))
            .cloned()
            .collect();
        after.sort_by(|a, b| (a.modseq, &a.id).cmp(&(b.modseq, &b.id)));
        after.truncate(limit);
        Ok(after)
    }

    async fn current(&self, ids: &[String]) -> Result<Vec<ItemVersion>, SourceError> {
        let inner = self.check()?;
        Ok(ids
            .iter()
            .filter_map(|id| inner.items.get(id).cloned())
            .collect())
    }

    async fn purged_through(&self) -> Result<u64, SourceError> {
        Ok(self.check()?.purged_through)
    }
}
