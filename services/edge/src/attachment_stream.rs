//! Responses whose attachment or body data is streamed from the mail service, never held whole:
//! the inline form (base64 text in the WBXML) and the multipart form of ItemOperations.
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
//!
//! The multipart form (MS-ASCMD 2.2.1.10.1, `application/vnd.ms-sync.multipart`) is a
//! MultiPartResponse (2.2.1.10.1.1): the part count, an offset and a length per part (4-byte
//! little-endian integers, offsets from the start of the body), then the parts: the WBXML first,
//! then each item's raw bytes, which the WBXML names by their index in `Part` elements. Every
//! length is known before the first byte is sent, so the parts are streamed one after the other.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use eas_rpc::mail::Chunk;
use eas_wbxml::Element;
use tonic::Streaming;

use crate::respond::WBXML_CONTENT_TYPE;

use crate::error::EdgeError;

/// The Content-Type of a multipart ItemOperations response (MS-ASCMD 2.2.1.10.1).
pub const MULTIPART_CONTENT_TYPE: &str = "application/vnd.ms-sync.multipart";

/// A stream of the mail service, opened, positioned by `skip` and cut to `len` bytes.
pub struct ChunkSource {
    /// The first chunk, when already read (to learn the total size).
    pub first: Option<Chunk>,
    pub rest: Streaming<Chunk>,
    pub skip: u64,
    pub len: u64,
}

/// An attachment stream whose base64 text takes the place of `marker` in the tree.
pub struct AttachmentData {
    pub source: ChunkSource,
    /// Replaced by the data in the encoded tree.
    pub marker: String,
}

/// One data part of a multipart response.
pub enum PartData {
    /// Bytes already at hand (a small body that came inside the mail service's reply).
    Bytes(Bytes),
    /// Bytes streamed from the mail service.
    Stream(Box<ChunkSource>),
}

impl PartData {
    fn len(&self) -> u64 {
        match self {
            PartData::Bytes(b) => b.len() as u64,
            PartData::Stream(s) => s.len,
        }
    }
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
    /// Written as base64 text.
    Base64(Box<ChunkSource>),
    /// Written as is.
    Raw(Box<ChunkSource>),
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
        parts.push(Part::Base64(Box::new(a.source)));
        rest = &rest[at + m.len()..];
    }
    parts.push(Part::Bytes(Bytes::copy_from_slice(rest)));
    let length: u64 = parts
        .iter()
        .map(|p| match p {
            Part::Bytes(b) => b.len() as u64,
            Part::Base64(a) => base64_len(a.len),
            Part::Raw(a) => a.len,
        })
        .sum();
    streamed(parts, WBXML_CONTENT_TYPE, length)
}

/// The multipart response (MS-ASCMD 2.2.1.10.1.1) for `root`, whose `Part` elements name
/// `data` by position: the first of `data` is part 1 (part 0 is the WBXML). An error only when
/// the body would not fit the format's 32-bit offsets.
pub fn multipart_response(root: &Element, data: Vec<PartData>) -> Result<Response, EdgeError> {
    let wbxml = Bytes::from(eas_wbxml::encode(root));
    let count = 1 + data.len();
    let too_large = || EdgeError::Internal("multipart response over 4 GiB".into());
    // PartsCount, then an Offset and a Length per part (MS-ASCMD 2.2.1.10.1.1.1).
    let mut head = Vec::with_capacity(4 + 8 * count);
    head.extend_from_slice(&u32::try_from(count).map_err(|_| too_large())?.to_le_bytes());
    let mut offset = (4 + 8 * count) as u64;
    let lengths = std::iter::once(wbxml.len() as u64).chain(data.iter().map(PartData::len));
    for len in lengths {
        let o = u32::try_from(offset).map_err(|_| too_large())?;
        let l = u32::try_from(len).map_err(|_| too_large())?;
        head.extend_from_slice(&o.to_le_bytes());
        head.extend_from_slice(&l.to_le_bytes());
        offset += len;
    }
    u32::try_from(offset).map_err(|_| too_large())?;
    let mut parts = vec![Part::Bytes(Bytes::from(head)), Part::Bytes(wbxml)];
    parts.extend(data.into_iter().map(|d| match d {
        PartData::Bytes(b) => Part::Bytes(b),
        PartData::Stream(s) => Part::Raw(s),
    }));
    Ok(streamed(parts, MULTIPART_CONTENT_TYPE, offset))
}

/// A 200 response of `length` bytes written from `parts` by a task of its own.
fn streamed(parts: Vec<Part>, content_type: &'static str, length: u64) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        for part in parts {
            let ok = match part {
                Part::Bytes(b) => tx.send(Ok(b)).await.is_ok(),
                Part::Base64(a) => write_data(a, &tx, true).await,
                Part::Raw(a) => write_data(a, &tx, false).await,
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
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    r
}

/// Writes one stream's bytes, as base64 or as they are; false when the client left or the data
/// broke off. A stream that ends early fails the body (the connection is cut) rather than send a
/// document shorter than announced.
async fn write_data(
    mut a: Box<ChunkSource>,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    base64: bool,
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
                    tracing::warn!(missing = left, "data stream ended early");
                    let _ = tx.send(Err(std::io::Error::other("data cut"))).await;
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
        if !base64 {
            if take > 0
                && tx
                    .send(Ok(Bytes::copy_from_slice(&data[..take])))
                    .await
                    .is_err()
            {
                return false;
            }
            continue;
        }
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
