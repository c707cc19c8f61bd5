//! WBXML decoder (MS-ASWBXML 2.1.2, WBXML 1.3 subset used by ActiveSync): bytes to an element tree.
//!
//! The decoder is iterative, so nesting depth is bounded by [`Limits`] rather than by the call
//! stack, and every malformed input gives a [`DecodeError`].

use crate::{Element, Node, Tag};

// Global tokens (WBXML 1.3 section 7.1).
const SWITCH_PAGE: u8 = 0x00;
const END: u8 = 0x01;
const STR_I: u8 = 0x03;
const OPAQUE: u8 = 0xC3;
const CONTENT_BIT: u8 = 0x40;
const ATTRIBUTE_BIT: u8 = 0x80;
const UTF8_MIB: u32 = 0x6A;

/// Bounds on what the decoder accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted document in bytes.
    pub max_bytes: usize,
    /// Deepest accepted element nesting (the root is depth 1).
    pub max_depth: usize,
    /// Largest accepted number of elements, text and opaque nodes together.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 64 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 1_000_000,
        }
    }
}

/// Why a document could not be decoded.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    #[error("document ends early at byte {0}")]
    Truncated(usize),
    #[error("unsupported wbxml version 0x{0:02x}")]
    Version(u8),
    #[error("unsupported charset mib {0} (only utf-8 is used by activesync)")]
    Charset(u32),
    #[error("bad multi-byte integer at byte {0}")]
    BadInteger(usize),
    #[error("unknown code page {page} at byte {offset}")]
    UnknownPage { page: u8, offset: usize },
    #[error("unknown token 0x{token:02x} on code page {page} at byte {offset}")]
    UnknownTag { page: u8, token: u8, offset: usize },
    #[error("unsupported global token 0x{token:02x} at byte {offset}")]
    UnsupportedToken { token: u8, offset: usize },
    #[error("attributes are not used by activesync (byte {0})")]
    Attributes(usize),
    #[error("string at byte {0} is not valid utf-8")]
    InvalidUtf8(usize),
    #[error("{kind} outside of an element at byte {offset}")]
    OutsideElement { kind: &'static str, offset: usize },
    #[error("data after the root element at byte {0}")]
    TrailingData(usize),
    #[error("document has no root element")]
    Empty,
    #[error("document of {0} bytes is over the size limit")]
    TooLarge(usize),
    #[error("nesting deeper than {0} elements")]
    TooDeep(usize),
    #[error("more than {0} nodes")]
    TooManyNodes(usize),
}

/// Decodes a document with the default [`Limits`].
pub fn decode(bytes: &[u8]) -> Result<Element, DecodeError> {
    decode_with(bytes, &Limits::default())
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or(DecodeError::Truncated(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    /// mb_u_int32 (WBXML 1.3 section 5.1): at most five bytes, high bit means "more".
    fn mb_u_int32(&mut self) -> Result<u32, DecodeError> {
        let start = self.pos;
        let mut value: u64 = 0;
        for _ in 0..5 {
            let b = self.byte()?;
            value = (value << 7) | u64::from(b & 0x7F);
            if b & 0x80 == 0 {
                return u32::try_from(value).map_err(|_| DecodeError::BadInteger(start));
            }
        }
        Err(DecodeError::BadInteger(start))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or(DecodeError::Truncated(self.buf.len()))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn cstr(&mut self) -> Result<&'a str, DecodeError> {
        let start = self.pos;
        let rest = &self.buf[self.pos..];
        let nul = rest
            .iter()
            .position(|b| *b == 0)
            .ok_or(DecodeError::Truncated(self.buf.len()))?;
        self.pos += nul + 1;
        std::str::from_utf8(&rest[..nul]).map_err(|_| DecodeError::InvalidUtf8(start))
    }
}

/// Decodes a document, rejecting anything over `limits`.
pub fn decode_with(bytes: &[u8], limits: &Limits) -> Result<Element, DecodeError> {
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::TooLarge(bytes.len()));
    }
    let mut r = Reader { buf: bytes, pos: 0 };
    let version = r.byte()?;
    if !(0x01..=0x03).contains(&version) {
        return Err(DecodeError::Version(version));
    }
    // publicid = mb_u_int32 | ( zero index ): public id 0 is followed by a string table index
    // (WBXML 1.3 section 5.5).
    if r.mb_u_int32()? == 0 {
        r.mb_u_int32()?;
    }
    let charset = r.mb_u_int32()?;
    // 0 means "unknown"; ActiveSync always uses UTF-8 (MS-ASWBXML 2.1.2).
    if charset != UTF8_MIB && charset != 0 {
        return Err(DecodeError::Charset(charset));
    }
    let strtbl_len = r.mb_u_int32()? as usize;
    r.take(strtbl_len)?;

    let mut page: u8 = 0;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut nodes = 0usize;

    while r.pos < bytes.len() {
        let offset = r.pos;
        let token = r.byte()?;
        if root.is_some() {
            return Err(DecodeError::TrailingData(offset));
        }
        match token {
            SWITCH_PAGE => {
                let p = r.byte()?;
                if crate::namespace_of(p).is_none() {
                    return Err(DecodeError::UnknownPage { page: p, offset });
                }
                page = p;
            }
            END => {
                let done = stack.pop().ok_or(DecodeError::OutsideElement {
                    kind: "end token",
                    offset,
                })?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(done)),
                    None => root = Some(done),
                }
            }
            STR_I => {
                let s = r.cstr()?;
                let parent = stack.last_mut().ok_or(DecodeError::OutsideElement {
                    kind: "string",
                    offset,
                })?;
                nodes += 1;
                if nodes > limits.max_nodes {
                    return Err(DecodeError::TooManyNodes(limits.max_nodes));
                }
                parent.children.push(Node::Text(s.to_owned()));
            }
            OPAQUE => {
                let len = r.mb_u_int32()? as usize;
                let data = r.take(len)?;
                let parent = stack.last_mut().ok_or(DecodeError::OutsideElement {
                    kind: "opaque data",
                    offset,
                })?;
                nodes += 1;
                if nodes > limits.max_nodes {
                    return Err(DecodeError::TooManyNodes(limits.max_nodes));
                }
                parent.children.push(Node::Opaque(data.to_vec()));
            }
            // ENTITY, LITERAL*, EXT*, PI, STR_T: not used by ActiveSync.
            0x02 | 0x04 | 0x40..=0x44 | 0x80..=0x84 | 0xC0..=0xC2 | 0xC4 => {
                return Err(DecodeError::UnsupportedToken { token, offset });
            }
            _ => {
                if token & ATTRIBUTE_BIT != 0 {
                    return Err(DecodeError::Attributes(offset));
                }
                let id = token & 0x3F;
                let tag = Tag::known(page, id).ok_or(DecodeError::UnknownTag {
                    page,
                    token: id,
                    offset,
                })?;
                nodes += 1;
                if nodes > limits.max_nodes {
                    return Err(DecodeError::TooManyNodes(limits.max_nodes));
                }
                // The new element sits at depth stack.len() + 1, with or without content.
                if stack.len() >= limits.max_depth {
                    return Err(DecodeError::TooDeep(limits.max_depth));
                }
                let el = Element::new(tag);
                if token & CONTENT_BIT != 0 {
                    stack.push(el);
                } else {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(el)),
                        None => root = Some(el),
                    }
                }
            }
        }
    }
    if !stack.is_empty() {
        return Err(DecodeError::Truncated(bytes.len()));
    }
    root.ok_or(DecodeError::Empty)
}
