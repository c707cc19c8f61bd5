//! In-memory device store for the embedded server and tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::{DeviceRecord, DeviceStore, StoreError};

type Key = (String, String);

/// Device state kept in the process's memory; lost on restart.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    devices: BTreeMap<Key, DeviceRecord>,
    states: BTreeMap<Key, BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Unavailable("memory store lock poisoned".into()))
    }
}

fn key(user: &str, device_id: &str) -> Key {
    (user.to_owned(), device_id.to_owned())
}

#[async_trait]
impl DeviceStore for MemoryStore {
    async fn get_device(
        &self,
        user: &str,
        device_id: &str,
    ) -> Result<Option<DeviceRecord>, StoreError> {
        Ok(self.lock()?.devices.get(&key(user, device_id)).cloned())
    }

    async fn put_device(&self, record: &DeviceRecord) -> Result<(), StoreError> {
        self.lock()?
            .devices
            .insert(key(&record.user, &record.device_id), record.clone());
        Ok(())
    }

    async fn list_devices(&self, user: Option<&str>) -> Result<Vec<DeviceRecord>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .devices
            .values()
            .filter(|d| user.is_none_or(|u| d.user == u))
            .cloned()
            .collect())
    }

    async fn count_devices(&self, user: &str) -> Result<usize, StoreError> {
        let inner = self.lock()?;
        let from = key(user, "");
        Ok(inner
            .devices
            .range(from..)
            .take_while(|((u, _), _)| u == user)
            .count())
    }

    async fn delete_device(&self, user: &str, device_id: &str) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        let k = key(user, device_id);
        inner.states.remove(&k);
        Ok(inner.devices.remove(&k).is_some())
    }

    async fn get_state(
        &self,
        user: &str,
        device_id: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .lock()?
            .states
            .get(&key(user, device_id))
            .and_then(|m| m.get(name))
            .cloned())
    }

    async fn put_state(
        &self,
        user: &str,
        device_id: &str,
        name: &str,
        value: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.lock()?
            .states
            .entry(key(user, device_id))
            .or_default()
            .insert(name.to_owned(), value);
        Ok(())
    }

    async fn delete_state(
        &self,
        user: &str,
        device_id: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        if let Some(states) = self.lock()?.states.get_mut(&key(user, device_id)) {
            states.remove(name);
        }
        Ok(())
    }

    async fn clear_state(&self, user: &str, device_id: &str) -> Result<(), StoreError> {
        self.lock()?.states.remove(&key(user, device_id));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApprovalState;

    #[tokio::test]
    async fn a_stored_device_is_found_listed_and_deleted_with_its_state() {
        let store = MemoryStore::new();
        let rec = DeviceRecord::new("a@x.org", "dev1", "Android", ApprovalState::Allowed, 10);
        store.put_device(&rec).await.unwrap();
        store
            .put_state("a@x.org", "dev1", "folders", b"{}".to_vec())
            .await
            .unwrap();
        assert_eq!(
            store.get_device("a@x.org", "dev1").await.unwrap(),
            Some(rec.clone())
        );
        assert_eq!(store.list_devices(Some("a@x.org")).await.unwrap().len(), 1);
        assert!(store
            .list_devices(Some("b@x.org"))
            .await
            .unwrap()
            .is_empty());
        assert!(store.delete_device("a@x.org", "dev1").await.unwrap());
        assert!(store
            .get_state("a@x.org", "dev1", "folders")
            .await
            .unwrap()
            .is_none());
        assert!(!store.delete_device("a@x.org", "dev1").await.unwrap());
    }

    #[tokio::test]
    async fn clearing_state_keeps_the_device_record() {
        let store = MemoryStore::new();
        let rec = DeviceRecord::new("a@x.org", "dev1", "iPhone", ApprovalState::Pending, 10);
        store.put_device(&rec).await.unwrap();
        store
            .put_state("a@x.org", "dev1", "folders", vec![1])
            .await
            .unwrap();
        store.clear_state("a@x.org", "dev1").await.unwrap();
        assert!(store
            .get_state("a@x.org", "dev1", "folders")
            .await
            .unwrap()
            .is_none());
        assert!(store.get_device("a@x.org", "dev1").await.unwrap().is_some());
    }
}
