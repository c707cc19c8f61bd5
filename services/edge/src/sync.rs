//! Sync (MS-ASCMD 2.2.1.21) of mail folders: client changes applied to the mail service, server
//! changes planned by the sync engine, item data rendered as the Email class.

use std::collections::HashMap;

use axum::response::Response;
use eas_protocol::email::EmailChange;
use eas_protocol::status::SyncStatus;
use eas_protocol::sync::{
    ClientCommand, ItemResponse, ServerCommand, SyncCollection, SyncCollectionResponse,
    SyncRequest, SyncResponse,
};
use eas_rpc::mail::mail_client::MailClient;
use eas_rpc::mail::{
    self as wire, GetMessagesRequest, MessageRef, MoveRequest, SetFlagRequest, SetReadRequest,
};
use eas_sync::{AddDecision, ChangeDecision, CollectionState, DeleteDecision, Session, SyncError};
use eas_wbxml::Element;
use tonic::transport::Channel;

use crate::context::{now, RequestCtx};
use crate::email::{body_requests, change, email, wire_flag};
use crate::error::EdgeError;
use crate::mail_source::MailFolderSource;
use crate::router::{wbxml_response, Edge};

/// Folder types of mail folders (MS-ASCMD 2.2.3.186.3): the ones this handler serves.
const MAIL_TYPES: [u32; 6] = [2, 3, 4, 5, 6, 12];
const DELETED_ITEMS: u32 = 4;

/// The device store's name for a collection's sync state.
pub fn state_name(collection_id: &str) -> String {
    format!("sync:{collection_id}")
}

fn unavailable(s: tonic::Status) -> EdgeError {
    EdgeError::Unavailable(format!("mail service: {}", s.message()))
}

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    let Some(mail) = edge.mail.clone() else {
        return Err(EdgeError::UnsupportedCommand("Sync".into()));
    };
    // MS-ASCMD 2.2.3.177.17 status 13: an empty request repeats a cached one; none is cached.
    let Some(doc) = doc else {
        return Ok(status_only(SyncStatus::IncompleteRequest));
    };
    let req = match SyncRequest::from_element(&doc) {
        Ok(r) if !r.collections.is_empty() => r,
        Ok(_) => return Ok(status_only(SyncStatus::IncompleteRequest)),
        Err(e) => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = %e, "bad sync request");
            return Ok(status_only(SyncStatus::ProtocolError));
        }
    };
    let folders = list_folders(&mail, &ctx.user.address).await?;
    let mut out = Vec::with_capacity(req.collections.len());
    for coll in &req.collections {
        out.push(sync_collection(edge, ctx, &mail, &folders, coll, req.window_size).await?);
    }
    Ok(wbxml_response(&SyncResponse::collections(out).to_element()))
}

fn status_only(status: SyncStatus) -> Response {
    wbxml_response(&SyncResponse::status_only(status).to_element())
}

pub(crate) async fn list_folders(
    mail: &MailClient<Channel>,
    user: &str,
) -> Result<HashMap<String, wire::Folder>, EdgeError> {
    let mut c = mail.clone();
    let list = c
        .list_folders(wire::UserRequest {
            user: user.to_owned(),
        })
        .await
        .map_err(unavailable)?
        .into_inner();
    Ok(list
        .folders
        .into_iter()
        .map(|f| (f.id.clone(), f))
        .collect())
}

fn engine_options(coll: &SyncCollection, global_window: Option<u32>) -> eas_sync::SyncOptions {
    let options = coll.options.first();
    eas_sync::SyncOptions {
        window_size: coll.window_size.or(global_window),
        // No Options keeps the stored filter; Options without FilterType means all items.
        filter: options.map(|o| {
            o.filter_type
                .and_then(|f| eas_sync::FilterType::from_code(f.code()))
                .unwrap_or(eas_sync::FilterType::All)
        }),
        get_changes: coll.get_changes,
        conflict: options
            .and_then(|o| o.conflict)
            .and_then(|c| eas_sync::ConflictPolicy::from_code(c as u8)),
        now: now(),
    }
}

async fn sync_collection(
    edge: &Edge,
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    folders: &HashMap<String, wire::Folder>,
    coll: &SyncCollection,
    global_window: Option<u32>,
) -> Result<SyncCollectionResponse, EdgeError> {
    let id = coll.collection_id.clone();
    let (user, device) = (ctx.user.address.as_str(), ctx.line.device_id.as_str());
    let Some(folder) = folders.get(&id) else {
        // MS-ASCMD 2.2.3.177.17 status 12: the folder is gone; the client runs FolderSync.
        return Ok(SyncCollectionResponse::failed(
            id,
            None,
            SyncStatus::FolderHierarchyChanged,
        ));
    };
    if !MAIL_TYPES.contains(&folder.folder_type) {
        tracing::info!(user, device_id = device, collection_id = %id, folder_type = folder.folder_type, "sync of a class not served yet");
        return Ok(SyncCollectionResponse::failed(
            id,
            None,
            SyncStatus::ServerError,
        ));
    }
    let name = state_name(&id);
    let stored = match edge.devices.get_state(user, device, &name).await? {
        None => None,
        Some(bytes) => match CollectionState::decode(&bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(user, device_id = device, collection_id = %id, error = %e, "corrupt sync state");
                None
            }
        },
    };
    let mut session = match Session::open(
        stored,
        &coll.sync_key,
        &engine_options(coll, global_window),
    ) {
        Ok(s) => s,
        Err(_) => {
            tracing::info!(user, device_id = device, collection_id = %id, sync_key = %coll.sync_key, "unknown sync key");
            return Ok(SyncCollectionResponse::failed(
                id,
                Some("0".into()),
                SyncStatus::InvalidSyncKey,
            ));
        }
    };
    let source = MailFolderSource {
        client: mail.clone(),
        user: user.to_owned(),
        folder_id: id.clone(),
    };
    let prefs = coll
        .options
        .first()
        .map(|o| o.body_preferences.clone())
        .unwrap_or_default();
    let mut responses = Vec::new();
    if let Err(e) = client_commands(
        ctx,
        mail,
        &source,
        folders,
        folder,
        coll,
        &prefs,
        &mut session,
        &mut responses,
    )
    .await
    {
        return Ok(engine_failure(id, e));
    }
    let mut plan = match session.plan(&source).await {
        Ok(p) => p,
        Err(e) => return Ok(engine_failure(id, e)),
    };
    let wanted: Vec<String> = plan
        .commands
        .iter()
        .filter(|c| {
            matches!(
                c,
                eas_sync::ServerCommand::Add(_) | eas_sync::ServerCommand::Change(_)
            )
        })
        .map(|c| c.id().to_owned())
        .collect();
    let messages = get_messages(mail, user, wanted, &prefs).await?;
    // An item deleted between planning and fetching is left out before the engine records it.
    plan.commands.retain(|c| match c {
        eas_sync::ServerCommand::Add(v) | eas_sync::ServerCommand::Change(v) => {
            messages.contains_key(&v.id)
        }
        _ => true,
    });
    let committed = session.commit(plan);
    let mut commands = Vec::with_capacity(committed.commands.len());
    for c in &committed.commands {
        let cmd = match c {
            eas_sync::ServerCommand::Add(v) => {
                let Some(m) = messages.get(&v.id) else {
                    continue;
                };
                let data = email(m)
                    .properties(ctx.version)
                    .map_err(|e| EdgeError::Internal(e.to_string()))?;
                ServerCommand::Add {
                    server_id: v.id.clone(),
                    application_data: data,
                }
            }
            eas_sync::ServerCommand::Change(v) => {
                let Some(m) = messages.get(&v.id) else {
                    continue;
                };
                ServerCommand::Change {
                    server_id: v.id.clone(),
                    application_data: change(m).properties(),
                }
            }
            eas_sync::ServerCommand::Delete(i) => ServerCommand::Delete {
                server_id: i.clone(),
            },
            eas_sync::ServerCommand::SoftDelete(i) => ServerCommand::SoftDelete {
                server_id: i.clone(),
            },
        };
        commands.push(cmd);
    }
    edge.devices
        .put_state(user, device, &name, committed.state.encode())
        .await?;
    let mut resp = SyncCollectionResponse::new(id, committed.key.to_string());
    resp.class = coll.class.clone();
    resp.more_available = committed.more_available;
    resp.commands = commands;
    resp.responses = responses;
    Ok(resp)
}

fn engine_failure(id: String, e: SyncError) -> SyncCollectionResponse {
    let status = SyncStatus::from_code(e.sync_status()).unwrap_or(SyncStatus::ServerError);
    tracing::warn!(collection_id = %id, error = %e, "sync failed");
    SyncCollectionResponse::failed(id, None, status)
}

async fn get_messages(
    mail: &MailClient<Channel>,
    user: &str,
    ids: Vec<String>,
    prefs: &[eas_protocol::body::BodyPreference],
) -> Result<HashMap<String, wire::Message>, EdgeError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut c = mail.clone();
    let list = c
        .get_messages(GetMessagesRequest {
            user: user.to_owned(),
            ids,
            body: body_requests(prefs),
        })
        .await
        .map_err(unavailable)?
        .into_inner();
    Ok(list
        .messages
        .into_iter()
        .map(|m| (m.id.clone(), m))
        .collect())
}

fn from_wire(v: wire::ItemVersion) -> eas_sync::ItemVersion {
    if v.deleted {
        eas_sync::ItemVersion::tombstone(v.id, v.modseq)
    } else {
        eas_sync::ItemVersion::live(v.id, v.modseq, (v.date != 0).then_some(v.date))
    }
}

/// Applies the client's Add, Change, Delete and Fetch commands (MS-ASCMD 2.2.3.24).
#[allow(clippy::too_many_arguments)]
async fn client_commands(
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    source: &MailFolderSource,
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
            ClientCommand::Add { client_id, .. } => match session.client_add(client_id) {
                AddDecision::AlreadyCreated { server_id } => responses.push(ItemResponse::Add {
                    client_id: client_id.clone(),
                    server_id: Some(server_id),
                    status: SyncStatus::Success,
                }),
                // Phones do not create mail through Sync (drafts are a 16.x feature not served).
                AddDecision::Create => responses.push(ItemResponse::Add {
                    client_id: client_id.clone(),
                    server_id: None,
                    status: SyncStatus::ConversionError,
                }),
            },
            ClientCommand::Change {
                server_id,
                application_data,
                ..
            } => {
                let decision = decisions.next().unwrap_or(ChangeDecision::NotFound);
                match decision {
                    ChangeDecision::Apply => {
                        let Ok(ch) = EmailChange::from_application_data(application_data) else {
                            responses.push(ItemResponse::Change {
                                server_id: server_id.clone(),
                                status: SyncStatus::ConversionError,
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
                            session.record_client_change(&from_wire(v));
                        }
                    }
                    ChangeDecision::AlreadyApplied => {}
                    // Server wins (the default): the server's version goes out as a Change.
                    ChangeDecision::Conflict => responses.push(ItemResponse::Change {
                        server_id: server_id.clone(),
                        status: SyncStatus::Conflict,
                    }),
                    ChangeDecision::NotFound => responses.push(ItemResponse::Change {
                        server_id: server_id.clone(),
                        status: SyncStatus::ObjectNotFound,
                    }),
                }
            }
            ClientCommand::Delete { server_id } => {
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
