//! What the Contacts and Calendar classes share: each is a [`PimClass`] over a data service that
//! stores its items as JSON and serves the collection contract, and this module makes a
//! [`ClassHandler`] of it. Fetching stored items in batches, the Sync command loop (MS-ASCMD
//! 2.2.3.24), rendering a Sync window, the folder commands (MS-ASCMD 2.2.1.3, 2.2.1.4, 2.2.1.6),
//! MoveItems, EmptyFolderContents, ItemOperations Fetch and what a write's outcome becomes are
//! written once here; each class keeps its model (parsing, ghosting, instances, UIDs,
//! attachments, shares) and names its service's calls.

use std::collections::HashMap;

use async_trait::async_trait;
use eas_event_bus::DataClass;
use eas_protocol::body::{BodyPreference, BodyType};
use eas_protocol::item_operations::FetchRequest;
use eas_protocol::status::{ItemOperationsStatus, SyncStatus};
use eas_protocol::sync::{ClientCommand, ItemResponse};
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::collections::{Folder, ListFoldersRequest};
use eas_rpc::{Channel, ServiceError, ServiceErrorCode};
use eas_sync::{
    AddDecision, ChangeDecision, DeleteDecision, FilterType, ItemVersion, Session, SourceError,
    SyncError,
};
use eas_wbxml::Element;

use super::{unavailable, ClassHandler, OpenedContent, Rendered, SyncInput};
use crate::error::EdgeError;
use crate::pipeline::context::RequestCtx;

/// The calls a [`PimClass`] makes on its data service, which stores each item as JSON
/// ([`service_calls!`] writes them for a service whose API names them alike). Folder and item
/// ids are the service's.
#[async_trait]
pub(crate) trait PimService: Send + Sync + 'static {
    /// The service's stored form of an item.
    type Stored: Send + Sync;

    /// The service's collection contract.
    fn contract(&self) -> &CollectionsClient<Channel>;
    fn stored_id(item: &Self::Stored) -> &str;
    /// The size of the stored form, what a Sync window's byte budget counts.
    fn stored_len(item: &Self::Stored) -> usize;
    /// The stored items of `ids` the folder holds (one batch).
    async fn get_call(
        &self,
        user: &str,
        folder_id: &str,
        ids: Vec<String>,
    ) -> Result<Vec<Self::Stored>, tonic::Status>;
    /// Deletes one item, as a phone's Delete does.
    async fn delete_call(
        &self,
        user: &str,
        folder_id: &str,
        id: String,
    ) -> Result<(), tonic::Status>;
    async fn create_folder_call(
        &self,
        user: &str,
        parent_id: String,
        display_name: &str,
    ) -> Result<Option<Folder>, tonic::Status>;
    async fn update_folder_call(
        &self,
        user: &str,
        folder_id: String,
        parent_id: String,
        display_name: &str,
    ) -> Result<Option<Folder>, tonic::Status>;
    async fn delete_folder_call(&self, user: &str, folder_id: String) -> Result<(), tonic::Status>;
    /// Moves an item between two folders: its new id.
    async fn move_call(
        &self,
        user: &str,
        from: String,
        id: &str,
        to: String,
    ) -> Result<String, tonic::Status>;
}

/// Implements [`PimService`] for `$class`, whose fields `$client` and `$collections` are the
/// clients of a service's own API (module `eas_rpc::$api`) and of its collection contract: its
/// `CreateFolder`, `UpdateFolder` and `DeleteFolder`, and the calls named for getting items
/// (with the reply's list), deleting one and moving one.
macro_rules! service_calls {
    (
        $class:ty { $client:ident: $api:ident, $collections:ident },
        get: $get:ident($get_request:ident) -> $list:ident: $stored:ty,
        delete: $delete:ident($delete_request:ident),
        move: $move:ident($move_request:ident) $(,)?
    ) => {
        #[async_trait::async_trait]
        impl $crate::classes::pim::PimService for $class {
            type Stored = $stored;

            fn contract(
                &self,
            ) -> &eas_rpc::collections::collections_client::CollectionsClient<eas_rpc::Channel>
            {
                &self.$collections
            }

            fn stored_id(item: &$stored) -> &str {
                &item.id
            }

            fn stored_len(item: &$stored) -> usize {
                item.json.len()
            }

            async fn get_call(
                &self,
                user: &str,
                folder_id: &str,
                ids: Vec<String>,
            ) -> Result<Vec<$stored>, tonic::Status> {
                let request = eas_rpc::$api::$get_request {
                    user: user.to_owned(),
                    folder_id: folder_id.to_owned(),
                    ids,
                };
                let reply = self.$client.clone().$get(request).await?;
                Ok(reply.into_inner().$list)
            }

            async fn delete_call(
                &self,
                user: &str,
                folder_id: &str,
                id: String,
            ) -> Result<(), tonic::Status> {
                let request = eas_rpc::$api::$delete_request {
                    user: user.to_owned(),
                    folder_id: folder_id.to_owned(),
                    id,
                };
                self.$client.clone().$delete(request).await?;
                Ok(())
            }

            async fn create_folder_call(
                &self,
                user: &str,
                parent_id: String,
                display_name: &str,
            ) -> Result<Option<eas_rpc::collections::Folder>, tonic::Status> {
                let request = eas_rpc::$api::CreateFolderRequest {
                    user: user.to_owned(),
                    parent_id,
                    display_name: display_name.to_owned(),
                };
                let written = self.$client.clone().create_folder(request).await?;
                Ok(written.into_inner().folder)
            }

            async fn update_folder_call(
                &self,
                user: &str,
                folder_id: String,
                parent_id: String,
                display_name: &str,
            ) -> Result<Option<eas_rpc::collections::Folder>, tonic::Status> {
                let request = eas_rpc::$api::UpdateFolderRequest {
                    user: user.to_owned(),
                    folder_id,
                    parent_id,
                    display_name: display_name.to_owned(),
                };
                let written = self.$client.clone().update_folder(request).await?;
                Ok(written.into_inner().folder)
            }

            async fn delete_folder_call(
                &self,
                user: &str,
                folder_id: String,
            ) -> Result<(), tonic::Status> {
                let request = eas_rpc::$api::DeleteFolderRequest {
                    user: user.to_owned(),
                    folder_id,
                };
                self.$client.clone().delete_folder(request).await?;
                Ok(())
            }

            async fn move_call(
                &self,
                user: &str,
                from: String,
                id: &str,
                to: String,
            ) -> Result<String, tonic::Status> {
                let request = eas_rpc::$api::$move_request {
                    user: user.to_owned(),
                    from_folder_id: from,
                    id: id.to_owned(),
                    to_folder_id: to,
                };
                let moved = self.$client.clone().$move(request).await?;
                Ok(moved.into_inner().id)
            }
        }
    };
}
pub(crate) use service_calls;

/// A class whose items a data service stores (Contacts, Calendar); the [`ClassHandler`] made of
/// it takes and answers phone ids.
#[async_trait]
pub(crate) trait PimClass: PimService {
    /// The class's `Supported` list (MS-ASCMD 2.2.3.179).
    type Supported: serde::Serialize + serde::de::DeserializeOwned + Send + Sync;

    const CLASS: DataClass;
    /// The `Class` element (MS-ASCMD 2.2.3.27).
    const NAME: &'static str;
    /// The service, as errors name it ("the contacts service").
    const SERVICE: &'static str;
    /// One item, as logs name it ("contact").
    const ITEM: &'static str;
    /// The folder types (MS-ASCMD 2.2.3.186.3) of the class.
    const TYPES: &'static [u32];
    /// The folder types a device may create, rename, move and delete.
    const USER_FOLDER_TYPES: &'static [u32];
    /// Items fetched per call.
    const FETCH_BATCH: usize;
    /// Whether a Change or Delete may name one occurrence by `InstanceId` (MS-ASCMD 2.2.3.90),
    /// which its response then carries back.
    const INSTANCES: bool;

    /// See [`ClassHandler::filter`].
    fn take_filter(&self, asked: FilterType) -> Option<FilterType>;
    fn read_supported(elements: &[Element]) -> Self::Supported;

    /// How the class renders its stored items as `ApplicationData` for this Sync collection;
    /// `Err` when one cannot be read or rendered.
    fn renderer<'a>(
        &'a self,
        input: &'a SyncInput<'_>,
    ) -> impl Fn(&Self::Stored) -> Result<Vec<Element>, String> + Send + Sync + 'a;
    /// A client's Add the engine decided to create: its response.
    async fn add(
        &self,
        input: &SyncInput<'_>,
        service_folder: &str,
        client_id: &str,
        data: &[Element],
        session: &mut Session,
    ) -> Result<ItemResponse, SyncError>;
    /// A client's Change the engine decided to apply (of the occurrence at `instance` where the
    /// class has instances): `None` when applied, the item status otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn change(
        &self,
        input: &SyncInput<'_>,
        service_folder: &str,
        server_id: &str,
        instance: Option<&str>,
        data: &[Element],
        supported: Option<&Self::Supported>,
        session: &mut Session,
    ) -> Result<Option<SyncStatus>, SyncError>;
    /// A client's Delete the engine decided to apply: `Some` is the status for a Delete
    /// response.
    async fn delete(
        &self,
        input: &SyncInput<'_>,
        service_folder: &str,
        server_id: &str,
        instance: Option<&str>,
        session: &mut Session,
    ) -> Result<Option<SyncStatus>, SyncError>;
    /// ItemOperations Fetch of a stored item: its elements for the request's options, `Ok(Err)`
    /// when it cannot be rendered (status 15), `Err` when it cannot be read.
    fn fetch_render(
        &self,
        ctx: &RequestCtx,
        item: &Self::Stored,
        request: &FetchRequest,
    ) -> Result<Result<Vec<Element>, String>, EdgeError>;
    /// See [`ClassHandler::open_attachment`].
    async fn attachment(&self, _user: &str, _file_reference: &str) -> Option<OpenedContent> {
        None
    }
}

/// The `TruncationSize` of the plain-text notes the collection asks for, if any: a phone that
/// sends back exactly that much did not edit the notes (MS-ASCNTC 3.1.5.4; a calendar's notes
/// are read the same way).
pub(crate) fn notes_truncation(prefs: &[BodyPreference]) -> Option<u32> {
    prefs
        .iter()
        .find(|p| p.body_type == BodyType::PlainText)
        .and_then(|p| p.truncation_size)
}

/// The version of an item the service wrote for the client, as the session records it.
pub(crate) fn written(id: String, modseq: u64) -> ItemVersion {
    ItemVersion {
        id,
        modseq,
        deleted: false,
        date: None,
        complete: false,
    }
}

/// An Add the service wrote, recorded in the session (so it is not sent back to the phone) and
/// answered with its server id.
pub(crate) fn added(
    session: &mut Session,
    client_id: &str,
    id: String,
    modseq: u64,
    application_data: Option<Vec<Element>>,
) -> ItemResponse {
    let created = written(id, modseq);
    session.record_client_add(client_id, &created);
    ItemResponse::Add {
        client_id: client_id.to_owned(),
        server_id: Some(created.id),
        status: SyncStatus::Success,
        application_data,
    }
}

/// An Add answered with `status` and no server id: nothing was stored.
pub(crate) fn add_refused(client_id: &str, status: SyncStatus) -> ItemResponse {
    ItemResponse::Add {
        client_id: client_id.to_owned(),
        server_id: None,
        status,
        application_data: None,
    }
}

/// The response to an Add the service did not write. An item it refuses (InvalidArgument, or
/// ReadOnly for a calendar shared read-only; a calendar attachment over the service's size
/// limit is one of these) is status 6: it is not taken, and resending it will not help. A
/// folder gone is the collection's error, anything else the service's.
pub(crate) fn add_failed<C: PimClass>(
    input: &SyncInput<'_>,
    client_id: &str,
    s: &tonic::Status,
) -> Result<ItemResponse, SyncError> {
    match ServiceError::from_status(s).code {
        ServiceErrorCode::InvalidArgument | ServiceErrorCode::ReadOnly => {
            tracing::info!(user = %input.ctx.user.address, device_id = %input.ctx.line.device_id, error = %s.message(), "{} refused by {}", C::ITEM, C::SERVICE);
            Ok(add_refused(client_id, SyncStatus::ConversionError))
        }
        ServiceErrorCode::NotFound => Err(SyncError::Source(SourceError::FolderNotFound)),
        _ => Err(unavailable(s.message())),
    }
}

/// The item status of a Change the service did not write (`e`, which is not a read-only
/// share's refusal: the class answers that itself).
pub(crate) fn change_failed<C: PimClass>(
    input: &SyncInput<'_>,
    e: ServiceError,
) -> Result<Option<SyncStatus>, SyncError> {
    match e.code {
        ServiceErrorCode::NotFound => Ok(Some(SyncStatus::ObjectNotFound)),
        // Changed by another device since it was read: the server's version wins and goes out
        // as a Change (MS-ASCMD 2.2.3.177.17 status 7).
        ServiceErrorCode::Conflict => Ok(Some(SyncStatus::Conflict)),
        ServiceErrorCode::InvalidArgument => {
            tracing::info!(user = %input.ctx.user.address, device_id = %input.ctx.line.device_id, error = %e.message, "{} change refused by {}", C::ITEM, C::SERVICE);
            Ok(Some(SyncStatus::ConversionError))
        }
        _ => Err(unavailable(e.message)),
    }
}

/// Deletes item `id` for a client's Delete and records it; an item already gone counts as
/// deleted. The service's error otherwise (the class decides what a refusal becomes).
pub(crate) async fn delete_recorded<C: PimClass>(
    class: &C,
    input: &SyncInput<'_>,
    service_folder: &str,
    id: &str,
    session: &mut Session,
) -> Result<(), ServiceError> {
    match class
        .delete_call(&input.ctx.user.address, service_folder, id.to_owned())
        .await
    {
        Ok(()) => session.record_client_delete(id),
        Err(s) => match ServiceError::from_status(&s) {
            e if e.code == ServiceErrorCode::NotFound => session.record_client_delete(id),
            e => return Err(e),
        },
    }
    Ok(())
}

/// The service's folder id behind a phone id of class `C` ("0" stays the top).
pub(crate) fn service_folder<C: PimClass>(phone_id: &str) -> String {
    match super::class_of(phone_id) {
        (class, id) if class == C::CLASS => id.to_owned(),
        _ => phone_id.to_owned(),
    }
}

/// A folder of the service with phone ids.
fn phone_folder<C: PimClass>(mut f: Folder) -> Folder {
    f.id = super::phone_id(C::CLASS, &f.id);
    f.parent_id = super::phone_id(C::CLASS, &f.parent_id);
    f
}

/// Stored items by id, fetched in batches; ids the folder does not hold are absent.
pub(crate) async fn get<C: PimClass>(
    class: &C,
    user: &str,
    folder_id: &str,
    ids: Vec<String>,
) -> Result<HashMap<String, C::Stored>, ServiceError> {
    let mut out = HashMap::with_capacity(ids.len());
    for batch in ids.chunks(C::FETCH_BATCH) {
        let items = class
            .get_call(user, folder_id, batch.to_vec())
            .await
            .map_err(|s| ServiceError::from_status(&s))?;
        out.extend(items.into_iter().map(|i| (C::stored_id(&i).to_owned(), i)));
    }
    Ok(out)
}

/// Applies the client's Add, Change, Delete and Fetch (MS-ASCMD 2.2.3.24) through the class and
/// records them in the session.
async fn client_commands<C: PimClass>(
    class: &C,
    input: &SyncInput<'_>,
    session: &mut Session,
    responses: &mut Vec<ItemResponse>,
) -> Result<(), SyncError> {
    let (_, service_folder) = super::class_of(&input.folder.id);
    let change_ids: Vec<String> = input
        .coll
        .commands
        .iter()
        .filter_map(|c| match c {
            ClientCommand::Change { server_id, .. } => Some(server_id.clone()),
            _ => None,
        })
        .collect();
    // The stored list is read only for a Change (key 0 stores what was sent): a Sync window
    // or a held Sync's re-check costs no device-state read for it.
    let supported = if input.coll.is_initial() || !change_ids.is_empty() {
        super::supported_list(input, C::read_supported).await?
    } else {
        None
    };
    let mut decisions = if change_ids.is_empty() {
        Vec::new()
    } else {
        session.client_changes(input.source, &change_ids).await?
    }
    .into_iter();
    let mut fetches = Vec::new();
    for cmd in &input.coll.commands {
        match cmd {
            ClientCommand::Add {
                client_id,
                application_data,
                ..
            } => match session.client_add(client_id) {
                AddDecision::AlreadyCreated { server_id } => responses.push(ItemResponse::Add {
                    client_id: client_id.clone(),
                    server_id: Some(server_id),
                    status: SyncStatus::Success,
                    application_data: None,
                }),
                AddDecision::Create => {
                    let r = class
                        .add(input, service_folder, client_id, application_data, session)
                        .await?;
                    responses.push(r);
                }
            },
            ClientCommand::Change {
                server_id,
                instance_id,
                application_data,
                ..
            } => {
                let instance = instance_id.as_deref().filter(|_| C::INSTANCES);
                let status = match decisions.next().unwrap_or(ChangeDecision::NotFound) {
                    ChangeDecision::Apply => {
                        class
                            .change(
                                input,
                                service_folder,
                                server_id,
                                instance,
                                application_data,
                                supported.as_ref(),
                                session,
                            )
                            .await?
                    }
                    ChangeDecision::AlreadyApplied => None,
                    ChangeDecision::Conflict => Some(SyncStatus::Conflict),
                    ChangeDecision::NotFound => Some(SyncStatus::ObjectNotFound),
                };
                if let Some(status) = status {
                    responses.push(ItemResponse::Change {
                        server_id: server_id.clone(),
                        instance_id: instance.map(str::to_owned),
                        status,
                    });
                }
            }
            ClientCommand::Delete {
                server_id,
                instance_id,
            } => {
                if session.client_delete(server_id) != DeleteDecision::Apply {
                    continue;
                }
                let instance = instance_id.as_deref().filter(|_| C::INSTANCES);
                let status = class
                    .delete(input, service_folder, server_id, instance, session)
                    .await?;
                if let Some(status) = status {
                    responses.push(ItemResponse::Delete {
                        server_id: server_id.clone(),
                        instance_id: instance.map(str::to_owned),
                        status,
                    });
                }
            }
            ClientCommand::Fetch { server_id } => fetches.push(server_id.clone()),
        }
    }
    if !fetches.is_empty() {
        let render = class.renderer(input);
        let found = get(
            class,
            &input.ctx.user.address,
            service_folder,
            fetches.clone(),
        )
        .await
        .map_err(|e| unavailable(e.message))?;
        for id in fetches {
            let data = found.get(&id).and_then(|i| render(i).ok());
            responses.push(match data {
                Some(data) => ItemResponse::Fetch {
                    server_id: id,
                    status: SyncStatus::Success,
                    application_data: Some(data),
                },
                None => ItemResponse::Fetch {
                    server_id: id,
                    status: SyncStatus::ObjectNotFound,
                    application_data: None,
                },
            });
        }
    }
    Ok(())
}

/// The `ApplicationData` of a Sync window: every Change (each carries the whole item, as an Add
/// does: MS-ASCNTC has no partial change, and an event goes with its exceptions), and the Adds in the plan's order, in batches, until the budget is spent (the first
/// always).
async fn render<C: PimClass>(
    class: &C,
    input: &SyncInput<'_>,
    adds: Vec<String>,
    changes: Vec<String>,
    budget: u64,
) -> Result<Rendered, EdgeError> {
    let user = input.ctx.user.address.as_str();
    let (_, service_folder) = super::class_of(&input.folder.id);
    let to_elements = class.renderer(input);
    let render = |i: &C::Stored| to_elements(i).map_err(EdgeError::Internal);
    let mut out = Rendered::default();
    let changed = get(class, user, service_folder, changes)
        .await
        .map_err(EdgeError::from)?;
    for (id, i) in &changed {
        out.changes.insert(id.clone(), render(i)?);
    }
    let mut rest = adds.as_slice();
    while !rest.is_empty() {
        if out.bytes >= budget.max(1) {
            out.omitted = rest.to_vec();
            break;
        }
        let (batch, after) = rest.split_at(rest.len().min(C::FETCH_BATCH));
        rest = after;
        let found = get(class, user, service_folder, batch.to_vec())
            .await
            .map_err(EdgeError::from)?;
        for (i, id) in batch.iter().enumerate() {
            if out.bytes >= budget.max(1) {
                out.omitted = batch[i..].iter().chain(rest).cloned().collect();
                rest = &[];
                break;
            }
            if let Some(item) = found.get(id) {
                out.bytes += C::stored_len(item) as u64;
                out.adds.insert(id.clone(), render(item)?);
            }
        }
    }
    Ok(out)
}

#[async_trait]
impl<C: PimClass> ClassHandler for C {
    fn class(&self) -> DataClass {
        C::CLASS
    }

    fn name(&self) -> &'static str {
        C::NAME
    }

    fn owns(&self, folder_type: u32) -> bool {
        C::TYPES.contains(&folder_type)
    }

    fn filter(&self, asked: FilterType) -> Option<FilterType> {
        self.take_filter(asked)
    }

    fn collections(&self) -> &CollectionsClient<Channel> {
        self.contract()
    }

    async fn client_commands(
        &self,
        input: &SyncInput<'_>,
        session: &mut Session,
        responses: &mut Vec<ItemResponse>,
    ) -> Result<(), SyncError> {
        client_commands(self, input, session, responses).await
    }

    async fn render(
        &self,
        input: &SyncInput<'_>,
        adds: Vec<String>,
        changes: Vec<String>,
        budget: u64,
    ) -> Result<Rendered, EdgeError> {
        render(self, input, adds, changes, budget).await
    }

    fn user_folder_types(&self) -> &'static [u32] {
        C::USER_FOLDER_TYPES
    }

    async fn create_folder(
        &self,
        user: &str,
        parent: &str,
        display_name: &str,
        _folder_type: u32,
    ) -> Result<Folder, tonic::Status> {
        self.create_folder_call(user, service_folder::<C>(parent), display_name)
            .await?
            .map(phone_folder::<C>)
            .ok_or_else(|| tonic::Status::internal(format!("{} answered no folder", C::SERVICE)))
    }

    async fn update_folder(
        &self,
        user: &str,
        folder: &str,
        parent: &str,
        display_name: &str,
    ) -> Result<Folder, tonic::Status> {
        self.update_folder_call(
            user,
            service_folder::<C>(folder),
            service_folder::<C>(parent),
            display_name,
        )
        .await?
        .map(phone_folder::<C>)
        .ok_or_else(|| tonic::Status::internal(format!("{} answered no folder", C::SERVICE)))
    }

    async fn delete_folder(&self, user: &str, folder: &str) -> Result<(), tonic::Status> {
        self.delete_folder_call(user, service_folder::<C>(folder))
            .await
    }

    async fn move_item(
        &self,
        user: &str,
        from: &str,
        id: &str,
        to: &str,
    ) -> Result<String, tonic::Status> {
        self.move_call(user, service_folder::<C>(from), id, service_folder::<C>(to))
            .await
    }

    /// Every item of the folder is deleted one by one (each leaves its tombstone and change
    /// event, as a phone's Delete does); a retry after a failure finishes the rest. Subfolders
    /// go with their items through FolderDelete's path.
    async fn empty_folder(
        &self,
        user: &str,
        folder: &str,
        delete_sub_folders: bool,
    ) -> Result<(), tonic::Status> {
        let service_id = service_folder::<C>(folder);
        for id in super::live_ids(self.contract(), user, &service_id).await? {
            match self.delete_call(user, &service_id, id).await {
                // Deleted meanwhile by another device: the folder is as asked.
                Err(s) if s.code() == tonic::Code::NotFound => {}
                other => other?,
            }
        }
        if delete_sub_folders {
            let list = self
                .contract()
                .clone()
                .list_folders(ListFoldersRequest {
                    user: user.to_owned(),
                })
                .await?
                .into_inner();
            for child in list.folders.iter().filter(|f| f.parent_id == service_id) {
                self.delete_folder_call(user, child.id.clone()).await?;
            }
        }
        Ok(())
    }

    /// ItemOperations Fetch of one item (MS-ASCMD 2.2.3.67.1): status 6 when the folder does not
    /// hold it, 15 when it cannot be rendered.
    async fn fetch_item(
        &self,
        ctx: &RequestCtx,
        folder: &str,
        id: &str,
        request: &FetchRequest,
    ) -> Result<Option<Result<Vec<Element>, ItemOperationsStatus>>, EdgeError> {
        let found = match get(
            self,
            &ctx.user.address,
            &service_folder::<C>(folder),
            vec![id.to_owned()],
        )
        .await
        {
            Ok(found) => found,
            Err(e) if e.code == ServiceErrorCode::NotFound => {
                return Ok(Some(Err(ItemOperationsStatus::DocumentLibraryNotFound)))
            }
            Err(e) => return Err(e.into()),
        };
        let Some(item) = found.get(id) else {
            return Ok(Some(Err(ItemOperationsStatus::DocumentLibraryNotFound)));
        };
        match self.fetch_render(ctx, item, request)? {
            Ok(props) => Ok(Some(Ok(props))),
            Err(e) => {
                tracing::warn!(user = %ctx.user.address, error = %e, "{} conversion failed", C::ITEM);
                Ok(Some(Err(ItemOperationsStatus::ConversionFailed)))
            }
        }
    }

    async fn open_attachment(&self, user: &str, file_reference: &str) -> Option<OpenedContent> {
        self.attachment(user, file_reference).await
    }
}
