//! ItemOperations (MS-ASCMD 2.2.1.10) on the mailbox: Fetch of a whole message or of an
//! attachment, and EmptyFolderContents. Attachments are streamed (see `attachment_stream`), and
//! so are bodies and attachments in a multipart response (2.2.1.10.1), which a client asks for
//! with `MS-ASAcceptMultiPart: T` or the AcceptMultiPart flag of the base64 query.

use axum::body::Bytes;
use axum::response::Response;
use eas_protocol::item_operations::{
    ByteRange, FetchData, FetchProperties, FetchRequest, FetchResponse, FetchTarget, ItemOperation,
    ItemOperationsRequest, ItemOperationsResponse, OperationResponse,
};
use eas_protocol::status::ItemOperationsStatus as Status;
use eas_rpc::mail::mail_client::MailClient;
use eas_rpc::mail::{AttachmentRef, GetMessagesRequest};
use eas_rpc::Channel;
use eas_rpc::{ServiceError, ServiceErrorCode};
use eas_wbxml::Element;

use crate::attachment_stream::{self, AttachmentData, ChunkSource, PartData};
use crate::edge::Edge;
use crate::email::{body_requests, into_email};
use crate::error::EdgeError;
use crate::pipeline::context::RequestCtx;
use crate::respond::wbxml_response;

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
    let mut out = Out {
        multipart: ctx.line.params.accept_multipart,
        streams: Vec::new(),
        parts: Vec::new(),
    };
    for op in &req.operations {
        let r = match op {
            ItemOperation::Fetch(f) => fetch(ctx, &mail, &edge.classes, f, &mut out).await?,
            ItemOperation::EmptyFolderContents {
                collection_id,
                delete_sub_folders,
            } => {
                let known = edge
                    .classes
                    .folders_for(&ctx.user.address, [collection_id.as_str()])
                    .await?
                    .contains_key(collection_id);
                let status = if known {
                    empty_folder(edge, ctx, collection_id, *delete_sub_folders).await?
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
    if out.multipart {
        // MS-ASCMD 2.2.1.10.1: the WBXML is part 0, the fetched data the parts after it.
        return attachment_stream::multipart_response(&root, out.parts);
    }
    if out.streams.is_empty() {
        return Ok(wbxml_response(&root));
    }
    Ok(attachment_stream::response(&root, out.streams))
}

/// Where the fetched data goes: inline (attachment streams behind markers in the WBXML) or, in
/// a multipart response, into parts numbered from 1.
struct Out {
    multipart: bool,
    streams: Vec<AttachmentData>,
    parts: Vec<PartData>,
}

impl Out {
    /// Adds a data part; its number for the `Part` element.
    fn part(&mut self, data: PartData) -> u32 {
        self.parts.push(data);
        u32::try_from(self.parts.len()).unwrap_or(u32::MAX)
    }
}

/// One Fetch: a message by CollectionId+ServerId or LongId, or an attachment by FileReference.
async fn fetch(
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    classes: &crate::classes::Classes,
    f: &FetchRequest,
    out: &mut Out,
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
            // A calendar attachment's reference is its class's (`cal:att:`); any other is mail's.
            let opened = match classes.open_attachment(&ctx.user.address, r).await {
                Some(opened) => opened,
                None => mail
                    .clone()
                    .read_attachment(AttachmentRef {
                        user: ctx.user.address.clone(),
                        file_reference: r.clone(),
                    })
                    .await
                    .map(tonic::Response::into_inner),
            };
            match open_attachment(ctx, opened, range, out).await? {
                Ok(props) => resp.properties = Some(props),
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
    // An item of a class other than Email, by CollectionId and ServerId, comes from its class.
    if let Some((coll, (class, _))) = folder.and_then(|c| Some((c, classes.route(c)?))) {
        if let Some(fetched) = class.fetch_item(ctx, coll, &id, f).await? {
            match fetched {
                Ok(props) => {
                    resp.class = Some(class.name().into());
                    resp.properties = Some(FetchProperties::Item(props));
                }
                Err(status) => resp.status = status,
            }
            return Ok(OperationResponse::Fetch(resp));
        }
    }
    let body = body_requests(&f.options.body_preferences);
    let mut c = mail.clone();
    let list = c
        .get_messages(GetMessagesRequest {
            user: ctx.user.address.clone(),
            ids: vec![id.clone()],
            body: body.clone(),
            max_bytes: 0,
            metadata_only: false,
        })
        .await
        .map_err(EdgeError::from)?
        .into_inner();
    // Status 6: no such message (in that folder, when one is named).
    let found = list
        .messages
        .into_iter()
        .find(|m| m.id == id && folder.is_none_or(|fo| fo == m.folder_id));
    let Some(mut m) = found else {
        resp.status = Status::DocumentLibraryNotFound;
        return Ok(OperationResponse::Fetch(resp));
    };
    let mut part = None;
    if let Some(b) = m.body.as_mut() {
        let data = std::mem::take(&mut b.data);
        let streamed = std::mem::take(&mut b.data_streamed);
        let user = &ctx.user.address;
        match (out.multipart, streamed) {
            // MS-ASAIRS 2.2.2.33: the body's data is a part of its own, named by Part.
            (true, true) => {
                let Some(rest) = crate::classes::mail::open_body(mail, user, &id, &body).await?
                else {
                    resp.status = Status::DocumentLibraryNotFound;
                    return Ok(OperationResponse::Fetch(resp));
                };
                part = Some(out.part(PartData::Stream(Box::new(ChunkSource {
                    first: None,
                    rest,
                    skip: 0,
                    len: b.data_size,
                }))));
            }
            (true, false) => part = Some(out.part(PartData::Bytes(Bytes::from(data)))),
            (false, true) => match crate::classes::mail::read_body(mail, user, &id, &body).await? {
                Some(full) => b.data = full,
                None => {
                    resp.status = Status::DocumentLibraryNotFound;
                    return Ok(OperationResponse::Fetch(resp));
                }
            },
            (false, false) => b.data = data,
        }
    }
    let mut item = into_email(m);
    if let (Some(n), Some(body)) = (part, item.body.as_mut()) {
        body.data = None;
        body.part = Some(n);
    }
    match item.properties(ctx.version) {
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

/// Reads the first chunk of an attachment's stream (the mail service's or a class's) for the
/// size; the item status when it cannot be served.
async fn open_attachment(
    ctx: &RequestCtx,
    opened: crate::classes::OpenedContent,
    range: Option<ByteRange>,
    out: &mut Out,
) -> Result<Result<FetchProperties, Status>, EdgeError> {
    let mut rest = match opened {
        Ok(s) => s,
        // Status 15: the attachment or attachment ID is invalid.
        Err(s) => {
            let e = ServiceError::from_status(&s);
            return match e.code {
                ServiceErrorCode::NotFound | ServiceErrorCode::InvalidArgument => {
                    Ok(Err(Status::InvalidAttachment))
                }
                _ => Err(e.into()),
            };
        }
    };
    let first = match rest.message().await {
        Ok(c) => c,
        Err(s) => {
            let e = ServiceError::from_status(&s);
            return match e.code {
                ServiceErrorCode::NotFound => Ok(Err(Status::InvalidAttachment)),
                _ => Err(e.into()),
            };
        }
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
    tracing::debug!(user = %ctx.user.address, total, skip, len, multipart = out.multipart, "attachment fetch");
    let source = ChunkSource {
        first,
        rest,
        skip,
        len,
    };
    let data = if out.multipart {
        // MS-ASCMD 2.2.3.130: Part takes the place of Data.
        FetchData::Part(out.part(PartData::Stream(Box::new(source))))
    } else {
        let marker = attachment_stream::marker(out.streams.len());
        out.streams.push(AttachmentData {
            source,
            marker: marker.clone(),
        });
        FetchData::Text(marker)
    };
    Ok(Ok(FetchProperties::Attachment {
        range: sent,
        total: sent.map(|_| total),
        content_type: None,
        data,
    }))
}

/// EmptyFolderContents (MS-ASCMD 2.2.3.55): every item of a folder, of any class served, and its
/// subfolders when DeleteSubFolders is set.
async fn empty_folder(
    edge: &Edge,
    ctx: &RequestCtx,
    collection_id: &str,
    delete_sub_folders: bool,
) -> Result<Status, EdgeError> {
    let Some((class, _)) = edge.classes.route(collection_id) else {
        return Ok(Status::DocumentLibraryNotFound);
    };
    let done = class
        .empty_folder(&ctx.user.address, collection_id, delete_sub_folders)
        .await;
    let Err(s) = done else {
        return Ok(Status::Success);
    };
    let e = ServiceError::from_status(&s);
    match e.code {
        ServiceErrorCode::NotFound => Ok(Status::DocumentLibraryNotFound),
        c if c.is_transient() => Err(e.into()),
        _ => {
            tracing::warn!(user = %ctx.user.address, collection_id, error = %e, "empty folder failed");
            Ok(Status::ServerError)
        }
    }
}
