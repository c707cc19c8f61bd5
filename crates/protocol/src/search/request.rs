//! The Search request (MS-ASCMD 2.2.1.16): a store (Mailbox or GAL), a query and options.

use eas_wbxml::tags::{air_sync as a, air_sync_base as asb, rights_management as rm, search as s};
use eas_wbxml::{Element, Tag};

use crate::body::{body_preferences, BodyPreference};
use crate::error::{expect_root, optional_bool, required_id, text_or_opaque, ParseError};
use crate::item_operations::ByteRange;
use crate::picture::{PictureRequest, PictureTags};
use crate::sync::{mime_support, MimeSupport};

/// Nested And/Or deeper than this is refused rather than walked.
const MAX_QUERY_DEPTH: usize = 8;

/// MS-ASCMD 2.2.3.143.3: a zero-based, inclusive range of results, `m-n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SearchRange {
    pub start: u32,
    pub end: u32,
}

impl SearchRange {
    /// MS-ASCMD 2.2.3.143.3 (R3733, R3735): the default range of Mailbox and GAL, and the most
    /// results they return.
    pub const DEFAULT: SearchRange = SearchRange { start: 0, end: 99 };

    /// Reads `"0-99"`.
    pub fn parse(text: &str) -> Option<SearchRange> {
        let r = ByteRange::parse(text)?;
        Some(SearchRange {
            start: r.start.try_into().ok()?,
            end: r.end.try_into().ok()?,
        })
    }
}

impl std::fmt::Display for SearchRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// A query, as MS-ASCMD 2.2.3.142.2 nests it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchQuery {
    /// The GAL query: the text of `Query` itself (a name or address prefix).
    Text(String),
    And(Vec<SearchQuery>),
    Or(Vec<SearchQuery>),
    FreeText(String),
    /// airsync:Class, e.g. `Email`.
    Class(String),
    /// airsync:CollectionId: search this folder.
    CollectionId(String),
    /// Items of one conversation (opaque id).
    ConversationId(Vec<u8>),
    /// `property` is the empty element naming what is compared (email:DateReceived for the
    /// comparisons, documentlibrary:LinkId for EqualTo).
    EqualTo {
        property: Tag,
        value: String,
    },
    GreaterThan {
        property: Tag,
        value: String,
    },
    LessThan {
        property: Tag,
        value: String,
    },
}

fn comparison(el: &Element) -> Result<(Tag, String), ParseError> {
    let property = el
        .elements()
        .find(|c| c.tag != s::VALUE)
        .map(|c| c.tag)
        .ok_or(ParseError::Missing(eas_wbxml::tags::email::DATE_RECEIVED))?;
    let value = el
        .child_text(s::VALUE)
        .ok_or(ParseError::Missing(s::VALUE))?;
    Ok((property, value))
}

fn read_query(el: &Element, depth: usize) -> Result<Option<SearchQuery>, ParseError> {
    if depth > MAX_QUERY_DEPTH {
        return Err(ParseError::bad_value(el.tag, "nested too deep"));
    }
    let list = |el: &Element| -> Result<Vec<SearchQuery>, ParseError> {
        let mut out = Vec::new();
        for c in el.elements() {
            out.extend(read_query(c, depth + 1)?);
        }
        Ok(out)
    };
    let text = |el: &Element| el.text_content().unwrap_or_default();
    let q = match el.tag {
        t if t == s::AND => SearchQuery::And(list(el)?),
        t if t == s::OR => SearchQuery::Or(list(el)?),
        t if t == s::FREE_TEXT => SearchQuery::FreeText(text(el)),
        t if t == a::CLASS => SearchQuery::Class(text(el).trim().to_string()),
        t if t == a::COLLECTION_ID => SearchQuery::CollectionId(text(el).trim().to_string()),
        t if t == s::CONVERSATION_ID => SearchQuery::ConversationId(text_or_opaque(el)),
        t if t == s::EQUAL_TO => {
            let (property, value) = comparison(el)?;
            SearchQuery::EqualTo { property, value }
        }
        t if t == s::GREATER_THAN => {
            let (property, value) = comparison(el)?;
            SearchQuery::GreaterThan { property, value }
        }
        t if t == s::LESS_THAN => {
            let (property, value) = comparison(el)?;
            SearchQuery::LessThan { property, value }
        }
        _ => return Ok(None),
    };
    Ok(Some(q))
}

/// The `Options` of a Search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchOptions {
    pub range: Option<SearchRange>,
    /// MS-ASCMD 2.2.3.41.2: search subfolders of the named folder too.
    pub deep_traversal: bool,
    /// MS-ASCMD 2.2.3.144: run the query again instead of paging a cached result.
    pub rebuild_results: bool,
    pub mime_support: Option<MimeSupport>,
    pub body_preferences: Vec<BodyPreference>,
    pub body_part_preference: Option<BodyPreference>,
    pub rights_management_support: Option<bool>,
    /// GAL contact photos wanted (MS-ASCMD 2.2.3.135.3, protocol 14.1 and later).
    pub picture: Option<PictureRequest>,
}

/// A Search request. Only the first `Store` is read (MS-ASCMD allows one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchRequest {
    /// `Mailbox`, `GAL` or `DocumentLibrary` (MS-ASCMD 2.2.3.120.2).
    pub store_name: String,
    pub query: SearchQuery,
    pub options: SearchOptions,
}

impl SearchRequest {
    /// True for the global address list store (compared without case).
    pub fn is_gal(&self) -> bool {
        self.store_name.eq_ignore_ascii_case("GAL")
    }

    /// True for the mailbox store (compared without case).
    pub fn is_mailbox(&self) -> bool {
        self.store_name.eq_ignore_ascii_case("Mailbox")
    }

    /// Reads a request tree whose root is `Search`.
    pub fn from_element(root: &Element) -> Result<SearchRequest, ParseError> {
        expect_root(root, s::SEARCH)?;
        let store = root.child(s::STORE).ok_or(ParseError::Missing(s::STORE))?;
        let q = store.child(s::QUERY).ok_or(ParseError::Missing(s::QUERY))?;
        let mut parts = Vec::new();
        for c in q.elements() {
            parts.extend(read_query(c, 1)?);
        }
        let query = match parts.len() {
            0 => SearchQuery::Text(q.text_content().unwrap_or_default().trim().to_string()),
            1 => parts.remove(0),
            _ => SearchQuery::And(parts),
        };
        Ok(SearchRequest {
            store_name: required_id(store, s::NAME, 256)?,
            query,
            options: read_options(store.child(s::OPTIONS))?,
        })
    }
}

fn read_options(o: Option<&Element>) -> Result<SearchOptions, ParseError> {
    let Some(o) = o else {
        return Ok(SearchOptions::default());
    };
    let range = match o.child_text(s::RANGE) {
        None => None,
        Some(t) => Some(SearchRange::parse(&t).ok_or_else(|| ParseError::bad_value(s::RANGE, &t))?),
    };
    Ok(SearchOptions {
        range,
        deep_traversal: o.child(s::DEEP_TRAVERSAL).is_some(),
        rebuild_results: o.child(s::REBUILD_RESULTS).is_some(),
        mime_support: mime_support(o)?,
        body_preferences: body_preferences(o)?,
        body_part_preference: o
            .child(asb::BODY_PART_PREFERENCE)
            .map(BodyPreference::from_element)
            .transpose()?,
        rights_management_support: optional_bool(o, rm::RIGHTS_MANAGEMENT_SUPPORT)?,
        picture: PictureRequest::read(o, PictureTags::SEARCH)?,
    })
}
