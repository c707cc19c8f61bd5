//! Per-device state shared by every edge replica: provisioning, policy keys, approval, wipe, sync state.
//!
//! The [`DeviceStore`] trait is what the edge uses; [`SqliteStore`] is the embedded server's
//! implementation (durable across restarts), [`RedisStore`] the cluster's, and [`MemoryStore`]
//! keeps everything in the process for tests (lost on restart).
//! A device is named by the canonical address of its user and the `DeviceId` it sends, because one
//! phone can carry accounts of several users and each account is provisioned on its own.

mod memory;
mod record;
mod redis_store;
mod sqlite_store;

pub use memory::MemoryStore;
pub use record::{ApprovalState, DeviceInfo, DeviceRecord, WipeState};
pub use redis_store::{connect_redis, RedisStore};
pub use sqlite_store::SqliteStore;

use async_trait::async_trait;

/// Why the device store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("device store unavailable: {0}")]
    Unavailable(String),
    #[error("stored device state is corrupt: {0}")]
    Corrupt(String),
}

/// Device records and per-device sync state.
#[async_trait]
pub trait DeviceStore: Send + Sync + 'static {
    /// The device's record, if it has made a request before.
    async fn get_device(
        &self,
        user: &str,
        device_id: &str,
    ) -> Result<Option<DeviceRecord>, StoreError>;

    /// Creates or replaces a device's record.
    async fn put_device(&self, record: &DeviceRecord) -> Result<(), StoreError>;

    /// Every device record, or those of one user, ordered by user then device id.
    async fn list_devices(&self, user: Option<&str>) -> Result<Vec<DeviceRecord>, StoreError>;

    /// How many devices the user has a record for (the bound of `edge.max_devices_per_user`).
    async fn count_devices(&self, user: &str) -> Result<usize, StoreError>;

    /// Removes a device's record and all of its sync state; returns whether it existed.
    async fn delete_device(&self, user: &str, device_id: &str) -> Result<bool, StoreError>;

    /// An opaque piece of sync state of the device (for example the folder hierarchy it holds).
    async fn get_state(
        &self,
        user: &str,
        device_id: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Stores an opaque piece of sync state of the device.
    async fn put_state(
        &self,
        user: &str,
        device_id: &str,
        name: &str,
        value: Vec<u8>,
    ) -> Result<(), StoreError>;

    /// Removes one piece of sync state of the device (for example that of a deleted folder).
    async fn delete_state(&self, user: &str, device_id: &str, name: &str)
        -> Result<(), StoreError>;

    /// Removes every piece of sync state of the device (its record stays).
    async fn clear_state(&self, user: &str, device_id: &str) -> Result<(), StoreError>;
}
