//! WBXML encoder (MS-ASWBXML 2.1.2): an element tree to bytes, switching code pages as needed.
//!
//! The walk is iterative, so hand-built trees of any depth encode without growing the call stack.

use crate::{Element, Node};

/// WBXML 1.3, public id 1 (unknown), UTF-8, empty string table: the header every EAS body uses
/// (MS-ASWBXML 2.1.2, WBXML 1.3 section 5.4).
const HEADER: [u8; 4] = [0x03, 0x01, 0x6A, 0x00];

// Global tokens (WBXML 1.3 section 7.1) and the content bit of a tag token (section 5.8.2).
const SWITCH_PAGE: u8 = 0x00;
const END: u8 = 0x01;
const STR_I: u8 = 0x03;
const OPAQUE: u8 = 0xC3;
const CONTENT_BIT: u8 = 0x40;

/// Encodes a document with `root` as its root element.
pub fn encode(root: &Element) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    encode_into(root, &mut out);
    out
}

/// Encodes a document into `out` (appending).
///
/// WBXML inline strings end at a NUL byte, so NUL characters inside text are left out. An element
/// without children is written without the content bit; an element holding an empty string is
/// written as `STR_I ""`, so the two stay distinct.
pub fn encode_into(root: &Element, out: &mut Vec<u8>) {
    out.extend_from_slice(&HEADER);
    let mut page = 0u8;
    let mut stack: Vec<(&Element, usize)> = Vec::new();
    if open(root, &mut page, out) {
        stack.push((root, 0));
    }
    while let Some((el, idx)) = stack.last_mut() {
        let Some(child) = el.children.get(*idx) else {
            stack.pop();
            out.push(END);
            continue;
        };
        *idx += 1;
        match child {
            Node::Element(e) => {
                if open(e, &mut page, out) {
                    stack.push((e, 0));
                }
            }
            Node::Text(t) => {
                out.push(STR_I);
                out.extend(t.bytes().filter(|b| *b != 0));
                out.push(0x00);
            }
            Node::Opaque(data) => {
                out.push(OPAQUE);
                // Opaque data over 4 GiB cannot be expressed; such trees are not built in practice.
                write_mb_u_int32(u32::try_from(data.len()).unwrap_or(u32::MAX), out);
                out.extend_from_slice(data);
            }
        }
    }
}

/// Writes the tag of `el` (after a page switch if needed); true when content and END follow.
fn open(el: &Element, page: &mut u8, out: &mut Vec<u8>) -> bool {
    if el.tag.page() != *page {
        out.push(SWITCH_PAGE);
        out.push(el.tag.page());
        *page = el.tag.page();
    }
    if el.children.is_empty() {
        out.push(el.tag.token());
        false
    } else {
        out.push(el.tag.token() | CONTENT_BIT);
        true
    }
}

/// mb_u_int32 (WBXML 1.3 section 5.1): big-endian groups of seven bits, high bit set on all but
/// the last byte.
fn write_mb_u_int32(mut v: u32, out: &mut Vec<u8>) {
    let mut buf = [0u8; 5];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = (v & 0x7F) as u8 | if i == buf.len() - 1 { 0 } else { 0x80 };
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}
