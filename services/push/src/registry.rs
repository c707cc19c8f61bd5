//! Where held Pings are: one Redis hash per user, device id → `<edge id> <token>`.
//!
//! An edge replica writes the entry when it starts holding a Ping (or a Sync with `Wait`) and
//! removes it when the request ends; the push service reads the hash to find the replicas to
//! wake. The hash expires a little after the longest heartbeat that refreshed it, so entries of
//! a replica that was killed do not outlive their Pings. Removal compares the value first, so a
//! replica never removes the entry of a newer Ping that the device made on another replica.
//! When a device's entry pointed at another replica, that replica is told to end its older
//! Ping (MS-ASCMD 2.2.1.13), so the two Pings the Gmail app sends at once end cleanly even when
//! they land on different replicas.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use crate::wire::{edge_channel, WakeMessage};

/// The registry could not be reached in time; the request fails with 503 and `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ping registry unavailable: {0}")]
pub struct RegistryError(pub String);

/// What the edge's push hub needs from the registry.
#[async_trait]
pub trait PingRegistry: Send + Sync + 'static {
    /// Records that this replica holds a Ping of `device` of `user`; `token` tells this hold
    /// apart from later ones of the same device; the entry lives at least `ttl`.
    async fn hold(
        &self,
        user: &str,
        device: &str,
        token: u64,
        ttl: Duration,
    ) -> Result<(), RegistryError>;

    /// Removes the entry written by `hold` with the same token (and nothing newer).
    async fn release(&self, user: &str, device: &str, token: u64) -> Result<(), RegistryError>;
}

/// Sets the entry, extends the hash's lifetime to at least the given TTL, returns the old value.
const HOLD: &str = r"
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3])
if redis.call('TTL', KEYS[1]) < ttl then redis.call('EXPIRE', KEYS[1], ttl) end
return old
";

/// Deletes the entry only while it still holds the given value.
const RELEASE: &str = r"
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
";

/// The Redis registry, used by edge replicas (hold/release) and the push service (lookup).
#[derive(Clone)]
pub struct RedisPingRegistry {
    conn: ConnectionManager,
    prefix: String,
    edge_id: String,
    timeout: Duration,
    hold: Script,
    release: Script,
}

fn unavailable(e: impl std::fmt::Display) -> RegistryError {
    RegistryError(format!("redis: {e}"))
}

impl RedisPingRegistry {
    /// Connects to `url`; `prefix` namespaces keys and channels (`eas:`); `edge_id` names this
    /// replica (empty for the push service, which only reads). Every call is bounded by `timeout`.
    pub async fn connect(
        url: &str,
        prefix: &str,
        edge_id: &str,
        timeout: Duration,
    ) -> Result<Self, RegistryError> {
        if edge_id.contains(char::is_whitespace) {
            return Err(RegistryError(format!(
                "edge id {edge_id:?} must not contain white space"
            )));
        }
        let conn = eas_device_state::connect_redis(url, timeout)
            .await
            .map_err(unavailable)?;
        Ok(RedisPingRegistry {
            conn,
            prefix: prefix.to_owned(),
            edge_id: edge_id.to_owned(),
            timeout,
            hold: Script::new(HOLD),
            release: Script::new(RELEASE),
        })
    }

    fn key(&self, user: &str) -> String {
        format!("{}ping:{{{user}}}", self.prefix)
    }

    fn value(&self, token: u64) -> String {
        format!("{} {token}", self.edge_id)
    }

    async fn run<T>(
        &self,
        f: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, RegistryError> {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(r) => r.map_err(unavailable),
            Err(_) => Err(unavailable("request timed out")),
        }
    }

    /// The replicas that hold a Ping of `user`, by device.
    pub async fn holders(&self, user: &str) -> Result<Vec<(String, String)>, RegistryError> {
        let mut conn = self.conn.clone();
        let key = self.key(user);
        let entries: Vec<(String, String)> = self.run(conn.hgetall(&key)).await?;
        Ok(entries
            .into_iter()
            .filter_map(|(device, v)| v.split_once(' ').map(|(edge, _)| (device, edge.to_owned())))
            .collect())
    }

    /// The distinct replicas that hold a Ping of `user`.
    pub async fn edges_of(&self, user: &str) -> Result<BTreeSet<String>, RegistryError> {
        Ok(self
            .holders(user)
            .await?
            .into_iter()
            .map(|(_, edge)| edge)
            .collect())
    }

    /// Sends `message` on `channel`; returns how many subscribers got it.
    pub async fn publish(
        &self,
        channel: &str,
        message: &WakeMessage,
    ) -> Result<usize, RegistryError> {
        let mut conn = self.conn.clone();
        self.run(conn.publish(channel, message.to_json())).await
    }

    /// Answers when Redis does (a `PING`), for readiness probes.
    pub async fn ping(&self) -> Result<(), RegistryError> {
        let mut conn = self.conn.clone();
        let pong: String = self.run(redis::cmd("PING").query_async(&mut conn)).await?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(unavailable(format!("unexpected answer to PING: {pong}")))
        }
    }

    /// The key and channel prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

#[async_trait]
impl PingRegistry for RedisPingRegistry {
    async fn hold(
        &self,
        user: &str,
        device: &str,
        token: u64,
        ttl: Duration,
    ) -> Result<(), RegistryError> {
        let mut conn = self.conn.clone();
        let key = self.key(user);
        let ttl = ttl.as_secs().max(1);
        let old: Option<String> = self
            .run(
                self.hold
                    .key(&key)
                    .arg(device)
                    .arg(self.value(token))
                    .arg(ttl)
                    .invoke_async(&mut conn),
            )
            .await?;
        if let Some((edge, _)) = old.as_deref().and_then(|v| v.split_once(' ')) {
            if edge != self.edge_id {
                let msg = WakeMessage::Supersede {
                    user: user.to_owned(),
                    device: device.to_owned(),
                };
                self.publish(&edge_channel(&self.prefix, edge), &msg)
                    .await?;
            }
        }
        Ok(())
    }

    async fn release(&self, user: &str, device: &str, token: u64) -> Result<(), RegistryError> {
        let mut conn = self.conn.clone();
        let key = self.key(user);
        let _: i64 = self
            .run(
                self.release
                    .key(&key)
                    .arg(device)
                    .arg(self.value(token))
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(())
    }
}
