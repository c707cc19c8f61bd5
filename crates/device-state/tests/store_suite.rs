//! One test suite for every `DeviceStore`: the in-memory store and Redis (127.0.0.1:6379, or
//! `EAS_TEST_REDIS_URL`). Each Redis test uses its own key prefix and removes its keys afterwards.

use std::sync::Arc;
use std::time::Duration;

use eas_device_state::{
    ApprovalState, DeviceRecord, DeviceStore, RedisStore, StoreError, WipeState,
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
