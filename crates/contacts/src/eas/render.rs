//! A contact as Contact-class elements (MS-ASCNTC 2.2.2, R493/R494): the children of
//! `airsync:ApplicationData` in Sync, of `Properties` in ItemOperations and Search.

use eas_protocol::body::{select_body, AvailableBodies, Body, BodyPreference, BodyType};
use eas_protocol::ProtocolVersion;
use eas_wbxml::tags::contacts as c;
use eas_wbxml::Element;

use super::{check_version, picture_fits, UnsupportedVersion};
use crate::contact::{Contact, Field, FieldKind, FieldSet, NotesFormat};

/// How to render.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions<'a> {
    /// The collection's `BodyPreference` list, for the notes (MS-ASCNTC 3.1.5.4).
    pub body_preferences: &'a [BodyPreference],
    /// The hour (UTC) written in Birthday and Anniversary; 0 (midnight) suits every client in
    /// PIM_FACTS 3.1 except BlackBerry 10 (11).
    pub date_hour_utc: u8,
    /// MS-ASCNTC 3.2.5.1 (R485): an ItemOperations `Schema` restricts the elements returned.
    pub schema: Option<&'a FieldSet>,
}

/// The elements of `contact` for `version`, notes chosen and truncated for `body_preferences`.
pub fn render(
    contact: &Contact,
    version: ProtocolVersion,
    body_preferences: &[BodyPreference],
) -> Result<Vec<Element>, UnsupportedVersion> {
    render_with(
        contact,
        version,
        &RenderOptions {
            body_preferences,
            ..RenderOptions::default()
        },
    )
}

/// [`render`] with every option.
///
/// - Empty values are left out; `Categories` and `Children` only with at least one value
///   (R517: a `Categories` element needs a `Category`).
/// - A picture over the 48 KB limit (MS-ASCNTC 2.2.2.58) is not sent; [`super::apply`] then
///   keeps it when the phone's change leaves `Picture` out.
/// - Notes: [`select_body`] for the preferences (plain text in full without any), truncated on
///   a character boundary with `Truncated` and the full `EstimatedDataSize`; no `Preview` before
///   14.0. RTF notes go only to a client that asks for RTF.
pub fn render_with(
    contact: &Contact,
    version: ProtocolVersion,
    options: &RenderOptions<'_>,
) -> Result<Vec<Element>, UnsupportedVersion> {
    check_version(version)?;
    let wanted = |f: Field| options.schema.is_none_or(|s| s.contains(f));
    let mut out = Vec::new();
    for field in Field::ALL.iter().copied().filter(|f| wanted(*f)) {
        let el = match field.kind() {
            FieldKind::Text => contact.text(field).map(|v| Element::text(field.tag(), v)),
            FieldKind::Date => contact
                .date(field)
                .map(|d| Element::text(field.tag(), d.to_eas_at_hour(options.date_hour_utc))),
            FieldKind::List => list_element(field, contact.list(field)),
            FieldKind::Picture => contact
                .picture
                .as_ref()
                .filter(|p| picture_fits(&p.0))
                .map(|p| Element::text(c::PICTURE, p.to_base64())),
            FieldKind::Body => {
                notes_body(contact, version, options.body_preferences).map(|b| b.to_element())
            }
        };
        out.extend(el);
    }
    Ok(out)
}

fn list_element(field: Field, values: &[String]) -> Option<Element> {
    let item = match field {
        Field::Categories => c::CATEGORY,
        _ => c::CHILD,
    };
    (!values.is_empty()).then(|| {
        let mut el = Element::new(field.tag());
        for v in values {
            el.push_text(item, v);
        }
        el
    })
}

fn notes_body(
    contact: &Contact,
    version: ProtocolVersion,
    prefs: &[BodyPreference],
) -> Option<Body> {
    let notes = contact.notes.as_ref()?;
    let mut body = match notes.format {
        // Compressed RTF is base64 and cannot be cut; it goes whole, to RTF clients only.
        NotesFormat::Rtf => {
            prefs.iter().find(|p| p.body_type == BodyType::Rtf)?;
            Body {
                body_type: BodyType::Rtf,
                estimated_data_size: u32::try_from(notes.text.len()).unwrap_or(u32::MAX),
                truncated: false,
                data: Some(notes.text.clone()),
                preview: None,
                part: None,
            }
        }
        format => {
            let (plain, html) = match format {
                NotesFormat::Html => (None, Some(notes.text.as_str())),
                _ => (Some(notes.text.as_str()), None),
            };
            let available = AvailableBodies {
                plain,
                html,
                mime: None,
                native: if html.is_some() {
                    BodyType::Html
                } else {
                    BodyType::PlainText
                },
            };
            select_body(prefs, &available)?
        }
    };
    if version < ProtocolVersion::V14_0 {
        body.preview = None;
    }
    Some(body)
}
