//! FolderSync keys and Settings: standard folders, resent requests, bad keys, user information.

use crate::common;

use common::*;
use eas_wbxml::tags::{folder_hierarchy as fh, settings as st};
use eas_wbxml::Element;

fn adds(r: &Reply) -> Vec<(String, String, String)> {
    let changes = r.body.as_ref().unwrap().child(fh::CHANGES).unwrap();
    changes
        .children_of(fh::ADD)
        .map(|a| {
            (
                a.child_text(fh::SERVER_ID).unwrap(),
                a.child_text(fh::DISPLAY_NAME).unwrap(),
                a.child_text(fh::TYPE).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn foldersync_from_key_0_returns_the_standard_folders_with_their_types() {
    let s = TestServer::start().await;
    for v in ["12.1", "14.1", "16.1"] {
        let mut d = s.device(&format!("fs{}", v.replace('.', "")), v);
        d.provision().await;
        let r = d.folder_sync("0").await;
        assert_eq!(r.status, 200);
        assert_xsd_valid("FolderSync", &r);
        assert_eq!(r.text(&[fh::SYNC_KEY]).as_deref(), Some("1"));
        assert_eq!(r.text(&[fh::CHANGES, fh::COUNT]).as_deref(), Some("7"));
        let types: Vec<String> = adds(&r).into_iter().map(|a| a.2).collect();
        for t in ["2", "3", "4", "5", "6", "8", "9"] {
            assert!(types.iter().any(|x| x == t), "type {t} missing at {v}");
        }
        // MS-ASHTTP 3.2.5.1: a hierarchy reset carries the protocol headers and X-MS-RP.
        assert!(r.headers.contains_key("x-ms-rp"));
        assert!(r.headers.contains_key("ms-asprotocolcommands"));
    }
}

#[tokio::test]
async fn foldersync_with_the_current_key_reports_no_changes() {
    let s = TestServer::start().await;
    let mut d = s.device("fsnochange", "14.1");
    d.provision().await;
    let key = d.folder_sync("0").await.text(&[fh::SYNC_KEY]).unwrap();
    let r = d.folder_sync(&key).await;
    assert_eq!(r.text(&[fh::STATUS]).as_deref(), Some("1"));
    assert_eq!(r.text(&[fh::SYNC_KEY]), Some(key));
    assert_eq!(r.text(&[fh::CHANGES, fh::COUNT]).as_deref(), Some("0"));
    assert_xsd_valid("FolderSync", &r);
}

#[tokio::test]
async fn foldersync_with_an_unknown_key_gets_status_9() {
    let s = TestServer::start().await;
    let mut d = s.device("fsbad", "14.1");
    d.provision().await;
    for key in ["5", "abc", "4294967296"] {
        let r = d.folder_sync(key).await;
        assert_eq!(r.text(&[fh::STATUS]).as_deref(), Some("9"), "key {key}");
        assert_xsd_valid("FolderSync", &r);
    }
}

#[tokio::test]
async fn foldersync_key_0_twice_gives_the_same_folder_ids() {
    let s = TestServer::start().await;
    let mut d = s.device("fstwice", "16.1");
    d.provision().await;
    let a = adds(&d.folder_sync("0").await);
    let b = adds(&d.folder_sync("0").await);
    assert_eq!(a, b);
}

#[tokio::test]
async fn settings_stores_device_information_and_returns_user_information() {
    let s = TestServer::start().await;
    for v in ["12.1", "14.1", "16.1"] {
        let id = format!("set{}", v.replace('.', ""));
        let mut d = s.device(&id, v);
        d.provision().await;
        let body = Element::new(st::SETTINGS)
            .with(
                Element::new(st::DEVICE_INFORMATION).with(
                    Element::new(st::SET)
                        .with_text(st::MODEL, "iPhone14C2")
                        .with_text(st::OS, "iOS 17.1")
                        .with_text(st::FRIENDLY_NAME, "Anna's phone"),
                ),
            )
            .with(Element::new(st::USER_INFORMATION).with(Element::new(st::GET)));
        let r = d.post("Settings", Some(&body)).await;
        assert_eq!(r.status, 200);
        assert_xsd_valid("Settings", &r);
        assert_eq!(r.text(&[st::STATUS]).as_deref(), Some("1"));
        assert_eq!(
            r.text(&[st::DEVICE_INFORMATION, st::STATUS]).as_deref(),
            Some("1")
        );
        let ui = r
            .body
            .as_ref()
            .unwrap()
            .child(st::USER_INFORMATION)
            .unwrap();
        assert_eq!(ui.child_text(st::STATUS).as_deref(), Some("1"));
        let text = format!("{:?}", ui);
        assert!(
            text.contains(USER),
            "user information names the address: {text}"
        );
        let (_, dev) = s
            .admin(
                reqwest::Method::GET,
                &format!("/admin/devices/{USER}/{id}"),
                None,
            )
            .await;
        assert_eq!(dev["info"]["model"], "iPhone14C2");
    }
}

/// A Settings request with one Oof element.
fn oof(inner: Element) -> Element {
    Element::new(st::SETTINGS).with(Element::new(st::OOF).with(inner))
}

fn oof_get(body_type: &str) -> Element {
    oof(Element::new(st::GET).with_text(st::BODY_TYPE, body_type))
}

/// The OofMessage elements of a Get answer: (audience tag name, enabled, message, body type).
fn oof_messages(r: &Reply) -> Vec<(String, String, Option<String>, Option<String>)> {
    let get = r
        .body
        .as_ref()
        .unwrap()
        .child(st::OOF)
        .unwrap()
        .child(st::GET)
        .unwrap();
    get.children_of(st::OOF_MESSAGE)
        .map(|m| {
            let audience = m
                .elements()
                .next()
                .and_then(|e| e.tag.name())
                .unwrap_or_default()
                .to_owned();
            (
                audience,
                m.child_text(st::ENABLED).unwrap_or_default(),
                m.child_text(st::REPLY_MESSAGE),
                m.child_text(st::BODY_TYPE),
            )
        })
        .collect()
}

#[tokio::test]
async fn out_of_office_is_answered_with_valid_statuses_stored_and_read_back() {
    let s = TestServer::start().await;
    for v in ["12.1", "14.1", "16.1"] {
        let mut d = s.device(&format!("oof{}", v.replace('.', "")), v);
        d.provision().await;
        // MS-ASCMD 2.2.3.177.16: a Get answers 1 (never 7), disabled until set.
        let r = d.post("Settings", Some(&oof_get("Text"))).await;
        assert_eq!(r.text(&[st::STATUS]).as_deref(), Some("1"), "{v}");
        assert_eq!(r.text(&[st::OOF, st::STATUS]).as_deref(), Some("1"), "{v}");
        assert_eq!(
            r.text(&[st::OOF, st::GET, st::OOF_STATE]).as_deref(),
            Some("0"),
            "{v}"
        );
        // A time-based Set with an HTML message for external senders.
        let set = oof(Element::new(st::SET)
            .with_text(st::OOF_STATE, "2")
            .with_text(st::START_TIME, "2026-12-20T08:00:00.000Z")
            .with_text(st::END_TIME, "2027-01-04T08:00:00.000Z")
            .with(
                Element::new(st::OOF_MESSAGE)
                    .with(Element::new(st::APPLIES_TO_INTERNAL))
                    .with_text(st::ENABLED, "1")
                    .with_text(st::REPLY_MESSAGE, format!("Away {v} & back in January"))
                    .with_text(st::BODY_TYPE, "Text"),
            )
            .with(
                Element::new(st::OOF_MESSAGE)
                    .with(Element::new(st::APPLIES_TO_EXTERNAL_UNKNOWN))
                    .with_text(st::ENABLED, "1")
                    .with_text(st::REPLY_MESSAGE, "<p>Away</p>")
                    .with_text(st::BODY_TYPE, "HTML"),
            ));
        let r = d.post("Settings", Some(&set)).await;
        assert_eq!(r.text(&[st::OOF, st::STATUS]).as_deref(), Some("1"), "{v}");
        let r = d.post("Settings", Some(&oof_get("Text"))).await;
        assert_eq!(
            r.text(&[st::OOF, st::GET, st::OOF_STATE]).as_deref(),
            Some("2"),
            "{v}"
        );
        assert_eq!(
            r.text(&[st::OOF, st::GET, st::START_TIME]).as_deref(),
            Some("2026-12-20T08:00:00.000Z")
        );
        assert_eq!(
            r.text(&[st::OOF, st::GET, st::END_TIME]).as_deref(),
            Some("2027-01-04T08:00:00.000Z")
        );
        let text = |m: &str| Some(m.to_owned());
        assert_eq!(
            oof_messages(&r),
            [
                (
                    "AppliesToInternal".into(),
                    "1".into(),
                    text(&format!("Away {v} & back in January")),
                    text("Text")
                ),
                ("AppliesToExternalKnown".into(), "0".into(), None, None),
                (
                    "AppliesToExternalUnknown".into(),
                    "1".into(),
                    text("Away"),
                    text("Text")
                ),
            ],
            "{v}"
        );
        // In HTML the text message is escaped.
        let r = d.post("Settings", Some(&oof_get("HTML"))).await;
        let html = oof_messages(&r);
        assert_eq!(
            html[0].2,
            text(&format!("Away {v} &amp; back in January")),
            "{v}"
        );
        assert_eq!(html[2].2, text("<p>Away</p>"), "{v}");
        // Refusals: StartTime without EndTime is 2 (R2272), an end before the start 6, and
        // neither changes what is stored.
        let half = oof(Element::new(st::SET)
            .with_text(st::OOF_STATE, "2")
            .with_text(st::START_TIME, "2026-12-20T08:00:00.000Z"));
        let r = d.post("Settings", Some(&half)).await;
        assert_eq!(r.text(&[st::OOF, st::STATUS]).as_deref(), Some("2"), "{v}");
        let backwards = oof(Element::new(st::SET)
            .with_text(st::OOF_STATE, "2")
            .with_text(st::START_TIME, "2027-01-04T08:00:00.000Z")
            .with_text(st::END_TIME, "2026-12-20T08:00:00.000Z"));
        let r = d.post("Settings", Some(&backwards)).await;
        assert_eq!(r.text(&[st::OOF, st::STATUS]).as_deref(), Some("6"), "{v}");
        let r = d.post("Settings", Some(&oof_get("Text"))).await;
        assert_eq!(
            r.text(&[st::OOF, st::GET, st::OOF_STATE]).as_deref(),
            Some("2"),
            "{v}"
        );
        // A Get without BodyType is a protocol error (R824); a Set to 0 turns it off.
        let r = d.post("Settings", Some(&oof(Element::new(st::GET)))).await;
        assert_eq!(r.text(&[st::OOF, st::STATUS]).as_deref(), Some("2"), "{v}");
        let off = oof(Element::new(st::SET).with_text(st::OOF_STATE, "0"));
        let r = d.post("Settings", Some(&off)).await;
        assert_eq!(r.text(&[st::OOF, st::STATUS]).as_deref(), Some("1"), "{v}");
        let r = d.post("Settings", Some(&oof_get("Text"))).await;
        assert_eq!(
            r.text(&[st::OOF, st::GET, st::OOF_STATE]).as_deref(),
            Some("0"),
            "{v}"
        );
    }
}

#[tokio::test]
async fn a_device_password_set_is_refused_with_the_status_the_spec_gives_for_disabled_recovery() {
    let s = TestServer::start().await;
    let mut d = s.device("devpw", "14.1");
    d.provision().await;
    let body = Element::new(st::SETTINGS).with(
        Element::new(st::DEVICE_PASSWORD)
            .with(Element::new(st::SET).with_text(st::PASSWORD, "1234")),
    );
    let r = d.post("Settings", Some(&body)).await;
    assert_eq!(r.text(&[st::STATUS]).as_deref(), Some("1"));
    // MS-ASCMD 2.2.3.177.16: 7 is a DevicePassword Set status (recovery disabled).
    assert_eq!(
        r.text(&[st::DEVICE_PASSWORD, st::STATUS]).as_deref(),
        Some("7")
    );
}
