//! WBXML codec for Exchange ActiveSync (MS-ASWBXML): pure conversion between bytes and an element tree.
//!
//! The codec does no I/O. [`decode`] turns a WBXML document into an [`Element`] tree and rejects
//! malformed input with a [`DecodeError`]; [`encode`] writes a tree back out. Tags are named by
//! code page and token ([`Tag`]); the constants in [`tags`] are generated from the MS-ASWBXML
//! code page table (pages 0 to 25). [`to_xml`] and [`from_xml`] give the tree a readable XML form
//! (module [`xml`]), used by the test corpus. See `docs/wbxml.md` for what is accepted and rejected.

mod decode;
mod encode;
mod tree;
pub mod xml;

pub use decode::{decode, decode_with, DecodeError, Limits};
pub use encode::{encode, encode_into};
pub use tree::{Element, Node};
pub use xml::{from_xml, to_xml, XmlError};

include!(concat!(env!("OUT_DIR"), "/codepages.rs"));

/// One code page of the table: its namespace and tag names indexed by `token - 0x05`.
pub(crate) struct PageDef {
    pub(crate) namespace: &'static str,
    pub(crate) tags: &'static [&'static str],
}

/// A tag: a code page and a token within it (MS-ASWBXML 2.1.2.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    page: u8,
    token: u8,
}

impl Tag {
    /// A tag from its page and token (the token without the content and attribute bits).
    pub const fn new(page: u8, token: u8) -> Tag {
        Tag { page, token }
    }

    /// The tag for `page` and `token` if the code page table defines it.
    pub fn known(page: u8, token: u8) -> Option<Tag> {
        let tag = Tag { page, token };
        tag.name().map(|_| tag)
    }

    /// The code page number.
    pub const fn page(self) -> u8 {
        self.page
    }

    /// The token within the page (0x05..=0x3F).
    pub const fn token(self) -> u8 {
        self.token
    }

    /// The tag's local name, if the table defines this tag.
    pub fn name(self) -> Option<&'static str> {
        let def = PAGES.get(self.page as usize)?.as_ref()?;
        let idx = self.token.checked_sub(5)? as usize;
        def.tags.get(idx).copied().filter(|n| !n.is_empty())
    }

    /// The namespace of the tag's code page (without the trailing colon), if the page exists.
    pub fn namespace(self) -> Option<&'static str> {
        namespace_of(self.page)
    }

    /// Looks a tag up by namespace (with or without a trailing colon) and local name.
    pub fn lookup(namespace: &str, name: &str) -> Option<Tag> {
        let namespace = namespace.strip_suffix(':').unwrap_or(namespace);
        PAGES.iter().enumerate().find_map(|(page, def)| {
            let def = def.as_ref()?;
            if def.namespace != namespace {
                return None;
            }
            let idx = def.tags.iter().position(|t| *t == name)?;
            Some(Tag::new(page as u8, idx as u8 + 5))
        })
    }

    /// Every tag of the table, page by page.
    pub fn all() -> impl Iterator<Item = Tag> {
        PAGES.iter().enumerate().flat_map(|(page, def)| {
            def.iter().flat_map(move |d| {
                d.tags
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| !n.is_empty())
                    .map(move |(i, _)| Tag::new(page as u8, i as u8 + 5))
            })
        })
    }
}

/// The namespace of a code page, if the table defines the page.
pub fn namespace_of(page: u8) -> Option<&'static str> {
    PAGES.get(page as usize)?.as_ref().map(|d| d.namespace)
}

impl std::fmt::Debug for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.namespace(), self.name()) {
            (Some(ns), Some(name)) => write!(f, "{ns}:{name}"),
            _ => write!(f, "Tag({}, 0x{:02X})", self.page, self.token),
        }
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}
