//! ItemOperations (MS-ASCMD 2.2.1.10) on the mailbox: Fetch of a whole message or of an
//! attachment, and EmptyFolderContents. Attachments are streamed (see `attachment_stream`).

use std::collections::HashMap;

use axum::response::Response;
use eas_protocol::item_operations::{
    ByteRange, FetchData, FetchProperties, FetchRequest, FetchResponse, FetchTarget, ItemOperation,
    ItemOperationsRequest, ItemOperationsResponse, OperationResponse,
};
use eas_protocol::status::ItemOperationsStatus as Status;
use eas_rpc::mail::mail_client::MailClient;
use eas_rpc::mail::{self as wire, AttachmentRef, EmptyFolderRequest, GetMessagesRequest};
use eas_wbxml::Element;
use tonic::transport::Channel;
use tonic::Code;

use crate::attachment_stream::{self, AttachmentData};
use crate::context::RequestCtx;
use crate::email::{body_requests, email};
use crate::error::EdgeError;
use crate::router::{wbxml_response, Edge};
use crate::sync::list_folders;

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    let Some(mail) = edge.mail.clone() else {
        return Err(EdgeError::UnsupportedCommand("ItemOperations".into()));
    };
    let req = match doc.as_ref().map(ItemOperationsRequest::from_element) {
        Some(Ok(r)) => r,
        other => {
            let error = other.and_then(Result::err).map(|e| e.to_string());
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = ?error, "bad itemoperations request");
            // MS-ASCMD 2.2.3.177.8 status 2: protocol error.
            let resp = ItemOperationsResponse::status_only(Status::ProtocolError);
            return Ok(wbxml_response(&resp.to_element()));
        }
    };
    let mut responses = Vec::with_capacity(req.operations.len());
    let mut streams = Vec::new();
    let mut folders: Option<HashMap<String, wire::Folder>> = None;
    for op in &req.operations {
        let r = match op {
            ItemOperation::Fetch(f) => fetch(ctx, &mail, f, &mut streams).await?,
            ItemOperation::EmptyFolderContents {
                collection_id,
                delete_sub_folders,
            } => {
                if folders.is_none() {
                    folders = Some(list_folders(&mail, &ctx.user.address).await?);
                }
                let known = folders
                    .as_ref()
                    .is_some_and(|f| f.contains_key(collection_id));
                let status = if known {
                    empty_folder(ctx, &mail, collection_id, *delete_sub_folders).await?
                } else {
                    Status::DocumentLibraryNotFound
                };
                OperationResponse::EmptyFolderContents {
                    status,
                    collection_id: collection_id.clone(),
                }
            }
            // Conversations are not kept by the mail service.
            ItemOperation::MoveConversation {
                conversation_id, ..
            } => OperationResponse::Move {
                status: Status::ActionNotSupported,
                conversation_id: conversation_id.clone(),
            },
        };
        responses.push(r);
    }
    let root = ItemOperationsResponse {
        status: Status::Success,
        responses,
    }
    .to_element();
    if streams.is_empty() {
        return Ok(wbxml_response(&root));
    }
    Ok(attachment_stream::response(&root, streams))
}

/// One Fetch: a message by CollectionId+ServerId or LongId, or an attachment by FileReference.
async fn fetch(
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    f: &FetchRequest,
    streams: &mut Vec<AttachmentData>,
) -> Result<OperationResponse, EdgeError> {
    let mut resp = FetchResponse::failed(Status::Success);
    match &f.target {
        FetchTarget::Item {
            collection_id,
            server_id,
        } => {
            resp.collection_id = Some(collection_id.clone());
            resp.server_id = Some(server_id.clone());
        }
        FetchTarget::LongId(id) => resp.long_id = Some(id.clone()),
        FetchTarget::FileReference(r) => resp.file_reference = Some(r.clone()),
        FetchTarget::LinkId(_) => {}
    }
    // MS-ASCMD 2.2.3.177.8 status 9: only the mailbox store is served here.
    if !f.is_mailbox() || matches!(f.target, FetchTarget::LinkId(_)) {
        resp.status = Status::UnknownStore;
        return Ok(OperationResponse::Fetch(resp));
    }
    let (id, folder) = match &f.target {
        FetchTarget::FileReference(r) => {
            let range = f.options.range;
            match open_attachment(ctx, mail, r, range, streams.len()).await? {
                Ok((data, props)) => {
                    streams.push(data);
                    resp.properties = Some(props);
                }
                Err(status) => resp.status = status,
            }
            return Ok(OperationResponse::Fetch(resp));
        }
        FetchTarget::Item {
            collection_id,
            server_id,
        } => (server_id.clone(), Some(collection_id.as_str())),
        FetchTarget::LongId(id) => (id.clone(), None),
        FetchTarget::LinkId(_) => return Ok(OperationResponse::Fetch(resp)),
    };
    let mut c = mail.clone();
    let list = c
        .get_messages(GetMessagesRequest {
            user: ctx.user.address.clone(),
            ids: vec![id.clone()],
            body: body_requests(&f.options.body_preferences),
        })
        .await
        .map_err(EdgeError::mail_unavailable)?
        .into_inner();
    // Status 6: no such message (in that folder, when one is named).
    let found = list
        .messages
        .iter()
        .find(|m| m.id == id && folder.is_none_or(|fo| fo == m.folder_id));
    let Some(m) = found else {
        resp.status = Status::DocumentLibraryNotFound;
        return Ok(OperationResponse::Fetch(resp));
    };
    match email(m).properties(ctx.version) {
        Ok(props) => {
            resp.class = Some("Email".into());
            resp.properties = Some(FetchProperties::Item(props));
        }
        Err(e) => {
            tracing::warn!(user = %ctx.user.address, error = %e, "message conversion failed");
            resp.status = Status::ConversionFailed;
        }
    }
    Ok(OperationResponse::Fetch(resp))
}

/// Opens an attachment's stream and reads its first chunk for the size; the item status when it
/// cannot be served.
async fn open_attachment(
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    file_reference: &str,
    range: Option<ByteRange>,
    n: usize,
) -> Result<Result<(AttachmentData, FetchProperties), Status>, EdgeError> {
    let mut c = mail.clone();
    let opened = c
        .read_attachment(AttachmentRef {
            user: ctx.user.address.clone(),
            file_reference: file_reference.to_owned(),
        })
        .await;
    let mut rest = match opened {
        Ok(s) => s.into_inner(),
        // Status 15: the attachment or attachment ID is invalid.
        Err(s) if matches!(s.code(), Code::NotFound | Code::InvalidArgument) => {
            return Ok(Err(Status::InvalidAttachment))
        }
        Err(s) => return Err(EdgeError::mail_unavailable(s)),
    };
    let first = match rest.message().await {
        Ok(c) => c,
        Err(s) if s.code() == Code::NotFound => return Ok(Err(Status::InvalidAttachment)),
        Err(s) => return Err(EdgeError::mail_unavailable(s)),
    };
    let total = first.as_ref().map_or(0, |c| c.total_size);
    let (skip, len, sent) = match range {
        None => (0, total, None),
        // Status 8: the range starts past the end (MS-ASCMD 2.2.3.130.1: the server sends what
        // there is of a range that runs past it).
        Some(r) if r.start >= total => return Ok(Err(Status::InvalidByteRange)),
        Some(r) => {
            let end = r.end.min(total - 1);
            (
                r.start,
                end - r.start + 1,
                Some(ByteRange {
                    start: r.start,
                    end,
                }),
            )
        }
    };
    let marker = attachment_stream::marker(n);
    let props = FetchProperties::Attachment {
        range: sent,
        total: sent.map(|_| total),
        content_type: None,
        data: FetchData::Text(marker.clone()),
    };
    tracing::debug!(user = %ctx.user.address, total, skip, len, "attachment fetch");
    Ok(Ok((
        AttachmentData {
            first,
            rest,
            skip,
            len,
            marker,
        },
        props,
    )))
}

/// EmptyFolderContents (MS-ASCMD 2.2.3.57): every message of a folder, and its subfolders when
/// DeleteSubFolders is set.
async fn empty_folder(
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    collection_id: &str,
    delete_sub_folders: bool,
) -> Result<Status, EdgeError> {
    let mut c = mail.clone();
    let done = c
        .empty_folder(EmptyFolderRequest {
            user: ctx.user.address.clone(),
            folder_id: collection_id.to_owned(),
            include_subfolders: delete_sub_folders,
        })
        .await;
    match done {
        Ok(_) => Ok(Status::Success),
        Err(s) if s.code() == Code::NotFound => Ok(Status::DocumentLibraryNotFound),
        Err(s) if s.code() == Code::Unavailable => Err(EdgeError::mail_unavailable(s)),
        Err(s) => {
            tracing::warn!(user = %ctx.user.address, collection_id, error = %s.message(), "empty folder failed");
            Ok(Status::ServerError)
        }
    }
}
