//! The final message of a submission: SmartReply and SmartForward without ReplaceMime get the
//! original appended here (MS-ASCMD 2.2.1.19, 2.2.1.20: the client leaves it out), and the
//! copies that leave get their Bcc removed (RFC 5322 section 3.6.3) and their originator
//! fields checked (section 3.6.2). Read with mail-parser, written with mail-builder.

use mail_builder::headers::address::Address as OutAddress;
use mail_builder::headers::message_id::MessageId as OutMessageId;
use mail_builder::mime::MimePart;
use mail_builder::MessageBuilder;
use mail_parser::{Address, HeaderName, Message, MessageParser, MimeHeaders};

/// What the smart command does with the original.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmartKind {
    /// The original's text quoted below the new text.
    Reply,
    /// The original attached whole as `message/rfc822` (RFC 2046 section 5.2.1), so that its
    /// attachments, headers and HTML travel unchanged.
    Forward,
}

/// Parses a message; `None` when mail-parser finds nothing to read.
pub(crate) fn parse(raw: &[u8]) -> Option<Message<'_>> {
    MessageParser::default()
        .parse(raw)
        .filter(|m| !m.headers().is_empty())
}

/// Every address of To, Cc and Bcc, lowercased and without repeats: the RCPT TO list.
pub(crate) fn envelope(message: &Message<'_>) -> Vec<String> {
    let mut all: Vec<String> = [message.to(), message.cc(), message.bcc()]
        .into_iter()
        .flatten()
        .flat_map(Address::iter)
        .filter_map(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@'))
        .collect();
    let mut seen = std::collections::HashSet::new();
    all.retain(|a| seen.insert(a.clone()));
    all
}

/// The originator fields that RFC 5322 section 3.6 allows at most once. A message that repeats
/// one is ambiguous (readers differ on which one they show), so it is refused whole.
const SINGLE_ORIGINATOR_FIELDS: [(HeaderName<'static>, &str); 3] = [
    (HeaderName::From, "from"),
    (HeaderName::Sender, "sender"),
    (HeaderName::ReplyTo, "reply-to"),
];

/// The first originator field that occurs more than once among the top-level headers.
pub(crate) fn repeated_originator(message: &Message<'_>) -> Option<&'static str> {
    SINGLE_ORIGINATOR_FIELDS.iter().find_map(|(name, label)| {
        let count = message.headers().iter().filter(|h| h.name == *name).count();
        (count > 1).then_some(*label)
    })
}

/// True when a top-level header of that name is present, parseable or not.
pub(crate) fn has_header(message: &Message<'_>, name: HeaderName<'static>) -> bool {
    message.headers().iter().any(|h| h.name == name)
}

/// Every mailbox address of an address field (groups flattened), lowercased; an entry without
/// an address counts as an empty string, so that it can never match a user.
pub(crate) fn mailboxes(address: Option<&Address<'_>>) -> Vec<String> {
    address
        .map(|a| {
            a.iter()
                .map(|a| a.address().unwrap_or_default().trim().to_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

/// How the originator fields of the outgoing copy change.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Originator<'a> {
    /// Replace every From field with one `From: <address>`.
    pub new_from: Option<&'a str>,
    /// Remove every Sender field.
    pub drop_sender: bool,
}

/// `raw` without its top-level Bcc header and with the originator changes applied. The body
/// and every other header stay byte for byte.
pub(crate) fn outgoing(raw: &[u8], message: &Message<'_>, originator: Originator<'_>) -> Vec<u8> {
    let new_from = originator.new_from;
    let mut cut: Vec<(usize, usize)> = message
        .headers()
        .iter()
        .filter(|h| {
            h.name == HeaderName::Bcc
                || (new_from.is_some() && h.name == HeaderName::From)
                || (originator.drop_sender && h.name == HeaderName::Sender)
        })
        .map(|h| (h.offset_field as usize, h.offset_end as usize))
        .collect();
    cut.sort_unstable();
    let mut out = Vec::with_capacity(raw.len() + 64);
    if let Some(from) = new_from {
        out.extend_from_slice(format!("From: <{from}>\r\n").as_bytes());
    }
    let mut at = 0;
    for (start, end) in cut {
        let (start, end) = (start.min(raw.len()), end.min(raw.len()));
        if start < at {
            continue;
        }
        out.extend_from_slice(&raw[at..start]);
        at = end;
    }
    out.extend_from_slice(&raw[at..]);
    out
}

fn addresses(address: Option<&Address<'_>>) -> Option<OutAddress<'static>> {
    let list: Vec<OutAddress<'static>> = address?
        .iter()
        .filter_map(|a| {
            let email = a.address()?.to_owned();
            Some(OutAddress::new_address(a.name().map(str::to_owned), email))
        })
        .collect();
    (!list.is_empty()).then(|| OutAddress::new_list(list))
}

fn names(address: Option<&Address<'_>>) -> String {
    address
        .map(|a| {
            a.iter()
                .map(|a| match (a.name(), a.address()) {
                    (Some(n), Some(e)) => format!("{n} <{e}>"),
                    (_, Some(e)) => e.to_owned(),
                    (Some(n), None) => n.to_owned(),
                    (None, None) => String::new(),
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

/// The header block above the quoted original, as Outlook and AOSP show it.
fn original_header(original: &Message<'_>) -> String {
    format!(
        "-----Original Message-----\r\nFrom: {}\r\nSent: {}\r\nTo: {}\r\nSubject: {}\r\n",
        names(original.from()),
        original.date().map(|d| d.to_rfc822()).unwrap_or_default(),
        names(original.to()),
        original.subject().unwrap_or_default()
    )
}

fn quoted(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                ">".to_owned()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The phone's HTML with `tail` placed before its closing body tag, or after it all.
fn append_html(html: &str, tail: &str) -> String {
    match html.to_ascii_lowercase().rfind("</body>") {
        Some(at) if html.is_char_boundary(at) => format!("{}{tail}{}", &html[..at], &html[at..]),
        _ => format!("{html}{tail}"),
    }
}

/// The message the phone meant: its own headers, text and attachments plus the original.
pub(crate) fn smart(
    kind: SmartKind,
    new: &Message<'_>,
    original_raw: &[u8],
) -> std::io::Result<Vec<u8>> {
    let original = parse(original_raw);
    let text = new.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    // mail-parser offers the text part as HTML too; only a real text/html part counts.
    let html = new
        .html_part(0)
        .filter(|p| p.is_text_html())
        .and_then(|_| new.body_html(0))
        .map(|h| h.into_owned());
    let mut b = MessageBuilder::new();
    for (field, value) in [
        (HeaderName::From, new.from()),
        (HeaderName::To, new.to()),
        (HeaderName::Cc, new.cc()),
        (HeaderName::Bcc, new.bcc()),
        (HeaderName::ReplyTo, new.reply_to()),
    ] {
        if let Some(list) = addresses(value) {
            b = match field {
                HeaderName::From => b.from(list),
                HeaderName::To => b.to(list),
                HeaderName::Cc => b.cc(list),
                HeaderName::Bcc => b.bcc(list),
                _ => b.reply_to(list),
            };
        }
    }
    b = b.subject(new.subject().unwrap_or_default().to_owned());
    if let Some(id) = new.message_id() {
        b = b.message_id(id.to_owned());
    }
    let thread_parent = original.as_ref().and_then(|o| o.message_id());
    match (new.in_reply_to().as_text_list(), thread_parent) {
        (Some(ids), _) if !ids.is_empty() => {
            b = b.in_reply_to(OutMessageId::new_list(ids.iter().map(|s| s.to_string())))
        }
        (_, Some(parent)) if kind == SmartKind::Reply => b = b.in_reply_to(parent.to_owned()),
        _ => {}
    }
    if let Some(refs) = new.references().as_text_list().filter(|r| !r.is_empty()) {
        b = b.references(OutMessageId::new_list(refs.iter().map(|s| s.to_string())));
    } else if let (Some(parent), SmartKind::Reply) = (thread_parent, kind) {
        b = b.references(parent.to_owned());
    }
    let (text, html) = match (kind, &original) {
        (SmartKind::Reply, Some(o)) => {
            let header = original_header(o);
            let original_text = o.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
            let text = format!("{text}\r\n\r\n{header}\r\n{}\r\n", quoted(&original_text));
            let html = html.map(|html| {
                let original_html = match o.html_part(0).filter(|p| p.is_text_html()) {
                    Some(_) => o.body_html(0).map(|h| h.into_owned()).unwrap_or_default(),
                    None => format!("<pre>{}</pre>", escape_html(&original_text)),
                };
                let tail = format!(
                    "<hr><div>{}</div><blockquote>{original_html}</blockquote>",
                    escape_html(&header).replace("\r\n", "<br>")
                );
                append_html(&html, &tail)
            });
            (text, html)
        }
        _ => (text, html),
    };
    let mut body = MimePart::new("text/plain", text);
    if let Some(html) = html {
        body = MimePart::new(
            "multipart/alternative",
            vec![body, MimePart::new("text/html", html)],
        );
    }
    let mut parts = vec![body];
    for part in new.attachments() {
        let ctype = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("octet-stream")))
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let data = MimePart::new(ctype, part.contents().to_vec());
        parts.push(match part.content_id() {
            Some(cid) => data.inline().cid(cid.to_owned()),
            None => data.attachment(part.attachment_name().unwrap_or("attachment").to_owned()),
        });
    }
    if let (SmartKind::Forward, Some(o)) = (kind, &original) {
        let name = o
            .subject()
            .filter(|s| !s.is_empty())
            .unwrap_or("forwarded message");
        // RFC 2046 section 5.2.1: no base64 or quoted-printable for message/rfc822.
        parts.push(
            MimePart::new("message/rfc822", original_raw.to_vec())
                .attachment(format!("{name}.eml"))
                .transfer_encoding(if original_raw.is_ascii() {
                    "7bit"
                } else {
                    "8bit"
                }),
        );
    }
    let body = match parts.len() {
        1 => parts.remove(0),
        _ => MimePart::new("multipart/mixed", parts),
    };
    b = b.body(body);
    b.write_to_vec()
}
