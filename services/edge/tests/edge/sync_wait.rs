//! Sync with Wait and HeartbeatInterval (held until a change or the interval's end), their
//! bounds (status 14 with Limit), the empty Sync request and Partial, at 14.1 and 16.1; and
//! windows of large messages, cut short at the response's byte budget with MoreAvailable.

use crate::common;

use std::time::{Duration, Instant};

use common::mail::{large_message, message, MailDevice};
use common::*;
use eas_edge::config::{DrainConfig, PingConfig};
use eas_edge::EdgeConfig;
use eas_wbxml::tags::{air_sync as a, email as e};
use eas_wbxml::{Element, Tag};

const VERSIONS: [&str; 2] = ["14.1", "16.1"];

/// Heartbeats of one second upwards, so that a held request can run out within a test, and at
/// most two collections in one request.
async fn server() -> TestServer {
    TestServer::start_with_mail_config(EdgeConfig {
        ping: PingConfig {
            min_heartbeat_seconds: 1,
            max_heartbeat_seconds: 120,
            max_folders: 2,
        },
        ..test_config()
    })
    .await
}

/// A collection with its key, asking for changes.
fn collection(id: &str, key: &str) -> Element {
    Element::new(a::COLLECTION)
        .with_text(a::SYNC_KEY, key)
        .with_text(a::COLLECTION_ID, id)
        .with(Element::new(a::GET_CHANGES))
        .with_text(a::WINDOW_SIZE, "100")
}

/// A Sync request with these collections and request-wide elements (Wait, Partial, ...).
fn request(collections: Vec<Element>, extra: &[(Tag, &str)]) -> Element {
    let mut root = Element::new(a::SYNC);
    if !collections.is_empty() {
        let mut list = Element::new(a::COLLECTIONS);
        for c in collections {
            list.push(c);
        }
        root.push(list);
    }
    for (tag, text) in extra {
        if text.is_empty() {
            root.push(Element::new(*tag));
        } else {
            root.push_text(*tag, *text);
        }
    }
    root
}

/// One collection of a Sync response: id, key, status and the subjects of its Adds.
#[derive(Debug)]
struct Answered {
    id: String,
    key: String,
    status: String,
    added: Vec<String>,
}

fn answered(r: &Reply) -> Vec<Answered> {
    let Some(list) = r.body.as_ref().and_then(|b| b.child(a::COLLECTIONS)) else {
        return Vec::new();
    };
    list.children_of(a::COLLECTION)
        .map(|c| Answered {
            id: c.child_text(a::COLLECTION_ID).unwrap_or_default(),
            key: c.child_text(a::SYNC_KEY).unwrap_or_default(),
            status: c.child_text(a::STATUS).unwrap_or_default(),
            added: c
                .child(a::COMMANDS)
                .map(|cmds| {
                    cmds.children_of(a::ADD)
                        .filter_map(|add| add.child(a::APPLICATION_DATA))
                        .filter_map(|data| data.child_text(e::SUBJECT))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// Waits until the server holds `n` requests in its push hub (a synchronisation point, not a
/// time measurement: the server registers a request before it looks for changes).
async fn until_held(s: &TestServer, n: usize) {
    let hub = s.edge.push().expect("push hub");
    for _ in 0..2000 {
        if hub.held() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the request was never held");
}

/// A device (`name` and the version make its id) with its Inbox synced to the end; returns the
/// Inbox and its key.
async fn synced<'a>(s: &'a TestServer, name: &str, v: &str) -> (MailDevice<'a>, String, String) {
    let d = MailDevice::new(s.device(&format!("{name}{}", v.replace('.', "")), v)).await;
    let inbox = d.folder(2);
    let (key, _) = d.sync_all(&inbox).await;
    (d, inbox, key)
}

fn is_empty_response(r: &Reply) -> bool {
    r.status == 200 && r.raw.is_empty()
}

#[tokio::test]
async fn a_held_sync_is_answered_early_with_the_message_that_arrives() {
    let s = server().await;
    for (v, wait) in [
        ("14.1", (a::WAIT, "1")),
        ("16.1", (a::HEARTBEAT_INTERVAL, "60")),
    ] {
        let (d, inbox, key) = synced(&s, "early", v).await;
        let subject = format!("arrives while held {v}");
        let body = request(vec![collection(&inbox, &key)], &[wait]);
        let (reply, ()) = tokio::join!(d.device.post("Sync", Some(&body)), async {
            until_held(&s, 1).await;
            s.deliver(&message(&subject, "hello")).await;
        });
        let got = answered(&reply);
        assert_eq!(got.len(), 1, "{v}: {got:?}");
        assert_eq!(
            (got[0].id.as_str(), got[0].status.as_str()),
            (inbox.as_str(), "1")
        );
        assert_eq!(got[0].added, [subject], "{v}");
        assert_ne!(got[0].key, key, "{v}: a new key comes with the change");
        // The new key is the current one: nothing more is waiting.
        let next = answered(&d.sync(&inbox, &got[0].key).await);
        assert_eq!((next[0].status.as_str(), next[0].added.len()), ("1", 0));
    }
}

#[tokio::test]
async fn changes_already_waiting_answer_a_held_sync_at_once() {
    let s = server().await;
    for v in VERSIONS {
        let (d, inbox, key) = synced(&s, "ready", v).await;
        s.deliver(&message(&format!("ready {v}"), "x")).await;
        let body = request(vec![collection(&inbox, &key)], &[(a::WAIT, "1")]);
        let got = answered(&d.device.post("Sync", Some(&body)).await);
        assert_eq!(got[0].added, [format!("ready {v}")], "{v}");
    }
}

#[tokio::test]
async fn out_of_range_intervals_get_14_and_too_many_collections_15_with_the_limit() {
    let s = server().await;
    for v in VERSIONS {
        let (d, inbox, key) = synced(&s, "limit", v).await;
        let cases = [
            (a::WAIT, "0", "1"),
            (a::WAIT, "60", "59"),
            (a::HEARTBEAT_INTERVAL, "0", "1"),
            (a::HEARTBEAT_INTERVAL, "121", "120"),
        ];
        for (tag, value, limit) in cases {
            let body = request(vec![collection(&inbox, &key)], &[(tag, value)]);
            let r = d.device.post("Sync", Some(&body)).await;
            assert_eq!(r.text(&[a::STATUS]).as_deref(), Some("14"), "{v} {value}");
            assert_eq!(r.text(&[a::LIMIT]).as_deref(), Some(limit), "{v} {value}");
            assert!(answered(&r).is_empty());
        }
        // MS-ASCMD 2.2.3.198: Wait and HeartbeatInterval together are a protocol error.
        let both = request(
            vec![collection(&inbox, &key)],
            &[(a::WAIT, "5"), (a::HEARTBEAT_INTERVAL, "60")],
        );
        let r = d.device.post("Sync", Some(&both)).await;
        assert_eq!(r.text(&[a::STATUS]).as_deref(), Some("4"), "{v}");
        // More collections than the server watches at once: status 15 with the most it takes.
        let three = [2, 4, 5].map(|t| collection(&d.folder(t), "0"));
        let r = d
            .device
            .post("Sync", Some(&request(three.into(), &[])))
            .await;
        assert_eq!(r.text(&[a::STATUS]).as_deref(), Some("15"), "{v}");
        assert_eq!(r.text(&[a::LIMIT]).as_deref(), Some("2"), "{v}");
        // The refused requests changed nothing: the key still answers.
        let after = answered(&d.sync(&inbox, &key).await);
        assert_eq!(after[0].status, "1", "{v}");
    }
}

#[tokio::test]
async fn a_held_sync_without_changes_ends_empty_and_keeps_the_key() {
    let s = server().await;
    for v in VERSIONS {
        let (d, inbox, key) = synced(&s, "quiet", v).await;
        let body = request(
            vec![collection(&inbox, &key)],
            &[(a::HEARTBEAT_INTERVAL, "1")],
        );
        let r = d.device.post("Sync", Some(&body)).await;
        assert!(is_empty_response(&r), "{v}: {:?}", r.body);
        // MS-ASCMD 2.2.1.21.1: the empty request repeats the held one, which ends empty again.
        let again = d.device.post("Sync", None).await;
        assert!(is_empty_response(&again), "{v}: {:?}", again.body);
        // The key the device holds is still the current one.
        s.deliver(&message(&format!("after the wait {v}"), "x"))
            .await;
        let next = answered(&d.sync(&inbox, &key).await);
        assert_eq!(next[0].added, [format!("after the wait {v}")], "{v}");
    }
}

#[tokio::test]
async fn an_empty_sync_repeats_the_cached_request_with_the_last_issued_key() {
    let s = server().await;
    for v in VERSIONS {
        let (d, inbox, key) = synced(&s, "empty", v).await;
        let first = d
            .device
            .post("Sync", Some(&request(vec![collection(&inbox, &key)], &[])))
            .await;
        let issued = answered(&first)[0].key.clone();
        s.deliver(&message(&format!("repeat {v}"), "x")).await;
        let r = d.device.post("Sync", None).await;
        let got = answered(&r);
        assert_eq!(got.len(), 1, "{v}");
        assert_eq!(got[0].id, inbox);
        assert_eq!(got[0].added, [format!("repeat {v}")], "{v}");
        // It continued from the key the last answer issued, not from the one sent before it.
        let next = answered(&d.sync(&inbox, &got[0].key).await);
        assert_eq!(next[0].status, "1", "{v}");
        assert_ne!(got[0].key, issued);
    }
}

#[tokio::test]
async fn an_empty_or_partial_sync_with_nothing_cached_gets_status_13() {
    let s = server().await;
    for v in VERSIONS {
        let d = MailDevice::new(s.device(&format!("none{}", v.replace('.', "")), v)).await;
        let r = d.device.post("Sync", None).await;
        assert_eq!(r.text(&[a::STATUS]).as_deref(), Some("13"), "{v}");
        let partial = request(vec![collection(&d.folder(2), "0")], &[(a::PARTIAL, "")]);
        let r = d.device.post("Sync", Some(&partial)).await;
        assert_eq!(r.text(&[a::STATUS]).as_deref(), Some("13"), "{v}");
    }
}

#[tokio::test]
async fn a_partial_sync_merges_its_collections_into_the_cached_request() {
    let s = server().await;
    for v in VERSIONS {
        let (d, inbox, inbox_key) = synced(&s, "part", v).await;
        let sent = d.folder(5);
        let (sent_key, _) = d.sync_all(&sent).await;
        // The full request names both folders.
        let full = request(
            vec![collection(&inbox, &inbox_key), collection(&sent, &sent_key)],
            &[],
        );
        let keys: Vec<(String, String)> = answered(&d.device.post("Sync", Some(&full)).await)
            .into_iter()
            .map(|c| (c.id, c.key))
            .collect();
        let sent_key = keys.iter().find(|k| k.0 == sent).unwrap().1.clone();
        s.deliver(&message(&format!("partial {v}"), "x")).await;
        // A Partial request naming only Sent Items also syncs the cached Inbox.
        let partial = request(vec![collection(&sent, &sent_key)], &[(a::PARTIAL, "")]);
        let got = answered(&d.device.post("Sync", Some(&partial)).await);
        let ids: Vec<&str> = got.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, [inbox.as_str(), sent.as_str()], "{v}");
        assert!(got.iter().all(|c| c.status == "1"), "{v}: {got:?}");
        assert_eq!(got[0].added, [format!("partial {v}")], "{v}");
        // A Partial request with only a HeartbeatInterval holds both cached collections and
        // answers with the one that changed.
        let hold = request(
            Vec::new(),
            &[(a::HEARTBEAT_INTERVAL, "60"), (a::PARTIAL, "")],
        );
        let (reply, ()) = tokio::join!(d.device.post("Sync", Some(&hold)), async {
            until_held(&s, 1).await;
            s.deliver(&message(&format!("partial held {v}"), "x")).await;
        });
        let got = answered(&reply);
        assert_eq!(got.len(), 1, "{v}: {got:?}");
        assert_eq!(got[0].id, inbox);
        assert_eq!(got[0].added, [format!("partial held {v}")], "{v}");
    }
}

#[tokio::test]
async fn a_newer_held_sync_of_the_device_ends_the_older_one_empty() {
    let s = server().await;
    for v in VERSIONS {
        let (d, inbox, key) = synced(&s, "twice", v).await;
        let long = request(
            vec![collection(&inbox, &key)],
            &[(a::HEARTBEAT_INTERVAL, "120")],
        );
        let short = request(
            vec![collection(&inbox, &key)],
            &[(a::HEARTBEAT_INTERVAL, "1")],
        );
        let (first, second) = tokio::join!(d.device.post("Sync", Some(&long)), async {
            until_held(&s, 1).await;
            d.device.post("Sync", Some(&short)).await
        });
        assert!(is_empty_response(&first), "{v}: {:?}", first.body);
        assert!(is_empty_response(&second), "{v}: {:?}", second.body);
    }
}

#[tokio::test]
async fn a_folder_created_while_a_sync_is_held_asks_for_a_folder_sync() {
    let s = server().await;
    for v in VERSIONS {
        let (d, inbox, key) = synced(&s, "hier", v).await;
        let body = request(
            vec![collection(&inbox, &key)],
            &[(a::HEARTBEAT_INTERVAL, "60")],
        );
        let (reply, ()) = tokio::join!(d.device.post("Sync", Some(&body)), async {
            until_held(&s, 1).await;
            let store = s.mail.as_ref().unwrap();
            store
                .create_folder(USER, None, &format!("new {v}"))
                .await
                .unwrap();
        });
        assert_eq!(reply.text(&[a::STATUS]).as_deref(), Some("12"), "{v}");
    }
}

/// One collection of a one-collection Sync reply: its key, the Adds as (ServerId, bytes of body
/// Data, Truncated), and MoreAvailable. Asserts status 1.
fn window_of(r: &Reply) -> (String, Vec<(String, usize, bool)>, bool) {
    use eas_wbxml::tags::air_sync_base as ab;
    assert_eq!(r.status, 200);
    let coll = r
        .body
        .as_ref()
        .and_then(|b| b.child(a::COLLECTIONS))
        .and_then(|c| c.child(a::COLLECTION))
        .expect("collection in sync response");
    assert_eq!(coll.child_text(a::STATUS).as_deref(), Some("1"));
    let adds = coll
        .child(a::COMMANDS)
        .map(|cmds| {
            cmds.children_of(a::ADD)
                .map(|add| {
                    let body = add
                        .child(a::APPLICATION_DATA)
                        .and_then(|d| d.child(ab::BODY))
                        .expect("body");
                    let data = body.child_text(ab::DATA).unwrap_or_default();
                    (
                        add.child_text(a::SERVER_ID).unwrap(),
                        data.len(),
                        body.child_text(ab::TRUNCATED).as_deref() == Some("1"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (
        coll.child_text(a::SYNC_KEY).unwrap(),
        adds,
        coll.child(a::MORE_AVAILABLE).is_some(),
    )
}

/// Syncs from key 0 at `window` until MoreAvailable is gone; every answer's Adds.
async fn drain(
    d: &MailDevice<'_>,
    inbox: &str,
    window: u32,
    truncation: Option<u32>,
) -> Vec<Vec<(String, usize, bool)>> {
    let (mut key, _, _) = window_of(&d.sync_window(inbox, "0", window, truncation).await);
    let mut answers = Vec::new();
    for _ in 0..40 {
        let (next, adds, more) = window_of(&d.sync_window(inbox, &key, window, truncation).await);
        answers.push(adds);
        key = next;
        if !more {
            return answers;
        }
    }
    panic!("sync never finished");
}

#[tokio::test]
async fn a_window_of_messages_beyond_grpcs_4_mib_is_cut_at_the_byte_budget_and_every_item_arrives_once(
) {
    let s = server().await;
    const MIB: usize = 1 << 20;
    for n in 0..4 {
        s.deliver(&large_message(&format!("big {n}"), 3 * MIB))
            .await;
    }
    for v in VERSIONS {
        let d = MailDevice::new(s.device(&format!("bigwin{}", v.replace('.', "")), v)).await;
        let answers = drain(&d, &d.folder(2), 25, None).await;
        // 12 MiB do not fit one response: the first is cut short with MoreAvailable.
        assert!(answers.len() > 1, "{v}: {answers:?}");
        assert!(answers[0].len() < 4 && !answers[0].is_empty(), "{v}");
        let all: Vec<_> = answers.concat();
        let mut ids: Vec<_> = all.iter().map(|x| x.0.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!((ids.len(), all.len()), (4, 4), "{v}: every item once");
        for (_, len, truncated) in &all {
            assert!(*len >= 3 * MIB && !truncated, "{v}: whole bodies");
        }
    }
}

#[tokio::test]
async fn a_message_larger_than_the_budget_goes_alone_in_its_own_window_and_a_resend_gets_the_same_answer(
) {
    let s = server().await;
    s.deliver(&message("small one", "first")).await;
    let big = s.deliver(&large_message("huge", 9 << 20)).await;
    s.deliver(&message("small two", "last")).await;
    let v = "16.1";
    let d = MailDevice::new(s.device("bigalone", v)).await;
    let inbox = d.folder(2);
    let (key, _, _) = window_of(&d.sync_window(&inbox, "0", 25, None).await);
    let first = d.sync_window(&inbox, &key, 25, None).await;
    let (key2, adds, more) = window_of(&first);
    assert_eq!((adds.len(), more), (1, true), "the small one, then a cut");
    // The phone lost that answer and sends the same key: the same answer.
    let (again_key, again, again_more) = window_of(&d.sync_window(&inbox, &key, 25, None).await);
    assert_eq!(
        (again_key.as_str(), &again, again_more),
        (key2.as_str(), &adds, more)
    );
    let (key3, adds, more) = window_of(&d.sync_window(&inbox, &key2, 25, None).await);
    assert_eq!(adds.len(), 1);
    assert_eq!(adds[0].0, big);
    assert!(adds[0].1 >= 9 << 20 && more, "alone, whole, more to come");
    let (_, adds, more) = window_of(&d.sync_window(&inbox, &key3, 25, None).await);
    assert_eq!((adds.len(), more), (1, false));
}

#[tokio::test]
async fn truncated_large_messages_fill_windows_of_1_25_and_100_as_window_size_says() {
    let s = server().await;
    for n in 0..3 {
        s.deliver(&large_message(&format!("big {n}"), 5 << 20))
            .await;
    }
    for n in 0..27 {
        s.deliver(&message(&format!("small {n}"), "text")).await;
    }
    for (window, rounds) in [(1u32, 30usize), (25, 2), (100, 1)] {
        let d = MailDevice::new(s.device(&format!("bigtrunc{window}"), "14.1")).await;
        let answers = drain(&d, &d.folder(2), window, Some(1000)).await;
        assert_eq!(answers.len(), rounds, "window {window}");
        let all = answers.concat();
        assert_eq!(all.len(), 30, "window {window}");
        assert_eq!(
            all.iter().filter(|(_, len, t)| *t && *len == 1000).count(),
            3,
            "window {window}: the large bodies are cut at TruncationSize"
        );
    }
}

#[tokio::test]
async fn thirty_messages_of_200_kb_arrive_in_one_window() {
    let s = server().await;
    for n in 0..30 {
        s.deliver(&large_message(&format!("mid {n}"), 200_000))
            .await;
    }
    for v in VERSIONS {
        let d = MailDevice::new(s.device(&format!("thirty{}", v.replace('.', "")), v)).await;
        let answers = drain(&d, &d.folder(2), 100, None).await;
        assert_eq!(answers.len(), 1, "{v}");
        assert_eq!(answers[0].len(), 30, "{v}");
        assert!(answers[0].iter().all(|(_, len, t)| *len >= 200_000 && !t));
    }
}

/// A Ping of these folders with this heartbeat: (status, changed folders).
async fn ping(d: &MailDevice<'_>, folders: &[&str], heartbeat: u32) -> (String, Vec<String>) {
    use eas_protocol::ping::{PingFolder, PingRequest};
    use eas_wbxml::tags::ping as p;
    let req = PingRequest {
        heartbeat_interval: Some(heartbeat),
        folders: Some(
            folders
                .iter()
                .map(|id| PingFolder {
                    id: (*id).to_owned(),
                    class: "Email".into(),
                })
                .collect(),
        ),
    };
    let r = d.device.post("Ping", Some(&req.to_element())).await;
    assert_eq!(r.status, 200);
    let changed = r
        .body
        .as_ref()
        .and_then(|b| b.child(p::FOLDERS))
        .map(|f| {
            f.children_of(p::FOLDER)
                .filter_map(|x| x.text_content())
                .collect()
        })
        .unwrap_or_default();
    (r.text(&[p::STATUS]).unwrap_or_default(), changed)
}

/// The item statuses of the Responses/Add of the first collection.
fn add_statuses(r: &Reply) -> Vec<String> {
    r.body
        .as_ref()
        .and_then(|b| b.child(a::COLLECTIONS))
        .and_then(|c| c.child(a::COLLECTION))
        .and_then(|c| c.child(a::RESPONSES))
        .map(|rs| {
            rs.children_of(a::ADD)
                .filter_map(|x| x.child_text(a::STATUS))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn listed_calendar_and_contacts_folders_sync_as_empty_folders_and_never_send_the_client_to_foldersync(
) {
    use eas_wbxml::tags::{contacts as c, folder_hierarchy as fh, get_item_estimate as g};
    let s = server().await;
    for v in VERSIONS {
        let d = MailDevice::new(s.device(&format!("unserved{}", v.replace('.', "")), v)).await;
        for (folder_type, class) in [(8u8, "Calendar"), (9, "Contacts")] {
            let id = d.folder(folder_type);
            // What a client that follows the spec does: Sync, Sync again, FolderSync, Sync.
            let first = answered(
                &d.device
                    .post(
                        "Sync",
                        Some(&request(
                            vec![Element::new(a::COLLECTION)
                                .with_text(a::SYNC_KEY, "0")
                                .with_text(a::COLLECTION_ID, &id)],
                            &[],
                        )),
                    )
                    .await,
            );
            assert_eq!(first.len(), 1, "{v} {class}");
            assert_eq!(first[0].status, "1", "{v} {class}: key 0");
            assert_ne!(first[0].key, "0");
            let mut key = first[0].key.clone();
            for step in ["second sync", "sync after foldersync"] {
                let r = d
                    .device
                    .post("Sync", Some(&request(vec![collection(&id, &key)], &[])))
                    .await;
                let got = answered(&r);
                assert_eq!(got.len(), 1, "{v} {class} {step}");
                assert_eq!(got[0].status, "1", "{v} {class} {step}");
                assert!(got[0].added.is_empty(), "{v} {class} {step}");
                key = got[0].key.clone();
                let fs = d.device.folder_sync(&d.folder_key).await;
                assert_eq!(fs.text(&[fh::STATUS]).as_deref(), Some("1"), "{v}");
                assert_eq!(
                    fs.text(&[fh::CHANGES, fh::COUNT]).as_deref(),
                    Some("0"),
                    "{v}"
                );
            }
            // GetItemEstimate counts nothing.
            let est = Element::new(g::GET_ITEM_ESTIMATE).with(
                Element::new(g::COLLECTIONS).with(
                    Element::new(g::COLLECTION)
                        .with_text(a::SYNC_KEY, &key)
                        .with_text(g::COLLECTION_ID, &id)
                        .with(Element::new(a::OPTIONS).with_text(a::CLASS, class)),
                ),
            );
            let r = d.device.post("GetItemEstimate", Some(&est)).await;
            assert_eq!(
                r.text(&[g::RESPONSE, g::STATUS]).as_deref(),
                Some("1"),
                "{v} {class}"
            );
            assert_eq!(
                r.text(&[g::RESPONSE, g::COLLECTION, g::ESTIMATE])
                    .as_deref(),
                Some("0"),
                "{v} {class}"
            );
            // A client Add is refused item by item (status 6) and the folder stays empty.
            let add = collection(&id, &key).with(
                Element::new(a::COMMANDS).with(
                    Element::new(a::ADD).with_text(a::CLIENT_ID, "c1").with(
                        Element::new(a::APPLICATION_DATA)
                            .with_text(c::FILE_AS, "Smith, Anna")
                            .with_text(c::FIRST_NAME, "Anna"),
                    ),
                ),
            );
            let r = d.device.post("Sync", Some(&request(vec![add], &[]))).await;
            let got = answered(&r);
            assert_eq!(got[0].status, "1", "{v} {class}");
            assert_eq!(add_statuses(&r), ["6"], "{v} {class}");
            let r = d
                .device
                .post(
                    "Sync",
                    Some(&request(vec![collection(&id, &got[0].key)], &[])),
                )
                .await;
            let got = answered(&r);
            assert_eq!(got[0].status, "1", "{v} {class}");
            assert!(got[0].added.is_empty());
            // A Ping of the synced folder is never woken by it: the heartbeat ends it.
            assert_eq!(
                ping(&d, &[&id], 1).await,
                ("1".to_owned(), vec![]),
                "{v} {class}"
            );
        }
    }
}

#[tokio::test]
async fn a_ping_on_a_folder_the_device_never_synced_is_answered_at_once_so_that_it_syncs_it() {
    let s = server().await;
    for v in VERSIONS {
        let d = MailDevice::new(s.device(&format!("pingnew{}", v.replace('.', "")), v)).await;
        let (inbox, calendar) = (d.folder(2), d.folder(8));
        // Neither folder has a sync state: both are reported, with a heartbeat far longer than
        // the test, so an answer at all proves it was not held.
        let (status, mut changed) = ping(&d, &[&inbox, &calendar], 120).await;
        changed.sort();
        let mut expected = vec![inbox.clone(), calendar.clone()];
        expected.sort();
        assert_eq!((status.as_str(), changed), ("2", expected), "{v}");
        // Once synced, nothing waits and the Ping runs to its heartbeat.
        d.sync_all(&inbox).await;
        d.sync_all(&calendar).await;
        assert_eq!(
            ping(&d, &[&inbox, &calendar], 1).await,
            ("1".to_owned(), vec![]),
            "{v}"
        );
    }
}

/// SIGTERM (`edge.drain`, a rolling restart behind a load balancer): `/readyz` answers 503 at
/// once while everything else is served as before; after the delay the held Ping answers
/// status 1 (MS-ASCMD 2.2.3.177.11) and the held Sync as its heartbeat ending would (an empty
/// response), each on a connection that then closes, so that the phones
/// reconnect to another replica; then the edge is done.
#[tokio::test]
async fn sigterm_makes_the_edge_unready_then_answers_held_pings_and_syncs_after_the_delay() {
    let delay = Duration::from_secs(2);
    let (s, sigterm, served) = TestServer::start_served(EdgeConfig {
        ping: PingConfig {
            min_heartbeat_seconds: 1,
            max_heartbeat_seconds: 600,
            max_folders: 2,
        },
        drain: DrainConfig {
            delay_seconds: delay.as_secs(),
            timeout_seconds: 5,
        },
        ..test_config()
    })
    .await;
    let readyz = || async {
        let r = s.http.get(format!("{}/readyz", s.admin)).send().await;
        r.map(|r| r.status().as_u16()).unwrap_or(0)
    };
    assert_eq!(readyz().await, 200);
    let (pinger, ping_inbox, _) = synced(&s, "drainping", "14.1").await;
    let (syncer, sync_inbox, key) = synced(&s, "drainsync", "16.1").await;
    let ping_body = eas_protocol::ping::PingRequest {
        heartbeat_interval: Some(300),
        folders: Some(vec![eas_protocol::ping::PingFolder {
            id: ping_inbox.clone(),
            class: "Email".into(),
        }]),
    }
    .to_element();
    let sync_body = request(
        vec![collection(&sync_inbox, &key)],
        &[(a::HEARTBEAT_INTERVAL, "300")],
    );
    let (ping_reply, sync_reply, signalled) = tokio::join!(
        pinger.device.post("Ping", Some(&ping_body)),
        syncer.device.post("Sync", Some(&sync_body)),
        async {
            until_held(&s, 2).await;
            let signalled = Instant::now();
            sigterm.send(()).unwrap();
            let mut polls = 0;
            while readyz().await != 503 {
                polls += 1;
                assert!(polls < 100, "/readyz still answers 200");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            // Not ready, but still serving: a new request is answered, the held ones wait.
            assert_eq!(s.options().await.status().as_u16(), 200);
            assert_eq!(s.edge.push().map(|hub| hub.held()), Some(2));
            assert!(signalled.elapsed() < delay);
            signalled
        }
    );
    let waited = signalled.elapsed();
    assert!(waited >= delay, "answered after the delay: {waited:?}");
    assert!(waited < delay + Duration::from_secs(2), "{waited:?}");
    let ping_status = ping_reply.text(&[eas_wbxml::tags::ping::STATUS]);
    assert_eq!(ping_status.as_deref(), Some("1"));
    assert!(is_empty_response(&sync_reply), "a held Sync ends empty");
    for reply in [&ping_reply, &sync_reply] {
        assert_eq!(
            reply.headers.get("connection").map(|v| v.as_bytes()),
            Some(&b"close"[..])
        );
    }
    tokio::time::timeout(Duration::from_secs(5), served)
        .await
        .expect("the edge is done after the drain")
        .unwrap();
    assert_eq!(readyz().await, 0, "the admin listener is closed");
}
