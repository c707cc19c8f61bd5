//! FolderCreate (MS-ASCMD 2.2.1.3): the device adds a folder of a type some class lets it create
//! (mail 1 and 12, contacts 14), through that class's service; the
//! hierarchy key moves on.

use axum::response::Response;
use eas_protocol::folder_create::{FolderCreateRequest, FolderCreateResponse};
use eas_protocol::status::FolderStatus;
use eas_wbxml::Element;

use crate::commands::folder_sync::{folder_command, refusal, same_class};
use crate::edge::Edge;
use crate::error::EdgeError;
use crate::hierarchy::record_own_change;
use crate::pipeline::context::RequestCtx;
use crate::respond::wbxml_response;

fn failed(status: FolderStatus) -> Response {
    wbxml_response(&FolderCreateResponse::failed(status).to_element())
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
        "foldercreate",
        doc.as_ref(),
        FolderCreateRequest::from_element,
        |r| &r.sync_key,
    )
    .await?
    {
        Ok(x) => x,
        Err(status) => return Ok(failed(status)),
    };
    // Status 10 also covers a default folder type, and a type no class served here creates.
    let code = u32::from(req.folder_type.code());
    let class = edge
        .classes
        .creating(code)
        .filter(|_| req.folder_type.is_user_creatable());
    let Some(class) = class else {
        tracing::info!(user = %user, device_id = %device, folder_type = code, "foldercreate of a type not served");
        return Ok(failed(FolderStatus::BadRequest));
    };
    if req.parent_id != "0" {
        match held.folders().iter().find(|f| f.server_id == req.parent_id) {
            // Status 5: the parent is not in the hierarchy.
            None => return Ok(failed(FolderStatus::ParentNotFound)),
            // Status 3: a parent of another class (a contacts folder for a mail folder, a mail
            // folder for a contacts folder, the placeholder of a class not served) cannot hold
            // it.
            Some(p) if !same_class(edge, class.as_ref(), p) => {
                return Ok(failed(FolderStatus::SpecialFolder))
            }
            Some(_) => {}
        }
    }
    let created = class
        .create_folder(&user, &req.parent_id, &req.display_name, code)
        .await;
    let folder = match created {
        Ok(f) => crate::folders::Folder::from_wire(&f),
        Err(s) => {
            let status = refusal(
                s,
                FolderStatus::ParentNotFound,
                FolderStatus::SpecialFolder,
                "foldercreate",
                ctx,
            )?;
            return Ok(failed(status));
        }
    };
    let server_id = folder.server_id.clone();
    let key = record_own_change(edge, &user, &device, held, |folders| folders.push(folder)).await?;
    tracing::info!(user = %user, device_id = %device, collection_id = %server_id, "folder created");
    Ok(wbxml_response(
        &FolderCreateResponse::created(key, server_id).to_element(),
    ))
}
