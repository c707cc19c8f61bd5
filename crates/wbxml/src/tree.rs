//! The element tree that the codec reads and writes, with small helpers for building and querying it.

use crate::Tag;

/// A child of an element: another element, inline text or opaque bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
    Opaque(Vec<u8>),
}

/// An element: a tag and its children in document order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    pub tag: Tag,
    pub children: Vec<Node>,
}

impl Element {
    /// An empty element.
    pub fn new(tag: Tag) -> Element {
        Element {
            tag,
            children: Vec::new(),
        }
    }

    /// An element holding one text node.
    pub fn text(tag: Tag, text: impl Into<String>) -> Element {
        Element {
            tag,
            children: vec![Node::Text(text.into())],
        }
    }

    /// An element holding opaque bytes.
    pub fn opaque(tag: Tag, data: impl Into<Vec<u8>>) -> Element {
        Element {
            tag,
            children: vec![Node::Opaque(data.into())],
        }
    }

    /// Builder: appends a child element.
    pub fn with(mut self, child: Element) -> Element {
        self.children.push(Node::Element(child));
        self
    }

    /// Builder: appends a text child element `<tag>text</tag>`.
    pub fn with_text(self, tag: Tag, text: impl Into<String>) -> Element {
        self.with(Element::text(tag, text))
    }

    /// Builder: appends a child element when `child` is `Some`.
    pub fn with_opt(self, child: Option<Element>) -> Element {
        match child {
            Some(c) => self.with(c),
            None => self,
        }
    }

    /// Appends a child element.
    pub fn push(&mut self, child: Element) {
        self.children.push(Node::Element(child));
    }

    /// Appends a text child element `<tag>text</tag>`.
    pub fn push_text(&mut self, tag: Tag, text: impl Into<String>) {
        self.push(Element::text(tag, text));
    }

    /// The child elements in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The first child element with this tag.
    pub fn child(&self, tag: Tag) -> Option<&Element> {
        self.elements().find(|e| e.tag == tag)
    }

    /// Every child element with this tag.
    pub fn children_of(&self, tag: Tag) -> impl Iterator<Item = &Element> {
        self.elements().filter(move |e| e.tag == tag)
    }

    /// The concatenated text content of this element (text nodes only), if it has any.
    pub fn text_content(&self) -> Option<String> {
        let mut out: Option<String> = None;
        for n in &self.children {
            if let Node::Text(t) = n {
                out.get_or_insert_with(String::new).push_str(t);
            }
        }
        out
    }

    /// The text of the first child element with this tag; an empty child gives `Some("")`.
    pub fn child_text(&self, tag: Tag) -> Option<String> {
        self.child(tag)
            .map(|c| c.text_content().unwrap_or_default())
    }

    /// The opaque content of this element, if it has one opaque node.
    pub fn opaque_content(&self) -> Option<&[u8]> {
        self.children.iter().find_map(|n| match n {
            Node::Opaque(b) => Some(b.as_slice()),
            _ => None,
        })
    }
}
