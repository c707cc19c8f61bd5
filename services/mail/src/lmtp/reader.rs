//! Bounded reads from the client: command lines, and the DATA section with dot-unstuffing and
//! a size limit that never buffers more than the limit.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// How a bounded read ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Up to and including a line feed.
    Line,
    /// `max` bytes without a line feed: the line goes on.
    Partial,
    /// The peer closed the connection (what was read before is in the buffer).
    Eof,
}

/// Reads up to `max` bytes or through the next `\n`, whichever comes first, into `out`.
pub(crate) async fn read_segment<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
    out: &mut Vec<u8>,
) -> std::io::Result<Segment> {
    out.clear();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(Segment::Eof);
        }
        let take = available.len().min(max - out.len());
        if let Some(pos) = available[..take].iter().position(|&b| b == b'\n') {
            out.extend_from_slice(&available[..=pos]);
            reader.consume(pos + 1);
            return Ok(Segment::Line);
        }
        out.extend_from_slice(&available[..take]);
        reader.consume(take);
        if out.len() >= max {
            return Ok(Segment::Partial);
        }
    }
}

/// The line without its CRLF (or bare LF).
pub(crate) fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Bytes read per step inside DATA; longer lines arrive in several segments.
const DATA_SEGMENT: usize = 64 * 1024;

/// The outcome of reading a DATA section up to its terminating `.` line.
#[derive(Debug)]
pub(crate) enum Body {
    /// The message, dot-unstuffed.
    Complete(Vec<u8>),
    /// Longer than the limit; the rest was read and dropped.
    TooLarge,
    /// The connection closed before the terminating line.
    Closed,
}

/// Like [`read_segment`], failing with `TimedOut` when the peer sends nothing for `idle`.
pub(crate) async fn timed_segment<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
    out: &mut Vec<u8>,
    idle: Duration,
) -> std::io::Result<Segment> {
    match tokio::time::timeout(idle, read_segment(reader, max, out)).await {
        Ok(result) => result,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// Reads a DATA section (RFC 5321 section 4.1.1.4) and removes dot-stuffing (section 4.5.2).
/// The idle timeout applies to each segment, not to the whole transfer.
pub(crate) async fn read_body<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max_size: usize,
    idle: Duration,
) -> std::io::Result<Body> {
    let mut message = Vec::new();
    let mut too_large = false;
    let mut at_line_start = true;
    let mut segment = Vec::with_capacity(1024);
    loop {
        let kind = timed_segment(reader, DATA_SEGMENT, &mut segment, idle).await?;
        if kind == Segment::Eof {
            return Ok(Body::Closed);
        }
        if at_line_start && kind == Segment::Line && trim_line_end(&segment) == b"." {
            break;
        }
        let mut data = segment.as_slice();
        if at_line_start && data.first() == Some(&b'.') {
            data = &data[1..];
        }
        if !too_large {
            if message.len() + data.len() > max_size {
                too_large = true;
                message = Vec::new();
            } else {
                message.extend_from_slice(data);
            }
        }
        at_line_start = kind == Segment::Line;
    }
    Ok(if too_large {
        Body::TooLarge
    } else {
        Body::Complete(message)
    })
}
