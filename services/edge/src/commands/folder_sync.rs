//! FolderSync (MS-ASCMD 2.2.1.5): the folder hierarchy with its own sync key.
//!
//! The device's hierarchy state is the list of folders it holds at its current key, plus the list
//! it held at the key before, so that a request resent after a lost response (same old key) is
//! answered the same way again. Changes are the difference between what the device holds and the
//! folders the data services report now.

use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use eas_protocol::folder_sync::{FolderChange, FolderSyncRequest, FolderSyncResponse};
use eas_protocol::status::FolderSyncStatus;
use eas_wbxml::Element;

use crate::edge::Edge;
use crate::error::EdgeError;
use crate::hierarchy::{diff, held_at, load, save, HeldHierarchy, HierarchyState};
use crate::pipeline::context::RequestCtx;
use crate::pipeline::options::{add_protocol_headers, versions_header};
use crate::respond::wbxml_response;

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
    let current = crate::folders::hierarchy(edge, ctx).await?;

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
                .delete_state(
                    &user,
                    &device,
                    &crate::commands::sync::state_name(server_id),
                )
                .await?;
        }
    }
    Ok(wbxml_response(&ok(new_key, changes).to_element()))
}

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

/// Whether `folder` (of the device's hierarchy) belongs to `class`: its id routes to the class
/// and it is not the placeholder of a class this edge does not serve.
pub(crate) fn same_class(
    edge: &Edge,
    class: &dyn crate::classes::ClassHandler,
    folder: &crate::folders::Folder,
) -> bool {
    crate::classes::class_of(&folder.server_id).0 == class.class()
        && !crate::folders::is_unserved(&edge.classes, &folder.server_id)
}

/// The class owning a folder of the device's hierarchy, when the folder is one a device may
/// rename, move or delete (a user folder of a served class).
pub(crate) fn user_folder_class<'a>(
    edge: &'a Edge,
    folder: &crate::folders::Folder,
) -> Option<&'a std::sync::Arc<dyn crate::classes::ClassHandler>> {
    let (class, _) = edge.classes.route(&folder.server_id)?;
    (same_class(edge, class.as_ref(), folder)
        && class
            .user_folder_types()
            .contains(&u32::from(folder.folder_type)))
    .then_some(class)
}

/// The folder status for a data service's refusal of a folder command (MS-ASCMD 2.2.3.177.3 to
/// .5): what "not found" and "failed precondition" mean differs per command; an unreachable
/// service is no status at all but 503.
pub(crate) fn refusal(
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
