//! Where the folder hierarchy comes from: the data services own their folders, the edge lists them.

use std::collections::HashMap;

use async_trait::async_trait;
use eas_protocol::folder_sync::Folder as FolderEntry;
use eas_protocol::folder_type::FolderType;
use eas_protocol::status::SyncStatus;
use eas_protocol::sync::{ClientCommand, ItemResponse, SyncCollection};
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::collections::{self as wire, ListFoldersRequest};
use eas_sync::{Cursor, ItemSource, ItemVersion, SourceError};
use tonic::transport::Channel;

use crate::error::EdgeError;
use crate::router::Edge;

/// One folder as FolderSync reports it (MS-ASCMD 2.2.3.186 Type; ParentId "0" is the root).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Folder {
    pub server_id: String,
    pub parent_id: String,
    pub display_name: String,
    pub folder_type: u8,
}

impl Folder {
    /// The folder as the FolderSync response carries it.
    pub fn to_entry(&self) -> FolderEntry {
        FolderEntry {
            server_id: self.server_id.clone(),
            parent_id: self.parent_id.clone(),
            display_name: self.display_name.clone(),
            folder_type: FolderType::from_code(self.folder_type).unwrap_or(FolderType::UserGeneric),
        }
    }
}

/// A source of a user's folders.
#[async_trait]
pub trait FolderSource: Send + Sync + 'static {
    async fn folders(&self, user: &str) -> Result<Vec<Folder>, String>;
}

/// The standard folders every mailbox has, until the mail, calendar and contacts services
/// provide their own. Tasks and Notes are not listed because they are not served.
pub struct StandardFolders;

/// The standard set: server id, display name, type.
const STANDARD: [(&str, &str, FolderType); 7] = [
    ("1", "Inbox", FolderType::Inbox),
    ("2", "Drafts", FolderType::Drafts),
    ("3", "Deleted Items", FolderType::DeletedItems),
    ("4", "Sent Items", FolderType::SentItems),
    ("5", "Outbox", FolderType::Outbox),
    ("6", "Calendar", FolderType::Calendar),
    ("7", "Contacts", FolderType::Contacts),
];

#[async_trait]
impl FolderSource for StandardFolders {
    async fn folders(&self, _user: &str) -> Result<Vec<Folder>, String> {
        Ok(STANDARD
            .iter()
            .map(|(id, name, t)| Folder {
                server_id: (*id).to_owned(),
                parent_id: "0".to_owned(),
                display_name: (*name).to_owned(),
                folder_type: *t as u8,
            })
            .collect())
    }
}

/// Calendar and Contacts until their services exist: listed so that phones see the standard
/// folders (Android and iOS expect both), and served as empty, read-only folders (see
/// [`EmptyFolder`]) so that a Sync of them never answers "hierarchy changed" (status 12) for a
/// folder FolderSync keeps listing, which would send a client into a FolderSync loop.
const PLACEHOLDERS: [(&str, &str, FolderType); 2] = [
    ("calendar", "Calendar", FolderType::Calendar),
    ("contacts", "Contacts", FolderType::Contacts),
];

/// The user's mail folders from the mail service's collection contract, plus the Calendar and
/// Contacts placeholders.
pub struct ServiceFolders {
    pub collections: CollectionsClient<Channel>,
}

#[async_trait]
impl FolderSource for ServiceFolders {
    async fn folders(&self, user: &str) -> Result<Vec<Folder>, String> {
        let list = list(&self.collections, user)
            .await
            .map_err(|s| format!("mail service: {}", s.message()))?;
        let mut out: Vec<Folder> = list
            .into_iter()
            .map(|f| Folder {
                server_id: f.id,
                parent_id: f.parent_id,
                display_name: f.display_name,
                folder_type: u8::try_from(f.folder_type).unwrap_or(1),
            })
            .collect();
        out.extend(PLACEHOLDERS.iter().map(|(id, name, t)| Folder {
            server_id: (*id).to_owned(),
            parent_id: "0".to_owned(),
            display_name: (*name).to_owned(),
            folder_type: *t as u8,
        }));
        Ok(out)
    }
}

/// The folders of `user` in the service behind `client` (Collections.ListFolders).
async fn list(
    client: &CollectionsClient<Channel>,
    user: &str,
) -> Result<Vec<wire::Folder>, tonic::Status> {
    let mut client = client.clone();
    let reply = client
        .list_folders(ListFoldersRequest {
            user: user.to_owned(),
        })
        .await?;
    Ok(reply.into_inner().folders)
}

/// The mail service's collection contract; present whenever the edge serves mail.
pub(crate) fn collections(edge: &Edge) -> Result<CollectionsClient<Channel>, EdgeError> {
    edge.collections
        .clone()
        .ok_or_else(|| EdgeError::Internal("no mail service collections client".into()))
}

/// The user's mail folders by id, for the commands that work on mail items.
pub(crate) async fn list_folders(
    edge: &Edge,
    user: &str,
) -> Result<HashMap<String, wire::Folder>, EdgeError> {
    let folders = list(&collections(edge)?, user)
        .await
        .map_err(EdgeError::from)?;
    Ok(folders.into_iter().map(|f| (f.id.clone(), f)).collect())
}

/// Whether `id` is a folder FolderSync lists but no data service serves yet (Calendar, Contacts).
pub fn is_unserved(id: &str) -> bool {
    PLACEHOLDERS.iter().any(|(p, _, _)| *p == id)
}

/// The change log of a listed folder whose class is not served: it never holds an item. A Sync
/// of it goes through the sync engine like any folder (key 0 gets a key, later keys status 1 and
/// nothing, resends and unknown keys as for mail), GetItemEstimate counts 0 and a held Ping or
/// Sync is never woken by it.
pub struct EmptyFolder;

#[async_trait]
impl ItemSource for EmptyFolder {
    async fn changes_after(
        &self,
        _cursor: &Cursor,
        _limit: usize,
    ) -> Result<Vec<ItemVersion>, SourceError> {
        Ok(Vec::new())
    }

    async fn current(&self, _ids: &[String]) -> Result<Vec<ItemVersion>, SourceError> {
        Ok(Vec::new())
    }
}

/// The client's commands in a Sync of an unserved folder: nothing is stored and nothing is lost.
/// An Add is refused with item status 6 (MS-ASCMD 2.2.3.177.17: the server cannot take the item;
/// the client stops sending it and keeps its own copy), a Change or Fetch of an item the folder
/// does not hold gets status 8 (object not found); a Delete of such an item has nothing to do.
pub(crate) fn refuse_client_commands(coll: &SyncCollection, responses: &mut Vec<ItemResponse>) {
    for cmd in &coll.commands {
        match cmd {
            ClientCommand::Add { client_id, .. } => responses.push(ItemResponse::Add {
                client_id: client_id.clone(),
                server_id: None,
                status: SyncStatus::ConversionError,
            }),
            ClientCommand::Change { server_id, .. } => responses.push(ItemResponse::Change {
                server_id: server_id.clone(),
                status: SyncStatus::ObjectNotFound,
            }),
            ClientCommand::Fetch { server_id } => responses.push(ItemResponse::Fetch {
                server_id: server_id.clone(),
                status: SyncStatus::ObjectNotFound,
                application_data: None,
            }),
            ClientCommand::Delete { .. } => {}
        }
    }
}
