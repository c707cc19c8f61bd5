//! FolderDelete (MS-ASCMD 2.2.1.4): the device deletes a folder it created (a user folder of any
//! class served), with its subfolders, through the class's service.

use axum::response::Response;
use eas_protocol::folder_delete::{FolderDeleteRequest, FolderDeleteResponse};
use eas_protocol::status::FolderStatus;
use eas_wbxml::Element;

use crate::commands::folder_sync::{folder_command, refusal, user_folder_class};
use crate::edge::Edge;
use crate::error::EdgeError;
use crate::hierarchy::{record_own_change, subtree};
use crate::pipeline::context::RequestCtx;
use crate::respond::wbxml_response;

fn failed(status: FolderStatus) -> Response {
    wbxml_response(
        &FolderDeleteResponse {
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
        "folderdelete",
        doc.as_ref(),
        FolderDeleteRequest::from_element,
        |r| &r.sync_key,
    )
    .await?
    {
        Ok(x) => x,
        Err(status) => return Ok(failed(status)),
    };
    // Status 4: the folder does not exist; status 3: it is a special folder.
    let Some(folder) = held.folders().iter().find(|f| f.server_id == req.server_id) else {
        return Ok(failed(FolderStatus::NotFound));
    };
    let Some(class) = user_folder_class(edge, folder) else {
        return Ok(failed(FolderStatus::SpecialFolder));
    };
    let deleted = class.delete_folder(&user, &req.server_id).await;
    if let Err(s) = deleted {
        let status = refusal(
            s,
            FolderStatus::NotFound,
            FolderStatus::SpecialFolder,
            "folderdelete",
            ctx,
        )?;
        return Ok(failed(status));
    }
    // The subfolders went with it, on the device as on the server.
    let gone = subtree(held.folders(), &req.server_id);
    let key = record_own_change(edge, &user, &device, held, |folders| {
        folders.retain(|f| !gone.contains(&f.server_id))
    })
    .await?;
    for id in &gone {
        edge.devices
            .delete_state(&user, &device, &crate::commands::sync::state_name(id))
            .await?;
    }
    tracing::info!(user = %user, device_id = %device, collection_id = %req.server_id, "folder deleted");
    Ok(wbxml_response(
        &FolderDeleteResponse {
            status: FolderStatus::Success,
            sync_key: Some(key),
        }
        .to_element(),
    ))
}
