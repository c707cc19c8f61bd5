//! A data service's side of the collection contract (`proto/eas/collections/v1`), the one way
//! the edge reads every class: the folders it synchronizes and each folder's change log. A
//! service describes its change log ([`ChangeLog`]); [`CollectionsOf`] answers the contract
//! over it, and [`add_to`] serves that next to the service's own API.

use std::future::Future;
use std::str::FromStr;

use eas_rpc::collections::collections_server::{Collections, CollectionsServer};
use eas_rpc::collections::{self as wire};
use eas_rpc::ServiceError;
use tonic::{Request, Response, Status};

/// A folder's counters as the change log reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// The folder's change counter: the modseq of its latest change.
    pub counter: u64,
    /// Tombstones at or below this modseq may be gone.
    pub purged_through: u64,
}

/// A data service's folders and change logs, as the collection contract reads them.
pub trait ChangeLog: Clone + Send + Sync + 'static {
    /// Names the store in log lines (`contacts`, `calendar`).
    const NAME: &'static str;
    type FolderId: FromStr + Copy + Send + Sync;
    type ItemId: FromStr + Send + Sync;
    type Error: Into<ServiceError> + Send;

    /// The error of a folder id that is none of this service's (NOT_FOUND): ids are opaque
    /// strings to the edge.
    fn folder_not_found(id: &str) -> Self::Error;

    /// The folders the user's phones synchronize, and the hierarchy counter. The first look
    /// creates what a new user starts with, so that their phone sees the default folder.
    fn listed_folders(
        &self,
        user: &str,
    ) -> impl Future<Output = Result<wire::FolderList, Self::Error>> + Send;

    /// The counters of a folder the user sees.
    fn folder_counters(
        &self,
        user: &str,
        folder: Self::FolderId,
    ) -> impl Future<Output = Result<Counters, Self::Error>> + Send;

    /// The folder's change log after `after` (modseq, id in byte order), at most `limit`
    /// versions.
    fn changes_after(
        &self,
        user: &str,
        folder: Self::FolderId,
        after: (u64, &str),
        limit: u32,
    ) -> impl Future<Output = Result<Vec<wire::ItemVersion>, Self::Error>> + Send;

    /// The current versions (tombstones included) of those of `ids` in the folder.
    fn item_versions(
        &self,
        user: &str,
        folder: Self::FolderId,
        ids: &[Self::ItemId],
    ) -> impl Future<Output = Result<Vec<wire::ItemVersion>, Self::Error>> + Send;
}

/// The collection contract answered over a service's [`ChangeLog`].
#[derive(Debug, Clone)]
pub struct CollectionsOf<S>(pub S);

impl<S: ChangeLog> CollectionsOf<S> {
    fn status(e: S::Error) -> Status {
        crate::status(S::NAME, e)
    }

    fn folder_id(s: &str) -> Result<S::FolderId, Status> {
        s.parse().map_err(|_| Self::status(S::folder_not_found(s)))
    }
}

/// `routes` with the collection contract over `service` added: message sizes bounded as every
/// service's, each call run to its end even if the caller goes away (`eas_rpc::detached`).
pub fn add_to<S: ChangeLog>(routes: tonic::service::Routes, service: S) -> tonic::service::Routes {
    let collections = CollectionsServer::new(CollectionsOf(service))
        .max_decoding_message_size(eas_rpc::MAX_REQUEST_BYTES)
        .max_encoding_message_size(eas_rpc::MAX_MESSAGE_BYTES);
    routes.add_service(eas_rpc::detached::Detached(collections))
}

#[tonic::async_trait]
impl<S: ChangeLog> Collections for CollectionsOf<S> {
    async fn list_folders(
        &self,
        r: Request<wire::ListFoldersRequest>,
    ) -> Result<Response<wire::FolderList>, Status> {
        let user = r.into_inner().user;
        let list = self.0.listed_folders(&user).await.map_err(Self::status)?;
        Ok(Response::new(list))
    }

    async fn changes_since(
        &self,
        r: Request<wire::ChangesRequest>,
    ) -> Result<Response<wire::ChangesReply>, Status> {
        let r = r.into_inner();
        let folder = Self::folder_id(&r.folder_id)?;
        let state = (self.0.folder_counters(&r.user, folder).await).map_err(Self::status)?;
        let after = r.after.unwrap_or_default();
        let items = if r.limit == 0 {
            Vec::new()
        } else {
            (self.0)
                .changes_after(&r.user, folder, (after.modseq, &after.id), r.limit)
                .await
                .map_err(Self::status)?
        };
        Ok(Response::new(wire::ChangesReply {
            items,
            counter: state.counter,
            purged_through: state.purged_through,
        }))
    }

    async fn current_versions(
        &self,
        r: Request<wire::CurrentRequest>,
    ) -> Result<Response<wire::ChangesReply>, Status> {
        let r = r.into_inner();
        let folder = Self::folder_id(&r.folder_id)?;
        // Ids that are not this service's item ids cannot be in the folder.
        let ids: Vec<S::ItemId> = r.ids.iter().filter_map(|i| i.parse().ok()).collect();
        let items = (self.0.item_versions(&r.user, folder, &ids).await).map_err(Self::status)?;
        let state = (self.0.folder_counters(&r.user, folder).await).map_err(Self::status)?;
        Ok(Response::new(wire::ChangesReply {
            items,
            counter: state.counter,
            purged_through: state.purged_through,
        }))
    }
}
