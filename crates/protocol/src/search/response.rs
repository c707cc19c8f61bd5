//! The Search response (MS-ASCMD 2.2.1.16): a global status, then the store's status, results,
//! range and total, and the GAL entry properties of MS-ASCMD 2.2.3.139.3.

use eas_wbxml::tags::{air_sync as a, gal as g, search as s};
use eas_wbxml::Element;

use super::request::SearchRange;
use crate::error::ParseError;
use crate::picture::{Picture, PictureTags};
use crate::status::SearchStatus;

/// One `Result`. A result with nothing in it writes the empty `<Result/>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchResult {
    /// `Email` for mailbox results; absent for GAL.
    pub class: Option<String>,
    /// The id to pass to ItemOperations Fetch or the smart commands.
    pub long_id: Option<String>,
    pub collection_id: Option<String>,
    /// The item's properties (e.g. [`crate::email::Email::properties`] or
    /// [`GalEntry::properties`]).
    pub properties: Vec<Element>,
}

impl SearchResult {
    /// A GAL result: properties only.
    pub fn gal(entry: &GalEntry) -> SearchResult {
        SearchResult {
            properties: entry.properties(),
            ..SearchResult::default()
        }
    }

    /// The element: Class, LongId, CollectionId, Properties (SearchResponse.xsd).
    pub fn to_element(&self) -> Element {
        let text = |tag, v: &Option<String>| v.as_ref().map(|v| Element::text(tag, v));
        let properties = (!self.properties.is_empty()).then(|| {
            let mut p = Element::new(s::PROPERTIES);
            for e in &self.properties {
                p.push(e.clone());
            }
            p
        });
        Element::new(s::RESULT)
            .with_opt(text(a::CLASS, &self.class))
            .with_opt(text(s::LONG_ID, &self.long_id))
            .with_opt(text(a::COLLECTION_ID, &self.collection_id))
            .with_opt(properties)
    }
}

/// The `Store` of a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreResult {
    pub status: SearchStatus,
    /// MS-ASCMD 2.2.3.155.3 (R3847): no `Result` when nothing matched. (R3850 asks for an
    /// empty one for the mailbox; push `SearchResult::default()` for that.)
    pub results: Vec<SearchResult>,
    /// The range actually returned.
    pub range: Option<SearchRange>,
    /// How many entries matched in all.
    pub total: Option<u32>,
}

/// A Search response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchResponse {
    /// MS-ASCMD 2.2.3.177.13 (R4321): 1 or 3 for the request as a whole.
    pub status: SearchStatus,
    pub store: Option<StoreResult>,
}

impl SearchResponse {
    /// A request-wide failure: status only.
    pub fn status_only(status: SearchStatus) -> SearchResponse {
        SearchResponse {
            status,
            store: None,
        }
    }

    /// The response tree: Status, Response/Store/{Status, Result*, Range, Total}.
    pub fn to_element(&self) -> Element {
        let root = Element::new(s::SEARCH).with_text(s::STATUS, self.status.to_string());
        let Some(store) = &self.store else {
            return root;
        };
        let mut el = Element::new(s::STORE).with_text(s::STATUS, store.status.to_string());
        for r in &store.results {
            el.push(r.to_element());
        }
        let el = el
            .with_opt(store.range.map(|r| Element::text(s::RANGE, r.to_string())))
            .with_opt(store.total.map(|t| Element::text(s::TOTAL, t.to_string())));
        root.with(Element::new(s::RESPONSE).with(el))
    }
}

/// A global address list entry (MS-ASCMD 2.2.3.139.3, GAL namespace; gal:Picture from 14.1,
/// MS-ASCMD 2.2.3.135.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GalEntry {
    pub display_name: Option<String>,
    pub phone: Option<String>,
    pub office: Option<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    pub alias: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub home_phone: Option<String>,
    pub mobile_phone: Option<String>,
    pub email_address: Option<String>,
    /// Set only when the phone asked for photos (Options/Picture).
    pub picture: Option<Picture>,
}

impl GalEntry {
    /// The GAL properties; MS-ASCMD 2.2.3.155.3 (R3848) wants only non-empty ones, so empty
    /// strings are left out too.
    pub fn properties(&self) -> Vec<Element> {
        [
            (g::DISPLAY_NAME, &self.display_name),
            (g::PHONE, &self.phone),
            (g::OFFICE, &self.office),
            (g::TITLE, &self.title),
            (g::COMPANY, &self.company),
            (g::ALIAS, &self.alias),
            (g::FIRST_NAME, &self.first_name),
            (g::LAST_NAME, &self.last_name),
            (g::HOME_PHONE, &self.home_phone),
            (g::MOBILE_PHONE, &self.mobile_phone),
            (g::EMAIL_ADDRESS, &self.email_address),
        ]
        .into_iter()
        .filter_map(|(tag, v)| {
            v.as_ref()
                .filter(|v| !v.is_empty())
                .map(|v| Element::text(tag, v))
        })
        .chain(
            self.picture
                .as_ref()
                .map(|p| p.to_element(PictureTags::SEARCH)),
        )
        .collect()
    }

    /// Reads the `Properties` of a GAL result, as a client does; unknown elements are skipped.
    pub fn from_properties(properties: &Element) -> Result<GalEntry, ParseError> {
        let mut entry = GalEntry::default();
        for el in properties.elements() {
            let field = match el.tag {
                t if t == g::DISPLAY_NAME => &mut entry.display_name,
                t if t == g::PHONE => &mut entry.phone,
                t if t == g::OFFICE => &mut entry.office,
                t if t == g::TITLE => &mut entry.title,
                t if t == g::COMPANY => &mut entry.company,
                t if t == g::ALIAS => &mut entry.alias,
                t if t == g::FIRST_NAME => &mut entry.first_name,
                t if t == g::LAST_NAME => &mut entry.last_name,
                t if t == g::HOME_PHONE => &mut entry.home_phone,
                t if t == g::MOBILE_PHONE => &mut entry.mobile_phone,
                t if t == g::EMAIL_ADDRESS => &mut entry.email_address,
                t if t == g::PICTURE => {
                    entry.picture = Some(Picture::from_element(el, PictureTags::SEARCH)?);
                    continue;
                }
                _ => continue,
            };
            *field = el.text_content();
        }
        Ok(entry)
    }
}
