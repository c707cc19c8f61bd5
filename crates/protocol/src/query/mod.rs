//! The request line's query value (MS-ASHTTP 2.2.1.1.1) in its plain and base64 forms.

mod base64_form;
mod plain;
#[cfg(test)]
mod tests;

pub use base64_form::{encode_base64, EncodeError};
pub use plain::encode_plain;

use crate::command::Command;
use crate::version::ProtocolVersion;

/// Longest query value accepted; real ones are well under 1 KiB.
pub const MAX_QUERY_LEN: usize = 8192;

/// Which of the two forms of MS-ASHTTP 2.2.1.1.1 the client used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryForm {
    Plain,
    Base64,
}

/// The command parameters of MS-ASHTTP 2.2.1.1.1.1.3 and 2.2.1.1.1.2.5, all optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pub attachment_name: Option<String>,
    pub collection_id: Option<String>,
    pub item_id: Option<String>,
    pub long_id: Option<String>,
    pub parent_id: Option<String>,
    pub occurrence: Option<String>,
    /// `SaveInSent=T`, or the 0x01 flag of the base64 `Options` parameter.
    pub save_in_sent: bool,
    /// `AcceptMultiPart=T`, or the 0x02 flag of the base64 `Options` parameter.
    pub accept_multipart: bool,
}

/// A parsed request line: the command, who sends it, from which device, and its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLine {
    pub form: QueryForm,
    pub command: Command,
    /// The `User` parameter; absent or empty gives `None`.
    pub user: Option<String>,
    pub device_id: String,
    pub device_type: String,
    pub params: Params,
    /// Base64 form only: the protocol version field (the plain form uses `MS-ASProtocolVersion`).
    pub protocol_version: Option<ProtocolVersion>,
    /// Base64 form only: the locale (an MS-LCID value, e.g. 0x0409 for en-US).
    pub locale: Option<u16>,
    /// Base64 form only: the policy key, when its length byte is 4.
    pub policy_key: Option<u32>,
}

impl RequestLine {
    /// A plain-form request line with no parameters.
    pub fn new(command: Command, device_id: &str, device_type: &str) -> RequestLine {
        RequestLine {
            form: QueryForm::Plain,
            command,
            user: None,
            device_id: device_id.to_string(),
            device_type: device_type.to_string(),
            params: Params::default(),
            protocol_version: None,
            locale: None,
            policy_key: None,
        }
    }
}

/// Why a query value could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("empty query string")]
    Empty,
    #[error("query string longer than {MAX_QUERY_LEN} bytes")]
    TooLong,
    #[error("missing cmd parameter")]
    MissingCommand,
    #[error("missing deviceid parameter")]
    MissingDeviceId,
    #[error("missing devicetype parameter")]
    MissingDeviceType,
    #[error("invalid device id: {0}")]
    InvalidDeviceId(&'static str),
    #[error("invalid device type: {0}")]
    InvalidDeviceType(&'static str),
    #[error("parameter {0} is not valid utf-8 after percent-decoding")]
    InvalidUtf8(&'static str),
    #[error("query is neither plain text nor valid base64")]
    InvalidBase64,
    #[error("base64 query ends inside the {0} field")]
    Truncated(&'static str),
    #[error("unknown protocol version byte {0}")]
    UnknownVersion(u8),
    #[error("policy key length {0} is neither 0 nor 4")]
    BadPolicyKeyLength(u8),
}

/// Longest device id accepted. MS-ASHTTP 2.2.1.1.1.2 says 32, but some clients send more.
pub const MAX_DEVICE_ID_LEN: usize = 64;

/// Parses the URL query (without the leading `?`) in either form.
pub fn parse_request_line(query: &str) -> Result<RequestLine, QueryError> {
    if query.len() > MAX_QUERY_LEN {
        return Err(QueryError::TooLong);
    }
    if query.is_empty() {
        return Err(QueryError::Empty);
    }
    if looks_plain(query) {
        plain::parse(query)
    } else {
        base64_form::parse(query)
    }
}

/// The plain form has `name=value` pairs; base64 text only has `=` (or `%3D`) as trailing padding.
fn looks_plain(query: &str) -> bool {
    if query.contains('&') {
        return true;
    }
    let mut rest = query;
    loop {
        if let Some(r) = rest.strip_suffix('=') {
            rest = r;
        } else if rest.len() >= 3 && rest.as_bytes()[rest.len() - 3..].eq_ignore_ascii_case(b"%3d")
        {
            // The last three bytes are ASCII, so cutting before them is on a char boundary.
            rest = &rest[..rest.len() - 3];
        } else {
            break;
        }
    }
    rest.contains('=')
}

/// MS-ASHTTP 2.2.1.1.1.2.3: the device id is letters and digits with no commas or special
/// characters. We also allow `-`, `_` and `.`, which real clients use, and nothing that could
/// upset a log line or a storage key.
fn check_device_id(id: &str) -> Result<(), QueryError> {
    if id.is_empty() {
        return Err(QueryError::MissingDeviceId);
    }
    if id.len() > MAX_DEVICE_ID_LEN {
        return Err(QueryError::InvalidDeviceId("longer than 64 characters"));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(QueryError::InvalidDeviceId(
            "characters other than letters and digits",
        ));
    }
    Ok(())
}

/// Longest device type accepted.
pub const MAX_DEVICE_TYPE_LEN: usize = 128;

/// MS-ASHTTP 2.2.1.1.1.2.4: the device type is any visible text.
fn check_device_type(t: &str) -> Result<(), QueryError> {
    if t.is_empty() {
        return Err(QueryError::MissingDeviceType);
    }
    if t.len() > MAX_DEVICE_TYPE_LEN {
        return Err(QueryError::InvalidDeviceType("longer than 128 bytes"));
    }
    if t.chars().any(char::is_control) {
        return Err(QueryError::InvalidDeviceType("control characters"));
    }
    Ok(())
}
