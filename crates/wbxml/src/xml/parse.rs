//! Reads the XML form back into an element tree, resolving namespaces against the code page table.

use base64::Engine as _;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::write::base64_engine;
use super::{XmlError, MAX_XML_DEPTH};
use crate::{Element, Node, Tag};

/// An element being read: its children so far, and which of them are droppable indentation.
struct Frame {
    el: Element,
    opaque: bool,
    /// Per child: true for a whitespace-only text run read outside CDATA.
    droppable: Vec<bool>,
    /// The last child is text that the next text event extends.
    in_text: bool,
}

/// Parses an XML document into an element tree (see the parent module for the conventions).
pub fn from_xml(text: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let offset = reader.buffer_position();
        let syntax = |e: quick_xml::Error| XmlError::Syntax {
            offset,
            message: e.to_string(),
        };
        let (ns, event) = reader.read_resolved_event().map_err(syntax)?;
        match event {
            Event::Start(start) => {
                let frame = open(ns, &start)?;
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(XmlError::TooDeep(MAX_XML_DEPTH));
                }
                if root.is_some() {
                    return Err(XmlError::MultipleRoots);
                }
                stack.push(frame);
            }
            Event::Empty(start) => {
                let mut frame = open(ns, &start)?;
                if frame.opaque {
                    frame.el.children.push(Node::Opaque(Vec::new()));
                }
                attach(frame.el, &mut stack, &mut root)?;
            }
            Event::End(_) => {
                let Some(frame) = stack.pop() else {
                    return Err(XmlError::NoRoot);
                };
                attach(close(frame)?, &mut stack, &mut root)?;
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(syntax)?;
                text_event(&mut stack, &s, !s.chars().all(is_xml_space))?;
            }
            Event::CData(c) => {
                let s = std::str::from_utf8(&c).map_err(|e| XmlError::Syntax {
                    offset,
                    message: e.to_string(),
                })?;
                text_event(&mut stack, s, true)?;
            }
            Event::PI(pi) => {
                let target = String::from_utf8_lossy(pi.target()).into_owned();
                let Some(frame) = stack.last_mut().filter(|_| target == "opaque") else {
                    return Err(XmlError::ProcessingInstruction(target));
                };
                let data = decode_base64(pi.content())?;
                frame.el.children.push(Node::Opaque(data));
                frame.droppable.push(false);
                frame.in_text = false;
            }
            Event::Comment(_) | Event::Decl(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Syntax {
            offset: reader.buffer_position(),
            message: "unclosed element".into(),
        });
    }
    root.ok_or(XmlError::NoRoot)
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Starts an element: resolves its tag and checks its attributes.
fn open(ns: ResolveResult, start: &BytesStart) -> Result<Frame, XmlError> {
    let local = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let namespace = match ns {
        ResolveResult::Bound(n) => String::from_utf8_lossy(n.as_ref()).into_owned(),
        ResolveResult::Unbound => return Err(XmlError::NoNamespace { name: local }),
        ResolveResult::Unknown(p) => {
            return Err(XmlError::UnknownPrefix {
                prefix: String::from_utf8_lossy(&p).into_owned(),
            })
        }
    };
    let tag = Tag::lookup(&namespace, &local).ok_or_else(|| XmlError::UnknownElement {
        namespace: namespace.clone(),
        name: local.clone(),
    })?;
    let mut opaque = false;
    for attr in start.attributes() {
        let attr = attr.map_err(|e| XmlError::Syntax {
            offset: 0,
            message: e.to_string(),
        })?;
        let key = attr.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        if key == b"opaque" && attr.value.as_ref() == b"base64" {
            opaque = true;
            continue;
        }
        return Err(XmlError::Attribute {
            name: String::from_utf8_lossy(key).into_owned(),
        });
    }
    Ok(Frame {
        el: Element::new(tag),
        opaque,
        droppable: Vec::new(),
        in_text: false,
    })
}

/// Adds a text run to the open element, merging it with a text run just before it.
fn text_event(stack: &mut [Frame], s: &str, significant: bool) -> Result<(), XmlError> {
    let Some(frame) = stack.last_mut() else {
        return if significant {
            Err(XmlError::TextOutsideRoot)
        } else {
            Ok(())
        };
    };
    if frame.in_text {
        if let (Some(Node::Text(t)), Some(d)) =
            (frame.el.children.last_mut(), frame.droppable.last_mut())
        {
            t.push_str(s);
            *d = *d && !significant;
            return Ok(());
        }
    }
    frame.el.children.push(Node::Text(s.to_owned()));
    frame.droppable.push(!significant);
    frame.in_text = true;
    Ok(())
}

/// Finishes an element read between a start and an end tag.
fn close(frame: Frame) -> Result<Element, XmlError> {
    let Frame {
        mut el,
        opaque,
        droppable,
        ..
    } = frame;
    if opaque {
        let mut b64 = String::new();
        for child in &el.children {
            match child {
                Node::Text(t) => b64.push_str(t),
                _ => return Err(XmlError::OpaqueWithChildren(format!("{:?}", el.tag))),
            }
        }
        el.children = vec![Node::Opaque(decode_base64(b64.as_bytes())?)];
    } else if el.children.is_empty() {
        // `<A></A>`: one empty string, as opposed to `<A/>`.
        el.children.push(Node::Text(String::new()));
    } else if el.children.iter().any(|c| matches!(c, Node::Element(_))) {
        let mut keep = droppable.into_iter().map(|d| !d);
        el.children.retain(|_| keep.next().unwrap_or(true));
    }
    Ok(el)
}

fn attach(el: Element, stack: &mut [Frame], root: &mut Option<Element>) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(parent) => {
            parent.el.children.push(Node::Element(el));
            parent.droppable.push(false);
            parent.in_text = false;
        }
        None if root.is_some() => return Err(XmlError::MultipleRoots),
        None => *root = Some(el),
    }
    Ok(())
}

fn decode_base64(data: &[u8]) -> Result<Vec<u8>, XmlError> {
    let clean: Vec<u8> = data
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64_engine()
        .decode(clean)
        .map_err(|e| XmlError::Base64(e.to_string()))
}
