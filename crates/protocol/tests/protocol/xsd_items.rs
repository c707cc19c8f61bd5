//! GetItemEstimate, MoveItems, ItemOperations, SendMail/SmartReply/SmartForward and Search
//! responses, encoded to WBXML and validated by `tests/xsd/validate.py`.

use crate::xsd;

use eas_protocol::status::{GetItemEstimateStatus, MoveItemsStatus};

#[test]
fn get_item_estimate_responses_validate_for_every_status() {
    use eas_protocol::get_item_estimate::{EstimateResponse, GetItemEstimateResponse};
    let responses = GetItemEstimateStatus::ALL
        .iter()
        .map(|s| EstimateResponse {
            status: *s,
            collection_id: format!("c{s}"),
            estimate: Some(7),
        })
        .collect();
    let resp = GetItemEstimateResponse { responses };
    let bytes = eas_wbxml::encode(&resp.to_element());
    xsd::assert_valid_response("GetItemEstimate", "estimate-all", &bytes);
}

#[test]
fn move_items_responses_validate_for_every_status() {
    use eas_protocol::move_items::{MoveItemsResponse, MoveResponse};
    let responses = MoveItemsStatus::ALL
        .iter()
        .map(|s| MoveResponse {
            src_msg_id: format!("5:{s}"),
            status: *s,
            dst_msg_id: (*s == MoveItemsStatus::Success).then(|| format!("9:{s}")),
        })
        .collect();
    let resp = MoveItemsResponse { responses };
    let bytes = eas_wbxml::encode(&resp.to_element());
    xsd::assert_valid_response("MoveItems", "moveitems-all", &bytes);
}

#[test]
fn item_operations_responses_with_every_operation_validate() {
    use eas_protocol::email::Email;
    use eas_protocol::item_operations::*;
    use eas_protocol::status::ItemOperationsStatus as S;
    use eas_protocol::ProtocolVersion;
    let email = Email {
        subject: Some("Figures".into()),
        from: Some("alice@example.com".into()),
        categories: vec!["Work".into()],
        conversation_id: Some(vec![0, 1, 0xFE]),
        ..Email::default()
    };
    let item = FetchResponse {
        collection_id: Some("5".into()),
        server_id: Some("5:12".into()),
        class: Some("Email".into()),
        properties: Some(FetchProperties::Item(
            email.properties(ProtocolVersion::V14_1).expect("supported"),
        )),
        ..FetchResponse::failed(S::Success)
    };
    let attachment = |data| FetchResponse {
        file_reference: Some("5:12:1".into()),
        properties: Some(FetchProperties::Attachment {
            range: Some(ByteRange { start: 0, end: 2 }),
            total: Some(3),
            content_type: Some("text/plain".into()),
            data,
        }),
        ..FetchResponse::failed(S::Success)
    };
    let resp = ItemOperationsResponse {
        status: S::Success,
        responses: vec![
            OperationResponse::Fetch(item),
            OperationResponse::Fetch(attachment(FetchData::base64(b"abc"))),
            OperationResponse::Fetch(attachment(FetchData::Opaque(b"abc".to_vec()))),
            OperationResponse::Fetch(FetchResponse {
                file_reference: Some("nope".into()),
                ..FetchResponse::failed(S::InvalidAttachment)
            }),
            OperationResponse::EmptyFolderContents {
                status: S::Success,
                collection_id: "7".into(),
            },
            OperationResponse::Move {
                status: S::ActionNotSupported,
                conversation_id: vec![1, 2, 3],
            },
        ],
    };
    let bytes = eas_wbxml::encode(&resp.to_element());
    xsd::assert_valid_response("ItemOperations", "itemoperations-all", &bytes);
    let bare = ItemOperationsResponse::status_only(S::ProtocolError);
    let bytes = eas_wbxml::encode(&bare.to_element());
    xsd::assert_valid_response("ItemOperations", "itemoperations-status", &bytes);
}

#[test]
fn send_mail_smart_reply_and_smart_forward_failures_validate() {
    use eas_protocol::compose_mail::{ComposeKind, ComposeMailResponse};
    use eas_protocol::status::CommonStatus;
    for (kind, command) in [
        (ComposeKind::SendMail, "SendMail"),
        (ComposeKind::SmartReply, "SmartReply"),
        (ComposeKind::SmartForward, "SmartForward"),
    ] {
        let resp = ComposeMailResponse {
            kind,
            status: Some(CommonStatus::MailSubmissionFailed),
        };
        let el = resp.to_element().expect("a failure has a body");
        let bytes = eas_wbxml::encode(&el);
        xsd::assert_valid_response(command, &format!("{command}-failed"), &bytes);
    }
}

#[test]
fn mailbox_and_gal_search_responses_validate() {
    use eas_protocol::email::Email;
    use eas_protocol::search::*;
    use eas_protocol::status::SearchStatus;
    use eas_protocol::ProtocolVersion;
    let email = Email {
        subject: Some("Figures".into()),
        conversation_id: Some(vec![7, 0, 7]),
        ..Email::default()
    };
    let mailbox = SearchResponse {
        status: SearchStatus::Success,
        store: Some(StoreResult {
            status: SearchStatus::Success,
            results: vec![SearchResult {
                class: Some("Email".into()),
                long_id: Some("RgAAAA".into()),
                collection_id: Some("5".into()),
                properties: email.properties(ProtocolVersion::V14_1).expect("supported"),
            }],
            range: Some(SearchRange { start: 0, end: 0 }),
            total: Some(1),
        }),
    };
    let gal = SearchResponse {
        status: SearchStatus::Success,
        store: Some(StoreResult {
            status: SearchStatus::Success,
            results: vec![SearchResult::gal(&GalEntry {
                display_name: Some("Jane Doe".into()),
                phone: Some("+1 555 0100".into()),
                office: Some("B2".into()),
                title: Some("Engineer".into()),
                company: Some("Example".into()),
                alias: Some("jane".into()),
                first_name: Some("Jane".into()),
                last_name: Some("Doe".into()),
                home_phone: None,
                mobile_phone: Some("+1 555 0101".into()),
                email_address: Some("jane@example.com".into()),
                picture: Some(eas_protocol::picture::Picture::Data(vec![0xFF, 0xD8, 0xFF])),
            })],
            range: Some(SearchRange::DEFAULT),
            total: Some(1),
        }),
    };
    let gal_pictures = SearchResponse {
        status: SearchStatus::Success,
        store: Some(StoreResult {
            status: SearchStatus::Success,
            results: [
                eas_protocol::picture::Picture::NoPhoto,
                eas_protocol::picture::Picture::TooLarge,
                eas_protocol::picture::Picture::LimitReached,
            ]
            .into_iter()
            .map(|p| {
                SearchResult::gal(&GalEntry {
                    display_name: Some("Jane Doe".into()),
                    email_address: Some("jane@example.com".into()),
                    picture: Some(p),
                    ..GalEntry::default()
                })
            })
            .collect(),
            range: Some(SearchRange { start: 0, end: 2 }),
            total: Some(3),
        }),
    };
    let no_match = SearchResponse {
        status: SearchStatus::Success,
        store: Some(StoreResult {
            status: SearchStatus::Success,
            results: vec![SearchResult::default()],
            range: None,
            total: Some(0),
        }),
    };
    let cases = [
        ("search-mailbox", mailbox),
        ("search-gal", gal),
        ("search-gal-picture-statuses", gal_pictures),
        ("search-empty-result", no_match),
        (
            "search-status",
            SearchResponse::status_only(SearchStatus::ServerError),
        ),
    ];
    for (name, resp) in cases {
        let bytes = eas_wbxml::encode(&resp.to_element());
        xsd::assert_valid_response("Search", name, &bytes);
    }
}
