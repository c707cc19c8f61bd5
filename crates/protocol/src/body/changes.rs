//! What a 16.x client asks of an item's attachments in a Sync `Add` or `Change` (MS-ASAIRS
//! 2.2.2.8 `Attachments` with `Add` 2.2.2.2 and `Delete` 2.2.2.21; calendar items and draft
//! email), and the `Attachment` the server answers an added one with (`ClientId` and
//! `FileReference`, R1082, R1324 to R1326).

use eas_wbxml::tags::air_sync_base as asb;
use eas_wbxml::Element;

use super::AttachmentMethod;
use crate::error::{optional_bool, optional_text, text_or_opaque, ParseError};

/// One `Add` (MS-ASAIRS 2.2.2.2): a new attachment with its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentAdd {
    /// MS-ASAIRS 2.2.2.14 (R1009, required): the client's temporary name for it, answered with
    /// the server's `FileReference`.
    pub client_id: String,
    /// MS-ASAIRS 2.2.2.31.1; 1 (normal) when the client left it out.
    pub method: AttachmentMethod,
    /// MS-ASAIRS 2.2.2.18.1.
    pub content_type: Option<String>,
    /// MS-ASAIRS 2.2.2.15 (R1010, required): the bytes, opaque data in WBXML (R1088).
    pub content: Vec<u8>,
    /// MS-ASAIRS 2.2.2.22.1.
    pub display_name: Option<String>,
    /// MS-ASAIRS 2.2.2.16.1.
    pub content_id: Option<String>,
    /// MS-ASAIRS 2.2.2.17.1.
    pub content_location: Option<String>,
    /// MS-ASAIRS 2.2.2.26.1.
    pub is_inline: bool,
}

/// The `Add`s and `Delete`s of one `Attachments` element of a request, in document order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttachmentChanges {
    pub adds: Vec<AttachmentAdd>,
    /// The `FileReference` of each `Delete` (MS-ASAIRS 2.2.2.24.2, R1141).
    pub deletes: Vec<String>,
}

impl AttachmentChanges {
    /// Whether the element asked for nothing.
    pub fn is_empty(&self) -> bool {
        self.adds.is_empty() && self.deletes.is_empty()
    }

    /// Reads a request's `Attachments`. A missing `ClientId` or `Content` of an `Add`, or a
    /// missing or empty `FileReference` of a `Delete`, is [`ParseError::Missing`]; a `Method`
    /// that is not 1, 5 or 6, two `Add`s with one `ClientId` and a bad `IsInline` are
    /// [`ParseError::BadValue`] (a Sync answers both with status 6, MS-ASAIRS R347, R10027).
    /// `Attachment` elements, which only a server writes (R88), are skipped.
    pub fn from_element(el: &Element) -> Result<AttachmentChanges, ParseError> {
        let mut out = AttachmentChanges::default();
        for child in el.elements() {
            if child.tag == asb::ADD {
                let add = attachment_add(child)?;
                if out.adds.iter().any(|a| a.client_id == add.client_id) {
                    return Err(ParseError::bad_value(asb::CLIENT_ID, &add.client_id));
                }
                out.adds.push(add);
            } else if child.tag == asb::DELETE {
                let reference = optional_text(child, asb::FILE_REFERENCE)
                    .filter(|r| !r.is_empty())
                    .ok_or(ParseError::Missing(asb::FILE_REFERENCE))?;
                out.deletes.push(reference);
            }
        }
        Ok(out)
    }
}

fn attachment_add(el: &Element) -> Result<AttachmentAdd, ParseError> {
    let client_id = optional_text(el, asb::CLIENT_ID)
        .filter(|c| !c.is_empty())
        .ok_or(ParseError::Missing(asb::CLIENT_ID))?;
    let content = el
        .child(asb::CONTENT)
        .map(text_or_opaque)
        .ok_or(ParseError::Missing(asb::CONTENT))?;
    let method = match optional_text(el, asb::METHOD).filter(|m| !m.is_empty()) {
        None => AttachmentMethod::Normal,
        Some(m) => m
            .parse::<u8>()
            .ok()
            .and_then(AttachmentMethod::from_code)
            .ok_or_else(|| ParseError::bad_value(asb::METHOD, &m))?,
    };
    let text = |tag| optional_text(el, tag).filter(|t| !t.is_empty());
    Ok(AttachmentAdd {
        client_id,
        method,
        content_type: text(asb::CONTENT_TYPE),
        content,
        display_name: text(asb::DISPLAY_NAME),
        content_id: text(asb::CONTENT_ID),
        content_location: text(asb::CONTENT_LOCATION),
        is_inline: optional_bool(el, asb::IS_INLINE)?.unwrap_or(false),
    })
}

/// The `Attachments` of a Sync `Add` response at 16.x (MS-ASAIRS R1082, R1324 to R1326): one
/// `Attachment` with the client's `ClientId` and the server's `FileReference` per attachment
/// the request added; `None` for none (the element may not be empty).
pub fn added_attachments_element<'a>(
    added: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<Element> {
    let mut el = Element::new(asb::ATTACHMENTS);
    for (client_id, file_reference) in added {
        el.push(
            Element::new(asb::ATTACHMENT)
                .with_text(asb::CLIENT_ID, client_id)
                .with_text(asb::FILE_REFERENCE, file_reference),
        );
    }
    let any = el.elements().next().is_some();
    any.then_some(el)
}
