//! What writing sync state costs per store: `put_state` (on the path of every Sync and Ping that
//! changes state) and `get_state`, for the in-memory store and SQLite (WAL, synchronous FULL:
//! one fsync per write), at three state sizes: a Ping's cached request, a folder of 2,000 and
//! one of 10,000 messages (about 12 bytes per message the phone holds).
//!
//! `cargo bench -p eas-device-state --bench put_state` (set `EAS_BENCH_DIR` to measure on
//! another disk than the temporary directory's). Prints one line per store and size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eas_device_state::{DeviceStore, MemoryStore, SqliteStore};

const SIZES: [(&str, usize); 3] = [
    ("ping 200 B", 200),
    ("2k items 24 KB", 24_000),
    ("10k items 120 KB", 120_000),
];

/// Runs `op` repeatedly for about `budget` (at least 20 times); returns the mean time per call.
async fn measure<F, Fut>(budget: Duration, mut op: F) -> (Duration, u32)
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    let mut n = 0;
    while n < 20 || start.elapsed() < budget {
        op(n).await;
        n += 1;
    }
    (start.elapsed() / n, n)
}

async fn run(name: &str, store: Arc<dyn DeviceStore>) {
    for (label, size) in SIZES {
        let value = vec![7u8; size];
        // Ten devices of one user, written in turn, as a busy server would.
        let (put, n) = measure(Duration::from_secs(2), |i| {
            let store = store.clone();
            let value = value.clone();
            async move {
                store
                    .put_state("bench@x.org", &format!("dev{}", i % 10), "sync:5", value)
                    .await
                    .expect("put_state");
            }
        })
        .await;
        let (get, _) = measure(Duration::from_millis(500), |i| {
            let store = store.clone();
            async move {
                store
                    .get_state("bench@x.org", &format!("dev{}", i % 10), "sync:5")
                    .await
                    .expect("get_state");
            }
        })
        .await;
        println!(
            "{name:<7} {label:<17} put_state {:>9.1} us ({:>6.0}/s, {n} runs)  get_state {:>8.1} us",
            put.as_secs_f64() * 1e6,
            1.0 / put.as_secs_f64(),
            get.as_secs_f64() * 1e6
        );
    }
}

#[tokio::main]
async fn main() {
    let base = std::env::var_os("EAS_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(base).expect("temporary directory");
    run("memory", Arc::new(MemoryStore::new())).await;
    let sqlite = SqliteStore::open(&dir.path().join("devices.db"), 4)
        .await
        .expect("open sqlite");
    run("sqlite", Arc::new(sqlite.clone())).await;
    sqlite.close().await;
}
