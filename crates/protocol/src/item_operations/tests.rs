//! Tests of ItemOperations requests as AOSP and iOS send them, malformed ones, and responses.

use eas_wbxml::tags::{
    air_sync as a, air_sync_base as asb, email as e, item_operations as io, search as s,
};
use eas_wbxml::{decode, encode, Element};

use super::*;
use crate::body::BodyType;
use crate::error::ParseError;
use crate::status::ItemOperationsStatus;

fn parse(tree: &Element) -> Result<ItemOperationsRequest, ParseError> {
    ItemOperationsRequest::from_element(&decode(&encode(tree)).expect("decodes"))
}

fn names(el: &Element) -> Vec<&'static str> {
    el.elements().filter_map(|e| e.tag.name()).collect()
}

#[test]
fn an_aosp_attachment_fetch_names_the_file_reference() {
    // PHONE_FLOWS.md §2: Store=Mailbox, FileReference, no Range, data inline.
    let tree = Element::new(io::ITEM_OPERATIONS).with(
        Element::new(io::FETCH)
            .with_text(io::STORE, "Mailbox")
            .with_text(asb::FILE_REFERENCE, "5:12:1"),
    );
    let req = parse(&tree).expect("parses");
    let ItemOperation::Fetch(f) = &req.operations[0] else {
        panic!("expected a fetch");
    };
    assert!(f.is_mailbox());
    assert_eq!(f.target, FetchTarget::FileReference("5:12:1".into()));
    assert_eq!(f.options, FetchOptions::default());
}

#[test]
fn an_item_fetch_with_options_reads_body_preference_schema_and_range() {
    let options = Element::new(io::OPTIONS)
        .with(Element::new(io::SCHEMA).with(Element::new(e::SUBJECT)))
        .with_text(io::RANGE, "0-1023")
        .with_text(a::MIME_SUPPORT, "2")
        .with(Element::new(asb::BODY_PREFERENCE).with_text(asb::TYPE, "4"));
    let tree = Element::new(io::ITEM_OPERATIONS).with(
        Element::new(io::FETCH)
            .with_text(io::STORE, "Mailbox")
            .with_text(a::COLLECTION_ID, "5")
            .with_text(a::SERVER_ID, "5:12")
            .with(options),
    );
    let ItemOperation::Fetch(f) = parse(&tree).expect("parses").operations.remove(0) else {
        panic!("expected a fetch");
    };
    assert_eq!(
        f.target,
        FetchTarget::Item {
            collection_id: "5".into(),
            server_id: "5:12".into()
        }
    );
    assert_eq!(
        f.options.range,
        Some(ByteRange {
            start: 0,
            end: 1023
        })
    );
    assert_eq!(f.options.body_preferences[0].body_type, BodyType::Mime);
    assert_eq!(f.options.schema.map(|s| s.len()), Some(1));
    let long = Element::new(io::ITEM_OPERATIONS).with(
        Element::new(io::FETCH)
            .with_text(io::STORE, "Mailbox")
            .with_text(s::LONG_ID, "RgAAAAAA"),
    );
    let ItemOperation::Fetch(f) = parse(&long).expect("parses").operations.remove(0) else {
        panic!("expected a fetch");
    };
    assert_eq!(f.target, FetchTarget::LongId("RgAAAAAA".into()));
}

#[test]
fn empty_folder_contents_and_a_conversation_move_are_read_in_order() {
    let tree = Element::new(io::ITEM_OPERATIONS)
        .with(
            Element::new(io::EMPTY_FOLDER_CONTENTS)
                .with_text(a::COLLECTION_ID, "7")
                .with(Element::new(io::OPTIONS).with(Element::new(io::DELETE_SUB_FOLDERS))),
        )
        .with(
            Element::new(io::MOVE)
                .with(Element::opaque(io::CONVERSATION_ID, vec![1, 2, 3]))
                .with_text(io::DST_FLD_ID, "9"),
        );
    let req = parse(&tree).expect("parses");
    assert_eq!(
        req.operations,
        [
            ItemOperation::EmptyFolderContents {
                collection_id: "7".into(),
                delete_sub_folders: true
            },
            ItemOperation::MoveConversation {
                conversation_id: vec![1, 2, 3],
                dst_fld_id: "9".into(),
                move_always: false
            }
        ]
    );
}

#[test]
fn malformed_requests_name_the_element() {
    let fetch = |el: Element| Element::new(io::ITEM_OPERATIONS).with(el);
    assert_eq!(
        parse(&Element::new(io::ITEM_OPERATIONS)),
        Err(ParseError::Missing(io::FETCH))
    );
    let no_store = fetch(Element::new(io::FETCH).with_text(asb::FILE_REFERENCE, "1"));
    assert_eq!(parse(&no_store), Err(ParseError::Missing(io::STORE)));
    let no_target = fetch(Element::new(io::FETCH).with_text(io::STORE, "Mailbox"));
    assert_eq!(parse(&no_target), Err(ParseError::Missing(a::SERVER_ID)));
    let no_folder = fetch(
        Element::new(io::FETCH)
            .with_text(io::STORE, "Mailbox")
            .with_text(a::SERVER_ID, "5:1"),
    );
    assert_eq!(
        parse(&no_folder),
        Err(ParseError::Missing(a::COLLECTION_ID))
    );
    for bad in ["10-2", "a-b", "5", "-3"] {
        let bad_range = fetch(
            Element::new(io::FETCH)
                .with_text(io::STORE, "Mailbox")
                .with_text(asb::FILE_REFERENCE, "1")
                .with(Element::new(io::OPTIONS).with_text(io::RANGE, bad)),
        );
        assert_eq!(
            parse(&bad_range),
            Err(ParseError::bad_value(io::RANGE, bad))
        );
    }
    let no_conversation = Element::new(io::ITEM_OPERATIONS)
        .with(Element::new(io::MOVE).with_text(io::DST_FLD_ID, "9"));
    assert_eq!(
        parse(&no_conversation),
        Err(ParseError::Missing(io::CONVERSATION_ID))
    );
}

#[test]
fn responses_are_grouped_move_empty_fetch_and_data_is_base64() {
    let resp = ItemOperationsResponse {
        status: ItemOperationsStatus::Success,
        responses: vec![
            OperationResponse::Fetch(FetchResponse {
                file_reference: Some("5:12:1".into()),
                properties: Some(FetchProperties::Attachment {
                    range: None,
                    total: Some(3),
                    content_type: None,
                    data: FetchData::base64(b"abc"),
                }),
                ..FetchResponse::failed(ItemOperationsStatus::Success)
            }),
            OperationResponse::EmptyFolderContents {
                status: ItemOperationsStatus::Success,
                collection_id: "7".into(),
            },
            OperationResponse::Move {
                status: ItemOperationsStatus::ActionNotSupported,
                conversation_id: vec![1],
            },
        ],
    };
    let el = resp.to_element();
    let response = el.child(io::RESPONSE).expect("response");
    assert_eq!(names(response), ["Move", "EmptyFolderContents", "Fetch"]);
    let data = response
        .child(io::FETCH)
        .and_then(|f| f.child(io::PROPERTIES))
        .and_then(|p| p.child_text(io::DATA));
    assert_eq!(data.as_deref(), Some("YWJj"));
    let bare = ItemOperationsResponse::status_only(ItemOperationsStatus::ProtocolError);
    assert_eq!(names(&bare.to_element()), ["Status"]);
}
