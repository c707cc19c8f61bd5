//! FolderUpdate (MS-ASCMD 2.2.1.6): the device renames or moves a mail folder or a contacts
//! folder it created; the key moves on.

use axum::response::Response;
use eas_protocol::folder_update::{FolderUpdateRequest, FolderUpdateResponse};
use eas_protocol::status::FolderStatus;
use eas_rpc::mail::UpdateFolderRequest;
use eas_wbxml::Element;

use crate::context::RequestCtx;
use crate::error::EdgeError;
use crate::folder_sync::{folder_command, mail_refusal, record_own_change, subtree};
use crate::router::{wbxml_response, Edge};

/// Folder types a device may rename or move: generic (1) and user-created mail (12).
const MAIL_UPDATABLE: [u8; 2] = [1, 12];
/// ... and user-created contacts (14), on the contacts service.
const CONTACTS_UPDATABLE: u8 = 14;

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
    let Some(mail) = edge.mail.clone() else {
        return Err(EdgeError::UnsupportedCommand("FolderUpdate".into()));
    };
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
    let contacts = edge
        .contacts
        .clone()
        .filter(|_| folder.folder_type == CONTACTS_UPDATABLE);
    if !MAIL_UPDATABLE.contains(&folder.folder_type) && contacts.is_none() {
        return Ok(failed(FolderStatus::AlreadyExists));
    }
    // Status 5: the new parent is not in the hierarchy; status 10: it is the folder itself or
    // one of its subfolders, or a folder of another class.
    if req.parent_id != "0" {
        let Some(parent) = held.folders().iter().find(|f| f.server_id == req.parent_id) else {
            return Ok(failed(FolderStatus::ParentNotFound));
        };
        let same_class = if contacts.is_some() {
            [9, 14].contains(&parent.folder_type)
        } else {
            ![8, 9, 13, 14].contains(&parent.folder_type)
                && !crate::folders::is_unserved(&edge.classes, &parent.server_id)
        };
        if !same_class || subtree(held.folders(), &req.server_id).contains(&req.parent_id) {
            return Ok(failed(FolderStatus::BadRequest));
        }
    }
    let updated = match contacts {
        Some(contacts) => {
            crate::classes::contacts::update_folder(
                &contacts,
                &user,
                &req.server_id,
                &req.parent_id,
                &req.display_name,
            )
            .await
        }
        None => {
            let mut c = mail.clone();
            c.update_folder(UpdateFolderRequest {
                user: user.clone(),
                folder_id: req.server_id.clone(),
                parent_id: req.parent_id.clone(),
                display_name: req.display_name.clone(),
            })
            .await
            .map(tonic::Response::into_inner)
        }
    };
    let folder = match updated {
        Ok(f) => crate::folders::Folder::from_wire(&f),
        Err(s) => {
            let status = mail_refusal(
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
