//! A lean HTTP/1.1 server (RFC 9112) for the edge's routers: while a response is pending, such
//! as a held Ping or Sync, a connection keeps only its socket and the handler's own state, with
//! no read or write buffer (hyper keeps 8 KiB of each per connection; docs/benchmarks.md,
//! "memory per held Ping").
//!
//! What it does: request heads parsed by `httparse`; `Content-Length` and chunked request
//! bodies (RFC 9112 §6, §7.1), streamed to the handler only when it reads them (so
//! `Expect: 100-continue` is answered then, and an unauthenticated request's body is never
//! read); persistent connections with pipelined requests answered in order (§9.3); responses
//! framed by `Content-Length`, chunked, or the end of the connection for HTTP/1.0; a client that
//! hangs up while its response is pending cancels the handler; an idle and a header timeout;
//! graceful shutdown (idle connections close, pending responses finish first).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use bytes::{Bytes, BytesMut};
use futures::channel::{mpsc, oneshot};
use futures::{SinkExt, StreamExt};
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Version};
use http_body::Frame;
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tower::ServiceExt;

/// Bounds of one connection.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request head (request line and headers), in bytes; larger gets 431.
    pub max_head_bytes: usize,
    /// Time a started request head may take to arrive; slower gets 408.
    pub header_timeout: Duration,
    /// Time an idle persistent connection is kept open between requests.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// Most header fields in one request head.
const MAX_HEADERS: usize = 100;
/// Largest piece of a request body handed to the handler at once.
const BODY_PIECE: usize = 64 * 1024;
/// A response body up to this size is sent in one write with its head.
const COALESCE: usize = 16 * 1024;
/// Read size while waiting for the start of a request or watching for a hang-up.
const PROBE: usize = 64;
/// Longest chunk-size line or trailer section accepted in a chunked body.
const MAX_CHUNK_LINE: usize = 4096;

/// A parsed request head.
struct Head {
    method: Method,
    target: String,
    version: Version,
    headers: HeaderMap,
}

/// Why a request head could not be taken.
#[derive(Debug, PartialEq, Eq)]
enum HeadError {
    Bad(&'static str),
    TooLarge,
}

/// Parses a complete request head at the start of `buf`; `Ok(None)` when more bytes are needed.
fn parse_head(buf: &[u8]) -> Result<Option<(Head, usize)>, HeadError> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut fields);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
        Err(_) => return Err(HeadError::Bad("malformed request head")),
    };
    let method = Method::from_bytes(req.method.unwrap_or("").as_bytes())
        .map_err(|_| HeadError::Bad("bad method"))?;
    let version = match req.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut headers = HeaderMap::with_capacity(req.headers.len());
    for f in req.headers.iter() {
        let name = HeaderName::from_bytes(f.name.as_bytes())
            .map_err(|_| HeadError::Bad("bad header name"))?;
        let value =
            HeaderValue::from_bytes(f.value).map_err(|_| HeadError::Bad("bad header value"))?;
        headers.append(name, value);
    }
    let target = req.path.unwrap_or("").to_owned();
    Ok(Some((
        Head {
            method,
            target,
            version,
            headers,
        },
        len,
    )))
}

/// How a request body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
}

/// The request body's framing; conflicting or unusable framing is refused (request smuggling).
fn request_framing(head: &Head) -> Result<Framing, &'static str> {
    let te: Vec<&HeaderValue> = head
        .headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .collect();
    let has_length = head.headers.contains_key(header::CONTENT_LENGTH);
    if !te.is_empty() {
        if head.version == Version::HTTP_10 {
            return Err("transfer-encoding in an HTTP/1.0 request");
        }
        if has_length {
            return Err("both transfer-encoding and content-length");
        }
        // §6.3: chunked must be the final coding; no other coding is supported.
        let codings: Vec<String> = te
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        return match codings.as_slice() {
            [only] if only == "chunked" => Ok(Framing::Chunked),
            _ => Err("unsupported transfer-encoding"),
        };
    }
    let mut length: Option<u64> = None;
    for v in head.headers.get_all(header::CONTENT_LENGTH) {
        let s = v.to_str().map_err(|_| "bad content-length")?;
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err("bad content-length");
            }
            let n: u64 = part.parse().map_err(|_| "bad content-length")?;
            if length.is_some_and(|l| l != n) {
                return Err("conflicting content-length");
            }
            length = Some(n);
        }
    }
    Ok(match length {
        None | Some(0) => Framing::Empty,
        Some(n) => Framing::Length(n),
    })
}

/// Whether a `Connection` header lists `token`.
fn connection_has(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Reads once more into `buf`; the end of the stream is an error here.
async fn fill<IO: AsyncRead + Unpin>(io: &mut IO, buf: &mut Vec<u8>) -> io::Result<()> {
    if buf.capacity() - buf.len() < 1024 {
        buf.reserve(4096);
    }
    match io.read_buf(buf).await? {
        0 => Err(io::ErrorKind::UnexpectedEof.into()),
        _ => Ok(()),
    }
}

/// Where a chunked body's decoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// Decodes a request body from the connection, leaving any following request in `buf`.
#[derive(Debug)]
enum BodyReader {
    Length(u64),
    Chunked(Chunk),
}

fn bad_data(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl BodyReader {
    /// The next piece of body data, `None` at its end.
    async fn next<IO: AsyncRead + Unpin>(
        &mut self,
        io: &mut IO,
        buf: &mut Vec<u8>,
    ) -> io::Result<Option<Bytes>> {
        loop {
            match self {
                BodyReader::Length(0) | BodyReader::Chunked(Chunk::Done) => return Ok(None),
                BodyReader::Length(remaining) => {
                    let piece = take_data(io, buf, *remaining).await?;
                    *remaining -= piece.len() as u64;
                    return Ok(Some(piece));
                }
                BodyReader::Chunked(Chunk::Data(remaining)) => {
                    let piece = take_data(io, buf, *remaining).await?;
                    *remaining -= piece.len() as u64;
                    if *remaining == 0 {
                        *self = BodyReader::Chunked(Chunk::DataEnd);
                    }
                    return Ok(Some(piece));
                }
                BodyReader::Chunked(Chunk::Size) => {
                    let line = take_line(io, buf).await?;
                    let digits = line.split(|&b| b == b';').next().unwrap_or(&[]);
                    let digits = std::str::from_utf8(digits)
                        .map_err(|_| bad_data("bad chunk size"))?
                        .trim_matches(|c| c == ' ' || c == '\t');
                    if digits.is_empty() || digits.len() > 15 {
                        return Err(bad_data("bad chunk size"));
                    }
                    let size =
                        u64::from_str_radix(digits, 16).map_err(|_| bad_data("bad chunk size"))?;
                    *self = BodyReader::Chunked(if size == 0 {
                        Chunk::Trailers
                    } else {
                        Chunk::Data(size)
                    });
                }
                BodyReader::Chunked(Chunk::DataEnd) => {
                    if !take_line(io, buf).await?.is_empty() {
                        return Err(bad_data("chunk data longer than its size"));
                    }
                    *self = BodyReader::Chunked(Chunk::Size);
                }
                BodyReader::Chunked(Chunk::Trailers) => {
                    // Trailer fields are read and ignored; an empty line ends the body.
                    if take_line(io, buf).await?.is_empty() {
                        *self = BodyReader::Chunked(Chunk::Done);
                    }
                }
            }
        }
    }
}

/// Up to `remaining` (at most [`BODY_PIECE`]) body bytes: from `buf` first, else straight from
/// the connection into a buffer of their own.
async fn take_data<IO: AsyncRead + Unpin>(
    io: &mut IO,
    buf: &mut Vec<u8>,
    remaining: u64,
) -> io::Result<Bytes> {
    let want = usize::try_from(remaining)
        .unwrap_or(usize::MAX)
        .min(BODY_PIECE);
    if !buf.is_empty() {
        let n = want.min(buf.len());
        let piece = Bytes::copy_from_slice(&buf[..n]);
        buf.drain(..n);
        return Ok(piece);
    }
    let mut piece = BytesMut::with_capacity(want);
    while piece.is_empty() {
        // `take` keeps the read inside this body, whatever the buffer's spare capacity.
        let n = (&mut *io).take(want as u64).read_buf(&mut piece).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(piece.freeze())
}

/// One CRLF-terminated line of a chunked body, without its terminator.
async fn take_line<IO: AsyncRead + Unpin>(io: &mut IO, buf: &mut Vec<u8>) -> io::Result<Vec<u8>> {
    loop {
        if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
            let line = buf[..i].to_vec();
            buf.drain(..i + 2);
            return Ok(line);
        }
        if buf.len() > MAX_CHUNK_LINE {
            return Err(bad_data("chunk line too long"));
        }
        fill(io, buf).await?;
    }
}

/// A request body read from the connection as the handler asks for it.
struct StreamedBody {
    pieces: mpsc::Receiver<io::Result<Bytes>>,
    /// Fired on the first read: the connection then starts reading the body.
    wanted: Option<oneshot::Sender<()>>,
    length: Option<u64>,
}

impl http_body::Body for StreamedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(w) = self.wanted.take() {
            let _ = w.send(());
        }
        self.pieces
            .poll_next_unpin(cx)
            .map(|p| p.map(|r| r.map(Frame::data)))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self.length {
            Some(n) => http_body::SizeHint::with_exact(n),
            None => http_body::SizeHint::default(),
        }
    }
}

/// How the body of a request ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyEnd {
    /// Read to its end: the connection can carry the next request.
    Complete,
    /// Not read to its end (refused, abandoned or broken): the connection must close.
    Unfinished,
}

/// Feeds the body to the handler once it asks for it.
async fn pump<IO: AsyncRead + AsyncWrite + Unpin>(
    io: &mut IO,
    buf: &mut Vec<u8>,
    mut reader: BodyReader,
    mut tx: mpsc::Sender<io::Result<Bytes>>,
    wanted: oneshot::Receiver<()>,
    expect_continue: bool,
) -> BodyEnd {
    if wanted.await.is_err() {
        return BodyEnd::Unfinished;
    }
    if expect_continue
        && io
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .is_err()
    {
        return BodyEnd::Unfinished;
    }
    loop {
        match reader.next(io, buf).await {
            Ok(Some(piece)) => {
                if tx.send(Ok(piece)).await.is_err() {
                    return BodyEnd::Unfinished;
                }
            }
            Ok(None) => return BodyEnd::Complete,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return BodyEnd::Unfinished;
            }
        }
    }
}

/// Writes a bodiless response of the server's own (a refused request) and closes.
async fn refuse<IO: AsyncWrite + Unpin>(io: &mut IO, status: StatusCode) {
    let text = format!(
        "HTTP/1.1 {} {}\r\ncontent-length: 0\r\nconnection: close\r\ndate: {}\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        httpdate::fmt_http_date(SystemTime::now()),
    );
    let _ = io.write_all(text.as_bytes()).await;
    let _ = io.shutdown().await;
}

/// Writes `bytes`, coalescing small pieces into `out` (flushed when full).
async fn put<IO: AsyncWrite + Unpin>(
    io: &mut IO,
    out: &mut Vec<u8>,
    bytes: &[u8],
) -> io::Result<()> {
    if out.len() + bytes.len() <= COALESCE {
        out.extend_from_slice(bytes);
        return Ok(());
    }
    if !out.is_empty() {
        io.write_all(out).await?;
        out.clear();
    }
    if bytes.len() <= COALESCE {
        out.extend_from_slice(bytes);
        Ok(())
    } else {
        io.write_all(bytes).await
    }
}

/// How a response body is delimited.
enum ResponseFraming {
    None,
    Length(u64),
    Chunked,
    Close,
}

/// Writes a response; `Ok(false)` when the connection cannot carry another request after it.
async fn write_response<IO: AsyncWrite + Unpin>(
    io: &mut IO,
    response: http::Response<Body>,
    head_request: bool,
    version: Version,
    mut keep_alive: bool,
) -> io::Result<bool> {
    let (parts, mut body) = response.into_parts();
    let status = parts.status;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
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
        io.write_all(&out).await?;
        io.flush().await?;
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
                return Err(io::Error::other("response body longer than its length"));
            }
            ResponseFraming::Chunked => {
                put(io, &mut out, format!("{:x}\r\n", data.len()).as_bytes()).await?;
                put(io, &mut out, &data).await?;
                put(io, &mut out, b"\r\n").await?;
            }
            _ => put(io, &mut out, &data).await?,
        }
    }
    match framing {
        ResponseFraming::Length(n) if sent != n => {
            return Err(io::Error::other("response body shorter than its length"));
        }
        ResponseFraming::Chunked => out.extend_from_slice(b"0\r\n\r\n"),
        _ => {}
    }
    if !out.is_empty() {
        io.write_all(&out).await?;
    }
    io.flush().await?;
    Ok(keep_alive)
}

/// What waiting for the next request head gave.
enum NextHead {
    Head(Head, usize),
    /// The client closed, the idle time passed, or the server is stopping.
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
) -> NextHead {
    if buf.is_empty() {
        if *stop.borrow() {
            return NextHead::Done;
        }
        let mut probe = [0u8; PROBE];
        let read = tokio::select! {
            r = tokio::time::timeout(limits.idle_timeout, io.read(&mut probe)) => r,
            _ = stop.changed() => return NextHead::Done,
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
        match tokio::time::timeout_at(deadline, fill(io, buf)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return NextHead::Done,
            Err(_) => {
                return NextHead::Refuse(StatusCode::REQUEST_TIMEOUT, "request head too slow")
            }
        }
    }
}

/// The pending response of a request.
pub type ResponseFuture = Pin<Box<dyn Future<Output = http::Response<Body>> + Send>>;

/// What answers the requests of a connection: a function from a request to its boxed response
/// future. The edge's EAS endpoint is one directly (no per-request router state is kept while
/// a Ping is held); any axum [`Router`] converts into one.
#[derive(Clone)]
pub struct Service(Arc<dyn Fn(Request<Body>) -> ResponseFuture + Send + Sync>);

impl Service {
    pub fn new(f: impl Fn(Request<Body>) -> ResponseFuture + Send + Sync + 'static) -> Service {
        Service(Arc::new(f))
    }
}

impl From<Router> for Service {
    fn from(router: Router) -> Service {
        Service::new(move |req| {
            let call = router.clone().oneshot(req);
            Box::pin(async move {
                match call.await {
                    Ok(r) => r,
                    Err(never) => match never {},
                }
            })
        })
    }
}

/// A request handed to the router, and what the connection needs to know of it.
struct Started {
    response: ResponseFuture,
    /// The body still to be read from the connection, when it was not here whole.
    streamed: Option<Box<Streamed>>,
    keep_alive: bool,
    expect_continue: bool,
    head_request: bool,
    version: Version,
}

/// A body to be read from the connection as the handler asks for it.
struct Streamed {
    reader: BodyReader,
    tx: mpsc::Sender<io::Result<Bytes>>,
    wanted: oneshot::Receiver<()>,
}

/// Turns a request head (and the body bytes already in `buf`) into a request and calls the
/// router with it; the error is the status to refuse the request with.
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
                _ => (BodyReader::Chunked(Chunk::Size), None),
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
        response: (service.0)(request),
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
    let mut watching = true;
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
///
/// The futures of the steps that do not wait on a handler are boxed and every value that is
/// not needed while waiting is held in a box or a scope of its own, so that the connection's
/// state, which a held Ping keeps, is a few hundred bytes.
pub async fn serve_connection<IO>(
    mut io: IO,
    service: Service,
    peer: SocketAddr,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let started = {
            let next = Box::pin(next_head(&mut io, &mut buf, &limits, &mut stop));
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
                let refused = Box::pin(refuse(&mut io, status));
                refused.await;
                return;
            }
        };
        let mut body_end = BodyEnd::Complete;
        let mut ready = None;
        if let Some(s) = streamed {
            body_end = BodyEnd::Unfinished;
            let Streamed { reader, tx, wanted } = *s;
            let pump = Box::pin(pump(&mut io, &mut buf, reader, tx, wanted, expect_continue));
            tokio::select! {
                r = &mut response => ready = Some(Box::new(r)),
                end = pump => body_end = end,
            }
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
        let written = Box::pin(write_response(
            &mut io,
            *ready,
            head_request,
            version,
            keep_alive,
        ));
        match written.await {
            Ok(true) => {}
            Ok(false) => {
                let _ = io.shutdown().await;
                return;
            }
            Err(e) => {
                tracing::debug!(%peer, error = %e, "writing response failed");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str) -> Head {
        match parse_head(raw.as_bytes()) {
            Ok(Some((h, n))) => {
                assert_eq!(n, raw.len());
                h
            }
            other => panic!("not a complete head: {:?}", other.map(|o| o.map(|x| x.1))),
        }
    }

    #[test]
    fn heads_are_parsed_or_reported_partial() {
        let h = head("POST /Microsoft-Server-ActiveSync?Cmd=Ping HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n");
        assert_eq!(h.method, Method::POST);
        assert_eq!(h.target, "/Microsoft-Server-ActiveSync?Cmd=Ping");
        assert_eq!(h.version, Version::HTTP_11);
        assert_eq!(h.headers["host"], "a");
        assert!(matches!(
            parse_head(b"POST / HTTP/1.1\r\nHost: a\r\n"),
            Ok(None)
        ));
        assert!(matches!(
            parse_head(b"\x01\x02 / HTTP/1.1\r\n\r\n"),
            Err(HeadError::Bad(_))
        ));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        assert_eq!(
            parse_head(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()).err(),
            Some(HeadError::TooLarge)
        );
    }

    #[test]
    fn body_framing_follows_rfc_9112_section_6_3() {
        let f = |raw: &str| request_framing(&head(raw));
        assert_eq!(f("POST / HTTP/1.1\r\n\r\n"), Ok(Framing::Empty));
        assert_eq!(
            f("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
            Ok(Framing::Empty)
        );
        assert_eq!(
            f("POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n"),
            Ok(Framing::Length(12))
        );
        assert_eq!(
            f("POST / HTTP/1.1\r\nContent-Length: 12, 12\r\n\r\n"),
            Ok(Framing::Length(12))
        );
        assert!(f("POST / HTTP/1.1\r\nContent-Length: 12\r\nContent-Length: 13\r\n\r\n").is_err());
        assert!(f("POST / HTTP/1.1\r\nContent-Length: +12\r\n\r\n").is_err());
        assert!(f("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n").is_err());
        assert_eq!(
            f("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"),
            Ok(Framing::Chunked)
        );
        assert!(f("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").is_err());
        assert!(
            f("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n")
                .is_err()
        );
        assert!(f("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").is_err());
    }

    async fn decode(reader: BodyReader, wire: &[u8]) -> (io::Result<Vec<u8>>, Vec<u8>) {
        let mut reader = reader;
        let mut io = wire;
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match reader.next(&mut io, &mut buf).await {
                Ok(Some(p)) => out.extend_from_slice(&p),
                Ok(None) => break,
                Err(e) => return (Err(e), buf),
            }
        }
        buf.extend_from_slice(io);
        (Ok(out), buf)
    }

    #[tokio::test]
    async fn chunked_bodies_decode_and_leave_the_next_request() {
        let wire = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\nGET / HTTP/1.1\r\n";
        let (body, rest) = decode(BodyReader::Chunked(Chunk::Size), wire).await;
        assert_eq!(body.unwrap(), b"Wikipedia");
        assert_eq!(rest, b"GET / HTTP/1.1\r\n");
        let (body, _) = decode(BodyReader::Chunked(Chunk::Size), b"4\r\nWikiX\r\n0\r\n\r\n").await;
        assert_eq!(body.unwrap_err().kind(), io::ErrorKind::InvalidData);
        let (body, _) = decode(BodyReader::Chunked(Chunk::Size), b"zz\r\n").await;
        assert_eq!(body.unwrap_err().kind(), io::ErrorKind::InvalidData);
        let (body, _) = decode(BodyReader::Chunked(Chunk::Size), b"10\r\nshort").await;
        assert_eq!(body.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }

    #[tokio::test]
    async fn length_bodies_stop_at_their_length() {
        let (body, rest) = decode(BodyReader::Length(5), b"helloGET").await;
        assert_eq!(body.unwrap(), b"hello");
        assert_eq!(rest, b"GET");
        let big = vec![7u8; 3 * BODY_PIECE + 11];
        let (body, rest) = decode(BodyReader::Length(big.len() as u64), &big).await;
        assert_eq!(body.unwrap(), big);
        assert!(rest.is_empty());
    }

    #[tokio::test]
    async fn an_idle_keep_alive_connection_closes_after_the_idle_time() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (server_side, peer) = listener.accept().await.unwrap();
        let (_stop_tx, stop) = watch::channel(false);
        let limits = Limits {
            idle_timeout: Duration::from_millis(300),
            ..Limits::default()
        };
        let router = Router::new().fallback(|| async { "ok" });
        let conn = tokio::spawn(serve_connection(
            server_side,
            router.into(),
            peer,
            limits,
            stop,
        ));
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 512];
        while !got.ends_with(b"ok") {
            let n = client.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed before the response");
            got.extend_from_slice(&chunk[..n]);
        }
        assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
        // Kept open for the next request, then closed once idle for longer than the limit.
        let n = tokio::time::timeout(Duration::from_secs(5), client.read(&mut chunk))
            .await
            .expect("closed within 5 s")
            .unwrap();
        assert_eq!(n, 0);
        conn.await.unwrap();
    }
}
