//! XML text form of the element tree, for test corpora, logs and debugging (pure, no I/O).
//!
//! [`to_xml`] writes a document the way the MS-ASCMD examples look: the root element's code page is
//! the default namespace (`xmlns="AirSync:"`) and every other code page used in the document is
//! declared on the root with its lower-cased name as prefix (`xmlns:email="Email:"`). [`from_xml`]
//! reads any namespace-well-formed XML whose elements are in the MS-ASWBXML code page table; it
//! accepts prefixes or per-element default namespaces, with or without the trailing colon.
//!
//! Conventions (see `docs/wbxml.md`):
//! - `<A/>` is an element without content (a WBXML tag without the content bit); `<A></A>` is an
//!   element holding one empty string (`STR_I ""`). The two encode differently.
//! - Opaque data (WBXML `OPAQUE`) is base64: `<Data opaque="base64">AAEC</Data>` when it is the
//!   element's only content, or a processing instruction `<?opaque AAEC?>` anywhere else.
//! - Whitespace-only text next to child elements is indentation and is dropped; other text is
//!   kept exactly. CDATA sections are always kept, so `to_xml` writes whitespace-only text in
//!   mixed content as CDATA. Adjacent text nodes merge into one.

mod parse;
mod write;

pub use parse::from_xml;
pub use write::to_xml;

/// Why an XML document could not be turned into an element tree.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum XmlError {
    #[error("xml syntax error at byte {offset}: {message}")]
    Syntax { offset: u64, message: String },
    #[error("element <{name}> has no namespace")]
    NoNamespace { name: String },
    #[error("namespace prefix {prefix:?} is not declared")]
    UnknownPrefix { prefix: String },
    #[error("element {namespace}:{name} is not in the code page table")]
    UnknownElement { namespace: String, name: String },
    #[error("attribute {name:?} is not supported (only opaque=\"base64\")")]
    Attribute { name: String },
    #[error("bad base64 in opaque data: {0}")]
    Base64(String),
    #[error("opaque element <{0}> holds child elements")]
    OpaqueWithChildren(String),
    #[error("processing instruction <?{0}?> is not supported")]
    ProcessingInstruction(String),
    #[error("text outside the root element")]
    TextOutsideRoot,
    #[error("more than one root element")]
    MultipleRoots,
    #[error("document has no root element")]
    NoRoot,
    #[error("nesting deeper than {0} elements")]
    TooDeep(usize),
}

/// Deepest nesting [`from_xml`] accepts; deeper trees could overflow the stack when dropped.
pub const MAX_XML_DEPTH: usize = 256;

/// The prefix `to_xml` gives a namespace: its name in lower case.
fn prefix_of(namespace: &str) -> String {
    namespace.to_ascii_lowercase()
}
