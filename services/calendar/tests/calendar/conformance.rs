//! The calendar service's side of the collection contract against the item source conformance
//! suite (`eas_sync::conformance`): written through `CalendarService`, read over the in-process
//! gRPC channel with the reader the edge uses (`eas_rpc::RemoteFolder`), on SQLite and
//! PostgreSQL. Dates are editable: an event's date is the end of its last occurrence, and a
//! series without end has none.

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use eas_calendar::{CalendarService, FolderId};
use eas_calendar_model::{stored, Pattern, Recurrence};
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::{Channel, RemoteFolder};
use eas_sync::conformance::{self, Capabilities, Dates, Failure, Subject, Written};
use eas_sync::ItemSource;

use crate::harness::{backend_tests, calendar_of, event};

/// The default Calendar of a fresh account, with a calendar of its own to move events out to
/// and in from.
struct CalendarFolder {
    service: CalendarService,
    user: String,
    folder: FolderId,
    other: FolderId,
    source: RemoteFolder,
    /// Changes made so far, so that each write has different content.
    edits: AtomicU64,
}

impl CalendarFolder {
    async fn new(
        service: &CalendarService,
        client: CollectionsClient<Channel>,
        user: String,
    ) -> CalendarFolder {
        let folder = calendar_of(service, &user).await;
        let other = service
            .create_folder(&user, None, "Elsewhere")
            .await
            .unwrap()
            .0
            .id;
        CalendarFolder {
            service: service.clone(),
            source: RemoteFolder::new(client, &user, folder.to_string()),
            user,
            folder,
            other,
            edits: AtomicU64::new(0),
        }
    }

    /// An event whose last occurrence ends at `date`, or a daily series without end (no date).
    fn json(&self, date: Option<i64>) -> String {
        let n = self.edits.fetch_add(1, Ordering::Relaxed);
        let subject = format!("Edit {n}");
        let e = match date {
            Some(end) => event(&subject, end - 1800, end),
            None => {
                let mut e = event(&subject, 1_600_000_000, 1_600_001_800);
                e.recurrence = Some(Recurrence::new(Pattern::Daily));
                e
            }
        };
        stored::to_json(&e)
    }
}

fn written(id: impl ToString, modseq: u64) -> Written {
    Written {
        id: id.to_string(),
        modseq,
        elsewhere: None,
    }
}

#[async_trait]
impl Subject for CalendarFolder {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            dates: Dates::Editable,
            moves: true,
            clear: false,
            purge: true,
        }
    }

    fn source(&self) -> &dyn ItemSource {
        &self.source
    }

    async fn counter(&self) -> Result<u64, Failure> {
        Ok(self.source.counter().await?)
    }

    async fn add(&self, date: Option<i64>) -> Result<Written, Failure> {
        let c = self
            .service
            .create_event(&self.user, self.folder, &self.json(date), "")
            .await?;
        Ok(written(c.event.id, c.event.modseq))
    }

    async fn change(&self, id: &str, date: Option<i64>) -> Result<Written, Failure> {
        let w = self
            .service
            .update_event(&self.user, self.folder, id.parse()?, &self.json(date), None)
            .await?;
        Ok(written(w.id, w.modseq))
    }

    async fn delete(&self, id: &str) -> Result<Written, Failure> {
        let w = self
            .service
            .delete_event(&self.user, self.folder, id.parse()?)
            .await?;
        Ok(written(w.id, w.modseq))
    }

    async fn move_out(&self, id: &str) -> Result<Written, Failure> {
        let moved = self
            .service
            .move_event(&self.user, self.folder, id.parse()?, self.other)
            .await?;
        Ok(Written {
            elsewhere: Some(moved.item.id.to_string()),
            ..written(moved.tombstone.id, moved.tombstone.modseq)
        })
    }

    async fn move_in(&self, date: Option<i64>) -> Result<Written, Failure> {
        let there = self
            .service
            .create_event(&self.user, self.other, &self.json(date), "")
            .await?;
        let moved = self
            .service
            .move_event(&self.user, self.other, there.event.id, self.folder)
            .await?;
        Ok(Written {
            elsewhere: Some(there.event.id.to_string()),
            ..written(moved.item.id, moved.item.modseq)
        })
    }

    async fn purge(&self, through: u64) -> Result<(), Failure> {
        self.service
            .purge_tombstones(&self.user, self.folder, through)
            .await?;
        Ok(())
    }
}

backend_tests! {
    async fn the_calendar_collections_service_passes_the_item_source_suite(db: &TestDb) {
        let (service, _bus) = db.service().await;
        let channel = eas_rpc::in_process::routes_channel(service.clone().into_routes())
            .await
            .unwrap();
        let client = eas_rpc::collections_client(channel);
        let reports = conformance::check_seeds(|seed| {
            let (service, client) = (service.clone(), client.clone());
            async move { CalendarFolder::new(&service, client, format!("seed{seed}@example.loc")).await }
        })
        .await
        .unwrap_or_else(|m| panic!("{m}"));
        // Event ids are shared by every account of the database: the later histories run on
        // ids of two and three digits, where byte order and numeric order part.
        assert!(reports.iter().all(|r| r.tie_probes > 0), "{reports:?}");
        assert!(reports.iter().any(|r| r.purges > 0), "{reports:?}");
    }
}
