//! Every way a request can fail, mapped in one place to an HTTP status or an EAS status.
//!
//! MS-ASCMD 2.2.2 gives protocol 14.0 and later a set of common status codes carried in the
//! command's own response body; older versions only have HTTP status codes (MS-ASHTTP 2.2.2.1.1),
//! such as 449 to ask for provisioning and 403 for a blocked device.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use eas_protocol::status::CommonStatus;
use eas_protocol::version::ProtocolVersion;
use eas_rpc::ServiceError;
use eas_wbxml::{Element, Tag};

use crate::respond::wbxml_response;

/// What went wrong with a request.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized { realm: String },
    #[error("too many failed logins")]
    Throttled { retry_after: u64 },
    #[error("request body over {0} bytes")]
    TooLarge(usize),
    #[error("unknown or unsupported command {0}")]
    UnsupportedCommand(String),
    #[error("unsupported protocol version {0}")]
    UnsupportedVersion(String),
    /// The device has to (re)provision: MS-ASPROV 3.2.5.1.1.
    #[error("device must provision ({0:?})")]
    Provision(CommonStatus),
    /// An administrator asked for a wipe: MS-ASPROV 3.2.5.1.2.
    #[error("remote wipe pending")]
    RemoteWipe,
    /// Blocked, or quarantined until an administrator approves it.
    #[error("device blocked or awaiting approval")]
    DeviceBlocked,
    #[error("account disabled")]
    AccountDisabled,
    /// The user has as many devices as `edge.max_devices_per_user` allows.
    #[error("too many devices for this user")]
    TooManyDevices,
    /// A protocol error with a common status (MS-ASCMD 2.2.2) that old versions see as HTTP 400.
    #[error("protocol error {0:?}")]
    Status(CommonStatus),
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<eas_device_state::StoreError> for EdgeError {
    fn from(e: eas_device_state::StoreError) -> Self {
        match e {
            eas_device_state::StoreError::Unavailable(m) => EdgeError::Unavailable(m),
            other => EdgeError::Internal(other.to_string()),
        }
    }
}

impl From<eas_directory::DirectoryError> for EdgeError {
    fn from(e: eas_directory::DirectoryError) -> Self {
        EdgeError::Internal(e.to_string())
    }
}

/// Where the error happened, which decides how it is told to the phone.
#[derive(Clone, Copy, Debug)]
pub struct ErrorContext {
    pub version: Option<ProtocolVersion>,
    /// The response root element of the command, when the command is known.
    pub root: Option<Tag>,
    /// The command's label for the request metrics (`Unknown` until the request line is read).
    pub command: &'static str,
}

/// A data service's failure that no command status covers: an outage or a transient conflict
/// is 503 with Retry-After (the phone retries later), anything else a server bug, 500, so that
/// phones do not retry it for ever.
impl From<ServiceError> for EdgeError {
    fn from(e: ServiceError) -> Self {
        if e.code.is_transient() {
            EdgeError::Unavailable(e.to_string())
        } else {
            EdgeError::Internal(e.to_string())
        }
    }
}

/// A failed call to a data service, decoded once (`eas_rpc::ServiceError::from_status`).
impl From<tonic::Status> for EdgeError {
    fn from(s: tonic::Status) -> Self {
        EdgeError::from(ServiceError::from_status(&s))
    }
}

impl EdgeError {
    /// The response for this error: an HTTP status, or for 14.0 and later where MS-ASCMD defines
    /// one, the command's response element with a common status code.
    pub fn into_eas_response(self, ctx: ErrorContext) -> Response {
        let modern = ctx.version.is_some_and(|v| v >= ProtocolVersion::V14_0);
        let body_status = match &self {
            EdgeError::Provision(s) => Some(*s),
            EdgeError::RemoteWipe => Some(CommonStatus::RemoteWipeRequested),
            EdgeError::DeviceBlocked => Some(CommonStatus::DeviceIsBlockedForThisUser),
            EdgeError::AccountDisabled => Some(CommonStatus::UserDisabledForSync),
            EdgeError::TooManyDevices => Some(CommonStatus::MaximumDevicesReached),
            EdgeError::Status(s) => Some(*s),
            _ => None,
        };
        if let (true, Some(status), Some(root)) = (modern, body_status, ctx.root) {
            let el = Element::new(root).with_text(status_tag(root), (status as u16).to_string());
            return wbxml_response(&el);
        }
        self.into_response()
    }
}

/// The `Status` tag on the root's code page (every command response carries one at the top,
/// MS-ASCMD 2.2.3.177).
fn status_tag(root: Tag) -> Tag {
    Tag::lookup(root.namespace().unwrap_or_default(), "Status")
        .unwrap_or(eas_wbxml::tags::air_sync::STATUS)
}

impl IntoResponse for EdgeError {
    fn into_response(self) -> Response {
        let (status, text) = match &self {
            EdgeError::BadRequest(_) | EdgeError::Status(_) => (StatusCode::BAD_REQUEST, None),
            EdgeError::Unauthorized { realm } => {
                let mut r = StatusCode::UNAUTHORIZED.into_response();
                let v = format!("Basic realm=\"{realm}\"");
                if let Ok(v) = HeaderValue::from_str(&v) {
                    r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
                return r;
            }
            EdgeError::Throttled { retry_after } => {
                return retry_later(*retry_after);
            }
            EdgeError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, None),
            EdgeError::UnsupportedCommand(_) => (StatusCode::NOT_IMPLEMENTED, None),
            EdgeError::UnsupportedVersion(_) => (StatusCode::BAD_REQUEST, None),
            // MS-ASHTTP 2.2.2.1.1: 449 "Retry after sending a PROVISION command".
            EdgeError::Provision(_) | EdgeError::RemoteWipe => (
                StatusCode::from_u16(449).unwrap_or(StatusCode::FORBIDDEN),
                None,
            ),
            // MS-ASHTTP 2.2.2.1.1: 403, the user is not enabled for synchronization (below 14.0
            // there is no status for too many devices).
            EdgeError::DeviceBlocked | EdgeError::AccountDisabled | EdgeError::TooManyDevices => {
                (StatusCode::FORBIDDEN, None)
            }
            EdgeError::Unavailable(_) => return retry_later(30),
            EdgeError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, None::<String>),
        };
        match text {
            Some(t) => (status, t).into_response(),
            None => status.into_response(),
        }
    }
}

/// HTTP 503 with `Retry-After` (MS-ASHTTP 3.1.5.2.3).
fn retry_later(seconds: u64) -> Response {
    let mut r = StatusCode::SERVICE_UNAVAILABLE.into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    r
}
