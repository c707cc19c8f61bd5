//! Where the folder hierarchy comes from: the data services own their folders, the edge lists
//! them through the classes it serves, with placeholders for the classes it does not.

use std::collections::HashMap;

use async_trait::async_trait;
use eas_event_bus::DataClass;
use eas_protocol::folder_sync::Folder as FolderEntry;
use eas_protocol::folder_type::FolderType;
use eas_protocol::status::SyncStatus;
use eas_protocol::sync::{ClientCommand, ItemResponse, SyncCollection};
use eas_rpc::collections as wire;
use eas_sync::{Cursor, ItemSource, ItemVersion, SourceError};

use crate::classes::Classes;
use crate::edge::Edge;
use crate::error::EdgeError;

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

/// The standard folders of the classes this edge does not serve: listed so that phones see
/// them (Android and iOS expect a Calendar and a Contacts folder), and served as empty, read-only
/// folders (see [`EmptyFolder`]) so that a Sync of them never answers "hierarchy changed" (status
/// 12) for a folder FolderSync keeps listing, which would send a client into a FolderSync loop.
/// Once a class is served its real folders replace the placeholder (a FolderSync deletes it).
const PLACEHOLDERS: [(&str, &str, FolderType, DataClass); 2] = [
    (
        "calendar",
        "Calendar",
        FolderType::Calendar,
        DataClass::Calendar,
    ),
    (
        "contacts",
        "Contacts",
        FolderType::Contacts,
        DataClass::Contacts,
    ),
];

impl Folder {
    /// A data service's folder (phone ids) as the hierarchy holds it.
    pub fn from_wire(f: &wire::Folder) -> Folder {
        Folder {
            server_id: f.id.clone(),
            parent_id: f.parent_id.clone(),
            display_name: f.display_name.clone(),
            folder_type: u8::try_from(f.folder_type).unwrap_or(1),
        }
    }
}

/// Whether this device is offered the folders other users shared with its user: the
/// administrator's choice for the device, else for the user, else its type's default
/// (PIM_FACTS 4: Android and Samsung clients show one calendar).
pub(crate) fn offers_shared(
    edge: &Edge,
    user: &eas_directory::User,
    device: &eas_device_state::DeviceRecord,
) -> bool {
    device
        .shared_calendars
        .or(user.shared_calendars)
        .unwrap_or_else(|| edge.config.calendar.offers_shared(&device.device_type))
}

/// The hierarchy FolderSync reports to a device: every served class's folders (those shared by
/// other users only where the device is offered them), then the placeholders of the classes not
/// served. An edge serving no class reports its fallback source.
pub(crate) async fn hierarchy(
    edge: &Edge,
    ctx: &crate::pipeline::context::RequestCtx,
) -> Result<Vec<Folder>, EdgeError> {
    let user = ctx.user.address.as_str();
    let shared = offers_shared(edge, &ctx.user, &ctx.device);
    if edge.classes.is_empty() {
        return edge
            .folders
            .folders(user)
            .await
            .map_err(EdgeError::Unavailable);
    }
    let mut out: Vec<Folder> = edge
        .classes
        .all_folders(user)
        .await?
        .iter()
        .filter(|f| shared || f.owner.is_empty())
        .map(Folder::from_wire)
        .collect();
    out.extend(
        PLACEHOLDERS
            .iter()
            .filter(|p| !edge.classes.serves(p.3))
            .map(|(id, name, t, _)| Folder {
                server_id: (*id).to_owned(),
                parent_id: "0".to_owned(),
                display_name: (*name).to_owned(),
                folder_type: *t as u8,
            }),
    );
    Ok(out)
}

/// The user's mail folders by id, for the commands that work on mail items.
pub(crate) async fn list_folders(
    edge: &Edge,
    user: &str,
) -> Result<HashMap<String, wire::Folder>, EdgeError> {
    edge.classes.folders_of(DataClass::Mail, user).await
}

/// Whether `id` is a placeholder FolderSync lists for a class no data service serves here.
pub fn is_unserved(classes: &Classes, id: &str) -> bool {
    PLACEHOLDERS
        .iter()
        .any(|(p, _, _, class)| *p == id && !classes.serves(*class))
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
                application_data: None,
            }),
            ClientCommand::Change { server_id, .. } => responses.push(ItemResponse::Change {
                server_id: server_id.clone(),
                status: SyncStatus::ObjectNotFound,
                instance_id: None,
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
