//! AirSyncBase body and attachment elements (MS-ASAIRS): the client's `BodyPreference`, the
//! `Body` and `Attachments` a response carries, and the choice of body for a preference list.

mod changes;
mod select;

pub use changes::{added_attachments_element, AttachmentAdd, AttachmentChanges};
pub use select::{select_body, truncate_utf8, AvailableBodies};

use eas_wbxml::tags::{air_sync_base as asb, item_operations as io};
use eas_wbxml::Element;

use crate::error::{optional_bool, optional_number, required_number, ParseError};

/// MS-ASAIRS 2.2.2.41: the body types of `Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum BodyType {
    PlainText = 1,
    Html = 2,
    Rtf = 3,
    Mime = 4,
}

impl BodyType {
    /// The numeric value of `Type`.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The type for a numeric value, if it is defined.
    pub fn from_code(code: u8) -> Option<BodyType> {
        match code {
            1 => Some(BodyType::PlainText),
            2 => Some(BodyType::Html),
            3 => Some(BodyType::Rtf),
            4 => Some(BodyType::Mime),
            _ => None,
        }
    }
}

/// A `BodyPreference` (MS-ASAIRS 2.2.2.12) or `BodyPartPreference` (2.2.2.11) of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyPreference {
    pub body_type: BodyType,
    /// Bytes of body data the client wants at most; `None` for the whole body.
    pub truncation_size: Option<u32>,
    /// MS-ASAIRS 2.2.2.3: send nothing of this type rather than a truncated body.
    pub all_or_none: bool,
    /// Characters of plain-text preview wanted (0 to 255, 14.0 and later).
    pub preview: Option<u8>,
}

impl BodyPreference {
    /// A preference for a whole body of one type.
    pub fn new(body_type: BodyType) -> BodyPreference {
        BodyPreference {
            body_type,
            truncation_size: None,
            all_or_none: false,
            preview: None,
        }
    }

    /// Reads a `BodyPreference` or `BodyPartPreference` element.
    pub fn from_element(el: &Element) -> Result<BodyPreference, ParseError> {
        let code: u8 = required_number(el, asb::TYPE)?;
        let body_type = BodyType::from_code(code)
            .ok_or_else(|| ParseError::bad_value(asb::TYPE, &code.to_string()))?;
        Ok(BodyPreference {
            body_type,
            truncation_size: optional_number(el, asb::TRUNCATION_SIZE)?,
            all_or_none: optional_bool(el, asb::ALL_OR_NONE)?.unwrap_or(false),
            preview: optional_number(el, asb::PREVIEW)?,
        })
    }

    /// Writes the element under `tag` (`BodyPreference` or `BodyPartPreference`), in the order
    /// of AirSyncBase.xsd.
    pub fn to_element(&self, tag: eas_wbxml::Tag) -> Element {
        Element::new(tag)
            .with_text(asb::TYPE, self.body_type.code().to_string())
            .with_opt(
                self.truncation_size
                    .map(|t| Element::text(asb::TRUNCATION_SIZE, t.to_string())),
            )
            .with_opt(
                self.all_or_none
                    .then(|| Element::text(asb::ALL_OR_NONE, "1")),
            )
            .with_opt(
                self.preview
                    .map(|p| Element::text(asb::PREVIEW, p.to_string())),
            )
    }
}

/// Every `BodyPreference` child of `parent`, in the client's order.
pub(crate) fn body_preferences(parent: &Element) -> Result<Vec<BodyPreference>, ParseError> {
    parent
        .children_of(asb::BODY_PREFERENCE)
        .map(BodyPreference::from_element)
        .collect()
}

/// An `airsyncbase:Body` of a response (MS-ASAIRS 2.2.2.9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    pub body_type: BodyType,
    /// MS-ASAIRS 2.2.2.23: the size in bytes of the whole body, truncated or not.
    pub estimated_data_size: u32,
    pub truncated: bool,
    /// `None` when the body is left out (AllOrNone with too large a body).
    pub data: Option<String>,
    /// Plain-text preview (14.0 and later).
    pub preview: Option<String>,
    /// In a multipart ItemOperations response, the part that holds the data, written as
    /// `itemoperations:Part` in place of `Data` (MS-ASCMD 2.2.3.130, MS-ASAIRS 2.2.2.33).
    pub part: Option<u32>,
}

impl Body {
    /// The element, in the order of AirSyncBase.xsd: Type, EstimatedDataSize, Truncated, Data,
    /// Preview. `Truncated` is written only when true (MS-ASAIRS 2.2.2.39.1: absent means not).
    pub fn to_element(&self) -> Element {
        Element::new(asb::BODY)
            .with_text(asb::TYPE, self.body_type.code().to_string())
            .with_text(
                asb::ESTIMATED_DATA_SIZE,
                self.estimated_data_size.to_string(),
            )
            .with_opt(self.truncated.then(|| Element::text(asb::TRUNCATED, "1")))
            .with_opt(match self.part {
                Some(n) => Some(Element::text(io::PART, n.to_string())),
                None => self.data.as_ref().map(|d| Element::text(asb::DATA, d)),
            })
            .with_opt(
                self.preview
                    .as_ref()
                    .map(|p| Element::text(asb::PREVIEW, p)),
            )
    }
}

/// MS-ASAIRS 2.2.2.31: how an attachment is attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AttachmentMethod {
    Normal = 1,
    EmbeddedMessage = 5,
    Ole = 6,
}

impl AttachmentMethod {
    /// The numeric value of `Method`.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// MS-ASAIRS 2.2.2.31.2: 1, 5 or 6; 2 to 4 are reserved (R226 to R228).
    pub const fn from_code(code: u8) -> Option<AttachmentMethod> {
        match code {
            1 => Some(AttachmentMethod::Normal),
            5 => Some(AttachmentMethod::EmbeddedMessage),
            6 => Some(AttachmentMethod::Ole),
            _ => None,
        }
    }
}

/// An `airsyncbase:Attachment` of a response (MS-ASAIRS 2.2.2.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub display_name: Option<String>,
    /// What the client later passes to ItemOperations Fetch.
    pub file_reference: String,
    pub method: AttachmentMethod,
    /// Required (MS-ASAIRS 2.2.2.23.1); PHONE_FLOWS.md: always send it, Android relies on it.
    pub estimated_data_size: u32,
    pub content_id: Option<String>,
    pub content_location: Option<String>,
    pub is_inline: bool,
}

impl Attachment {
    /// The `Attachment` element; its children may come in any order (`xs:all`).
    pub fn to_element(&self) -> Element {
        Element::new(asb::ATTACHMENT)
            .with_opt(
                self.display_name
                    .as_ref()
                    .map(|n| Element::text(asb::DISPLAY_NAME, n)),
            )
            .with_text(asb::FILE_REFERENCE, &self.file_reference)
            .with_text(asb::METHOD, (self.method as u8).to_string())
            .with_text(
                asb::ESTIMATED_DATA_SIZE,
                self.estimated_data_size.to_string(),
            )
            .with_opt(
                self.content_id
                    .as_ref()
                    .map(|c| Element::text(asb::CONTENT_ID, c)),
            )
            .with_opt(
                self.content_location
                    .as_ref()
                    .map(|c| Element::text(asb::CONTENT_LOCATION, c)),
            )
            .with_opt(self.is_inline.then(|| Element::text(asb::IS_INLINE, "1")))
    }
}

/// The `Attachments` element for a list; `None` when there are none (the element may not be
/// empty).
pub fn attachments_element(list: &[Attachment]) -> Option<Element> {
    (!list.is_empty()).then(|| {
        let mut el = Element::new(asb::ATTACHMENTS);
        for a in list {
            el.push(a.to_element());
        }
        el
    })
}

#[cfg(test)]
mod tests;
