//! Sync responses carrying Email data, encoded to WBXML and validated by `tests/xsd/validate.py`.

use crate::xsd;

use eas_protocol::body::{
    select_body, Attachment, AttachmentMethod, AvailableBodies, BodyPreference, BodyType,
};
use eas_protocol::datetime::EasDateTime;
use eas_protocol::email::{Email, EmailChange, Flag, FlagStatus, Importance};
use eas_protocol::status::SyncStatus;
use eas_protocol::sync::{ItemResponse, ServerCommand, SyncCollectionResponse, SyncResponse};
use eas_protocol::ProtocolVersion;

fn email() -> Email {
    let prefs = [BodyPreference {
        truncation_size: Some(20),
        preview: Some(10),
        ..BodyPreference::new(BodyType::Html)
    }];
    let available = AvailableBodies {
        plain: Some("Hello Jane, the figures are attached."),
        html: Some("<p>Hello Jane, the figures are attached.</p>"),
        mime: None,
        native: BodyType::Html,
    };
    Email {
        to: Some("\"Jane Doe\" <jane@example.com>".into()),
        cc: Some("bob@example.com".into()),
        from: Some("alice@example.com".into()),
        subject: Some("Figures & <totals>".into()),
        reply_to: Some("alice@example.com".into()),
        date_received: EasDateTime::parse("2026-11-25T10:00:00.000Z"),
        display_to: Some("Jane Doe".into()),
        thread_topic: Some("Figures".into()),
        importance: Some(Importance::Normal),
        read: false,
        flag: Some(Flag {
            status: Some(FlagStatus::Complete),
            flag_type: Some("for Follow Up".into()),
            complete_time: EasDateTime::parse("2026-11-26T09:00:00.000Z"),
            date_completed: EasDateTime::parse("2026-11-26T09:00:00.000Z"),
            reminder_set: Some(false),
            ..Flag::default()
        }),
        body: select_body(&prefs, &available),
        attachments: vec![Attachment {
            display_name: Some("figures.xlsx".into()),
            file_reference: "5:12:1".into(),
            method: AttachmentMethod::Normal,
            estimated_data_size: 40_000,
            content_id: None,
            content_location: None,
            is_inline: false,
        }],
        native_body_type: Some(BodyType::Html),
        categories: vec!["Work".into(), "Blue".into()],
        conversation_id: Some(vec![0x9A, 0x00, 0x41, 0xFF]),
        conversation_index: Some(vec![0x01, 0xD5, 0x3B]),
        received_as_bcc: Some(true),
        sender: Some("assistant@example.com".into()),
        ..Email::default()
    }
}

fn full_response(version: ProtocolVersion) -> SyncResponse {
    let data = email().properties(version).expect("supported version");
    let mut c = SyncCollectionResponse::new("5", "9");
    c.more_available = true;
    c.commands = vec![
        ServerCommand::Add {
            server_id: "5:12".into(),
            application_data: data.clone(),
        },
        ServerCommand::Change {
            server_id: "5:10".into(),
            application_data: EmailChange {
                read: Some(true),
                flag: Some(Flag::default()),
                ..EmailChange::default()
            }
            .properties(),
        },
        ServerCommand::Delete {
            server_id: "5:8".into(),
        },
        ServerCommand::SoftDelete {
            server_id: "5:2".into(),
        },
    ];
    c.responses = vec![
        ItemResponse::Add {
            client_id: "c-1".into(),
            server_id: Some("5:13".into()),
            status: SyncStatus::Success,
            application_data: None,
        },
        ItemResponse::Change {
            server_id: "5:11".into(),
            status: SyncStatus::ObjectNotFound,
            instance_id: None,
        },
        ItemResponse::Fetch {
            server_id: "5:12".into(),
            status: SyncStatus::Success,
            application_data: Some(data),
        },
    ];
    let failed = SyncCollectionResponse::failed("6", Some("0".into()), SyncStatus::InvalidSyncKey);
    SyncResponse::collections(vec![c, failed])
}

#[test]
fn a_sync_response_with_every_command_and_response_validates_at_12_0_to_16_1() {
    for v in [
        ProtocolVersion::V12_0,
        ProtocolVersion::V12_1,
        ProtocolVersion::V14_0,
        ProtocolVersion::V14_1,
        ProtocolVersion::V16_0,
        ProtocolVersion::V16_1,
    ] {
        let bytes = eas_wbxml::encode(&full_response(v).to_element());
        xsd::assert_valid_response("Sync", &format!("sync-full-{v}"), &bytes);
    }
}

#[test]
fn status_only_limit_and_empty_sync_responses_validate() {
    let cases = [
        (
            "sync-status",
            SyncResponse::status_only(SyncStatus::ServerError),
        ),
        (
            "sync-limit",
            SyncResponse::with_limit(SyncStatus::InvalidWaitOrHeartbeat, 59),
        ),
        ("sync-empty", SyncResponse::collections(vec![])),
        (
            "sync-new-key",
            SyncResponse::collections(vec![SyncCollectionResponse::new("5", "1")]),
        ),
    ];
    for (name, resp) in cases {
        let bytes = eas_wbxml::encode(&resp.to_element());
        xsd::assert_valid_response("Sync", name, &bytes);
    }
}

/// MS-ASAIRS R1082, R1324 to R1326: a 16.x Add response answers each attachment the Add brought
/// with its ClientId and the server's FileReference, beside the event's UID.
#[test]
fn an_add_response_with_the_file_references_of_added_attachments_validates() {
    let answer = eas_protocol::body::added_attachments_element([
        ("att-1", "cal:att:0123456789abcdef0123456789abcdef"),
        ("att-2", "cal:att:fedcba9876543210fedcba9876543210"),
    ])
    .expect("two attachments");
    let mut c = SyncCollectionResponse::new("cal:7", "3");
    c.responses = vec![ItemResponse::Add {
        client_id: "v1".into(),
        server_id: Some("41".into()),
        status: SyncStatus::Success,
        application_data: Some(vec![
            eas_wbxml::Element::text(eas_wbxml::tags::calendar::UID, "0A1B"),
            answer,
        ]),
    }];
    let bytes = eas_wbxml::encode(&SyncResponse::collections(vec![c]).to_element());
    xsd::assert_valid_response("Sync", "sync-add-attachments", &bytes);
}
