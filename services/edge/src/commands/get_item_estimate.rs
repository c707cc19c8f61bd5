//! GetItemEstimate (MS-ASCMD 2.2.1.9): how many changes the next Sync of each collection would
//! bring, whichever data class owns it.
//!
//! The estimate comes from the sync engine over the device's stored collection state, so it counts
//! exactly what a Sync would send now (without the window limit) and changes nothing.

use axum::response::Response;
use eas_protocol::get_item_estimate::{
    EstimateCollection, EstimateResponse, GetItemEstimateRequest, GetItemEstimateResponse,
};
use eas_protocol::status::{CommonStatus, GetItemEstimateStatus};
use eas_rpc::RemoteFolder;
use eas_sync::{CollectionState, RequestKey, SourceError, SyncError};
use eas_wbxml::Element;

use crate::commands::sync::state_name;
use crate::edge::Edge;
use crate::error::EdgeError;
use crate::folders::Folder;
use crate::pipeline::context::{now, RequestCtx};
use crate::respond::wbxml_response;

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    if edge.classes.is_empty() {
        return Err(EdgeError::UnsupportedCommand("GetItemEstimate".into()));
    }
    let req = match doc.as_ref().map(GetItemEstimateRequest::from_element) {
        Some(Ok(r)) if !r.collections.is_empty() => r,
        other => {
            let error = match other {
                Some(Err(e)) => e.to_string(),
                _ => "no collections".to_owned(),
            };
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = %error, "bad getitemestimate request");
            // GetItemEstimate has no status of its own for a malformed request: the common
            // status 103 (MS-ASCMD 2.2.2), HTTP 400 before 14.0.
            return Err(EdgeError::Status(CommonStatus::InvalidXml));
        }
    };
    // The hierarchy the device sees, placeholders included, so that a folder it was given is
    // never "invalid" here.
    let folders = crate::folders::hierarchy(edge, ctx).await?;
    let mut responses = Vec::with_capacity(req.collections.len());
    for coll in &req.collections {
        let folder = folders.iter().find(|f| f.server_id == coll.collection_id);
        let r = estimate_one(edge, ctx, folder, coll).await?;
        responses.push(r);
    }
    Ok(wbxml_response(
        &GetItemEstimateResponse { responses }.to_element(),
    ))
}

fn failed(collection_id: &str, status: GetItemEstimateStatus) -> EstimateResponse {
    EstimateResponse {
        status,
        collection_id: collection_id.to_owned(),
        estimate: None,
    }
}

async fn estimate_one(
    edge: &Edge,
    ctx: &RequestCtx,
    folder: Option<&Folder>,
    coll: &EstimateCollection,
) -> Result<EstimateResponse, EdgeError> {
    let id = coll.collection_id.as_str();
    let (user, device) = (ctx.user.address.as_str(), ctx.line.device_id.as_str());
    // MS-ASCMD 2.2.3.177.9 status 2: the folder does not exist.
    let Some(folder) = folder else {
        return Ok(failed(id, GetItemEstimateStatus::InvalidCollection));
    };
    // Status 3: no Sync with key 0 yet, so there is no state to estimate from.
    let key = RequestKey::parse(&coll.sync_key);
    if key == RequestKey::Initial {
        return Ok(failed(id, GetItemEstimateStatus::SyncStateNotPrimed));
    }
    let Some(bytes) = edge
        .devices
        .get_state(user, device, &state_name(id))
        .await?
    else {
        return Ok(failed(id, GetItemEstimateStatus::SyncStateNotPrimed));
    };
    let state = match CollectionState::decode(&bytes) {
        Ok(s) => s,
        Err(e) => {
            // Status 4 also covers a sync state corrupted on the server.
            tracing::warn!(user, device_id = device, collection_id = id, error = %e, "corrupt sync state");
            return Ok(failed(id, GetItemEstimateStatus::InvalidSyncKey));
        }
    };
    // Status 4: the key is neither the current one nor the one a lost answer left the device at.
    let known = match key {
        RequestKey::Issued(k) => k == state.key() || state.previous_key() == Some(k),
        _ => false,
    };
    if !known {
        tracing::info!(user, device_id = device, collection_id = id, sync_key = %coll.sync_key, "unknown sync key in getitemestimate");
        return Ok(failed(id, GetItemEstimateStatus::InvalidSyncKey));
    }
    // A listed folder no service serves (Calendar, Contacts) is empty: its estimate is 0.
    let class = edge
        .classes
        .route(id)
        .filter(|(c, _)| c.owns(u32::from(folder.folder_type)));
    let remote;
    let source: &dyn eas_sync::ItemSource = if crate::folders::is_unserved(&edge.classes, id) {
        &crate::folders::EmptyFolder
    } else if let Some((class, service_id)) = class {
        remote = RemoteFolder::new(class.collections().clone(), user, service_id);
        &remote
    } else {
        return Ok(failed(id, GetItemEstimateStatus::InvalidCollection));
    };
    let asked = coll
        .filter_type
        .and_then(|f| eas_sync::FilterType::from_code(f.code()));
    let filter = match (asked, class) {
        (Some(f), Some((c, _))) => match c.filter(f) {
            Some(f) => Some(f),
            // R3009 to R3011: a calendar with FilterType 1 to 3 is status 110.
            None => return Ok(failed(id, GetItemEstimateStatus::InvalidFilterType)),
        },
        (asked, _) => asked,
    };
    match eas_sync::estimate(Some(&state), source, filter, now()).await {
        Ok(n) => Ok(EstimateResponse::estimate(
            id,
            u32::try_from(n).unwrap_or(u32::MAX),
        )),
        Err(SyncError::Source(SourceError::FolderNotFound)) => {
            Ok(failed(id, GetItemEstimateStatus::InvalidCollection))
        }
        Err(SyncError::Source(SourceError::Unavailable(m))) => {
            Err(EdgeError::Unavailable(format!("mail service: {m}")))
        }
        Err(e) => {
            tracing::warn!(user, device_id = device, collection_id = id, error = %e, "estimate failed");
            Ok(failed(id, GetItemEstimateStatus::InvalidSyncKey))
        }
    }
}
