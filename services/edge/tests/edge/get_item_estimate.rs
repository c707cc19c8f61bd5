//! GetItemEstimate over the mail service: counts, unprimed state, bad keys and bad folders.

use crate::common;

use common::mail::{message, MailDevice};
use common::*;
use eas_wbxml::tags::{air_sync as a, get_item_estimate as g};
use eas_wbxml::Element;

/// A request for one collection, in the form of the version (Class in the collection at 12.1,
/// in Options later).
fn request(version: &str, collection_id: &str, key: &str) -> Element {
    let mut coll = Element::new(g::COLLECTION);
    if version == "12.1" {
        coll.push_text(g::CLASS, "Email");
        coll.push_text(g::COLLECTION_ID, collection_id);
        coll.push_text(a::FILTER_TYPE, "0");
        coll.push_text(a::SYNC_KEY, key);
    } else {
        coll.push_text(a::SYNC_KEY, key);
        coll.push_text(g::COLLECTION_ID, collection_id);
        coll.push(
            Element::new(a::OPTIONS)
                .with_text(a::CLASS, "Email")
                .with_text(a::FILTER_TYPE, "0"),
        );
    }
    Element::new(g::GET_ITEM_ESTIMATE).with(Element::new(g::COLLECTIONS).with(coll))
}

/// (Status, Estimate) of the first Response.
fn first(r: &Reply) -> (String, Option<String>) {
    let resp = r.body.as_ref().unwrap().child(g::RESPONSE).unwrap();
    (
        resp.child_text(g::STATUS).unwrap(),
        resp.child(g::COLLECTION)
            .and_then(|c| c.child_text(g::ESTIMATE)),
    )
}

#[tokio::test]
async fn the_estimate_counts_the_messages_the_next_sync_would_send() {
    let s = TestServer::start_with_mail().await;
    for v in ["12.1", "14.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("gie{}", v.replace('.', "")), v)).await;
        let inbox = d.folder(2);
        let (key, _) = d.sync_all(&inbox).await;
        for i in 0..3 {
            s.deliver(&message(&format!("estimate {v} {i}"), "hello"))
                .await;
        }
        let r = d
            .device
            .post("GetItemEstimate", Some(&request(v, &inbox, &key)))
            .await;
        assert_eq!(r.status, 200, "{v}");
        assert_eq!(first(&r), ("1".into(), Some("3".into())), "{v}");
        // The estimate changes nothing: the same key still syncs the three messages.
        let (_, ids) = {
            let r = d.sync(&inbox, &key).await;
            let coll = r.body.unwrap();
            let coll = coll
                .child(a::COLLECTIONS)
                .unwrap()
                .child(a::COLLECTION)
                .unwrap()
                .clone();
            let adds: Vec<String> = coll
                .child(a::COMMANDS)
                .map(|c| {
                    c.children_of(a::ADD)
                        .filter_map(|x| x.child_text(a::SERVER_ID))
                        .collect()
                })
                .unwrap_or_default();
            (coll.child_text(a::SYNC_KEY), adds)
        };
        assert_eq!(ids.len(), 3, "{v}");
    }
}

#[tokio::test]
async fn a_collection_never_synced_from_key_0_gets_status_3() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("gieprime", "14.1")).await;
    let inbox = d.folder(2);
    let r = d
        .device
        .post("GetItemEstimate", Some(&request("14.1", &inbox, "0")))
        .await;
    assert_eq!(first(&r), ("3".into(), None));
    // A key the device could not have had, with no state at all, is also "not primed".
    let r = d
        .device
        .post(
            "GetItemEstimate",
            Some(&request("14.1", &inbox, "0000abcd-3")),
        )
        .await;
    assert_eq!(first(&r).0, "3");
}

#[tokio::test]
async fn an_unknown_sync_key_gets_status_4() {
    let s = TestServer::start_with_mail().await;
    for v in ["12.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("giekey{}", v.replace('.', "")), v)).await;
        let inbox = d.folder(2);
        d.sync_all(&inbox).await;
        let r = d
            .device
            .post("GetItemEstimate", Some(&request(v, &inbox, "0000abcd-99")))
            .await;
        assert_eq!(first(&r), ("4".into(), None), "{v}");
    }
}

#[tokio::test]
async fn a_folder_that_does_not_exist_gets_status_2() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("giebad", "14.1")).await;
    let r = d
        .device
        .post("GetItemEstimate", Some(&request("14.1", "9999", "0")))
        .await;
    assert_eq!(first(&r), ("2".into(), None));
}

#[tokio::test]
async fn a_request_without_collections_is_a_protocol_error_not_a_server_error() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("giemalformed", "14.1")).await;
    let r = d
        .device
        .post("GetItemEstimate", Some(&Element::new(g::GET_ITEM_ESTIMATE)))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(&[g::STATUS]).as_deref(), Some("103"));
    let old = MailDevice::new(s.device("giemalformed121", "12.1")).await;
    let r = old
        .device
        .post("GetItemEstimate", Some(&Element::new(g::GET_ITEM_ESTIMATE)))
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn getitemestimate_is_not_served_without_a_mail_service() {
    let s = TestServer::start().await;
    let mut d = s.device("gienomail", "14.1");
    d.provision().await;
    let r = d
        .post("GetItemEstimate", Some(&request("14.1", "1", "0")))
        .await;
    assert_eq!(r.status, 501);
}
