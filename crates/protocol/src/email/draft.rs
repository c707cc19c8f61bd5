//! A draft as a 16.0+ client writes it in a Sync `Add` or `Change` of the Drafts folder
//! (MS-ASEMAIL 2.2.2 draft elements, 3.1.5.3; MS-ASCMD 2.2.3.7.2, 2.2.3.24): the addressing,
//! subject, importance and body it sets, and whether `email2:Send` asks for it to be sent.

use eas_wbxml::tags::{air_sync_base as asb, email as e, email2 as e2};
use eas_wbxml::Element;

use super::Importance;
use crate::body::BodyType;
use crate::error::{bool_value, optional_number, text_or_opaque, ParseError};

/// The body a client gives a draft (MS-ASAIRS 2.2.2.9 Body with Type and Data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftBody {
    /// Plain text, HTML, or a whole MIME message (MS-ASAIRS 2.2.2.22.1, Type 1, 2 or 4).
    pub body_type: BodyType,
    pub data: Vec<u8>,
}

/// The fields of a draft in a client's `ApplicationData`. `None` means "not sent": in an Add
/// the field is empty, in a Change it keeps its value (MS-ASEMAIL 3.1.5.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DraftFields {
    /// RFC 5322 address lists, as the client wrote them.
    pub to: Option<String>,
    pub cc: Option<String>,
    pub bcc: Option<String>,
    pub subject: Option<String>,
    pub importance: Option<Importance>,
    pub read: Option<bool>,
    pub body: Option<DraftBody>,
    /// MS-ASEMAIL 2.2.2.69: present when the draft is to be sent.
    pub send: bool,
    /// AirSyncBase `Attachments` with an `Add` or `Delete` was sent (MS-ASAIRS 2.2.2.7); this
    /// server does not take attachment changes in a draft yet.
    pub attachment_changes: bool,
}

impl DraftFields {
    /// Reads the children of a client's `ApplicationData`. Elements a draft does not carry
    /// (flags, categories) are left to the caller.
    pub fn from_application_data(data: &[Element]) -> Result<DraftFields, ParseError> {
        let mut out = DraftFields::default();
        for el in data {
            let text = || el.text_content().unwrap_or_default();
            match el.tag {
                t if t == e::TO => out.to = Some(text()),
                t if t == e::CC => out.cc = Some(text()),
                t if t == e2::BCC => out.bcc = Some(text()),
                t if t == e::SUBJECT => out.subject = Some(text()),
                t if t == e::READ => out.read = Some(bool_value(e::READ, &text())?),
                t if t == e2::SEND => out.send = true,
                t if t == e::IMPORTANCE => {
                    out.importance = Some(match text().trim() {
                        "0" => Importance::Low,
                        "1" => Importance::Normal,
                        "2" => Importance::High,
                        other => return Err(ParseError::bad_value(e::IMPORTANCE, other)),
                    })
                }
                t if t == asb::BODY => {
                    let code: u8 =
                        optional_number(el, asb::TYPE)?.ok_or(ParseError::Missing(asb::TYPE))?;
                    let body_type = match BodyType::from_code(code) {
                        Some(b @ (BodyType::PlainText | BodyType::Html | BodyType::Mime)) => b,
                        _ => return Err(ParseError::bad_value(asb::TYPE, &code.to_string())),
                    };
                    let data = el.child(asb::DATA).map(text_or_opaque).unwrap_or_default();
                    out.body = Some(DraftBody { body_type, data });
                }
                t if t == asb::ATTACHMENTS => {
                    out.attachment_changes =
                        el.child(asb::ADD).is_some() || el.child(asb::DELETE).is_some()
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_wbxml::{decode, encode};

    #[test]
    fn a_draft_add_is_read_with_its_addresses_body_and_send() {
        let data = Element::new(eas_wbxml::tags::air_sync::APPLICATION_DATA)
            .with_text(e::TO, "Anna <asmith@example.loc>")
            .with_text(e2::BCC, "boss@example.loc")
            .with_text(e::SUBJECT, "plan")
            .with_text(e::IMPORTANCE, "2")
            .with(
                Element::new(asb::BODY)
                    .with_text(asb::TYPE, "1")
                    .with_text(asb::DATA, "hello"),
            )
            .with(Element::new(e2::SEND));
        let data = decode(&encode(&data)).expect("round trip");
        let d = DraftFields::from_application_data(&data.elements().cloned().collect::<Vec<_>>())
            .expect("parses");
        assert_eq!(d.to.as_deref(), Some("Anna <asmith@example.loc>"));
        assert_eq!(d.bcc.as_deref(), Some("boss@example.loc"));
        assert_eq!(d.cc, None);
        assert_eq!(d.importance, Some(Importance::High));
        assert_eq!(
            d.body,
            Some(DraftBody {
                body_type: BodyType::PlainText,
                data: b"hello".to_vec()
            })
        );
        assert!(d.send);
        assert!(!d.attachment_changes);
    }

    #[test]
    fn a_draft_with_an_rtf_body_or_a_bad_importance_is_refused() {
        let rtf = [Element::new(asb::BODY)
            .with_text(asb::TYPE, "3")
            .with_text(asb::DATA, "x")];
        assert!(DraftFields::from_application_data(&rtf).is_err());
        let bad = [Element::text(e::IMPORTANCE, "9")];
        assert!(DraftFields::from_application_data(&bad).is_err());
    }
}
