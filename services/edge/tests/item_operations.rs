//! ItemOperations on the mailbox: whole messages, streamed attachments with ranges, emptying folders.

mod common;

use base64::Engine;
use common::mail::{message, message_with_attachment, MailDevice};
use common::*;
use eas_wbxml::tags::{
    air_sync as a, air_sync_base as ab, email as em, item_operations as io, search as se,
};
use eas_wbxml::{Element, Tag};

/// The first element with `tag` anywhere below `el`.
fn find(el: &Element, tag: Tag) -> Option<&Element> {
    if el.tag == tag {
        return Some(el);
    }
    el.elements().find_map(|c| find(c, tag))
}

/// The Fetch answers of a response.
fn fetches(r: &Reply) -> Vec<&Element> {
    let body = r.body.as_ref().expect("body");
    assert_eq!(body.child_text(io::STATUS).as_deref(), Some("1"));
    body.child(io::RESPONSE)
        .map(|resp| resp.children_of(io::FETCH).collect())
        .unwrap_or_default()
}

fn fetch_attachment(file_reference: &str, range: Option<&str>) -> Element {
    let mut fetch = Element::new(io::FETCH)
        .with_text(io::STORE, "Mailbox")
        .with_text(ab::FILE_REFERENCE, file_reference);
    if let Some(r) = range {
        fetch.push(Element::new(io::OPTIONS).with_text(io::RANGE, r));
    }
    Element::new(io::ITEM_OPERATIONS).with(fetch)
}

fn decoded(fetch: &Element) -> Vec<u8> {
    let data = fetch
        .child(io::PROPERTIES)
        .unwrap()
        .child_text(io::DATA)
        .unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap()
}

fn expected(range: std::ops::Range<usize>) -> Vec<u8> {
    range.map(|i| b'a' + (i % 26) as u8).collect()
}

/// Delivers a message with an attachment and syncs the Inbox from key 0 until the Add that
/// carries the attachment's FileReference.
async fn attachment_reference(s: &TestServer, d: &MailDevice<'_>, size: usize) -> String {
    s.deliver(&message_with_attachment("with file", "data.bin", size))
        .await;
    let inbox = d.folder(2);
    let mut key = "0".to_owned();
    for _ in 0..10 {
        let r = d.sync(&inbox, &key).await;
        let body = r.body.unwrap();
        if let Some(f) = find(&body, ab::FILE_REFERENCE) {
            return f.text_content().unwrap();
        }
        key = find(&body, a::SYNC_KEY).unwrap().text_content().unwrap();
    }
    panic!("no attachment in the inbox");
}

#[tokio::test]
async fn a_whole_message_is_fetched_by_collection_and_server_id() {
    let s = TestServer::start_with_mail().await;
    for v in ["12.1", "14.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("iofetch{}", v.replace('.', "")), v)).await;
        let inbox = d.folder(2);
        s.deliver(&message(&format!("fetch me {v}"), "the body text"))
            .await;
        let (_, ids) = d.sync_all(&inbox).await;
        let id = ids.last().unwrap();
        let req = Element::new(io::ITEM_OPERATIONS).with(
            Element::new(io::FETCH)
                .with_text(io::STORE, "Mailbox")
                .with_text(a::COLLECTION_ID, &inbox)
                .with_text(a::SERVER_ID, id)
                .with(
                    Element::new(io::OPTIONS)
                        .with(Element::new(ab::BODY_PREFERENCE).with_text(ab::TYPE, "1")),
                ),
        );
        let r = d.device.post("ItemOperations", Some(&req)).await;
        let f = fetches(&r);
        assert_eq!(f[0].child_text(io::STATUS).as_deref(), Some("1"), "{v}");
        let props = f[0].child(io::PROPERTIES).unwrap();
        assert_eq!(props.child_text(em::SUBJECT), Some(format!("fetch me {v}")));
        let body = find(props, ab::DATA).unwrap().text_content().unwrap();
        assert!(body.contains("the body text"), "{v}");
        // The same message in another folder is not found there (status 6).
        let wrong = Element::new(io::ITEM_OPERATIONS).with(
            Element::new(io::FETCH)
                .with_text(io::STORE, "Mailbox")
                .with_text(a::COLLECTION_ID, d.folder(4))
                .with_text(a::SERVER_ID, id),
        );
        let r = d.device.post("ItemOperations", Some(&wrong)).await;
        assert_eq!(fetches(&r)[0].child_text(io::STATUS).as_deref(), Some("6"));
    }
}

#[tokio::test]
async fn a_large_attachment_is_streamed_whole_and_by_range() {
    let s = TestServer::start_with_mail().await;
    for v in ["14.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("ioatt{}", v.replace('.', "")), v)).await;
        let size = 700_001;
        let fr = attachment_reference(&s, &d, size).await;
        let r = d
            .device
            .post("ItemOperations", Some(&fetch_attachment(&fr, None)))
            .await;
        let f = fetches(&r);
        assert_eq!(f[0].child_text(io::STATUS).as_deref(), Some("1"), "{v}");
        assert_eq!(f[0].child_text(ab::FILE_REFERENCE), Some(fr.clone()));
        assert_eq!(decoded(f[0]), expected(0..size), "{v}");
        assert_eq!(
            r.headers["content-length"],
            r.raw.len().to_string().as_str()
        );
        // A range inside, and one running past the end.
        let r = d
            .device
            .post(
                "ItemOperations",
                Some(&fetch_attachment(&fr, Some("100000-100009"))),
            )
            .await;
        let f = fetches(&r);
        let props = f[0].child(io::PROPERTIES).unwrap();
        assert_eq!(
            props.child_text(io::RANGE).as_deref(),
            Some("100000-100009")
        );
        assert_eq!(props.child_text(io::TOTAL), Some(size.to_string()));
        assert_eq!(decoded(f[0]), expected(100_000..100_010));
        let r = d
            .device
            .post(
                "ItemOperations",
                Some(&fetch_attachment(&fr, Some("699990-800000"))),
            )
            .await;
        assert_eq!(decoded(fetches(&r)[0]), expected(699_990..size));
        // Status 8: a range that starts past the end.
        let r = d
            .device
            .post(
                "ItemOperations",
                Some(&fetch_attachment(&fr, Some("700001-700002"))),
            )
            .await;
        assert_eq!(fetches(&r)[0].child_text(io::STATUS).as_deref(), Some("8"));
    }
}

#[tokio::test]
async fn an_unknown_file_reference_gets_status_15_and_another_store_status_9() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("iobad", "14.1")).await;
    let r = d
        .device
        .post("ItemOperations", Some(&fetch_attachment("999:1", None)))
        .await;
    assert_eq!(fetches(&r)[0].child_text(io::STATUS).as_deref(), Some("15"));
    let r = d
        .device
        .post("ItemOperations", Some(&fetch_attachment("junk", None)))
        .await;
    assert_eq!(fetches(&r)[0].child_text(io::STATUS).as_deref(), Some("15"));
    let other = Element::new(io::ITEM_OPERATIONS).with(
        Element::new(io::FETCH)
            .with_text(io::STORE, "DocumentLibrary")
            .with_text(se::LONG_ID, "1"),
    );
    let r = d.device.post("ItemOperations", Some(&other)).await;
    assert_eq!(fetches(&r)[0].child_text(io::STATUS).as_deref(), Some("9"));
}

#[tokio::test]
async fn emptyfoldercontents_removes_every_message_of_the_folder() {
    let s = TestServer::start_with_mail().await;
    for v in ["12.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("ioempty{}", v.replace('.', "")), v)).await;
        let inbox = d.folder(2);
        s.deliver(&message(&format!("empty {v}"), "x")).await;
        let (key, ids) = d.sync_all(&inbox).await;
        assert!(!ids.is_empty());
        let req = Element::new(io::ITEM_OPERATIONS)
            .with(Element::new(io::EMPTY_FOLDER_CONTENTS).with_text(a::COLLECTION_ID, &inbox))
            .with(Element::new(io::EMPTY_FOLDER_CONTENTS).with_text(a::COLLECTION_ID, "9999"));
        let r = d.device.post("ItemOperations", Some(&req)).await;
        let resp = r.body.as_ref().unwrap().child(io::RESPONSE).unwrap();
        let statuses: Vec<String> = resp
            .children_of(io::EMPTY_FOLDER_CONTENTS)
            .map(|e| e.child_text(io::STATUS).unwrap())
            .collect();
        assert_eq!(statuses, ["1", "6"], "{v}");
        let r = d.sync(&inbox, &key).await;
        let cmds = find(r.body.as_ref().unwrap(), a::COMMANDS).unwrap();
        assert_eq!(cmds.children_of(a::DELETE).count(), ids.len(), "{v}");
    }
}

#[tokio::test]
async fn a_malformed_itemoperations_gets_status_2() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("iomalformed", "14.1")).await;
    let r = d
        .device
        .post("ItemOperations", Some(&Element::new(io::ITEM_OPERATIONS)))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(&[io::STATUS]).as_deref(), Some("2"));
}
