//! The cluster's bus: change events on a Kafka topic, keyed by user, read by consumer groups.
//!
//! Publishing waits for the broker's acknowledgement (all in-sync replicas) or fails with
//! `BusError::Transport` after `timeout_ms`. Each subscription is one member of the group
//! `group_id`: the members of a group split the topic's partitions, so each event reaches one
//! subscription per group, and one user's events (one key, one partition) arrive in order at
//! the same member. Delivery is at least once across restarts and rebalances; anything that
//! may have cost the subscriber events (a rebalance, a consumer error, a full buffer) is
//! reported as `Err(BusError::Lagged(n))`, after which the subscriber re-checks its folders.
//!
//! With tracing on, each publish is a producer span (`send <topic>`, OpenTelemetry messaging
//! semantic conventions for Kafka) under the event's trace context, and the record carries that
//! span as its `traceparent` header (W3C Trace Context over Kafka headers); the consumer hands
//! it on as the event's [`ChangeEvent::traceparent`].

mod config;
mod consumer;
mod metrics;
mod topic;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use eas_service_kit::telemetry::{self, opentelemetry};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _};
use opentelemetry::KeyValue;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};

pub use config::KafkaConfig;

use crate::bus::{BusError, EventBus, EventFilter, Messaging, Subscription};
use crate::event::ChangeEvent;

/// Slack on top of librdkafka's own `message.timeout.ms` before `publish` gives up waiting
/// for a delivery report.
const DELIVERY_GRACE: Duration = Duration::from_secs(1);

/// [`EventBus`] over Kafka. Cheap to clone; clones share one producer. Dropping the last
/// clone ends every subscription's stream (within about 100 ms).
#[derive(Clone)]
pub struct KafkaBus {
    inner: Arc<Inner>,
}

struct Inner {
    config: KafkaConfig,
    producer: FutureProducer,
    closed: Arc<AtomicBool>,
    /// The consumer threads of the subscriptions, for [`KafkaBus::close`].
    members: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Release);
    }
}

impl std::fmt::Debug for KafkaBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaBus")
            .field("brokers", &self.inner.config.brokers)
            .field("topic", &self.inner.config.topic)
            .field("group_id", &self.inner.config.group_id)
            .finish_non_exhaustive()
    }
}

impl KafkaBus {
    /// Creates the topic when it is missing and checks that the broker serves it; fails with
    /// `Transport` when the brokers cannot be reached within a few multiples of `timeout_ms`.
    pub async fn connect(config: KafkaConfig) -> Result<KafkaBus, BusError> {
        let bus = KafkaBus::new(config)?;
        topic::ensure_topic(&bus.inner.config).await?;
        bus.health().await?;
        Ok(bus)
    }

    /// Builds the producer without contacting any broker (only a bad setting fails here);
    /// publishes fail with `Transport` until a broker answers. [`KafkaBus::connect`] is the
    /// usual start.
    pub fn new(config: KafkaConfig) -> Result<KafkaBus, BusError> {
        metrics::register_all();
        let producer: FutureProducer = config
            .producer()
            .create()
            .map_err(|e| transport("creating the kafka producer", e))?;
        Ok(KafkaBus {
            inner: Arc::new(Inner {
                config,
                producer,
                closed: Arc::new(AtomicBool::new(false)),
                members: Mutex::new(Vec::new()),
            }),
        })
    }

    /// For shutdown: ends every subscription and waits, at most `within`, until each member
    /// has committed its offsets and left the group. A member that leaves hands its
    /// partitions over at once; one that does not holds them until the group's session
    /// timeout, during which nobody reads them (and a replacement's join waits as long).
    /// Returns whether every member left in time.
    pub async fn close(&self, within: Duration) -> bool {
        self.inner.closed.store(true, Ordering::Release);
        let members = match self.inner.members.lock() {
            Ok(mut m) => std::mem::take(&mut *m),
            Err(_) => return false,
        };
        let joined = tokio::task::spawn_blocking(move || {
            for member in members {
                let _ = member.join();
            }
        });
        matches!(tokio::time::timeout(within, joined).await, Ok(Ok(())))
    }

    pub fn config(&self) -> &KafkaConfig {
        &self.inner.config
    }

    /// Ready when a broker answers within the timeout and every partition of the topic has a
    /// leader; for readiness probes.
    pub async fn health(&self) -> Result<(), BusError> {
        let producer = self.inner.producer.clone();
        let topic = self.inner.config.topic.clone();
        let timeout = self.inner.config.timeout();
        tokio::task::spawn_blocking(move || {
            let metadata = producer
                .client()
                .fetch_metadata(Some(&topic), timeout)
                .map_err(|e| transport("fetching kafka metadata", e))?;
            let t = metadata
                .topics()
                .iter()
                .find(|t| t.name() == topic)
                .ok_or_else(|| BusError::Transport(format!("topic {topic} not in metadata")))?;
            if let Some(code) = t.error() {
                return Err(BusError::Transport(format!(
                    "topic {topic}: {}",
                    rdkafka::error::RDKafkaErrorCode::from(code)
                )));
            }
            if t.partitions().is_empty() {
                return Err(BusError::Transport(format!(
                    "topic {topic} has no partitions"
                )));
            }
            match t.partitions().iter().find(|p| p.leader() < 0) {
                Some(p) => Err(BusError::Transport(format!(
                    "topic {topic} partition {} has no leader",
                    p.id()
                ))),
                None => Ok(()),
            }
        })
        .await
        .map_err(|e| BusError::Transport(format!("kafka health check: {e}")))?
    }
}

#[async_trait]
impl EventBus for KafkaBus {
    /// Produces the event's JSON to the topic with the user as key; returns once the broker
    /// acknowledged it.
    async fn publish(&self, mut event: ChangeEvent) -> Result<(), BusError> {
        // The trace context goes in a header, not in the record's value. An event without one
        // starts no trace of its own.
        let parent = event.traceparent.take();
        let span = parent.as_deref().and_then(|parent| {
            telemetry::start(
                format!("send {}", self.inner.config.topic),
                SpanKind::Producer,
                &telemetry::context_from_traceparent(Some(parent)),
                || {
                    vec![
                        KeyValue::new("messaging.system", "kafka"),
                        KeyValue::new(
                            "messaging.destination.name",
                            self.inner.config.topic.clone(),
                        ),
                        KeyValue::new("messaging.operation.type", "send"),
                        KeyValue::new("messaging.operation.name", "send"),
                    ]
                },
            )
        });
        let header = span.as_ref().and_then(telemetry::traceparent);
        let result = self.produce(&event, header.as_deref()).await;
        match &result {
            Ok(_) => metrics::published(),
            Err(_) => metrics::publish_failed(),
        }
        if let Some(cx) = &span {
            match &result {
                Ok((partition, offset)) => {
                    cx.span().set_attribute(KeyValue::new(
                        "messaging.destination.partition.id",
                        partition.to_string(),
                    ));
                    cx.span()
                        .set_attribute(KeyValue::new("messaging.kafka.offset", *offset));
                }
                Err(e) => cx.span().set_status(Status::error(e.to_string())),
            }
            telemetry::end(cx);
        }
        result.map(|_| ())
    }

    /// Joins the group `group_id` as a new member; see the module documentation.
    async fn subscribe(&self, filter: EventFilter) -> Result<Subscription, BusError> {
        consumer::subscribe(
            &self.inner.config,
            filter,
            self.inner.closed.clone(),
            &self.inner.members,
        )
        .await
    }

    fn messaging(&self) -> Option<Messaging> {
        Some(Messaging {
            system: "kafka",
            destination: self.inner.config.topic.clone(),
            consumer_group: Some(self.inner.config.group_id.clone()),
        })
    }
}

/// The record header that carries the trace context (W3C Trace Context).
pub const TRACEPARENT_HEADER: &str = telemetry::TRACEPARENT;

impl KafkaBus {
    /// [`EventBus::publish`] without the counting and the span: produces the event with
    /// `traceparent` as its header, and answers the partition and offset it was written at.
    async fn produce(
        &self,
        event: &ChangeEvent,
        traceparent: Option<&str>,
    ) -> Result<(i32, i64), BusError> {
        let payload = event
            .to_json()
            .map_err(|e| BusError::Transport(format!("encoding the change event: {e}")))?;
        let mut record = FutureRecord::to(&self.inner.config.topic)
            .key(event.key())
            .payload(&payload);
        if let Some(value) = traceparent {
            record = record.headers(OwnedHeaders::new().insert(Header {
                key: TRACEPARENT_HEADER,
                value: Some(value),
            }));
        }
        let delivery = self
            .inner
            .producer
            .send_result(record)
            .map_err(|(e, _)| transport("queueing the change event", e))?;
        let wait = self.inner.config.timeout() + DELIVERY_GRACE;
        let started = std::time::Instant::now();
        match tokio::time::timeout(wait, delivery).await {
            Ok(Ok(Ok(delivered))) => {
                // Per-hop timing of a wake-up (docs/push.md, "Tracing one wake-up").
                tracing::debug!(
                    user = %event.user,
                    folder = %event.folder_id,
                    counter = event.counter,
                    micros = started.elapsed().as_micros() as u64,
                    "change event acknowledged"
                );
                Ok((delivered.partition, delivered.offset))
            }
            Ok(Ok(Err((e, _)))) => Err(transport("publishing the change event", e)),
            Ok(Err(_)) => Err(BusError::Transport("kafka producer closed".into())),
            Err(_) => Err(BusError::Transport(format!(
                "no acknowledgement from {} within {} ms",
                self.inner.config.brokers,
                wait.as_millis()
            ))),
        }
    }
}

fn transport(what: &str, e: KafkaError) -> BusError {
    BusError::Transport(format!("{what}: {e}"))
}
