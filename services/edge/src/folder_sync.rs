//! FolderSync (MS-ASCMD 2.2.1.5): the folder hierarchy with its own sync key.
//!
//! The device's hierarchy state is the list of folders it holds at its current key, plus the list
//! it held at the key before, so that a request resent after a lost response (same old key) is
//! answered the same way again. Changes are the difference between what the device holds and the
//! folders the data services report now.

use std::collections::HashMap;

use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use eas_protocol::folder_sync::{FolderChange, FolderSyncRequest, FolderSyncResponse};
use eas_protocol::status::FolderSyncStatus;
use eas_wbxml::Element;
use serde::{Deserialize, Serialize};

use crate::context::RequestCtx;
use crate::error::EdgeError;
use crate::folders::Folder;
use crate::options::{add_protocol_headers, versions_header};
use crate::router::{wbxml_response, Edge};

/// Name of the hierarchy state in the device store.
pub const STATE_NAME: &str = "foldersync";

#[derive(Debug, Default, Serialize, Deserialize)]
struct HierarchyState {
    key: u32,
    folders: Vec<Folder>,
    previous: Option<(u32, Vec<Folder>)>,
}

/// What changed from `held` to `now`: adds (in source order, so parents come first), updates,
/// then deletes.
fn diff(held: &[Folder], now: &[Folder]) -> Vec<FolderChange> {
    let old: HashMap<&str, &Folder> = held.iter().map(|f| (f.server_id.as_str(), f)).collect();
    let new: HashMap<&str, &Folder> = now.iter().map(|f| (f.server_id.as_str(), f)).collect();
    let mut out = Vec::new();
    for f in now {
        match old.get(f.server_id.as_str()) {
            None => out.push(FolderChange::Add(f.to_entry())),
            Some(o) if *o != f => out.push(FolderChange::Update(f.to_entry())),
            Some(_) => {}
        }
    }
    for f in held {
        if !new.contains_key(f.server_id.as_str()) {
            out.push(FolderChange::Delete {
                server_id: f.server_id.clone(),
            });
        }
    }
    out
}

fn ok(key: u32, changes: Vec<FolderChange>) -> FolderSyncResponse {
    FolderSyncResponse {
        status: FolderSyncStatus::Success,
        sync_key: Some(key.to_string()),
        changes,
    }
}

fn status_only(status: FolderSyncStatus) -> Response {
    wbxml_response(&FolderSyncResponse::failed(status).to_element())
}

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    let doc = doc.ok_or_else(|| EdgeError::BadRequest("foldersync needs a body".into()))?;
    let req = match FolderSyncRequest::from_element(&doc) {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = %e, "bad foldersync request");
            return Ok(status_only(FolderSyncStatus::BadRequest));
        }
    };
    let (user, device) = (ctx.user.address.clone(), ctx.line.device_id.clone());
    let current = crate::folders::hierarchy(edge, &user).await?;

    if req.sync_key == "0" {
        // A new hierarchy invalidates every collection's sync state (MS-ASCMD 2.2.3.177.5).
        edge.devices.clear_state(&user, &device).await?;
        let state = HierarchyState {
            key: 1,
            folders: current.clone(),
            previous: None,
        };
        save(edge, &user, &device, &state).await?;
        let resp = FolderSyncResponse {
            status: FolderSyncStatus::Success,
            sync_key: Some("1".into()),
            changes: diff(&[], &current),
        };
        let mut r = wbxml_response(&resp.to_element());
        add_protocol_headers(edge, &mut r);
        // MS-ASHTTP 3.2.5.1: X-MS-RP accompanies a hierarchy reset.
        if let Ok(v) = HeaderValue::from_str(&versions_header()) {
            r.headers_mut()
                .insert(HeaderName::from_static("x-ms-rp"), v);
        }
        return Ok(r);
    }

    let state = load(edge, &user, &device).await?;
    let key: Option<u32> = req.sync_key.parse().ok();
    let (base_key, base) = match (&state, key) {
        (Some(s), Some(k)) if k == s.key && k != 0 => (k, s.folders.clone()),
        (Some(s), Some(k)) if s.previous.as_ref().is_some_and(|p| p.0 == k) => {
            tracing::info!(user = %user, device_id = %device, sync_key = k, "foldersync resent with the previous key");
            (
                k,
                s.previous.as_ref().map(|p| p.1.clone()).unwrap_or_default(),
            )
        }
        _ => {
            tracing::info!(user = %user, device_id = %device, sync_key = %req.sync_key, "unknown foldersync key");
            // MS-ASCMD 2.2.3.177.5: status 9, the client starts again from key 0.
            return Ok(status_only(FolderSyncStatus::InvalidSyncKey));
        }
    };
    let Some(mut state) = state else {
        return Ok(status_only(FolderSyncStatus::InvalidSyncKey));
    };
    let changes = diff(&base, &current);
    if changes.is_empty() {
        return Ok(wbxml_response(&ok(base_key, changes).to_element()));
    }
    let new_key = base_key + 1;
    if base_key == state.key {
        state.previous = Some((state.key, std::mem::take(&mut state.folders)));
    }
    state.key = new_key;
    state.folders = current;
    save(edge, &user, &device, &state).await?;
    // The sync state of a folder the device is told to delete is of no further use.
    for change in &changes {
        if let FolderChange::Delete { server_id } = change {
            edge.devices
                .delete_state(&user, &device, &crate::sync::state_name(server_id))
                .await?;
        }
    }
    Ok(wbxml_response(&ok(new_key, changes).to_element()))
}

async fn load(edge: &Edge, user: &str, device: &str) -> Result<Option<HierarchyState>, EdgeError> {
    match edge.devices.get_state(user, device, STATE_NAME).await? {
        None => Ok(None),
        Some(bytes) => match serde_json::from_slice(&bytes) {
            Ok(s) => Ok(Some(s)),
            Err(e) => {
                tracing::warn!(user, device_id = device, error = %e, "corrupt hierarchy state");
                Ok(None)
            }
        },
    }
}

async fn save(edge: &Edge, user: &str, device: &str, s: &HierarchyState) -> Result<(), EdgeError> {
    let bytes = serde_json::to_vec(s).map_err(|e| EdgeError::Internal(e.to_string()))?;
    edge.devices
        .put_state(user, device, STATE_NAME, bytes)
        .await?;
    Ok(())
}

/// A device's hierarchy state at the key a folder command (FolderCreate, FolderUpdate,
/// FolderDelete) carries, ready to record the device's own change.
pub(crate) struct HeldHierarchy {
    state: HierarchyState,
}

impl HeldHierarchy {
    /// The folders the device holds at this key.
    pub(crate) fn folders(&self) -> &[Folder] {
        &self.state.folders
    }
}

/// The device's hierarchy when `sync_key` is its current FolderSync key; `None` for any other key
/// or no state, which the folder commands answer with status 9 (MS-ASCMD 2.2.3.177.2).
/// The start every folder command shares (MS-ASCMD 2.2.3.177.3 to .5): the parsed request and
/// the hierarchy the device holds at the request's key, or the status to answer instead: 10 for
/// a malformed request, 9 for a key that is not the device's current one.
pub(crate) async fn folder_command<T>(
    edge: &Edge,
    ctx: &RequestCtx,
    command: &str,
    doc: Option<&Element>,
    parse: fn(&Element) -> Result<T, eas_protocol::ParseError>,
    sync_key: fn(&T) -> &str,
) -> Result<Result<(T, HeldHierarchy), eas_protocol::status::FolderStatus>, EdgeError> {
    use eas_protocol::status::FolderStatus;
    let (user, device) = (ctx.user.address.as_str(), ctx.line.device_id.as_str());
    let req = match doc.map(parse) {
        Some(Ok(r)) => r,
        other => {
            let error = other.and_then(Result::err).map(|e| e.to_string());
            tracing::info!(user, device_id = device, command, error = ?error, "bad folder request");
            return Ok(Err(FolderStatus::BadRequest));
        }
    };
    let Some(held) = held_at(edge, user, device, sync_key(&req)).await? else {
        tracing::info!(user, device_id = device, command, sync_key = %sync_key(&req), "folder command with a stale hierarchy key");
        return Ok(Err(FolderStatus::InvalidSyncKey));
    };
    Ok(Ok((req, held)))
}

/// The folder status for a mail service refusal of a folder command (MS-ASCMD 2.2.3.177.3 to
/// .5): what "not found" and "failed precondition" mean differs per command; an unreachable
/// mail service is no status at all but 503.
pub(crate) fn mail_refusal(
    s: tonic::Status,
    not_found: eas_protocol::status::FolderStatus,
    precondition: eas_protocol::status::FolderStatus,
    command: &str,
    ctx: &RequestCtx,
) -> Result<eas_protocol::status::FolderStatus, EdgeError> {
    use eas_protocol::status::FolderStatus;
    use eas_rpc::ServiceErrorCode as C;
    let e = eas_rpc::ServiceError::from_status(&s);
    let status = match e.code {
        C::AlreadyExists => FolderStatus::AlreadyExists,
        C::NotFound => not_found,
        C::SpecialFolder | C::FolderCycle | C::SameFolder => precondition,
        C::InvalidArgument => FolderStatus::BadRequest,
        C::Unavailable => return Err(e.into()),
        _ => FolderStatus::ServerError,
    };
    tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, command, status = status.code(), error = %e, "folder command refused");
    Ok(status)
}

pub(crate) async fn held_at(
    edge: &Edge,
    user: &str,
    device: &str,
    sync_key: &str,
) -> Result<Option<HeldHierarchy>, EdgeError> {
    let Some(state) = load(edge, user, device).await? else {
        return Ok(None);
    };
    let current = sync_key.parse::<u32>().ok() == Some(state.key) && state.key != 0;
    Ok(current.then_some(HeldHierarchy { state }))
}

/// Records a change the device made itself: applies it to the folders the device holds and moves
/// to a new key, which the command's response carries, so the next FolderSync does not report the
/// change back (MS-ASCMD 2.2.3.181.1). The old key stays answerable as the previous one.
pub(crate) async fn record_own_change(
    edge: &Edge,
    user: &str,
    device: &str,
    held: HeldHierarchy,
    change: impl FnOnce(&mut Vec<Folder>),
) -> Result<String, EdgeError> {
    let mut state = held.state;
    let mut folders = state.folders.clone();
    change(&mut folders);
    state.previous = Some((state.key, std::mem::replace(&mut state.folders, folders)));
    state.key = state.key.saturating_add(1);
    save(edge, user, device, &state).await?;
    Ok(state.key.to_string())
}

/// Every folder below `id` in `folders`, `id` included.
pub(crate) fn subtree(folders: &[Folder], id: &str) -> Vec<String> {
    let mut out = vec![id.to_owned()];
    let mut i = 0;
    while let Some(parent) = out.get(i).cloned() {
        for f in folders.iter().filter(|f| f.parent_id == parent) {
            if !out.contains(&f.server_id) {
                out.push(f.server_id.clone());
            }
        }
        i += 1;
    }
    out
}
