//! ItemOperations on the mailbox: whole messages, streamed attachments with ranges, emptying folders.

use crate::common;

use base64::Engine;
use common::mail::{large_message, message, message_with_attachment, MailDevice};
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

/// The parts of a multipart response (MS-ASCMD 2.2.1.10.1.1): count, offset/length pairs, parts.
fn parts(raw: &[u8]) -> Vec<&[u8]> {
    let int = |at: usize| u32::from_le_bytes(raw[at..at + 4].try_into().unwrap()) as usize;
    let count = int(0);
    let mut out = Vec::new();
    let mut expected_offset = 4 + 8 * count;
    for n in 0..count {
        let (offset, len) = (int(4 + 8 * n), int(8 + 8 * n));
        assert_eq!(offset, expected_offset, "parts follow each other");
        out.push(&raw[offset..offset + len]);
        expected_offset = offset + len;
    }
    assert_eq!(expected_offset, raw.len(), "nothing after the last part");
    out
}

/// POSTs an ItemOperations request asking for a multipart answer, with the header or the
/// base64 query's flag; returns the reply with `body` decoded from part 0.
async fn post_multipart(d: &Device<'_>, req: &Element, base64_form: bool) -> Reply {
    use eas_protocol::query::{encode_base64, RequestLine};
    use eas_protocol::{Command, ProtocolVersion};
    let url = if base64_form {
        // MS-ASHTTP 2.2.1.1.1.1.3: the AcceptMultiPart flag of the Options parameter.
        let mut line = RequestLine::new(Command::ItemOperations, &d.device_id, &d.device_type);
        line.protocol_version = Some(match d.version.as_str() {
            "16.1" => ProtocolVersion::V16_1,
            _ => ProtocolVersion::V14_1,
        });
        line.policy_key = Some(d.policy_key.as_ref().unwrap().parse().unwrap());
        line.locale = Some(0x0409);
        line.params.accept_multipart = true;
        let q = encode_base64(&line).unwrap();
        format!("{}/Microsoft-Server-ActiveSync?{q}", d.server.base)
    } else {
        format!(
            "{}/Microsoft-Server-ActiveSync?Cmd=ItemOperations&User={}&DeviceId={}&DeviceType={}",
            d.server.base, d.login, d.device_id, d.device_type
        )
    };
    let mut http = d
        .server
        .http
        .post(url)
        .header("Authorization", d.basic())
        .header("User-Agent", "eas-test/1.0")
        .header("Content-Type", "application/vnd.ms-sync.wbxml")
        .body(eas_wbxml::encode(req));
    if !base64_form {
        http = http
            .header("MS-ASProtocolVersion", &d.version)
            .header("X-MS-PolicyKey", d.policy_key.as_deref().unwrap())
            .header("MS-ASAcceptMultiPart", "T");
    }
    let resp = http.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let raw = resp.bytes().await.unwrap().to_vec();
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"], "application/vnd.ms-sync.multipart",
        "MS-ASCMD 2.2.1.10.1"
    );
    assert_eq!(headers["content-length"], raw.len().to_string().as_str());
    let wbxml = parts(&raw)[0].to_vec();
    let reply = Reply {
        status,
        headers,
        body: Some(eas_wbxml::decode(&wbxml).unwrap()),
        raw: wbxml,
    };
    assert_xsd_valid("ItemOperations", &reply);
    Reply { raw, ..reply }
}

fn fetch_item(collection_id: &str, server_id: &str) -> Element {
    Element::new(io::ITEM_OPERATIONS).with(
        Element::new(io::FETCH)
            .with_text(io::STORE, "Mailbox")
            .with_text(a::COLLECTION_ID, collection_id)
            .with_text(a::SERVER_ID, server_id)
            .with(
                Element::new(io::OPTIONS)
                    .with(Element::new(ab::BODY_PREFERENCE).with_text(ab::TYPE, "1")),
            ),
    )
}

#[tokio::test]
async fn a_message_over_grpcs_4_mib_is_fetched_whole_inline_and_as_a_multipart_part() {
    let s = TestServer::start_with_mail().await;
    let size = 6 << 20;
    let id = s.deliver(&large_message("huge fetch", size)).await;
    let text = common::mail::body_text(size);
    for v in ["14.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("iobig{}", v.replace('.', "")), v)).await;
        let inbox = d.folder(2);
        let r = d
            .device
            .post("ItemOperations", Some(&fetch_item(&inbox, &id)))
            .await;
        assert_eq!(r.status, 200, "{v}");
        let f = fetches(&r);
        assert_eq!(f[0].child_text(io::STATUS).as_deref(), Some("1"), "{v}");
        let data = find(f[0], ab::DATA).unwrap().text_content().unwrap();
        assert!(data.starts_with(&text), "{v}: the whole body inline");
        // Multipart, asked for by the header and by the base64 query's flag: the body's data is
        // part 1, named by Part in the Body, and nothing of it is in the WBXML.
        for base64_form in [false, true] {
            let r = post_multipart(&d.device, &fetch_item(&inbox, &id), base64_form).await;
            let f = fetches(&r);
            assert_eq!(f[0].child_text(io::STATUS).as_deref(), Some("1"), "{v}");
            let body = find(f[0], ab::BODY).unwrap();
            assert!(body.child(ab::DATA).is_none(), "{v}");
            assert_eq!(body.child_text(io::PART).as_deref(), Some("1"), "{v}");
            let p = parts(&r.raw);
            assert_eq!(p.len(), 2, "{v}");
            assert!(p[1].starts_with(text.as_bytes()), "{v}");
            assert_eq!(p[1].len(), data.len(), "{v}: the same data as inline");
        }
    }
}

#[tokio::test]
async fn an_attachment_and_a_small_body_come_as_parts_of_a_multipart_response() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("iomulti", "16.1")).await;
    let size = 300_001;
    let fr = attachment_reference(&s, &d, size).await;
    let id = fr.split(':').next().unwrap().to_owned();
    let mut req = fetch_attachment(&fr, None);
    req.push(
        fetch_item(&d.folder(2), &id)
            .elements()
            .next()
            .unwrap()
            .clone(),
    );
    let r = post_multipart(&d.device, &req, false).await;
    let p = parts(&r.raw);
    assert_eq!(p.len(), 3);
    let f = fetches(&r);
    // ItemOperationsResponse.xsd orders the answers by kind; each names its own part.
    let part_of = |fetch: &Element| {
        find(fetch, io::PART)
            .and_then(|e| e.text_content())
            .and_then(|t| t.parse::<usize>().ok())
            .unwrap()
    };
    let attachment = f
        .iter()
        .find(|x| x.child(ab::FILE_REFERENCE).is_some())
        .unwrap();
    let message = f.iter().find(|x| x.child(a::SERVER_ID).is_some()).unwrap();
    assert!(attachment
        .child(io::PROPERTIES)
        .unwrap()
        .child(io::DATA)
        .is_none());
    assert_eq!(p[part_of(attachment)], expected(0..size).as_slice());
    assert!(String::from_utf8_lossy(p[part_of(message)]).contains("see attached"));
    assert_ne!(part_of(attachment), part_of(message));
}

/// A calendar attachment (`cal:att:`, 16.x) is the calendar service's: ItemOperations fetches
/// it whole, by range and as a part of a multipart response, for its owner only.
#[tokio::test]
async fn a_calendar_attachment_is_fetched_whole_by_range_and_as_a_multipart_part() {
    use eas_calendar_model::{stored, Attachment, Event, When};
    let s = TestServer::start_with_calendar().await;
    let calendar = s.calendar.as_ref().unwrap();
    let folder = calendar.default_folder(USER).await.unwrap();
    let at = chrono::DateTime::from_timestamp(1_796_000_000, 0).unwrap();
    let mut e = Event::new(When::timed(at, at).unwrap());
    e.attachments = vec![Attachment {
        client_id: Some("c1".into()),
        display_name: Some("plan.bin".into()),
        ..Attachment::default()
    }];
    let size = 600_001;
    let created = calendar
        .create_event_with(
            USER,
            folder,
            &stored::to_json(&e),
            "",
            vec![("c1".into(), expected(0..size))],
        )
        .await
        .unwrap();
    let fr = stored::from_json(&created.event.json).unwrap().attachments[0]
        .file_reference
        .clone();
    assert!(fr.starts_with("cal:att:"), "{fr}");
    let mut d = s.device("iocal", "16.1");
    d.provision().await;
    let r = d
        .post("ItemOperations", Some(&fetch_attachment(&fr, None)))
        .await;
    let f = fetches(&r);
    assert_eq!(f[0].child_text(io::STATUS).as_deref(), Some("1"));
    assert_eq!(decoded(f[0]), expected(0..size));
    let r = d
        .post(
            "ItemOperations",
            Some(&fetch_attachment(&fr, Some("300000-300009"))),
        )
        .await;
    let f = fetches(&r);
    let props = f[0].child(io::PROPERTIES).unwrap();
    assert_eq!(props.child_text(io::TOTAL), Some(size.to_string()));
    assert_eq!(decoded(f[0]), expected(300_000..300_010));
    let r = post_multipart(&d, &fetch_attachment(&fr, None), false).await;
    assert_eq!(parts(&r.raw)[1], expected(0..size).as_slice());
    // Status 15: a calendar reference that names nothing, and one of another user's calendar.
    let r = d
        .post(
            "ItemOperations",
            Some(&fetch_attachment(
                "cal:att:00000000000000000000000000000000",
                None,
            )),
        )
        .await;
    assert_eq!(fetches(&r)[0].child_text(io::STATUS).as_deref(), Some("15"));
    s.edge
        .directory
        .create_user(eas_directory::NewUser {
            address: "asmith@example.loc".into(),
            display_name: "Anna Smith".into(),
            password: "a long enough password".into(),
        })
        .await
        .unwrap();
    let mut other = Device {
        login: "asmith@example.loc".into(),
        password: "a long enough password".into(),
        ..s.device("iocal2", "16.1")
    };
    other.provision().await;
    let r = other
        .post("ItemOperations", Some(&fetch_attachment(&fr, None)))
        .await;
    assert_eq!(fetches(&r)[0].child_text(io::STATUS).as_deref(), Some("15"));
}
