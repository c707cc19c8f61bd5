//! Tests of Sync requests as AOSP sends them, malformed requests, and response element order.

use eas_wbxml::tags::{air_sync as a, air_sync_base as asb, email as e};
use eas_wbxml::{decode, encode, Element};

use super::*;
use crate::body::{BodyPreference, BodyType};
use crate::error::ParseError;
use crate::status::SyncStatus;

fn parse(tree: &Element) -> Result<SyncRequest, ParseError> {
    SyncRequest::from_element(&decode(&encode(tree)).expect("decodes"))
}

fn sync(collection: Element) -> Element {
    Element::new(a::SYNC).with(Element::new(a::COLLECTIONS).with(collection))
}

fn names(el: &Element) -> Vec<&'static str> {
    el.elements().filter_map(|e| e.tag.name()).collect()
}

/// PHONE_FLOWS.md §2: AOSP's later Email Sync at 14.x.
fn aosp_email_collection() -> Element {
    Element::new(a::COLLECTION)
        .with_text(a::SYNC_KEY, "7")
        .with_text(a::COLLECTION_ID, "5")
        .with_text(a::DELETES_AS_MOVES, "1")
        .with(Element::new(a::GET_CHANGES))
        .with_text(a::WINDOW_SIZE, "10")
        .with(
            Element::new(a::OPTIONS)
                .with_text(a::FILTER_TYPE, "3")
                .with(
                    Element::new(asb::BODY_PREFERENCE)
                        .with_text(asb::TYPE, "2")
                        .with_text(asb::TRUNCATION_SIZE, "200000"),
                ),
        )
}

#[test]
fn an_aosp_email_sync_gives_key_window_filter_and_html_preference() {
    let req = parse(&sync(aosp_email_collection())).expect("parses");
    assert_eq!(req.collections.len(), 1);
    let c = &req.collections[0];
    assert_eq!((c.sync_key.as_str(), c.collection_id.as_str()), ("7", "5"));
    assert!(c.deletes_as_moves());
    assert_eq!(c.get_changes, Some(true));
    assert!(c.wants_changes());
    assert_eq!(c.window_size, Some(10));
    assert_eq!(c.options.len(), 1);
    let o = &c.options[0];
    assert_eq!(o.filter_type, Some(FilterType::OneWeek));
    assert_eq!(o.filter_type.and_then(FilterType::days), Some(7));
    assert_eq!(
        o.body_preferences,
        [BodyPreference {
            truncation_size: Some(200_000),
            ..BodyPreference::new(BodyType::Html)
        }]
    );
    assert!(c.commands.is_empty());
}

#[test]
fn an_aosp_first_sync_at_12_0_has_class_and_key_zero_and_wants_no_changes() {
    let tree = sync(
        Element::new(a::COLLECTION)
            .with_text(a::CLASS, "Email")
            .with_text(a::SYNC_KEY, "0")
            .with_text(a::COLLECTION_ID, "5"),
    );
    let req = parse(&tree).expect("parses");
    let c = &req.collections[0];
    assert!(c.is_initial());
    assert_eq!(c.class.as_deref(), Some("Email"));
    assert!(!c.wants_changes());
    assert!(!c.asks_changes_with_key_zero());
}

#[test]
fn an_aosp_flag_and_read_upsync_carries_the_changes_as_elements() {
    let change = Element::new(a::CHANGE)
        .with_text(a::SERVER_ID, "5:12")
        .with(
            Element::new(a::APPLICATION_DATA)
                .with_text(e::READ, "1")
                .with(Element::new(e::FLAG).with_text(e::STATUS, "2")),
        );
    let tree = sync(
        Element::new(a::COLLECTION)
            .with_text(a::SYNC_KEY, "8")
            .with_text(a::COLLECTION_ID, "5")
            .with_text(a::GET_CHANGES, "0")
            .with(
                Element::new(a::COMMANDS)
                    .with(change)
                    .with(Element::new(a::DELETE).with_text(a::SERVER_ID, "5:13"))
                    .with(Element::new(a::FETCH).with_text(a::SERVER_ID, "5:14")),
            ),
    );
    let req = parse(&tree).expect("parses");
    let c = &req.collections[0];
    assert!(!c.wants_changes());
    match &c.commands[0] {
        ClientCommand::Change {
            server_id,
            application_data,
            ..
        } => {
            assert_eq!(server_id, "5:12");
            assert_eq!(names_of(application_data), ["Read", "Flag"]);
        }
        other => panic!("expected a change, got {other:?}"),
    }
    assert_eq!(
        c.commands[1..],
        [
            ClientCommand::Delete {
                server_id: "5:13".into(),
                instance_id: None,
            },
            ClientCommand::Fetch {
                server_id: "5:14".into()
            }
        ]
    );
}

fn names_of(list: &[Element]) -> Vec<&'static str> {
    list.iter().filter_map(|e| e.tag.name()).collect()
}

#[test]
fn an_add_keeps_its_client_id_and_a_contacts_sync_keeps_supported() {
    let add = Element::new(a::ADD)
        .with_text(a::CLIENT_ID, "new_3_1700000000000")
        .with(Element::new(a::APPLICATION_DATA).with_text(e::SUBJECT, "x"));
    let tree = sync(
        Element::new(a::COLLECTION)
            .with_text(a::SYNC_KEY, "0")
            .with_text(a::COLLECTION_ID, "3")
            .with(Element::new(a::SUPPORTED).with(Element::new(e::SUBJECT)))
            .with(Element::new(a::COMMANDS).with(add)),
    );
    let c = parse(&tree).expect("parses").collections.remove(0);
    assert_eq!(c.supported.map(|s| s.len()), Some(1));
    assert!(matches!(
        &c.commands[0],
        ClientCommand::Add { client_id, application_data, .. }
            if client_id == "new_3_1700000000000" && application_data.len() == 1
    ));
}

#[test]
fn request_wide_wait_heartbeat_window_and_partial_are_read() {
    let mut coll = aosp_email_collection();
    coll.push_text(a::CONVERSATION_MODE, "1");
    let tree = Element::new(a::SYNC)
        .with(Element::new(a::COLLECTIONS).with(coll))
        .with_text(a::WAIT, "10")
        .with_text(a::HEARTBEAT_INTERVAL, "600")
        .with_text(a::WINDOW_SIZE, "100")
        .with(Element::new(a::PARTIAL));
    let req = parse(&tree).expect("parses");
    assert_eq!(req.wait, Some(10));
    assert_eq!(req.heartbeat_interval, Some(600));
    assert_eq!(req.window_size, Some(100));
    assert!(req.partial);
    assert_eq!(req.collections[0].conversation_mode, Some(true));
    let bare = parse(&Element::new(a::SYNC)).expect("parses");
    assert_eq!(bare, SyncRequest::default());
}

#[test]
fn a_request_with_every_field_round_trips_through_to_element() {
    let mut coll = aosp_email_collection();
    coll.push_text(a::CONVERSATION_MODE, "0");
    coll.push(Element::new(a::SUPPORTED).with(Element::new(e::SUBJECT)));
    coll.push(
        Element::new(a::COMMANDS)
            .with(
                Element::new(a::ADD)
                    .with_text(a::CLIENT_ID, "c1")
                    .with(Element::new(a::APPLICATION_DATA).with_text(e::SUBJECT, "x")),
            )
            .with(
                Element::new(a::CHANGE)
                    .with_text(a::SERVER_ID, "5:1")
                    .with(Element::new(a::APPLICATION_DATA).with_text(e::READ, "1")),
            )
            .with(Element::new(a::DELETE).with_text(a::SERVER_ID, "5:2"))
            .with(Element::new(a::FETCH).with_text(a::SERVER_ID, "5:3")),
    );
    let initial = Element::new(a::COLLECTION)
        .with_text(a::CLASS, "Email")
        .with_text(a::SYNC_KEY, "0")
        .with_text(a::COLLECTION_ID, "6")
        .with_text(a::GET_CHANGES, "0");
    let tree = Element::new(a::SYNC)
        .with(Element::new(a::COLLECTIONS).with(coll).with(initial))
        .with_text(a::HEARTBEAT_INTERVAL, "480")
        .with_text(a::WINDOW_SIZE, "50")
        .with(Element::new(a::PARTIAL));
    let req = parse(&tree).expect("parses");
    assert_eq!(req.collections[1].get_changes, Some(false));
    assert_eq!(parse(&req.to_element()), Ok(req));
    let bare = SyncRequest::default();
    assert_eq!(names(&bare.to_element()), Vec::<&str>::new());
    assert_eq!(parse(&bare.to_element()), Ok(bare));
}

#[test]
fn options_with_every_field_round_trip_through_to_element() {
    let opts = SyncOptions {
        class: Some("Email".into()),
        filter_type: Some(FilterType::TwoWeeks),
        body_preferences: vec![
            BodyPreference {
                all_or_none: true,
                truncation_size: Some(5120),
                preview: Some(100),
                ..BodyPreference::new(BodyType::Html)
            },
            BodyPreference::new(BodyType::Mime),
        ],
        body_part_preference: Some(BodyPreference::new(BodyType::Html)),
        mime_support: Some(MimeSupport::Always),
        mime_truncation: Some(8),
        conflict: Some(ConflictPolicy::ClientWins),
        max_items: Some(50),
        rights_management_support: Some(true),
    };
    let el = decode(&encode(&opts.to_element())).expect("decodes");
    assert_eq!(SyncOptions::from_element(&el), Ok(opts));
}

#[test]
fn malformed_requests_name_the_element() {
    let no_key = sync(Element::new(a::COLLECTION).with_text(a::COLLECTION_ID, "5"));
    assert_eq!(parse(&no_key), Err(ParseError::Missing(a::SYNC_KEY)));
    let long_id = sync(
        Element::new(a::COLLECTION)
            .with_text(a::SYNC_KEY, "1")
            .with_text(a::COLLECTION_ID, "x".repeat(65)),
    );
    assert!(
        matches!(parse(&long_id), Err(ParseError::BadValue { tag, .. }) if tag == a::COLLECTION_ID)
    );
    let mut bad_filter = aosp_email_collection();
    bad_filter.push(Element::new(a::OPTIONS).with_text(a::FILTER_TYPE, "9"));
    assert_eq!(
        parse(&sync(bad_filter)),
        Err(ParseError::bad_value(a::FILTER_TYPE, "9"))
    );
    let mut bad_window = aosp_email_collection();
    bad_window
        .children
        .retain(|n| !matches!(n, eas_wbxml::Node::Element(e) if e.tag == a::WINDOW_SIZE));
    bad_window.push_text(a::WINDOW_SIZE, "ten");
    assert_eq!(
        parse(&sync(bad_window)),
        Err(ParseError::bad_value(a::WINDOW_SIZE, "ten"))
    );
    let add_without_data = Element::new(a::COLLECTION)
        .with_text(a::SYNC_KEY, "1")
        .with_text(a::COLLECTION_ID, "5")
        .with(Element::new(a::COMMANDS).with(Element::new(a::ADD).with_text(a::CLIENT_ID, "c1")));
    assert_eq!(
        parse(&sync(add_without_data)),
        Err(ParseError::Missing(a::APPLICATION_DATA))
    );
    let change_without_id = Element::new(a::COLLECTION)
        .with_text(a::SYNC_KEY, "1")
        .with_text(a::COLLECTION_ID, "5")
        .with(Element::new(a::COMMANDS).with(Element::new(a::CHANGE)));
    assert_eq!(
        parse(&sync(change_without_id)),
        Err(ParseError::Missing(a::SERVER_ID))
    );
    assert!(matches!(
        parse(&Element::new(a::COLLECTIONS)),
        Err(ParseError::WrongRoot { .. })
    ));
}

#[test]
fn a_collection_response_follows_the_spec_order() {
    let mut c = SyncCollectionResponse::new("5", "8");
    c.class = Some("Email".into());
    c.more_available = true;
    c.commands = vec![
        ServerCommand::Add {
            server_id: "5:1".into(),
            application_data: vec![Element::text(e::SUBJECT, "hi")],
        },
        ServerCommand::SoftDelete {
            server_id: "5:2".into(),
        },
    ];
    c.responses = vec![ItemResponse::Add {
        client_id: "c1".into(),
        server_id: Some("5:3".into()),
        status: SyncStatus::Success,
        application_data: None,
    }];
    let el = c.to_element();
    assert_eq!(
        names(&el),
        [
            "Class",
            "SyncKey",
            "CollectionId",
            "Status",
            "MoreAvailable",
            "Commands",
            "Responses"
        ]
    );
    let add = el
        .child(a::RESPONSES)
        .and_then(|r| r.child(a::ADD))
        .expect("add");
    assert_eq!(names(add), ["ClientId", "ServerId", "Status"]);
}

#[test]
fn an_empty_response_never_writes_an_empty_collections_element() {
    let el = SyncResponse::collections(vec![]).to_element();
    assert_eq!(el, Element::new(a::SYNC));
    let el = SyncResponse::with_limit(SyncStatus::InvalidWaitOrHeartbeat, 59).to_element();
    assert_eq!(names(&el), ["Status", "Limit"]);
    let el = SyncResponse::status_only(SyncStatus::Retry).to_element();
    assert_eq!(el, Element::new(a::SYNC).with_text(a::STATUS, "16"));
}

#[test]
fn a_failed_collection_has_no_commands_or_responses() {
    let el = SyncCollectionResponse::failed("5", Some("0".into()), SyncStatus::InvalidSyncKey)
        .to_element();
    assert_eq!(names(&el), ["SyncKey", "CollectionId", "Status"]);
    assert_eq!(el.child_text(a::STATUS).as_deref(), Some("3"));
}

#[test]
fn a_16_change_and_delete_of_one_occurrence_carry_the_instance_id_and_responses_echo_it() {
    use eas_wbxml::tags::calendar as cal;
    // MS-ASCMD 2.2.3.24 and 2.2.3.42.2: InstanceId beside ServerId.
    let coll = Element::new(a::COLLECTION)
        .with_text(a::SYNC_KEY, "4")
        .with_text(a::COLLECTION_ID, "cal:1")
        .with(
            Element::new(a::COMMANDS)
                .with(
                    Element::new(a::CHANGE)
                        .with_text(a::SERVER_ID, "7")
                        .with_text(asb::INSTANCE_ID, "20261208T090000Z")
                        .with(Element::new(a::APPLICATION_DATA).with_text(cal::SUBJECT, "moved")),
                )
                .with(
                    Element::new(a::DELETE)
                        .with_text(a::SERVER_ID, "7")
                        .with_text(asb::INSTANCE_ID, "20261215T090000Z"),
                ),
        );
    let req = parse(&sync(coll)).expect("parses");
    let cmds = &req.collections[0].commands;
    assert!(
        matches!(&cmds[0], ClientCommand::Change { instance_id: Some(i), .. } if i == "20261208T090000Z")
    );
    assert!(
        matches!(&cmds[1], ClientCommand::Delete { instance_id: Some(i), .. } if i == "20261215T090000Z")
    );
    // The request writes back as it came (the edge caches it in this form).
    let again = parse(&sync(req.collections[0].to_element())).expect("parses");
    assert_eq!(again, req);

    let mut c = SyncCollectionResponse::new("cal:1", "5");
    c.responses = vec![
        ItemResponse::Delete {
            server_id: "7".into(),
            instance_id: Some("20261215T090000Z".into()),
            status: SyncStatus::ObjectNotFound,
        },
        ItemResponse::Add {
            client_id: "c1".into(),
            server_id: Some("8".into()),
            status: SyncStatus::Success,
            application_data: Some(vec![Element::text(cal::UID, "0A1B")]),
        },
    ];
    let el = c.to_element();
    let responses = el.child(a::RESPONSES).expect("responses");
    let delete = responses.child(a::DELETE).expect("delete");
    assert_eq!(names(delete), ["ServerId", "InstanceId", "Status"]);
    let add = responses.child(a::ADD).expect("add");
    assert_eq!(
        names(add),
        ["ClientId", "ServerId", "Status", "ApplicationData"]
    );
    assert_eq!(
        add.child(a::APPLICATION_DATA)
            .and_then(|d| d.child_text(cal::UID))
            .as_deref(),
        Some("0A1B")
    );
}
