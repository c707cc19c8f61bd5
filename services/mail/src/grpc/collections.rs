//! The mail service's side of the collection contract (`proto/eas/collections/v1`): mail
//! folders and their change logs, as the edge reads every class.

use eas_rpc::collections::collections_server::Collections;
use eas_rpc::collections::{self as wire};
use tonic::{Request, Response, Status};

use crate::model::{FolderId, MessageId};

use super::convert::{folder, version};
use super::{status, MailService};

/// A folder id of this user, or NOT_FOUND: the contract's ids are opaque strings, and one that
/// is not a mail folder id names no folder.
fn folder_id(s: &str) -> Result<FolderId, Status> {
    s.parse()
        .map_err(|_| Status::not_found(format!("no folder {s:?}")))
}

#[tonic::async_trait]
impl Collections for MailService {
    async fn list_folders(
        &self,
        r: Request<wire::ListFoldersRequest>,
    ) -> Result<Response<wire::FolderList>, Status> {
        let user = r.into_inner().user;
        // The first look at a mailbox creates it, so a new user's phone sees the standard folders.
        self.store.ensure_mailbox(&user).await.map_err(status)?;
        let h = self.store.hierarchy(&user).await.map_err(status)?;
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
        let state = self
            .store
            .folder_state(&r.user, folder)
            .await
            .map_err(status)?;
        let after = r.after.unwrap_or_default();
        let items = if r.limit == 0 {
            Vec::new()
        } else {
            self.store
                .changes_since(&r.user, folder, (after.modseq, &after.id), r.limit)
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
        // Ids that are not message ids cannot be in the folder.
        let ids: Vec<MessageId> = r.ids.iter().filter_map(|i| i.parse().ok()).collect();
        let items = self
            .store
            .versions(&r.user, folder, &ids)
            .await
            .map_err(status)?;
        let state = self
            .store
            .folder_state(&r.user, folder)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::ChangesReply {
            items: items.iter().map(version).collect(),
            counter: state.counter,
            purged_through: state.purged_through,
        }))
    }
}
