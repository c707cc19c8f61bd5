//! Writes an element tree as indented XML (the form described in the parent module).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use base64::Engine as _;

use super::prefix_of;
use crate::{namespace_of, Element, Node};

const INDENT: &str = "  ";

/// Writes `root` as an XML document with namespace declarations on the root element.
///
/// Tags missing from the code page table (only possible in hand-built trees) are written as
/// `<_unknown_PAGE_TOKEN/>`, which [`super::from_xml`] rejects.
pub fn to_xml(root: &Element) -> String {
    let mut pages = BTreeSet::new();
    let mut todo = vec![root];
    while let Some(el) = todo.pop() {
        pages.insert(el.tag.page());
        todo.extend(el.elements());
    }
    let root_page = root.tag.page();
    let mut decls = String::new();
    if let Some(ns) = namespace_of(root_page) {
        let _ = write!(decls, " xmlns=\"{ns}:\"");
    }
    for page in pages.iter().filter(|p| **p != root_page) {
        if let Some(ns) = namespace_of(*page) {
            let _ = write!(decls, " xmlns:{}=\"{ns}:\"", prefix_of(ns));
        }
    }

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    // Iterative walk: (element, next child index, pretty-printed).
    let mut stack: Vec<(&Element, usize, bool)> = Vec::new();
    open(root, root_page, &decls, true, &mut out, &mut stack);
    loop {
        let depth = stack.len();
        let Some((el, idx, pretty)) = stack.last_mut() else {
            break;
        };
        let (el, pretty) = (*el, *pretty);
        let Some(child) = el.children.get(*idx) else {
            stack.pop();
            if pretty {
                indent(depth - 1, &mut out);
            }
            close(el, root_page, &mut out);
            if stack.last().is_none_or(|parent| parent.2) {
                out.push('\n');
            }
            continue;
        };
        *idx += 1;
        if pretty {
            indent(depth, &mut out);
        }
        // Only element children appear in a pretty-printed element.
        match child {
            Node::Element(c) => open(c, root_page, "", pretty, &mut out, &mut stack),
            Node::Text(t) if !t.is_empty() && t.chars().all(is_xml_space) => {
                let _ = write!(out, "<![CDATA[{t}]]>");
            }
            Node::Text(t) => escape(t, &mut out),
            Node::Opaque(b) => {
                let _ = write!(out, "<?opaque {}?>", base64_engine().encode(b));
            }
        }
    }
    out
}

/// Writes the start of `el`; pushes it on `stack` unless it is complete already.
fn open<'a>(
    el: &'a Element,
    root_page: u8,
    decls: &str,
    parent_pretty: bool,
    out: &mut String,
    stack: &mut Vec<(&'a Element, usize, bool)>,
) {
    out.push('<');
    name(el, root_page, out);
    out.push_str(decls);
    match el.children.as_slice() {
        [] => out.push_str("/>"),
        [Node::Text(t)] => {
            out.push('>');
            escape(t, out);
            close(el, root_page, out);
        }
        [Node::Opaque(b)] => {
            out.push_str(" opaque=\"base64\">");
            out.push_str(&base64_engine().encode(b));
            close(el, root_page, out);
        }
        children => {
            out.push('>');
            let pretty = parent_pretty && children.iter().all(|c| matches!(c, Node::Element(_)));
            if pretty {
                out.push('\n');
            }
            stack.push((el, 0, pretty));
            return;
        }
    }
    if parent_pretty {
        out.push('\n');
    }
}

fn close(el: &Element, root_page: u8, out: &mut String) {
    out.push_str("</");
    name(el, root_page, out);
    out.push('>');
}

fn name(el: &Element, root_page: u8, out: &mut String) {
    match (el.tag.namespace(), el.tag.name()) {
        (Some(ns), Some(local)) if el.tag.page() != root_page => {
            let _ = write!(out, "{}:{local}", prefix_of(ns));
        }
        (Some(_), Some(local)) => out.push_str(local),
        _ => {
            let _ = write!(out, "_unknown_{}_{:02x}", el.tag.page(), el.tag.token());
        }
    }
}

fn indent(depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str(INDENT);
    }
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Escapes markup characters, and CR and other control characters as character references so
/// that an XML parser's line-end normalisation cannot change them.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => {
                let _ = write!(out, "&#x{:x};", c as u32);
            }
            c => out.push(c),
        }
    }
}

pub(super) fn base64_engine() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}
