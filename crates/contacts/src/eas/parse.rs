//! What a phone sent in the `ApplicationData` of a Sync `Add` or `Change` (MS-ASCNTC 3.1.5.3):
//! which fields were present, and with what.

use std::collections::BTreeMap;

use eas_protocol::body::BodyType;
use eas_protocol::datetime::EasDateTime;
use eas_protocol::status::SyncStatus;
use eas_protocol::ProtocolVersion;
use eas_wbxml::tags::{air_sync_base as asb, contacts as c};
use eas_wbxml::Element;

use super::{check_version, UnsupportedVersion, MAX_PICTURE_BASE64_LEN};
use crate::contact::{Field, FieldKind, Notes, NotesFormat, Picture};

/// MS-ASCNTC 2.2.2.20 (R183) and 2.2.2.22 (R194): at most 300 `Category` and 300 `Child`.
pub const MAX_LIST_ITEMS: usize = 300;

/// One field as the phone sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// The element was there with no value: the phone cleared the field (for `Picture`, see
    /// [`super::EmptyPicture`]).
    Empty,
    Text(String),
    /// A Birthday or Anniversary instant; which date it means is decided against the stored
    /// date ([`crate::ContactDate::from_instant`]).
    Date(EasDateTime),
    /// `Categories` or `Children` with at least one value.
    List(Vec<String>),
    Picture(Picture),
    Notes(Notes),
}

/// The fields present in a phone's `ApplicationData`; a field not in the map was not sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactChange {
    pub fields: BTreeMap<Field, Incoming>,
}

impl ContactChange {
    pub fn get(&self, field: Field) -> Option<&Incoming> {
        self.fields.get(&field)
    }

    pub fn contains(&self, field: Field) -> bool {
        self.fields.contains_key(&field)
    }
}

/// Contact data a phone sent that the server cannot take.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error(transparent)]
    UnsupportedVersion(#[from] UnsupportedVersion),
    #[error("{field:?} is not a dateTime: {value:?}")]
    BadDate { field: Field, value: String },
    #[error("Picture is not base64")]
    BadPicture,
    /// MS-ASCNTC 2.2.2.58 (R384): over 48 KB of base64.
    #[error(
        "Picture has {base64_len} characters of base64; the limit is {MAX_PICTURE_BASE64_LEN}"
    )]
    PictureTooLarge { base64_len: usize },
    #[error("{field:?} has {count} values; the limit is {MAX_LIST_ITEMS}")]
    TooManyValues { field: Field, count: usize },
    #[error("airsyncbase:Body has an unknown Type {0:?}")]
    BadBodyType(String),
}

impl ParseError {
    /// The Sync status of the item (MS-ASCMD 2.2.3.177.17): 6, "error in client/server
    /// conversion", for every invalid item; R384 names it for a picture over the limit.
    pub fn sync_status(&self) -> SyncStatus {
        match self {
            ParseError::UnsupportedVersion(_) => SyncStatus::ProtocolError,
            _ => SyncStatus::ConversionError,
        }
    }
}

/// Reads the children of `ApplicationData`. Elements of other classes are skipped, as are
/// `Alias` and `WeightedRank` (server-written, recipient information cache only); the first of
/// two copies of an element wins.
pub fn parse(elements: &[Element], version: ProtocolVersion) -> Result<ContactChange, ParseError> {
    check_version(version)?;
    let mut change = ContactChange::default();
    for el in elements {
        let Some(field) = Field::from_tag(el.tag) else {
            continue;
        };
        if change.fields.contains_key(&field) {
            continue;
        }
        change.fields.insert(field, incoming(field, el)?);
    }
    Ok(change)
}

fn text_of(el: &Element) -> String {
    el.text_content().unwrap_or_default()
}

fn incoming(field: Field, el: &Element) -> Result<Incoming, ParseError> {
    Ok(match field.kind() {
        FieldKind::Text => {
            let t = text_of(el);
            if t.trim().is_empty() {
                Incoming::Empty
            } else {
                Incoming::Text(t)
            }
        }
        FieldKind::Date => {
            let t = text_of(el);
            if t.trim().is_empty() {
                Incoming::Empty
            } else {
                let instant = EasDateTime::parse(&t).ok_or_else(|| ParseError::BadDate {
                    field,
                    value: t.chars().take(64).collect(),
                })?;
                Incoming::Date(instant)
            }
        }
        FieldKind::List => {
            let item = if field == Field::Categories {
                c::CATEGORY
            } else {
                c::CHILD
            };
            let values: Vec<String> = el
                .children_of(item)
                .map(text_of)
                .filter(|v| !v.trim().is_empty())
                .collect();
            if values.len() > MAX_LIST_ITEMS {
                return Err(ParseError::TooManyValues {
                    field,
                    count: values.len(),
                });
            }
            if values.is_empty() {
                Incoming::Empty
            } else {
                Incoming::List(values)
            }
        }
        FieldKind::Picture => {
            // R374: base64 text; some encoders send it as opaque bytes of that text.
            let text = match el.opaque_content() {
                Some(b) => String::from_utf8_lossy(b).into_owned(),
                None => text_of(el),
            };
            let compact_len = text.chars().filter(|c| !c.is_ascii_whitespace()).count();
            if compact_len == 0 {
                Incoming::Empty
            } else if compact_len > MAX_PICTURE_BASE64_LEN {
                return Err(ParseError::PictureTooLarge {
                    base64_len: compact_len,
                });
            } else {
                Incoming::Picture(Picture::from_base64(&text).ok_or(ParseError::BadPicture)?)
            }
        }
        FieldKind::Body => body(el)?,
    })
}

/// `airsyncbase:Body` of a request: `Type` and `Data` (MS-ASAIRS 2.2.2.9). Without `Data`, or
/// with empty data, the notes were cleared.
fn body(el: &Element) -> Result<Incoming, ParseError> {
    let data = el.child(asb::DATA).map(text_of).unwrap_or_default();
    if data.is_empty() {
        return Ok(Incoming::Empty);
    }
    let kind = el
        .child_text(asb::TYPE)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let format = match kind {
        None => NotesFormat::Plain,
        Some(t) => match t.parse::<u8>().ok().and_then(BodyType::from_code) {
            Some(BodyType::PlainText) => NotesFormat::Plain,
            Some(BodyType::Html) => NotesFormat::Html,
            Some(BodyType::Rtf) => NotesFormat::Rtf,
            _ => return Err(ParseError::BadBodyType(t)),
        },
    };
    Ok(Incoming::Notes(Notes { format, text: data }))
}
