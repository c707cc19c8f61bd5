//! FolderCreate (MS-ASCMD 2.2.1.3): the device adds a mail folder or a contacts folder; the
//! hierarchy key moves on.

use axum::response::Response;
use eas_protocol::folder_create::{FolderCreateRequest, FolderCreateResponse};
use eas_protocol::status::FolderStatus;
use eas_rpc::mail::CreateFolderRequest;
use eas_wbxml::Element;

use crate::context::RequestCtx;
use crate::error::EdgeError;
use crate::folder_sync::{folder_command, mail_refusal, record_own_change};
use crate::router::{wbxml_response, Edge};

/// Mail folder types a device may create: generic (1) and user-created mail (12).
const MAIL_CREATABLE: [u8; 2] = [1, 12];
/// The contacts folder type a device may create: user-created contacts (14).
const CONTACTS_CREATABLE: u8 = 14;

fn failed(status: FolderStatus) -> Response {
    wbxml_response(&FolderCreateResponse::failed(status).to_element())
}

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    let Some(mail) = edge.mail.clone() else {
        return Err(EdgeError::UnsupportedCommand("FolderCreate".into()));
    };
    let contacts = edge.contacts.clone();
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
    // Status 10 also covers a default folder type; folders of other classes are not served.
    let code = req.folder_type.code();
    let is_contacts = code == CONTACTS_CREATABLE && contacts.is_some();
    if !req.folder_type.is_user_creatable() || !(MAIL_CREATABLE.contains(&code) || is_contacts) {
        tracing::info!(user = %user, device_id = %device, folder_type = code, "foldercreate of a type not served");
        return Ok(failed(FolderStatus::BadRequest));
    }
    if req.parent_id != "0" {
        match held.folders().iter().find(|f| f.server_id == req.parent_id) {
            // Status 5: the parent is not in the hierarchy.
            None => return Ok(failed(FolderStatus::ParentNotFound)),
            // Status 3: a parent of another class (a contacts folder for a mail folder, a mail
            // folder for a contacts folder, the Calendar placeholder) cannot hold it.
            Some(p)
                if is_contacts
                    != crate::classes::contacts::CONTACT_TYPES
                        .contains(&u32::from(p.folder_type))
                    || [8, 13].contains(&p.folder_type)
                    || crate::folders::is_unserved(&edge.classes, &p.server_id) =>
            {
                return Ok(failed(FolderStatus::SpecialFolder))
            }
            Some(_) => {}
        }
    }
    let created = match contacts.filter(|_| is_contacts) {
        Some(contacts) => {
            crate::classes::contacts::create_folder(
                &contacts,
                &user,
                &req.parent_id,
                &req.display_name,
            )
            .await
        }
        None => {
            let mut c = mail.clone();
            c.create_folder(CreateFolderRequest {
                user: user.clone(),
                parent_id: req.parent_id.clone(),
                display_name: req.display_name.clone(),
                folder_type: u32::from(code),
            })
            .await
            .map(tonic::Response::into_inner)
        }
    };
    let folder = match created {
        Ok(f) => crate::folders::Folder::from_wire(&f),
        Err(s) => {
            let status = mail_refusal(
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
