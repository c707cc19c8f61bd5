//! The base64-encoded query value of MS-ASHTTP 2.2.1.1.1.1: a byte layout read with bounds checks.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use super::plain::percent_decode;
use super::{check_device_id, check_device_type, Params, QueryError, QueryForm, RequestLine};
use crate::command::Command;
use crate::version::ProtocolVersion;

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

// MS-ASHTTP 2.2.1.1.1.1.3: command parameter tags.
const TAG_ATTACHMENT_NAME: u8 = 0;
const TAG_COLLECTION_ID: u8 = 1;
const TAG_ITEM_ID: u8 = 3;
const TAG_LONG_ID: u8 = 4;
const TAG_PARENT_ID: u8 = 5;
const TAG_OCCURRENCE: u8 = 6;
const TAG_OPTIONS: u8 = 7;
const TAG_USER: u8 = 8;
// MS-ASHTTP 2.2.1.1.1.1.3: flags of the Options parameter.
const OPTION_SAVE_IN_SENT: u8 = 0x01;
const OPTION_ACCEPT_MULTIPART: u8 = 0x02;

/// A cursor over the decoded bytes; every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn u8(&mut self, field: &'static str) -> Result<u8, QueryError> {
        let (first, rest) = self
            .bytes
            .split_first()
            .ok_or(QueryError::Truncated(field))?;
        self.bytes = rest;
        Ok(*first)
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], QueryError> {
        if self.bytes.len() < n {
            return Err(QueryError::Truncated(field));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    /// A length byte followed by that many bytes.
    fn counted(&mut self, field: &'static str) -> Result<&'a [u8], QueryError> {
        let n = self.u8(field)?;
        self.take(n as usize, field)
    }
}

fn text(bytes: &[u8], field: &'static str) -> Result<String, QueryError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| QueryError::InvalidUtf8(field))
}

/// MS-ASHTTP 2.2.1.1.1.1: the device id is "a string or a GUID"; a binary GUID becomes hex text.
fn device_id_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if s.bytes().all(|b| b.is_ascii_graphic()) => s.to_string(),
        _ => bytes.iter().map(|b| format!("{b:02X}")).collect(),
    }
}

pub(super) fn parse(query: &str) -> Result<RequestLine, QueryError> {
    let text_query = percent_decode(query, "query")?.replace(' ', "+");
    let trimmed = text_query.trim();
    let bytes = STANDARD
        .decode(trimmed)
        .or_else(|_| URL_SAFE.decode(trimmed))
        .map_err(|_| QueryError::InvalidBase64)?;
    let mut r = Reader { bytes: &bytes };

    let version_byte = r.u8("protocol version")?;
    let version =
        ProtocolVersion::from_byte(version_byte).ok_or(QueryError::UnknownVersion(version_byte))?;
    let command = Command::from_code(r.u8("command code")?);
    let locale = r.take(2, "locale")?;
    let locale = u16::from_le_bytes([locale[0], locale[1]]);
    // MS-ASHTTP 2.2.1.1.1.1: the device id length MUST be greater than 0.
    let device_id = device_id_text(r.counted("device id")?);
    check_device_id(&device_id)?;
    // MS-ASHTTP 2.2.1.1.1.1: the policy key length is 0 (absent) or 4.
    let policy_key = match r.u8("policy key length")? {
        0 => None,
        4 => {
            let k = r.take(4, "policy key")?;
            Some(u32::from_le_bytes([k[0], k[1], k[2], k[3]]))
        }
        other => return Err(QueryError::BadPolicyKeyLength(other)),
    };
    let device_type = text(r.counted("device type")?, "device type")?;
    check_device_type(&device_type)?;

    let mut params = Params::default();
    let mut user = None;
    while !r.bytes.is_empty() {
        let tag = r.u8("parameter tag")?;
        let value = r.counted("parameter value")?;
        let slot = match tag {
            TAG_ATTACHMENT_NAME => &mut params.attachment_name,
            TAG_COLLECTION_ID => &mut params.collection_id,
            TAG_ITEM_ID => &mut params.item_id,
            TAG_LONG_ID => &mut params.long_id,
            TAG_PARENT_ID => &mut params.parent_id,
            TAG_OCCURRENCE => &mut params.occurrence,
            TAG_USER => &mut user,
            TAG_OPTIONS => {
                let flags = value.first().copied().unwrap_or(0);
                params.save_in_sent = flags & OPTION_SAVE_IN_SENT != 0;
                params.accept_multipart = flags & OPTION_ACCEPT_MULTIPART != 0;
                continue;
            }
            // Tag 2 (CollectionName) is obsolete; unknown tags are skipped.
            _ => continue,
        };
        *slot = Some(text(value, "parameter value")?);
    }

    Ok(RequestLine {
        form: QueryForm::Base64,
        command,
        user: user.filter(|u| !u.is_empty()),
        device_id,
        device_type,
        params,
        protocol_version: Some(version),
        locale: Some(locale),
        policy_key,
    })
}

/// Why a request line cannot be written in the base64 form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("command {0} has no base64 command code")]
    NoCommandCode(String),
    #[error("the base64 form needs a protocol version")]
    NoProtocolVersion,
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("{0} is longer than 255 bytes")]
    TooLong(&'static str),
}

fn push_counted(out: &mut Vec<u8>, bytes: &[u8], field: &'static str) -> Result<(), EncodeError> {
    let n = u8::try_from(bytes.len()).map_err(|_| EncodeError::TooLong(field))?;
    out.push(n);
    out.extend_from_slice(bytes);
    Ok(())
}

/// Writes a request line in the base64 form (standard alphabet, padded). The result may hold
/// `+`, `/` and `=`, which are legal in a URL query.
pub fn encode_base64(line: &RequestLine) -> Result<String, EncodeError> {
    let code = line
        .command
        .code()
        .ok_or_else(|| EncodeError::NoCommandCode(line.command.name().to_string()))?;
    let version = line
        .protocol_version
        .ok_or(EncodeError::NoProtocolVersion)?;
    if line.device_id.is_empty() {
        return Err(EncodeError::Empty("device id"));
    }
    let mut out = vec![version.to_byte(), code];
    out.extend_from_slice(&line.locale.unwrap_or(0x0409).to_le_bytes());
    push_counted(&mut out, line.device_id.as_bytes(), "device id")?;
    match line.policy_key {
        Some(k) => push_counted(&mut out, &k.to_le_bytes(), "policy key")?,
        None => out.push(0),
    }
    push_counted(&mut out, line.device_type.as_bytes(), "device type")?;
    let p = &line.params;
    let optional = [
        (TAG_ATTACHMENT_NAME, &p.attachment_name, "attachment name"),
        (TAG_COLLECTION_ID, &p.collection_id, "collection id"),
        (TAG_ITEM_ID, &p.item_id, "item id"),
        (TAG_LONG_ID, &p.long_id, "long id"),
        (TAG_PARENT_ID, &p.parent_id, "parent id"),
        (TAG_OCCURRENCE, &p.occurrence, "occurrence"),
        (TAG_USER, &line.user, "user"),
    ];
    for (tag, value, field) in optional {
        if let Some(v) = value {
            out.push(tag);
            push_counted(&mut out, v.as_bytes(), field)?;
        }
    }
    let mut flags = 0;
    if p.save_in_sent {
        flags |= OPTION_SAVE_IN_SENT;
    }
    if p.accept_multipart {
        flags |= OPTION_ACCEPT_MULTIPART;
    }
    if flags != 0 {
        out.extend_from_slice(&[TAG_OPTIONS, 1, flags]);
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}
