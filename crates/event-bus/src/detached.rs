//! Publishing without waiting: a queue in front of a slow or unreachable bus.
//!
//! A data service publishes after every committed write. When the bus is Kafka and Kafka is
//! down, waiting for each acknowledgement would stall every write (an LMTP delivery, a phone
//! marking mail read) for the bus timeout. [`DetachedBus`] accepts the event into a bounded queue
//! and returns; a background task publishes with limited concurrency. When the queue is full the
//! event is dropped and reported: events are hints, the folder counter already moved, and a
//! held Ping or the phone's next Sync still sees the change.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::bus::{warn_unpublished, BusError, EventBus, EventFilter, Subscription};
use crate::event::ChangeEvent;

/// A bus whose `publish` only queues; see the module documentation.
pub struct DetachedBus {
    inner: Arc<dyn EventBus>,
    queue: mpsc::Sender<ChangeEvent>,
    failed: Arc<AtomicU64>,
}

impl DetachedBus {
    /// Publishes to `inner` from a background task, at most `concurrency` events at a time,
    /// with up to `capacity` events waiting. Needs a tokio runtime.
    pub fn new(inner: Arc<dyn EventBus>, capacity: usize, concurrency: usize) -> DetachedBus {
        let (tx, rx) = mpsc::channel::<ChangeEvent>(capacity.max(1));
        let failed = Arc::new(AtomicU64::new(0));
        let target = inner.clone();
        let failures = failed.clone();
        tokio::spawn(
            tokio_stream_from(rx).for_each_concurrent(concurrency.max(1), move |event| {
                let target = target.clone();
                let failures = failures.clone();
                async move {
                    if let Err(error) = target.publish(event.clone()).await {
                        failures.fetch_add(1, Ordering::Relaxed);
                        warn_unpublished(&event, &error);
                    }
                }
            }),
        );
        DetachedBus {
            inner,
            queue: tx,
            failed,
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
    /// Queues the event; `Transport` when the queue is full (the event is not published).
    async fn publish(&self, event: ChangeEvent) -> Result<(), BusError> {
        self.queue.try_send(event).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                BusError::Transport("publish queue full; event dropped".into())
            }
            mpsc::error::TrySendError::Closed(_) => BusError::Closed,
        })
    }

    async fn subscribe(&self, filter: EventFilter) -> Result<Subscription, BusError> {
        self.inner.subscribe(filter).await
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
}
