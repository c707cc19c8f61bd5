//! The plain text query value of MS-ASHTTP 2.2.1.1.1.2: `Cmd=...&User=...&DeviceId=...&DeviceType=...`.

use super::{check_device_id, check_device_type, Params, QueryError, QueryForm, RequestLine};
use crate::command::Command;

/// Parses the plain form. Parameter names match without regard to case; unknown ones are ignored.
pub(super) fn parse(query: &str) -> Result<RequestLine, QueryError> {
    let mut command = None;
    let mut user = None;
    let mut device_id = None;
    let mut device_type = None;
    let mut params = Params::default();

    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(raw_name, "name")?;
        let slot: (&mut Option<String>, &'static str) = match name.to_ascii_lowercase().as_str() {
            "cmd" => (&mut command, "Cmd"),
            "user" => (&mut user, "User"),
            "deviceid" => (&mut device_id, "DeviceId"),
            "devicetype" => (&mut device_type, "DeviceType"),
            "attachmentname" => (&mut params.attachment_name, "AttachmentName"),
            "collectionid" => (&mut params.collection_id, "CollectionId"),
            "itemid" => (&mut params.item_id, "ItemId"),
            "longid" => (&mut params.long_id, "LongId"),
            "parentid" => (&mut params.parent_id, "ParentId"),
            "occurrence" => (&mut params.occurrence, "Occurrence"),
            // MS-ASHTTP 2.2.1.1.1.2.5: SaveInSent is T or F, F by default.
            "saveinsent" => {
                params.save_in_sent = is_true(&percent_decode(raw_value, "SaveInSent")?);
                continue;
            }
            // MS-ASHTTP 2.2.1.1.2.5 defines this as a header; some clients put it in the query.
            "acceptmultipart" => {
                params.accept_multipart = is_true(&percent_decode(raw_value, "AcceptMultiPart")?);
                continue;
            }
            _ => continue,
        };
        // The first occurrence of a parameter wins.
        if slot.0.is_none() {
            *slot.0 = Some(percent_decode(raw_value, slot.1)?);
        }
    }

    let command = command
        .filter(|c| !c.is_empty())
        .ok_or(QueryError::MissingCommand)?;
    let device_id = device_id.ok_or(QueryError::MissingDeviceId)?;
    check_device_id(&device_id)?;
    let device_type = device_type.ok_or(QueryError::MissingDeviceType)?;
    check_device_type(&device_type)?;
    Ok(RequestLine {
        form: QueryForm::Plain,
        command: Command::from_name(&command),
        user: user.filter(|u| !u.is_empty()),
        device_id,
        device_type,
        params,
        protocol_version: None,
        locale: None,
        policy_key: None,
    })
}

fn is_true(v: &str) -> bool {
    matches!(v.trim(), "T" | "t" | "1" | "true" | "TRUE" | "True")
}

/// Decodes `%XX` escapes. A `%` not followed by two hex digits stays as it is; `+` stays a `+`
/// because EAS clients percent-encode spaces and user names may hold a literal plus.
pub(crate) fn percent_decode(s: &str, field: &'static str) -> Result<String, QueryError> {
    if !s.contains('%') {
        return Ok(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16));
            let lo = bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| QueryError::InvalidUtf8(field))
}

/// Writes a request line in the plain form, percent-encoding every value.
pub fn encode_plain(line: &RequestLine) -> String {
    let mut out = format!("Cmd={}", encode_component(line.command.name()));
    if let Some(user) = &line.user {
        out.push_str(&format!("&User={}", encode_component(user)));
    }
    out.push_str(&format!("&DeviceId={}", encode_component(&line.device_id)));
    out.push_str(&format!(
        "&DeviceType={}",
        encode_component(&line.device_type)
    ));
    let p = &line.params;
    let optional = [
        ("AttachmentName", &p.attachment_name),
        ("CollectionId", &p.collection_id),
        ("ItemId", &p.item_id),
        ("LongId", &p.long_id),
        ("ParentId", &p.parent_id),
        ("Occurrence", &p.occurrence),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            out.push_str(&format!("&{name}={}", encode_component(v)));
        }
    }
    if p.save_in_sent {
        out.push_str("&SaveInSent=T");
    }
    if p.accept_multipart {
        out.push_str("&AcceptMultiPart=T");
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
