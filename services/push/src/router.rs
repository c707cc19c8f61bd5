//! The push service loop: each change event goes to the edge replicas that hold a Ping of its
//! user, as found in the registry.
//!
//! Events come from the event bus (Kafka in the cluster, read by a consumer group, so push
//! replicas share the partitions). An event whose user holds no Ping is dropped: the phone sees
//! the change at its next Sync or Ping (the Ping checks counters before it waits).
//!
//! With tracing on, routing an event is a consumer span (`process <topic>`, OpenTelemetry
//! messaging semantic conventions) that continues the event's trace, and the wake messages
//! carry that span on to the edges (docs/observability.md, "Traces").

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eas_event_bus::{BusError, ChangeEvent, EventBus, EventFilter, Messaging};
use eas_service_kit::telemetry::{self, opentelemetry};
use futures::StreamExt;
use opentelemetry::trace::{FutureExt as _, SpanKind, Status, TraceContextExt as _};
use opentelemetry::KeyValue;

use crate::registry::RedisPingRegistry;
use crate::wire::{broadcast_channel, edge_channel, WakeMessage};

/// How many events are routed at the same time (each costs two Redis round trips).
const CONCURRENCY: usize = 64;

/// Counters of the push service, logged periodically and on shutdown.
#[derive(Debug, Default)]
pub struct RouterStats {
    /// Events read from the bus.
    pub events: AtomicU64,
    /// Wake messages published to edge replicas.
    pub wakes: AtomicU64,
    /// Events whose user held no Ping.
    pub idle: AtomicU64,
    /// Events that could not be routed (Redis unreachable).
    pub failed: AtomicU64,
    /// Recheck broadcasts after lost events.
    pub rechecks: AtomicU64,
    /// Whether this replica is a member of the consumer group (readiness).
    pub joined: AtomicBool,
}

impl RouterStats {
    /// Exposes the counters as Prometheus metrics in the process's registry
    /// (docs/observability.md); call it once.
    pub fn register_metrics(self: &Arc<Self>) {
        use eas_service_kit::metrics::{register_counter_fn, register_gauge_fn};
        /// A counter's name, help text and field.
        type Counted = (&'static str, &'static str, fn(&RouterStats) -> &AtomicU64);
        let counters: [Counted; 5] = [
            ("eas_push_events", "Change events read from Kafka", |s| {
                &s.events
            }),
            (
                "eas_push_wakes",
                "Wake messages published to edge replicas' Redis channels",
                |s| &s.wakes,
            ),
            (
                "eas_push_events_idle",
                "Change events whose user held no Ping or Sync on any edge",
                |s| &s.idle,
            ),
            (
                "eas_push_route_failures",
                "Change events that could not be routed (Redis unreachable)",
                |s| &s.failed,
            ),
            (
                "eas_push_rechecks",
                "Recheck broadcasts to every edge after change events may have been lost",
                |s| &s.rechecks,
            ),
        ];
        for (name, help, field) in counters {
            let stats = self.clone();
            register_counter_fn(name, help, move || field(&stats).load(Ordering::Relaxed));
        }
        let stats = self.clone();
        register_gauge_fn(
            "eas_push_group_member",
            "1 while this replica is a member of the Kafka consumer group, else 0",
            move || i64::from(stats.joined.load(Ordering::Acquire)),
        );
    }
}

/// Pause between attempts to join the consumer group.
const JOIN_RETRY: Duration = Duration::from_secs(1);

/// Routes one event in a span of its own that continues the event's trace (when it has one
/// and tracing is on): see [`route`].
pub async fn route_traced(
    registry: &RedisPingRegistry,
    source: Option<&Messaging>,
    event: ChangeEvent,
) -> Result<usize, String> {
    let Some(parent) = event.traceparent.as_deref() else {
        return route(registry, event).await;
    };
    let Some(cx) = telemetry::start(
        format!(
            "process {}",
            source.map_or("change events", |m| m.destination.as_str())
        ),
        SpanKind::Consumer,
        &telemetry::context_from_traceparent(Some(parent)),
        || {
            let mut attributes = vec![
                KeyValue::new("messaging.operation.type", "process"),
                KeyValue::new("messaging.operation.name", "process"),
            ];
            if let Some(m) = source {
                attributes.push(KeyValue::new("messaging.system", m.system));
                attributes.push(KeyValue::new(
                    "messaging.destination.name",
                    m.destination.clone(),
                ));
                if let Some(group) = &m.consumer_group {
                    attributes.push(KeyValue::new(
                        "messaging.consumer.group.name",
                        group.clone(),
                    ));
                }
            }
            attributes
        },
    ) else {
        return route(registry, event).await;
    };
    let routed = route(registry, event).with_context(cx.clone()).await;
    match &routed {
        Ok(edges) => cx
            .span()
            .set_attribute(KeyValue::new("eas.push.edges", *edges as i64)),
        Err(e) => cx.span().set_status(Status::error(e.clone())),
    }
    telemetry::end(&cx);
    routed
}

/// Routes one event; returns how many replicas were told. The wake messages carry the current
/// span as the event's trace context.
pub async fn route(registry: &RedisPingRegistry, event: ChangeEvent) -> Result<usize, String> {
    let started = Instant::now();
    let edges = registry
        .edges_of(&event.user)
        .await
        .map_err(|e| e.to_string())?;
    if edges.is_empty() {
        return Ok(0);
    }
    let looked_up = started.elapsed();
    let mut event = event;
    if let Some(current) = telemetry::current_traceparent() {
        event.traceparent = Some(current);
    }
    let message = WakeMessage::Event { event };
    for edge in &edges {
        registry
            .publish(&edge_channel(registry.prefix(), edge), &message)
            .await
            .map_err(|e| e.to_string())?;
    }
    if let WakeMessage::Event { event } = &message {
        // Per-hop timing of a wake-up (docs/push.md, "Tracing one wake-up").
        tracing::debug!(
            user = %event.user,
            counter = event.counter,
            edges = edges.len(),
            lookup_micros = looked_up.as_micros() as u64,
            micros = started.elapsed().as_micros() as u64,
            "change event routed"
        );
    }
    Ok(edges.len())
}

/// Tells every replica to re-check its held Pings.
pub async fn recheck_all(registry: &RedisPingRegistry) -> Result<(), String> {
    registry
        .publish(&broadcast_channel(registry.prefix()), &WakeMessage::Recheck)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Reads events from `bus` and routes them until `stop` resolves or the bus closes.
///
/// Joining the group is retried until it works: after a replica crashed, the group waits for
/// the session timeout before it takes a new member, and the broker may be away for a while.
pub async fn run(
    bus: Arc<dyn EventBus>,
    registry: RedisPingRegistry,
    stats: Arc<RouterStats>,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), BusError> {
    tokio::pin!(stop);
    let subscription = loop {
        let joined = tokio::select! {
            _ = &mut stop => return Ok(()),
            joined = bus.subscribe(EventFilter::all()) => joined,
        };
        match joined {
            Ok(s) => break s,
            Err(BusError::Closed) => return Err(BusError::Closed),
            Err(e) => {
                tracing::warn!(error = %e, "cannot join the consumer group yet; retrying");
                tokio::select! {
                    _ = &mut stop => return Ok(()),
                    _ = tokio::time::sleep(JOIN_RETRY) => {}
                }
            }
        }
    };
    // Events published while no replica was a member are read now: the group resumes at its
    // committed offsets.
    stats.joined.store(true, Ordering::Release);
    let source = bus.messaging();
    let mut last_recheck: Option<Instant> = None;
    let routed = subscription
        .map(|item| {
            let registry = registry.clone();
            let stats = stats.clone();
            let source = source.clone();
            async move {
                match item {
                    Ok(event) => {
                        stats.events.fetch_add(1, Ordering::Relaxed);
                        match route_traced(&registry, source.as_ref(), event).await {
                            Ok(0) => {
                                stats.idle.fetch_add(1, Ordering::Relaxed);
                                Ok(())
                            }
                            Ok(n) => {
                                stats.wakes.fetch_add(n as u64, Ordering::Relaxed);
                                Ok(())
                            }
                            Err(e) => {
                                stats.failed.fetch_add(1, Ordering::Relaxed);
                                tracing::warn!(error = %e, "cannot route a change event");
                                Ok(())
                            }
                        }
                    }
                    Err(e) => Err(e),
                }
            }
        })
        .buffer_unordered(CONCURRENCY);
    tokio::pin!(routed);
    loop {
        let item = tokio::select! {
            _ = &mut stop => return Ok(()),
            item = routed.next() => item,
        };
        match item {
            None => return Err(BusError::Closed),
            Some(Ok(())) => {}
            Some(Err(BusError::Closed)) => return Err(BusError::Closed),
            Some(Err(e)) => {
                // Events may have been missed: every held Ping re-checks, at most once a second.
                tracing::warn!(error = %e, "change events may have been lost");
                if last_recheck.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                    last_recheck = Some(Instant::now());
                    stats.rechecks.fetch_add(1, Ordering::Relaxed);
                    if let Err(e) = recheck_all(&registry).await {
                        tracing::warn!(error = %e, "cannot broadcast a recheck");
                    }
                }
            }
        }
    }
}
