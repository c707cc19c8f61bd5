//! FolderUpdate (MS-ASCMD 2.2.1.6): the device renames or moves a folder it created (a user
//! folder of any class served), through the class's service; the key moves on.

use axum::response::Response;
use eas_protocol::folder_update::{FolderUpdateRequest, FolderUpdateResponse};
use eas_protocol::status::FolderStatus;
use eas_wbxml::Element;

use crate::commands::folder_sync::{folder_command, refusal, same_class, user_folder_class};
use crate::edge::Edge;
use crate::error::EdgeError;
use crate::hierarchy::{record_own_change, subtree};
use crate::pipeline::context::RequestCtx;
use crate::respond::wbxml_response;

fn failed(status: FolderStatus) -> Response {
    wbxml_response(
        &FolderUpdateResponse {
            status,
            sync_key: None,
        }
        .to_element(),
    )
}

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    let (user, device) = (ctx.user.address.clone(), ctx.line.device_id.clone());
    let (req, held) = match folder_command(
        edge,
        ctx,
        "folderupdate",
        doc.as_ref(),
        FolderUpdateRequest::from_element,
        |r| &r.sync_key,
    )
    .await?
    {
        Ok(x) => x,
        Err(status) => return Ok(failed(status)),
    };
    // Status 4: the folder does not exist; status 2: it is a special folder.
    let Some(folder) = held.folders().iter().find(|f| f.server_id == req.server_id) else {
        return Ok(failed(FolderStatus::NotFound));
    };
    let Some(class) = user_folder_class(edge, folder) else {
        return Ok(failed(FolderStatus::AlreadyExists));
    };
    // Status 5: the new parent is not in the hierarchy; status 10: it is the folder itself or
    // one of its subfolders, or a folder of another class.
    if req.parent_id != "0" {
        let Some(parent) = held.folders().iter().find(|f| f.server_id == req.parent_id) else {
            return Ok(failed(FolderStatus::ParentNotFound));
        };
        if !same_class(edge, class.as_ref(), parent)
            || subtree(held.folders(), &req.server_id).contains(&req.parent_id)
        {
            return Ok(failed(FolderStatus::BadRequest));
        }
    }
    let updated = class
        .update_folder(&user, &req.server_id, &req.parent_id, &req.display_name)
        .await;
    let folder = match updated {
        Ok(f) => crate::folders::Folder::from_wire(&f),
        Err(s) => {
            let status = refusal(
                s,
                FolderStatus::NotFound,
                FolderStatus::BadRequest,
                "folderupdate",
                ctx,
            )?;
            return Ok(failed(status));
        }
    };
    let key = record_own_change(edge, &user, &device, held, |folders| {
        if let Some(f) = folders.iter_mut().find(|f| f.server_id == folder.server_id) {
            *f = folder;
        }
    })
    .await?;
    tracing::info!(user = %user, device_id = %device, collection_id = %req.server_id, "folder updated");
    Ok(wbxml_response(
        &FolderUpdateResponse {
            status: FolderStatus::Success,
            sync_key: Some(key),
        }
        .to_element(),
    ))
}
