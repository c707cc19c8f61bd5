//! One connection: waiting for request heads, handing requests to the service, watching the
//! client while a response is pending, and writing the responses in order (RFC 9112 §9.3).

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use bytes::Bytes;
use futures::channel::{mpsc, oneshot};
use http::{header, Method, Request, StatusCode, Version};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::sync::watch;

use crate::body::{fill, pump, BodyEnd, BodyReader, Chunk, Streamed, StreamedBody};
use crate::gate::{IdleGuard, Permit};
use crate::head::{connection_has, parse_head, request_framing, Framing, Head, HeadError};
use crate::response::{refuse, shutdown, write_response, Answer};
use crate::{Limits, ResponseFuture, Service};

/// Read size while waiting for the start of a request or watching for a hang-up.
const PROBE: usize = 64;

/// What waiting for the next request head gave.
enum NextHead {
    Head(Head, usize),
    /// The client closed, the idle time passed, the gate shed the connection, or the server is
    /// stopping.
    Done,
    Refuse(StatusCode, &'static str),
}

/// Waits for and reads the next request head. While idle only a small probe is read, so an idle
/// connection holds no buffer.
async fn next_head<IO: AsyncRead + Unpin>(
    io: &mut IO,
    buf: &mut Vec<u8>,
    limits: &Limits,
    stop: &mut watch::Receiver<bool>,
    idle: &mut IdleGuard,
) -> NextHead {
    if buf.is_empty() {
        if *stop.borrow() {
            return NextHead::Done;
        }
        let mut probe = [0u8; PROBE];
        let read = tokio::select! {
            r = tokio::time::timeout(limits.idle_timeout, io.read(&mut probe)) => r,
            _ = stop.changed() => return NextHead::Done,
            _ = idle.shed() => return NextHead::Done,
        };
        match read {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&probe[..n]),
            _ => return NextHead::Done,
        }
    }
    let deadline = tokio::time::Instant::now() + limits.header_timeout;
    loop {
        match parse_head(buf) {
            Ok(Some((head, len))) => return NextHead::Head(head, len),
            Ok(None) => {}
            Err(HeadError::TooLarge) => {
                return NextHead::Refuse(
                    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "too many header fields",
                )
            }
            Err(HeadError::Bad(why)) => return NextHead::Refuse(StatusCode::BAD_REQUEST, why),
        }
        if buf.len() >= limits.max_head_bytes {
            return NextHead::Refuse(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "request head too large",
            );
        }
        tokio::select! {
            r = tokio::time::timeout_at(deadline, fill(io, buf)) => match r {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return NextHead::Done,
                Err(_) => {
                    return NextHead::Refuse(StatusCode::REQUEST_TIMEOUT, "request head too slow")
                }
            },
            _ = idle.shed() => return NextHead::Done,
        }
    }
}

/// A request handed to the service, and what the connection needs to know of it.
struct Started {
    response: ResponseFuture,
    /// The body still to be read from the connection, when it was not here whole.
    streamed: Option<Box<Streamed>>,
    keep_alive: bool,
    expect_continue: bool,
    head_request: bool,
    version: Version,
}

/// Turns a request head (and the body bytes already in `buf`) into a request and calls the
/// service with it; the error is the status to refuse the request with.
fn start(
    head: Head,
    head_len: usize,
    buf: &mut Vec<u8>,
    service: &Service,
    peer: SocketAddr,
) -> Result<Started, (StatusCode, &'static str)> {
    buf.drain(..head_len);
    let framing = request_framing(&head).map_err(|why| (StatusCode::BAD_REQUEST, why))?;
    let keep_alive = match head.version {
        Version::HTTP_10 => connection_has(&head.headers, "keep-alive"),
        _ => !connection_has(&head.headers, "close"),
    };
    let expect_continue = head.version == Version::HTTP_11
        && head
            .headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    // A body that is already here whole is handed over as it is; otherwise it is read from
    // the connection when the handler asks for it.
    let mut streamed = None;
    let body = match framing {
        Framing::Empty => Body::empty(),
        Framing::Length(n) if !expect_continue && (buf.len() as u64) >= n => {
            let n = n as usize;
            let body = Bytes::copy_from_slice(&buf[..n]);
            buf.drain(..n);
            Body::from(body)
        }
        _ => {
            let (tx, rx) = mpsc::channel(0);
            let (want_tx, wanted) = oneshot::channel();
            let (reader, length) = match framing {
                Framing::Length(n) => (BodyReader::Length(n), Some(n)),
                _ => (BodyReader::Chunked(Chunk::Size, 0), None),
            };
            streamed = Some(Box::new(Streamed { reader, tx, wanted }));
            Body::new(StreamedBody {
                pieces: rx,
                wanted: Some(want_tx),
                length,
            })
        }
    };
    let version = head.version;
    let head_request = head.method == Method::HEAD;
    let mut request = Request::builder()
        .method(head.method)
        .uri(head.target.as_str())
        .version(version)
        .body(body)
        .map_err(|_| (StatusCode::BAD_REQUEST, "bad request target"))?;
    *request.headers_mut() = head.headers;
    request.extensions_mut().insert(ConnectInfo(peer));
    Ok(Started {
        response: service.call(request),
        streamed,
        keep_alive,
        expect_continue,
        head_request,
        version,
    })
}

/// Waits for a pending response, watching the connection meanwhile: a client that hangs up
/// cancels the handler (`None`), bytes it sends (its next request) are kept in `buf`.
async fn wait_response<IO: AsyncRead + Unpin>(
    io: &mut IO,
    buf: &mut Vec<u8>,
    response: &mut ResponseFuture,
    limits: &Limits,
) -> Option<Box<http::Response<Body>>> {
    let mut probe = [0u8; PROBE];
    let mut watching = buf.len() < limits.max_head_bytes;
    loop {
        tokio::select! {
            r = &mut *response => return Some(Box::new(r)),
            n = io.read(&mut probe), if watching => match n {
                Ok(0) | Err(_) => return None,
                Ok(n) => {
                    buf.extend_from_slice(&probe[..n]);
                    watching = buf.len() < limits.max_head_bytes;
                }
            },
        }
    }
}

/// Serves the requests of one connection with `service` until it closes.
pub async fn serve_connection<IO>(
    io: IO,
    service: Service,
    peer: SocketAddr,
    limits: Limits,
    stop: watch::Receiver<bool>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send,
{
    serve(io, service, peer, limits, stop, None).await
}

/// [`serve_connection`] for a connection admitted by a [`crate::ConnectionGate`]: while it
/// waits for a request the gate may shed it.
pub async fn serve_admitted<IO>(
    io: IO,
    service: Service,
    peer: SocketAddr,
    limits: Limits,
    stop: watch::Receiver<bool>,
    permit: Permit,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send,
{
    serve(io, service, peer, limits, stop, Some(permit)).await
}

/// The connection's loop.
///
/// The futures of the steps that do not wait on a handler are boxed and every value that is
/// not needed while waiting is held in a box or a scope of its own, so that the connection's
/// state, which a held Ping keeps, is a few hundred bytes.
async fn serve<IO>(
    mut io: IO,
    service: Service,
    peer: SocketAddr,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    permit: Option<Permit>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let started = {
            let mut idle = permit.as_ref().map_or_else(IdleGuard::never, Permit::idle);
            let next = Box::pin(next_head(&mut io, &mut buf, &limits, &mut stop, &mut idle));
            match next.await {
                NextHead::Head(head, len) => start(head, len, &mut buf, &service, peer),
                NextHead::Done => return,
                NextHead::Refuse(status, why) => Err((status, why)),
            }
        };
        let Started {
            mut response,
            streamed,
            mut keep_alive,
            expect_continue,
            head_request,
            version,
        } = match started {
            Ok(s) => s,
            Err((status, why)) => {
                tracing::debug!(%peer, status = status.as_u16(), why, "request refused");
                let refused = Box::pin(refuse(&mut io, status, limits.write_timeout));
                refused.await;
                return;
            }
        };
        let mut body_end = BodyEnd::Complete;
        let mut ready = None;
        if let Some(s) = streamed {
            body_end = BodyEnd::Unfinished;
            let pump = Box::pin(pump(&mut io, &mut buf, *s, expect_continue, &limits));
            tokio::select! {
                r = &mut response => ready = Some(Box::new(r)),
                end = pump => body_end = end,
            }
        }
        match body_end {
            BodyEnd::Refuse(status, why) => {
                drop(response);
                tracing::debug!(%peer, status = status.as_u16(), why, "request refused");
                let refused = Box::pin(refuse(&mut io, status, limits.write_timeout));
                refused.await;
                return;
            }
            BodyEnd::Broken => {
                tracing::debug!(%peer, "client broke off its request body");
                return;
            }
            BodyEnd::Complete | BodyEnd::Unfinished => {}
        }
        // While the response is pending the connection keeps no buffer.
        if buf.is_empty() {
            buf = Vec::new();
        }
        let ready = match ready {
            Some(r) => r,
            None => match wait_response(&mut io, &mut buf, &mut response, &limits).await {
                Some(r) => r,
                None => {
                    tracing::debug!(%peer, "client closed the connection before its response");
                    return;
                }
            },
        };
        drop(response);
        if body_end == BodyEnd::Unfinished || *stop.borrow() {
            keep_alive = false;
        }
        let answer = Answer {
            head_request,
            version,
            keep_alive,
        };
        let written = Box::pin(write_response(
            &mut io,
            *ready,
            answer,
            limits.write_timeout,
        ));
        match written.await {
            Ok(true) => {}
            Ok(false) => {
                shutdown(&mut io, limits.write_timeout).await;
                return;
            }
            Err(e) => {
                tracing::debug!(%peer, error = %e, "writing response failed");
                return;
            }
        }
    }
}
