//! One pass over a spooled message (RFC 2046 section 5.1.1 multipart structure): it hashes
//! the message and copies it into a skeleton that mail-parser reads, leaving out the bodies of
//! large attachments. Their place in the spool is recorded and their decoded bytes are hashed
//! on the way, so that the store later writes them from the spool chunk by chunk. Header
//! blocks are read with mail-parser; only the boundary lines are found here.

use std::io::{BufRead, Seek, SeekFrom};
use std::sync::Arc;

use mail_parser::{Encoding, MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

use crate::blob::{Decoder, SpoolRange};

/// What stands in the skeleton for a body left out.
pub(crate) const PLACEHOLDER: &[u8] = b"elided\r\n";

/// A header block longer than this stops the leaving out: the rest is copied whole.
const MAX_HEADER_BLOCK: usize = 256 * 1024;

/// Bytes read per step.
const SEGMENT: usize = 64 * 1024;

/// The result of the walk.
pub(crate) struct Walked {
    /// The message with the large attachment bodies replaced by [`PLACEHOLDER`].
    pub skeleton: Vec<u8>,
    /// SHA-256 (hex) and length of the whole message.
    pub sha256: String,
    pub size: u64,
    pub elided: Vec<Elided>,
}

/// One body left out of the skeleton.
pub(crate) struct Elided {
    /// Where its placeholder starts in the skeleton.
    pub at: usize,
    /// Its encoded bytes in the spool, and its decoded length.
    pub range: SpoolRange,
    /// SHA-256 (hex) of the decoded bytes.
    pub sha256: String,
}

/// A leaf body being read.
struct Leaf {
    /// Spool offset where the body starts.
    start: u64,
    /// Skeleton offset where the body starts.
    skeleton_start: usize,
    /// Bytes of body seen so far.
    len: u64,
    /// May be left out (not text, a message or a multipart; base64 or not encoded).
    elidable: bool,
    encoding: Encoding,
    /// Set once the body passed the threshold and is being left out.
    eliding: Option<Box<Eliding>>,
}

struct Eliding {
    decoder: Decoder,
    hash: Sha256,
    size: u64,
    /// The line ending just read: it belongs to the next boundary line if one follows
    /// (RFC 2046 section 5.1.1), so it is decoded only once more body comes.
    held: Vec<u8>,
    decoded: Vec<u8>,
}

impl Eliding {
    fn feed(&mut self, data: &[u8]) {
        self.decoded.clear();
        self.decoder.feed(data, &mut self.decoded);
        self.hash.update(&self.decoded);
        self.size += self.decoded.len() as u64;
    }

    /// Feeds a body segment, holding back its line ending.
    fn body(&mut self, segment: &[u8]) {
        let held = std::mem::take(&mut self.held);
        if !held.is_empty() {
            self.feed(&held);
        }
        let ending = line_ending(segment);
        let (data, ending) = segment.split_at(segment.len() - ending);
        self.feed(data);
        self.held = ending.to_vec();
    }

    /// Ends the body; `with_held` at the end of the message, where no boundary line follows.
    fn finish(mut self, with_held: bool) -> (String, u64, u64) {
        let held = std::mem::take(&mut self.held);
        if with_held {
            self.feed(&held);
        }
        self.decoded.clear();
        self.decoder.finish(&mut self.decoded);
        self.hash.update(&self.decoded);
        self.size += self.decoded.len() as u64;
        let held_len = if with_held { 0 } else { held.len() as u64 };
        (hex(self.hash.finalize().as_slice()), self.size, held_len)
    }
}

enum State {
    /// Reading a header block.
    Headers(Vec<u8>),
    /// Between the parts of a multipart (preamble, or after a part's end), or in an epilogue.
    Between,
    Leaf(Leaf),
}

/// Walks the spool from its start. Bodies longer than `elide_at` bytes may be left out.
pub(crate) fn walk(file: Arc<std::fs::File>, elide_at: u64) -> std::io::Result<Walked> {
    let mut handle: &std::fs::File = &file;
    handle.seek(SeekFrom::Start(0))?;
    let mut reader = std::io::BufReader::with_capacity(SEGMENT, handle);
    let mut walked = Walked {
        skeleton: Vec::new(),
        sha256: String::new(),
        size: 0,
        elided: Vec::new(),
    };
    let mut hash = Sha256::new();
    // The delimiters ("--" boundary) of the open multiparts, innermost last.
    let mut boundaries: Vec<Vec<u8>> = Vec::new();
    let mut state = State::Headers(Vec::new());
    // Leaving out stops for good when the structure is beyond this walk (an overlong header).
    let mut copy_only = false;
    let mut at_line_start = true;
    let mut segment = Vec::with_capacity(SEGMENT);
    let mut pos: u64 = 0;
    loop {
        let complete_line = read_segment(&mut reader, &mut segment)?;
        if segment.is_empty() {
            break;
        }
        hash.update(&segment);
        let start = pos;
        pos += segment.len() as u64;
        let line_start = at_line_start;
        at_line_start = complete_line;
        if copy_only {
            walked.skeleton.extend_from_slice(&segment);
            continue;
        }
        let delimiter = if line_start && complete_line {
            delimiter(&segment, &boundaries)
        } else {
            None
        };
        if let Some((level, close)) = delimiter {
            if let State::Leaf(leaf) = std::mem::replace(&mut state, State::Between) {
                end_leaf(leaf, &file, start, false, &mut walked);
            }
            walked.skeleton.extend_from_slice(&segment);
            boundaries.truncate(level + 1);
            if close {
                boundaries.pop();
                state = State::Between;
            } else {
                state = State::Headers(Vec::new());
            }
            continue;
        }
        match &mut state {
            State::Between => walked.skeleton.extend_from_slice(&segment),
            State::Headers(block) => {
                walked.skeleton.extend_from_slice(&segment);
                block.extend_from_slice(&segment);
                if block.len() > MAX_HEADER_BLOCK {
                    copy_only = true;
                    continue;
                }
                if line_start && complete_line && line_ending(&segment) == segment.len() {
                    let block = std::mem::take(block);
                    state = after_headers(&block, &mut boundaries, pos, walked.skeleton.len());
                }
            }
            State::Leaf(leaf) => {
                leaf.len += segment.len() as u64;
                match &mut leaf.eliding {
                    Some(eliding) => eliding.body(&segment),
                    None => {
                        walked.skeleton.extend_from_slice(&segment);
                        if leaf.elidable && leaf.len > elide_at {
                            let body = walked.skeleton.split_off(leaf.skeleton_start);
                            walked.skeleton.extend_from_slice(PLACEHOLDER);
                            let mut eliding = Eliding {
                                decoder: Decoder::new(leaf.encoding),
                                hash: Sha256::new(),
                                size: 0,
                                held: Vec::new(),
                                decoded: Vec::new(),
                            };
                            for line in body.split_inclusive(|b| *b == b'\n') {
                                eliding.body(line);
                            }
                            leaf.eliding = Some(Box::new(eliding));
                        }
                    }
                }
            }
        }
    }
    if let State::Leaf(leaf) = state {
        end_leaf(leaf, &file, pos, true, &mut walked);
    }
    walked.sha256 = hex(hash.finalize().as_slice());
    walked.size = pos;
    Ok(walked)
}

/// The state after a header block: the parts of a multipart follow, or a leaf body.
fn after_headers(
    block: &[u8],
    boundaries: &mut Vec<Vec<u8>>,
    body_start: u64,
    skeleton_start: usize,
) -> State {
    let headers = MessageParser::default().parse_headers(block);
    let content_type = headers.as_ref().and_then(|h| h.content_type());
    let ctype = content_type
        .map(|c| c.ctype().to_ascii_lowercase())
        .unwrap_or_else(|| "text".to_owned());
    if ctype == "multipart" {
        if let Some(boundary) = content_type.and_then(|c| c.attribute("boundary")) {
            let mut delimiter = b"--".to_vec();
            delimiter.extend_from_slice(boundary.as_bytes());
            boundaries.push(delimiter);
            return State::Between;
        }
    }
    let encoding = match headers
        .as_ref()
        .and_then(|h| h.content_transfer_encoding())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("base64") => Encoding::Base64,
        Some("quoted-printable") => Encoding::QuotedPrintable,
        _ => Encoding::None,
    };
    // Text parts stay: they are indexed for search and shown as the body, and mail-parser
    // stores a text attachment converted from its charset to UTF-8, which a plain decode
    // would not match. Nested messages and multiparts without a boundary stay because
    // mail-parser looks inside them. Quoted-printable is rare outside text; it stays too, so
    // that only base64 and unencoded bodies are decoded here.
    let elidable = headers.is_some()
        && !matches!(ctype.as_str(), "multipart" | "message" | "text")
        && encoding != Encoding::QuotedPrintable;
    State::Leaf(Leaf {
        start: body_start,
        skeleton_start,
        len: 0,
        elidable,
        encoding,
        eliding: None,
    })
}

/// Records a left-out body that ends at spool offset `end` (where its boundary line starts,
/// or the end of the message).
fn end_leaf(leaf: Leaf, file: &Arc<std::fs::File>, end: u64, at_eof: bool, walked: &mut Walked) {
    let Some(eliding) = leaf.eliding else {
        return;
    };
    let (sha256, size, held) = eliding.finish(at_eof);
    walked.elided.push(Elided {
        at: leaf.skeleton_start,
        range: SpoolRange {
            file: file.clone(),
            start: leaf.start,
            end: end - held,
            encoding: leaf.encoding,
            size,
        },
        sha256,
    });
}

/// The level of the open multipart whose delimiter `line` is, and whether it closes it.
fn delimiter(line: &[u8], boundaries: &[Vec<u8>]) -> Option<(usize, bool)> {
    boundaries.iter().enumerate().rev().find_map(|(level, b)| {
        let rest = line.strip_prefix(b.as_slice())?;
        let (close, rest) = match rest.strip_prefix(b"--") {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        rest.iter()
            .all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
            .then_some((level, close))
    })
}

/// The length of the CRLF or LF at the end of `segment`, 0 without one.
fn line_ending(segment: &[u8]) -> usize {
    if segment.ends_with(b"\r\n") {
        2
    } else if segment.ends_with(b"\n") {
        1
    } else {
        0
    }
}

/// Reads through the next LF or up to [`SEGMENT`] bytes; true when a LF ended it.
fn read_segment(reader: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<bool> {
    out.clear();
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(false);
        }
        let take = available.len().min(SEGMENT - out.len());
        if let Some(at) = available[..take].iter().position(|b| *b == b'\n') {
            out.extend_from_slice(&available[..=at]);
            reader.consume(at + 1);
            return Ok(true);
        }
        out.extend_from_slice(&available[..take]);
        reader.consume(take);
        if out.len() >= SEGMENT {
            return Ok(false);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::blob::Content;

    const MAIL: &[u8] = b"From: a@example.org\r\n\
Content-Type: multipart/mixed; boundary=\"out\"\r\n\
\r\n\
preamble\r\n\
--out\r\n\
Content-Type: multipart/alternative; boundary=\"in\"\r\n\
\r\n\
--in\r\n\
Content-Type: text/plain\r\n\
\r\n\
a text body long enough to pass the threshold\r\n\
--in--\r\n\
--out\r\n\
Content-Type: application/octet-stream\r\n\
Content-Disposition: attachment; filename=\"x.bin\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
SGVsbG8s\r\n\
IHdvcmxkIQ==\r\n\
--out\r\n\
Content-Type: text/plain\r\n\
Content-Disposition: attachment; filename=\"y.txt\"\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
caf=C3=A9 =\r\n\
au lait\r\n\
--out\r\n\
Content-Type: application/x-thing\r\n\
Content-Disposition: attachment; filename=\"z.bin\"\r\n\
\r\n\
plain line one\r\n\
line two\r\n\
--out--\r\n\
epilogue\r\n";

    async fn walked(elide_at: u64) -> (Walked, Arc<std::fs::File>) {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(MAIL).unwrap();
        let file = Arc::new(file);
        (walk(file.clone(), elide_at).unwrap(), file)
    }

    async fn decoded(elided: &Elided) -> Vec<u8> {
        let content = Content::Spooled(elided.range.clone());
        let mut chunks = content.chunks(3);
        let mut all = Vec::new();
        while let Some(chunk) = chunks.next().await.unwrap() {
            all.extend_from_slice(&chunk);
        }
        all
    }

    #[tokio::test]
    async fn attachment_bodies_over_the_threshold_are_left_out_and_text_bodies_stay() {
        let (walked, file) = walked(8).await;
        assert_eq!(walked.size, MAIL.len() as u64);
        assert_eq!(walked.sha256, crate::parse::sha256_hex(MAIL));
        assert_eq!(walked.elided.len(), 2);
        assert_eq!(decoded(&walked.elided[0]).await, b"Hello, world!");
        assert_eq!(
            decoded(&walked.elided[1]).await,
            b"plain line one\r\nline two"
        );
        let z = crate::parse::sha256_hex(b"plain line one\r\nline two");
        assert_eq!(walked.elided[1].sha256, z);
        let skeleton = String::from_utf8(walked.skeleton.clone()).unwrap();
        // The text body and the text attachment stay.
        assert!(skeleton.contains("a text body long enough"), "{skeleton}");
        assert!(skeleton.contains("au lait"), "{skeleton}");
        assert!(
            !skeleton.contains("SGVsbG8s") && !skeleton.contains("line two"),
            "{skeleton}"
        );
        assert!(skeleton.ends_with("--out--\r\nepilogue\r\n"));
        // mail-parser sees both attachments, each claiming its left-out body.
        let message = crate::parse::parse(&walked.skeleton).unwrap();
        let new = crate::parse::index_walked(&walked, &file, &message, 1, 100).unwrap();
        let sizes: Vec<_> = new.attachments.iter().map(|a| a.meta.size).collect();
        assert_eq!(sizes, [13, 13, 24]);
        assert!(new.search_text.contains("a text body"));
    }

    #[tokio::test]
    async fn below_the_threshold_the_skeleton_is_the_message() {
        let (walked, _) = walked(1 << 20).await;
        assert!(walked.elided.is_empty());
        assert_eq!(walked.skeleton, MAIL);
    }
}
