//! One subscription: a member of the consumer group, polled on a thread of its own, that
//! hands matching events to the subscriber through a bounded channel.
//!
//! Offsets: a partition the group has never committed is pinned when first assigned (its end,
//! or its start with `start_from_latest = false`) by committing that offset at once, and the
//! offsets of the events handed on are committed synchronously before partitions are revoked.
//! So whichever member owns a partition next resumes exactly where the group stopped, and a
//! subscription returned by `subscribe` receives every event published after it returned.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{Headers as _, Message};
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tokio::sync::{mpsc, oneshot};

use super::metrics::LagReport;
use super::{transport, KafkaConfig};
use crate::bus::{BusError, EventFilter, Subscription};
use crate::event::ChangeEvent;

/// How often the consumer thread looks up from a quiet topic to see whether its bus or its
/// subscriber is gone. A waiting poll still returns as soon as an event arrives.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

type Item = Result<ChangeEvent, BusError>;

/// Joins the group and returns once this member has its first assignment, so that every
/// event published afterwards reaches the group; fails when that takes longer than the
/// configured timeout (broker down, group stuck).
///
/// The member's thread is handed to `members` so that [`super::KafkaBus::close`] can wait for
/// it to leave the group.
pub(crate) async fn subscribe(
    config: &KafkaConfig,
    filter: EventFilter,
    bus_closed: Arc<AtomicBool>,
    members: &Mutex<Vec<std::thread::JoinHandle<()>>>,
) -> Result<Subscription, BusError> {
    let (ready_tx, ready_rx) = oneshot::channel();
    let context = GroupContext {
        start_from_latest: config.start_from_latest,
        timeout: config.timeout(),
        assigned_once: AtomicBool::new(false),
        missed: AtomicBool::new(false),
        ready: Mutex::new(Some(ready_tx)),
        lag: LagReport::default(),
    };
    let consumer: BaseConsumer<GroupContext> = config
        .consumer()
        .create_with_context(context)
        .map_err(|e| transport("creating the kafka consumer", e))?;
    consumer
        .subscribe(&[&config.topic])
        .map_err(|e| transport("subscribing to the topic", e))?;
    let (tx, rx) = mpsc::channel(config.buffer.max(1));
    let member = std::thread::Builder::new()
        .name("eas-kafka-consumer".into())
        .spawn(move || run(consumer, filter, tx, bus_closed))
        .map_err(|e| BusError::Transport(format!("starting the consumer thread: {e}")))?;
    if let Ok(mut members) = members.lock() {
        members.retain(|m| !m.is_finished());
        members.push(member);
    }
    // On failure `rx` is dropped here, which stops the thread.
    match tokio::time::timeout(config.timeout(), ready_rx).await {
        Ok(Ok(())) => Ok(Subscription::new(futures::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|item| (item, rx)) },
        ))),
        Ok(Err(_)) => Err(BusError::Transport(
            "kafka consumer stopped before joining its group".into(),
        )),
        Err(_) => Err(BusError::Transport(format!(
            "joining consumer group {:?} on {} timed out after {} ms",
            config.group_id, config.brokers, config.timeout_ms
        ))),
    }
}

/// The consumer loop; ends when the bus is dropped or the subscription is.
/// The record's `traceparent` header (see `KafkaBus::publish`), when tracing is on.
fn traceparent(message: &impl Message) -> Option<String> {
    if !eas_service_kit::telemetry::enabled() {
        return None;
    }
    let headers = message.headers()?;
    headers
        .iter()
        .find(|h| h.key == super::TRACEPARENT_HEADER)
        .and_then(|h| h.value)
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(str::to_owned)
}

fn run(
    consumer: BaseConsumer<GroupContext>,
    filter: EventFilter,
    tx: mpsc::Sender<Item>,
    bus_closed: Arc<AtomicBool>,
) {
    let mut lag = Lag::default();
    let mut failing = false;
    while !bus_closed.load(Ordering::Acquire) && !tx.is_closed() {
        let polled = consumer.poll(POLL_INTERVAL);
        if consumer.context().missed.swap(false, Ordering::AcqRel) {
            lag.unknown();
        }
        match polled {
            Some(Ok(message)) => {
                failing = false;
                match ChangeEvent::from_json(message.payload().unwrap_or_default()) {
                    Ok(event) if filter.matches(&event) => {
                        let event = event.traced(traceparent(&message));
                        tracing::debug!(
                            user = %event.user,
                            folder = %event.folder_id,
                            counter = event.counter,
                            produced_ms = message.timestamp().to_millis().unwrap_or(0),
                            "change event consumed"
                        );
                        lag.deliver(&tx, event)
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(
                            partition = message.partition(),
                            offset = message.offset(),
                            error = %e,
                            "undecodable change event skipped"
                        );
                        lag.dropped(1);
                    }
                }
            }
            // One report per run of errors: the subscriber re-checks once, not per retry.
            Some(Err(e)) if !failing => {
                tracing::warn!(error = %e, "kafka consumer error; events may be late or missed");
                lag.unknown();
                failing = true;
            }
            Some(Err(_)) | None => {}
        }
        lag.flush(&tx);
    }
    // End the stream first; closing the consumer (leaving the group, committing) may take a
    // while when the broker is gone.
    drop(tx);
    drop(consumer);
}

/// Events the subscriber did not get, reported as one `Lagged` as soon as the channel has
/// room. `Some(0)`: a rebalance or an error, number unknown.
#[derive(Debug, Default)]
struct Lag {
    missed: Option<u64>,
}

impl Lag {
    fn unknown(&mut self) {
        self.missed.get_or_insert(0);
    }

    fn dropped(&mut self, n: u64) {
        *self.missed.get_or_insert(0) += n;
    }

    /// Sends the pending report; true when nothing is pending any more.
    fn flush(&mut self, tx: &mpsc::Sender<Item>) -> bool {
        match self.missed {
            None => true,
            Some(n) => {
                let sent = tx.try_send(Err(BusError::Lagged(n))).is_ok();
                if sent {
                    tracing::warn!(dropped = n, "kafka subscriber lagged");
                    self.missed = None;
                }
                sent
            }
        }
    }

    /// Hands an event on, after any pending report; never blocks the consumer (a blocked
    /// member would be thrown out of its group).
    fn deliver(&mut self, tx: &mpsc::Sender<Item>, event: ChangeEvent) {
        if !(self.flush(tx) && tx.try_send(Ok(event)).is_ok()) {
            self.dropped(1);
        }
    }
}

/// Rebalance hooks of one member.
struct GroupContext {
    start_from_latest: bool,
    timeout: Duration,
    assigned_once: AtomicBool,
    /// Set when events may have been missed or moved: a rebalance after the first
    /// assignment, or a start offset that could not be pinned.
    missed: AtomicBool,
    ready: Mutex<Option<oneshot::Sender<()>>>,
    /// This member's consumer lag metrics, from librdkafka's statistics.
    lag: LagReport,
}

impl ClientContext for GroupContext {
    /// Every `statistics.interval.ms` (`kafka.statistics_interval_ms`), during a poll.
    fn stats(&self, statistics: Statistics) {
        self.lag.update(&statistics);
    }
}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(_) = rebalance {
            match consumer.commit_consumer_state(CommitMode::Sync) {
                Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
                Err(e) => tracing::warn!(error = %e, "committing offsets before a rebalance"),
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(partitions) => {
                if let Err(e) = self.pin_start(consumer, partitions) {
                    tracing::warn!(error = %e, "pinning start offsets of new partitions");
                    self.missed.store(true, Ordering::Release);
                }
                if self.assigned_once.swap(true, Ordering::AcqRel) {
                    self.missed.store(true, Ordering::Release);
                }
                tracing::debug!(partitions = partitions.count(), "kafka partitions assigned");
                if let Some(ready) = self.ready.lock().ok().and_then(|mut r| r.take()) {
                    let _ = ready.send(());
                }
            }
            Rebalance::Revoke(_) => {
                if self.assigned_once.load(Ordering::Acquire) {
                    self.missed.store(true, Ordering::Release);
                }
            }
            Rebalance::Error(e) => {
                tracing::warn!(error = %e, "kafka rebalance failed");
                self.missed.store(true, Ordering::Release);
            }
        }
    }
}

impl GroupContext {
    /// Gives every assigned partition without a committed offset an explicit start and
    /// commits it, so that no event falls between this member's start and another member's.
    fn pin_start(
        &self,
        consumer: &BaseConsumer<Self>,
        partitions: &TopicPartitionList,
    ) -> KafkaResult<()> {
        if partitions.count() == 0 {
            return Ok(());
        }
        let committed = consumer.committed_offsets(partitions.clone(), self.timeout)?;
        let mut start = TopicPartitionList::new();
        let mut pin = TopicPartitionList::new();
        for p in committed.elements() {
            let offset = match p.offset() {
                Offset::Offset(n) => Offset::Offset(n),
                _ => {
                    let (low, high) =
                        consumer.fetch_watermarks(p.topic(), p.partition(), self.timeout)?;
                    let first = Offset::Offset(if self.start_from_latest { high } else { low });
                    pin.add_partition_offset(p.topic(), p.partition(), first)?;
                    first
                }
            };
            start.add_partition_offset(p.topic(), p.partition(), offset)?;
        }
        if pin.count() > 0 {
            consumer.assign(&start)?;
            consumer.commit(&pin, CommitMode::Sync)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::message::{Header, OwnedHeaders, OwnedMessage, Timestamp};

    fn record(headers: Option<OwnedHeaders>) -> OwnedMessage {
        OwnedMessage::new(
            Some(br#"{"user":"a@b.c","class":"mail","folder_id":"7","counter":1,"hierarchy_changed":false}"#.to_vec()),
            Some(b"a@b.c".to_vec()),
            "t".into(),
            Timestamp::NotAvailable,
            0,
            0,
            headers,
        )
    }

    #[test]
    fn the_trace_context_comes_from_the_records_header() {
        eas_service_kit::telemetry::install(
            opentelemetry_sdk::trace::SdkTracerProvider::builder().build(),
        );
        let value = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let headers = OwnedHeaders::new()
            .insert(Header {
                key: "other",
                value: Some("x"),
            })
            .insert(Header {
                key: super::super::TRACEPARENT_HEADER,
                value: Some(value),
            });
        assert_eq!(traceparent(&record(Some(headers))).as_deref(), Some(value));
        assert_eq!(traceparent(&record(None)), None);
    }
}
