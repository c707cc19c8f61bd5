//! Test backends: a fresh SQLite file or a fresh PostgreSQL database per test, the macro that
//! runs each test against both, gRPC clients over an in-process channel, and sample events.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use eas_calendar::{CalendarOptions, CalendarService, CalendarStore, FolderId, FolderRole};
use eas_calendar_model::{stored, Event, When};
use eas_event_bus::{ChangeEvent, EventBus, EventFilter, InProcessBus, Subscription};
use eas_rpc::calendar::calendar_client::CalendarClient;
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::{Channel, ServiceError, ServiceErrorCode};

pub const USER: &str = "jdoe@example.loc";
pub const OTHER: &str = "asmith@example.loc";

/// A throwaway database (`eas_test_db`) with this suite's ways to open it.
pub struct TestDb(eas_test_db::TestDb);

impl std::ops::Deref for TestDb {
    type Target = eas_test_db::TestDb;

    fn deref(&self) -> &eas_test_db::TestDb {
        &self.0
    }
}

/// The service over one store, its bus, and both its gRPC faces over one in-process channel,
/// as the one-process server connects the edge.
pub struct Wired {
    pub service: CalendarService,
    pub bus: InProcessBus,
    pub calendar: CalendarClient<Channel>,
    pub collections: CollectionsClient<Channel>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        TestDb(eas_test_db::TestDb::sqlite("calendar.db").await)
    }

    /// Fails (never skips) when PostgreSQL is not reachable.
    pub async fn postgres() -> TestDb {
        TestDb(eas_test_db::TestDb::postgres("eas_calendar_test").await)
    }

    pub async fn store(&self) -> CalendarStore {
        let options = CalendarOptions {
            max_connections: 4,
            ..CalendarOptions::default()
        };
        CalendarStore::connect(self.url(), &options)
            .await
            .expect("connect calendar store")
    }

    /// The service over a fresh store, and its bus.
    pub async fn service(&self) -> (CalendarService, InProcessBus) {
        let bus = InProcessBus::new();
        let service = CalendarService::new(self.store().await, Arc::new(bus.clone()));
        (service, bus)
    }

    /// The service with `USER`'s calendars, and a subscription to every event from then on.
    pub async fn account(&self) -> (CalendarService, Subscription) {
        let (service, bus) = self.service().await;
        service.ensure_account(USER).await.expect("account");
        let events = bus.subscribe(EventFilter::all()).await.expect("subscribe");
        (service, events)
    }

    pub async fn wired(&self) -> Wired {
        let (service, bus) = self.service().await;
        let channel = eas_rpc::in_process::routes_channel(service.clone().into_routes())
            .await
            .expect("in-process channel");
        Wired {
            service,
            bus,
            calendar: eas_rpc::calendar_client(channel.clone()),
            collections: eas_rpc::collections_client(channel),
        }
    }
}

/// Runs each `async fn name(db: &TestDb)` once on SQLite and once on PostgreSQL.
macro_rules! backend_tests {
    ($($tests:tt)*) => {
        eas_test_db::backend_tests!($crate::harness::TestDb; $($tests)*);
    };
}
pub(crate) use backend_tests;

/// The user's default Calendar.
pub async fn calendar_of(service: &CalendarService, user: &str) -> FolderId {
    service.ensure_account(user).await.expect("account");
    service
        .hierarchy(user)
        .await
        .expect("hierarchy")
        .folders
        .iter()
        .find(|f| f.shared.is_none() && f.role == FolderRole::Calendar)
        .expect("default calendar")
        .id
}

pub fn at(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).expect("instant in range")
}

/// A single event from `start` to `end` (unix seconds) with this subject.
pub fn event(subject: &str, start: i64, end: i64) -> Event {
    let mut e = Event::new(When::timed(at(start), at(end)).expect("end after start"));
    e.subject = Some(subject.to_owned());
    e
}

/// The stored form of [`event`].
pub fn event_json(subject: &str, start: i64, end: i64) -> String {
    stored::to_json(&event(subject, start, end))
}

/// The event a stored JSON text holds.
pub fn read(json: &str) -> Event {
    stored::from_json(json).expect("stored event")
}

/// The code a call failed with, as the edge decodes it.
pub fn code<T: std::fmt::Debug>(r: Result<tonic::Response<T>, tonic::Status>) -> ServiceErrorCode {
    match r {
        Ok(answer) => panic!("expected an error, got {answer:?}"),
        Err(status) => ServiceError::from_status(&status).code,
    }
}

/// The next event, or a panic after the suite's patience runs out (an event is published right
/// after the write returns, so it is already queued).
pub async fn next_event(events: &mut Subscription) -> ChangeEvent {
    tokio::time::timeout(std::time::Duration::from_secs(10), events.recv())
        .await
        .expect("an event")
        .expect("event bus open")
}

/// No event within a short while: what a refused write publishes.
pub async fn no_event(events: &mut Subscription) {
    if let Ok(event) =
        tokio::time::timeout(std::time::Duration::from_millis(200), events.recv()).await
    {
        panic!("unexpected event {event:?}");
    }
}
