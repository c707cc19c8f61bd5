//! Every response type, encoded to WBXML, validated against Microsoft's XSDs by
//! `tests/xsd/validate.py`.

use crate::xsd;

use eas_protocol::provision::{
    PolicyResponse, PolicySettings, ProvisionResponse, POLICY_TYPE_WBXML,
};
use eas_protocol::status::{PolicyStatus, ProvisionStatus, SettingsStatus};
use eas_protocol::version::SUPPORTED;
use eas_protocol::ProtocolVersion;

fn full_provision_response() -> ProvisionResponse {
    ProvisionResponse {
        status: ProvisionStatus::Success,
        device_information: Some(SettingsStatus::Success),
        policy: Some(PolicyResponse {
            policy_type: POLICY_TYPE_WBXML.into(),
            status: PolicyStatus::Success,
            policy_key: Some(1_307_199_584),
            settings: Some(PolicySettings {
                password_required: true,
                alphanumeric_password_required: true,
                min_password_length: Some(6),
                max_inactivity_lock_seconds: Some(900),
                max_failed_attempts: Some(8),
                max_attachment_size: Some(10_000_000),
                password_expiration_days: Some(90),
                password_history: 3,
                min_complex_characters: Some(2),
                max_calendar_age_filter: 4,
                max_email_age_filter: 3,
                ..PolicySettings::default()
            }),
        }),
        remote_wipe: true,
        account_only_remote_wipe: true,
    }
}

#[test]
fn provision_responses_with_a_full_policy_validate_at_every_version_from_12_0() {
    for v in SUPPORTED.iter().filter(|v| **v >= ProtocolVersion::V12_0) {
        let mut resp = full_provision_response();
        // libwbxml cannot decode AccountOnlyRemoteWipe; the XML test below covers it.
        resp.account_only_remote_wipe = false;
        let bytes = eas_wbxml::encode(&resp.to_element(*v));
        xsd::assert_valid_response("Provision", &format!("provision-full-{v}"), &bytes);
    }
}

#[test]
fn a_16_1_provision_response_with_an_account_only_wipe_validates_as_xml() {
    let el = full_provision_response().to_element(ProtocolVersion::V16_1);
    // libwbxml cannot decode Provision's AccountOnlyRemoteWipe (token 0x3B): validate the XML form.
    let xml = eas_wbxml::to_xml(&el);
    assert!(xml.contains("AccountOnlyRemoteWipe"));
    xsd::assert_valid_response("Provision", "provision-account-wipe.xml", xml.as_bytes());
}

#[test]
fn provision_responses_with_the_default_policy_validate() {
    let mut resp = full_provision_response();
    if let Some(p) = resp.policy.as_mut() {
        p.settings = Some(PolicySettings::default());
    }
    let bytes = eas_wbxml::encode(&resp.to_element(ProtocolVersion::V14_1));
    xsd::assert_valid_response("Provision", "provision-default", &bytes);
}

#[test]
fn provision_acknowledgement_and_status_only_responses_validate() {
    let ack = ProvisionResponse {
        policy: Some(PolicyResponse {
            policy_type: POLICY_TYPE_WBXML.into(),
            status: PolicyStatus::Success,
            policy_key: Some(7),
            settings: None,
        }),
        ..ProvisionResponse::status_only(ProvisionStatus::Success)
    };
    let bytes = eas_wbxml::encode(&ack.to_element(ProtocolVersion::V14_1));
    xsd::assert_valid_response("Provision", "provision-ack", &bytes);
    let bare = ProvisionResponse::status_only(ProvisionStatus::ProtocolError);
    let bytes = eas_wbxml::encode(&bare.to_element(ProtocolVersion::V12_1));
    xsd::assert_valid_response("Provision", "provision-status-only", &bytes);
}

#[test]
fn folder_sync_responses_with_every_kind_of_change_validate() {
    use eas_protocol::folder_sync::{Folder, FolderChange, FolderSyncResponse, FolderType};
    use eas_protocol::status::FolderSyncStatus;
    let folder = |id: &str, t: FolderType| Folder {
        server_id: id.into(),
        parent_id: "0".into(),
        display_name: format!("folder {id} & <more>"),
        folder_type: t,
    };
    let resp = FolderSyncResponse {
        status: FolderSyncStatus::Success,
        sync_key: Some("1".into()),
        changes: vec![
            FolderChange::Add(folder("1", FolderType::Inbox)),
            FolderChange::Add(folder("2", FolderType::Calendar)),
            FolderChange::Update(folder("3", FolderType::UserMail)),
            FolderChange::Delete {
                server_id: "4".into(),
            },
        ],
    };
    let bytes = eas_wbxml::encode(&resp.to_element());
    xsd::assert_valid_response("FolderSync", "foldersync-changes", &bytes);
    let empty = FolderSyncResponse {
        changes: vec![],
        ..resp
    };
    let bytes = eas_wbxml::encode(&empty.to_element());
    xsd::assert_valid_response("FolderSync", "foldersync-empty", &bytes);
    let failed = FolderSyncResponse::failed(FolderSyncStatus::InvalidSyncKey);
    let bytes = eas_wbxml::encode(&failed.to_element());
    xsd::assert_valid_response("FolderSync", "foldersync-failed", &bytes);
}

fn full_settings_response() -> eas_protocol::settings::SettingsResponse {
    use eas_protocol::settings::*;
    SettingsResponse {
        status: SettingsStatus::Success,
        oof: Some(OofResponse {
            status: SettingsStatus::Success,
            get: Some(OofState {
                state: 2,
                start_time: Some("2024-01-01T00:00:00.000Z".into()),
                end_time: Some("2024-01-08T00:00:00.000Z".into()),
                messages: vec![OofMessage {
                    audience: Some(OofAudience::Internal),
                    enabled: Some(true),
                    reply_message: Some("away".into()),
                    body_type: Some("TEXT".into()),
                }],
            }),
        }),
        device_information: Some(SettingsStatus::Success),
        device_password: Some(SettingsStatus::DeniedByPolicy),
        user_information: Some(UserInformation {
            status: SettingsStatus::Success,
            display_name: Some("Jane Doe".into()),
            primary_smtp_address: Some("jane@example.com".into()),
            smtp_addresses: vec!["jane@example.com".into(), "jd@example.com".into()],
        }),
    }
}

#[test]
fn settings_responses_validate_at_every_version() {
    for v in SUPPORTED {
        let bytes = eas_wbxml::encode(&full_settings_response().to_element(v));
        xsd::assert_valid_response("Settings", &format!("settings-full-{v}"), &bytes);
    }
    let bare = eas_protocol::settings::SettingsResponse::status_only(SettingsStatus::ProtocolError);
    let bytes = eas_wbxml::encode(&bare.to_element(ProtocolVersion::V14_1));
    xsd::assert_valid_response("Settings", "settings-status-only", &bytes);
}

#[test]
fn autodiscover_mobilesync_and_error_responses_validate() {
    use eas_protocol::autodiscover::*;
    let ok = render_mobilesync(&MobileSyncSettings {
        culture: "en:us".into(),
        display_name: Some("Jane Doe".into()),
        email_address: "jane@example.com".into(),
        url: "https://mail.example.com/Microsoft-Server-ActiveSync".into(),
        name: None,
    });
    xsd::assert_valid_response("Autodiscover", "autodiscover-ok.xml", ok.as_bytes());
    let action_error = render_action_error("en:us", "jane@example.com", 2, "protocol error");
    xsd::assert_valid_response(
        "Autodiscover",
        "autodiscover-action-error.xml",
        action_error.as_bytes(),
    );
    let request_error = render_request_error(error_code::INVALID_REQUEST, "invalid request");
    xsd::assert_valid_response(
        "Autodiscover",
        "autodiscover-request-error.xml",
        request_error.as_bytes(),
    );
}

#[test]
fn ping_responses_validate_for_every_status() {
    use eas_protocol::ping::PingResponse;
    use eas_protocol::status::PingStatus;
    for status in PingStatus::ALL {
        let resp = PingResponse {
            changed_folders: if *status == PingStatus::ChangesFound {
                vec!["1".into(), "2".into()]
            } else {
                vec![]
            },
            max_folders: (*status == PingStatus::TooManyFolders).then_some(200),
            heartbeat_interval: (*status == PingStatus::InvalidHeartbeat).then_some(480),
            ..PingResponse::status_only(*status)
        };
        let bytes = eas_wbxml::encode(&resp.to_element());
        xsd::assert_valid_response("Ping", &format!("ping-{status}"), &bytes);
    }
}

#[test]
fn folder_create_update_and_delete_responses_validate() {
    use eas_protocol::folder_create::FolderCreateResponse;
    use eas_protocol::folder_delete::FolderDeleteResponse;
    use eas_protocol::folder_update::FolderUpdateResponse;
    use eas_protocol::status::FolderStatus;
    let created = FolderCreateResponse::created("4".into(), "42".into()).to_element();
    xsd::assert_valid_response(
        "FolderCreate",
        "foldercreate-ok",
        &eas_wbxml::encode(&created),
    );
    let failed = FolderCreateResponse::failed(FolderStatus::ParentNotFound).to_element();
    xsd::assert_valid_response(
        "FolderCreate",
        "foldercreate-failed",
        &eas_wbxml::encode(&failed),
    );
    let updated = FolderUpdateResponse {
        status: FolderStatus::Success,
        sync_key: Some("5".into()),
    }
    .to_element();
    xsd::assert_valid_response(
        "FolderUpdate",
        "folderupdate-ok",
        &eas_wbxml::encode(&updated),
    );
    let deleted = FolderDeleteResponse {
        status: FolderStatus::Success,
        sync_key: Some("6".into()),
    }
    .to_element();
    xsd::assert_valid_response(
        "FolderDelete",
        "folderdelete-ok",
        &eas_wbxml::encode(&deleted),
    );
}
