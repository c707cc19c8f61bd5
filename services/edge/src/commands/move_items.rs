//! MoveItems (MS-ASCMD 2.2.1.12): moves an item between two folders of its class through the
//! class's service (messages between mail folders, contacts between contact folders); an item
//! never moves to a folder of another class (status 2).
//!
//! The mail service gives a moved message the id it keeps in the destination folder, and that id
//! is the `DstMsgId`: the next Sync of the destination reports the message under the same ServerId,
//! so the phone does not show it twice (PHONE_FLOWS.md gotcha 8).

use std::collections::HashSet;

use axum::response::Response;
use eas_protocol::move_items::{MoveItem, MoveItemsRequest, MoveItemsResponse, MoveResponse};
use eas_protocol::status::{CommonStatus, MoveItemsStatus};
use eas_rpc::collections::CurrentRequest;
use eas_rpc::{ServiceError, ServiceErrorCode};
use eas_wbxml::Element;

use crate::classes::{class_of, FolderMap};
use crate::edge::Edge;
use crate::error::EdgeError;
use crate::pipeline::context::RequestCtx;
use crate::respond::wbxml_response;

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    let req = match doc.as_ref().map(MoveItemsRequest::from_element) {
        Some(Ok(r)) => r,
        other => {
            let error = match other {
                Some(Err(e)) => e.to_string(),
                _ => "empty body".to_owned(),
            };
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = %error, "bad moveitems request");
            // MoveItems has no status of its own for a malformed request: the common status 103
            // (MS-ASCMD 2.2.2), HTTP 400 before 14.0.
            return Err(EdgeError::Status(CommonStatus::InvalidXml));
        }
    };
    let user = ctx.user.address.as_str();
    let folders = edge
        .classes
        .folders_for(
            user,
            req.moves
                .iter()
                .flat_map(|m| [m.src_fld_id.as_str(), m.dst_fld_id.as_str()]),
        )
        .await?;
    let mut moved = HashSet::new();
    let mut responses = Vec::with_capacity(req.moves.len());
    for mv in &req.moves {
        let (status, dst) = if moved.contains(mv.src_msg_id.as_str()) {
            // MS-ASCMD 2.2.3.177.9 status 5: an item cannot be moved to two places at once.
            (MoveItemsStatus::CannotMove, None)
        } else {
            move_one(edge, user, &folders, mv).await?
        };
        if status == MoveItemsStatus::Success {
            moved.insert(mv.src_msg_id.as_str());
        }
        tracing::debug!(user, device_id = %ctx.line.device_id, collection_id = %mv.src_fld_id, status = status.code(), "moveitems");
        responses.push(MoveResponse {
            src_msg_id: mv.src_msg_id.clone(),
            status,
            dst_msg_id: dst,
        });
    }
    Ok(wbxml_response(
        &MoveItemsResponse { responses }.to_element(),
    ))
}

/// One move and its status (MS-ASCMD 2.2.3.177.9); only an unreachable data service is an
/// error.
async fn move_one(
    edge: &Edge,
    user: &str,
    folders: &FolderMap,
    mv: &MoveItem,
) -> Result<(MoveItemsStatus, Option<String>), EdgeError> {
    // Status 1: the source folder is unknown; status 2: the destination is unknown (the
    // placeholders of classes not served are in no service's list) or of another class.
    let Some((class, src_id)) = edge
        .classes
        .route(&mv.src_fld_id)
        .filter(|_| folders.contains_key(&mv.src_fld_id))
    else {
        return Ok((MoveItemsStatus::InvalidSource, None));
    };
    if !folders.contains_key(&mv.dst_fld_id) || class_of(&mv.dst_fld_id).0 != class.class() {
        return Ok((MoveItemsStatus::InvalidDestination, None));
    }
    // Status 4: source and destination are the same folder.
    if mv.src_fld_id == mv.dst_fld_id {
        return Ok((MoveItemsStatus::SameSourceAndDestination, None));
    }
    // Status 1 also when the item is no longer (or never was) in the source folder.
    let current = class
        .collections()
        .clone()
        .current_versions(CurrentRequest {
            user: user.to_owned(),
            folder_id: src_id.to_owned(),
            ids: vec![mv.src_msg_id.clone()],
        })
        .await;
    let present = match current {
        Ok(r) => r
            .into_inner()
            .items
            .iter()
            .any(|v| v.id == mv.src_msg_id && !v.deleted),
        Err(s) => return status_of(s).map(|st| (st, None)),
    };
    if !present {
        return Ok((MoveItemsStatus::InvalidSource, None));
    }
    let reply = class
        .move_item(user, &mv.src_fld_id, &mv.src_msg_id, &mv.dst_fld_id)
        .await;
    match reply {
        Ok(id) => Ok((MoveItemsStatus::Success, Some(id))),
        Err(s) => status_of(s).map(|st| (st, None)),
    }
}

/// The item status for a failed data service call (MS-ASCMD 2.2.3.177.9); an outage fails the
/// whole request (HTTP 503).
fn status_of(s: tonic::Status) -> Result<MoveItemsStatus, EdgeError> {
    let e = ServiceError::from_status(&s);
    match move_status(e.code) {
        Some(status) => Ok(status),
        None if e.code == ServiceErrorCode::Unavailable => Err(e.into()),
        None => {
            tracing::warn!(error = %e, "move failed");
            Ok(MoveItemsStatus::CannotMove)
        }
    }
}

/// The MoveItems status of a data service's error, where one fits.
fn move_status(code: ServiceErrorCode) -> Option<MoveItemsStatus> {
    match code {
        ServiceErrorCode::NotFound | ServiceErrorCode::InvalidArgument => {
            Some(MoveItemsStatus::InvalidSource)
        }
        ServiceErrorCode::SameFolder => Some(MoveItemsStatus::SameSourceAndDestination),
        // Status 7: a transient condition the client retries.
        ServiceErrorCode::Busy => Some(MoveItemsStatus::Locked),
        _ => None,
    }
}
