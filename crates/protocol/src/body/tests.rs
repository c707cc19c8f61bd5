//! Tests of body preferences, body selection and truncation.

use eas_wbxml::tags::air_sync_base as asb;
use eas_wbxml::{decode, encode, Element};

use super::*;

fn pref(t: BodyType, size: Option<u32>, all_or_none: bool) -> BodyPreference {
    BodyPreference {
        truncation_size: size,
        all_or_none,
        ..BodyPreference::new(t)
    }
}

fn html_message<'a>(plain: &'a str, html: &'a str) -> AvailableBodies<'a> {
    AvailableBodies {
        plain: Some(plain),
        html: Some(html),
        mime: None,
        native: BodyType::Html,
    }
}

#[test]
fn an_aosp_body_preference_parses_and_writes_back_the_same() {
    let el = Element::new(asb::BODY_PREFERENCE)
        .with_text(asb::TYPE, "2")
        .with_text(asb::TRUNCATION_SIZE, "200000");
    let p = BodyPreference::from_element(&decode(&encode(&el)).expect("decodes")).expect("parses");
    assert_eq!(p, pref(BodyType::Html, Some(200_000), false));
    assert_eq!(p.to_element(asb::BODY_PREFERENCE), el);
}

#[test]
fn a_preference_without_a_known_type_names_the_element() {
    let el = Element::new(asb::BODY_PREFERENCE).with_text(asb::TRUNCATION_SIZE, "5");
    assert_eq!(
        BodyPreference::from_element(&el),
        Err(ParseError::Missing(asb::TYPE))
    );
    let el = Element::new(asb::BODY_PREFERENCE).with_text(asb::TYPE, "9");
    assert_eq!(
        BodyPreference::from_element(&el),
        Err(ParseError::bad_value(asb::TYPE, "9"))
    );
    let el = Element::new(asb::BODY_PREFERENCE)
        .with_text(asb::TYPE, "1")
        .with_text(asb::PREVIEW, "256");
    assert!(BodyPreference::from_element(&el).is_err());
    let el = Element::new(asb::BODY_PREFERENCE)
        .with_text(asb::TYPE, "1")
        .with_text(asb::ALL_OR_NONE, "yes");
    assert_eq!(
        BodyPreference::from_element(&el),
        Err(ParseError::bad_value(asb::ALL_OR_NONE, "yes"))
    );
}

#[test]
fn truncation_never_splits_a_character() {
    let text = "aé€😀";
    assert_eq!(truncate_utf8(text, 0), "");
    assert_eq!(truncate_utf8(text, 2), "a");
    assert_eq!(truncate_utf8(text, 3), "aé");
    assert_eq!(truncate_utf8(text, 5), "aé");
    assert_eq!(truncate_utf8(text, 6), "aé€");
    assert_eq!(truncate_utf8(text, 9), "aé€");
    assert_eq!(truncate_utf8(text, 10), text);
    assert_eq!(truncate_utf8(text, 1000), text);
}

#[test]
fn a_truncated_body_keeps_the_full_size_as_its_estimate() {
    let html = "<p>héllo wörld</p>";
    let body = select_body(
        &[pref(BodyType::Html, Some(5), false)],
        &html_message("x", html),
    )
    .expect("body");
    assert_eq!(body.body_type, BodyType::Html);
    assert_eq!(body.data.as_deref(), Some("<p>h"));
    assert!(body.truncated);
    assert_eq!(body.estimated_data_size as usize, html.len());
}

#[test]
fn a_body_within_the_limit_is_sent_whole_and_not_marked_truncated() {
    let body = select_body(
        &[pref(BodyType::Html, Some(200_000), false)],
        &html_message("hi", "<b>hi</b>"),
    )
    .expect("body");
    assert!(!body.truncated);
    assert_eq!(body.data.as_deref(), Some("<b>hi</b>"));
    assert!(!body.to_element().children.is_empty());
    assert!(body.to_element().child(asb::TRUNCATED).is_none());
}

#[test]
fn all_or_none_skips_to_the_next_preference_as_in_the_spec_example() {
    // MS-ASAIRS 2.2.2.3 (R385): HTML only if under 50 bytes, else 50 bytes of plain text.
    let html = format!("<p>{}</p>", "x".repeat(100));
    let plain = "y".repeat(100);
    let prefs = [
        pref(BodyType::Html, Some(50), true),
        pref(BodyType::PlainText, Some(50), false),
    ];
    let body = select_body(&prefs, &html_message(&plain, &html)).expect("body");
    assert_eq!(body.body_type, BodyType::PlainText);
    assert_eq!(body.data.as_deref().map(str::len), Some(50));
    assert!(body.truncated);
    assert_eq!(body.estimated_data_size, 100);
    let small = select_body(&prefs, &html_message("y", "<p>x</p>")).expect("body");
    assert_eq!(small.body_type, BodyType::Html);
    assert!(!small.truncated);
}

#[test]
fn when_every_preference_refuses_truncation_the_body_has_no_data() {
    let body = select_body(
        &[pref(BodyType::Html, Some(3), true)],
        &html_message("plain", "<p>long</p>"),
    )
    .expect("body");
    assert_eq!(body.body_type, BodyType::Html);
    assert_eq!(body.data, None);
    assert!(body.truncated);
    assert_eq!(body.estimated_data_size, 11);
}

#[test]
fn the_native_type_wins_among_accepted_types() {
    let prefs = [
        BodyPreference::new(BodyType::PlainText),
        BodyPreference::new(BodyType::Html),
    ];
    let body = select_body(&prefs, &html_message("p", "<p>h</p>")).expect("body");
    assert_eq!(body.body_type, BodyType::Html);
}

#[test]
fn an_unavailable_type_falls_back_to_plain_text_with_the_first_limit() {
    let prefs = [pref(BodyType::Rtf, Some(4), false)];
    let body = select_body(&prefs, &html_message("plain text", "<p/>")).expect("body");
    assert_eq!(body.body_type, BodyType::PlainText);
    assert_eq!(body.data.as_deref(), Some("plai"));
    let none = AvailableBodies {
        plain: None,
        html: None,
        mime: None,
        native: BodyType::PlainText,
    };
    assert_eq!(select_body(&prefs, &none), None);
    assert_eq!(select_body(&[], &none), None);
}

#[test]
fn a_preview_holds_at_most_the_requested_characters_of_plain_text() {
    let prefs = [BodyPreference {
        preview: Some(3),
        ..pref(BodyType::Html, Some(100), false)
    }];
    let body = select_body(&prefs, &html_message("ñañaña", "<p>x</p>")).expect("body");
    assert_eq!(body.preview.as_deref(), Some("ñañ"));
}

#[test]
fn a_mime_preference_gets_the_mime_text() {
    let mime = "Subject: hi\r\n\r\nbody";
    let available = AvailableBodies {
        plain: Some("body"),
        html: None,
        mime: Some(mime),
        native: BodyType::PlainText,
    };
    let body = select_body(&[BodyPreference::new(BodyType::Mime)], &available).expect("body");
    assert_eq!(body.body_type, BodyType::Mime);
    assert_eq!(body.data.as_deref(), Some(mime));
}

#[test]
fn attachments_write_file_reference_method_and_size() {
    let a = Attachment {
        display_name: Some("report.pdf".into()),
        file_reference: "5:1:2".into(),
        method: AttachmentMethod::Normal,
        estimated_data_size: 12_345,
        content_id: None,
        content_location: None,
        is_inline: false,
    };
    let el = attachments_element(std::slice::from_ref(&a)).expect("element");
    let att = el.child(asb::ATTACHMENT).expect("attachment");
    assert_eq!(
        att.child_text(asb::FILE_REFERENCE).as_deref(),
        Some("5:1:2")
    );
    assert_eq!(att.child_text(asb::METHOD).as_deref(), Some("1"));
    assert_eq!(
        att.child_text(asb::ESTIMATED_DATA_SIZE).as_deref(),
        Some("12345")
    );
    assert_eq!(attachments_element(&[]), None);
}

fn add(client_id: &str) -> Element {
    Element::new(asb::ADD)
        .with_text(asb::CLIENT_ID, client_id)
        .with_text(asb::METHOD, "1")
        .with_text(asb::CONTENT_TYPE, "text/plain")
        .with(Element::opaque(asb::CONTENT, b"\x00hello\xff".to_vec()))
        .with_text(asb::DISPLAY_NAME, "notes.txt")
}

#[test]
fn attachment_adds_and_deletes_are_read_with_opaque_content() {
    let el = Element::new(asb::ATTACHMENTS)
        .with(
            add("c1")
                .with_text(asb::IS_INLINE, "1")
                .with_text(asb::CONTENT_ID, "cid-1"),
        )
        .with(Element::new(asb::DELETE).with_text(asb::FILE_REFERENCE, "cal:att:9"))
        .with(add("c2"));
    let changes =
        AttachmentChanges::from_element(&decode(&encode(&el)).expect("decodes")).expect("parses");
    assert_eq!(changes.deletes, ["cal:att:9"]);
    let [first, second] = changes.adds.as_slice() else {
        panic!("two adds: {changes:?}");
    };
    assert_eq!(first.client_id, "c1");
    assert_eq!(first.content, b"\x00hello\xff");
    assert_eq!(first.method, AttachmentMethod::Normal);
    assert_eq!(first.content_type.as_deref(), Some("text/plain"));
    assert_eq!(first.display_name.as_deref(), Some("notes.txt"));
    assert_eq!(first.content_id.as_deref(), Some("cid-1"));
    assert!(first.is_inline && !second.is_inline);
    assert!(!changes.is_empty());
}

#[test]
fn an_add_without_client_id_or_content_or_with_a_reserved_method_is_refused() {
    let without = |tag| {
        let mut el = Element::new(asb::ADD);
        for c in add("c1").elements().filter(|c| c.tag != tag) {
            el.push(c.clone());
        }
        Element::new(asb::ATTACHMENTS).with(el)
    };
    for tag in [asb::CLIENT_ID, asb::CONTENT] {
        assert_eq!(
            AttachmentChanges::from_element(&without(tag)),
            Err(ParseError::Missing(tag))
        );
    }
    // Method and DisplayName are required by the schema but read leniently.
    let lenient = AttachmentChanges::from_element(&without(asb::METHOD)).expect("parses");
    assert_eq!(lenient.adds[0].method, AttachmentMethod::Normal);
    for method in ["2", "4", "7", "x"] {
        let el = Element::new(asb::ATTACHMENTS).with(
            Element::new(asb::ADD)
                .with_text(asb::CLIENT_ID, "c")
                .with_text(asb::METHOD, method)
                .with_text(asb::CONTENT, "x"),
        );
        assert!(
            matches!(AttachmentChanges::from_element(&el), Err(ParseError::BadValue { tag, .. }) if tag == asb::METHOD),
            "{method}"
        );
    }
    let twice = Element::new(asb::ATTACHMENTS)
        .with(add("c1"))
        .with(add("c1"));
    assert!(AttachmentChanges::from_element(&twice).is_err());
    let no_reference = Element::new(asb::ATTACHMENTS).with(Element::new(asb::DELETE));
    assert_eq!(
        AttachmentChanges::from_element(&no_reference),
        Err(ParseError::Missing(asb::FILE_REFERENCE))
    );
}

#[test]
fn added_attachments_answer_client_id_and_file_reference() {
    assert_eq!(added_attachments_element([]), None);
    let el = added_attachments_element([("c1", "cal:att:1"), ("c2", "cal:att:2")]).expect("two");
    let atts: Vec<_> = el.children_of(asb::ATTACHMENT).collect();
    assert_eq!(atts.len(), 2);
    assert_eq!(atts[1].child_text(asb::CLIENT_ID).as_deref(), Some("c2"));
    assert_eq!(
        atts[1].child_text(asb::FILE_REFERENCE).as_deref(),
        Some("cal:att:2")
    );
    for code in 0..=9u8 {
        assert_eq!(
            AttachmentMethod::from_code(code).map(AttachmentMethod::code),
            [1, 5, 6].contains(&code).then_some(code)
        );
    }
}
