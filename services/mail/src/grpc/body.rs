//! Picks and cuts a message body for the caller's preferences (MS-ASAIRS 2.2.2.9), using the
//! same selection rules as the protocol crate so that every service answers alike.

use eas_protocol::body::{select_body, AvailableBodies, BodyPreference, BodyType};
use eas_rpc::mail::{self as wire, BodyKind};
use mail_parser::{MessageParser, PartType};

fn to_type(k: i32) -> Option<BodyType> {
    match BodyKind::try_from(k).ok()? {
        BodyKind::Plain => Some(BodyType::PlainText),
        BodyKind::Html => Some(BodyType::Html),
        BodyKind::Rtf => Some(BodyType::Rtf),
        BodyKind::Mime => Some(BodyType::Mime),
        BodyKind::Unspecified => None,
    }
}

fn to_kind(t: BodyType) -> BodyKind {
    match t {
        BodyType::PlainText => BodyKind::Plain,
        BodyType::Html => BodyKind::Html,
        BodyType::Rtf => BodyKind::Rtf,
        BodyType::Mime => BodyKind::Mime,
    }
}

/// The body for `prefs` and the message's native body kind.
pub fn choose(raw: &[u8], prefs: &[wire::BodyRequest]) -> (Option<wire::Body>, BodyKind) {
    let parsed = MessageParser::default().parse(raw);
    let has_html = parsed.as_ref().is_some_and(|m| {
        m.html_body.iter().any(|id| {
            matches!(
                m.parts.get(*id as usize).map(|p| &p.body),
                Some(PartType::Html(_))
            )
        })
    });
    let native = if has_html {
        BodyType::Html
    } else {
        BodyType::PlainText
    };
    let plain = parsed
        .as_ref()
        .and_then(|m| m.body_text(0))
        .map(|c| c.into_owned());
    let html = parsed
        .as_ref()
        .and_then(|m| m.body_html(0))
        .map(|c| c.into_owned());
    let mime = String::from_utf8_lossy(raw);
    let available = AvailableBodies {
        plain: Some(plain.as_deref().unwrap_or("")),
        html: html.as_deref(),
        mime: Some(&mime),
        native,
    };
    let prefs: Vec<BodyPreference> = prefs
        .iter()
        .filter_map(|p| {
            Some(BodyPreference {
                body_type: to_type(p.kind)?,
                truncation_size: (p.truncation_size != 0).then_some(p.truncation_size),
                all_or_none: p.all_or_none,
                preview: u8::try_from(p.preview).ok().filter(|p| *p != 0),
            })
        })
        .collect();
    let body = select_body(&prefs, &available).map(|b| {
        let data = b.data.unwrap_or_default().into_bytes();
        wire::Body {
            kind: to_kind(b.body_type) as i32,
            data_size: data.len() as u64,
            data,
            truncated: b.truncated,
            estimated_size: u64::from(b.estimated_data_size),
            preview: b.preview.unwrap_or_default(),
            data_streamed: false,
        }
    });
    (body, to_kind(native))
}
