//! A WBXML response whose attachment data is streamed from the mail service, never held whole.
//!
//! MS-ASCMD 2.2.3.39.2 puts an attachment inline as base64 text in `Data`. The encoder writes text
//! as an inline string (`STR_I`, NUL-terminated), which needs no length up front, so the response
//! tree is encoded once with a unique marker as the text of each `Data`, split around the
//! markers, and the attachment's base64 is written where each marker was, one chunk at a time.
//! The exact body length is still known in advance (from the attachment's size), so it is sent
//! as `Content-Length`.
//!
//! Memory: at most one chunk of the mail service's stream (plus its base64, and the at most four
//! chunks the in-flight gRPC stream buffers) per response, whatever the attachment's size.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use eas_rpc::mail::Chunk;
use eas_wbxml::Element;
use tonic::Streaming;

use crate::router::WBXML_CONTENT_TYPE;

/// An attachment stream, opened, positioned by `skip` and cut to `len` bytes.
pub struct AttachmentData {
    /// The first chunk, read to learn the total size.
    pub first: Option<Chunk>,
    pub rest: Streaming<Chunk>,
    pub skip: u64,
    pub len: u64,
    /// Replaced by the data in the encoded tree.
    pub marker: String,
}

/// A unique marker text for one attachment's place in the tree.
pub fn marker(n: usize) -> String {
    format!(
        "\u{1}eas-attachment-{:016x}-{n}\u{1}",
        rand::random::<u64>()
    )
}

/// The length of the base64 text of `n` bytes.
fn base64_len(n: u64) -> u64 {
    n.div_ceil(3) * 4
}

enum Part {
    Bytes(Bytes),
    Data(Box<AttachmentData>),
}

/// The response for `root`, whose `Data` texts are the markers of `attachments`.
pub fn response(root: &Element, attachments: Vec<AttachmentData>) -> Response {
    let encoded = eas_wbxml::encode(root);
    let mut parts = Vec::new();
    let mut rest: &[u8] = &encoded;
    for a in attachments {
        let m = a.marker.clone().into_bytes();
        let Some(at) = rest.windows(m.len()).position(|w| w == m.as_slice()) else {
            // Not in the tree (cannot happen: the caller put it there); send nothing for it.
            continue;
        };
        parts.push(Part::Bytes(Bytes::copy_from_slice(&rest[..at])));
        parts.push(Part::Data(Box::new(a)));
        rest = &rest[at + m.len()..];
    }
    parts.push(Part::Bytes(Bytes::copy_from_slice(rest)));
    let length: u64 = parts
        .iter()
        .map(|p| match p {
            Part::Bytes(b) => b.len() as u64,
            Part::Data(a) => base64_len(a.len),
        })
        .sum();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        for part in parts {
            let ok = match part {
                Part::Bytes(b) => tx.send(Ok(b)).await.is_ok(),
                Part::Data(a) => write_data(a, &tx).await,
            };
            if !ok {
                return;
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut r = (StatusCode::OK, Body::from_stream(stream)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(WBXML_CONTENT_TYPE),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    r
}

/// Writes one attachment's bytes as base64; false when the client left or the data broke off.
/// A stream that ends early fails the body (the connection is cut) rather than send a document
/// shorter than announced.
async fn write_data(
    mut a: Box<AttachmentData>,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut carry: Vec<u8> = Vec::with_capacity(3);
    let (mut skip, mut left) = (a.skip, a.len);
    let mut next = a.first.take();
    while left > 0 {
        let chunk = match next.take() {
            Some(c) => c,
            None => match a.rest.message().await {
                Ok(Some(c)) => c,
                Ok(None) | Err(_) => {
                    tracing::warn!(missing = left, "attachment stream ended early");
                    let _ = tx.send(Err(std::io::Error::other("attachment cut"))).await;
                    return false;
                }
            },
        };
        let mut data: &[u8] = &chunk.data;
        let dropped = skip.min(data.len() as u64) as usize;
        skip -= dropped as u64;
        data = &data[dropped..];
        let take = left.min(data.len() as u64) as usize;
        left -= take as u64;
        carry.extend_from_slice(&data[..take]);
        // Encode whole groups of three; keep the rest for the next chunk.
        let whole = if left == 0 {
            carry.len()
        } else {
            carry.len() - carry.len() % 3
        };
        if whole == 0 {
            continue;
        }
        let text = b64.encode(&carry[..whole]);
        carry.drain(..whole);
        if tx.send(Ok(Bytes::from(text))).await.is_err() {
            return false;
        }
    }
    true
}
