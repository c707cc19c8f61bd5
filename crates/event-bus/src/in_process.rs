//! The embedded bus: one tokio broadcast channel shared by every publisher and subscriber of
//! the one-process server.

use async_trait::async_trait;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::bus::{BusError, EventBus, EventFilter, Subscription};
use crate::event::ChangeEvent;

/// Events buffered per subscriber before the slowest one starts to lag.
pub const DEFAULT_CAPACITY: usize = 4096;

/// In-process [`EventBus`] on a tokio broadcast channel. Cheap to clone; clones share the
/// channel. A subscriber that falls more than the capacity behind gets `Err(Lagged(n))` and
/// then the newest events, never a blocked publisher.
#[derive(Debug, Clone)]
pub struct InProcessBus {
    sender: broadcast::Sender<ChangeEvent>,
}

impl InProcessBus {
    pub fn new() -> Self {
        InProcessBus::with_capacity(DEFAULT_CAPACITY)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        InProcessBus { sender }
    }

    /// Number of live subscriptions.
    pub fn subscriber_count(&self) -> usize {
        self.sender.receiver_count()
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        InProcessBus::new()
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, event: ChangeEvent) -> Result<(), BusError> {
        // `send` fails only when nobody listens, which is not an error for a bus.
        let _ = self.sender.send(event);
        Ok(())
    }

    async fn subscribe(&self, filter: EventFilter) -> Result<Subscription, BusError> {
        let receiver = self.sender.subscribe();
        let stream =
            futures::stream::unfold((receiver, filter), |(mut receiver, filter)| async move {
                loop {
                    match receiver.recv().await {
                        Ok(event) if filter.matches(&event) => {
                            return Some((Ok(event), (receiver, filter)))
                        }
                        Ok(_) => continue,
                        Err(RecvError::Lagged(n)) => {
                            tracing::warn!(dropped = n, "event subscriber lagged");
                            return Some((Err(BusError::Lagged(n)), (receiver, filter)));
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            });
        Ok(Subscription::new(stream))
    }
}
