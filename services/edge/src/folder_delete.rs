//! FolderDelete (MS-ASCMD 2.2.1.4): the device deletes a mail folder or a contacts folder it
//! created, with its subfolders.

use axum::response::Response;
use eas_protocol::folder_delete::{FolderDeleteRequest, FolderDeleteResponse};
use eas_protocol::status::FolderStatus;
use eas_rpc::mail::FolderRef;
use eas_wbxml::Element;

use crate::context::RequestCtx;
use crate::error::EdgeError;
use crate::folder_sync::{folder_command, mail_refusal, record_own_change, subtree};
use crate::router::{wbxml_response, Edge};

/// Folder types a device may delete: generic (1) and user-created mail (12).
const MAIL_DELETABLE: [u8; 2] = [1, 12];
/// ... and user-created contacts (14), on the contacts service.
const CONTACTS_DELETABLE: u8 = 14;

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
    let Some(mail) = edge.mail.clone() else {
        return Err(EdgeError::UnsupportedCommand("FolderDelete".into()));
    };
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
    let contacts = edge
        .contacts
        .clone()
        .filter(|_| folder.folder_type == CONTACTS_DELETABLE);
    if !MAIL_DELETABLE.contains(&folder.folder_type) && contacts.is_none() {
        return Ok(failed(FolderStatus::SpecialFolder));
    }
    let deleted = match contacts {
        Some(contacts) => {
            crate::classes::contacts::delete_folder(&contacts, &user, &req.server_id).await
        }
        None => {
            let mut c = mail.clone();
            c.delete_folder(FolderRef {
                user: user.clone(),
                folder_id: req.server_id.clone(),
            })
            .await
            .map(|_| ())
        }
    };
    if let Err(s) = deleted {
        let status = mail_refusal(
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
            .delete_state(&user, &device, &crate::sync::state_name(id))
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
