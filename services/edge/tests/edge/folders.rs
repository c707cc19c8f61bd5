//! FolderCreate, FolderUpdate and FolderDelete of mail folders, and the FolderSync key they carry.

use crate::common;

use common::mail::{folders, MailDevice};
use common::*;
use eas_wbxml::tags::folder_hierarchy as fh;
use eas_wbxml::Element;

fn create(key: &str, parent: &str, name: &str, folder_type: &str) -> Element {
    Element::new(fh::FOLDER_CREATE)
        .with_text(fh::SYNC_KEY, key)
        .with_text(fh::PARENT_ID, parent)
        .with_text(fh::DISPLAY_NAME, name)
        .with_text(fh::TYPE, folder_type)
}

fn update(key: &str, id: &str, parent: &str, name: &str) -> Element {
    Element::new(fh::FOLDER_UPDATE)
        .with_text(fh::SYNC_KEY, key)
        .with_text(fh::SERVER_ID, id)
        .with_text(fh::PARENT_ID, parent)
        .with_text(fh::DISPLAY_NAME, name)
}

fn delete(key: &str, id: &str) -> Element {
    Element::new(fh::FOLDER_DELETE)
        .with_text(fh::SYNC_KEY, key)
        .with_text(fh::SERVER_ID, id)
}

fn status(r: &Reply) -> String {
    r.text(&[fh::STATUS]).unwrap()
}

/// The number of changes a FolderSync at `key` reports.
async fn changes(d: &MailDevice<'_>, key: &str) -> String {
    let r = d.device.folder_sync(key).await;
    assert_eq!(status(&r), "1");
    r.text(&[fh::CHANGES, fh::COUNT]).unwrap()
}

#[tokio::test]
async fn a_created_renamed_and_deleted_folder_is_not_reported_back_to_its_device() {
    let s = TestServer::start_with_mail().await;
    for v in ["12.1", "14.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("fold{}", v.replace('.', "")), v)).await;
        let name = format!("Projects {v}");
        let r = d
            .device
            .post(
                "FolderCreate",
                Some(&create(&d.folder_key, "0", &name, "12")),
            )
            .await;
        assert_eq!(status(&r), "1", "{v}");
        let key = r.text(&[fh::SYNC_KEY]).unwrap();
        let id = r.text(&[fh::SERVER_ID]).unwrap();
        assert_ne!(key, d.folder_key);
        assert_eq!(changes(&d, &key).await, "0", "{v}");
        // A child, then the parent renamed.
        let r = d
            .device
            .post("FolderCreate", Some(&create(&key, &id, "Child", "12")))
            .await;
        assert_eq!(status(&r), "1", "{v}");
        let key = r.text(&[fh::SYNC_KEY]).unwrap();
        let r = d
            .device
            .post("FolderUpdate", Some(&update(&key, &id, "0", "Renamed")))
            .await;
        assert_eq!(status(&r), "1", "{v}");
        let key = r.text(&[fh::SYNC_KEY]).unwrap();
        assert_eq!(changes(&d, &key).await, "0", "{v}");
        // Deleting the parent takes the child with it, on both sides.
        let r = d
            .device
            .post("FolderDelete", Some(&delete(&key, &id)))
            .await;
        assert_eq!(status(&r), "1", "{v}");
        let key = r.text(&[fh::SYNC_KEY]).unwrap();
        assert_eq!(changes(&d, &key).await, "0", "{v}");
        // Another device of the user sees none of them.
        let other = MailDevice::new(s.device(&format!("fold2{}", v.replace('.', "")), v)).await;
        assert!(!other
            .folders
            .iter()
            .any(|f| f.2 == "Renamed" || f.2 == "Child"));
    }
}

#[tokio::test]
async fn another_device_learns_of_a_created_folder_at_its_next_foldersync() {
    let s = TestServer::start_with_mail().await;
    let a = MailDevice::new(s.device("folda", "14.1")).await;
    let b = MailDevice::new(s.device("foldb", "14.1")).await;
    let r = a
        .device
        .post(
            "FolderCreate",
            Some(&create(&a.folder_key, "0", "Shared", "12")),
        )
        .await;
    assert_eq!(status(&r), "1");
    let r = b.device.folder_sync(&b.folder_key).await;
    let added = folders(&r);
    assert_eq!(added.len(), 1);
    assert_eq!((added[0].2.as_str(), added[0].3), ("Shared", 12));
}

#[tokio::test]
async fn folder_commands_with_a_stale_key_get_status_9() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("foldkey", "16.1")).await;
    let inbox = d.folder(2);
    let r = d
        .device
        .post("FolderCreate", Some(&create("7", "0", "X", "12")))
        .await;
    assert_eq!(status(&r), "9");
    let r = d
        .device
        .post("FolderUpdate", Some(&update("0", &inbox, "0", "X")))
        .await;
    assert_eq!(status(&r), "9");
    let r = d
        .device
        .post("FolderDelete", Some(&delete("7", &inbox)))
        .await;
    assert_eq!(status(&r), "9");
}

#[tokio::test]
async fn folder_commands_refuse_duplicates_special_folders_and_missing_folders() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("foldbad", "14.1")).await;
    let (key, inbox) = (d.folder_key.clone(), d.folder(2));
    let post = |cmd: &'static str, body: Element| {
        let dev = &d.device;
        async move { status(&dev.post(cmd, Some(&body)).await) }
    };
    let r = d
        .device
        .post("FolderCreate", Some(&create(&key, "0", "Once", "12")))
        .await;
    let key = r.text(&[fh::SYNC_KEY]).unwrap();
    let once = r.text(&[fh::SERVER_ID]).unwrap();
    // FolderCreate: 2 exists, 5 no parent, 3 parent of another class, 10 default type.
    assert_eq!(
        post("FolderCreate", create(&key, "0", "Once", "12")).await,
        "2"
    );
    assert_eq!(
        post("FolderCreate", create(&key, "9999", "X", "12")).await,
        "5"
    );
    assert_eq!(
        post("FolderCreate", create(&key, "calendar", "X", "12")).await,
        "3"
    );
    assert_eq!(
        post("FolderCreate", create(&key, "0", "X", "2")).await,
        "10"
    );
    // FolderUpdate: 4 no folder, 2 special folder, 5 no parent, 2 name taken.
    assert_eq!(
        post("FolderUpdate", update(&key, "9999", "0", "X")).await,
        "4"
    );
    assert_eq!(
        post("FolderUpdate", update(&key, &inbox, "0", "X")).await,
        "2"
    );
    assert_eq!(
        post("FolderUpdate", update(&key, &once, "9999", "X")).await,
        "5"
    );
    assert_eq!(
        post("FolderUpdate", update(&key, &once, &once, "X")).await,
        "10"
    );
    // FolderDelete: 4 no folder, 3 special folder.
    assert_eq!(post("FolderDelete", delete(&key, "9999")).await, "4");
    assert_eq!(post("FolderDelete", delete(&key, &inbox)).await, "3");
    assert_eq!(post("FolderDelete", delete(&key, "calendar")).await, "3");
}

#[tokio::test]
async fn malformed_folder_commands_get_status_10() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("foldmalformed", "14.1")).await;
    for (cmd, root) in [
        ("FolderCreate", fh::FOLDER_CREATE),
        ("FolderUpdate", fh::FOLDER_UPDATE),
        ("FolderDelete", fh::FOLDER_DELETE),
    ] {
        let r = d
            .device
            .post(cmd, Some(&Element::new(root).with_text(fh::SYNC_KEY, "1")))
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(status(&r), "10", "{cmd}");
    }
}

#[tokio::test]
async fn the_sync_state_of_a_deleted_folder_is_dropped_on_both_devices() {
    let s = TestServer::start_with_mail().await;
    let a = MailDevice::new(s.device("dropa", "16.1")).await;
    let b = MailDevice::new(s.device("dropb", "16.1")).await;
    let r = a
        .device
        .post(
            "FolderCreate",
            Some(&create(&a.folder_key, "0", "Short-lived", "12")),
        )
        .await;
    assert_eq!(status(&r), "1");
    let a_key = r.text(&[fh::SYNC_KEY]).unwrap();
    let id = r.text(&[fh::SERVER_ID]).unwrap();
    // Device B learns of the folder and syncs it, so it holds sync state for it.
    let r = b.device.folder_sync(&b.folder_key).await;
    let b_key = r.text(&[fh::SYNC_KEY]).unwrap();
    b.sync_all(&id).await;
    let state = |dev: &str| {
        let name = format!("sync:{id}");
        let devices = s.edge.devices.clone();
        let dev = dev.to_owned();
        async move { devices.get_state(USER, &dev, &name).await.unwrap() }
    };
    a.sync_all(&id).await;
    assert!(state("dropa").await.is_some());
    assert!(state("dropb").await.is_some());
    // A deletes it: its own state goes at once, B's when B hears of the deletion.
    let r = a
        .device
        .post("FolderDelete", Some(&delete(&a_key, &id)))
        .await;
    assert_eq!(status(&r), "1");
    assert!(state("dropa").await.is_none());
    assert!(state("dropb").await.is_some());
    assert_eq!(changes(&b, &b_key).await, "1");
    assert!(state("dropb").await.is_none());
}

/// A Sync of Drafts carrying one command; returns the reply.
async fn drafts_sync(d: &MailDevice<'_>, drafts: &str, key: &str, command: Element) -> Reply {
    use eas_wbxml::tags::air_sync as a;
    let coll = Element::new(a::COLLECTION)
        .with_text(a::SYNC_KEY, key)
        .with_text(a::COLLECTION_ID, drafts)
        .with(Element::new(a::GET_CHANGES))
        .with(Element::new(a::COMMANDS).with(command));
    let body = Element::new(a::SYNC).with(Element::new(a::COLLECTIONS).with(coll));
    d.device.post("Sync", Some(&body)).await
}

#[tokio::test]
async fn a_draft_added_at_16_1_is_stored_and_synced_to_another_device_and_refused_below_16() {
    use eas_wbxml::tags::{air_sync as a, air_sync_base as ab, email as e, email2 as e2};
    let s = TestServer::start_with_mail().await;
    let phone = MailDevice::new(s.device("draftphone", "16.1")).await;
    let tablet = MailDevice::new(s.device("drafttablet", "16.1")).await;
    let drafts = phone.folder(3);
    let (key, _) = phone.sync_all(&drafts).await;
    let draft = |client_id: &str, subject: &str, send: bool| {
        let mut data = Element::new(a::APPLICATION_DATA)
            .with_text(e::TO, USER)
            .with_text(e::SUBJECT, subject)
            .with(
                Element::new(ab::BODY)
                    .with_text(ab::TYPE, "1")
                    .with_text(ab::DATA, "draft text"),
            );
        if send {
            data.push(Element::new(e2::SEND));
        }
        Element::new(a::ADD)
            .with_text(a::CLIENT_ID, client_id)
            .with(data)
    };
    let r = drafts_sync(&phone, &drafts, &key, draft("c1", "kept as draft", false)).await;
    let coll = |r: &Reply| {
        r.body
            .as_ref()
            .unwrap()
            .child(a::COLLECTIONS)
            .unwrap()
            .child(a::COLLECTION)
            .unwrap()
            .clone()
    };
    let c = coll(&r);
    let add = c.child(a::RESPONSES).unwrap().child(a::ADD).unwrap();
    assert_eq!(add.child_text(a::STATUS).as_deref(), Some("1"));
    assert!(add.child_text(a::SERVER_ID).is_some());
    // The tablet sees the draft.
    let (_, ids) = tablet.sync_all(&drafts).await;
    assert_eq!(ids.len(), 1);
    // Sending (email2:Send) needs the mail service's submission, which this in-process
    // service has not: tests/e2e/test_clients.py sends a draft through the real server.
    // Below 16.0 a Sync Add of mail is refused as before (item status 6).
    let old = MailDevice::new(s.device("draftold", "14.1")).await;
    let (key, _) = old.sync_all(&drafts).await;
    let r = drafts_sync(&old, &drafts, &key, draft("c3", "old", false)).await;
    let c = coll(&r);
    let add = c.child(a::RESPONSES).unwrap().child(a::ADD).unwrap();
    assert_eq!(add.child_text(a::STATUS).as_deref(), Some("6"));
}
