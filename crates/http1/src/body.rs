//! Request bodies: `Content-Length` and chunked (RFC 9112 §6, §7.1), read from the connection
//! only when the handler asks for them, each read bounded in time.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::channel::{mpsc, oneshot};
use futures::StreamExt;
use http::StatusCode;
use http_body::Frame;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

use crate::response::write_all;
use crate::Limits;

/// Largest piece of a request body handed to the handler at once.
pub(crate) const BODY_PIECE: usize = 64 * 1024;
/// Longest chunk-size line or trailer line accepted in a chunked body.
pub(crate) const MAX_CHUNK_LINE: usize = 4096;
/// Most bytes of chunk extensions and trailer fields, together, in one chunked body: they are
/// read and ignored, so without a bound a client could send them for ever.
pub(crate) const MAX_CHUNK_META: usize = 16 * 1024;

pub(crate) fn bad_data(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// One read from the client, bounded by `limit` (a timeout is `TimedOut`).
pub(crate) async fn timed<T>(
    limit: Duration,
    read: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match tokio::time::timeout(limit, read).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "client sent nothing in time",
        )),
    }
}

/// Reads once more into `buf`; the end of the stream is an error here.
pub(crate) async fn fill<IO: AsyncRead + Unpin>(io: &mut IO, buf: &mut Vec<u8>) -> io::Result<()> {
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
pub(crate) enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// Decodes a request body from the connection, leaving any following request in `buf`.
#[derive(Debug)]
pub(crate) enum BodyReader {
    Length(u64),
    /// The decoder's state and the chunk-extension and trailer bytes seen so far.
    Chunked(Chunk, usize),
}

/// The size of a chunk from its line (RFC 9112 §7.1): `1*HEXDIG [ BWS ";" ... ]`, so no sign,
/// no leading space and no `0x`; with the length of the extension part.
pub(crate) fn chunk_size(line: &[u8]) -> io::Result<(u64, usize)> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(bad_data("bad chunk size"));
    }
    let mut size: u64 = 0;
    for &b in &line[..digits] {
        let d = (b as char).to_digit(16).unwrap_or(0) as u64;
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(d))
            .ok_or_else(|| bad_data("chunk size too large"))?;
    }
    let ext = &line[digits..];
    let after_space = ext
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .map_or(&[][..], |i| &ext[i..]);
    if !ext.is_empty() && after_space.first() != Some(&b';') {
        return Err(bad_data("bad chunk size"));
    }
    if ext.iter().any(|&b| b != b'\t' && (b < 0x20 || b == 0x7f)) {
        return Err(bad_data("bad chunk extension"));
    }
    Ok((size, ext.len()))
}

impl BodyReader {
    /// The next piece of body data, `None` at its end; each read waits at most `limit`.
    pub(crate) async fn next<IO: AsyncRead + Unpin>(
        &mut self,
        io: &mut IO,
        buf: &mut Vec<u8>,
        limit: Duration,
    ) -> io::Result<Option<Bytes>> {
        loop {
            match self {
                BodyReader::Length(0) | BodyReader::Chunked(Chunk::Done, _) => return Ok(None),
                BodyReader::Length(remaining) => {
                    let piece = take_data(io, buf, *remaining, limit).await?;
                    *remaining -= piece.len() as u64;
                    return Ok(Some(piece));
                }
                BodyReader::Chunked(Chunk::Data(remaining), meta) => {
                    let piece = take_data(io, buf, *remaining, limit).await?;
                    *remaining -= piece.len() as u64;
                    if *remaining == 0 {
                        *self = BodyReader::Chunked(Chunk::DataEnd, *meta);
                    }
                    return Ok(Some(piece));
                }
                BodyReader::Chunked(Chunk::Size, meta) => {
                    let line = take_line(io, buf, limit).await?;
                    let (size, ext) = chunk_size(&line)?;
                    let meta = *meta + ext;
                    if meta > MAX_CHUNK_META {
                        return Err(bad_data("chunk extensions too large"));
                    }
                    let next = if size == 0 {
                        Chunk::Trailers
                    } else {
                        Chunk::Data(size)
                    };
                    *self = BodyReader::Chunked(next, meta);
                }
                BodyReader::Chunked(Chunk::DataEnd, meta) => {
                    if !take_line(io, buf, limit).await?.is_empty() {
                        return Err(bad_data("chunk data longer than its size"));
                    }
                    *self = BodyReader::Chunked(Chunk::Size, *meta);
                }
                BodyReader::Chunked(Chunk::Trailers, meta) => {
                    // Trailer fields are read and ignored; an empty line ends the body.
                    let line = take_line(io, buf, limit).await?;
                    if line.is_empty() {
                        *self = BodyReader::Chunked(Chunk::Done, *meta);
                        continue;
                    }
                    *meta += line.len() + 2;
                    if *meta > MAX_CHUNK_META {
                        return Err(bad_data("trailer section too large"));
                    }
                }
            }
        }
    }
}

/// Up to `remaining` (at most [`BODY_PIECE`]) body bytes, in a buffer of exactly their size:
/// first from `buf`, the rest straight from the connection.
async fn take_data<IO: AsyncRead + Unpin>(
    io: &mut IO,
    buf: &mut Vec<u8>,
    remaining: u64,
    limit: Duration,
) -> io::Result<Bytes> {
    let want = usize::try_from(remaining)
        .unwrap_or(usize::MAX)
        .min(BODY_PIECE);
    let mut piece = BytesMut::with_capacity(want);
    let from_buf = want.min(buf.len());
    piece.extend_from_slice(&buf[..from_buf]);
    buf.drain(..from_buf);
    while piece.len() < want {
        // `take` keeps the read inside this body, whatever the buffer's spare capacity.
        let left = (want - piece.len()) as u64;
        let n = timed(limit, (&mut *io).take(left).read_buf(&mut piece)).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(piece.freeze())
}

/// One CRLF-terminated line of a chunked body, without its terminator. A bare LF or CR in it is
/// refused, as in the request head ([`crate::head::parse_head`]).
pub(crate) async fn take_line<IO: AsyncRead + Unpin>(
    io: &mut IO,
    buf: &mut Vec<u8>,
    limit: Duration,
) -> io::Result<Vec<u8>> {
    loop {
        let scan = buf.len().min(MAX_CHUNK_LINE + 2);
        if let Some(i) = buf[..scan].iter().position(|&b| b == b'\n') {
            if i == 0 || buf[i - 1] != b'\r' {
                return Err(bad_data("bare lf in chunked body"));
            }
            let line = buf[..i - 1].to_vec();
            if line.contains(&b'\r') {
                return Err(bad_data("bare cr in chunked body"));
            }
            buf.drain(..=i);
            return Ok(line);
        }
        if buf.len() > MAX_CHUNK_LINE + 1 {
            return Err(bad_data("chunk line too long"));
        }
        timed(limit, fill(io, buf)).await?;
    }
}

/// A request body read from the connection as the handler asks for it.
pub(crate) struct StreamedBody {
    pub(crate) pieces: mpsc::Receiver<io::Result<Bytes>>,
    /// Fired on the first read: the connection then starts reading the body.
    pub(crate) wanted: Option<oneshot::Sender<()>>,
    pub(crate) length: Option<u64>,
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
pub(crate) enum BodyEnd {
    /// Read to its end: the connection can carry the next request.
    Complete,
    /// Not read to its end (refused or abandoned by the handler): the connection closes after
    /// the response.
    Unfinished,
    /// Malformed (400) or too slow (408): the connection answers this itself and closes.
    Refuse(StatusCode, &'static str),
    /// The client went away or broke the connection: it closes without an answer.
    Broken,
}

/// A body to be read from the connection as the handler asks for it.
pub(crate) struct Streamed {
    pub(crate) reader: BodyReader,
    pub(crate) tx: mpsc::Sender<io::Result<Bytes>>,
    pub(crate) wanted: oneshot::Receiver<()>,
}

/// Feeds the body to the handler once it asks for it.
pub(crate) async fn pump<IO: AsyncRead + AsyncWrite + Unpin>(
    io: &mut IO,
    buf: &mut Vec<u8>,
    streamed: Streamed,
    expect_continue: bool,
    limits: &Limits,
) -> BodyEnd {
    let Streamed {
        mut reader,
        mut tx,
        wanted,
    } = streamed;
    if wanted.await.is_err() {
        return BodyEnd::Unfinished;
    }
    // RFC 9110 §10.1.1: 100 (Continue) only once the body is wanted.
    if expect_continue
        && write_all(io, b"HTTP/1.1 100 Continue\r\n\r\n", limits.write_timeout)
            .await
            .is_err()
    {
        return BodyEnd::Broken;
    }
    loop {
        match reader.next(io, buf, limits.body_read_timeout).await {
            Ok(Some(piece)) => {
                if futures::SinkExt::send(&mut tx, Ok(piece)).await.is_err() {
                    return BodyEnd::Unfinished;
                }
            }
            Ok(None) => return BodyEnd::Complete,
            Err(e) => {
                let end = match e.kind() {
                    io::ErrorKind::InvalidData => {
                        BodyEnd::Refuse(StatusCode::BAD_REQUEST, "malformed request body")
                    }
                    io::ErrorKind::TimedOut => {
                        BodyEnd::Refuse(StatusCode::REQUEST_TIMEOUT, "request body too slow")
                    }
                    _ => BodyEnd::Broken,
                };
                tracing::debug!(error = %e, "request body not read");
                // The handler, should it still run, sees an error rather than a short body.
                let _ = tx.try_send(Err(e));
                return end;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(5);

    async fn decode(reader: BodyReader, wire: &[u8]) -> (io::Result<Vec<u8>>, Vec<u8>) {
        let mut reader = reader;
        let mut io = wire;
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match reader.next(&mut io, &mut buf, T).await {
                Ok(Some(p)) => {
                    assert_eq!(p.len(), p.len().min(BODY_PIECE));
                    out.extend_from_slice(&p)
                }
                Ok(None) => break,
                Err(e) => return (Err(e), buf),
            }
        }
        buf.extend_from_slice(io);
        (Ok(out), buf)
    }

    fn chunked() -> BodyReader {
        BodyReader::Chunked(Chunk::Size, 0)
    }

    #[tokio::test]
    async fn chunked_bodies_decode_and_leave_the_next_request() {
        let wire = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\nGET / HTTP/1.1\r\n";
        let (body, rest) = decode(chunked(), wire).await;
        assert_eq!(body.unwrap(), b"Wikipedia");
        assert_eq!(rest, b"GET / HTTP/1.1\r\n");
        let (body, _) = decode(chunked(), b"4 ;a=b\r\nWiki\r\n00000\r\n\r\n").await;
        assert_eq!(body.unwrap(), b"Wiki");
        let (body, _) = decode(chunked(), b"10\r\nshort").await;
        assert_eq!(body.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }

    #[tokio::test]
    async fn malformed_chunk_lines_are_invalid_data() {
        let long_ext = format!("3;{}\r\nabc\r\n0\r\n\r\n", "x".repeat(MAX_CHUNK_LINE + 10));
        let long_trailer = format!(
            "0\r\n{}\r\n",
            "X-T: abcdefghijklmnopqrstuvwxyz0123456789\r\n".repeat(MAX_CHUNK_META / 40 + 1)
        );
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("data longer than size", b"4\r\nWikiX\r\n0\r\n\r\n".to_vec()),
            ("not hex", b"zz\r\n".to_vec()),
            ("plus sign", b"+3\r\nabc\r\n0\r\n\r\n".to_vec()),
            ("minus sign", b"-3\r\nabc\r\n0\r\n\r\n".to_vec()),
            ("0x prefix", b"0x3\r\nabc\r\n0\r\n\r\n".to_vec()),
            ("leading space", b" 3\r\nabc\r\n0\r\n\r\n".to_vec()),
            ("trailing space", b"3 \r\nabc\r\n0\r\n\r\n".to_vec()),
            ("overflow", b"10000000000000000\r\n".to_vec()),
            ("bare lf after size", b"3\nabc\r\n0\r\n\r\n".to_vec()),
            ("bare lf after data", b"3\r\nabc\n0\r\n\r\n".to_vec()),
            ("bare lf after last chunk", b"3\r\nabc\r\n0\n\r\n".to_vec()),
            (
                "bare lf ending the trailers",
                b"3\r\nabc\r\n0\r\n\n".to_vec(),
            ),
            ("bare cr", b"3\rx\r\nabc\r\n0\r\n\r\n".to_vec()),
            ("chunk line over the limit", long_ext.into_bytes()),
            ("trailer section over the limit", long_trailer.into_bytes()),
        ];
        for (what, wire) in cases {
            let (body, _) = decode(chunked(), &wire).await;
            assert_eq!(
                body.map_err(|e| e.kind()).err(),
                Some(io::ErrorKind::InvalidData),
                "{what}"
            );
        }
    }

    #[tokio::test]
    async fn length_bodies_stop_at_their_length_in_full_pieces() {
        let (body, rest) = decode(BodyReader::Length(5), b"helloGET").await;
        assert_eq!(body.unwrap(), b"hello");
        assert_eq!(rest, b"GET");
        let big = vec![7u8; 3 * BODY_PIECE + 11];
        let (body, rest) = decode(BodyReader::Length(big.len() as u64), &big).await;
        assert_eq!(body.unwrap(), big);
        assert!(rest.is_empty());
    }

    #[tokio::test]
    async fn a_body_piece_fills_its_buffer_even_when_the_bytes_arrive_in_small_reads() {
        let (client, mut server) = tokio::io::duplex(1024);
        let writer = tokio::spawn(async move {
            let mut client = client;
            for _ in 0..(BODY_PIECE / 1000 + 1) {
                tokio::io::AsyncWriteExt::write_all(&mut client, &[1u8; 1000])
                    .await
                    .unwrap();
            }
            client
        });
        let mut buf = b"abc".to_vec();
        let mut reader = BodyReader::Length(BODY_PIECE as u64);
        let piece = reader
            .next(&mut server, &mut buf, T)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(piece.len(), BODY_PIECE);
        assert_eq!(&piece[..4], b"abc\x01");
        let _ = writer.await;
    }

    #[tokio::test]
    async fn a_body_read_waits_at_most_its_limit() {
        let (_client, mut server) = tokio::io::duplex(64);
        let mut buf = Vec::new();
        let mut reader = BodyReader::Length(10);
        let err = reader
            .next(&mut server, &mut buf, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
