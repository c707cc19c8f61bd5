//! Settings (MS-ASCMD 2.2.1.18): device information, user information and Out of Office.
//!
//! Out of Office (MS-ASCMD 2.2.3.119) is stored per user in the directory and returned as set;
//! no automatic reply is sent for incoming mail yet. The device recovery password is not kept:
//! its Set gets status 7, which MS-ASCMD 2.2.3.177.16 defines for DevicePassword as "the
//! administrator has disabled password recovery".

use axum::response::Response;
use eas_directory::{OofReply, OutOfOffice};
use eas_protocol::datetime::EasDateTime;
use eas_protocol::settings::{
    OofAudience, OofMessage, OofRequest, OofResponse, OofSet, OofState, SettingsRequest,
    SettingsResponse, UserInformation,
};
use eas_protocol::status::SettingsStatus;
use eas_wbxml::Element;

use crate::commands::provision::to_device_info;
use crate::edge::Edge;
use crate::error::EdgeError;
use crate::pipeline::context::RequestCtx;
use crate::respond::wbxml_response;

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    let req = match doc.as_ref().map(SettingsRequest::from_element) {
        Some(Ok(r)) => r,
        None => {
            return Ok(respond(
                ctx,
                SettingsResponse::status_only(SettingsStatus::ProtocolError),
            ))
        }
        Some(Err(e)) => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = %e, "bad settings request");
            return Ok(respond(
                ctx,
                SettingsResponse::status_only(SettingsStatus::ProtocolError),
            ));
        }
    };
    let mut resp = SettingsResponse::status_only(SettingsStatus::Success);
    if let Some(info) = &req.device_information {
        ctx.device.info = to_device_info(info);
        edge.devices.put_device(&ctx.device).await?;
        resp.device_information = Some(SettingsStatus::Success);
    }
    if req.user_information_get {
        let mut addresses = vec![ctx.user.address.clone()];
        addresses.extend(ctx.user.aliases.iter().cloned());
        resp.user_information = Some(UserInformation {
            status: SettingsStatus::Success,
            display_name: Some(ctx.user.display_name.clone()),
            primary_smtp_address: Some(ctx.user.address.clone()),
            smtp_addresses: addresses,
        });
    }
    if let Some(oof) = &req.oof {
        resp.oof = Some(out_of_office(edge, ctx, oof).await?);
    }
    if req.device_password_set {
        resp.device_password = Some(SettingsStatus::DeniedByPolicy);
    }
    Ok(respond(ctx, resp))
}

fn respond(ctx: &RequestCtx, r: SettingsResponse) -> Response {
    wbxml_response(&r.to_element(ctx.version))
}

/// The two formats of an OOF message (MS-ASCMD 2.2.3.17: "Text" or "HTML").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Html,
}

impl Format {
    fn parse(text: &str) -> Option<Format> {
        if text.eq_ignore_ascii_case("text") {
            Some(Format::Text)
        } else if text.eq_ignore_ascii_case("html") {
            Some(Format::Html)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Text => "Text",
            Format::Html => "HTML",
        }
    }
}

/// An OOF Get or Set (MS-ASCMD 2.2.3.119). A Get or Set answers 1, 2, 5 or 6
/// (MS-ASCMD 2.2.3.177.16); a directory that does not answer fails the whole request (503).
async fn out_of_office(
    edge: &Edge,
    ctx: &RequestCtx,
    req: &OofRequest,
) -> Result<OofResponse, EdgeError> {
    let user_id = ctx.user.id;
    let unavailable = |e: eas_directory::DirectoryError| EdgeError::Unavailable(e.to_string());
    let stored = edge
        .directory
        .out_of_office(user_id)
        .await
        .map_err(unavailable)?;
    let failed = |status| OofResponse { status, get: None };
    match req {
        OofRequest::Get { body_type } => {
            // MS-ASCMD 2.2.3.17 (R824): BodyType is required in a Get.
            let Some(wanted) = body_type.as_deref() else {
                return Ok(failed(SettingsStatus::ProtocolError));
            };
            let Some(wanted) = Format::parse(wanted) else {
                return Ok(failed(SettingsStatus::InvalidArguments));
            };
            Ok(OofResponse {
                status: SettingsStatus::Success,
                get: Some(oof_state(&stored, wanted)),
            })
        }
        OofRequest::Set(set) => {
            let merged = match merge(stored, set) {
                Ok(m) => m,
                Err(status) => {
                    tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, status = status.code(), "oof set refused");
                    return Ok(failed(status));
                }
            };
            match edge.directory.set_out_of_office(user_id, &merged).await {
                Ok(()) => Ok(failed(SettingsStatus::Success)),
                Err(eas_directory::DirectoryError::InvalidOutOfOffice(_)) => {
                    Ok(failed(SettingsStatus::ConflictingArguments))
                }
                Err(e) => Err(unavailable(e)),
            }
        }
    }
}

/// The stored settings as an OOF Get answers them, every message in the format asked for.
fn oof_state(stored: &OutOfOffice, wanted: Format) -> OofState {
    let audiences = [
        (OofAudience::Internal, &stored.internal),
        (OofAudience::ExternalKnown, &stored.external_known),
        (OofAudience::ExternalUnknown, &stored.external_unknown),
    ];
    OofState {
        state: stored.state,
        start_time: stored
            .window
            .map(|(s, _)| EasDateTime::from_unix_millis(s).to_string()),
        end_time: stored
            .window
            .map(|(_, e)| EasDateTime::from_unix_millis(e).to_string()),
        messages: audiences
            .into_iter()
            .map(|(audience, reply)| {
                let message = reply.message.as_deref().map(|m| {
                    let from = reply
                        .body_type
                        .as_deref()
                        .and_then(Format::parse)
                        .unwrap_or(Format::Text);
                    convert(m, from, wanted)
                });
                OofMessage {
                    audience: Some(audience),
                    enabled: Some(reply.enabled),
                    // MS-ASCMD 2.2.3.17 (R826): BodyType accompanies every ReplyMessage.
                    body_type: message.as_ref().map(|_| wanted.name().to_owned()),
                    reply_message: message,
                }
            })
            .collect(),
    }
}

/// The message text in the format asked for: plain text is escaped into HTML paragraphs' line
/// breaks, HTML loses its tags and its character references are resolved.
fn convert(message: &str, from: Format, to: Format) -> String {
    match (from, to) {
        (Format::Text, Format::Html) => {
            let mut out = String::with_capacity(message.len() + 16);
            for c in message.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str("&quot;"),
                    '\n' => out.push_str("<br>"),
                    '\r' => {}
                    c => out.push(c),
                }
            }
            out
        }
        (Format::Html, Format::Text) => html_to_text(message),
        _ => message.to_owned(),
    }
}

/// Text of an HTML fragment: tags dropped (a `br` or the end of a block becomes a line break),
/// the five predefined character references resolved.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open..];
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        let name = tag.trim_start_matches('/');
        let name = name
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        if name == "br" || (tag.starts_with('/') && matches!(name, "p" | "div" | "li" | "tr")) {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .trim_end()
        .to_owned()
}

/// The stored settings with a Set applied: what the Set names replaces what was stored, the rest
/// stays. The refusal status when the Set is malformed (2) or its values are not acceptable
/// (5, 6), per MS-ASCMD 2.2.3.177.16 and 2.2.3.58.2 (R2272: StartTime without EndTime is 2).
fn merge(stored: OutOfOffice, set: &OofSet) -> Result<OutOfOffice, SettingsStatus> {
    let mut out = stored;
    if let Some(state) = set.state {
        out.state = state;
    }
    match (&set.start_time, &set.end_time) {
        (None, None) => {}
        (Some(start), Some(end)) => {
            let parse = |t: &str| {
                EasDateTime::parse(t)
                    .map(EasDateTime::unix_millis)
                    .ok_or(SettingsStatus::InvalidArguments)
            };
            let (start, end) = (parse(start)?, parse(end)?);
            if end <= start {
                return Err(SettingsStatus::ConflictingArguments);
            }
            out.window = Some((start, end));
        }
        _ => return Err(SettingsStatus::ProtocolError),
    }
    // A time-based state needs its window, from this Set or stored before.
    if out.state == 2 && out.window.is_none() {
        return Err(SettingsStatus::InvalidArguments);
    }
    for m in &set.messages {
        let Some(audience) = m.audience else {
            return Err(SettingsStatus::ProtocolError);
        };
        let reply: &mut OofReply = match audience {
            OofAudience::Internal => &mut out.internal,
            OofAudience::ExternalKnown => &mut out.external_known,
            OofAudience::ExternalUnknown => &mut out.external_unknown,
        };
        if let Some(enabled) = m.enabled {
            reply.enabled = enabled;
        }
        if let Some(message) = &m.reply_message {
            // MS-ASCMD 2.2.3.17 (R825): a ReplyMessage comes with its BodyType.
            let Some(body_type) = m.body_type.as_deref() else {
                return Err(SettingsStatus::ProtocolError);
            };
            let Some(format) = Format::parse(body_type) else {
                return Err(SettingsStatus::InvalidArguments);
            };
            reply.message = Some(message.clone());
            reply.body_type = Some(format.name().to_owned());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_loses_its_tags_and_text_is_escaped_into_html() {
        assert_eq!(
            html_to_text("<p>Away &amp; back<br/>on <b>Monday</b></p>"),
            "Away & back\non Monday"
        );
        assert_eq!(
            convert("a < b\r\nc", Format::Text, Format::Html),
            "a &lt; b<br>c"
        );
        assert_eq!(convert("<i>x</i>", Format::Html, Format::Html), "<i>x</i>");
    }

    #[test]
    fn a_set_replaces_only_what_it_names_and_refuses_half_a_window() {
        let stored = OutOfOffice {
            state: 1,
            internal: OofReply {
                enabled: true,
                message: Some("away".into()),
                body_type: Some("Text".into()),
            },
            ..OutOfOffice::default()
        };
        let set = OofSet {
            state: Some(0),
            ..OofSet::default()
        };
        let merged = merge(stored.clone(), &set).unwrap();
        assert_eq!(merged.state, 0);
        assert_eq!(merged.internal, stored.internal);
        let half = OofSet {
            start_time: Some("2026-12-01T00:00:00.000Z".into()),
            ..OofSet::default()
        };
        assert_eq!(
            merge(stored.clone(), &half),
            Err(SettingsStatus::ProtocolError)
        );
        let timed = OofSet {
            state: Some(2),
            ..OofSet::default()
        };
        assert_eq!(merge(stored, &timed), Err(SettingsStatus::InvalidArguments));
    }
}
