//! Writing a WBXML response and reading a request body within its limit.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use eas_wbxml::Element;
use http_body::Body as _;
use http_body_util::BodyExt;

use crate::error::EdgeError;
use crate::metrics;

/// Content type of WBXML bodies (MS-ASHTTP 2.2.1.1.2.3).
pub const WBXML_CONTENT_TYPE: &str = "application/vnd.ms-sync.wbxml";

/// A WBXML response body. Its top-level status, if any, goes to the request's count.
pub fn wbxml_response(root: &Element) -> Response {
    let mut r = (StatusCode::OK, eas_wbxml::encode(root)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(WBXML_CONTENT_TYPE),
    );
    if let Some(status) = metrics::top_status(root) {
        r.extensions_mut().insert(status);
    }
    r
}

/// Reads a body, refusing more than `limit` bytes with HTTP 413.
///
/// The body arrives in pieces; they are copied into one buffer as they come and then freed, so
/// a body costs itself plus one piece. The buffer is sized from `Content-Length` when there is
/// one; a chunked body's buffer grows by doubling. (Collecting the pieces first and joining them
/// afterwards held every piece and the joined copy at once: twice the body.)
pub(crate) async fn read_body(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
) -> Result<Bytes, EdgeError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(EdgeError::TooLarge(limit));
    }
    let mut whole: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| EdgeError::BadRequest(format!("reading body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let so_far = whole.as_ref().map_or(0, |w| w.len());
        if so_far + data.len() > limit {
            return Err(EdgeError::TooLarge(limit));
        }
        match whole.as_mut() {
            // A body in one piece (one that arrived with its head) is taken as it is.
            None if body.is_end_stream() => return Ok(data),
            None => {
                let size = declared.map_or(data.len(), |n| n as usize).max(data.len());
                let mut w = BytesMut::with_capacity(size);
                w.extend_from_slice(&data);
                whole = Some(w);
            }
            Some(w) => w.extend_from_slice(&data),
        }
    }
    Ok(whole.map(BytesMut::freeze).unwrap_or_default())
}
