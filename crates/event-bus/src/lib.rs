//! Change events between services: what changed for whom, and the bus that carries it.
//!
//! A service that owns data (mail, calendar, contacts) publishes a [`ChangeEvent`] after each
//! write commits; the push service subscribes and wakes the phones of that user. The event is
//! only a hint: the folder counter it carries is the truth, so a lost event delays a wake-up but
//! never loses a change (the phone's next Ping or Sync sees the counter moved).
//!
//! [`EventBus`] is the seam: [`InProcessBus`] (tokio broadcast) serves the one-process server;
//! `kafka::KafkaBus` (cargo feature `kafka`) carries the same events on a Kafka topic keyed by
//! [`ChangeEvent::key`] between the processes of the cluster (`docs/event-bus.md`).
//!
//! An event carries the trace context of the write that caused it ([`ChangeEvent::traceparent`]):
//! the in-process bus hands it over with the event, the Kafka bus sends it as the record's
//! `traceparent` header from a producer span of its own.

mod bus;
mod detached;
mod event;
mod in_process;
#[cfg(feature = "kafka")]
pub mod kafka;

pub use bus::{warn_unpublished, BusError, EventBus, EventFilter, Messaging, Subscription};
pub use detached::DetachedBus;
pub use event::{ChangeEvent, DataClass, UnknownDataClass};
pub use in_process::InProcessBus;
