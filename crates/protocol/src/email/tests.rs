//! Tests of email properties per version and of the changes phones send.

use eas_wbxml::tags::{air_sync_base as asb, email as e, email2 as e2, tasks as t};
use eas_wbxml::{decode, encode, Element};

use super::*;
use crate::body::AttachmentMethod;
use crate::error::ParseError;

fn names(list: &[Element]) -> Vec<&'static str> {
    list.iter().filter_map(|e| e.tag.name()).collect()
}

pub(crate) fn sample_email() -> Email {
    Email {
        to: Some("\"Jane Doe\" <jane@example.com>".into()),
        cc: Some("bob@example.com".into()),
        from: Some("alice@example.com".into()),
        subject: Some("Quarterly report & <figures>".into()),
        reply_to: Some("alice@example.com".into()),
        date_received: EasDateTime::parse("2026-11-25T10:00:00.000Z"),
        display_to: Some("Jane Doe".into()),
        thread_topic: Some("Quarterly report".into()),
        importance: Some(Importance::High),
        read: true,
        flag: Some(Flag {
            status: Some(FlagStatus::Active),
            flag_type: Some("for Follow Up".into()),
            start_date: EasDateTime::parse("2026-11-25T00:00:00.000Z"),
            utc_start_date: EasDateTime::parse("2026-11-25T00:00:00.000Z"),
            due_date: EasDateTime::parse("2026-11-27T00:00:00.000Z"),
            utc_due_date: EasDateTime::parse("2026-11-27T00:00:00.000Z"),
            ..Flag::default()
        }),
        body: Some(crate::body::Body {
            body_type: BodyType::Html,
            estimated_data_size: 2048,
            truncated: true,
            data: Some("<p>héllo</p>".into()),
            preview: Some("héllo".into()),
            part: None,
        }),
        attachments: vec![Attachment {
            display_name: Some("figures.xlsx".into()),
            file_reference: "5:12:1".into(),
            method: AttachmentMethod::Normal,
            estimated_data_size: 40_000,
            content_id: Some("part1@example.com".into()),
            content_location: None,
            is_inline: true,
        }],
        native_body_type: Some(BodyType::Html),
        categories: vec!["Work".into()],
        conversation_id: Some(vec![0x01, 0xFF, 0x00, 0x7F]),
        conversation_index: Some(vec![0x01, 0xD5, 0x3B, 0x22, 0x10]),
        received_as_bcc: Some(false),
        sender: Some("assistant@example.com".into()),
        ..Email::default()
    }
}

#[test]
fn a_14_1_email_has_every_property_and_opaque_conversation_ids() {
    let props = sample_email()
        .properties(ProtocolVersion::V14_1)
        .expect("14.1 is supported");
    assert_eq!(
        names(&props),
        [
            "To",
            "Cc",
            "From",
            "Subject",
            "ReplyTo",
            "DateReceived",
            "DisplayTo",
            "ThreadTopic",
            "Importance",
            "Read",
            "Attachments",
            "Body",
            "MessageClass",
            "InternetCPID",
            "Flag",
            "ContentClass",
            "NativeBodyType",
            "Categories",
            "ConversationId",
            "ConversationIndex",
            "ReceivedAsBcc",
            "Sender"
        ]
    );
    let find = |tag| props.iter().find(|p| p.tag == tag).expect("present");
    assert_eq!(
        find(e::DATE_RECEIVED).text_content().as_deref(),
        Some("2026-11-25T10:00:00.000Z")
    );
    assert_eq!(
        find(e2::CONVERSATION_ID).opaque_content(),
        Some(&[0x01, 0xFF, 0x00, 0x7F][..])
    );
    assert_eq!(find(e::IMPORTANCE).text_content().as_deref(), Some("2"));
    assert_eq!(find(e::READ).text_content().as_deref(), Some("1"));
    let body = find(asb::BODY);
    assert_eq!(body.child_text(asb::PREVIEW).as_deref(), Some("héllo"));
    // The whole set survives the codec.
    let app = sample_email()
        .application_data(ProtocolVersion::V14_1)
        .expect("supported");
    assert_eq!(decode(&encode(&app)).expect("decodes"), app);
}

#[test]
fn a_12_1_email_leaves_out_what_12_1_lacks() {
    let props = sample_email()
        .properties(ProtocolVersion::V12_1)
        .expect("12.1 is supported");
    let n = names(&props);
    for absent in [
        "Categories",
        "ConversationId",
        "ConversationIndex",
        "ReceivedAsBcc",
        "Sender",
    ] {
        assert!(!n.contains(&absent), "{absent} at 12.1");
    }
    let body = props.iter().find(|p| p.tag == asb::BODY).expect("body");
    assert!(body.child(asb::PREVIEW).is_none());
    assert_eq!(body.child_text(asb::TRUNCATED).as_deref(), Some("1"));
}

#[test]
fn protocol_2_5_email_data_is_refused() {
    assert_eq!(
        sample_email().properties(ProtocolVersion::V2_5),
        Err(UnsupportedVersion(ProtocolVersion::V2_5))
    );
}

#[test]
fn an_unflagged_email_carries_an_empty_flag_and_the_message_defaults() {
    let props = Email::default()
        .properties(ProtocolVersion::V14_0)
        .expect("supported");
    let flag = props.iter().find(|p| p.tag == e::FLAG).expect("flag");
    assert!(flag.children.is_empty());
    let class = props
        .iter()
        .find(|p| p.tag == e::MESSAGE_CLASS)
        .expect("class");
    assert_eq!(class.text_content().as_deref(), Some("IPM.Note"));
    let categories = props
        .iter()
        .find(|p| p.tag == e::CATEGORIES)
        .expect("categories");
    assert!(categories.children.is_empty());
}

#[test]
fn an_aosp_read_and_flag_change_is_understood() {
    let data = [
        Element::text(e::READ, "1"),
        Element::new(e::FLAG)
            .with_text(e::STATUS, "2")
            .with_text(e::FLAG_TYPE, "Flag for follow up")
            .with_text(t::START_DATE, "2026-11-25T00:00:00.000Z")
            .with_text(t::UTC_START_DATE, "2026-11-25T00:00:00.000Z")
            .with_text(t::DUE_DATE, "2026-11-26T00:00:00.000Z")
            .with_text(t::UTC_DUE_DATE, "2026-11-26T00:00:00.000Z")
            .with_text(t::REMINDER_SET, "0"),
    ];
    let change = EmailChange::from_application_data(&data).expect("parses");
    assert_eq!(change.read, Some(true));
    let flag = change.flag.clone().expect("flag");
    assert_eq!(flag.status, Some(FlagStatus::Active));
    assert!(!flag.is_cleared());
    assert_eq!(flag.reminder_set, Some(false));
    assert_eq!(
        flag.due_date.map(|d| d.to_string()).as_deref(),
        Some("2026-11-26T00:00:00.000Z")
    );
    assert_eq!(change.categories, None);
    assert!(change.other.is_empty());
    // What the server writes back reads the same.
    assert_eq!(
        EmailChange::from_application_data(&change.properties()),
        Ok(change)
    );
}

#[test]
fn an_empty_flag_clears_it_and_empty_categories_remove_them_all() {
    let data = [Element::new(e::FLAG), Element::new(e::CATEGORIES)];
    let change = EmailChange::from_application_data(&data).expect("parses");
    assert!(change.flag.expect("flag").is_cleared());
    assert_eq!(change.categories, Some(vec![]));
    let complete = [Element::new(e::FLAG)
        .with_text(e::STATUS, "1")
        .with_text(e::COMPLETE_TIME, "2026-11-25T12:00:00.000Z")
        .with_text(t::DATE_COMPLETED, "2026-11-25T12:00:00.000Z")];
    let change = EmailChange::from_application_data(&complete).expect("parses");
    assert_eq!(
        change.flag.and_then(|f| f.status),
        Some(FlagStatus::Complete)
    );
}

#[test]
fn properties_a_client_may_not_change_are_reported() {
    let data = [
        Element::text(e::SUBJECT, "new subject"),
        Element::opaque(e2::CONVERSATION_ID, vec![1]),
    ];
    let change = EmailChange::from_application_data(&data).expect("parses");
    assert!(change.is_empty());
    assert_eq!(change.other, [e::SUBJECT, e2::CONVERSATION_ID]);
}

#[test]
fn malformed_changes_name_the_element() {
    let bad_read = [Element::text(e::READ, "yes")];
    assert_eq!(
        EmailChange::from_application_data(&bad_read),
        Err(ParseError::bad_value(e::READ, "yes"))
    );
    let bad_status = [Element::new(e::FLAG).with_text(e::STATUS, "3")];
    assert_eq!(
        EmailChange::from_application_data(&bad_status),
        Err(ParseError::bad_value(e::STATUS, "3"))
    );
    let bad_date = [Element::new(e::FLAG).with_text(t::DUE_DATE, "tomorrow")];
    assert_eq!(
        EmailChange::from_application_data(&bad_date),
        Err(ParseError::bad_value(t::DUE_DATE, "tomorrow"))
    );
}
