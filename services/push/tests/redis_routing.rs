//! The registry, the wake channel and the router against the real Redis on 127.0.0.1:6379.

use std::sync::Arc;
use std::time::Duration;

use eas_event_bus::{ChangeEvent, DataClass, EventBus, InProcessBus};
use eas_push::feed::{self, FeedConfig};
use eas_push::router::{self, RouterStats};
use eas_push::{PingRegistry, RedisPingRegistry, WakeMessage};
use futures::{Stream, StreamExt};

const REDIS: &str = "redis://127.0.0.1:6379";
const WAIT: Duration = Duration::from_secs(5);

fn prefix() -> String {
    format!("test-{}:", uuid::Uuid::new_v4().simple())
}

async fn registry(prefix: &str, edge: &str) -> RedisPingRegistry {
    RedisPingRegistry::connect(REDIS, prefix, edge, Duration::from_secs(2))
        .await
        .expect("redis on 127.0.0.1:6379 (scripts/services.sh redis)")
}

/// Starts an edge's feed and waits for its first Recheck, which says it is subscribed.
async fn subscribed_feed(prefix: &str, edge: &str) -> impl Stream<Item = WakeMessage> + Unpin {
    let mut f = feed::start(FeedConfig {
        redis_url: REDIS.into(),
        prefix: prefix.into(),
        edge_id: edge.into(),
        timeout: Duration::from_secs(2),
        retry: Duration::from_millis(100),
    });
    let first = tokio::time::timeout(WAIT, f.next()).await.unwrap();
    assert_eq!(first, Some(WakeMessage::Recheck));
    f
}

async fn next(f: &mut (impl Stream<Item = WakeMessage> + Unpin)) -> WakeMessage {
    tokio::time::timeout(WAIT, f.next())
        .await
        .expect("a wake message in time")
        .expect("feed open")
}

#[tokio::test]
async fn hold_records_the_replica_and_release_removes_only_its_own_entry() {
    let p = prefix();
    let a = registry(&p, "edge-a").await;
    a.hold("u@x", "d1", 1, Duration::from_secs(60))
        .await
        .unwrap();
    a.hold("u@x", "d2", 2, Duration::from_secs(60))
        .await
        .unwrap();
    let mut holders = a.holders("u@x").await.unwrap();
    holders.sort();
    assert_eq!(
        holders,
        vec![
            ("d1".into(), "edge-a".into()),
            ("d2".into(), "edge-a".into())
        ]
    );
    // A newer hold of d1 (token 3) is not removed by the release of the older one.
    a.hold("u@x", "d1", 3, Duration::from_secs(60))
        .await
        .unwrap();
    a.release("u@x", "d1", 1).await.unwrap();
    assert_eq!(a.edges_of("u@x").await.unwrap().len(), 1);
    assert!(a
        .holders("u@x")
        .await
        .unwrap()
        .iter()
        .any(|(d, _)| d == "d1"));
    a.release("u@x", "d1", 3).await.unwrap();
    a.release("u@x", "d2", 2).await.unwrap();
    assert!(a.holders("u@x").await.unwrap().is_empty());
}

#[tokio::test]
async fn entries_expire_with_the_hold_ttl() {
    let p = prefix();
    let a = registry(&p, "edge-a").await;
    a.hold("u@x", "d1", 1, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(a.holders("u@x").await.unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert!(a.holders("u@x").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_hold_on_another_replica_tells_the_first_to_end_its_ping() {
    let p = prefix();
    let mut feed_a = subscribed_feed(&p, "edge-a").await;
    let a = registry(&p, "edge-a").await;
    let b = registry(&p, "edge-b").await;
    a.hold("u@x", "d1", 1, Duration::from_secs(60))
        .await
        .unwrap();
    b.hold("u@x", "d1", 7, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        next(&mut feed_a).await,
        WakeMessage::Supersede {
            user: "u@x".into(),
            device: "d1".into()
        }
    );
    // The older replica's release leaves the newer entry alone.
    a.release("u@x", "d1", 1).await.unwrap();
    assert_eq!(
        b.holders("u@x").await.unwrap(),
        vec![("d1".into(), "edge-b".into())]
    );
}

#[tokio::test]
async fn the_router_wakes_exactly_the_replicas_holding_the_user() {
    let p = prefix();
    let mut feed_a = subscribed_feed(&p, "edge-a").await;
    let mut feed_b = subscribed_feed(&p, "edge-b").await;
    let a = registry(&p, "edge-a").await;
    let b = registry(&p, "edge-b").await;
    a.hold("one@x", "d1", 1, Duration::from_secs(60))
        .await
        .unwrap();
    b.hold("two@x", "d2", 1, Duration::from_secs(60))
        .await
        .unwrap();

    let bus: Arc<dyn EventBus> = Arc::new(InProcessBus::new());
    let stats = Arc::new(RouterStats::default());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let reader = registry(&p, "").await;
    let task = tokio::spawn(router::run(bus.clone(), reader, stats.clone(), async {
        let _ = stop_rx.await;
    }));
    // Give the router time to subscribe to the in-process bus before publishing.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ev_two = ChangeEvent::items("two@x", DataClass::Mail, "5", 9);
    bus.publish(ChangeEvent::items("nobody@x", DataClass::Mail, "1", 1))
        .await
        .unwrap();
    bus.publish(ev_two.clone()).await.unwrap();
    assert_eq!(
        next(&mut feed_b).await,
        WakeMessage::Event { event: ev_two }
    );
    let ev_one = ChangeEvent::items("one@x", DataClass::Mail, "3", 4);
    bus.publish(ev_one.clone()).await.unwrap();
    assert_eq!(
        next(&mut feed_a).await,
        WakeMessage::Event { event: ev_one }
    );
    // Edge A never heard of two@x's event (its next message was one@x's).
    let _ = stop_tx.send(());
    task.await.unwrap().unwrap();
    use std::sync::atomic::Ordering;
    assert_eq!(stats.events.load(Ordering::Relaxed), 3);
    assert_eq!(stats.idle.load(Ordering::Relaxed), 1);
    assert_eq!(stats.wakes.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn a_recheck_reaches_every_replica() {
    let p = prefix();
    let mut feed_a = subscribed_feed(&p, "edge-a").await;
    let mut feed_b = subscribed_feed(&p, "edge-b").await;
    router::recheck_all(&registry(&p, "").await).await.unwrap();
    assert_eq!(next(&mut feed_a).await, WakeMessage::Recheck);
    assert_eq!(next(&mut feed_b).await, WakeMessage::Recheck);
}

#[tokio::test]
async fn an_unreachable_redis_is_an_error_in_bounded_time() {
    let r = RedisPingRegistry::connect(
        "redis://127.0.0.1:1",
        "x:",
        "edge-a",
        Duration::from_millis(500),
    )
    .await;
    assert!(r.is_err());
}

/// A bus whose first `failures` subscribe calls fail, as a consumer group that does not take
/// a new member yet; then the in-process bus.
struct JoinsLate {
    inner: InProcessBus,
    failures: std::sync::atomic::AtomicUsize,
    attempts: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl EventBus for JoinsLate {
    async fn publish(&self, event: ChangeEvent) -> Result<(), eas_event_bus::BusError> {
        self.inner.publish(event).await
    }

    async fn subscribe(
        &self,
        filter: eas_event_bus::EventFilter,
    ) -> Result<eas_event_bus::Subscription, eas_event_bus::BusError> {
        use std::sync::atomic::Ordering;
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let left = self.failures.load(Ordering::SeqCst);
        if left > 0 {
            self.failures.store(left - 1, Ordering::SeqCst);
            return Err(eas_event_bus::BusError::Transport(
                "joining consumer group timed out".into(),
            ));
        }
        self.inner.subscribe(filter).await
    }
}

#[tokio::test]
async fn the_router_keeps_trying_to_join_and_is_marked_joined_once_it_is_a_member() {
    use std::sync::atomic::Ordering;
    let p = prefix();
    let mut feed_a = subscribed_feed(&p, "edge-a").await;
    let a = registry(&p, "edge-a").await;
    a.hold("one@x", "d1", 1, Duration::from_secs(60))
        .await
        .unwrap();
    let bus = Arc::new(JoinsLate {
        inner: InProcessBus::new(),
        failures: 2.into(),
        attempts: 0.into(),
    });
    let stats = Arc::new(RouterStats::default());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let reader = registry(&p, "").await;
    let task = tokio::spawn(router::run(
        bus.clone() as Arc<dyn EventBus>,
        reader,
        stats.clone(),
        async {
            let _ = stop_rx.await;
        },
    ));
    assert!(!stats.joined.load(Ordering::Acquire));
    // Two failed attempts one second apart, then the third joins.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !stats.joined.load(Ordering::Acquire) {
        assert!(tokio::time::Instant::now() < deadline, "never joined");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(bus.attempts.load(Ordering::SeqCst), 3);
    let ev = ChangeEvent::items("one@x", DataClass::Mail, "3", 4);
    bus.publish(ev.clone()).await.unwrap();
    assert_eq!(next(&mut feed_a).await, WakeMessage::Event { event: ev });
    let _ = stop_tx.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_router_that_cannot_join_still_stops_when_told() {
    let p = prefix();
    let bus = Arc::new(JoinsLate {
        inner: InProcessBus::new(),
        failures: usize::MAX.into(),
        attempts: 0.into(),
    });
    let stats = Arc::new(RouterStats::default());
    let reader = registry(&p, "").await;
    let stopped = tokio::time::timeout(
        WAIT,
        router::run(bus as Arc<dyn EventBus>, reader, stats.clone(), async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }),
    )
    .await;
    assert!(matches!(stopped, Ok(Ok(()))), "{stopped:?}");
    assert!(!stats.joined.load(std::sync::atomic::Ordering::Acquire));
}
