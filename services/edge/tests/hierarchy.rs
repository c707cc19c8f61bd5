//! FolderSync keys and Settings: standard folders, resent requests, bad keys, user information.

mod common;

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

#[tokio::test]
async fn settings_out_of_office_is_answered_as_not_available() {
    let s = TestServer::start().await;
    let mut d = s.device("oof", "14.1");
    d.provision().await;
    let body = Element::new(st::SETTINGS)
        .with(Element::new(st::OOF).with(Element::new(st::GET).with_text(st::BODY_TYPE, "Text")));
    let r = d.post("Settings", Some(&body)).await;
    assert_eq!(r.text(&[st::STATUS]).as_deref(), Some("1"));
    assert_eq!(r.text(&[st::OOF, st::STATUS]).as_deref(), Some("7"));
    assert_xsd_valid("Settings", &r);
}
