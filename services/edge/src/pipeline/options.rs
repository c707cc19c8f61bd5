//! HTTP OPTIONS (MS-ASHTTP 2.2.3, 2.2.4): the protocol versions and commands this server serves.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use eas_protocol::version::ProtocolVersion;

use crate::edge::Edge;

/// Versions offered in `MS-ASProtocolVersions`. 2.5 is left out: its provisioning document
/// (MS-WAP-Provisioning-XML) is not implemented.
pub const SUPPORTED_VERSIONS: [ProtocolVersion; 6] = [
    ProtocolVersion::V12_0,
    ProtocolVersion::V12_1,
    ProtocolVersion::V14_0,
    ProtocolVersion::V14_1,
    ProtocolVersion::V16_0,
    ProtocolVersion::V16_1,
];

/// The value of `MS-ASProtocolCommands`.
pub fn commands_header(edge: &Edge) -> String {
    crate::commands::served(edge)
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(",")
}

/// The value of `MS-ASProtocolVersions`.
pub fn versions_header() -> String {
    ProtocolVersion::header_list(&SUPPORTED_VERSIONS)
}

/// Adds `MS-ASProtocolVersions` and `MS-ASProtocolCommands` to a response (OPTIONS, and
/// FolderSync with key 0 per MS-ASHTTP 3.2.5.1).
pub fn add_protocol_headers(edge: &Edge, r: &mut Response) {
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&versions_header()) {
        h.insert(HeaderName::from_static("ms-asprotocolversions"), v);
    }
    if let Ok(v) = HeaderValue::from_str(&commands_header(edge)) {
        h.insert(HeaderName::from_static("ms-asprotocolcommands"), v);
    }
}

/// Answers OPTIONS; phones send it without a query string and often without credentials.
pub fn handle(edge: &Edge) -> Response {
    let mut r = StatusCode::OK.into_response();
    add_protocol_headers(edge, &mut r);
    let h = r.headers_mut();
    h.insert(
        HeaderName::from_static("ms-server-activesync"),
        HeaderValue::from_static("16.1"),
    );
    h.insert(
        axum::http::header::ALLOW,
        HeaderValue::from_static("OPTIONS,POST"),
    );
    h.insert(
        HeaderName::from_static("public"),
        HeaderValue::from_static("OPTIONS,POST"),
    );
    r
}
