//! Coordination of the shards of one run through files in a shared directory: barriers (each
//! shard leaves `barrier-<name>.<k>` and waits for all n), JSON results that one shard writes
//! and the others read, and `failed.<k>` so that one shard's failure ends the others' waits.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// This shard's place in the run: shard `k` of `n`, meeting in `dir`.
pub struct Coord {
    pub dir: PathBuf,
    pub k: usize,
    pub n: usize,
}

impl Coord {
    /// Waits until every shard arrived at barrier `name`, or fails after `timeout`.
    pub async fn barrier(&self, name: &str, timeout: Duration) -> anyhow::Result<()> {
        let file = |k: usize| self.dir.join(format!("barrier-{name}.{k}"));
        std::fs::write(file(self.k), b"")
            .with_context(|| format!("barrier {name} in {}", self.dir.display()))?;
        let deadline = Instant::now() + timeout;
        loop {
            if (0..self.n).all(|k| file(k).exists()) {
                return Ok(());
            }
            if let Some(k) = (0..self.n).find(|k| self.dir.join(format!("failed.{k}")).exists()) {
                bail!("barrier {name}: shard {k} failed");
            }
            if Instant::now() > deadline {
                bail!("barrier {name}: not every shard arrived within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Writes a result for the other shards (atomically: a file appears whole or not at all).
    pub fn put<T: Serialize>(&self, name: &str, value: &T) -> anyhow::Result<()> {
        let tmp = self.dir.join(format!(".{name}.tmp{}", self.k));
        std::fs::write(&tmp, serde_json::to_vec(value)?)?;
        std::fs::rename(&tmp, self.dir.join(name))?;
        Ok(())
    }

    /// Reads a result another shard wrote.
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> anyhow::Result<T> {
        let p = self.dir.join(name);
        let bytes = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// Tells the other shards that this one gave up.
    pub fn fail(&self, why: &str) {
        let _ = std::fs::write(self.dir.join(format!("failed.{}", self.k)), why);
    }

    /// Whether this shard measures the server and delivers mail.
    pub fn is_leader(&self) -> bool {
        self.k == 0
    }
}

/// Wall-clock time as nanoseconds since the epoch: comparable across the shards' processes.
pub fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
