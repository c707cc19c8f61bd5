//! Blobs chunk by chunk, so that a large message or attachment never sits whole in memory:
//! reading a stored one, and the content of one about to be stored (from memory, or decoded
//! from a spool file on the fly).

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::Stream;
use mail_parser::Encoding;

use crate::error::MailError;
use crate::store::{BlobRef, Store};

/// A reader over one stored blob (a raw message or one attachment's decoded bytes). Each call
/// to [`BlobReader::next_chunk`] loads one chunk (256 KiB by default) from the database.
pub struct BlobReader {
    store: Arc<dyn Store>,
    blob: BlobRef,
    next: u32,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("size", &self.blob.size)
            .field("chunks", &self.blob.chunk_count)
            .field("next", &self.next)
            .finish()
    }
}

impl BlobReader {
    pub(crate) fn new(store: Arc<dyn Store>, blob: BlobRef) -> Self {
        BlobReader {
            store,
            blob,
            next: 0,
        }
    }

    /// Total size in bytes.
    pub fn size(&self) -> u64 {
        self.blob.size
    }

    /// The next chunk, or `None` after the last one. A blob removed while being read (its
    /// last message deleted) ends with `MessageNotFound`.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, MailError> {
        if self.next >= self.blob.chunk_count {
            return Ok(None);
        }
        let chunk = self
            .store
            .chunk(self.blob.id, self.next)
            .await?
            .ok_or_else(|| MailError::MessageNotFound(format!("blob {}", self.blob.id)))?;
        self.next += 1;
        Ok(Some(Bytes::from(chunk)))
    }

    /// Reads everything left into memory; for small blobs and tests.
    pub async fn read_to_end(mut self) -> Result<Vec<u8>, MailError> {
        let mut all = Vec::with_capacity(usize::try_from(self.blob.size).unwrap_or(0));
        while let Some(chunk) = self.next_chunk().await? {
            all.extend_from_slice(&chunk);
        }
        Ok(all)
    }

    /// The chunks as a stream, for an HTTP or gRPC body.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, MailError>> + Send + 'static {
        futures::stream::try_unfold(self, |mut reader| async move {
            Ok(reader.next_chunk().await?.map(|chunk| (chunk, reader)))
        })
    }
}

/// Bytes about to be stored as a blob: in memory, or a range of a spool file that is decoded
/// on the fly, so that a large message or attachment is written without ever being whole in
/// memory.
pub(crate) enum Content<'m> {
    Memory(&'m [u8]),
    Spooled(SpoolRange),
}

/// A range of a spool file and its content transfer encoding (RFC 2045 section 6).
#[derive(Clone)]
pub(crate) struct SpoolRange {
    pub file: Arc<std::fs::File>,
    pub start: u64,
    pub end: u64,
    pub encoding: Encoding,
    /// The decoded length.
    pub size: u64,
}

/// Raw bytes read from a spool per step.
const SPOOL_READ: usize = 64 * 1024;

impl Content<'_> {
    /// The (decoded) length in bytes.
    pub(crate) fn len(&self) -> u64 {
        match self {
            Content::Memory(data) => data.len() as u64,
            Content::Spooled(range) => range.size,
        }
    }

    /// The bytes in pieces of `chunk_size` (the last one shorter).
    pub(crate) fn chunks(&self, chunk_size: usize) -> Chunks<'_> {
        Chunks {
            content: self,
            chunk_size: chunk_size.max(1),
            at: 0,
            decoder: Decoder::new(match self {
                Content::Memory(_) => Encoding::None,
                Content::Spooled(range) => range.encoding,
            }),
            pending: Vec::new(),
            done: false,
        }
    }
}

/// The chunks of a [`Content`], read and decoded one step at a time.
pub(crate) struct Chunks<'c> {
    content: &'c Content<'c>,
    chunk_size: usize,
    /// Memory: the next offset; spool: the next offset relative to the range start.
    at: u64,
    decoder: Decoder,
    /// Decoded bytes not handed out yet.
    pending: Vec<u8>,
    done: bool,
}

impl Chunks<'_> {
    pub(crate) async fn next(&mut self) -> Result<Option<Vec<u8>>, MailError> {
        let range = match self.content {
            Content::Memory(data) => {
                let start = usize::try_from(self.at)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                let end = start.saturating_add(self.chunk_size).min(data.len());
                self.at = end as u64;
                return Ok((end > start).then(|| data[start..end].to_vec()));
            }
            Content::Spooled(range) => range,
        };
        while self.pending.len() < self.chunk_size && !self.done {
            let offset = range.start + self.at;
            let want = usize::try_from(range.end.saturating_sub(offset))
                .unwrap_or(usize::MAX)
                .min(SPOOL_READ);
            if want == 0 {
                self.decoder.finish(&mut self.pending);
                self.done = true;
                break;
            }
            let file = range.file.clone();
            let read = tokio::task::spawn_blocking(move || read_at(&file, offset, want))
                .await
                .map_err(|e| MailError::Spool(e.to_string()))?
                .map_err(|e| MailError::Spool(e.to_string()))?;
            if read.is_empty() {
                return Err(MailError::Spool(
                    "spool file shorter than recorded".to_owned(),
                ));
            }
            self.at += read.len() as u64;
            self.decoder.feed(&read, &mut self.pending);
        }
        if self.pending.is_empty() {
            return Ok(None);
        }
        let take = self.pending.len().min(self.chunk_size);
        let rest = self.pending.split_off(take);
        Ok(Some(std::mem::replace(&mut self.pending, rest)))
    }
}

/// Reads up to `len` bytes at `offset` (fewer only at the end of the file).
pub(crate) fn read_at(file: &std::fs::File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0; len];
    let mut filled = 0;
    while filled < len {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// Incremental decoding of a content transfer encoding (RFC 2045 sections 6.7 and 6.8) with
/// mail-parser's decoders, fed in arbitrary pieces.
pub(crate) struct Decoder {
    encoding: Encoding,
    /// Base64: alphabet characters not yet a whole group of four. Quoted-printable: the
    /// current line.
    carry: Vec<u8>,
}

/// A quoted-printable line longer than this (a malformed one) is decoded in pieces.
const QP_MAX_LINE: usize = 64 * 1024;

impl Decoder {
    pub(crate) fn new(encoding: Encoding) -> Self {
        Decoder {
            encoding,
            carry: Vec::new(),
        }
    }

    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match self.encoding {
            Encoding::None => out.extend_from_slice(input),
            Encoding::Base64 => {
                self.carry.extend(
                    input
                        .iter()
                        .copied()
                        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')),
                );
                let whole = self.carry.len() / 4 * 4;
                if whole > 0 {
                    decode_base64(&self.carry[..whole], out);
                    self.carry.drain(..whole);
                }
            }
            Encoding::QuotedPrintable => {
                for piece in input.split_inclusive(|b| *b == b'\n') {
                    self.carry.extend_from_slice(piece);
                    if piece.ends_with(b"\n") {
                        decode_qp(&self.carry, out);
                        self.carry.clear();
                    } else if self.carry.len() > QP_MAX_LINE {
                        // Keep a trailing `=` or `=X` for the next piece.
                        let len = self.carry.len();
                        let split = (len - 2..len)
                            .find(|i| self.carry[*i] == b'=')
                            .unwrap_or(len);
                        decode_qp(&self.carry[..split], out);
                        self.carry.drain(..split);
                    }
                }
            }
        }
    }

    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) {
        let rest = std::mem::take(&mut self.carry);
        match self.encoding {
            Encoding::None => {}
            Encoding::Base64 => decode_base64(&rest, out),
            Encoding::QuotedPrintable => decode_qp(&rest, out),
        }
    }
}

fn decode_base64(data: &[u8], out: &mut Vec<u8>) {
    if let Some(decoded) = mail_parser::decoders::base64::base64_decode(data) {
        out.extend_from_slice(&decoded);
    }
}

/// A line that is not valid quoted-printable is kept as it is, as mail-parser does.
fn decode_qp(line: &[u8], out: &mut Vec<u8>) {
    match mail_parser::decoders::quoted_printable::quoted_printable_decode(line) {
        Some(decoded) => out.extend_from_slice(&decoded),
        None => out.extend_from_slice(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(encoding: Encoding, input: &[u8], piece: usize) -> Vec<u8> {
        let mut decoder = Decoder::new(encoding);
        let mut out = Vec::new();
        for part in input.chunks(piece) {
            decoder.feed(part, &mut out);
        }
        decoder.finish(&mut out);
        out
    }

    #[test]
    fn base64_decodes_alike_whatever_the_pieces() {
        let input = b"SGVsbG8s\r\nIHdvcmxk\r\nIQ==\r\n";
        for piece in [1, 3, 5, 64] {
            assert_eq!(
                decode_in_pieces(Encoding::Base64, input, piece),
                b"Hello, world!"
            );
        }
    }

    #[test]
    fn quoted_printable_soft_breaks_and_escapes_survive_any_split() {
        let input = b"caf=C3=A9 au =\r\nlait\r\nsecond line\r\n";
        for piece in [1, 2, 7, 64] {
            assert_eq!(
                decode_in_pieces(Encoding::QuotedPrintable, input, piece),
                "café au lait\r\nsecond line\r\n".as_bytes()
            );
        }
    }
}
