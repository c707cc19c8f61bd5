//! The event-bus seam: publish after commit, subscribe to a stream of events.

use std::pin::Pin;
use std::task::{Context, Poll};

use async_trait::async_trait;
use futures::stream::{BoxStream, Stream, StreamExt};

use crate::event::{ChangeEvent, DataClass};

/// Failure of the bus itself. Publishers log it and carry on: the folder counter already
/// moved, so a phone still sees the change at its next Ping or Sync.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    /// The subscriber fell behind and this many events were dropped for it. It should treat
    /// every folder it watches as possibly changed. 0: an unknown number, possibly none (the
    /// Kafka bus after a consumer-group rebalance or a consumer error).
    #[error("subscriber lagged, {0} events dropped")]
    Lagged(u64),
    /// The bus is shut down.
    #[error("event bus closed")]
    Closed,
    /// The transport (Kafka, ...) failed.
    #[error("event bus transport error: {0}")]
    Transport(String),
}

/// Logs an event that could not be published, once, the same way everywhere.
pub fn warn_unpublished(event: &ChangeEvent, error: &BusError) {
    tracing::warn!(
        user = %event.user,
        folder = %event.folder_id,
        counter = event.counter,
        %error,
        "change event not published"
    );
}

/// Which events a subscriber wants; the default wants every event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events of this user (canonical address).
    pub user: Option<String>,
    /// Only events of this data class.
    pub class: Option<DataClass>,
}

impl EventFilter {
    pub fn all() -> Self {
        EventFilter::default()
    }

    pub fn user(user: impl Into<String>) -> Self {
        EventFilter {
            user: Some(user.into()),
            class: None,
        }
    }

    pub fn matches(&self, event: &ChangeEvent) -> bool {
        self.user.as_deref().is_none_or(|u| u == event.user)
            && self.class.is_none_or(|c| c == event.class)
    }
}

/// Carries change events from the services that write to those that wake phones.
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Sends one event to every current subscriber whose filter matches (on Kafka: to one
    /// subscription of each consumer group). Returns once the bus has accepted it; having no
    /// subscriber is not an error.
    async fn publish(&self, event: ChangeEvent) -> Result<(), BusError>;

    /// Starts receiving the events published from now on that match `filter`.
    async fn subscribe(&self, filter: EventFilter) -> Result<Subscription, BusError>;

    /// What a consumer's spans name as the events' source (the messaging semantic
    /// conventions' system, destination and consumer group); `None` for a bus inside the
    /// process.
    fn messaging(&self) -> Option<Messaging> {
        None
    }
}

/// A bus as the OpenTelemetry messaging semantic conventions name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Messaging {
    /// `messaging.system`, such as `kafka`.
    pub system: &'static str,
    /// `messaging.destination.name`: the topic.
    pub destination: String,
    /// `messaging.consumer.group.name`.
    pub consumer_group: Option<String>,
}

/// The events of one subscriber, as a stream. An `Err(Lagged)` item reports dropped events
/// and the stream goes on; the stream ends when the bus is gone.
pub struct Subscription {
    inner: BoxStream<'static, Result<ChangeEvent, BusError>>,
}

impl Subscription {
    /// Wraps any stream of events; for implementations of [`EventBus`].
    pub fn new(stream: impl Stream<Item = Result<ChangeEvent, BusError>> + Send + 'static) -> Self {
        Subscription {
            inner: stream.boxed(),
        }
    }

    /// The next event; `Err(Closed)` once the bus is gone.
    pub async fn recv(&mut self) -> Result<ChangeEvent, BusError> {
        self.inner.next().await.unwrap_or(Err(BusError::Closed))
    }
}

impl Stream for Subscription {
    type Item = Result<ChangeEvent, BusError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}
