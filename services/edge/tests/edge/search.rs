//! Search of the mailbox through the mail service and of the GAL through the directory.

use crate::common;

use base64::Engine;
use common::mail::{message, MailDevice};
use common::*;
use eas_directory::{GalFields, NewUser};
use eas_protocol::picture::Picture;
use eas_protocol::search::GalEntry;
use eas_wbxml::tags::{air_sync as a, email as em, gal as g, item_operations as io, search as se};
use eas_wbxml::Element;

fn mailbox(text: &str, collection: Option<&str>, deep: bool, range: &str) -> Element {
    let mut and = Element::new(se::AND).with_text(a::CLASS, "Email");
    if let Some(c) = collection {
        and.push_text(a::COLLECTION_ID, c);
    }
    and.push_text(se::FREE_TEXT, text);
    let mut options = Element::new(se::OPTIONS).with_text(se::RANGE, range);
    if deep {
        options.push(Element::new(se::DEEP_TRAVERSAL));
    }
    Element::new(se::SEARCH).with(
        Element::new(se::STORE)
            .with_text(se::NAME, "Mailbox")
            .with(Element::new(se::QUERY).with(and))
            .with(options),
    )
}

fn gal(text: &str, range: &str) -> Element {
    Element::new(se::SEARCH).with(
        Element::new(se::STORE)
            .with_text(se::NAME, "GAL")
            .with_text(se::QUERY, text)
            .with(Element::new(se::OPTIONS).with_text(se::RANGE, range)),
    )
}

/// A GAL search asking for photos.
fn gal_pictures(
    text: &str,
    range: &str,
    max_size: Option<u32>,
    max_pictures: Option<u32>,
) -> Element {
    let mut picture = Element::new(se::PICTURE);
    if let Some(n) = max_size {
        picture.push_text(se::MAX_SIZE, n.to_string());
    }
    if let Some(n) = max_pictures {
        picture.push_text(se::MAX_PICTURES, n.to_string());
    }
    Element::new(se::SEARCH).with(
        Element::new(se::STORE)
            .with_text(se::NAME, "GAL")
            .with_text(se::QUERY, text)
            .with(
                Element::new(se::OPTIONS)
                    .with_text(se::RANGE, range)
                    .with(picture),
            ),
    )
}

/// The GAL entries of a search reply, as a client reads them.
fn gal_entries(r: &Reply) -> Vec<GalEntry> {
    store(r)
        .children_of(se::RESULT)
        .map(|x| GalEntry::from_properties(x.child(se::PROPERTIES).unwrap()).unwrap())
        .collect()
}

/// `len` bytes that start like a JPEG.
pub fn jpeg(len: usize, fill: u8) -> Vec<u8> {
    let mut data = vec![0xFF, 0xD8, 0xFF, 0xE0];
    data.resize(len, fill);
    data
}

async fn add_user(s: &TestServer, address: &str, name: &str) {
    s.edge
        .directory
        .create_user(NewUser {
            address: address.into(),
            display_name: name.into(),
            password: "a long enough password".into(),
        })
        .await
        .unwrap();
}

fn store(r: &Reply) -> &Element {
    let body = r.body.as_ref().unwrap();
    assert_eq!(body.child_text(se::STATUS).as_deref(), Some("1"));
    body.child(se::RESPONSE).unwrap().child(se::STORE).unwrap()
}

/// (LongId, CollectionId, Subject) of each mailbox result.
fn results(r: &Reply) -> Vec<(String, String, String)> {
    store(r)
        .children_of(se::RESULT)
        .filter(|x| x.child(se::LONG_ID).is_some())
        .map(|x| {
            (
                x.child_text(se::LONG_ID).unwrap(),
                x.child_text(a::COLLECTION_ID).unwrap(),
                x.child(se::PROPERTIES)
                    .unwrap()
                    .child_text(em::SUBJECT)
                    .unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_mailbox_search_finds_messages_with_ids_itemoperations_can_fetch() {
    let s = TestServer::start_with_mail().await;
    s.deliver(&message("quarterly report", "numbers inside"))
        .await;
    s.deliver(&message("lunch", "nothing to see")).await;
    for v in ["12.1", "14.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("srch{}", v.replace('.', "")), v)).await;
        let inbox = d.folder(2);
        let r = d
            .device
            .post(
                "Search",
                Some(&mailbox("quarterly", Some(&inbox), false, "0-9")),
            )
            .await;
        let found = results(&r);
        assert_eq!(found.len(), 1, "{v}");
        assert_eq!(
            (found[0].1.as_str(), found[0].2.as_str()),
            (inbox.as_str(), "quarterly report")
        );
        assert_eq!(store(&r).child_text(se::TOTAL).as_deref(), Some("1"));
        assert_eq!(store(&r).child_text(se::RANGE).as_deref(), Some("0-0"));
        let fetch = Element::new(io::ITEM_OPERATIONS).with(
            Element::new(io::FETCH)
                .with_text(io::STORE, "Mailbox")
                .with_text(se::LONG_ID, &found[0].0),
        );
        let r = d.device.post("ItemOperations", Some(&fetch)).await;
        let f = r
            .body
            .as_ref()
            .unwrap()
            .child(io::RESPONSE)
            .unwrap()
            .child(io::FETCH)
            .unwrap();
        assert_eq!(f.child_text(io::STATUS).as_deref(), Some("1"), "{v}");
        assert_eq!(
            f.child(io::PROPERTIES)
                .unwrap()
                .child_text(em::SUBJECT)
                .as_deref(),
            Some("quarterly report")
        );
    }
}

#[tokio::test]
async fn a_deep_search_takes_in_subfolders_and_a_range_pages_the_results() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("srchdeep", "14.1")).await;
    let inbox = d.folder(2);
    let create = Element::new(eas_wbxml::tags::folder_hierarchy::FOLDER_CREATE)
        .with_text(eas_wbxml::tags::folder_hierarchy::SYNC_KEY, &d.folder_key)
        .with_text(eas_wbxml::tags::folder_hierarchy::PARENT_ID, &inbox)
        .with_text(eas_wbxml::tags::folder_hierarchy::DISPLAY_NAME, "Archive")
        .with_text(eas_wbxml::tags::folder_hierarchy::TYPE, "12");
    let r = d.device.post("FolderCreate", Some(&create)).await;
    let sub = r
        .text(&[eas_wbxml::tags::folder_hierarchy::SERVER_ID])
        .unwrap();
    for i in 0..3 {
        s.deliver(&message(&format!("invoice {i}"), "pay")).await;
    }
    let (_, ids) = d.sync_all(&inbox).await;
    let mv = Element::new(eas_wbxml::tags::r#move::MOVE_ITEMS).with(
        Element::new(eas_wbxml::tags::r#move::MOVE)
            .with_text(eas_wbxml::tags::r#move::SRC_MSG_ID, &ids[0])
            .with_text(eas_wbxml::tags::r#move::SRC_FLD_ID, &inbox)
            .with_text(eas_wbxml::tags::r#move::DST_FLD_ID, &sub),
    );
    d.device.post("MoveItems", Some(&mv)).await;
    let r = d
        .device
        .post(
            "Search",
            Some(&mailbox("invoice", Some(&inbox), false, "0-9")),
        )
        .await;
    assert_eq!(results(&r).len(), 2);
    let r = d
        .device
        .post(
            "Search",
            Some(&mailbox("invoice", Some(&inbox), true, "0-9")),
        )
        .await;
    let all = results(&r);
    assert_eq!(all.len(), 3);
    assert!(all.iter().any(|x| x.1 == sub));
    let r = d
        .device
        .post(
            "Search",
            Some(&mailbox("invoice", Some(&inbox), true, "1-1")),
        )
        .await;
    assert_eq!(results(&r), vec![all[1].clone()]);
    assert_eq!(store(&r).child_text(se::TOTAL).as_deref(), Some("3"));
    // Every folder when no CollectionId is given.
    let r = d
        .device
        .post("Search", Some(&mailbox("invoice", None, false, "0-99")))
        .await;
    assert_eq!(results(&r).len(), 3);
}

#[tokio::test]
async fn a_search_without_matches_has_one_empty_result_and_bad_requests_get_statuses() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("srchnone", "16.1")).await;
    let r = d
        .device
        .post(
            "Search",
            Some(&mailbox("nothing-like-this", None, false, "0-9")),
        )
        .await;
    let st = store(&r);
    assert_eq!(st.child_text(se::STATUS).as_deref(), Some("1"));
    assert_eq!(st.children_of(se::RESULT).count(), 1);
    assert_eq!(st.child_text(se::TOTAL).as_deref(), Some("0"));
    // Status 11: a folder the server does not know.
    let r = d
        .device
        .post("Search", Some(&mailbox("x", Some("9999"), false, "0-9")))
        .await;
    assert_eq!(store(&r).child_text(se::STATUS).as_deref(), Some("11"));
    // Status 2: no free text; and a request that does not parse.
    let r = d
        .device
        .post("Search", Some(&mailbox(" ", None, false, "0-9")))
        .await;
    assert_eq!(store(&r).child_text(se::STATUS).as_deref(), Some("2"));
    let r = d
        .device
        .post("Search", Some(&Element::new(se::SEARCH)))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(&[se::STATUS]).as_deref(), Some("2"));
}

#[tokio::test]
async fn a_gal_search_returns_users_of_the_domain_with_their_names() {
    let s = TestServer::start_with_mail().await;
    s.edge
        .directory
        .create_user(NewUser {
            address: "asmith@example.loc".into(),
            display_name: "Anna Smith".into(),
            password: "anna password".into(),
        })
        .await
        .unwrap();
    for v in ["12.1", "14.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("gal{}", v.replace('.', "")), v)).await;
        let r = d.device.post("Search", Some(&gal("smi", "0-9"))).await;
        let st = store(&r);
        assert_eq!(st.child_text(se::STATUS).as_deref(), Some("1"), "{v}");
        let found: Vec<&Element> = st.children_of(se::RESULT).collect();
        assert_eq!(found.len(), 1, "{v}");
        let p = found[0].child(se::PROPERTIES).unwrap();
        assert_eq!(p.child_text(g::DISPLAY_NAME).as_deref(), Some("Anna Smith"));
        assert_eq!(
            p.child_text(g::EMAIL_ADDRESS).as_deref(),
            Some("asmith@example.loc")
        );
        assert_eq!(p.child_text(g::FIRST_NAME).as_deref(), Some("Anna"));
        assert_eq!(p.child_text(g::LAST_NAME).as_deref(), Some("Smith"));
        assert_eq!(p.child_text(g::ALIAS).as_deref(), Some("asmith"));
        // Status 12: only Anna Smith matches "a", so a range from the second result is past the end.
        let r = d.device.post("Search", Some(&gal("a", "1-1"))).await;
        assert_eq!(
            store(&r).child_text(se::STATUS).as_deref(),
            Some("12"),
            "{v}"
        );
    }
}

/// A mailbox search asking for whole plain-text bodies.
fn mailbox_whole_bodies(text: &str, range: &str) -> Element {
    use eas_wbxml::tags::air_sync_base as ab;
    let and = Element::new(se::AND)
        .with_text(a::CLASS, "Email")
        .with_text(se::FREE_TEXT, text);
    let options = Element::new(se::OPTIONS)
        .with_text(se::RANGE, range)
        .with(Element::new(ab::BODY_PREFERENCE).with_text(ab::TYPE, "1"));
    Element::new(se::SEARCH).with(
        Element::new(se::STORE)
            .with_text(se::NAME, "Mailbox")
            .with(Element::new(se::QUERY).with(and))
            .with(options),
    )
}

#[tokio::test]
async fn a_search_page_of_large_messages_is_cut_at_the_byte_budget_and_the_next_ranges_have_the_rest(
) {
    use eas_wbxml::tags::air_sync_base as ab;
    let s = TestServer::start_with_mail().await;
    for n in 0..3 {
        let body = format!("needle {n}\r\n{}", common::mail::body_text(5 << 20));
        s.deliver(&message(&format!("large {n}"), &body)).await;
    }
    for v in ["14.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("srchbig{}", v.replace('.', "")), v)).await;
        // Whole bodies: 15 MiB for the three, over one response's budget. The phone asks for
        // the next range until it has them all.
        let mut seen = Vec::new();
        for _ in 0..5 {
            let start = seen.len();
            let r = d
                .device
                .post(
                    "Search",
                    Some(&mailbox_whole_bodies("needle", &format!("{start}-9"))),
                )
                .await;
            assert_eq!(r.status, 200, "{v}");
            let page = results(&r);
            assert!(
                !page.is_empty() && page.len() < 3,
                "{v}: cut short, never empty"
            );
            assert_eq!(store(&r).child_text(se::TOTAL).as_deref(), Some("3"), "{v}");
            assert_eq!(
                store(&r).child_text(se::RANGE),
                Some(format!("{start}-{}", start + page.len() - 1)),
                "{v}: Range says what was sent"
            );
            for x in store(&r).children_of(se::RESULT) {
                let data = x
                    .child(se::PROPERTIES)
                    .and_then(|p| p.child(ab::BODY))
                    .and_then(|b| b.child_text(ab::DATA))
                    .unwrap_or_default();
                assert!(data.len() > 5 << 20, "{v}: whole bodies");
            }
            seen.extend(page.into_iter().map(|x| x.2));
            if seen.len() >= 3 {
                break;
            }
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 3, "{v}: {seen:?}");
    }
}

/// Four users starting with "an", by display name: Andy Jones (no photo), Anna Smith (a small
/// photo and every GAL field), Anne Lee (a photo of 50000 bytes), Annie Ray (a small photo).
async fn staff_with_photos(s: &TestServer) -> Vec<u8> {
    add_user(s, "asmith@example.loc", "Anna Smith").await;
    add_user(s, "ajones@example.loc", "Andy Jones").await;
    add_user(s, "alee@example.loc", "Anne Lee").await;
    add_user(s, "aray@example.loc", "Annie Ray").await;
    let fields = GalFields {
        first_name: Some("Annabel".into()),
        last_name: Some("Smith-Jones".into()),
        title: Some("Head of Finance".into()),
        company: Some("Example Ltd".into()),
        office: Some("B 2.14".into()),
        phone: Some("+1 555 0100".into()),
        home_phone: Some("+1 555 0101".into()),
        mobile_phone: Some("+1 555 0102".into()),
    };
    let dir = &s.edge.directory;
    dir.set_gal_fields("asmith@example.loc", fields)
        .await
        .unwrap();
    let anna = jpeg(3000, 0x11);
    dir.set_photo("asmith@example.loc", anna.clone())
        .await
        .unwrap();
    dir.set_photo("alee@example.loc", jpeg(50_000, 0x22))
        .await
        .unwrap();
    dir.set_photo("aray@example.loc", jpeg(2000, 0x33))
        .await
        .unwrap();
    anna
}

#[tokio::test]
async fn a_gal_search_shows_every_directory_field_and_photos_with_each_picture_status() {
    let s = TestServer::start_with_mail().await;
    let anna = staff_with_photos(&s).await;
    for v in ["14.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("galpic{}", v.replace('.', "")), v)).await;
        // MaxSize 10000, MaxPictures 1: Andy has none (173), Anna's goes out (1), Anne's is
        // too large (174), Annie's comes after the limit (175).
        let r = d
            .device
            .post(
                "Search",
                Some(&gal_pictures("an", "0-9", Some(10_000), Some(1))),
            )
            .await;
        let found = gal_entries(&r);
        let names: Vec<_> = found
            .iter()
            .map(|e| e.display_name.clone().unwrap())
            .collect();
        assert_eq!(
            names,
            ["Andy Jones", "Anna Smith", "Anne Lee", "Annie Ray"],
            "{v}"
        );
        let statuses: Vec<_> = found
            .iter()
            .map(|e| e.picture.as_ref().map(Picture::status))
            .collect();
        assert_eq!(statuses, [Some(173), Some(1), Some(174), Some(175)], "{v}");
        assert_eq!(found[1].picture, Some(Picture::Data(anna.clone())), "{v}");
        assert_eq!(
            found[1],
            GalEntry {
                display_name: Some("Anna Smith".into()),
                phone: Some("+1 555 0100".into()),
                office: Some("B 2.14".into()),
                title: Some("Head of Finance".into()),
                company: Some("Example Ltd".into()),
                alias: Some("asmith".into()),
                first_name: Some("Annabel".into()),
                last_name: Some("Smith-Jones".into()),
                home_phone: Some("+1 555 0101".into()),
                mobile_phone: Some("+1 555 0102".into()),
                email_address: Some("asmith@example.loc".into()),
                picture: Some(Picture::Data(anna.clone())),
            },
            "{v}"
        );
        // gal:Data is a base64 string.
        let data = store(&r)
            .children_of(se::RESULT)
            .nth(1)
            .and_then(|x| x.child(se::PROPERTIES))
            .and_then(|p| p.child(g::PICTURE))
            .and_then(|p| p.child_text(g::DATA))
            .unwrap();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap(),
            anna
        );
        assert_eq!(store(&r).child_text(se::TOTAL).as_deref(), Some("4"));
        // No limits: every photo goes out.
        let r = d
            .device
            .post("Search", Some(&gal_pictures("an", "0-9", None, None)))
            .await;
        let statuses: Vec<_> = gal_entries(&r)
            .iter()
            .map(|e| e.picture.as_ref().map(Picture::status))
            .collect();
        assert_eq!(statuses, [Some(173), Some(1), Some(1), Some(1)], "{v}");
        // A page: Range and Total, and MaxPictures counts within the page.
        let r = d
            .device
            .post("Search", Some(&gal_pictures("an", "2-3", None, Some(1))))
            .await;
        let page = gal_entries(&r);
        assert_eq!(store(&r).child_text(se::RANGE).as_deref(), Some("2-3"));
        assert_eq!(store(&r).child_text(se::TOTAL).as_deref(), Some("4"));
        let page: Vec<_> = page
            .iter()
            .map(|e| {
                (
                    e.display_name.clone().unwrap(),
                    e.picture.as_ref().map(Picture::status),
                )
            })
            .collect();
        assert_eq!(
            page,
            [
                ("Anne Lee".to_owned(), Some(1)),
                ("Annie Ray".to_owned(), Some(175))
            ],
            "{v}"
        );
    }
}

#[tokio::test]
async fn a_gal_search_by_address_or_stored_name_finds_the_user_with_the_photo() {
    let s = TestServer::start_with_mail().await;
    let anna = staff_with_photos(&s).await;
    for v in ["14.1", "16.1"] {
        let d = MailDevice::new(s.device(&format!("galaddr{}", v.replace('.', "")), v)).await;
        for query in ["asmith@example.loc", "ASMITH@", "annabel", "smith-j"] {
            let r = d
                .device
                .post(
                    "Search",
                    Some(&gal_pictures(query, "0-9", Some(10_000), None)),
                )
                .await;
            let found = gal_entries(&r);
            assert_eq!(found.len(), 1, "{v} {query}");
            assert_eq!(
                found[0].email_address.as_deref(),
                Some("asmith@example.loc")
            );
            assert_eq!(
                found[0].picture,
                Some(Picture::Data(anna.clone())),
                "{v} {query}"
            );
        }
        // MaxSize below the photo: 174, no data.
        let r = d
            .device
            .post(
                "Search",
                Some(&gal_pictures("asmith@", "0-9", Some(2999), None)),
            )
            .await;
        assert_eq!(gal_entries(&r)[0].picture, Some(Picture::TooLarge), "{v}");
    }
}

#[tokio::test]
async fn before_14_1_a_gal_search_sends_no_picture() {
    let s = TestServer::start_with_mail().await;
    staff_with_photos(&s).await;
    for v in ["12.1", "14.0"] {
        let d = MailDevice::new(s.device(&format!("galold{}", v.replace('.', "")), v)).await;
        let r = d
            .device
            .post("Search", Some(&gal_pictures("anna", "0-9", None, None)))
            .await;
        let found = gal_entries(&r);
        assert_eq!(found.len(), 1, "{v}");
        assert_eq!(found[0].title.as_deref(), Some("Head of Finance"), "{v}");
        assert_eq!(found[0].picture, None, "{v}");
    }
}
