//! The contacts service's side of the collection contract (`proto/eas/collections/v1`): the
//! synchronized contact folders and their change logs, as the edge reads every class. The
//! contract itself is answered by `eas_data_service::collections` over this change log.

use eas_data_service::collections::{ChangeLog, Counters};
use eas_rpc::collections::{self as wire};

use crate::error::ContactsError;
use crate::model::{ContactId, FolderId};
use crate::service::ContactsService;

use super::{folder, version};

impl ChangeLog for ContactsService {
    const NAME: &'static str = "contacts";
    type FolderId = FolderId;
    type ItemId = ContactId;
    type Error = ContactsError;

    fn folder_not_found(id: &str) -> ContactsError {
        ContactsError::FolderNotFound(id.to_owned())
    }

    /// The default Contacts folder (type 9) and the user-created ones (type 14); the collected
    /// contacts are searchable, not synchronized, and not listed.
    async fn listed_folders(&self, user: &str) -> Result<wire::FolderList, ContactsError> {
        // The first look creates the address book, so a new user's phone sees Contacts.
        self.ensure_book(user).await?;
        let h = self.hierarchy(user).await?;
        Ok(wire::FolderList {
            folders: h
                .folders
                .iter()
                .filter(|f| f.role.synchronized())
                .map(folder)
                .collect(),
            hierarchy_counter: h.counter,
        })
    }

    async fn folder_counters(&self, user: &str, id: FolderId) -> Result<Counters, ContactsError> {
        let state = self.folder_state(user, id).await?;
        Ok(Counters {
            counter: state.counter,
            purged_through: state.purged_through,
        })
    }

    async fn changes_after(
        &self,
        user: &str,
        id: FolderId,
        after: (u64, &str),
        limit: u32,
    ) -> Result<Vec<wire::ItemVersion>, ContactsError> {
        let items = self.changes_since(user, id, after, limit).await?;
        Ok(items.iter().map(version).collect())
    }

    async fn item_versions(
        &self,
        user: &str,
        id: FolderId,
        ids: &[ContactId],
    ) -> Result<Vec<wire::ItemVersion>, ContactsError> {
        Ok(self
            .versions(user, id, ids)
            .await?
            .iter()
            .map(version)
            .collect())
    }
}
