//! The Kafka bus against a real broker (tansu from `scripts/services.sh kafka`, address in
//! `EAS_TEST_KAFKA`, default 127.0.0.1:9092): delivery, per-user order, consumer groups,
//! topic creation, resuming after a restart, and bounded failures on a dead address.
//! Without a broker these tests fail; `EAS_SKIP_KAFKA_TESTS=1` skips them on purpose.
//! Every test uses its own topic and group.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use eas_event_bus::kafka::{KafkaBus, KafkaConfig};
use eas_event_bus::{BusError, ChangeEvent, DataClass, EventBus, EventFilter, Subscription};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;

/// Guard against a hang; not a measure of speed.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// The broker address, or `None` when the run asked to skip the Kafka tests.
fn broker() -> Option<String> {
    if std::env::var("EAS_SKIP_KAFKA_TESTS").as_deref() == Ok("1") {
        eprintln!("kafka test skipped: EAS_SKIP_KAFKA_TESTS=1");
        return None;
    }
    Some(std::env::var("EAS_TEST_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into()))
}

fn unique(prefix: &str) -> String {
    format!("eas-test-{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// A fresh topic and group on the test broker.
fn config(brokers: &str) -> KafkaConfig {
    KafkaConfig {
        brokers: brokers.to_owned(),
        topic: unique("topic"),
        group_id: unique("group"),
        partitions: 4,
        timeout_ms: 10_000,
        ..KafkaConfig::default()
    }
}

async fn connect(config: &KafkaConfig) -> KafkaBus {
    match KafkaBus::connect(config.clone()).await {
        Ok(bus) => bus,
        Err(e) => panic!(
            "no kafka broker at {} ({e}): start one with `scripts/services.sh kafka`, \
             point EAS_TEST_KAFKA at it, or set EAS_SKIP_KAFKA_TESTS=1",
            config.brokers
        ),
    }
}

async fn subscribe(bus: &KafkaBus, filter: EventFilter) -> Subscription {
    match bus.subscribe(filter).await {
        Ok(sub) => sub,
        Err(e) => panic!("subscribing on {}: {e}", bus.config().brokers),
    }
}

fn mail(user: &str, folder: &str, counter: u64) -> ChangeEvent {
    ChangeEvent::items(user, DataClass::Mail, folder, counter)
}

/// The next event, passing over `Lagged` reports (a group rebalance sends one).
async fn next_event(sub: &mut Subscription) -> ChangeEvent {
    loop {
        match tokio::time::timeout(HANG_GUARD, sub.recv()).await {
            Ok(Ok(event)) => return event,
            Ok(Err(BusError::Lagged(_))) => continue,
            Ok(Err(e)) => panic!("subscription failed: {e}"),
            Err(_) => panic!("no event within {HANG_GUARD:?}"),
        }
    }
}

/// True when no event arrives for a while (reports of lag do not count).
async fn nothing_more(sub: &mut Subscription) -> bool {
    loop {
        match tokio::time::timeout(Duration::from_millis(1500), sub.recv()).await {
            Err(_) => return true,
            Ok(Err(BusError::Lagged(_))) => continue,
            Ok(_) => return false,
        }
    }
}

async fn publish_all(bus: &KafkaBus, events: &[ChangeEvent]) {
    for e in events {
        bus.publish(e.clone())
            .await
            .expect("publish to the test broker");
    }
}

#[tokio::test]
async fn a_published_event_reaches_a_subscriber() {
    let Some(brokers) = broker() else { return };
    let config = config(&brokers);
    let bus = connect(&config).await;
    let mut sub = subscribe(&bus, EventFilter::all()).await;
    let event = ChangeEvent::hierarchy("a@example.loc", DataClass::Mail, "7", 3);
    bus.publish(event.clone()).await.unwrap();
    assert_eq!(next_event(&mut sub).await, event);
}

#[tokio::test]
async fn one_users_events_arrive_in_the_order_they_were_published() {
    let Some(brokers) = broker() else { return };
    let config = config(&brokers);
    let bus = connect(&config).await;
    let mut sub = subscribe(&bus, EventFilter::all()).await;
    let users = ["a@example.loc", "b@example.loc", "c@example.loc"];
    let events: Vec<ChangeEvent> = (1..=100)
        .flat_map(|n| users.iter().map(move |u| mail(u, "1", n)))
        .collect();
    // All in flight at once: order must survive batching and retries.
    let results = futures::future::join_all(events.iter().map(|e| bus.publish(e.clone()))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let mut seen: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for _ in 0..events.len() {
        let e = next_event(&mut sub).await;
        seen.entry(e.user).or_default().push(e.counter);
    }
    let expected: Vec<u64> = (1..=100).collect();
    for u in users {
        assert_eq!(seen.get(u), Some(&expected), "order of {u}");
    }
}

#[tokio::test]
async fn a_user_filter_passes_only_that_users_events() {
    let Some(brokers) = broker() else { return };
    let config = config(&brokers);
    let bus = connect(&config).await;
    let mut sub = subscribe(&bus, EventFilter::user("b@example.loc")).await;
    publish_all(
        &bus,
        &[mail("a@example.loc", "1", 1), mail("b@example.loc", "2", 5)],
    )
    .await;
    assert_eq!(next_event(&mut sub).await, mail("b@example.loc", "2", 5));
    assert!(nothing_more(&mut sub).await);
}

/// Events of 20 users, so that every member of a group owns some of them.
fn spread_events() -> Vec<ChangeEvent> {
    (0..100)
        .map(|i| mail(&format!("user{}@example.loc", i % 20), "1", i))
        .collect()
}

async fn collect(sub: &mut Subscription, n: usize) -> Vec<ChangeEvent> {
    let mut got = Vec::new();
    for _ in 0..n {
        got.push(next_event(sub).await);
    }
    got
}

#[tokio::test]
async fn the_members_of_one_group_share_the_events() {
    let Some(brokers) = broker() else { return };
    let config = config(&brokers);
    let (first, second) = (connect(&config).await, connect(&config).await);
    let mut a = subscribe(&first, EventFilter::all()).await;
    let mut b = subscribe(&second, EventFilter::all()).await;
    let events = spread_events();
    publish_all(&first, &events).await;

    let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
    while got_a.len() + got_b.len() < events.len() {
        tokio::select! {
            e = next_event(&mut a) => got_a.push(e),
            e = next_event(&mut b) => got_b.push(e),
        }
    }
    assert!(nothing_more(&mut a).await && nothing_more(&mut b).await);
    assert!(
        !got_a.is_empty() && !got_b.is_empty(),
        "both members own partitions"
    );
    let counters: HashSet<u64> = got_a.iter().chain(&got_b).map(|e| e.counter).collect();
    assert_eq!(
        counters.len(),
        events.len(),
        "each event exactly once in the group"
    );
    let users_a: HashSet<&str> = got_a.iter().map(|e| e.user.as_str()).collect();
    assert!(
        got_b.iter().all(|e| !users_a.contains(e.user.as_str())),
        "a user's events stay with one member"
    );
}

#[tokio::test]
async fn every_group_receives_every_event() {
    let Some(brokers) = broker() else { return };
    let config_a = config(&brokers);
    let config_b = KafkaConfig {
        group_id: unique("other-group"),
        ..config_a.clone()
    };
    let (bus_a, bus_b) = (connect(&config_a).await, connect(&config_b).await);
    let mut a = subscribe(&bus_a, EventFilter::all()).await;
    let mut b = subscribe(&bus_b, EventFilter::all()).await;
    let events = spread_events();
    publish_all(&bus_a, &events).await;
    let sorted = |mut v: Vec<ChangeEvent>| {
        v.sort_by_key(|e| e.counter);
        v
    };
    assert_eq!(sorted(collect(&mut a, events.len()).await), events);
    assert_eq!(sorted(collect(&mut b, events.len()).await), events);
}

#[tokio::test]
async fn a_restarted_member_resumes_where_its_group_stopped() {
    let Some(brokers) = broker() else { return };
    let config = config(&brokers);
    let bus = connect(&config).await;
    let mut sub = subscribe(&bus, EventFilter::all()).await;
    bus.publish(mail("a@example.loc", "1", 1)).await.unwrap();
    assert_eq!(next_event(&mut sub).await.counter, 1);
    drop(bus);
    drain_until_closed(&mut sub).await;
    drop(sub);

    // Published while the group has no member: the next member must still get it, and only it.
    let publisher = connect(&config).await;
    publisher
        .publish(mail("a@example.loc", "1", 2))
        .await
        .unwrap();
    let mut again = subscribe(&publisher, EventFilter::all()).await;
    assert_eq!(next_event(&mut again).await.counter, 2);
    assert!(nothing_more(&mut again).await);
}

#[tokio::test]
async fn a_group_that_never_consumed_still_gets_what_was_published_after_it_joined() {
    let Some(brokers) = broker() else { return };
    let config = config(&brokers);
    let bus = connect(&config).await;
    let mut sub = subscribe(&bus, EventFilter::all()).await;
    drop(bus);
    drain_until_closed(&mut sub).await;
    drop(sub);

    let publisher = connect(&config).await;
    publisher
        .publish(mail("a@example.loc", "1", 7))
        .await
        .unwrap();
    let mut next = subscribe(&publisher, EventFilter::all()).await;
    assert_eq!(next_event(&mut next).await.counter, 7);
}

/// Reads a subscription until its stream ends.
async fn drain_until_closed(sub: &mut Subscription) {
    loop {
        match tokio::time::timeout(HANG_GUARD, sub.recv()).await {
            Ok(Err(BusError::Closed)) => return,
            Ok(_) => continue,
            Err(_) => panic!("subscription still open {HANG_GUARD:?} after its bus was dropped"),
        }
    }
}

#[tokio::test]
async fn closing_the_bus_leaves_the_group_so_that_a_new_member_takes_over_at_once() {
    let Some(brokers) = broker() else { return };
    // A member that vanished without leaving would hold its partitions for 30 s; the next
    // member's subscribe gives up after 5.
    let config = KafkaConfig {
        session_timeout_ms: 30_000,
        timeout_ms: 5_000,
        ..config(&brokers)
    };
    let bus = connect(&config).await;
    let mut sub = subscribe(&bus, EventFilter::all()).await;
    bus.publish(mail("a@example.loc", "1", 1)).await.unwrap();
    assert_eq!(next_event(&mut sub).await.counter, 1);
    assert!(
        bus.close(Duration::from_secs(10)).await,
        "the member did not leave in time"
    );
    drain_until_closed(&mut sub).await;

    let next = connect(&config).await;
    next.publish(mail("a@example.loc", "1", 2)).await.unwrap();
    let mut again = subscribe(&next, EventFilter::all()).await;
    assert_eq!(next_event(&mut again).await.counter, 2);
    assert!(nothing_more(&mut again).await);
}

#[tokio::test]
async fn dropping_the_bus_ends_its_subscriptions() {
    let Some(brokers) = broker() else { return };
    let bus = connect(&config(&brokers)).await;
    let mut sub = subscribe(&bus, EventFilter::all()).await;
    drop(bus);
    drain_until_closed(&mut sub).await;
}

#[tokio::test]
async fn connect_creates_a_missing_topic_and_accepts_an_existing_one() {
    let Some(brokers) = broker() else { return };
    let config = KafkaConfig {
        partitions: 3,
        ..config(&brokers)
    };
    connect(&config).await;
    let bigger = KafkaConfig {
        partitions: 6,
        ..config.clone()
    };
    let bus = connect(&bigger).await;
    bus.health().await.unwrap();

    let probe: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create()
        .unwrap();
    let topic = config.topic.clone();
    let partitions = tokio::task::spawn_blocking(move || {
        let metadata = probe
            .fetch_metadata(Some(&topic), Duration::from_secs(10))
            .unwrap();
        metadata.topics()[0].partitions().len()
    })
    .await
    .unwrap();
    assert_eq!(partitions, 3, "created with its partitions, left as it was");
}

/// Nothing listens on port 1 of loopback.
fn dead() -> KafkaConfig {
    KafkaConfig {
        brokers: "127.0.0.1:1".into(),
        topic: unique("dead"),
        group_id: unique("dead"),
        timeout_ms: 1000,
        ..KafkaConfig::default()
    }
}

fn assert_transport<T: std::fmt::Debug>(result: Result<Result<T, BusError>, impl std::fmt::Debug>) {
    match result {
        Ok(Err(BusError::Transport(message))) => assert!(!message.is_empty()),
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[tokio::test]
async fn connecting_to_a_dead_address_fails_with_a_transport_error() {
    assert_transport(tokio::time::timeout(HANG_GUARD, KafkaBus::connect(dead())).await);
}

#[tokio::test]
async fn publishing_to_a_dead_address_fails_with_a_transport_error() {
    let bus = KafkaBus::new(dead()).unwrap();
    let publish = bus.publish(mail("a@example.loc", "1", 1));
    assert_transport(tokio::time::timeout(HANG_GUARD, publish).await);
}

#[tokio::test]
async fn subscribing_on_a_dead_address_fails_with_a_transport_error() {
    let bus = KafkaBus::new(dead()).unwrap();
    let subscribe = bus.subscribe(EventFilter::all());
    assert_transport(tokio::time::timeout(HANG_GUARD, subscribe).await);
}

#[test]
fn a_config_file_names_only_what_differs_from_the_defaults() {
    let config: KafkaConfig =
        serde_json::from_str(r#"{"brokers":"kafka-0:9092,kafka-1:9092","group_id":"push"}"#)
            .unwrap();
    assert_eq!(config.brokers, "kafka-0:9092,kafka-1:9092");
    assert_eq!(config.group_id, "push");
    assert_eq!(config.topic, KafkaConfig::default().topic);
    assert_eq!(config.fetch_wait_max_ms, 10);
    assert!(serde_json::from_str::<KafkaConfig>(r#"{"broker":"x"}"#).is_err());
}

#[tokio::test]
async fn the_trace_context_travels_in_a_record_header_from_a_producer_span() {
    use eas_service_kit::telemetry::{self, opentelemetry};
    use opentelemetry::trace::{SpanKind, TraceContextExt as _};
    let Some(brokers) = broker() else { return };
    let exporter = opentelemetry_sdk::trace::InMemorySpanExporter::default();
    telemetry::install(
        opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build(),
    );
    let config = config(&brokers);
    let bus = connect(&config).await;
    let mut sub = subscribe(&bus, EventFilter::all()).await;
    let root = telemetry::start(
        "LMTP DATA",
        SpanKind::Server,
        &opentelemetry::Context::new(),
        Vec::new,
    )
    .expect("tracing is on");
    let event = mail("t@example.loc", "1", 9).traced(telemetry::traceparent(&root));
    bus.publish(event.clone()).await.unwrap();
    telemetry::end(&root);
    let received = next_event(&mut sub).await;

    let root_span = root.span().span_context().clone();
    let spans = exporter.get_finished_spans().unwrap();
    let send = spans
        .iter()
        .find(|s| s.span_context.trace_id() == root_span.trace_id() && s.name.starts_with("send "))
        .expect("a producer span in the event's trace");
    assert_eq!(send.name, format!("send {}", config.topic));
    assert_eq!(send.span_kind, SpanKind::Producer);
    assert_eq!(send.parent_span_id, root_span.span_id());
    let attr = |k: &str| {
        send.attributes
            .iter()
            .find(|kv| kv.key.as_str() == k)
            .map(|kv| kv.value.to_string())
    };
    assert_eq!(attr("messaging.system").as_deref(), Some("kafka"));
    assert_eq!(
        attr("messaging.destination.name").as_deref(),
        Some(config.topic.as_str())
    );
    assert_eq!(attr("messaging.operation.type").as_deref(), Some("send"));
    // The consumer hands on the producer span, read from the header.
    let continued = telemetry::context_from_traceparent(received.traceparent.as_deref());
    assert_eq!(
        continued.span().span_context().span_id(),
        send.span_context.span_id()
    );
    assert_eq!(received, event.traced(received.traceparent.clone()));
}
