//! The contacts service's side of the collection contract against the item source conformance
//! suite (`eas_sync::conformance`): written through `ContactsService`, read over the in-process
//! gRPC channel with the reader the edge uses (`eas_rpc::RemoteFolder`), on SQLite and
//! PostgreSQL.

use async_trait::async_trait;
use eas_contacts::{ContactsService, FolderId, FolderRole};
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::Channel;
use eas_rpc::RemoteFolder;
use eas_sync::conformance::{self, Capabilities, Dates, Failure, Subject, Written};
use eas_sync::ItemSource;

use crate::harness::{backend_tests, contact_json, folder_of};

/// The Contacts folder of a fresh address book, with a folder of its own to move contacts out
/// to and in from.
struct ContactsFolder {
    service: ContactsService,
    user: String,
    folder: FolderId,
    other: FolderId,
    source: RemoteFolder,
    /// Changes made so far, so that each update writes different content.
    edits: std::sync::atomic::AtomicU64,
}

impl ContactsFolder {
    async fn new(
        service: &ContactsService,
        client: CollectionsClient<Channel>,
        user: String,
    ) -> ContactsFolder {
        let folder = folder_of(service, &user, FolderRole::Contacts).await;
        let other = service
            .create_folder(&user, None, "Elsewhere")
            .await
            .unwrap()
            .0
            .id;
        ContactsFolder {
            service: service.clone(),
            source: RemoteFolder::new(client, &user, folder.to_string()),
            user,
            folder,
            other,
            edits: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn next_json(&self) -> String {
        let n = self
            .edits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        contact_json("Conformance", &format!("Edit{n}"), &[])
    }
}

fn written(id: impl ToString, modseq: u64) -> Written {
    Written {
        id: id.to_string(),
        modseq,
        elsewhere: None,
    }
}

fn no_date(date: Option<i64>) -> Result<(), Failure> {
    match date {
        None => Ok(()),
        Some(_) => Err("contacts have no filter date".into()),
    }
}

#[async_trait]
impl Subject for ContactsFolder {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            dates: Dates::Never,
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
        no_date(date)?;
        let w = self
            .service
            .create_contact(&self.user, self.folder, &self.next_json())
            .await?;
        Ok(written(w.id, w.modseq))
    }

    async fn change(&self, id: &str, date: Option<i64>) -> Result<Written, Failure> {
        no_date(date)?;
        let w = self
            .service
            .update_contact(
                &self.user,
                self.folder,
                id.parse()?,
                &self.next_json(),
                None,
            )
            .await?;
        Ok(written(w.id, w.modseq))
    }

    async fn delete(&self, id: &str) -> Result<Written, Failure> {
        let w = self
            .service
            .delete_contact(&self.user, self.folder, id.parse()?)
            .await?;
        Ok(written(w.id, w.modseq))
    }

    async fn move_out(&self, id: &str) -> Result<Written, Failure> {
        let moved = self
            .service
            .move_contact(&self.user, self.folder, id.parse()?, self.other)
            .await?;
        Ok(Written {
            elsewhere: Some(moved.item.id.to_string()),
            ..written(moved.tombstone.id, moved.tombstone.modseq)
        })
    }

    async fn move_in(&self, date: Option<i64>) -> Result<Written, Failure> {
        no_date(date)?;
        let there = self
            .service
            .create_contact(&self.user, self.other, &self.next_json())
            .await?;
        let moved = self
            .service
            .move_contact(&self.user, self.other, there.id, self.folder)
            .await?;
        Ok(Written {
            elsewhere: Some(there.id.to_string()),
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
    async fn the_contacts_collections_service_passes_the_item_source_suite(db: &TestDb) {
        let (service, _bus) = db.service().await;
        let channel = eas_rpc::in_process::routes_channel(service.clone().into_routes())
            .await
            .unwrap();
        let client = eas_rpc::collections_client(channel);
        let reports = conformance::check_seeds(|seed| {
            let (service, client) = (service.clone(), client.clone());
            async move { ContactsFolder::new(&service, client, format!("seed{seed}@example.loc")).await }
        })
        .await
        .unwrap_or_else(|m| panic!("{m}"));
        // Contact ids are shared by every address book of the database: the later histories
        // run on ids of two and three digits, where byte order and numeric order part.
        assert!(reports.iter().all(|r| r.tie_probes > 0), "{reports:?}");
        assert!(reports.iter().any(|r| r.purges > 0), "{reports:?}");
    }
}
