//! Bounded reads from the client: command lines, and the DATA section with dot-unstuffing and
//! a size limit, streamed into a spool file so that memory stays at one segment.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::spool::Spool;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    /// The message is in the spool, dot-unstuffed.
    Complete,
    /// Longer than the limit; the rest was read and dropped.
    TooLarge,
    /// Writing the spool failed (a full disk, say); the rest was read and dropped.
    SpoolFailed,
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

/// Reads a DATA section (RFC 5321 section 4.1.1.4) into `spool` and removes dot-stuffing
/// (section 4.5.2). Only `<CRLF>.<CRLF>` ends the data: a line start is what follows a CRLF,
/// so a bare LF before a `.` line neither ends the message nor unstuffs the dot. Memory stays
/// at one segment; once the message passes `max_size` (or the spool fails) nothing more is
/// written and the rest is read and dropped, so that the session can go on. The idle timeout applies to each segment, not to the whole transfer.
pub(crate) async fn read_body<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max_size: u64,
    idle: Duration,
    spool: &mut Spool,
) -> std::io::Result<Body> {
    let mut outcome = Body::Complete;
    // The data so far ends with CRLF (or is empty): the next byte starts a line.
    let mut at_line_start = true;
    // The last byte read was a CR, so a segment that is a lone LF completes a CRLF.
    let mut after_cr = false;
    let mut segment = Vec::with_capacity(1024);
    loop {
        let kind = timed_segment(reader, DATA_SEGMENT, &mut segment, idle).await?;
        if kind == Segment::Eof {
            return Ok(Body::Closed);
        }
        if at_line_start && segment == b".\r\n" {
            break;
        }
        let mut data = segment.as_slice();
        if at_line_start && data.first() == Some(&b'.') && data != b".\n" {
            data = &data[1..];
        }
        if outcome == Body::Complete {
            if spool.size() + data.len() as u64 > max_size {
                outcome = Body::TooLarge;
            } else if let Err(error) = spool.write(data).await {
                tracing::warn!(%error, "lmtp spool write failed");
                outcome = Body::SpoolFailed;
            }
        }
        at_line_start = segment.ends_with(b"\r\n") || (after_cr && segment == b"\n");
        after_cr = segment.last() == Some(&b'\r');
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(input: &[u8], max: u64) -> (Body, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::create(dir.path()).await.unwrap();
        let mut reader = input;
        let body = read_body(&mut reader, max, Duration::from_secs(5), &mut spool)
            .await
            .unwrap();
        (body, spool.into_bytes().await.unwrap())
    }

    #[tokio::test]
    async fn only_crlf_dot_crlf_ends_the_data_and_a_dot_after_a_bare_lf_stays() {
        let (body, stored) = body_of(b"a\n.\nb\n..c\r\n..d\r\n.\r\nNOOP\r\n", 100).await;
        assert_eq!(body, Body::Complete);
        assert_eq!(stored, b"a\n.\nb\n..c\r\n.d\r\n");
    }

    #[tokio::test]
    async fn a_crlf_split_between_two_segments_still_starts_a_line() {
        // The first segment is 65,536 bytes and ends with the CR; the LF comes alone.
        let mut input = vec![b'x'; DATA_SEGMENT - 1];
        input.extend_from_slice(b"\r\n..a\r\n.\r\n");
        let (body, stored) = body_of(&input, 1 << 20).await;
        assert_eq!(body, Body::Complete);
        let mut expected = vec![b'x'; DATA_SEGMENT - 1];
        expected.extend_from_slice(b"\r\n.a\r\n");
        assert_eq!(stored, expected);
    }

    #[tokio::test]
    async fn past_the_limit_nothing_more_is_spooled_and_the_data_is_read_to_its_end() {
        let mut reader: &[u8] = b"0123456789\r\n0123456789\r\n.\r\nNOOP\r\n";
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::create(dir.path()).await.unwrap();
        let body = read_body(&mut reader, 15, Duration::from_secs(5), &mut spool)
            .await
            .unwrap();
        assert_eq!(body, Body::TooLarge);
        assert_eq!(spool.size(), 12);
        assert_eq!(reader, b"NOOP\r\n");
    }
}
