//! Sync (MS-ASCMD 2.2.1.21): each collection routed to the data class that owns it
//! (`classes`), which applies the client's changes and renders items; server changes planned by
//! the sync engine. Held requests (Wait, HeartbeatInterval) are in `sync_wait`, the cached
//! request (empty and Partial requests) in `sync_cache`.

pub(crate) mod cache;
pub(crate) mod wait;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use eas_protocol::status::SyncStatus;
use eas_protocol::sync::{
    ServerCommand, SyncCollection, SyncCollectionResponse, SyncRequest, SyncResponse,
};
use eas_rpc::RemoteFolder;
use eas_sync::{CollectionState, Session, SessionKind, SyncError};
use eas_wbxml::Element;

use crate::classes::{ClassHandler, FolderMap, SyncInput};
use crate::edge::Edge;
use crate::error::EdgeError;
use crate::pipeline::context::{now, RequestCtx};
use crate::respond::wbxml_response;
use wait::Held;

/// The most bytes of message data one Sync response carries, shared by its collections. Each
/// collection's first Add goes out whatever its size, so an item larger than the budget is sent
/// in an answer of its own; past the budget the collection's answer ends with MoreAvailable
/// (MS-ASCMD 2.2.3.199: the server may send fewer changes than WindowSize).
pub(crate) const SYNC_RESPONSE_BUDGET: u64 = 8 << 20;

/// The device store's name for a collection's sync state.
pub fn state_name(collection_id: &str) -> String {
    format!("sync:{collection_id}")
}

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    if edge.classes.is_empty() {
        return Err(EdgeError::UnsupportedCommand("Sync".into()));
    }
    let (user, device) = (ctx.user.address.clone(), ctx.line.device_id.clone());
    let sent = match doc.as_ref().map(SyncRequest::from_element) {
        None => None,
        Some(Ok(r)) => Some(r),
        Some(Err(e)) => {
            tracing::info!(user = %user, device_id = %device, error = %e, "bad sync request");
            return Ok(status_only(SyncStatus::ProtocolError));
        }
    };
    let from_body = sent.is_some();
    // MS-ASCMD 2.2.1.21.1 and 2.2.3.125: an empty or Partial request stands for the cached one.
    let Some(req) = crate::commands::sync::cache::resolve(edge, &user, &device, sent).await? else {
        // MS-ASCMD 2.2.3.177.17 status 13: empty or partial, and no request is cached.
        return Ok(status_only(SyncStatus::IncompleteRequest));
    };
    // MS-ASCMD 2.2.3.177.17 status 15 with Limit (2.2.3.97): too many collections. A held request
    // watches all of them, as a Ping watches its folders, so Ping's bound applies.
    let max = edge.config.ping.max_folders;
    if req.collections.len() > max as usize {
        let refusal = SyncResponse::with_limit(SyncStatus::InvalidRequest, max);
        return Ok(wbxml_response(&refusal.to_element()));
    }
    let interval = match crate::commands::sync::wait::interval(&req, ctx.version, &edge.config.ping)
    {
        Ok(i) => i,
        Err(refusal) => return Ok(wbxml_response(&refusal.to_element())),
    };
    if from_body {
        crate::commands::sync::cache::store(edge, &user, &device, &req).await?;
    }
    let folders = edge
        .classes
        .folders_for(
            &user,
            req.collections.iter().map(|c| c.collection_id.as_str()),
        )
        .await?;
    // A request with client changes is answered at once: the client needs its new keys.
    let holdable = req.collections.iter().all(|c| c.commands.is_empty());
    let held = match (interval, edge.push()) {
        (Some(interval), Some(hub)) if holdable => {
            crate::commands::sync::wait::hold(edge, ctx, &folders, &req, &hub, interval).await?
        }
        _ => Held::Answer(
            sync_pass(edge, ctx, &folders, &req, Mode::Answer)
                .await?
                .into_iter()
                .filter_map(Outcome::into_answer)
                .collect(),
        ),
    };
    match held {
        Held::Answer(collections) => {
            crate::commands::sync::cache::advance(edge, &user, &device, &req, &collections).await?;
            Ok(wbxml_response(
                &SyncResponse::collections(collections).to_element(),
            ))
        }
        // MS-ASCMD 2.2.1.21.2: nothing changed; an empty response keeps every key as it was.
        Held::NoChanges => Ok(StatusCode::OK.into_response()),
        // MS-ASCMD 2.2.3.177.17 status 12: the hierarchy changed while the request was held.
        Held::Hierarchy => Ok(status_only(SyncStatus::FolderHierarchyChanged)),
    }
}

/// How a pass over the collections treats a collection with nothing to say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every collection is answered with a new key.
    Answer,
    /// A held request (MS-ASCMD 2.2.3.198, 2.2.3.88.2): a collection with nothing to say is left
    /// unanswered and its state untouched, so that an empty response keeps its key valid.
    /// `recheck` is set after the request waited.
    Hold { recheck: bool },
}

/// The result of one collection in a pass.
#[derive(Debug)]
pub(crate) enum Outcome {
    Answer(SyncCollectionResponse),
    /// Nothing to say (held requests only).
    Quiet,
    /// On a re-check, the collection's key moved: another request of the device synced it.
    Moved,
}

impl Outcome {
    /// The collection's answer, if it has one.
    pub(crate) fn into_answer(self) -> Option<SyncCollectionResponse> {
        match self {
            Outcome::Answer(r) => Some(r),
            Outcome::Quiet | Outcome::Moved => None,
        }
    }
}

/// Syncs every collection of the request once, in order.
pub(crate) async fn sync_pass(
    edge: &Edge,
    ctx: &RequestCtx,
    folders: &FolderMap,
    req: &SyncRequest,
    mode: Mode,
) -> Result<Vec<Outcome>, EdgeError> {
    let mut out = Vec::with_capacity(req.collections.len());
    let mut budget = SYNC_RESPONSE_BUDGET;
    for coll in &req.collections {
        out.push(
            sync_collection(edge, ctx, folders, coll, req.window_size, mode, &mut budget).await?,
        );
    }
    Ok(out)
}

fn status_only(status: SyncStatus) -> Response {
    wbxml_response(&SyncResponse::status_only(status).to_element())
}

/// The sync engine's options for a collection; `None` when the class does not take the
/// FilterType asked for (MS-ASCMD 2.2.3.68.2, R3045 to R3047: a calendar with 1 to 3).
fn engine_options(
    class: Option<&dyn ClassHandler>,
    coll: &SyncCollection,
    global_window: Option<u32>,
) -> Option<eas_sync::SyncOptions> {
    let options = coll.options.first();
    // No Options keeps the stored filter; Options without FilterType means all items.
    let filter = match options {
        None => None,
        Some(o) => {
            let asked = o
                .filter_type
                .and_then(|f| eas_sync::FilterType::from_code(f.code()))
                .unwrap_or(eas_sync::FilterType::All);
            Some(match class {
                Some(c) => c.filter(asked)?,
                None => asked,
            })
        }
    };
    Some(eas_sync::SyncOptions {
        window_size: coll.window_size.or(global_window),
        filter,
        get_changes: coll.get_changes,
        conflict: options
            .and_then(|o| o.conflict)
            .and_then(|c| eas_sync::ConflictPolicy::from_code(c as u8)),
        now: now(),
    })
}

/// One collection of a Sync; `budget` is what is left of the response's byte budget.
#[allow(clippy::too_many_arguments)]
async fn sync_collection(
    edge: &Edge,
    ctx: &RequestCtx,
    folders: &FolderMap,
    coll: &SyncCollection,
    global_window: Option<u32>,
    mode: Mode,
    budget: &mut u64,
) -> Result<Outcome, EdgeError> {
    let id = coll.collection_id.clone();
    let (user, device) = (ctx.user.address.as_str(), ctx.line.device_id.as_str());
    // A folder FolderSync lists but no service serves (Calendar, Contacts) is an empty folder.
    let served = match (folders.get(&id), edge.classes.route(&id)) {
        (Some(f), Some((class, service_id))) => Some((f, class.as_ref(), service_id)),
        (None, _) if crate::folders::is_unserved(&edge.classes, &id) => None,
        // MS-ASCMD 2.2.3.177.17 status 12: the folder is gone; the client runs FolderSync.
        _ => {
            return Ok(Outcome::Answer(SyncCollectionResponse::failed(
                id,
                None,
                SyncStatus::FolderHierarchyChanged,
            )))
        }
    };
    if let Some((folder, _, _)) = served.filter(|(f, class, _)| !class.owns(f.folder_type)) {
        tracing::info!(user, device_id = device, collection_id = %id, folder_type = folder.folder_type, "sync of a class not served yet");
        return Ok(Outcome::Answer(SyncCollectionResponse::failed(
            id,
            None,
            SyncStatus::ServerError,
        )));
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
    let stored_filter = stored.as_ref().map(CollectionState::filter);
    let Some(options) = engine_options(served.map(|(_, c, _)| c), coll, global_window) else {
        tracing::info!(user, device_id = device, collection_id = %id, "filtertype the class does not take");
        return Ok(Outcome::Answer(SyncCollectionResponse::failed(
            id,
            None,
            SyncStatus::ProtocolError,
        )));
    };
    let mut session = match Session::open(stored, &coll.sync_key, &options) {
        Ok(s) => s,
        Err(_) => {
            tracing::info!(user, device_id = device, collection_id = %id, sync_key = %coll.sync_key, "unknown sync key");
            return Ok(Outcome::Answer(SyncCollectionResponse::failed(
                id,
                Some("0".into()),
                SyncStatus::InvalidSyncKey,
            )));
        }
    };
    if mode == (Mode::Hold { recheck: true }) && session.kind() != SessionKind::Current {
        return Ok(Outcome::Moved);
    }
    let prefs = coll
        .options
        .first()
        .map(|o| o.body_preferences.clone())
        .unwrap_or_default();
    let mut responses = Vec::new();
    let Some((folder, class, service_id)) = served else {
        // A listed folder no service serves: empty and read-only.
        crate::folders::refuse_client_commands(coll, &mut responses);
        return finish(
            edge,
            ctx,
            coll,
            session,
            &crate::folders::EmptyFolder,
            None,
            responses,
            (mode, stored_filter),
            budget,
        )
        .await;
    };
    let source = RemoteFolder::new(class.collections().clone(), user, service_id);
    let input = SyncInput {
        ctx,
        devices: edge.devices.as_ref(),
        folders,
        folder,
        coll,
        prefs: &prefs,
        source: &source,
    };
    if let Err(e) = class
        .client_commands(&input, &mut session, &mut responses)
        .await
    {
        return Ok(Outcome::Answer(engine_failure(id, e)));
    }
    finish(
        edge,
        ctx,
        coll,
        session,
        &source,
        Some((class, &input)),
        responses,
        (mode, stored_filter),
        budget,
    )
    .await
}

/// The server's side of a collection after the client's commands: plan, render within the
/// budget, commit, store the state.
#[allow(clippy::too_many_arguments)]
async fn finish(
    edge: &Edge,
    ctx: &RequestCtx,
    coll: &SyncCollection,
    session: Session,
    source: &dyn eas_sync::ItemSource,
    class: Option<(&dyn ClassHandler, &SyncInput<'_>)>,
    responses: Vec<eas_protocol::sync::ItemResponse>,
    (mode, stored_filter): (Mode, Option<eas_sync::FilterType>),
    budget: &mut u64,
) -> Result<Outcome, EdgeError> {
    let id = coll.collection_id.clone();
    let (user, device) = (ctx.user.address.as_str(), ctx.line.device_id.as_str());
    let name = state_name(&id);
    let mut plan = match session.plan(source).await {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::Answer(engine_failure(id, e))),
    };
    // A held request leaves a collection with nothing to say as it was: no new key, no state
    // written. A new key, a resend, client changes or a filter to store always answer.
    let quiet = plan.commands.is_empty()
        && !plan.more_available
        && responses.is_empty()
        && coll.commands.is_empty()
        && coll.wants_changes()
        && session.kind() == SessionKind::Current
        && stored_filter == Some(session.state().filter());
    if quiet && mode != Mode::Answer {
        return Ok(Outcome::Quiet);
    }
    let (mut adds, mut changes) = (Vec::new(), Vec::new());
    for c in &plan.commands {
        match c {
            eas_sync::ServerCommand::Add(v) => adds.push(v.id.clone()),
            eas_sync::ServerCommand::Change(v) => changes.push(v.id.clone()),
            _ => {}
        }
    }
    let mut rendered = match class {
        Some((class, input)) => class.render(input, adds, changes, *budget).await?,
        None => crate::classes::Rendered::default(),
    };
    *budget = budget.saturating_sub(rendered.bytes);
    if let Some(first) = rendered.omitted.first() {
        tracing::debug!(user, device_id = device, collection_id = %id, left = rendered.omitted.len(), "sync answer cut at the byte budget");
        plan.cut_at(first);
    }
    // An item deleted between planning and rendering is left out before the engine records it.
    plan.commands.retain(|c| match c {
        eas_sync::ServerCommand::Add(v) => rendered.adds.contains_key(&v.id),
        eas_sync::ServerCommand::Change(v) => rendered.changes.contains_key(&v.id),
        _ => true,
    });
    let committed = session.commit(plan);
    let mut commands = Vec::with_capacity(committed.commands.len());
    for c in &committed.commands {
        let cmd = match c {
            eas_sync::ServerCommand::Add(v) => {
                let Some(data) = rendered.adds.remove(&v.id) else {
                    continue;
                };
                ServerCommand::Add {
                    server_id: v.id.clone(),
                    application_data: data,
                }
            }
            eas_sync::ServerCommand::Change(v) => {
                let Some(data) = rendered.changes.remove(&v.id) else {
                    continue;
                };
                ServerCommand::Change {
                    server_id: v.id.clone(),
                    application_data: data,
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
    let class_name = class.map_or("Email", |(c, _)| c.name());
    crate::metrics::sync_items_sent(class_name, &commands);
    let mut resp = SyncCollectionResponse::new(id, committed.key.to_string());
    resp.class = coll.class.clone();
    resp.more_available = committed.more_available;
    resp.commands = commands;
    resp.responses = responses;
    Ok(Outcome::Answer(resp))
}

fn engine_failure(id: String, e: SyncError) -> SyncCollectionResponse {
    let status = SyncStatus::from_code(e.sync_status()).unwrap_or(SyncStatus::ServerError);
    tracing::warn!(collection_id = %id, error = %e, "sync failed");
    SyncCollectionResponse::failed(id, None, status)
}
