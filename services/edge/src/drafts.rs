//! Drafts at protocol 16.0 and later (MS-ASEMAIL 2.2.2 draft elements and 3.1.5.3; MS-ASCMD
//! 2.2.3.7.2 Add, 2.2.3.24 Change): a client Add in the Drafts folder is stored in the mail
//! service as a MIME message built from its fields (From is the user), a Change rewrites the
//! fields it names, and `email2:Send` (MS-ASEMAIL 2.2.2.69) sends the draft through the same
//! submission as SendMail and removes it from Drafts.

use eas_protocol::body::BodyType;
use eas_protocol::email::{DraftFields, Importance};
use eas_protocol::status::SyncStatus;
use eas_protocol::sync::ItemResponse;
use eas_protocol::version::ProtocolVersion;
use eas_rpc::mail::mail_client::MailClient;
use eas_rpc::mail::{AppendRequest, MessageRef, SmartKind, SubmitOutcome, SubmitRequest};
use eas_rpc::Channel;
use eas_sync::{Session, SourceError, SyncError};

use crate::pipeline::context::RequestCtx;
use mail_builder::headers::address::Address as OutAddress;
use mail_builder::mime::MimePart;
use mail_builder::MessageBuilder;
use mail_parser::{Address, Message, MessageParser, MimeHeaders};

/// MS-ASCMD 2.2.3.186.3: the folder type of Drafts.
pub(crate) const DRAFTS: u32 = 3;

/// Whether client Adds and field Changes in a folder of this type are drafts: the Drafts folder
/// from 16.0 on (MS-ASEMAIL 3.1.5.3; below 16.0 a client does not create mail through Sync).
pub(crate) fn takes_drafts(folder_type: u32, version: ProtocolVersion) -> bool {
    folder_type == DRAFTS && version >= ProtocolVersion::V16_0
}

/// Why a draft cannot be stored; the client gets item status 6 (MS-ASCMD 2.2.3.177.17: a
/// malformed or invalid item, not to be sent again as it is).
#[derive(Debug, thiserror::Error)]
pub(crate) enum DraftError {
    #[error("the draft's mime body cannot be read")]
    BadMime,
    #[error("attachment changes in a draft are not supported")]
    Attachments,
    #[error("the draft message cannot be written: {0}")]
    Write(String),
}

/// The sender of a draft: the user.
pub(crate) struct Sender<'a> {
    pub display_name: &'a str,
    pub address: &'a str,
}

/// What the client's fields and the stored draft (`base`, for a Change) make: the MIME
/// message to store. A MIME body (Type 4) is the message itself; otherwise the message is
/// built from the fields, each field the client did not send taken from `base`.
pub(crate) fn compose(
    sender: &Sender<'_>,
    fields: &DraftFields,
    base: Option<&[u8]>,
) -> Result<Vec<u8>, DraftError> {
    if fields.attachment_changes {
        return Err(DraftError::Attachments);
    }
    if let Some(body) = fields
        .body
        .as_ref()
        .filter(|b| b.body_type == BodyType::Mime)
    {
        parse(&body.data).ok_or(DraftError::BadMime)?;
        return Ok(body.data.clone());
    }
    let base = match base {
        Some(raw) => Some(parse(raw).ok_or(DraftError::BadMime)?),
        None => None,
    };
    let mut b = MessageBuilder::new().from(OutAddress::new_address(
        Some(sender.display_name.to_owned()).filter(|n| !n.is_empty()),
        sender.address.to_owned(),
    ));
    let lists = [
        (&fields.to, base.as_ref().and_then(Message::to)),
        (&fields.cc, base.as_ref().and_then(Message::cc)),
        (&fields.bcc, base.as_ref().and_then(Message::bcc)),
    ];
    for (i, (new, old)) in lists.into_iter().enumerate() {
        let list = match new {
            Some(text) => address_list(text),
            None => old.and_then(out_addresses),
        };
        if let Some(list) = list {
            b = match i {
                0 => b.to(list),
                1 => b.cc(list),
                _ => b.bcc(list),
            };
        }
    }
    let subject = match &fields.subject {
        Some(s) => s.clone(),
        None => base
            .as_ref()
            .and_then(Message::subject)
            .unwrap_or_default()
            .to_owned(),
    };
    b = b.subject(subject);
    let importance = fields.importance.or_else(|| {
        let raw = base
            .as_ref()?
            .header_raw("Importance")?
            .trim()
            .to_ascii_lowercase();
        match raw.as_str() {
            "high" => Some(Importance::High),
            "low" => Some(Importance::Low),
            _ => None,
        }
    });
    match importance {
        // RFC 2156 section 5.3.
        Some(Importance::High) => {
            b = b.header("Importance", mail_builder::headers::raw::Raw::new("high"))
        }
        Some(Importance::Low) => {
            b = b.header("Importance", mail_builder::headers::raw::Raw::new("low"))
        }
        Some(Importance::Normal) | None => {}
    }
    let (text, html) = match &fields.body {
        Some(body) => {
            let data = String::from_utf8_lossy(&body.data).into_owned();
            match body.body_type {
                BodyType::Html => (None, Some(data)),
                _ => (Some(data), None),
            }
        }
        None => match &base {
            Some(m) => (
                m.body_text(0).map(|t| t.into_owned()),
                m.html_part(0)
                    .filter(|p| p.is_text_html())
                    .and_then(|_| m.body_html(0))
                    .map(|h| h.into_owned()),
            ),
            None => (Some(String::new()), None),
        },
    };
    let body = match (text, html) {
        (_, Some(html)) => MimePart::new("text/html", html),
        (text, None) => MimePart::new("text/plain", text.unwrap_or_default()),
    };
    // The attachments of the stored draft stay with it when its fields change.
    let mut parts = vec![body];
    if let Some(m) = &base {
        for part in m.attachments() {
            let ctype = part
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("octet-stream")))
                .unwrap_or_else(|| "application/octet-stream".to_owned());
            let name = part.attachment_name().unwrap_or("attachment").to_owned();
            parts.push(MimePart::new(ctype, part.contents().to_vec()).attachment(name));
        }
    }
    let body = match parts.len() {
        1 => parts.remove(0),
        _ => MimePart::new("multipart/mixed", parts),
    };
    b.body(body)
        .write_to_vec()
        .map_err(|e| DraftError::Write(e.to_string()))
}

/// A draft field a Change may carry besides Read, Flag and Categories.
pub(crate) fn changes_draft_fields(fields: &DraftFields) -> bool {
    fields.to.is_some()
        || fields.cc.is_some()
        || fields.bcc.is_some()
        || fields.subject.is_some()
        || fields.importance.is_some()
        || fields.body.is_some()
        || fields.send
        || fields.attachment_changes
}

fn unavailable(s: tonic::Status) -> SyncError {
    SyncError::Source(SourceError::Unavailable(s.message().to_owned()))
}

fn sender(ctx: &RequestCtx) -> Sender<'_> {
    Sender {
        display_name: &ctx.user.display_name,
        address: &ctx.user.address,
    }
}

/// Sends a draft through the mail service's submission (as SendMail does: From is the user,
/// Bcc is removed from the copies that leave, a copy goes to Sent Items). `false` when the
/// mail service refused it; the refusal is logged.
async fn send(
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    raw: Vec<u8>,
) -> Result<bool, SyncError> {
    let mut c = mail.clone();
    let reply = match c
        .submit(SubmitRequest {
            user: ctx.user.address.clone(),
            mime: raw,
            save_in_sent: true,
            smart_kind: SmartKind::None as i32,
            original_id: String::new(),
            replace_mime: false,
        })
        .await
    {
        Ok(r) => r.into_inner(),
        Err(s) if s.code() == tonic::Code::InvalidArgument => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, "draft refused for sending: invalid mime");
            return Ok(false);
        }
        Err(s) => return Err(unavailable(s)),
    };
    match SubmitOutcome::try_from(reply.outcome) {
        Ok(SubmitOutcome::Accepted) => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, "draft sent");
            Ok(true)
        }
        Ok(SubmitOutcome::RetryLater) => Err(SyncError::Source(SourceError::Unavailable(
            "mail submission: retry later".into(),
        ))),
        outcome => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, outcome = ?outcome, detail = %reply.detail, "draft refused for sending");
            Ok(false)
        }
    }
}

/// Removes a draft for good (it was sent, or replaced): its tombstone makes the next Sync of
/// Drafts send a Delete to every device that holds it.
async fn remove(ctx: &RequestCtx, mail: &MailClient<Channel>, id: &str) -> Result<(), SyncError> {
    let mut c = mail.clone();
    match c
        .delete_message(MessageRef {
            user: ctx.user.address.clone(),
            id: id.to_owned(),
        })
        .await
    {
        Ok(_) => Ok(()),
        Err(s) if s.code() == tonic::Code::NotFound => Ok(()),
        Err(s) => Err(unavailable(s)),
    }
}

async fn append(
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    folder_id: &str,
    raw: Vec<u8>,
    read: bool,
) -> Result<eas_sync::ItemVersion, SyncError> {
    let mut c = mail.clone();
    let v = c
        .append_message(AppendRequest {
            user: ctx.user.address.clone(),
            folder_id: folder_id.to_owned(),
            raw,
            read,
        })
        .await
        .map_err(unavailable)?
        .into_inner();
    Ok(eas_sync::ItemVersion::live(
        v.id,
        v.modseq,
        (v.date != 0).then_some(v.date),
    ))
}

/// A client Add in Drafts (MS-ASCMD 2.2.3.7.2): the draft is stored and the client gets its
/// ServerId; with `Send` it is sent first and, once accepted, stored and removed at once, so
/// the client learns its ServerId and then its Delete. A draft that cannot be read or sent is
/// refused with item status 6 and nothing is stored.
pub(crate) async fn add(
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    folder_id: &str,
    client_id: &str,
    application_data: &[eas_wbxml::Element],
    session: &mut Session,
) -> Result<ItemResponse, SyncError> {
    let refused = || ItemResponse::Add {
        client_id: client_id.to_owned(),
        server_id: None,
        status: SyncStatus::ConversionError,
        application_data: None,
    };
    let fields = match DraftFields::from_application_data(application_data) {
        Ok(f) => f,
        Err(e) => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = %e, "bad draft");
            return Ok(refused());
        }
    };
    let raw = match compose(&sender(ctx), &fields, None) {
        Ok(raw) => raw,
        Err(e) => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = %e, "draft not stored");
            return Ok(refused());
        }
    };
    if fields.send && !send(ctx, mail, raw.clone()).await? {
        return Ok(refused());
    }
    let created = append(ctx, mail, folder_id, raw, fields.read.unwrap_or(true)).await?;
    session.record_client_add(client_id, &created);
    if fields.send {
        remove(ctx, mail, &created.id).await?;
    }
    tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, message = %created.id, sent = fields.send, "draft added");
    Ok(ItemResponse::Add {
        client_id: client_id.to_owned(),
        server_id: Some(created.id),
        status: SyncStatus::Success,
        application_data: None,
    })
}

/// A client Change of a draft's fields (MS-ASCMD 2.2.3.24, MS-ASEMAIL 3.1.5.3): the fields it
/// names replace the stored draft's. The mail service keeps a message's content as delivered, so
/// the rewritten draft is stored as a new message and the old one removed: the next Sync of
/// Drafts tells every device (the changing one included) Delete of the old ServerId and Add of
/// the new. With `Send` the draft, changed or not, is sent and removed. `None` when the change
/// was applied; the item status to answer otherwise.
pub(crate) async fn change(
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    folder_id: &str,
    server_id: &str,
    fields: &DraftFields,
) -> Result<Option<SyncStatus>, SyncError> {
    let old = match read_raw(ctx, mail, server_id).await? {
        Some(raw) => raw,
        None => return Ok(Some(SyncStatus::ObjectNotFound)),
    };
    let edits = DraftFields {
        send: false,
        read: None,
        ..fields.clone()
    };
    let raw = if changes_draft_fields(&edits) {
        match compose(&sender(ctx), &edits, Some(&old)) {
            Ok(raw) => raw,
            Err(e) => {
                tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = %e, "draft change not applied");
                return Ok(Some(SyncStatus::ConversionError));
            }
        }
    } else {
        old
    };
    if fields.send {
        if !send(ctx, mail, raw).await? {
            return Ok(Some(SyncStatus::ConversionError));
        }
    } else {
        let created = append(ctx, mail, folder_id, raw, fields.read.unwrap_or(true)).await?;
        tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, message = %created.id, replaces = server_id, "draft changed");
    }
    remove(ctx, mail, server_id).await?;
    Ok(None)
}

/// The stored message, whole; `None` when it is gone.
async fn read_raw(
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    id: &str,
) -> Result<Option<Vec<u8>>, SyncError> {
    let mut c = mail.clone();
    let mut stream = match c
        .read_raw(MessageRef {
            user: ctx.user.address.clone(),
            id: id.to_owned(),
        })
        .await
    {
        Ok(s) => s.into_inner(),
        Err(s) if s.code() == tonic::Code::NotFound => return Ok(None),
        Err(s) => return Err(unavailable(s)),
    };
    let mut out = Vec::new();
    loop {
        match stream.message().await {
            Ok(Some(chunk)) => out.extend_from_slice(&chunk.data),
            Ok(None) => return Ok(Some(out)),
            Err(s) if s.code() == tonic::Code::NotFound => return Ok(None),
            Err(s) => return Err(unavailable(s)),
        }
    }
}

/// Parses a message; `None` when there is no header to read.
fn parse(raw: &[u8]) -> Option<Message<'_>> {
    MessageParser::default()
        .parse(raw)
        .filter(|m| !m.headers().is_empty())
}

/// An RFC 5322 address list as the client wrote it (`"Anna" <a@b>, c@d`); `None` when it holds
/// no address.
fn address_list(text: &str) -> Option<OutAddress<'static>> {
    let header = format!("To: {}\r\n\r\n", text.replace(['\r', '\n'], " "));
    let parsed = MessageParser::default().parse(header.as_bytes())?;
    out_addresses(parsed.to()?)
}

fn out_addresses(list: &Address<'_>) -> Option<OutAddress<'static>> {
    let out: Vec<OutAddress<'static>> = list
        .iter()
        .filter_map(|a| {
            let email = a.address()?.trim().to_owned();
            email
                .contains('@')
                .then(|| OutAddress::new_address(a.name().map(|n| n.trim().to_owned()), email))
        })
        .collect();
    (!out.is_empty()).then(|| OutAddress::new_list(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_protocol::email::DraftBody;

    const USER: Sender<'static> = Sender {
        display_name: "John Doe",
        address: "jdoe@example.loc",
    };

    #[test]
    fn a_draft_is_a_message_from_the_user_with_the_fields_the_client_set() {
        let fields = DraftFields {
            to: Some("\"Anna Smith\" <asmith@example.loc>, bob@example.org".into()),
            bcc: Some("boss@example.loc".into()),
            subject: Some("Plan für Montag".into()),
            importance: Some(Importance::High),
            body: Some(DraftBody {
                body_type: BodyType::PlainText,
                data: b"hello".to_vec(),
            }),
            ..DraftFields::default()
        };
        let raw = compose(&USER, &fields, None).unwrap();
        let m = parse(&raw).unwrap();
        assert_eq!(
            m.from().and_then(|a| a.first()).and_then(|a| a.address()),
            Some("jdoe@example.loc")
        );
        let to: Vec<_> = m.to().unwrap().iter().filter_map(|a| a.address()).collect();
        assert_eq!(to, ["asmith@example.loc", "bob@example.org"]);
        assert_eq!(
            m.bcc().and_then(|a| a.first()).and_then(|a| a.address()),
            Some("boss@example.loc")
        );
        assert_eq!(m.subject(), Some("Plan für Montag"));
        assert_eq!(m.header_raw("Importance").map(str::trim), Some("high"));
        assert_eq!(m.body_text(0).as_deref().map(str::trim), Some("hello"));
    }

    #[test]
    fn a_change_keeps_what_it_does_not_name_and_a_mime_body_is_kept_as_sent() {
        let first = DraftFields {
            to: Some("asmith@example.loc".into()),
            subject: Some("first".into()),
            body: Some(DraftBody {
                body_type: BodyType::Html,
                data: b"<p>hi</p>".to_vec(),
            }),
            ..DraftFields::default()
        };
        let stored = compose(&USER, &first, None).unwrap();
        let change = DraftFields {
            subject: Some("second".into()),
            ..DraftFields::default()
        };
        let raw = compose(&USER, &change, Some(&stored)).unwrap();
        let m = parse(&raw).unwrap();
        assert_eq!(m.subject(), Some("second"));
        assert_eq!(
            m.to().and_then(|a| a.first()).and_then(|a| a.address()),
            Some("asmith@example.loc")
        );
        assert!(m.body_html(0).is_some_and(|h| h.contains("<p>hi</p>")));
        let mime = DraftFields {
            body: Some(DraftBody {
                body_type: BodyType::Mime,
                data: b"Subject: as is\r\n\r\nbody\r\n".to_vec(),
            }),
            ..DraftFields::default()
        };
        assert_eq!(
            compose(&USER, &mime, None).unwrap(),
            b"Subject: as is\r\n\r\nbody\r\n"
        );
        let attachments = DraftFields {
            attachment_changes: true,
            ..DraftFields::default()
        };
        assert!(matches!(
            compose(&USER, &attachments, None),
            Err(DraftError::Attachments)
        ));
    }
}
