//! The calendar service's side of the collection contract (`proto/eas/collections/v1`): the
//! calendars a user sees (their own and those shared with them) and their change logs, as the
//! edge reads every class.

use eas_rpc::collections::collections_server::Collections;
use eas_rpc::collections::{self as wire};
use tonic::{Request, Response, Status};

use crate::model::EventId;
use crate::service::CalendarService;

use super::{folder, folder_id, status, version};

#[tonic::async_trait]
impl Collections for CalendarService {
    /// The default Calendar (type 8) and the user-created calendars (type 13), then the
    /// calendars shared with the user: type 13 at the top, with `owner` and `read_only`.
    async fn list_folders(
        &self,
        r: Request<wire::ListFoldersRequest>,
    ) -> Result<Response<wire::FolderList>, Status> {
        let user = r.into_inner().user;
        // The first look creates the account, so a new user's phone sees Calendar.
        self.ensure_account(&user).await.map_err(status)?;
        let h = self.hierarchy(&user).await.map_err(status)?;
        Ok(Response::new(wire::FolderList {
            folders: h.folders.iter().map(folder).collect(),
            hierarchy_counter: h.counter,
        }))
    }

    async fn changes_since(
        &self,
        r: Request<wire::ChangesRequest>,
    ) -> Result<Response<wire::ChangesReply>, Status> {
        let r = r.into_inner();
        let folder = folder_id(&r.folder_id)?;
        let state = self.folder_state(&r.user, folder).await.map_err(status)?;
        let after = r.after.unwrap_or_default();
        let items = if r.limit == 0 {
            Vec::new()
        } else {
            self.changes_since(&r.user, folder, (after.modseq, &after.id), r.limit)
                .await
                .map_err(status)?
        };
        Ok(Response::new(wire::ChangesReply {
            items: items.iter().map(version).collect(),
            counter: state.counter,
            purged_through: state.purged_through,
        }))
    }

    async fn current_versions(
        &self,
        r: Request<wire::CurrentRequest>,
    ) -> Result<Response<wire::ChangesReply>, Status> {
        let r = r.into_inner();
        let folder = folder_id(&r.folder_id)?;
        // Ids that are not event ids cannot be in the calendar.
        let ids: Vec<EventId> = r.ids.iter().filter_map(|i| i.parse().ok()).collect();
        let items = self.versions(&r.user, folder, &ids).await.map_err(status)?;
        let state = self.folder_state(&r.user, folder).await.map_err(status)?;
        Ok(Response::new(wire::ChangesReply {
            items: items.iter().map(version).collect(),
            counter: state.counter,
            purged_through: state.purged_through,
        }))
    }
}
