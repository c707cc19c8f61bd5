//! Reading a delivered RFC 5322 message with mail-parser into the fields the store indexes.

use mail_parser::{Address, Encoding, HeaderValue, Message, MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

use crate::blob::{Content, SpoolRange};
use crate::error::MailError;
use crate::lmtp::walk::Walked;
use crate::model::{AttachmentMeta, EmailAddress, Importance};

/// One attachment with its decoded bytes: borrowed from the parsed message, or decoded from
/// the spool when its body was left out of the parse.
pub(crate) struct NewAttachment<'m> {
    pub meta: AttachmentMeta,
    pub data: Content<'m>,
    pub sha256: String,
}

/// The indexed fields of a message about to be stored.
pub(crate) struct NewMessage<'m> {
    pub raw: Content<'m>,
    pub sha256: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub reply_to: String,
    pub subject: String,
    pub sent_at: Option<i64>,
    pub received_at: i64,
    pub message_id: Option<String>,
    pub in_reply_to: String,
    pub references: String,
    pub importance: Importance,
    pub has_attachments: bool,
    pub attachments: Vec<NewAttachment<'m>>,
    /// Lowercased subject, senders and body text, for substring search.
    pub search_text: String,
}

/// Parses `raw`; `None` when mail-parser finds no message at all.
pub(crate) fn parse(raw: &[u8]) -> Result<Message<'_>, MailError> {
    MessageParser::default()
        .parse(raw)
        .ok_or(MailError::Unparseable)
}

/// Extracts the indexed fields from a parsed message.
pub(crate) fn index<'m>(
    raw: &'m [u8],
    message: &'m Message<'m>,
    received_at: i64,
    max_search_text: usize,
) -> NewMessage<'m> {
    let attachments = message
        .attachments()
        .map(|part| {
            let data = part.contents();
            (part, Content::Memory(data), sha256_hex(data))
        })
        .collect();
    index_with(
        Content::Memory(raw),
        sha256_hex(raw),
        message,
        attachments,
        received_at,
        max_search_text,
    )
}

/// Extracts the indexed fields of a spooled message from the parse of its skeleton: the raw
/// message and the attachments whose bodies were left out are read from `file` when stored.
/// `None` when a left-out body is not exactly one attachment of the parse; the caller then
/// parses the whole message instead.
pub(crate) fn index_walked<'m>(
    walked: &'m Walked,
    file: &std::sync::Arc<std::fs::File>,
    message: &'m Message<'m>,
    received_at: i64,
    max_search_text: usize,
) -> Option<NewMessage<'m>> {
    let mut claimed = vec![false; walked.elided.len()];
    let mut attachments = Vec::new();
    for part in message.attachments() {
        let (start, end) = (part.offset_body as usize, part.offset_end as usize);
        let mut inside = walked
            .elided
            .iter()
            .enumerate()
            .filter(|(_, e)| start <= e.at && e.at < end);
        match (inside.next(), inside.next()) {
            (None, _) => {
                let data = part.contents();
                attachments.push((part, Content::Memory(data), sha256_hex(data)));
            }
            (Some((i, elided)), None) if !claimed[i] => {
                claimed[i] = true;
                let data = Content::Spooled(elided.range.clone());
                attachments.push((part, data, elided.sha256.clone()));
            }
            _ => return None,
        }
    }
    if claimed.contains(&false) {
        return None;
    }
    let raw = Content::Spooled(SpoolRange {
        file: file.clone(),
        start: 0,
        end: walked.size,
        encoding: Encoding::None,
        size: walked.size,
    });
    Some(index_with(
        raw,
        walked.sha256.clone(),
        message,
        attachments,
        received_at,
        max_search_text,
    ))
}

fn index_with<'m>(
    raw: Content<'m>,
    sha256: String,
    message: &'m Message<'m>,
    attachments: Vec<(&'m mail_parser::MessagePart<'m>, Content<'m>, String)>,
    received_at: i64,
    max_search_text: usize,
) -> NewMessage<'m> {
    let from = addresses(message.from());
    let subject = message.subject().unwrap_or_default().to_owned();
    let attachments: Vec<NewAttachment<'m>> = attachments
        .into_iter()
        .enumerate()
        .map(|(index, (part, data, sha256))| {
            let content_type = part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_owned(),
                })
                .unwrap_or_else(|| "application/octet-stream".to_owned())
                .to_ascii_lowercase();
            NewAttachment {
                meta: AttachmentMeta {
                    index: index as u32,
                    name: part.attachment_name().map(str::to_owned),
                    content_type,
                    size: data.len(),
                    content_id: part.content_id().map(str::to_owned),
                    // RFC 2183 section 2.1: the inline disposition.
                    inline: part.content_disposition().is_some_and(|d| d.is_inline()),
                },
                data,
                sha256,
            }
        })
        .collect();
    let mut search_text = String::new();
    search_text.push_str(&subject);
    for sender in &from {
        search_text.push('\n');
        search_text.push_str(sender.name.as_deref().unwrap_or_default());
        search_text.push(' ');
        search_text.push_str(&sender.address);
    }
    if let Some(body) = message.body_text(0) {
        search_text.push('\n');
        search_text.push_str(truncate(&body, max_search_text));
    }
    NewMessage {
        raw,
        sha256,
        from: to_json(&from),
        to: to_json(&addresses(message.to())),
        cc: to_json(&addresses(message.cc())),
        reply_to: to_json(&addresses(message.reply_to())),
        subject,
        sent_at: message.date().map(|d| d.to_timestamp()),
        received_at,
        message_id: message.message_id().map(str::to_owned),
        in_reply_to: message_ids(message.in_reply_to()).join(" "),
        references: message_ids(message.references()).join(" "),
        importance: importance(message),
        has_attachments: attachments.iter().any(|a| !a.meta.inline),
        attachments,
        search_text: search_text.to_lowercase(),
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn addresses(address: Option<&Address<'_>>) -> Vec<EmailAddress> {
    let Some(address) = address else {
        return Vec::new();
    };
    address
        .iter()
        .filter_map(|addr| {
            Some(EmailAddress {
                name: addr.name.as_deref().map(str::to_owned),
                address: addr.address.as_deref()?.to_owned(),
            })
        })
        .collect()
}

fn to_json(addresses: &[EmailAddress]) -> String {
    // A list of plain structs of strings always serialises.
    serde_json::to_string(addresses).unwrap_or_else(|_| "[]".to_owned())
}

/// In-Reply-To and References (RFC 5322 section 3.6.4), without angle brackets.
fn message_ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![id.to_string()],
        HeaderValue::TextList(ids) => ids.iter().map(|id| id.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// `Importance` (RFC 2156 section 5.3) wins over `X-Priority` (1-2 high, 3 normal, 4-5 low).
fn importance(message: &Message<'_>) -> Importance {
    if let Some(value) = message.header_raw("Importance") {
        match value.trim().to_ascii_lowercase().as_str() {
            "high" => return Importance::High,
            "low" => return Importance::Low,
            "normal" => return Importance::Normal,
            _ => {}
        }
    }
    let priority = message
        .header_raw("X-Priority")
        .and_then(|v| v.trim().chars().next())
        .and_then(|c| c.to_digit(10));
    match priority {
        Some(1 | 2) => Importance::High,
        Some(4 | 5) => Importance::Low,
        _ => Importance::Normal,
    }
}

/// At most `max` bytes of `text`, cut on a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIL: &[u8] = b"From: \"Ann Example\" <ann@example.loc>\r\n\
To: bob@example.loc, Carl <carl@example.loc>\r\n\
Subject: Quarterly Report\r\n\
Date: Tue, 1 Apr 2025 10:00:00 +0000\r\n\
Message-ID: <m1@example.loc>\r\n\
In-Reply-To: <m0@example.loc>\r\n\
References: <a@x> <m0@example.loc>\r\n\
X-Priority: 1 (Highest)\r\n\
\r\n\
Numbers are UP.\r\n";

    #[test]
    fn headers_become_indexed_fields() {
        let message = parse(MAIL).unwrap();
        let new = index(MAIL, &message, 1_700_000_000, 1024);
        assert_eq!(new.subject, "Quarterly Report");
        assert_eq!(new.sent_at, Some(1_743_501_600));
        assert_eq!(new.message_id.as_deref(), Some("m1@example.loc"));
        assert_eq!(new.in_reply_to, "m0@example.loc");
        assert_eq!(new.references, "a@x m0@example.loc");
        assert_eq!(new.importance, Importance::High);
        assert!(new.from.contains("ann@example.loc"));
        assert!(new.to.contains("carl@example.loc"));
        assert!(new.search_text.contains("numbers are up"));
        assert!(new.search_text.contains("ann example"));
        assert!(!new.has_attachments);
    }

    #[test]
    fn the_importance_header_wins_over_x_priority() {
        let raw = b"Importance: low\r\nX-Priority: 1\r\nSubject: x\r\n\r\nbody\r\n";
        let message = parse(raw).unwrap();
        assert_eq!(importance(&message), Importance::Low);
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("h\u{e9}llo", 2), "h");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
