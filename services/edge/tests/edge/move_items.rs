//! MoveItems over the mail service: success with the destination's ServerId, and each failure status.

use crate::common;

use common::mail::{message, MailDevice};
use common::*;
use eas_wbxml::tags::{air_sync as a, r#move as m};
use eas_wbxml::Element;

fn request(moves: &[(&str, &str, &str)]) -> Element {
    let mut root = Element::new(m::MOVE_ITEMS);
    for (id, src, dst) in moves {
        root.push(
            Element::new(m::MOVE)
                .with_text(m::SRC_MSG_ID, *id)
                .with_text(m::SRC_FLD_ID, *src)
                .with_text(m::DST_FLD_ID, *dst),
        );
    }
    root
}

/// (SrcMsgId, Status, DstMsgId) of every Response.
fn responses(r: &Reply) -> Vec<(String, String, Option<String>)> {
    r.body
        .as_ref()
        .unwrap()
        .children_of(m::RESPONSE)
        .map(|x| {
            (
                x.child_text(m::SRC_MSG_ID).unwrap(),
                x.child_text(m::STATUS).unwrap(),
                x.child_text(m::DST_MSG_ID),
            )
        })
        .collect()
}

/// The ServerIds a Sync response adds.
fn added(r: &Reply) -> Vec<String> {
    let coll = r.body.as_ref().unwrap().child(a::COLLECTIONS).unwrap();
    let coll = coll.child(a::COLLECTION).unwrap();
    coll.child(a::COMMANDS)
        .map(|c| {
            c.children_of(a::ADD)
                .filter_map(|x| x.child_text(a::SERVER_ID))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_moved_message_keeps_the_dstmsgid_as_its_serverid_in_the_destination() {
    let s = TestServer::start_with_mail().await;
    for v in ["12.1", "14.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("mv{}", v.replace('.', "")), v)).await;
        let (inbox, trash) = (d.folder(2), d.folder(4));
        s.deliver(&message(&format!("move me {v}"), "hello")).await;
        let (_, ids) = d.sync_all(&inbox).await;
        let id = ids.last().unwrap().clone();
        let (trash_key, _) = d.sync_all(&trash).await;
        let r = d
            .device
            .post("MoveItems", Some(&request(&[(&id, &inbox, &trash)])))
            .await;
        assert_eq!(r.status, 200);
        let got = responses(&r);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].0.as_str(), got[0].1.as_str()),
            (id.as_str(), "3"),
            "{v}"
        );
        let dst = got[0].2.clone().expect("DstMsgId");
        let r = d.sync(&trash, &trash_key).await;
        assert_eq!(added(&r), vec![dst], "{v}");
    }
}

#[tokio::test]
async fn an_unknown_source_gets_status_1_and_an_unknown_destination_status_2() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("mvbad", "14.1")).await;
    let (inbox, sent) = (d.folder(2), d.folder(5));
    s.deliver(&message("stay", "hello")).await;
    let (_, ids) = d.sync_all(&inbox).await;
    let id = ids[0].clone();
    let r = d
        .device
        .post(
            "MoveItems",
            Some(&request(&[
                (&id, "9999", &sent),
                ("424242", &inbox, &sent),
                ("not-an-id", &inbox, &sent),
                (&id, &sent, &inbox),
                (&id, &inbox, "9999"),
                (&id, &inbox, "calendar"),
            ])),
        )
        .await;
    let statuses: Vec<String> = responses(&r).into_iter().map(|x| x.1).collect();
    assert_eq!(statuses, ["1", "1", "1", "1", "2", "2"]);
    assert!(responses(&r).iter().all(|x| x.2.is_none()));
}

#[tokio::test]
async fn moving_into_the_same_folder_gets_status_4_and_moving_a_moved_item_again_status_5() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("mvsame", "16.1")).await;
    let (inbox, trash) = (d.folder(2), d.folder(4));
    s.deliver(&message("twice", "hello")).await;
    let (_, ids) = d.sync_all(&inbox).await;
    let id = ids[0].clone();
    let r = d
        .device
        .post(
            "MoveItems",
            Some(&request(&[
                (&id, &inbox, &inbox),
                (&id, &inbox, &trash),
                (&id, &inbox, &trash),
            ])),
        )
        .await;
    let statuses: Vec<String> = responses(&r).into_iter().map(|x| x.1).collect();
    assert_eq!(statuses, ["4", "3", "5"]);
}

#[tokio::test]
async fn a_malformed_moveitems_is_a_protocol_error_not_a_server_error() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("mvmalformed", "14.1")).await;
    let r = d
        .device
        .post("MoveItems", Some(&Element::new(m::MOVE_ITEMS)))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(&[m::STATUS]).as_deref(), Some("103"));
    let old = MailDevice::new(s.device("mvmalformed121", "12.1")).await;
    let r = old.device.post("MoveItems", None).await;
    assert_eq!(r.status, 400);
}
