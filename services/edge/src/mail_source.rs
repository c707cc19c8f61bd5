//! The mail service as the sync engine sees one folder: an `ItemSource` over the gRPC client.

use async_trait::async_trait;
use eas_rpc::mail::mail_client::MailClient;
use eas_rpc::mail::{
    ChangesRequest, CurrentRequest, Cursor as WireCursor, ItemVersion as WireVersion,
};
use eas_sync::{Cursor, ItemSource, ItemVersion, SourceError};
use tonic::transport::Channel;
use tonic::Code;

/// One folder of one user in the mail service.
pub struct MailFolderSource {
    pub client: MailClient<Channel>,
    pub user: String,
    pub folder_id: String,
}

fn to_source_error(s: tonic::Status) -> SourceError {
    match s.code() {
        Code::NotFound => SourceError::FolderNotFound,
        _ => SourceError::Unavailable(s.message().to_owned()),
    }
}

fn from_wire(v: WireVersion) -> ItemVersion {
    let date = (v.date != 0).then_some(v.date);
    if v.deleted {
        ItemVersion::tombstone(v.id, v.modseq)
    } else {
        ItemVersion::live(v.id, v.modseq, date)
    }
}

#[async_trait]
impl ItemSource for MailFolderSource {
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
                after: Some(WireCursor {
                    modseq: cursor.modseq,
                    id: cursor.id.clone(),
                }),
                limit: u32::try_from(limit).unwrap_or(u32::MAX),
            })
            .await
            .map_err(to_source_error)?
            .into_inner();
        Ok(reply.items.into_iter().map(from_wire).collect())
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
        Ok(reply.items.into_iter().map(from_wire).collect())
    }

    async fn purged_through(&self) -> Result<u64, SourceError> {
        let mut client = self.client.clone();
        let reply = client
            .changes_since(ChangesRequest {
                user: self.user.clone(),
                folder_id: self.folder_id.clone(),
                after: Some(WireCursor {
                    modseq: u64::MAX,
                    id: String::new(),
                }),
                limit: 0,
            })
            .await
            .map_err(to_source_error)?
            .into_inner();
        Ok(reply.purged_through)
    }
}
