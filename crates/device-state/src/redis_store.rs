//! Redis device store for the cluster: every edge replica sees the same devices and sync state.
//!
//! Layout, with `P` the configured key prefix and `D:U` the device id and user address (device
//! ids carry no colon, so the pair splits at its first one). The braces are a Redis Cluster hash
//! tag, so one device's keys live on one shard:
//!
//! - `P{D:U}:rec`   the device record as JSON
//! - `P{D:U}:state` a hash of named sync-state blobs
//! - `Pdevices`     the set of every `D:U`, for the admin listing
//! - `Puser:U`      the set of the user's device ids
//!
//! Every call is bounded by a timeout, so a Redis outage becomes [`StoreError::Unavailable`]
//! (the edge answers 503 with Retry-After) instead of a hanging request.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::AsyncCommands;

use crate::{DeviceRecord, DeviceStore, StoreError};

/// A reconnecting Redis connection whose connect and every response are bounded by `timeout`.
/// Shared by the device store and the Ping registry (`eas-push`).
pub async fn connect_redis(url: &str, timeout: Duration) -> Result<ConnectionManager, String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
        .set_number_of_retries(1);
    tokio::time::timeout(timeout, client.get_connection_manager_with_config(config))
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| e.to_string())
}

/// Device state in Redis.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("redis: {e}"))
}

impl RedisStore {
    /// Connects to `url` (`redis://127.0.0.1:6379`); `prefix` namespaces every key.
    pub async fn connect(url: &str, prefix: &str, timeout: Duration) -> Result<Self, StoreError> {
        let conn = connect_redis(url, timeout).await.map_err(unavailable)?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_owned(),
            timeout,
        })
    }

    fn pair(device_id: &str, user: &str) -> String {
        format!("{device_id}:{user}")
    }

    fn rec_key(&self, user: &str, device_id: &str) -> String {
        format!("{}{{{}}}:rec", self.prefix, Self::pair(device_id, user))
    }

    fn state_key(&self, user: &str, device_id: &str) -> String {
        format!("{}{{{}}}:state", self.prefix, Self::pair(device_id, user))
    }

    fn all_key(&self) -> String {
        format!("{}devices", self.prefix)
    }

    fn user_key(&self, user: &str) -> String {
        format!("{}user:{user}", self.prefix)
    }

    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(r) => r.map_err(unavailable),
            Err(_) => Err(unavailable("request timed out")),
        }
    }

    fn decode(raw: &str) -> Result<DeviceRecord, StoreError> {
        serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

#[async_trait]
impl DeviceStore for RedisStore {
    async fn get_device(
        &self,
        user: &str,
        device_id: &str,
    ) -> Result<Option<DeviceRecord>, StoreError> {
        let mut c = self.conn.clone();
        let key = self.rec_key(user, device_id);
        let raw: Option<String> = self.run(c.get(key)).await?;
        raw.as_deref().map(Self::decode).transpose()
    }

    async fn put_device(&self, record: &DeviceRecord) -> Result<(), StoreError> {
        let json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut c = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .set(self.rec_key(&record.user, &record.device_id), json)
            .ignore()
            .sadd(self.all_key(), Self::pair(&record.device_id, &record.user))
            .ignore()
            .sadd(self.user_key(&record.user), &record.device_id)
            .ignore();
        self.run(pipe.query_async::<()>(&mut c)).await
    }

    async fn list_devices(&self, user: Option<&str>) -> Result<Vec<DeviceRecord>, StoreError> {
        let mut c = self.conn.clone();
        let keys: Vec<String> = match user {
            Some(u) => {
                let ids: Vec<String> = self.run(c.smembers(self.user_key(u))).await?;
                ids.iter().map(|d| self.rec_key(u, d)).collect()
            }
            None => {
                let pairs: Vec<String> = self.run(c.smembers(self.all_key())).await?;
                pairs
                    .iter()
                    .filter_map(|p| p.split_once(':'))
                    .map(|(d, u)| self.rec_key(u, d))
                    .collect()
            }
        };
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let raws: Vec<Option<String>> = self.run(c.mget(&keys)).await?;
        let mut out = raws
            .iter()
            .flatten()
            .map(|r| Self::decode(r))
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by(|a, b| (&a.user, &a.device_id).cmp(&(&b.user, &b.device_id)));
        Ok(out)
    }

    async fn count_devices(&self, user: &str) -> Result<usize, StoreError> {
        let mut c = self.conn.clone();
        self.run(c.scard(self.user_key(user))).await
    }

    async fn delete_device(&self, user: &str, device_id: &str) -> Result<bool, StoreError> {
        let mut c = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .del(self.rec_key(user, device_id))
            .del(self.state_key(user, device_id))
            .ignore()
            .srem(self.all_key(), Self::pair(device_id, user))
            .ignore()
            .srem(self.user_key(user), device_id)
            .ignore();
        let (removed,): (u32,) = self.run(pipe.query_async(&mut c)).await?;
        Ok(removed > 0)
    }

    async fn get_state(
        &self,
        user: &str,
        device_id: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let mut c = self.conn.clone();
        self.run(c.hget(self.state_key(user, device_id), name))
            .await
    }

    async fn put_state(
        &self,
        user: &str,
        device_id: &str,
        name: &str,
        value: Vec<u8>,
    ) -> Result<(), StoreError> {
        let mut c = self.conn.clone();
        self.run(c.hset(self.state_key(user, device_id), name, value))
            .await
    }

    async fn delete_state(
        &self,
        user: &str,
        device_id: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        let mut c = self.conn.clone();
        self.run(c.hdel(self.state_key(user, device_id), name))
            .await
    }

    async fn clear_state(&self, user: &str, device_id: &str) -> Result<(), StoreError> {
        let mut c = self.conn.clone();
        self.run(c.del(self.state_key(user, device_id))).await
    }
}
