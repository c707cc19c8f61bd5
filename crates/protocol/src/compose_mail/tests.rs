//! Tests of SendMail, SmartReply and SmartForward in both forms.

use eas_wbxml::tags::{compose_mail as c, ping};
use eas_wbxml::{decode, encode, Element};

use super::*;

const MIME: &[u8] =
    b"From: jane@example.com\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\nhello\r\n";

fn parse(tree: &Element) -> Result<ComposeMailRequest, ParseError> {
    ComposeMailRequest::from_element(&decode(&encode(tree)).expect("decodes"))
}

#[test]
fn an_aosp_14_send_mail_gives_client_id_save_flag_and_opaque_mime() {
    let tree = Element::new(c::SEND_MAIL)
        .with_text(c::CLIENT_ID, "1700000000000")
        .with(Element::new(c::SAVE_IN_SENT_ITEMS))
        .with(Element::opaque(c::MIME, MIME));
    let req = parse(&tree).expect("parses");
    assert_eq!(req.kind, ComposeKind::SendMail);
    assert_eq!(req.client_id.as_deref(), Some("1700000000000"));
    assert!(req.save_in_sent_items);
    assert!(!req.replace_mime);
    assert_eq!(req.source, None);
    assert_eq!(req.mime, MIME);
}

#[test]
fn an_aosp_smart_reply_names_the_original_by_item_and_folder_or_long_id() {
    let tree = Element::new(c::SMART_REPLY)
        .with_text(c::CLIENT_ID, "42")
        .with(Element::new(c::SAVE_IN_SENT_ITEMS))
        .with(
            Element::new(c::SOURCE)
                .with_text(c::ITEM_ID, "5:12")
                .with_text(c::FOLDER_ID, "5"),
        )
        .with_text(c::MIME, String::from_utf8_lossy(MIME));
    let req = parse(&tree).expect("parses");
    assert_eq!(req.kind, ComposeKind::SmartReply);
    let source = req.source.expect("source");
    assert_eq!(source.item_id.as_deref(), Some("5:12"));
    assert_eq!(source.folder_id.as_deref(), Some("5"));
    assert_eq!(req.mime, MIME);
    let tree = Element::new(c::SMART_FORWARD)
        .with_text(c::CLIENT_ID, "43")
        .with(Element::new(c::REPLACE_MIME))
        .with(Element::new(c::SOURCE).with_text(c::LONG_ID, "RgAAAA"))
        .with(Element::opaque(c::MIME, MIME));
    let req = parse(&tree).expect("parses");
    assert!(req.replace_mime);
    assert_eq!(
        req.source.and_then(|s| s.long_id).as_deref(),
        Some("RgAAAA")
    );
}

#[test]
fn malformed_requests_name_the_element() {
    let no_client_id = Element::new(c::SEND_MAIL).with(Element::opaque(c::MIME, MIME));
    assert_eq!(parse(&no_client_id), Err(ParseError::Missing(c::CLIENT_ID)));
    let long_client_id = Element::new(c::SEND_MAIL)
        .with_text(c::CLIENT_ID, "x".repeat(41))
        .with(Element::opaque(c::MIME, MIME));
    assert!(matches!(
        parse(&long_client_id),
        Err(ParseError::BadValue { tag, .. }) if tag == c::CLIENT_ID
    ));
    let no_mime = Element::new(c::SEND_MAIL).with_text(c::CLIENT_ID, "1");
    assert_eq!(parse(&no_mime), Err(ParseError::Missing(c::MIME)));
    let no_source = Element::new(c::SMART_REPLY)
        .with_text(c::CLIENT_ID, "1")
        .with(Element::opaque(c::MIME, MIME));
    assert_eq!(parse(&no_source), Err(ParseError::Missing(c::SOURCE)));
    let empty_source = Element::new(c::SMART_FORWARD)
        .with_text(c::CLIENT_ID, "1")
        .with(Element::new(c::SOURCE).with_text(c::FOLDER_ID, "5"))
        .with(Element::opaque(c::MIME, MIME));
    assert_eq!(parse(&empty_source), Err(ParseError::Missing(c::ITEM_ID)));
    assert!(matches!(
        parse(&Element::new(ping::PING)),
        Err(ParseError::WrongRoot { .. })
    ));
}

#[test]
fn the_pre_14_form_takes_its_parameters_from_the_query() {
    let params = Params {
        item_id: Some("5:12".into()),
        collection_id: Some("5".into()),
        save_in_sent: true,
        ..Params::default()
    };
    let req = ComposeMailRequest::from_rfc822(ComposeKind::SmartForward, &params, MIME.to_vec());
    assert!(req.save_in_sent_items);
    assert_eq!(req.client_id, None);
    let source = req.source.expect("source");
    assert_eq!(source.item_id.as_deref(), Some("5:12"));
    assert_eq!(source.folder_id.as_deref(), Some("5"));
    let send = ComposeMailRequest::from_rfc822(ComposeKind::SendMail, &params, MIME.to_vec());
    assert_eq!(send.source, None);
    assert_eq!(
        ComposeKind::from_command(&Command::SmartReply),
        Some(ComposeKind::SmartReply)
    );
    assert_eq!(ComposeKind::from_command(&Command::Sync), None);
}

#[test]
fn success_is_an_empty_body_and_failure_a_status() {
    let ok = ComposeMailResponse {
        kind: ComposeKind::SendMail,
        status: None,
    };
    assert_eq!(ok.to_element(), None);
    let failed = ComposeMailResponse {
        kind: ComposeKind::SmartReply,
        status: Some(CommonStatus::ItemNotFound),
    };
    assert_eq!(
        failed.to_element(),
        Some(Element::new(c::SMART_REPLY).with_text(c::STATUS, "150"))
    );
}
