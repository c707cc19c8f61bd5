//! Test backends: a fresh SQLite file or a fresh PostgreSQL database per test, the macro that
//! runs each test against both, a gRPC client over an in-process channel, and sample contacts.

use std::sync::Arc;

use eas_contacts::{ContactsOptions, ContactsService, ContactsStore, FolderId, FolderRole};
use eas_contacts_model::{stored, Contact};
use eas_event_bus::{EventBus, EventFilter, InProcessBus, Subscription};
use eas_rpc::contacts::contacts_client::ContactsClient;
use eas_rpc::Channel;

pub const USER: &str = "jdoe@example.loc";

/// A throwaway database (`eas_test_db`) with this suite's ways to open it.
pub struct TestDb(eas_test_db::TestDb);

impl std::ops::Deref for TestDb {
    type Target = eas_test_db::TestDb;

    fn deref(&self) -> &eas_test_db::TestDb {
        &self.0
    }
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        TestDb(eas_test_db::TestDb::sqlite("contacts.db").await)
    }

    /// Fails (never skips) when PostgreSQL is not reachable.
    pub async fn postgres() -> TestDb {
        TestDb(eas_test_db::TestDb::postgres("eas_contacts_test").await)
    }

    pub async fn store(&self) -> ContactsStore {
        let options = ContactsOptions {
            max_connections: 4,
            postgres_schema: None,
        };
        ContactsStore::connect(self.url(), &options)
            .await
            .expect("connect contacts store")
    }

    /// The service over a fresh store, and its bus.
    pub async fn service(&self) -> (ContactsService, InProcessBus) {
        let bus = InProcessBus::new();
        let service = ContactsService::new(self.store().await, Arc::new(bus.clone()));
        (service, bus)
    }

    /// The service with `USER`'s address book, and a subscription to its events from then on.
    pub async fn book(&self) -> (ContactsService, Subscription) {
        let (service, bus) = self.service().await;
        service.ensure_book(USER).await.expect("address book");
        let events = bus.subscribe(EventFilter::all()).await.expect("subscribe");
        (service, events)
    }

    /// A gRPC client of the service's routes over an in-process channel, as the one-process
    /// server connects the edge; and the service itself.
    pub async fn client(&self) -> (ContactsClient<Channel>, ContactsService) {
        let (service, _bus) = self.service().await;
        let channel = eas_rpc::in_process::routes_channel(service.clone().into_routes())
            .await
            .expect("in-process channel");
        (eas_rpc::contacts_client(channel), service)
    }
}

/// Runs each `async fn name(db: &TestDb)` once on SQLite and once on PostgreSQL.
macro_rules! backend_tests {
    ($($tests:tt)*) => {
        eas_test_db::backend_tests!($crate::harness::TestDb; $($tests)*);
    };
}
pub(crate) use backend_tests;

/// The user's folder with this role.
pub async fn folder_of(service: &ContactsService, user: &str, role: FolderRole) -> FolderId {
    service.ensure_book(user).await.expect("book");
    service
        .hierarchy(user)
        .await
        .expect("hierarchy")
        .folders
        .iter()
        .find(|f| f.role == role)
        .expect("folder of role")
        .id
}

/// The stored form of a contact with these names and addresses.
pub fn contact_json(first: &str, last: &str, emails: &[&str]) -> String {
    let mut c = Contact {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        ..Contact::default()
    };
    let slots = [
        &mut c.email1_address,
        &mut c.email2_address,
        &mut c.email3_address,
    ];
    for (slot, e) in slots.into_iter().zip(emails) {
        *slot = Some((*e).into());
    }
    stored::to_json(&c)
}

/// The next event, or a panic after the suite's patience runs out (an event is published right
/// after the write returns, so it is already queued).
pub async fn next_event(events: &mut Subscription) -> eas_event_bus::ChangeEvent {
    tokio::time::timeout(std::time::Duration::from_secs(10), events.recv())
        .await
        .expect("an event")
        .expect("event bus open")
}
