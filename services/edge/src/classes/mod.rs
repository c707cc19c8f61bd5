//! The data classes this edge serves (Email, Contacts, Calendar): which class owns a
//! collection, how a phone's collection id maps to the owning service's folder id, and what each
//! class does in a Sync (MS-ASCMD 2.2.1.21): apply the client's commands and render its items as
//! `ApplicationData`. Sync, Ping, GetItemEstimate and FolderSync route every collection through
//! here; a new class is one more [`ClassHandler`], and one whose items a data service stores
//! gets most of it from [`pim::PimClass`] (docs/adding-a-data-class.md).

pub(crate) mod calendar;
pub(crate) mod contacts;
pub(crate) mod mail;
pub(crate) mod pim;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use eas_event_bus::DataClass;
use eas_protocol::body::BodyPreference;
use eas_protocol::sync::{ItemResponse, SyncCollection};
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::collections::{self as wire, ListFoldersRequest};
use eas_rpc::{Channel, RemoteFolder};
use eas_sync::{FilterType, Session, SyncError};
use eas_wbxml::Element;

use crate::error::EdgeError;
use crate::pipeline::context::RequestCtx;

pub use calendar::{CalendarClass, CalendarSettings};
pub use contacts::ContactsClass;
pub use mail::MailClass;

/// The device store's name for a collection's `Supported` list.
fn supported_name(collection_id: &str) -> String {
    format!("supported:{collection_id}")
}

fn unavailable(e: impl std::fmt::Display) -> SyncError {
    SyncError::Source(eas_sync::SourceError::Unavailable(e.to_string()))
}

/// The collection's `Supported` list (MS-ASCMD 2.2.3.179, Contacts and Calendar): the one this
/// request sent, stored for later requests, as it is sent with SyncKey 0 only; otherwise the
/// stored one. `None`: the client sent none.
pub(crate) async fn supported_list<T>(
    input: &SyncInput<'_>,
    read: fn(&[Element]) -> T,
) -> Result<Option<T>, SyncError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let (user, device) = (
        input.ctx.user.address.as_str(),
        input.ctx.line.device_id.as_str(),
    );
    let name = supported_name(&input.coll.collection_id);
    if input.coll.is_initial() {
        let sent = input.coll.supported.as_ref().map(|els| read(els));
        match &sent {
            Some(set) => {
                let bytes = serde_json::to_vec(set).map_err(unavailable)?;
                input
                    .devices
                    .put_state(user, device, &name, bytes)
                    .await
                    .map_err(unavailable)?;
            }
            None => {
                input
                    .devices
                    .delete_state(user, device, &name)
                    .await
                    .map_err(unavailable)?;
            }
        }
        return Ok(sent);
    }
    let bytes = input
        .devices
        .get_state(user, device, &name)
        .await
        .map_err(unavailable)?;
    Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Versions read per call while listing a folder's items.
const LIST_PAGE: u32 = 500;

/// The ids of the live items of a service's folder, through the collection contract.
pub(crate) async fn live_ids(
    collections: &CollectionsClient<Channel>,
    user: &str,
    service_folder: &str,
) -> Result<Vec<String>, tonic::Status> {
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let reply = collections
            .clone()
            .changes_since(wire::ChangesRequest {
                user: user.to_owned(),
                folder_id: service_folder.to_owned(),
                after: after.clone(),
                limit: LIST_PAGE,
            })
            .await?
            .into_inner();
        let Some(last) = reply.items.last() else {
            return Ok(ids);
        };
        after = Some(wire::Cursor {
            modseq: last.modseq,
            id: last.id.clone(),
        });
        ids.extend(reply.items.into_iter().filter(|v| !v.deleted).map(|v| v.id));
    }
}

/// The prefix of the phone-facing collection ids of a class. Each data service numbers its own
/// folders, so the ids of two services could collide; the prefix keeps them apart and lets a
/// command find the owning class from the id alone. Mail has none: the ids devices synced before
/// the other classes existed stay valid.
pub fn prefix(class: DataClass) -> &'static str {
    match class {
        DataClass::Mail => "",
        DataClass::Contacts => "con:",
        DataClass::Calendar => "cal:",
    }
}

/// The id a phone sees for `service_id`, a folder id of the service of `class` ("0", the root,
/// stays "0").
pub fn phone_id(class: DataClass, service_id: &str) -> String {
    if service_id == "0" || service_id.is_empty() {
        return "0".to_owned();
    }
    format!("{}{service_id}", prefix(class))
}

/// The class and the service's folder id behind a phone's collection id.
pub fn class_of(phone_id: &str) -> (DataClass, &str) {
    for class in [DataClass::Contacts, DataClass::Calendar] {
        if let Some(id) = phone_id.strip_prefix(prefix(class)) {
            return (class, id);
        }
    }
    (DataClass::Mail, phone_id)
}

/// The user's folders of some classes by phone id, each with phone-facing `id` and `parent_id`.
pub type FolderMap = HashMap<String, wire::Folder>;

/// What a class needs to apply a collection's client commands and render its items.
pub struct SyncInput<'a> {
    pub ctx: &'a RequestCtx,
    /// Where the class keeps per-collection state of its own (Contacts: the `Supported` list).
    pub devices: &'a dyn eas_device_state::DeviceStore,
    /// The folders of the collection's class, by phone id.
    pub folders: &'a FolderMap,
    /// The collection's folder (phone ids).
    pub folder: &'a wire::Folder,
    pub coll: &'a SyncCollection,
    /// The collection's `BodyPreference` list (MS-ASAIRS 2.2.2.7).
    pub prefs: &'a [BodyPreference],
    /// The folder's change log, for the sync engine's decisions on client changes.
    pub source: &'a RemoteFolder,
}

/// Items rendered for a Sync response: `ApplicationData` children by item id.
#[derive(Debug, Default)]
pub struct Rendered {
    pub adds: HashMap<String, Vec<Element>>,
    pub changes: HashMap<String, Vec<Element>>,
    /// Add ids left out by the response's byte budget, in request order.
    pub omitted: Vec<String>,
    /// Bytes the rendered adds took from the budget.
    pub bytes: u64,
}

/// One data class, served by one data service through its own API and the collection contract.
#[async_trait]
pub trait ClassHandler: Send + Sync + 'static {
    fn class(&self) -> DataClass;
    /// The `Class` element (MS-ASCMD 2.2.3.27): "Email", "Contacts", "Calendar".
    fn name(&self) -> &'static str;
    /// Whether folders of this FolderSync type (MS-ASCMD 2.2.3.186.3) belong to the class.
    fn owns(&self, folder_type: u32) -> bool;
    /// The filter the class applies for the one a client asked for, `None` when the class does
    /// not take it (MS-ASCMD 2.2.3.68: 1 to 3 and 8 for a calendar; Sync answers the collection
    /// with status 4, GetItemEstimate with 110). Contacts have no time window: a FilterType for
    /// them is no error (R2972, R2973), so it is read as "all items".
    fn filter(&self, asked: FilterType) -> Option<FilterType>;
    /// The service's collection contract (folders, change logs, counters).
    fn collections(&self) -> &CollectionsClient<Channel>;
    /// Applies the client's Add, Change, Delete and Fetch (MS-ASCMD 2.2.3.24) and records them
    /// in the session.
    async fn client_commands(
        &self,
        input: &SyncInput<'_>,
        session: &mut Session,
        responses: &mut Vec<ItemResponse>,
    ) -> Result<(), SyncError>;
    /// The `ApplicationData` of the server's Adds (within `budget` bytes, the first always
    /// included) and Changes. Items gone meanwhile are left out.
    async fn render(
        &self,
        input: &SyncInput<'_>,
        adds: Vec<String>,
        changes: Vec<String>,
        budget: u64,
    ) -> Result<Rendered, EdgeError>;

    // The folder commands (MS-ASCMD 2.2.1.3, 2.2.1.4, 2.2.1.6), MoveItems (2.2.1.12) and
    // ItemOperations (2.2.1.10) on the class's service. Folder ids are phone ids throughout;
    // errors are the service's, which each command turns into its own status.

    /// The folder types (MS-ASCMD 2.2.3.186.3) a device may create, rename, move and delete in
    /// this class: never one of the class's default folders.
    fn user_folder_types(&self) -> &'static [u32];
    /// Creates a folder of one of the class's user types under `parent` ("0": the top).
    async fn create_folder(
        &self,
        user: &str,
        parent: &str,
        display_name: &str,
        folder_type: u32,
    ) -> Result<wire::Folder, tonic::Status>;
    /// Renames a folder the user created and moves it under `parent`.
    async fn update_folder(
        &self,
        user: &str,
        folder: &str,
        parent: &str,
        display_name: &str,
    ) -> Result<wire::Folder, tonic::Status>;
    /// Deletes a folder the user created, with its subfolders and items.
    async fn delete_folder(&self, user: &str, folder: &str) -> Result<(), tonic::Status>;
    /// Moves item `id` from folder `from` to folder `to` of the class: its new id.
    async fn move_item(
        &self,
        user: &str,
        from: &str,
        id: &str,
        to: &str,
    ) -> Result<String, tonic::Status>;
    /// Deletes every item of `folder` (EmptyFolderContents, MS-ASCMD 2.2.3.55), and its
    /// subfolders when asked.
    async fn empty_folder(
        &self,
        user: &str,
        folder: &str,
        delete_sub_folders: bool,
    ) -> Result<(), tonic::Status>;
    /// ItemOperations Fetch of item `id` of `folder` (MS-ASCMD 2.2.3.67.1): its class elements
    /// for the request's options, or the operation's status. `None` for a class whose items the
    /// command fetches on its own path: Email, whose bodies and attachments may be parts of a
    /// multipart response (MS-ASCMD 2.2.1.10.1) and which is also fetched by LongId.
    async fn fetch_item(
        &self,
        ctx: &RequestCtx,
        folder: &str,
        id: &str,
        request: &eas_protocol::item_operations::FetchRequest,
    ) -> Result<Option<Result<Vec<Element>, eas_protocol::status::ItemOperationsStatus>>, EdgeError>;

    /// Opens the content of an attachment by a FileReference this class's service made
    /// (ItemOperations Fetch, MS-ASCMD 2.2.3.67.1; MS-ASAIRS 2.2.2.24), streamed in chunks;
    /// `None` when the reference is not of this class. Email attachments are the command's own
    /// default (the mail service).
    async fn open_attachment(&self, _user: &str, _file_reference: &str) -> Option<OpenedContent> {
        None
    }
}

/// A data service's stream of content (an attachment), or why it could not be opened.
pub type OpenedContent = Result<tonic::Streaming<wire::Chunk>, tonic::Status>;

/// Every class this edge serves.
#[derive(Clone, Default)]
pub struct Classes(Vec<Arc<dyn ClassHandler>>);

impl Classes {
    pub fn new() -> Classes {
        Classes::default()
    }

    /// Adds a class; a second handler for the same class replaces the first.
    pub fn with(mut self, handler: Arc<dyn ClassHandler>) -> Classes {
        self.0.retain(|h| h.class() != handler.class());
        self.0.push(handler);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The handler of `class`, when this edge serves it.
    pub fn get(&self, class: DataClass) -> Option<&Arc<dyn ClassHandler>> {
        self.0.iter().find(|h| h.class() == class)
    }

    pub fn serves(&self, class: DataClass) -> bool {
        self.get(class).is_some()
    }

    /// The attachment content of a FileReference some class's service made (see
    /// [`ClassHandler::open_attachment`]); `None` when no class claims the reference.
    pub async fn open_attachment(&self, user: &str, file_reference: &str) -> Option<OpenedContent> {
        for handler in &self.0 {
            if let Some(opened) = handler.open_attachment(user, file_reference).await {
                return Some(opened);
            }
        }
        None
    }

    /// The class in which a device may create folders of `folder_type`.
    pub fn creating(&self, folder_type: u32) -> Option<&Arc<dyn ClassHandler>> {
        self.0
            .iter()
            .find(|h| h.user_folder_types().contains(&folder_type))
    }

    /// The handler owning a phone's collection id, and the service's id for it.
    pub fn route<'a>(&self, phone_id: &'a str) -> Option<(&Arc<dyn ClassHandler>, &'a str)> {
        let (class, id) = class_of(phone_id);
        self.get(class).map(|h| (h, id))
    }

    /// The user's folders of `class` as its service lists them (parents before children), with
    /// phone ids; empty when the class is not served.
    pub async fn list(&self, class: DataClass, user: &str) -> Result<Vec<wire::Folder>, EdgeError> {
        let Some(handler) = self.get(class) else {
            return Ok(Vec::new());
        };
        let mut client = handler.collections().clone();
        let list = client
            .list_folders(ListFoldersRequest {
                user: user.to_owned(),
            })
            .await
            .map_err(EdgeError::from)?
            .into_inner();
        Ok(list
            .folders
            .into_iter()
            .map(|mut f| {
                f.id = phone_id(class, &f.id);
                f.parent_id = phone_id(class, &f.parent_id);
                f
            })
            .collect())
    }

    /// The user's folders of `class` by phone id.
    pub async fn folders_of(&self, class: DataClass, user: &str) -> Result<FolderMap, EdgeError> {
        Ok(self
            .list(class, user)
            .await?
            .into_iter()
            .map(|f| (f.id.clone(), f))
            .collect())
    }

    /// The folders of the classes owning `ids` (phone collection ids), by phone id.
    pub async fn folders_for<'a>(
        &self,
        user: &str,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<FolderMap, EdgeError> {
        let mut classes: Vec<DataClass> = Vec::new();
        for id in ids {
            let (class, _) = class_of(id);
            if !classes.contains(&class) {
                classes.push(class);
            }
        }
        let mut out = FolderMap::new();
        for class in classes {
            out.extend(self.folders_of(class, user).await?);
        }
        Ok(out)
    }

    /// Every served class's folders, mail first, each class in its service's order.
    pub async fn all_folders(&self, user: &str) -> Result<Vec<wire::Folder>, EdgeError> {
        let mut out = Vec::new();
        for h in &self.0 {
            out.extend(self.list(h.class(), user).await?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_ids_are_unchanged_and_other_classes_are_prefixed() {
        assert_eq!(phone_id(DataClass::Mail, "17"), "17");
        assert_eq!(phone_id(DataClass::Contacts, "3"), "con:3");
        assert_eq!(phone_id(DataClass::Contacts, "0"), "0");
        assert_eq!(class_of("17"), (DataClass::Mail, "17"));
        assert_eq!(class_of("con:3"), (DataClass::Contacts, "3"));
        assert_eq!(class_of("cal:9"), (DataClass::Calendar, "9"));
        // The placeholders of classes not served are mail-shaped ids no service knows.
        assert_eq!(class_of("contacts"), (DataClass::Mail, "contacts"));
    }
}
