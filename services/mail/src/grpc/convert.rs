//! Store records to wire messages: folders, versions, and messages with their chosen body.

use eas_rpc::collections::DataClass;
use eas_rpc::mail::{self as wire};
use sha2::{Digest, Sha256};

use crate::model::{EmailAddress, Folder, ItemChange, ItemVersion, MessageId, MessageMeta};

pub fn folder(f: &Folder) -> wire::Folder {
    wire::Folder {
        id: f.id.to_string(),
        parent_id: f
            .parent_id
            .map_or_else(|| "0".to_owned(), |p| p.to_string()),
        display_name: f.name.clone(),
        folder_type: u32::try_from(f.folder_type.code()).unwrap_or(1),
        data_class: DataClass::Email.into(),
        // Mail and contacts folders are never shared with another user.
        ..Default::default()
    }
}

pub fn version(v: &ItemVersion) -> wire::ItemVersion {
    wire::ItemVersion {
        id: v.id.to_string(),
        modseq: v.modseq,
        deleted: v.deleted,
        date: v.date,
        complete: false,
    }
}

/// A live item after a write; the date is left unknown (0), which the engine reads as "keep".
pub fn changed(c: &ItemChange) -> wire::ItemVersion {
    wire::ItemVersion {
        id: c.id.to_string(),
        modseq: c.modseq,
        deleted: false,
        date: 0,
        complete: false,
    }
}

pub fn tombstone(c: &ItemChange) -> wire::ItemVersion {
    wire::ItemVersion {
        id: c.id.to_string(),
        modseq: c.modseq,
        deleted: true,
        date: 0,
        complete: false,
    }
}

/// File references are `<message id>:<attachment index>`.
pub fn file_reference(id: MessageId, index: u32) -> String {
    format!("{id}:{index}")
}

pub fn parse_file_reference(s: &str) -> Option<(MessageId, u32)> {
    let (id, index) = s.split_once(':')?;
    Some((id.parse().ok()?, index.parse().ok()?))
}

fn addresses(list: &[EmailAddress]) -> Vec<wire::Address> {
    list.iter()
        .map(|a| wire::Address {
            name: a.name.clone().unwrap_or_default(),
            email: a.address.clone(),
        })
        .collect()
}

/// A conversation id shared by a thread: derived from the first message id of References, else
/// In-Reply-To, else the message's own id (MS-ASEMAIL 2.2.2.21 leaves the value to the server).
fn conversation_id(m: &MessageMeta) -> Vec<u8> {
    let root = m
        .references
        .first()
        .or(m.in_reply_to.first())
        .or(m.message_id.as_ref());
    match root {
        Some(r) => Sha256::digest(r.as_bytes())[..16].to_vec(),
        None => Vec::new(),
    }
}

/// A message with its body chosen for `prefs` from the raw message.
pub fn message(m: &MessageMeta, raw: &[u8], prefs: &[wire::BodyRequest]) -> wire::Message {
    let (body, native) = super::body::choose(raw, prefs);
    wire::Message {
        body,
        native_body: native as i32,
        ..metadata(m)
    }
}

/// A message without its body (and its native body type unknown).
pub fn metadata(m: &MessageMeta) -> wire::Message {
    wire::Message {
        id: m.id.to_string(),
        folder_id: m.folder_id.to_string(),
        modseq: m.modseq,
        from: addresses(&m.from),
        to: addresses(&m.to),
        cc: addresses(&m.cc),
        reply_to: addresses(&m.reply_to),
        subject: m.subject.clone(),
        date_received: m.received_at,
        importance: u32::try_from(m.importance.code()).unwrap_or(1),
        read: m.read,
        flag: Some(wire::Flag {
            status: u32::try_from(m.flag.status.code()).unwrap_or(0),
            flag_type: if m.flag.status.code() == 0 {
                String::new()
            } else {
                "Follow up".into()
            },
            start_date: m.flag.start_at.unwrap_or(0),
            due_date: m.flag.due_at.unwrap_or(0),
            complete_time: 0,
        }),
        message_id: m.message_id.clone().unwrap_or_default(),
        conversation_id: conversation_id(m),
        conversation_index: Vec::new(),
        size: m.size,
        attachments: m
            .attachments
            .iter()
            .map(|a| wire::Attachment {
                file_reference: file_reference(m.id, a.index),
                display_name: a
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("attachment-{}", a.index + 1)),
                content_type: a.content_type.clone(),
                size: a.size,
                content_id: a.content_id.clone().unwrap_or_default(),
                inline: a.inline,
            })
            .collect(),
        body: None,
        native_body: wire::BodyKind::Unspecified as i32,
    }
}
