//! The `MailStore` handle: connecting, mailboxes and the folder hierarchy.

use std::sync::Arc;

use eas_event_bus::{ChangeEvent, DataClass, EventBus};

use crate::error::MailError;
use crate::model::{Folder, FolderId, FolderState, Hierarchy};
use crate::options::MailOptions;
use crate::store::{self, Released, Store};

/// Longest folder display name accepted, in characters.
const MAX_FOLDER_NAME: usize = 256;

/// Mail storage over SQLite or PostgreSQL, publishing a change event after every committed
/// write. Cheap to clone; clones share one pool and one bus. Every operation takes the user's
/// canonical address and only ever sees that user's mailbox.
#[derive(Clone)]
pub struct MailStore {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) bus: Arc<dyn EventBus>,
    pub(crate) options: Arc<MailOptions>,
}

impl std::fmt::Debug for MailStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailStore")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl MailStore {
    /// Connects to `sqlite://path`, `sqlite::memory:` or `postgres://...` and runs the
    /// migrations of that backend.
    pub async fn connect(
        url: &str,
        options: MailOptions,
        bus: Arc<dyn EventBus>,
    ) -> Result<Self, MailError> {
        let store = store::open(url, &options).await?;
        tracing::debug!(
            backend = url.split(':').next().unwrap_or_default(),
            schema = options.postgres_schema.as_deref(),
            "mail store connected"
        );
        Ok(MailStore {
            store,
            bus,
            options: Arc::new(options),
        })
    }

    /// Answers when the mail database does (one round trip), for readiness probes.
    pub async fn ping(&self) -> Result<(), MailError> {
        self.store.ping().await
    }

    pub fn options(&self) -> &MailOptions {
        &self.options
    }

    /// Creates the user's mailbox with Inbox, Drafts, Deleted Items, Sent Items and Outbox
    /// unless it exists. Safe to call concurrently; true when this call created it.
    pub async fn ensure_mailbox(&self, user: &str) -> Result<bool, MailError> {
        let user = canonical(user)?;
        let created = self.store.ensure_mailbox(&user).await?;
        if created {
            tracing::info!(user = %user, "mailbox created");
        }
        Ok(created)
    }

    /// Every folder of the mailbox with the hierarchy counter, read in one snapshot.
    pub async fn hierarchy(&self, user: &str) -> Result<Hierarchy, MailError> {
        self.store.hierarchy(&canonical(user)?).await
    }

    /// A folder's counter and tombstone horizon.
    pub async fn folder_state(
        &self,
        user: &str,
        folder: FolderId,
    ) -> Result<FolderState, MailError> {
        self.store.folder_state(&canonical(user)?, folder).await
    }

    /// Creates a user mail folder (type 12) under `parent`, or at the top level.
    pub async fn create_folder(
        &self,
        user: &str,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<Folder, MailError> {
        let user = canonical(user)?;
        let name = folder_name(name)?;
        let (folder, counter) = self.store.create_folder(&user, parent, name).await?;
        tracing::info!(user = %user, folder = %folder.id, "folder created");
        self.hierarchy_changed(&user, folder.id, counter).await;
        Ok(folder)
    }

    /// Renames a user mail folder; the standard folders refuse with `SpecialFolder`.
    pub async fn rename_folder(
        &self,
        user: &str,
        folder: FolderId,
        name: &str,
    ) -> Result<Folder, MailError> {
        self.update_folder(user, folder, None, Some(name)).await
    }

    /// Moves a user mail folder under `parent` (or to the top level with `None`).
    pub async fn move_folder(
        &self,
        user: &str,
        folder: FolderId,
        parent: Option<FolderId>,
    ) -> Result<Folder, MailError> {
        self.update_folder(user, folder, Some(parent), None).await
    }

    /// Renames and/or moves a user mail folder in one hierarchy change (FolderUpdate).
    /// `parent: Some(None)` moves it to the top level; `None` keeps its parent.
    pub async fn update_folder(
        &self,
        user: &str,
        folder: FolderId,
        parent: Option<Option<FolderId>>,
        name: Option<&str>,
    ) -> Result<Folder, MailError> {
        let user = canonical(user)?;
        let name = name.map(folder_name).transpose()?;
        let (updated, counter) = self
            .store
            .update_folder(&user, folder, parent, name)
            .await?;
        tracing::info!(user = %user, folder = %folder, "folder updated");
        self.hierarchy_changed(&user, folder, counter).await;
        Ok(updated)
    }

    /// Deletes a user mail folder with its subfolders and messages; returns the new
    /// hierarchy counter.
    pub async fn delete_folder(&self, user: &str, folder: FolderId) -> Result<u64, MailError> {
        let user = canonical(user)?;
        let (counter, released) = self.store.delete_folder(&user, folder).await?;
        tracing::info!(user = %user, folder = %folder, "folder deleted");
        self.release(released).await;
        self.hierarchy_changed(&user, folder, counter).await;
        Ok(counter)
    }

    /// Removes blobs that the write just committed left unreferenced.
    pub(crate) async fn release(&self, released: Released) {
        if !released.blobs.is_empty() {
            self.store.collect_garbage(&released.blobs).await;
        }
    }

    pub(crate) async fn hierarchy_changed(&self, user: &str, folder: FolderId, counter: u64) {
        let event = ChangeEvent::hierarchy(user, DataClass::Mail, folder.to_string(), counter);
        self.publish(event.stamped()).await;
    }

    pub(crate) async fn items_changed(&self, user: &str, folder: FolderId, counter: u64) {
        let event = ChangeEvent::items(user, DataClass::Mail, folder.to_string(), counter);
        self.publish(event.stamped()).await;
    }

    /// After commit; a failure only delays a wake-up, since the counter already moved. The
    /// event carries the current span (the gRPC call's or the LMTP delivery's) as its trace
    /// context, when tracing is on.
    async fn publish(&self, event: ChangeEvent) {
        let event = event.traced(eas_service_kit::telemetry::current_traceparent());
        if let Err(error) = self.bus.publish(event.clone()).await {
            eas_event_bus::warn_unpublished(&event, &error);
        }
    }
}

/// The mailbox key: the address lowercased. The directory stores addresses lowercase too.
pub(crate) fn canonical(user: &str) -> Result<String, MailError> {
    let user = user.trim();
    match user.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => Ok(user.to_lowercase()),
        _ => Err(MailError::InvalidAddress(user.to_owned())),
    }
}

fn folder_name(name: &str) -> Result<&str, MailError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_FOLDER_NAME
        || name.chars().any(char::is_control)
    {
        return Err(MailError::InvalidFolderName);
    }
    Ok(name)
}
