//! The Email class (MS-ASEMAIL) on the mail service: the client's side of a Sync collection
//! (MS-ASCMD 2.2.3.24: Add, Change, Delete and Fetch applied to the mail service and recorded in
//! the sync engine's session) and messages rendered as `ApplicationData`.

use std::collections::HashMap;

use async_trait::async_trait;
use eas_event_bus::DataClass;
use eas_protocol::email::{DraftFields, EmailChange};
use eas_protocol::status::ItemOperationsStatus;
use eas_protocol::status::SyncStatus;
use eas_protocol::sync::{ClientCommand, ItemResponse, SyncCollection};
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::collections::Folder as CollectionsFolder;
use eas_rpc::mail::mail_client::MailClient;
use eas_rpc::mail::{
    self as wire, BodyRef, CreateFolderRequest, EmptyFolderRequest, FolderRef, GetMessagesRequest,
    MessageRef, MoveRequest, SetFlagRequest, SetReadRequest, UpdateFolderRequest,
};
use eas_rpc::Channel;
use eas_rpc::RemoteFolder;
use eas_sync::FilterType;
use eas_sync::{AddDecision, ChangeDecision, DeleteDecision, Session, SyncError};
use eas_wbxml::Element;

use super::{ClassHandler, Rendered, SyncInput};
use crate::drafts::takes_drafts;
use crate::email::{body_requests, change, email, into_email, wire_flag};
use crate::error::EdgeError;
use crate::pipeline::context::RequestCtx;

/// Folder types of mail folders (MS-ASCMD 2.2.3.186.3).
pub(crate) const MAIL_TYPES: [u32; 6] = [2, 3, 4, 5, 6, 12];

/// Mail folder types a device may create, rename, move and delete: generic (1) and
/// user-created mail (12) (MS-ASCMD 2.2.3.186.3).
const USER_FOLDER_TYPES: [u32; 2] = [1, 12];

/// The Email class: mail folders on the mail service.
pub struct MailClass {
    mail: MailClient<Channel>,
    collections: CollectionsClient<Channel>,
}

impl MailClass {
    /// The class over `channel`, on which the mail service serves its API and the collection
    /// contract.
    pub fn new(channel: Channel) -> MailClass {
        MailClass {
            mail: eas_rpc::mail_client(channel.clone()),
            collections: eas_rpc::collections_client(channel),
        }
    }

    pub fn mail(&self) -> &MailClient<Channel> {
        &self.mail
    }
}

#[async_trait]
impl ClassHandler for MailClass {
    fn class(&self) -> DataClass {
        DataClass::Mail
    }

    fn name(&self) -> &'static str {
        "Email"
    }

    fn owns(&self, folder_type: u32) -> bool {
        MAIL_TYPES.contains(&folder_type)
    }

    fn filter(&self, asked: FilterType) -> Option<FilterType> {
        Some(asked)
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
        client_commands(
            input.ctx,
            &self.mail,
            input.source,
            input.folders,
            input.folder,
            input.coll,
            input.prefs,
            session,
            responses,
        )
        .await
    }

    async fn render(
        &self,
        input: &SyncInput<'_>,
        adds: Vec<String>,
        changes: Vec<String>,
        budget: u64,
    ) -> Result<Rendered, EdgeError> {
        let user = input.ctx.user.address.as_str();
        // A Change carries Read and Flag only: no body is read for it.
        let changed = fetch_messages(&self.mail, user, changes, Vec::new(), 0, true).await?;
        // Adds in the plan's order, within the budget (at least the first one).
        let added = fetch_messages(
            &self.mail,
            user,
            adds,
            body_requests(input.prefs),
            budget.max(1),
            false,
        )
        .await?;
        let mut out = Rendered {
            omitted: added.omitted,
            bytes: added.bytes,
            ..Rendered::default()
        };
        for (id, m) in added.messages {
            let data = into_email(m)
                .properties(input.ctx.version)
                .map_err(|e| EdgeError::Internal(e.to_string()))?;
            out.adds.insert(id, data);
        }
        for (id, m) in changed.messages {
            out.changes.insert(id, change(&m).properties());
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
        folder_type: u32,
    ) -> Result<CollectionsFolder, tonic::Status> {
        let mut c = self.mail.clone();
        c.create_folder(CreateFolderRequest {
            user: user.to_owned(),
            parent_id: parent.to_owned(),
            display_name: display_name.to_owned(),
            folder_type,
        })
        .await
        .map(tonic::Response::into_inner)
    }

    async fn update_folder(
        &self,
        user: &str,
        folder: &str,
        parent: &str,
        display_name: &str,
    ) -> Result<CollectionsFolder, tonic::Status> {
        let mut c = self.mail.clone();
        c.update_folder(UpdateFolderRequest {
            user: user.to_owned(),
            folder_id: folder.to_owned(),
            parent_id: parent.to_owned(),
            display_name: display_name.to_owned(),
        })
        .await
        .map(tonic::Response::into_inner)
    }

    async fn delete_folder(&self, user: &str, folder: &str) -> Result<(), tonic::Status> {
        let mut c = self.mail.clone();
        c.delete_folder(FolderRef {
            user: user.to_owned(),
            folder_id: folder.to_owned(),
        })
        .await
        .map(|_| ())
    }

    async fn move_item(
        &self,
        user: &str,
        _from: &str,
        id: &str,
        to: &str,
    ) -> Result<String, tonic::Status> {
        let mut c = self.mail.clone();
        c.move_message(MoveRequest {
            user: user.to_owned(),
            id: id.to_owned(),
            destination_folder_id: to.to_owned(),
        })
        .await
        .map(|r| r.into_inner().new_id)
    }

    async fn empty_folder(
        &self,
        user: &str,
        folder: &str,
        delete_sub_folders: bool,
    ) -> Result<(), tonic::Status> {
        let mut c = self.mail.clone();
        c.empty_folder(EmptyFolderRequest {
            user: user.to_owned(),
            folder_id: folder.to_owned(),
            include_subfolders: delete_sub_folders,
        })
        .await
        .map(|_| ())
    }

    async fn fetch_item(
        &self,
        _ctx: &RequestCtx,
        _folder: &str,
        _id: &str,
        _request: &eas_protocol::item_operations::FetchRequest,
    ) -> Result<Option<Result<Vec<Element>, ItemOperationsStatus>>, EdgeError> {
        Ok(None)
    }
}

/// Applies the client's Add, Change, Delete and Fetch commands (MS-ASCMD 2.2.3.24).
#[allow(clippy::too_many_arguments)]
async fn client_commands(
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    source: &RemoteFolder,
    folders: &HashMap<String, wire::Folder>,
    folder: &wire::Folder,
    coll: &SyncCollection,
    prefs: &[eas_protocol::body::BodyPreference],
    session: &mut Session,
    responses: &mut Vec<ItemResponse>,
) -> Result<(), SyncError> {
    let user = ctx.user.address.clone();
    let mut c = mail.clone();
    let change_ids: Vec<String> = coll
        .commands
        .iter()
        .filter_map(|c| match c {
            ClientCommand::Change { server_id, .. } => Some(server_id.clone()),
            _ => None,
        })
        .collect();
    let mut decisions = if change_ids.is_empty() {
        Vec::new()
    } else {
        session.client_changes(source, &change_ids).await?
    }
    .into_iter();
    let deleted_items = folders
        .values()
        .find(|f| f.folder_type == DELETED_ITEMS)
        .map(|f| f.id.clone());
    let mut fetches = Vec::new();
    let io = |s: tonic::Status| {
        SyncError::Source(eas_sync::SourceError::Unavailable(s.message().to_owned()))
    };
    for cmd in &coll.commands {
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
                // MS-ASEMAIL 3.1.5.3: from 16.0 a client creates drafts in Drafts.
                AddDecision::Create if takes_drafts(folder.folder_type, ctx.version) => {
                    let added = crate::drafts::add(
                        ctx,
                        mail,
                        &folder.id,
                        client_id,
                        application_data,
                        session,
                    )
                    .await?;
                    responses.push(added);
                }
                // Phones do not create mail through Sync elsewhere, nor drafts before 16.0.
                AddDecision::Create => responses.push(ItemResponse::Add {
                    client_id: client_id.clone(),
                    server_id: None,
                    status: SyncStatus::ConversionError,
                    application_data: None,
                }),
            },
            ClientCommand::Change {
                server_id,
                application_data,
                ..
            } => {
                let decision = decisions.next().unwrap_or(ChangeDecision::NotFound);
                match decision {
                    // MS-ASEMAIL 3.1.5.3: from 16.0 a draft's fields change, or it is sent.
                    ChangeDecision::Apply
                        if takes_drafts(folder.folder_type, ctx.version) && {
                            let fields = DraftFields::from_application_data(application_data);
                            fields
                                .as_ref()
                                .map_or(true, crate::drafts::changes_draft_fields)
                        } =>
                    {
                        let status = match DraftFields::from_application_data(application_data) {
                            Ok(fields) => {
                                crate::drafts::change(ctx, mail, &folder.id, server_id, &fields)
                                    .await?
                            }
                            Err(_) => Some(SyncStatus::ConversionError),
                        };
                        if let Some(status) = status {
                            responses.push(ItemResponse::Change {
                                server_id: server_id.clone(),
                                status,
                                instance_id: None,
                            });
                        }
                    }
                    ChangeDecision::Apply => {
                        let Ok(ch) = EmailChange::from_application_data(application_data) else {
                            responses.push(ItemResponse::Change {
                                server_id: server_id.clone(),
                                status: SyncStatus::ConversionError,
                                instance_id: None,
                            });
                            continue;
                        };
                        let mut last = None;
                        if let Some(read) = ch.read {
                            let v = c
                                .set_read(SetReadRequest {
                                    user: user.clone(),
                                    id: server_id.clone(),
                                    read,
                                })
                                .await
                                .map_err(io)?
                                .into_inner();
                            last = Some(v);
                        }
                        if let Some(f) = &ch.flag {
                            let v = c
                                .set_flag(SetFlagRequest {
                                    user: user.clone(),
                                    id: server_id.clone(),
                                    flag: Some(wire_flag(f)),
                                })
                                .await
                                .map_err(io)?
                                .into_inner();
                            last = Some(v);
                        }
                        if let Some(v) = last {
                            session.record_client_change(&eas_sync::ItemVersion::from(v));
                        }
                    }
                    ChangeDecision::AlreadyApplied => {}
                    // Server wins (the default): the server's version goes out as a Change.
                    ChangeDecision::Conflict => responses.push(ItemResponse::Change {
                        server_id: server_id.clone(),
                        status: SyncStatus::Conflict,
                        instance_id: None,
                    }),
                    ChangeDecision::NotFound => responses.push(ItemResponse::Change {
                        server_id: server_id.clone(),
                        status: SyncStatus::ObjectNotFound,
                        instance_id: None,
                    }),
                }
            }
            ClientCommand::Delete { server_id, .. } => {
                if session.client_delete(server_id) != DeleteDecision::Apply {
                    continue;
                }
                // MS-ASCMD 2.2.3.44: DeletesAsMoves (default true) moves mail to Deleted Items.
                let to_trash = coll.deletes_as_moves()
                    && folder.folder_type != DELETED_ITEMS
                    && deleted_items.is_some();
                let result = match (&deleted_items, to_trash) {
                    (Some(trash), true) => c
                        .move_message(MoveRequest {
                            user: user.clone(),
                            id: server_id.clone(),
                            destination_folder_id: trash.clone(),
                        })
                        .await
                        .map(|_| ()),
                    _ => c
                        .delete_message(MessageRef {
                            user: user.clone(),
                            id: server_id.clone(),
                        })
                        .await
                        .map(|_| ()),
                };
                match result {
                    Ok(()) => session.record_client_delete(server_id),
                    Err(s) if s.code() == tonic::Code::NotFound => {
                        session.record_client_delete(server_id)
                    }
                    Err(s) => return Err(io(s)),
                }
            }
            ClientCommand::Fetch { server_id } => fetches.push(server_id.clone()),
        }
    }
    if !fetches.is_empty() {
        let found = get_messages(mail, &user, fetches.clone(), prefs)
            .await
            .map_err(|e| SyncError::Source(eas_sync::SourceError::Unavailable(e.to_string())))?;
        for id in fetches {
            let resp = match found
                .get(&id)
                .and_then(|m| email(m).properties(ctx.version).ok())
            {
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
            };
            responses.push(resp);
        }
    }
    Ok(())
}

/// The Deleted Items folder's type (MS-ASCMD 2.2.3.186.3).
pub(crate) const DELETED_ITEMS: u32 = 4;

/// Messages fetched for a response, and those the byte budget left for a later one.
#[derive(Default)]
pub(crate) struct Fetched {
    /// By id; bodies the mail service streamed are read in full.
    pub messages: HashMap<String, wire::Message>,
    /// Ids left out by the byte budget, in request order (a suffix of the ids asked for).
    pub omitted: Vec<String>,
    /// Bytes of the messages fetched, bodies included.
    pub bytes: u64,
}

/// Fetches `ids` (in this order) with bodies for `body`, within `max_bytes` (0: no budget; the
/// first message found always comes). A body too large for the reply is read with ReadBody.
/// Ids the mailbox does not know, or whose message vanished meanwhile, are simply absent.
pub(crate) async fn fetch_messages(
    mail: &MailClient<Channel>,
    user: &str,
    ids: Vec<String>,
    body: Vec<wire::BodyRequest>,
    max_bytes: u64,
    metadata_only: bool,
) -> Result<Fetched, EdgeError> {
    if ids.is_empty() {
        return Ok(Fetched::default());
    }
    let mut c = mail.clone();
    let list = c
        .get_messages(GetMessagesRequest {
            user: user.to_owned(),
            ids,
            body: body.clone(),
            max_bytes,
            metadata_only,
        })
        .await
        .map_err(EdgeError::from)?
        .into_inner();
    let mut fetched = Fetched {
        omitted: list.omitted,
        ..Fetched::default()
    };
    for mut m in list.messages {
        if let Some(b) = m.body.as_mut().filter(|b| b.data_streamed) {
            let Some(data) = read_body(mail, user, &m.id, &body).await? else {
                continue;
            };
            b.data = data;
            b.data_streamed = false;
        }
        fetched.bytes += eas_rpc::prost::Message::encoded_len(&m) as u64;
        fetched.messages.insert(m.id.clone(), m);
    }
    Ok(fetched)
}

/// Opens the stream of one message's body (ReadBody); `None` when the message is gone.
pub(crate) async fn open_body(
    mail: &MailClient<Channel>,
    user: &str,
    id: &str,
    body: &[wire::BodyRequest],
) -> Result<Option<tonic::Streaming<wire::Chunk>>, EdgeError> {
    let mut c = mail.clone();
    let opened = c
        .read_body(BodyRef {
            user: user.to_owned(),
            id: id.to_owned(),
            body: body.to_vec(),
        })
        .await;
    match opened {
        Ok(s) => Ok(Some(s.into_inner())),
        Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
        Err(s) => Err(EdgeError::from(s)),
    }
}

/// The body data the mail service streams for one message, read in full; `None` when the
/// message is gone.
pub(crate) async fn read_body(
    mail: &MailClient<Channel>,
    user: &str,
    id: &str,
    body: &[wire::BodyRequest],
) -> Result<Option<Vec<u8>>, EdgeError> {
    let Some(mut stream) = open_body(mail, user, id, body).await? else {
        return Ok(None);
    };
    let mut data = Vec::new();
    loop {
        match stream.message().await {
            Ok(Some(chunk)) => {
                if data.is_empty() {
                    // The announced size, within reason (it comes over the network).
                    let total = usize::try_from(chunk.total_size).unwrap_or(0);
                    data.reserve(total.min(64 << 20));
                }
                data.extend_from_slice(&chunk.data);
            }
            Ok(None) => return Ok(Some(data)),
            Err(s) if s.code() == tonic::Code::NotFound => return Ok(None),
            Err(s) => return Err(EdgeError::from(s)),
        }
    }
}

/// Messages by id, with their bodies in full (no byte budget).
pub(crate) async fn get_messages(
    mail: &MailClient<Channel>,
    user: &str,
    ids: Vec<String>,
    prefs: &[eas_protocol::body::BodyPreference],
) -> Result<HashMap<String, wire::Message>, EdgeError> {
    Ok(
        fetch_messages(mail, user, ids, body_requests(prefs), 0, false)
            .await?
            .messages,
    )
}
