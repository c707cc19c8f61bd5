//! The calendar service's side of the collection contract (`proto/eas/collections/v1`): the
//! calendars a user sees (their own and those shared with them) and their change logs, as the
//! edge reads every class. The contract itself is answered by `eas_data_service::collections`
//! over this change log.

use eas_data_service::collections::{ChangeLog, Counters};
use eas_rpc::collections::{self as wire};

use crate::error::CalendarError;
use crate::model::{EventId, FolderId};
use crate::service::CalendarService;

use super::{folder, version};

impl ChangeLog for CalendarService {
    const NAME: &'static str = "calendar";
    type FolderId = FolderId;
    type ItemId = EventId;
    type Error = CalendarError;

    fn folder_not_found(id: &str) -> CalendarError {
        CalendarError::FolderNotFound(id.to_owned())
    }

    /// The default Calendar (type 8) and the user-created calendars (type 13), then the
    /// calendars shared with the user: type 13 at the top, with `owner` and `read_only`.
    async fn listed_folders(&self, user: &str) -> Result<wire::FolderList, CalendarError> {
        // The first look creates the account, so a new user's phone sees Calendar.
        self.ensure_account(user).await?;
        let h = self.hierarchy(user).await?;
        Ok(wire::FolderList {
            folders: h.folders.iter().map(folder).collect(),
            hierarchy_counter: h.counter,
        })
    }

    async fn folder_counters(&self, user: &str, id: FolderId) -> Result<Counters, CalendarError> {
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
    ) -> Result<Vec<wire::ItemVersion>, CalendarError> {
        let items = self.changes_since(user, id, after, limit).await?;
        Ok(items.iter().map(version).collect())
    }

    async fn item_versions(
        &self,
        user: &str,
        id: FolderId,
        ids: &[EventId],
    ) -> Result<Vec<wire::ItemVersion>, CalendarError> {
        Ok(self
            .versions(user, id, ids)
            .await?
            .iter()
            .map(version)
            .collect())
    }
}
