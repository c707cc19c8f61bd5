//! One folder of a data service, read over the collection contract: the sync engine's
//! [`ItemSource`] for every class the edge serves.

use crate::Channel;
use async_trait::async_trait;
use eas_sync::{Cursor, ItemSource, ItemVersion, SourceError};
use tonic::Code;

use crate::collections::collections_client::CollectionsClient;
use crate::collections::{self as wire, ChangesRequest, CurrentRequest};

/// One folder of one user in a data service that serves `Collections`.
#[derive(Clone)]
pub struct RemoteFolder {
    pub client: CollectionsClient<Channel>,
    pub user: String,
    pub folder_id: String,
}

impl RemoteFolder {
    pub fn new(
        client: CollectionsClient<Channel>,
        user: impl Into<String>,
        folder_id: impl Into<String>,
    ) -> Self {
        RemoteFolder {
            client,
            user: user.into(),
            folder_id: folder_id.into(),
        }
    }

    /// The counter and tombstone horizon of the folder, without any version.
    async fn state(&self) -> Result<wire::ChangesReply, tonic::Status> {
        let mut client = self.client.clone();
        let reply = client
            .changes_since(ChangesRequest {
                user: self.user.clone(),
                folder_id: self.folder_id.clone(),
                after: None,
                limit: 0,
            })
            .await?;
        Ok(reply.into_inner())
    }

    /// The folder's change counter (what Ping compares with a device's cursor).
    pub async fn counter(&self) -> Result<u64, SourceError> {
        Ok(self.state().await.map_err(to_source_error)?.counter)
    }
}

fn to_source_error(s: tonic::Status) -> SourceError {
    match s.code() {
        Code::NotFound => SourceError::FolderNotFound,
        _ => SourceError::Unavailable(s.message().to_owned()),
    }
}

/// The wire form of a version as the engine sees it: a date of 0 is "inside every window".
impl From<wire::ItemVersion> for ItemVersion {
    fn from(v: wire::ItemVersion) -> ItemVersion {
        if v.deleted {
            return ItemVersion::tombstone(v.id, v.modseq);
        }
        let mut version = ItemVersion::live(v.id, v.modseq, (v.date != 0).then_some(v.date));
        version.complete = v.complete;
        version
    }
}

#[async_trait]
impl ItemSource for RemoteFolder {
    async fn changes_after(
        &self,
        cursor: &Cursor,
        limit: usize,
    ) -> Result<Vec<ItemVersion>, SourceError> {
        let mut client = self.client.clone();
        let reply = client
            .changes_since(ChangesRequest {
                user: self.user.clone(),
                folder_id: self.folder_id.clone(),
                after: Some(wire::Cursor {
                    modseq: cursor.modseq,
                    id: cursor.id.clone(),
                }),
                limit: u32::try_from(limit).unwrap_or(u32::MAX),
            })
            .await
            .map_err(to_source_error)?
            .into_inner();
        Ok(reply.items.into_iter().map(ItemVersion::from).collect())
    }

    async fn current(&self, ids: &[String]) -> Result<Vec<ItemVersion>, SourceError> {
        let mut client = self.client.clone();
        let reply = client
            .current_versions(CurrentRequest {
                user: self.user.clone(),
                folder_id: self.folder_id.clone(),
                ids: ids.to_vec(),
            })
            .await
            .map_err(to_source_error)?
            .into_inner();
        Ok(reply.items.into_iter().map(ItemVersion::from).collect())
    }

    async fn purged_through(&self) -> Result<u64, SourceError> {
        Ok(self.state().await.map_err(to_source_error)?.purged_through)
    }
}
