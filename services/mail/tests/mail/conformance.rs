//! The mail service's side of the collection contract against the item source conformance
//! suite (`eas_sync::conformance`): written through `MailStore`, read over the in-process gRPC
//! channel with the reader the edge uses (`eas_rpc::RemoteFolder`), on SQLite and PostgreSQL.

use async_trait::async_trait;
use eas_mail::grpc::MailService;
use eas_mail::{FolderId, FolderType, MailStore, MessageId};
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::Channel;
use eas_rpc::RemoteFolder;
use eas_sync::conformance::{self, Capabilities, Dates, Failure, Subject, Written};
use eas_sync::ItemSource;

use crate::harness::{backend_tests, test_options, text_mail, user_folder};

/// The Inbox of a fresh mailbox, with a folder of its own to move messages out to and in from.
struct MailInbox {
    store: MailStore,
    user: String,
    inbox: FolderId,
    other: FolderId,
    source: RemoteFolder,
}

impl MailInbox {
    async fn new(store: &MailStore, client: CollectionsClient<Channel>, user: String) -> MailInbox {
        store.ensure_mailbox(&user).await.unwrap();
        let inbox = user_folder(store, &user, FolderType::Inbox).await;
        let other = store
            .create_folder(&user, None, "Elsewhere")
            .await
            .unwrap()
            .id;
        MailInbox {
            store: store.clone(),
            source: RemoteFolder::new(client, &user, inbox.to_string()),
            user,
            inbox,
            other,
        }
    }

    async fn deliver(&self, folder: FolderId, date: Option<i64>) -> Result<MessageId, Failure> {
        let mail = text_mail("conformance", "a message of the suite");
        let received = date.ok_or("mail always has a received time")?;
        let change = self
            .store
            .deliver(&self.user, Some(folder), &mail, received)
            .await?;
        Ok(change.id)
    }
}

fn written(id: MessageId, modseq: u64) -> Written {
    Written {
        id: id.to_string(),
        modseq,
        elsewhere: None,
    }
}

#[async_trait]
impl Subject for MailInbox {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            dates: Dates::Fixed,
            moves: true,
            clear: true,
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
        let id = self.deliver(self.inbox, date).await?;
        let state = self.store.folder_state(&self.user, self.inbox).await?;
        Ok(written(id, state.counter))
    }

    async fn change(&self, id: &str, _date: Option<i64>) -> Result<Written, Failure> {
        let c = self.store.set_read(&self.user, id.parse()?, true).await?;
        Ok(written(c.id, c.modseq))
    }

    async fn delete(&self, id: &str) -> Result<Written, Failure> {
        let c = self.store.delete(&self.user, id.parse()?).await?;
        Ok(written(c.id, c.modseq))
    }

    async fn move_out(&self, id: &str) -> Result<Written, Failure> {
        let moved = self
            .store
            .move_to(&self.user, id.parse()?, self.other)
            .await?;
        Ok(Written {
            elsewhere: Some(moved.item.id.to_string()),
            ..written(moved.tombstone.id, moved.tombstone.modseq)
        })
    }

    async fn move_in(&self, date: Option<i64>) -> Result<Written, Failure> {
        let there = self.deliver(self.other, date).await?;
        let moved = self.store.move_to(&self.user, there, self.inbox).await?;
        Ok(Written {
            elsewhere: Some(there.to_string()),
            ..written(moved.item.id, moved.item.modseq)
        })
    }

    async fn clear(&self) -> Result<u64, Failure> {
        self.store
            .empty_folder(&self.user, self.inbox, false)
            .await?;
        Ok(self
            .store
            .folder_state(&self.user, self.inbox)
            .await?
            .counter)
    }

    async fn purge(&self, through: u64) -> Result<(), Failure> {
        let below = through
            .checked_add(1)
            .ok_or("purge through the last modseq")?;
        self.store
            .purge_tombstones(&self.user, self.inbox, below)
            .await?;
        Ok(())
    }
}

backend_tests! {
    async fn the_mail_collections_service_passes_the_item_source_suite(db: &TestDb) {
        let (store, _bus) = db.store_with(test_options()).await;
        let channel = eas_rpc::in_process::routes_channel(MailService::new(store.clone()).into_routes())
            .await
            .unwrap();
        let client = eas_rpc::collections_client(channel);
        let reports = conformance::check_seeds(|seed| {
            let (store, client) = (store.clone(), client.clone());
            async move { MailInbox::new(&store, client, format!("seed{seed}@example.loc")).await }
        })
        .await
        .unwrap_or_else(|m| panic!("{m}"));
        // Message ids are shared by every mailbox of the database: the later histories run on
        // ids of two and three digits, where byte order and numeric order part.
        assert!(reports.iter().all(|r| r.clears > 0 && r.tie_probes > 0), "{reports:?}");
    }
}
