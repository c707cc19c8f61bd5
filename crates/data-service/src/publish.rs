//! The change events a data service publishes after every committed write, so that the held
//! Pings and Syncs of the users concerned wake.

use std::fmt::Display;
use std::sync::Arc;

use eas_event_bus::{ChangeEvent, DataClass, EventBus};

/// Publishes the change events of one data class. Cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    bus: Arc<dyn EventBus>,
    class: DataClass,
}

impl Publisher {
    pub fn new(bus: Arc<dyn EventBus>, class: DataClass) -> Self {
        Publisher { bus, class }
    }

    /// The user's folder hierarchy moved to `counter` (a folder created, renamed, moved or
    /// deleted).
    pub async fn hierarchy_changed(&self, user: &str, folder: impl Display, counter: u64) {
        let event = ChangeEvent::hierarchy(user, self.class, folder.to_string(), counter);
        self.publish(event.stamped()).await;
    }

    /// The items of `folder` changed; its counter is now `counter`.
    pub async fn items_changed(&self, user: &str, folder: impl Display, counter: u64) {
        let event = ChangeEvent::items(user, self.class, folder.to_string(), counter);
        self.publish(event.stamped()).await;
    }

    /// After commit; a failure only delays a wake-up, since the counter already moved. The
    /// event carries the current span (the gRPC call's) as its trace context, when tracing is on.
    async fn publish(&self, event: ChangeEvent) {
        let event = event.traced(eas_service_kit::telemetry::current_traceparent());
        if let Err(error) = self.bus.publish(event.clone()).await {
            eas_event_bus::warn_unpublished(&event, &error);
        }
    }
}
