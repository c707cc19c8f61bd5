//! Responses: framing (RFC 9112 §6.1-§6.3: `Content-Length`, chunked, or the end of the
//! connection), the server's own refusals, and writes bounded in time.

use std::io;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use http::{header, StatusCode, Version};
use http_body_util::BodyExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// A response body up to this size is sent in one write with its head.
const COALESCE: usize = 16 * 1024;

fn write_timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "client took nothing in time")
}

/// Writes all of `bytes`; each write may wait at most `limit` for the client to take some, so a
/// client that stops reading cannot hold the connection for ever.
pub(crate) async fn write_all<IO: AsyncWrite + Unpin>(
    io: &mut IO,
    mut bytes: &[u8],
    limit: Duration,
) -> io::Result<()> {
    while !bytes.is_empty() {
        let n = tokio::time::timeout(limit, io.write(bytes))
            .await
            .map_err(|_| write_timed_out())??;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[n..];
    }
    Ok(())
}

/// Flushes, waiting at most `limit`.
async fn flush<IO: AsyncWrite + Unpin>(io: &mut IO, limit: Duration) -> io::Result<()> {
    tokio::time::timeout(limit, io.flush())
        .await
        .map_err(|_| write_timed_out())?
}

/// Ends the connection's write side (TLS: `close_notify`), waiting at most `limit`.
pub(crate) async fn shutdown<IO: AsyncWrite + Unpin>(io: &mut IO, limit: Duration) {
    let _ = tokio::time::timeout(limit, io.shutdown()).await;
}

/// Writes a bodiless response of the server's own (a refused request) and closes.
pub(crate) async fn refuse<IO: AsyncWrite + Unpin>(
    io: &mut IO,
    status: StatusCode,
    limit: Duration,
) {
    let text = format!(
        "HTTP/1.1 {} {}\r\ncontent-length: 0\r\nconnection: close\r\ndate: {}\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        httpdate::fmt_http_date(SystemTime::now()),
    );
    if write_all(io, text.as_bytes(), limit).await.is_ok() {
        shutdown(io, limit).await;
    }
}

/// Writes `bytes`, coalescing small pieces into `out` (written when full).
async fn put<IO: AsyncWrite + Unpin>(
    io: &mut IO,
    out: &mut Vec<u8>,
    bytes: &[u8],
    limit: Duration,
) -> io::Result<()> {
    if out.len() + bytes.len() <= COALESCE {
        out.extend_from_slice(bytes);
        return Ok(());
    }
    if !out.is_empty() {
        write_all(io, out, limit).await?;
        out.clear();
    }
    if bytes.len() <= COALESCE {
        out.extend_from_slice(bytes);
        Ok(())
    } else {
        write_all(io, bytes, limit).await
    }
}

/// How a response body is delimited.
enum ResponseFraming {
    None,
    Length(u64),
    Chunked,
    Close,
}

/// How a request wants its response.
pub(crate) struct Answer {
    pub(crate) head_request: bool,
    pub(crate) version: Version,
    pub(crate) keep_alive: bool,
}

/// Writes a response; `Ok(false)` when the connection cannot carry another request after it.
/// A body longer than its declared length is cut there (and the connection closes), so that
/// the client never reads part of it as the next response.
pub(crate) async fn write_response<IO: AsyncWrite + Unpin>(
    io: &mut IO,
    response: http::Response<Body>,
    answer: Answer,
    limit: Duration,
) -> io::Result<bool> {
    let Answer {
        head_request,
        version,
        mut keep_alive,
    } = answer;
    let (parts, mut body) = response.into_parts();
    let status = parts.status;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // RFC 9112 §6.3: 1xx, 204 and 304 responses have no body.
    let bodiless_status = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let framing = if bodiless_status {
        ResponseFraming::None
    } else if let Some(n) = declared.or_else(|| http_body::Body::size_hint(&body).exact()) {
        ResponseFraming::Length(n)
    } else if version == Version::HTTP_11 {
        ResponseFraming::Chunked
    } else {
        keep_alive = false;
        ResponseFraming::Close
    };
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {} {}\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Unknown")
        )
        .as_bytes(),
    );
    for (name, value) in &parts.headers {
        // Framing and persistence are this layer's to state.
        if name == header::CONNECTION
            || name == header::TRANSFER_ENCODING
            || name == header::CONTENT_LENGTH
        {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !parts.headers.contains_key(header::DATE) {
        out.extend_from_slice(b"date: ");
        out.extend_from_slice(httpdate::fmt_http_date(SystemTime::now()).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        ResponseFraming::Length(n) => {
            out.extend_from_slice(format!("content-length: {n}\r\n").as_bytes())
        }
        ResponseFraming::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        ResponseFraming::None | ResponseFraming::Close => {}
    }
    if !keep_alive {
        out.extend_from_slice(b"connection: close\r\n");
    } else if version == Version::HTTP_10 {
        out.extend_from_slice(b"connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if head_request || matches!(framing, ResponseFraming::None) {
        write_all(io, &out, limit).await?;
        flush(io, limit).await?;
        return Ok(keep_alive);
    }
    let mut sent: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(io::Error::other)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers are not sent
        };
        if data.is_empty() {
            continue;
        }
        sent += data.len() as u64;
        match framing {
            ResponseFraming::Length(n) if sent > n => {
                // What fits the declared length goes out; the rest never does.
                let fits = data.len() - (sent - n) as usize;
                put(io, &mut out, &data[..fits], limit).await?;
                write_all(io, &out, limit).await?;
                flush(io, limit).await?;
                return Err(io::Error::other("response body longer than its length"));
            }
            ResponseFraming::Chunked => {
                put(
                    io,
                    &mut out,
                    format!("{:x}\r\n", data.len()).as_bytes(),
                    limit,
                )
                .await?;
                put(io, &mut out, &data, limit).await?;
                put(io, &mut out, b"\r\n", limit).await?;
            }
            _ => put(io, &mut out, &data, limit).await?,
        }
    }
    match framing {
        ResponseFraming::Length(n) if sent != n => {
            write_all(io, &out, limit).await?;
            flush(io, limit).await?;
            return Err(io::Error::other("response body shorter than its length"));
        }
        ResponseFraming::Chunked => out.extend_from_slice(b"0\r\n\r\n"),
        _ => {}
    }
    if !out.is_empty() {
        write_all(io, &out, limit).await?;
    }
    flush(io, limit).await?;
    Ok(keep_alive)
}
