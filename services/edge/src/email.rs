//! Mail service messages as the Email class of MS-ASEMAIL: the edge's only mail-to-EAS mapping.

use eas_protocol::body::{Attachment, AttachmentMethod, Body, BodyPreference, BodyType};
use eas_protocol::datetime::EasDateTime;
use eas_protocol::email::{Email, EmailChange, Flag, FlagStatus, Importance};
use eas_rpc::mail::{self as wire, BodyKind, BodyRequest};

/// RFC 5322 form of one address: `"Name" <addr>` or just `addr`.
fn address(a: &wire::Address) -> String {
    if a.name.is_empty() {
        a.email.clone()
    } else {
        format!("\"{}\" <{}>", a.name.replace('"', "'"), a.email)
    }
}

fn list(addrs: &[wire::Address]) -> Option<String> {
    (!addrs.is_empty()).then(|| addrs.iter().map(address).collect::<Vec<_>>().join(", "))
}

fn kind_to_type(k: i32) -> Option<BodyType> {
    match BodyKind::try_from(k).ok()? {
        BodyKind::Plain => Some(BodyType::PlainText),
        BodyKind::Html => Some(BodyType::Html),
        BodyKind::Rtf => Some(BodyType::Rtf),
        BodyKind::Mime => Some(BodyType::Mime),
        BodyKind::Unspecified => None,
    }
}

fn type_to_kind(t: BodyType) -> BodyKind {
    match t {
        BodyType::PlainText => BodyKind::Plain,
        BodyType::Html => BodyKind::Html,
        BodyType::Rtf => BodyKind::Rtf,
        BodyType::Mime => BodyKind::Mime,
    }
}

/// The client's body preferences in the mail service's terms; with none, plain text in full
/// (MS-ASAIRS 2.2.2.9: without BodyPreference the server chooses).
pub fn body_requests(prefs: &[BodyPreference]) -> Vec<BodyRequest> {
    if prefs.is_empty() {
        return vec![BodyRequest {
            kind: BodyKind::Plain as i32,
            truncation_size: 0,
            all_or_none: false,
            preview: 0,
        }];
    }
    prefs
        .iter()
        .map(|p| BodyRequest {
            kind: type_to_kind(p.body_type) as i32,
            truncation_size: p.truncation_size.unwrap_or(0),
            all_or_none: p.all_or_none,
            preview: u32::from(p.preview.unwrap_or(0)),
        })
        .collect()
}

fn flag(f: Option<&wire::Flag>) -> Option<Flag> {
    let f = f?;
    let status = match f.status {
        1 => FlagStatus::Complete,
        2 => FlagStatus::Active,
        _ => return None,
    };
    let date = |s: i64| (s != 0).then(|| EasDateTime::from_unix_seconds(s));
    Some(Flag {
        status: Some(status),
        flag_type: (!f.flag_type.is_empty()).then(|| f.flag_type.clone()),
        start_date: date(f.start_date),
        utc_start_date: date(f.start_date),
        due_date: date(f.due_date),
        utc_due_date: date(f.due_date),
        complete_time: date(f.complete_time),
        date_completed: date(f.complete_time),
        ..Flag::default()
    })
}

/// The mail service's flag for a client's Flag change (MS-ASEMAIL 2.2.2.34).
pub fn wire_flag(f: &Flag) -> wire::Flag {
    let secs = |d: Option<EasDateTime>| d.map_or(0, |d| d.unix_millis() / 1000);
    wire::Flag {
        status: match f.status {
            Some(FlagStatus::Complete) => 1,
            Some(FlagStatus::Active) => 2,
            _ => 0,
        },
        flag_type: f.flag_type.clone().unwrap_or_default(),
        start_date: secs(f.utc_start_date.or(f.start_date)),
        due_date: secs(f.utc_due_date.or(f.due_date)),
        complete_time: secs(f.date_completed.or(f.complete_time)),
    }
}

/// As [`email`], taking the message, so that its body's data is moved rather than copied (a
/// body can be as large as the largest message the mail service accepts).
pub fn into_email(mut m: wire::Message) -> Email {
    let data = m.body.as_mut().map(|b| std::mem::take(&mut b.data));
    let mut e = email(&m);
    if let (Some(body), Some(data)) = (e.body.as_mut(), data) {
        body.data = Some(
            String::from_utf8(data)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        );
    }
    e
}

/// A message in full, for an Add or a Fetch.
pub fn email(m: &wire::Message) -> Email {
    let body = m.body.as_ref().and_then(|b| {
        Some(Body {
            body_type: kind_to_type(b.kind)?,
            estimated_data_size: u32::try_from(b.estimated_size).unwrap_or(u32::MAX),
            truncated: b.truncated,
            data: Some(String::from_utf8_lossy(&b.data).into_owned()),
            preview: (!b.preview.is_empty()).then(|| b.preview.clone()),
            part: None,
        })
    });
    let display_to = (!m.to.is_empty()).then(|| {
        m.to.iter()
            .map(|a| {
                if a.name.is_empty() {
                    a.email.clone()
                } else {
                    a.name.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(";")
    });
    Email {
        to: list(&m.to),
        cc: list(&m.cc),
        from: list(&m.from),
        subject: Some(m.subject.clone()),
        reply_to: list(&m.reply_to),
        date_received: Some(EasDateTime::from_unix_seconds(m.date_received)),
        display_to,
        thread_topic: Some(m.subject.clone()),
        importance: Some(match m.importance {
            0 => Importance::Low,
            2 => Importance::High,
            _ => Importance::Normal,
        }),
        read: m.read,
        flag: flag(m.flag.as_ref()),
        body,
        attachments: m
            .attachments
            .iter()
            .map(|a| Attachment {
                display_name: Some(a.display_name.clone()),
                file_reference: a.file_reference.clone(),
                method: AttachmentMethod::Normal,
                estimated_data_size: u32::try_from(a.size).unwrap_or(u32::MAX),
                content_id: (!a.content_id.is_empty()).then(|| a.content_id.clone()),
                content_location: None,
                is_inline: a.inline,
            })
            .collect(),
        native_body_type: kind_to_type(m.native_body),
        conversation_id: (!m.conversation_id.is_empty()).then(|| m.conversation_id.clone()),
        conversation_index: (!m.conversation_index.is_empty())
            .then(|| m.conversation_index.clone()),
        ..Email::default()
    }
}

/// What a server Change of a message carries: the properties a phone can change, Read and Flag
/// (MS-ASCMD 2.2.3.24: a Change holds only changed properties; both are cheap to resend).
pub fn change(m: &wire::Message) -> EmailChange {
    EmailChange {
        read: Some(m.read),
        flag: Some(flag(m.flag.as_ref()).unwrap_or_default()),
        ..EmailChange::default()
    }
}
