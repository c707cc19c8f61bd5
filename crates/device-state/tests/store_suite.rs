//! One test suite for every `DeviceStore`: the in-memory store, SQLite (a file in a temporary
//! directory per test) and Redis (127.0.0.1:6379, or `EAS_TEST_REDIS_URL`). Each Redis test uses
//! its own key prefix and removes its keys afterwards.

use std::sync::Arc;
use std::time::Duration;

use eas_device_state::{
    ApprovalState, DeviceRecord, DeviceStore, RedisStore, SqliteStore, StoreError, WipeState,
};

fn redis_url() -> String {
    std::env::var("EAS_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

struct Redis {
    store: RedisStore,
    prefix: String,
}

impl Redis {
    async fn new() -> Redis {
        let prefix = format!("eas-test-{}:", uuid::Uuid::new_v4().simple());
        let store = RedisStore::connect(&redis_url(), &prefix, Duration::from_secs(2))
            .await
            .expect("redis on 127.0.0.1:6379 (scripts/services.sh redis starts it)");
        Redis { store, prefix }
    }

    async fn cleanup(&self) {
        let client = redis::Client::open(redis_url()).unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query_async(&mut c)
            .await
            .unwrap();
        if !keys.is_empty() {
            let _: () = redis::cmd("DEL")
                .arg(keys)
                .query_async(&mut c)
                .await
                .unwrap();
        }
    }
}

macro_rules! store_suite {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test]
            async fn $name() {
                super::$name(std::sync::Arc::new(eas_device_state::MemoryStore::new())).await;
            })*
        }
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                let dir = tempfile::tempdir().unwrap();
                let store = eas_device_state::SqliteStore::open(&dir.path().join("devices.db"), 4)
                    .await
                    .unwrap();
                super::$name(std::sync::Arc::new(store.clone())).await;
                store.close().await;
            })*
        }
        mod redis_backend {
            $(#[tokio::test]
            async fn $name() {
                let r = super::Redis::new().await;
                super::$name(std::sync::Arc::new(r.store.clone())).await;
                r.cleanup().await;
            })*
        }
    };
}

store_suite!(
    a_device_is_stored_found_and_replaced,
    devices_are_listed_per_user_and_in_order,
    deleting_a_device_removes_its_state_and_reports_whether_it_existed,
    sync_state_is_kept_per_device_and_name_and_cleared_together,
    one_piece_of_sync_state_is_deleted_alone,
    two_users_may_use_the_same_device_id,
    devices_are_counted_per_user,
);

fn record(user: &str, device: &str) -> DeviceRecord {
    DeviceRecord::new(
        user,
        device,
        "Android",
        ApprovalState::Allowed,
        1_700_000_000,
    )
}

async fn a_device_is_stored_found_and_replaced(store: Arc<dyn DeviceStore>) {
    assert!(store.get_device("a@x.org", "dev1").await.unwrap().is_none());
    let mut rec = record("a@x.org", "dev1");
    store.put_device(&rec).await.unwrap();
    assert_eq!(
        store.get_device("a@x.org", "dev1").await.unwrap(),
        Some(rec.clone())
    );
    rec.policy_key = Some(42);
    rec.wipe = WipeState::Requested {
        account_only: false,
        requested_at: 5,
    };
    rec.info.model = Some("GT-I9505".into());
    store.put_device(&rec).await.unwrap();
    assert_eq!(
        store.get_device("a@x.org", "dev1").await.unwrap(),
        Some(rec)
    );
    assert_eq!(store.list_devices(None).await.unwrap().len(), 1);
}

async fn devices_are_listed_per_user_and_in_order(store: Arc<dyn DeviceStore>) {
    for (u, d) in [("b@x.org", "z9"), ("a@x.org", "d2"), ("a@x.org", "d1")] {
        store.put_device(&record(u, d)).await.unwrap();
    }
    let all: Vec<(String, String)> = store
        .list_devices(None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.user, r.device_id))
        .collect();
    assert_eq!(
        all,
        vec![
            ("a@x.org".into(), "d1".into()),
            ("a@x.org".into(), "d2".into()),
            ("b@x.org".into(), "z9".into())
        ]
    );
    assert_eq!(store.list_devices(Some("b@x.org")).await.unwrap().len(), 1);
    assert!(store
        .list_devices(Some("c@x.org"))
        .await
        .unwrap()
        .is_empty());
}

async fn deleting_a_device_removes_its_state_and_reports_whether_it_existed(
    store: Arc<dyn DeviceStore>,
) {
    store.put_device(&record("a@x.org", "dev1")).await.unwrap();
    store
        .put_state("a@x.org", "dev1", "foldersync", b"{}".to_vec())
        .await
        .unwrap();
    assert!(store.delete_device("a@x.org", "dev1").await.unwrap());
    assert!(store.get_device("a@x.org", "dev1").await.unwrap().is_none());
    assert!(store
        .get_state("a@x.org", "dev1", "foldersync")
        .await
        .unwrap()
        .is_none());
    assert!(store.list_devices(None).await.unwrap().is_empty());
    assert!(!store.delete_device("a@x.org", "dev1").await.unwrap());
}

async fn sync_state_is_kept_per_device_and_name_and_cleared_together(store: Arc<dyn DeviceStore>) {
    store
        .put_state("a@x.org", "dev1", "foldersync", vec![1, 2, 3])
        .await
        .unwrap();
    store
        .put_state("a@x.org", "dev1", "sync:5", vec![0xFF; 1000])
        .await
        .unwrap();
    store
        .put_state("a@x.org", "dev2", "foldersync", vec![9])
        .await
        .unwrap();
    assert_eq!(
        store
            .get_state("a@x.org", "dev1", "foldersync")
            .await
            .unwrap(),
        Some(vec![1, 2, 3])
    );
    assert_eq!(
        store.get_state("a@x.org", "dev1", "sync:5").await.unwrap(),
        Some(vec![0xFF; 1000])
    );
    store.clear_state("a@x.org", "dev1").await.unwrap();
    assert!(store
        .get_state("a@x.org", "dev1", "foldersync")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .get_state("a@x.org", "dev1", "sync:5")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .get_state("a@x.org", "dev2", "foldersync")
            .await
            .unwrap(),
        Some(vec![9])
    );
}

async fn one_piece_of_sync_state_is_deleted_alone(store: Arc<dyn DeviceStore>) {
    store
        .put_state("a@x.org", "dev1", "sync:5", vec![5])
        .await
        .unwrap();
    store
        .put_state("a@x.org", "dev1", "sync:6", vec![6])
        .await
        .unwrap();
    store
        .delete_state("a@x.org", "dev1", "sync:5")
        .await
        .unwrap();
    // Deleting what is not there is not an error.
    store
        .delete_state("a@x.org", "dev9", "sync:5")
        .await
        .unwrap();
    assert!(store
        .get_state("a@x.org", "dev1", "sync:5")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.get_state("a@x.org", "dev1", "sync:6").await.unwrap(),
        Some(vec![6])
    );
}

async fn two_users_may_use_the_same_device_id(store: Arc<dyn DeviceStore>) {
    let mut a = record("a@x.org", "shared");
    a.approval = ApprovalState::Pending;
    let b = record("b@x.org", "shared");
    store.put_device(&a).await.unwrap();
    store.put_device(&b).await.unwrap();
    assert_eq!(
        store
            .get_device("a@x.org", "shared")
            .await
            .unwrap()
            .unwrap()
            .approval,
        ApprovalState::Pending
    );
    assert_eq!(
        store
            .get_device("b@x.org", "shared")
            .await
            .unwrap()
            .unwrap()
            .approval,
        ApprovalState::Allowed
    );
    assert!(store.delete_device("a@x.org", "shared").await.unwrap());
    assert!(store
        .get_device("b@x.org", "shared")
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn an_unreachable_redis_is_reported_as_unavailable() {
    // Port 1 on loopback: nothing listens there. The connect timeout bounds the wait.
    let r = RedisStore::connect("redis://127.0.0.1:1", "x:", Duration::from_millis(500)).await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))));
}

async fn devices_are_counted_per_user(store: Arc<dyn DeviceStore>) {
    assert_eq!(store.count_devices("a@x.org").await.unwrap(), 0);
    for (u, d) in [
        ("a@x.org", "d1"),
        ("a@x.org", "d2"),
        ("ab@x.org", "d3"),
        ("b@x.org", "d1"),
    ] {
        store.put_device(&record(u, d)).await.unwrap();
    }
    // Replacing a record does not count it twice.
    store.put_device(&record("a@x.org", "d1")).await.unwrap();
    assert_eq!(store.count_devices("a@x.org").await.unwrap(), 2);
    assert_eq!(store.count_devices("ab@x.org").await.unwrap(), 1);
    assert_eq!(store.count_devices("b@x.org").await.unwrap(), 1);
    assert!(store.delete_device("a@x.org", "d2").await.unwrap());
    assert_eq!(store.count_devices("a@x.org").await.unwrap(), 1);
}

#[tokio::test]
async fn sqlite_keeps_devices_and_sync_state_across_a_reopen_and_sees_writes_before_a_close() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devices.db");
    let first = SqliteStore::open(&path, 2).await.unwrap();
    let mut rec = record("a@x.org", "dev1");
    rec.policy_key = Some(7);
    rec.approval = ApprovalState::Blocked;
    rec.wipe = WipeState::Requested {
        account_only: true,
        requested_at: 9,
    };
    first.put_device(&rec).await.unwrap();
    first
        .put_state("a@x.org", "dev1", "sync:5", vec![1; 50_000])
        .await
        .unwrap();
    // A second store on the same file, while the first is still open and never closed: what the
    // first acknowledged is committed to the file (as after a kill -9 of the process).
    let second = SqliteStore::open(&path, 2).await.unwrap();
    assert_eq!(
        second.get_device("a@x.org", "dev1").await.unwrap(),
        Some(rec.clone())
    );
    assert_eq!(
        second.get_state("a@x.org", "dev1", "sync:5").await.unwrap(),
        Some(vec![1; 50_000])
    );
    first.close().await;
    second.close().await;
    let third = SqliteStore::open(&path, 2).await.unwrap();
    assert_eq!(
        third.get_device("a@x.org", "dev1").await.unwrap(),
        Some(rec)
    );
    assert_eq!(third.count_devices("a@x.org").await.unwrap(), 1);
    third.close().await;
}

#[cfg(unix)]
#[tokio::test]
async fn sqlite_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devices.db");
    let store = SqliteStore::open(&path, 2).await.unwrap();
    store
        .put_state("a@x.org", "dev1", "sync:5", vec![1; 10])
        .await
        .unwrap();
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        seen.push((entry.file_name().into_string().unwrap(), mode));
    }
    seen.sort();
    // The database, its write-ahead log and its shared-memory index all exist while it is open.
    let names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["devices.db", "devices.db-shm", "devices.db-wal"]);
    assert!(seen.iter().all(|(_, m)| *m == 0o600), "{seen:?}");
    store.close().await;
}

#[tokio::test]
async fn a_corrupt_sqlite_record_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devices.db");
    let store = SqliteStore::open(&path, 1).await.unwrap();
    store.put_device(&record("a@x.org", "dev1")).await.unwrap();
    store.close().await;
    {
        use sqlx::Connection;
        let url = format!("sqlite://{}", path.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE devices SET record = '{not json'")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let store = SqliteStore::open(&path, 1).await.unwrap();
    assert!(matches!(
        store.get_device("a@x.org", "dev1").await,
        Err(StoreError::Corrupt(_))
    ));
    store.close().await;
}
