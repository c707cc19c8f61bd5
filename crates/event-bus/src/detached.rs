//! Publishing without waiting: a queue in front of a slow or unreachable bus.
//!
//! A data service publishes after every committed write. When the bus is Kafka and Kafka is
//! down, waiting for each acknowledgement would stall every write (an LMTP delivery, a phone
//! marking mail read) for the bus timeout. [`DetachedBus`] accepts the event into a bounded queue
//! and returns; a background task publishes with limited concurrency. When the queue is full the
//! event is dropped and reported: events are hints, the folder counter already moved, and a
//! held Ping or the phone's next Sync still sees the change.
//!
//! On shutdown, [`DetachedBus::drain`] refuses new events and waits (bounded) until every
//! queued one was published or failed, so a delivery accepted just before a restart still
//! wakes its phones.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::{mpsc, Notify};

use crate::bus::{warn_unpublished, BusError, EventBus, EventFilter, Subscription};
use crate::event::ChangeEvent;

/// A bus whose `publish` only queues; see the module documentation.
pub struct DetachedBus {
    inner: Arc<dyn EventBus>,
    queue: mpsc::Sender<ChangeEvent>,
    failed: Arc<AtomicU64>,
    pending: Arc<Pending>,
}

/// Events accepted and not yet published or failed, and a signal for when none are left.
#[derive(Default)]
struct Pending {
    count: AtomicU64,
    none_left: Notify,
    closing: AtomicBool,
}

impl Pending {
    fn done(&self) {
        if self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.none_left.notify_waiters();
        }
    }
}

impl DetachedBus {
    /// Publishes to `inner` from a background task, at most `concurrency` events at a time,
    /// with up to `capacity` events waiting. Needs a tokio runtime.
    pub fn new(inner: Arc<dyn EventBus>, capacity: usize, concurrency: usize) -> DetachedBus {
        let (tx, rx) = mpsc::channel::<ChangeEvent>(capacity.max(1));
        let failed = Arc::new(AtomicU64::new(0));
        let pending = Arc::new(Pending::default());
        let target = inner.clone();
        let failures = failed.clone();
        let progress = pending.clone();
        tokio::spawn(
            tokio_stream_from(rx).for_each_concurrent(concurrency.max(1), move |event| {
                let target = target.clone();
                let failures = failures.clone();
                let progress = progress.clone();
                async move {
                    if let Err(error) = target.publish(event.clone()).await {
                        failures.fetch_add(1, Ordering::Relaxed);
                        warn_unpublished(&event, &error);
                    }
                    progress.done();
                }
            }),
        );
        DetachedBus {
            inner,
            queue: tx,
            failed,
            pending,
        }
    }

    /// For shutdown: refuses new events from now on and waits until every accepted one was
    /// published or failed, at most `within`. Returns how many were still pending then.
    pub async fn drain(&self, within: Duration) -> u64 {
        self.pending.closing.store(true, Ordering::Release);
        let deadline = tokio::time::Instant::now() + within;
        loop {
            // Registered before the count is read, so a last `done` in between is not missed.
            let none_left = self.pending.none_left.notified();
            let left = self.pending.count.load(Ordering::Acquire);
            if left == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, none_left).await.is_err() {
                return self.pending.count.load(Ordering::Acquire);
            }
        }
    }

    /// Events the inner bus refused since the start.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }
}

/// The receiver as a stream, without another dependency.
fn tokio_stream_from<T: Send + 'static>(
    rx: mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> + Send {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
}

#[async_trait]
impl EventBus for DetachedBus {
    /// Queues the event; `Transport` when the queue is full (the event is not published),
    /// `Closed` once [`DetachedBus::drain`] began.
    async fn publish(&self, event: ChangeEvent) -> Result<(), BusError> {
        if self.pending.closing.load(Ordering::Acquire) {
            return Err(BusError::Closed);
        }
        self.pending.count.fetch_add(1, Ordering::AcqRel);
        self.queue.try_send(event).map_err(|e| {
            self.pending.done();
            match e {
                mpsc::error::TrySendError::Full(_) => {
                    BusError::Transport("publish queue full; event dropped".into())
                }
                mpsc::error::TrySendError::Closed(_) => BusError::Closed,
            }
        })
    }

    async fn subscribe(&self, filter: EventFilter) -> Result<Subscription, BusError> {
        self.inner.subscribe(filter).await
    }

    fn messaging(&self) -> Option<crate::bus::Messaging> {
        self.inner.messaging()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::DataClass;
    use crate::InProcessBus;

    /// A bus that never answers a publish.
    struct Stuck;

    #[async_trait]
    impl EventBus for Stuck {
        async fn publish(&self, _event: ChangeEvent) -> Result<(), BusError> {
            std::future::pending().await
        }

        async fn subscribe(&self, _filter: EventFilter) -> Result<Subscription, BusError> {
            Err(BusError::Closed)
        }
    }

    #[tokio::test]
    async fn events_reach_the_inner_bus_in_order_with_one_at_a_time() {
        let inner = Arc::new(InProcessBus::new());
        let bus = DetachedBus::new(inner.clone(), 16, 1);
        let mut sub = bus.subscribe(EventFilter::all()).await.unwrap();
        for n in 1..=5 {
            bus.publish(ChangeEvent::items("u@x", DataClass::Mail, "1", n))
                .await
                .unwrap();
        }
        for n in 1..=5 {
            assert_eq!(sub.recv().await.unwrap().counter, n);
        }
    }

    #[tokio::test]
    async fn a_stuck_bus_never_blocks_the_publisher_and_a_full_queue_is_reported() {
        let bus = DetachedBus::new(Arc::new(Stuck), 2, 1);
        let mut results = Vec::new();
        for n in 1..=4 {
            results.push(
                bus.publish(ChangeEvent::items("u@x", DataClass::Mail, "1", n))
                    .await,
            );
        }
        // One is in flight (stuck), two wait in the queue, the fourth is refused.
        tokio::task::yield_now().await;
        let refused = results.iter().filter(|r| r.is_err()).count();
        assert!(refused >= 1, "{results:?}");
        assert!(matches!(results[3], Err(BusError::Transport(_))));
    }

    /// A bus whose publishes take a while, counting what arrived.
    struct Slow {
        delay: Duration,
        published: AtomicU64,
    }

    #[async_trait]
    impl EventBus for Slow {
        async fn publish(&self, _event: ChangeEvent) -> Result<(), BusError> {
            tokio::time::sleep(self.delay).await;
            self.published.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }

        async fn subscribe(&self, _filter: EventFilter) -> Result<Subscription, BusError> {
            Err(BusError::Closed)
        }
    }

    #[tokio::test]
    async fn drain_waits_for_every_queued_event_and_refuses_new_ones() {
        let slow = Arc::new(Slow {
            delay: Duration::from_millis(20),
            published: AtomicU64::new(0),
        });
        let bus = DetachedBus::new(slow.clone(), 16, 2);
        for n in 1..=6 {
            bus.publish(ChangeEvent::items("u@x", DataClass::Mail, "1", n))
                .await
                .unwrap();
        }
        assert_eq!(bus.drain(Duration::from_secs(5)).await, 0);
        assert_eq!(slow.published.load(Ordering::SeqCst), 6);
        let late = bus
            .publish(ChangeEvent::items("u@x", DataClass::Mail, "1", 7))
            .await;
        assert!(matches!(late, Err(BusError::Closed)), "{late:?}");
        // An idle bus drains at once.
        assert_eq!(bus.drain(Duration::from_millis(1)).await, 0);
    }

    #[tokio::test]
    async fn drain_gives_up_after_its_bound_and_says_how_many_were_left() {
        let bus = DetachedBus::new(Arc::new(Stuck), 16, 1);
        for n in 1..=3 {
            bus.publish(ChangeEvent::items("u@x", DataClass::Mail, "1", n))
                .await
                .unwrap();
        }
        assert_eq!(bus.drain(Duration::from_millis(50)).await, 3);
    }
}
