//! The Contacts class (MS-ASCNTC) on the contacts service: contacts rendered from their stored
//! form as `ApplicationData`, and the client's Add, Change, Delete and Fetch (MS-ASCMD 2.2.3.24)
//! applied with ghosting (MS-ASCMD 2.2.3.179): a Change is read against the stored contact, so a
//! field the phone leaves out and has ghosted keeps its stored value.

use std::collections::HashMap;

use async_trait::async_trait;
use eas_contacts_model::eas::{self as model, ApplyOptions};
use eas_contacts_model::{stored, Contact, SupportedSet};
use eas_event_bus::DataClass;
use eas_protocol::body::{BodyPreference, BodyType};
use eas_protocol::status::SyncStatus;
use eas_protocol::sync::{ClientCommand, ItemResponse};
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::contacts::contacts_client::ContactsClient;
use eas_rpc::contacts::{
    CreateContactRequest, DeleteContactRequest, GetContactsRequest, StoredContact,
    UpdateContactRequest,
};
use eas_rpc::{Channel, ServiceError, ServiceErrorCode};
use eas_sync::{
    AddDecision, ChangeDecision, DeleteDecision, FilterType, ItemVersion, Session, SourceError,
    SyncError,
};
use eas_wbxml::Element;

use super::{ClassHandler, Rendered, SyncInput};
use crate::error::EdgeError;

/// Folder types of contact folders (MS-ASCMD 2.2.3.186.3): 9, the default Contacts folder, and 14,
/// a folder the user created.
pub(crate) const CONTACT_TYPES: [u32; 2] = [9, 14];

/// The contact folder type a device may create, rename, move and delete: 14.
const USER_FOLDER_TYPES: [u32; 1] = [14];

/// Contacts fetched per call: a window of contacts with pictures (48 KB of base64 each at most)
/// stays far below the gRPC reply limit.
const FETCH_BATCH: usize = 32;

/// The Contacts class: contact folders on the contacts service.
pub struct ContactsClass {
    contacts: ContactsClient<Channel>,
    collections: CollectionsClient<Channel>,
}

impl ContactsClass {
    /// The class over `channel`, on which the contacts service serves its API and the
    /// collection contract.
    pub fn new(channel: Channel) -> ContactsClass {
        ContactsClass {
            contacts: eas_rpc::contacts_client(channel.clone()),
            collections: eas_rpc::collections_client(channel),
        }
    }

    /// Stored contacts by id; ids the folder does not hold are absent.
    async fn get(
        &self,
        user: &str,
        folder_id: &str,
        ids: Vec<String>,
    ) -> Result<HashMap<String, StoredContact>, ServiceError> {
        let mut out = HashMap::with_capacity(ids.len());
        for batch in ids.chunks(FETCH_BATCH) {
            let mut c = self.contacts.clone();
            let reply = c
                .get_contacts(GetContactsRequest {
                    user: user.to_owned(),
                    folder_id: folder_id.to_owned(),
                    ids: batch.to_vec(),
                })
                .await
                .map_err(|s| ServiceError::from_status(&s))?
                .into_inner();
            out.extend(reply.contacts.into_iter().map(|c| (c.id.clone(), c)));
        }
        Ok(out)
    }
}

/// The `TruncationSize` of the plain-text notes the collection asks for, if any: a phone that
/// sends back exactly that much did not edit the notes (MS-ASCNTC 3.1.5.4).
fn notes_truncation(prefs: &[BodyPreference]) -> Option<u32> {
    prefs
        .iter()
        .find(|p| p.body_type == BodyType::PlainText)
        .and_then(|p| p.truncation_size)
}

fn unavailable(e: impl std::fmt::Display) -> SyncError {
    SyncError::Source(SourceError::Unavailable(e.to_string()))
}

fn written(id: String, modseq: u64) -> ItemVersion {
    ItemVersion {
        id,
        modseq,
        deleted: false,
        date: None,
        complete: false,
    }
}

/// A stored contact's JSON read back; a form the edge cannot read is a server error.
fn decode(c: &StoredContact) -> Result<Contact, String> {
    stored::from_json(&c.json).map_err(|e| format!("stored contact {}: {e}", c.id))
}

impl ContactsClass {
    async fn add(
        &self,
        input: &SyncInput<'_>,
        service_folder: &str,
        client_id: &str,
        data: &[Element],
        session: &mut Session,
    ) -> Result<ItemResponse, SyncError> {
        let refused = |status| ItemResponse::Add {
            client_id: client_id.to_owned(),
            server_id: None,
            status,
            application_data: None,
        };
        let change = match model::parse(data, input.ctx.version) {
            Ok(c) => c,
            Err(e) => {
                tracing::info!(user = %input.ctx.user.address, device_id = %input.ctx.line.device_id, error = %e, "contact refused");
                return Ok(refused(e.sync_status()));
            }
        };
        let contact = model::create(&change);
        let mut c = self.contacts.clone();
        let reply = c
            .create_contact(CreateContactRequest {
                user: input.ctx.user.address.clone(),
                folder_id: service_folder.to_owned(),
                json: stored::to_json(&contact),
            })
            .await;
        match reply {
            Ok(r) => {
                let r = r.into_inner();
                let created = written(r.id, r.modseq);
                session.record_client_add(client_id, &created);
                Ok(ItemResponse::Add {
                    client_id: client_id.to_owned(),
                    server_id: Some(created.id),
                    status: SyncStatus::Success,
                    application_data: None,
                })
            }
            Err(s) => match ServiceError::from_status(&s).code {
                ServiceErrorCode::InvalidArgument => Ok(refused(SyncStatus::ConversionError)),
                ServiceErrorCode::NotFound => Err(SyncError::Source(SourceError::FolderNotFound)),
                _ => Err(unavailable(s.message())),
            },
        }
    }

    /// A Change the engine decided to apply: `None` when applied, the item status otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn change(
        &self,
        input: &SyncInput<'_>,
        service_folder: &str,
        server_id: &str,
        data: &[Element],
        supported: Option<&SupportedSet>,
        session: &mut Session,
    ) -> Result<Option<SyncStatus>, SyncError> {
        let user = input.ctx.user.address.as_str();
        let change = match model::parse(data, input.ctx.version) {
            Ok(c) => c,
            Err(e) => {
                tracing::info!(user, device_id = %input.ctx.line.device_id, error = %e, "contact change refused");
                return Ok(Some(e.sync_status()));
            }
        };
        let found = self
            .get(user, service_folder, vec![server_id.to_owned()])
            .await
            .map_err(|e| unavailable(e.message))?;
        let Some(current) = found.get(server_id) else {
            return Ok(Some(SyncStatus::ObjectNotFound));
        };
        let stored_contact = decode(current).map_err(unavailable)?;
        let options = ApplyOptions {
            notes_truncated_at: notes_truncation(input.prefs),
            ..ApplyOptions::default()
        };
        let merged = model::apply_with(&stored_contact, &change, supported, &options);
        let mut c = self.contacts.clone();
        let reply = c
            .update_contact(UpdateContactRequest {
                user: user.to_owned(),
                folder_id: service_folder.to_owned(),
                id: server_id.to_owned(),
                json: stored::to_json(&merged),
                if_modseq: current.modseq,
            })
            .await;
        match reply {
            Ok(r) => {
                let r = r.into_inner();
                session.record_client_change(&written(r.id, r.modseq));
                Ok(None)
            }
            Err(s) => match ServiceError::from_status(&s).code {
                ServiceErrorCode::NotFound => Ok(Some(SyncStatus::ObjectNotFound)),
                // Changed by another device since it was read: the server's version wins and
                // goes out as a Change (MS-ASCMD 2.2.3.177.17 status 7).
                ServiceErrorCode::Conflict => Ok(Some(SyncStatus::Conflict)),
                ServiceErrorCode::InvalidArgument => Ok(Some(SyncStatus::ConversionError)),
                _ => Err(unavailable(s.message())),
            },
        }
    }
}

#[async_trait]
impl ClassHandler for ContactsClass {
    fn class(&self) -> DataClass {
        DataClass::Contacts
    }

    fn name(&self) -> &'static str {
        "Contacts"
    }

    fn owns(&self, folder_type: u32) -> bool {
        CONTACT_TYPES.contains(&folder_type)
    }

    fn filter(&self, _asked: FilterType) -> Option<FilterType> {
        Some(FilterType::All)
    }

    fn collections(&self) -> &CollectionsClient<Channel> {
        &self.collections
    }

    async fn client_commands(
        &self,
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
            super::supported_list(input, SupportedSet::from_elements).await?
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
                    AddDecision::AlreadyCreated { server_id } => {
                        responses.push(ItemResponse::Add {
                            client_id: client_id.clone(),
                            server_id: Some(server_id),
                            status: SyncStatus::Success,
                            application_data: None,
                        })
                    }
                    AddDecision::Create => {
                        let r = self
                            .add(input, service_folder, client_id, application_data, session)
                            .await?;
                        responses.push(r);
                    }
                },
                ClientCommand::Change {
                    server_id,
                    application_data,
                    ..
                } => {
                    let status = match decisions.next().unwrap_or(ChangeDecision::NotFound) {
                        ChangeDecision::Apply => {
                            self.change(
                                input,
                                service_folder,
                                server_id,
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
                            status,
                            instance_id: None,
                        });
                    }
                }
                ClientCommand::Delete { server_id, .. } => {
                    if session.client_delete(server_id) != DeleteDecision::Apply {
                        continue;
                    }
                    // Contacts have no Deleted Items folder: DeletesAsMoves does not apply.
                    let mut c = self.contacts.clone();
                    let result = c
                        .delete_contact(DeleteContactRequest {
                            user: input.ctx.user.address.clone(),
                            folder_id: service_folder.to_owned(),
                            id: server_id.clone(),
                        })
                        .await;
                    match result {
                        Ok(_) => session.record_client_delete(server_id),
                        Err(s) if s.code() == tonic::Code::NotFound => {
                            session.record_client_delete(server_id)
                        }
                        Err(s) => return Err(unavailable(s.message())),
                    }
                }
                ClientCommand::Fetch { server_id } => fetches.push(server_id.clone()),
            }
        }
        if !fetches.is_empty() {
            let found = self
                .get(&input.ctx.user.address, service_folder, fetches.clone())
                .await
                .map_err(|e| unavailable(e.message))?;
            for id in fetches {
                let data = found
                    .get(&id)
                    .and_then(|c| decode(c).ok())
                    .and_then(|c| model::render(&c, input.ctx.version, input.prefs).ok());
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

    async fn render(
        &self,
        input: &SyncInput<'_>,
        adds: Vec<String>,
        changes: Vec<String>,
        budget: u64,
    ) -> Result<Rendered, EdgeError> {
        let user = input.ctx.user.address.as_str();
        let (_, service_folder) = super::class_of(&input.folder.id);
        let mut out = Rendered::default();
        let render = |c: &StoredContact| -> Result<Vec<Element>, EdgeError> {
            let contact = decode(c).map_err(EdgeError::Internal)?;
            model::render(&contact, input.ctx.version, input.prefs)
                .map_err(|e| EdgeError::Internal(e.to_string()))
        };
        // A Change carries the whole contact, as an Add does (MS-ASCNTC has no partial change).
        let changed = self
            .get(user, service_folder, changes)
            .await
            .map_err(EdgeError::from)?;
        for (id, c) in &changed {
            out.changes.insert(id.clone(), render(c)?);
        }
        // Adds in the plan's order, in batches, until the budget is spent (the first always).
        let mut rest = adds.as_slice();
        while !rest.is_empty() {
            if out.bytes >= budget.max(1) {
                out.omitted = rest.to_vec();
                break;
            }
            let (batch, after) = rest.split_at(rest.len().min(FETCH_BATCH));
            rest = after;
            let found = self
                .get(user, service_folder, batch.to_vec())
                .await
                .map_err(EdgeError::from)?;
            for (i, id) in batch.iter().enumerate() {
                if out.bytes >= budget.max(1) {
                    out.omitted = batch[i..].iter().chain(rest).cloned().collect();
                    rest = &[];
                    break;
                }
                if let Some(c) = found.get(id) {
                    out.bytes += c.json.len() as u64;
                    out.adds.insert(id.clone(), render(c)?);
                }
            }
        }
        Ok(out)
    }

    fn user_folder_types(&self) -> &'static [u32] {
        &USER_FOLDER_TYPES
    }

    async fn create_folder(
        &self,
        user: &str,
        parent: &str,
        display_name: &str,
        _folder_type: u32,
    ) -> Result<eas_rpc::collections::Folder, tonic::Status> {
        create_folder(&self.contacts, user, parent, display_name).await
    }

    async fn update_folder(
        &self,
        user: &str,
        folder: &str,
        parent: &str,
        display_name: &str,
    ) -> Result<eas_rpc::collections::Folder, tonic::Status> {
        update_folder(&self.contacts, user, folder, parent, display_name).await
    }

    async fn delete_folder(&self, user: &str, folder: &str) -> Result<(), tonic::Status> {
        delete_folder(&self.contacts, user, folder).await
    }

    async fn move_item(
        &self,
        user: &str,
        from: &str,
        id: &str,
        to: &str,
    ) -> Result<String, tonic::Status> {
        move_contact(&self.contacts, user, from, id, to).await
    }

    /// Every contact of the folder is deleted one by one (each leaves its tombstone and change
    /// event, as a phone's Delete does); a retry after a failure finishes the rest. Subfolders
    /// go with their contacts through FolderDelete's path.
    async fn empty_folder(
        &self,
        user: &str,
        folder: &str,
        delete_sub_folders: bool,
    ) -> Result<(), tonic::Status> {
        let service_id = service_folder(folder);
        let ids = super::live_ids(&self.collections, user, &service_id).await?;
        for id in ids {
            let mut c = self.contacts.clone();
            let deleted = c
                .delete_contact(DeleteContactRequest {
                    user: user.to_owned(),
                    folder_id: service_id.clone(),
                    id,
                })
                .await;
            match deleted {
                // Deleted meanwhile by another device: the folder is as asked.
                Err(s) if s.code() == tonic::Code::NotFound => {}
                other => {
                    other?;
                }
            }
        }
        if delete_sub_folders {
            let mut c = self.collections.clone();
            let list = c
                .list_folders(eas_rpc::collections::ListFoldersRequest {
                    user: user.to_owned(),
                })
                .await?
                .into_inner();
            for child in list.folders.iter().filter(|f| f.parent_id == service_id) {
                delete_folder(
                    &self.contacts,
                    user,
                    &super::phone_id(DataClass::Contacts, &child.id),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn fetch_item(
        &self,
        ctx: &crate::pipeline::context::RequestCtx,
        folder: &str,
        id: &str,
        request: &eas_protocol::item_operations::FetchRequest,
    ) -> Result<Option<Result<Vec<Element>, eas_protocol::status::ItemOperationsStatus>>, EdgeError>
    {
        fetch(ctx, &self.contacts, &service_folder(folder), id, request)
            .await
            .map(Some)
    }
}

/// A contacts folder of the service with phone ids.
fn phone_folder(mut f: eas_rpc::collections::Folder) -> eas_rpc::collections::Folder {
    f.id = super::phone_id(DataClass::Contacts, &f.id);
    f.parent_id = super::phone_id(DataClass::Contacts, &f.parent_id);
    f
}

/// The service's id behind a phone's contacts folder id ("0" stays the top).
fn service_folder(phone_id: &str) -> String {
    match super::class_of(phone_id) {
        (DataClass::Contacts, id) => id.to_owned(),
        _ => phone_id.to_owned(),
    }
}

/// FolderCreate of a contacts folder (type 14) under `parent` (a phone id or "0").
async fn create_folder(
    contacts: &ContactsClient<Channel>,
    user: &str,
    parent: &str,
    display_name: &str,
) -> Result<eas_rpc::collections::Folder, tonic::Status> {
    let mut c = contacts.clone();
    let written = c
        .create_folder(eas_rpc::contacts::CreateFolderRequest {
            user: user.to_owned(),
            parent_id: service_folder(parent),
            display_name: display_name.to_owned(),
        })
        .await?
        .into_inner();
    written
        .folder
        .map(phone_folder)
        .ok_or_else(|| tonic::Status::internal("the contacts service answered no folder"))
}

/// FolderUpdate of a contacts folder the user created.
async fn update_folder(
    contacts: &ContactsClient<Channel>,
    user: &str,
    folder: &str,
    parent: &str,
    display_name: &str,
) -> Result<eas_rpc::collections::Folder, tonic::Status> {
    let mut c = contacts.clone();
    let written = c
        .update_folder(eas_rpc::contacts::UpdateFolderRequest {
            user: user.to_owned(),
            folder_id: service_folder(folder),
            parent_id: service_folder(parent),
            display_name: display_name.to_owned(),
        })
        .await?
        .into_inner();
    written
        .folder
        .map(phone_folder)
        .ok_or_else(|| tonic::Status::internal("the contacts service answered no folder"))
}

/// FolderDelete of a contacts folder the user created, with its subfolders and contacts.
async fn delete_folder(
    contacts: &ContactsClient<Channel>,
    user: &str,
    folder: &str,
) -> Result<(), tonic::Status> {
    let mut c = contacts.clone();
    c.delete_folder(eas_rpc::contacts::DeleteFolderRequest {
        user: user.to_owned(),
        folder_id: service_folder(folder),
    })
    .await?;
    Ok(())
}

/// MoveItems of a contact between two contacts folders (phone ids): its new id.
async fn move_contact(
    contacts: &ContactsClient<Channel>,
    user: &str,
    from: &str,
    id: &str,
    to: &str,
) -> Result<String, tonic::Status> {
    let mut c = contacts.clone();
    let moved = c
        .move_contact(eas_rpc::contacts::MoveContactRequest {
            user: user.to_owned(),
            from_folder_id: service_folder(from),
            id: id.to_owned(),
            to_folder_id: service_folder(to),
        })
        .await?
        .into_inner();
    Ok(moved.id)
}

/// ItemOperations Fetch of one contact (MS-ASCMD 2.2.3.67.1): its Contacts-class elements for the
/// request's BodyPreference, restricted to its `Schema` when one is given (MS-ASCNTC 3.2.5.1,
/// R485); status 6 when the folder does not hold it, 15 when it cannot be rendered.
async fn fetch(
    ctx: &crate::pipeline::context::RequestCtx,
    contacts: &ContactsClient<Channel>,
    service_folder: &str,
    id: &str,
    f: &eas_protocol::item_operations::FetchRequest,
) -> Result<Result<Vec<Element>, eas_protocol::status::ItemOperationsStatus>, EdgeError> {
    use eas_protocol::status::ItemOperationsStatus as Status;
    let mut c = contacts.clone();
    let reply = c
        .get_contacts(GetContactsRequest {
            user: ctx.user.address.clone(),
            folder_id: service_folder.to_owned(),
            ids: vec![id.to_owned()],
        })
        .await;
    let list = match reply {
        Ok(r) => r.into_inner(),
        Err(s) if s.code() == tonic::Code::NotFound => {
            return Ok(Err(Status::DocumentLibraryNotFound))
        }
        Err(s) => return Err(EdgeError::from(s)),
    };
    let Some(stored_contact) = list.contacts.into_iter().find(|c| c.id == id) else {
        return Ok(Err(Status::DocumentLibraryNotFound));
    };
    let contact = decode(&stored_contact).map_err(EdgeError::Internal)?;
    let schema = f
        .options
        .schema
        .as_ref()
        .map(|els| eas_contacts_model::FieldSet::from_elements(els));
    let options = model::RenderOptions {
        body_preferences: &f.options.body_preferences,
        schema: schema.as_ref(),
        ..model::RenderOptions::default()
    };
    match model::render_with(&contact, ctx.version, &options) {
        Ok(props) => Ok(Ok(props)),
        Err(e) => {
            tracing::warn!(user = %ctx.user.address, error = %e, "contact conversion failed");
            Ok(Err(Status::ConversionFailed))
        }
    }
}
