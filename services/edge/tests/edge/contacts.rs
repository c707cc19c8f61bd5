//! The Contacts class through the edge, with the contacts service embedded as the one-process
//! server embeds it: the hierarchy, a contact added on one phone reaching another with every
//! field, changes with and without ghosting (MS-ASCMD 2.2.3.179), deletes, a held Ping woken by
//! an administrator's import, GetItemEstimate, contacts folders and MoveItems, at 14.1 and 16.1.

use crate::common;

use std::time::Duration;

use base64::Engine;
use common::*;
use eas_wbxml::tags::{
    air_sync as a, air_sync_base as ab, contacts as c, contacts2 as c2, folder_hierarchy as fh,
    get_item_estimate as g, ping as p, r#move as m,
};
use eas_wbxml::{Element, Tag};

const VERSIONS: [&str; 2] = ["14.1", "16.1"];

/// A provisioned device.
async fn phone<'a>(s: &'a TestServer, id: &str, version: &str) -> Device<'a> {
    let mut d = s.device(id, version);
    d.provision().await;
    d
}

/// The hierarchy: (server id, type, display name) of each folder, and the key.
async fn hierarchy(d: &Device<'_>) -> (Vec<(String, String, String)>, String) {
    let r = d.folder_sync("0").await;
    assert_eq!(r.text(&[fh::STATUS]).as_deref(), Some("1"));
    let body = r.body.as_ref().unwrap();
    let folders = body
        .child(fh::CHANGES)
        .unwrap()
        .children_of(fh::ADD)
        .map(|a| {
            (
                a.child_text(fh::SERVER_ID).unwrap_or_default(),
                a.child_text(fh::TYPE).unwrap_or_default(),
                a.child_text(fh::DISPLAY_NAME).unwrap_or_default(),
            )
        })
        .collect();
    (folders, r.text(&[fh::SYNC_KEY]).unwrap())
}

/// The id of the default Contacts folder (type 9).
async fn contacts_folder(d: &Device<'_>) -> String {
    let (folders, _) = hierarchy(d).await;
    folders
        .into_iter()
        .find(|f| f.1 == "9")
        .map(|f| f.0)
        .expect("a Contacts folder")
}

/// A Sync of one collection: key, optional commands, optional Supported (key 0 only) and the
/// body preference for the notes.
fn sync_request(
    id: &str,
    key: &str,
    commands: Option<Element>,
    supported: Option<Element>,
) -> Element {
    let mut coll = Element::new(a::COLLECTION)
        .with_text(a::SYNC_KEY, key)
        .with_text(a::COLLECTION_ID, id);
    if let Some(s) = supported {
        coll.push(s);
    }
    if key != "0" {
        coll.push(Element::new(a::GET_CHANGES));
        coll.push_text(a::WINDOW_SIZE, "100");
        coll.push(
            Element::new(a::OPTIONS).with(
                Element::new(ab::BODY_PREFERENCE)
                    .with_text(ab::TYPE, "1")
                    .with_text(ab::TRUNCATION_SIZE, "32768"),
            ),
        );
    }
    if let Some(cmds) = commands {
        coll.push(cmds);
    }
    Element::new(a::SYNC).with(Element::new(a::COLLECTIONS).with(coll))
}

/// The one collection of a Sync response.
fn collection(r: &Reply) -> &Element {
    assert_eq!(r.status, 200);
    r.body
        .as_ref()
        .and_then(|b| b.child(a::COLLECTIONS))
        .and_then(|c| c.child(a::COLLECTION))
        .expect("a collection in the sync response")
}

/// Syncs with key 0 and then once more: the key after the first full round.
async fn prime(d: &Device<'_>, id: &str, supported: Option<Element>) -> (String, Reply) {
    let r = d
        .post("Sync", Some(&sync_request(id, "0", None, supported)))
        .await;
    let key = collection(&r).child_text(a::SYNC_KEY).unwrap();
    assert_eq!(collection(&r).child_text(a::STATUS).as_deref(), Some("1"));
    let r = d
        .post("Sync", Some(&sync_request(id, &key, None, None)))
        .await;
    (collection(&r).child_text(a::SYNC_KEY).unwrap(), r)
}

/// A 1x1 PNG.
fn png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
        .unwrap()
}

/// A contact with a field of every kind.
fn full_contact() -> Vec<Element> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(png());
    vec![
        Element::text(c::FIRST_NAME, "Anna"),
        Element::text(c::LAST_NAME, "Smith"),
        Element::text(c::FILE_AS, "Smith, Anna"),
        Element::text(c::EMAIL1_ADDRESS, "\"Anna Smith\" <anna@example.org>"),
        Element::text(c::MOBILE_PHONE_NUMBER, "+1 555 0100"),
        Element::text(c::BUSINESS_PHONE_NUMBER, "+1 555 0101"),
        Element::text(c::JOB_TITLE, "Engineer"),
        Element::text(c::COMPANY_NAME, "Example Ltd"),
        Element::text(c::BIRTHDAY, "1980-05-17T00:00:00.000Z"),
        Element::text(c::HOME_ADDRESS_CITY, "Springfield"),
        Element::new(c::CATEGORIES)
            .with_text(c::CATEGORY, "Friends")
            .with_text(c::CATEGORY, "Work"),
        Element::new(c::CHILDREN).with_text(c::CHILD, "Tom"),
        Element::text(c::PICTURE, b64),
        Element::text(c2::NICK_NAME, "Annie"),
        Element::new(ab::BODY)
            .with_text(ab::TYPE, "1")
            .with_text(ab::DATA, "Met at the conference."),
    ]
}

fn add(client_id: &str, data: Vec<Element>) -> Element {
    let mut app = Element::new(a::APPLICATION_DATA);
    for el in data {
        app.push(el);
    }
    Element::new(a::COMMANDS).with(
        Element::new(a::ADD)
            .with_text(a::CLIENT_ID, client_id)
            .with(app),
    )
}

fn change(server_id: &str, data: Vec<Element>) -> Element {
    let mut app = Element::new(a::APPLICATION_DATA);
    for el in data {
        app.push(el);
    }
    Element::new(a::COMMANDS).with(
        Element::new(a::CHANGE)
            .with_text(a::SERVER_ID, server_id)
            .with(app),
    )
}

/// The Add status and ServerId in a response.
fn added(r: &Reply) -> (String, Option<String>) {
    let resp = collection(r)
        .child(a::RESPONSES)
        .and_then(|x| x.child(a::ADD))
        .expect("an Add response");
    (
        resp.child_text(a::STATUS).unwrap_or_default(),
        resp.child_text(a::SERVER_ID),
    )
}

/// The ApplicationData of each server command of `kind` (Add or Change) by ServerId.
fn server_items(r: &Reply, kind: Tag) -> Vec<(String, Element)> {
    collection(r)
        .child(a::COMMANDS)
        .map(|cmds| {
            cmds.children_of(kind)
                .map(|x| {
                    (
                        x.child_text(a::SERVER_ID).unwrap_or_default(),
                        x.child(a::APPLICATION_DATA).cloned().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn field(data: &Element, tag: Tag) -> Option<String> {
    data.child_text(tag)
}

fn notes(data: &Element) -> Option<String> {
    data.child(ab::BODY).and_then(|b| b.child_text(ab::DATA))
}

#[tokio::test]
async fn the_hierarchy_has_the_real_contacts_folder_in_place_of_the_placeholder() {
    let s = TestServer::start_with_contacts().await;
    for v in VERSIONS {
        let d = phone(&s, &format!("hier{}", v.replace('.', "")), v).await;
        let (folders, _) = hierarchy(&d).await;
        let contacts: Vec<_> = folders.iter().filter(|f| f.1 == "9").collect();
        assert_eq!(contacts.len(), 1, "{folders:?}");
        assert!(contacts[0].0.starts_with("con:"), "{folders:?}");
        assert_eq!(contacts[0].2, "Contacts");
        // Calendar is not served yet: its placeholder stays; mail keeps its ids.
        assert!(folders.iter().any(|f| f.1 == "8" && f.0 == "calendar"));
        assert!(folders.iter().any(|f| f.1 == "2" && !f.0.contains(':')));
        // Collected contacts are searchable, not synchronized.
        assert!(!folders
            .iter()
            .any(|f| f.2.to_lowercase().contains("collected")));
    }
}

#[tokio::test]
async fn a_contact_added_on_one_phone_reaches_another_with_every_field() {
    let s = TestServer::start_with_contacts().await;
    for v in VERSIONS {
        let tag = v.replace('.', "");
        let d1 = phone(&s, &format!("one{tag}"), v).await;
        let d2 = phone(&s, &format!("two{tag}"), v).await;
        let id = contacts_folder(&d1).await;
        assert_eq!(contacts_folder(&d2).await, id);
        let (k1, _) = prime(&d1, &id, None).await;
        let (k2, _) = prime(&d2, &id, None).await;
        let r = d1
            .post(
                "Sync",
                Some(&sync_request(
                    &id,
                    &k1,
                    Some(add("c1", full_contact())),
                    None,
                )),
            )
            .await;
        let (status, server_id) = added(&r);
        assert_eq!(status, "1", "{v}");
        let server_id = server_id.unwrap();
        let r = d2
            .post("Sync", Some(&sync_request(&id, &k2, None, None)))
            .await;
        let items = server_items(&r, a::ADD);
        assert_eq!(items.len(), 1, "{v}");
        let (sid, data) = &items[0];
        assert_eq!(sid, &server_id);
        for el in full_contact() {
            match el.tag {
                t if t == ab::BODY => {
                    assert_eq!(notes(data).as_deref(), Some("Met at the conference."))
                }
                t if t == c::CATEGORIES || t == c::CHILDREN => {
                    assert_eq!(data.child(t), Some(&el), "{v}: {t:?}")
                }
                t => assert_eq!(field(data, t), el.text_content(), "{v}: {t:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_change_keeps_ghosted_fields_and_the_notes_and_one_without_supported_replaces_the_rest() {
    let s = TestServer::start_with_contacts().await;
    for v in VERSIONS {
        let tag = v.replace('.', "");
        let d1 = phone(&s, &format!("a{tag}"), v).await;
        let d2 = phone(&s, &format!("b{tag}"), v).await;
        let id = contacts_folder(&d1).await;
        let (k1, _) = prime(&d1, &id, None).await;
        // The second phone supports only names and the mobile number: everything else is
        // ghosted for it.
        let supported = Element::new(a::SUPPORTED)
            .with(Element::new(c::FIRST_NAME))
            .with(Element::new(c::LAST_NAME))
            .with(Element::new(c::MOBILE_PHONE_NUMBER));
        let (mut k2, _) = prime(&d2, &id, Some(supported)).await;
        let r = d1
            .post(
                "Sync",
                Some(&sync_request(
                    &id,
                    &k1,
                    Some(add("c1", full_contact())),
                    None,
                )),
            )
            .await;
        let k1 = collection(&r).child_text(a::SYNC_KEY).unwrap();
        let server_id = added(&r).1.unwrap();
        let r = d2
            .post("Sync", Some(&sync_request(&id, &k2, None, None)))
            .await;
        k2 = collection(&r).child_text(a::SYNC_KEY).unwrap();
        // An edit of the mobile number only (names sent as they are, as phones do).
        let edit = vec![
            Element::text(c::FIRST_NAME, "Anna"),
            Element::text(c::LAST_NAME, "Smith"),
            Element::text(c::MOBILE_PHONE_NUMBER, "+1 555 0199"),
        ];
        let r = d2
            .post(
                "Sync",
                Some(&sync_request(
                    &id,
                    &k2,
                    Some(change(&server_id, edit)),
                    None,
                )),
            )
            .await;
        assert_eq!(collection(&r).child_text(a::STATUS).as_deref(), Some("1"));
        assert!(collection(&r).child(a::RESPONSES).is_none(), "{v}");
        let r = d1
            .post("Sync", Some(&sync_request(&id, &k1, None, None)))
            .await;
        let k1 = collection(&r).child_text(a::SYNC_KEY).unwrap();
        let changed = server_items(&r, a::CHANGE);
        assert_eq!(changed.len(), 1, "{v}");
        let data = &changed[0].1;
        assert_eq!(
            field(data, c::MOBILE_PHONE_NUMBER).as_deref(),
            Some("+1 555 0199")
        );
        assert_eq!(
            field(data, c::BIRTHDAY).as_deref(),
            Some("1980-05-17T00:00:00.000Z")
        );
        assert_eq!(field(data, c::JOB_TITLE).as_deref(), Some("Engineer"));
        assert_eq!(field(data, c2::NICK_NAME).as_deref(), Some("Annie"));
        assert!(data.child(c::PICTURE).is_some());
        assert_eq!(notes(data).as_deref(), Some("Met at the conference."));
        // The first phone sent no Supported: a Change from it is the whole contact (R5906,
        // R5912), so what it leaves out goes; a Change without Body keeps the notes.
        let whole = vec![
            Element::text(c::FIRST_NAME, "Anna"),
            Element::text(c::LAST_NAME, "Smith-Jones"),
        ];
        let r = d1
            .post(
                "Sync",
                Some(&sync_request(
                    &id,
                    &k1,
                    Some(change(&server_id, whole)),
                    None,
                )),
            )
            .await;
        assert!(collection(&r).child(a::RESPONSES).is_none(), "{v}");
        let stored = s
            .contacts
            .as_ref()
            .unwrap()
            .search(USER, "Smith-Jones", 10, false)
            .await
            .unwrap();
        assert_eq!(stored.total, 1, "{v}");
        let json = &stored.hits[0].contact.json;
        assert!(!json.contains("Engineer"), "{v}: {json}");
        assert!(json.contains("Met at the conference."), "{v}: {json}");
        // Clean up for the next version.
        let hit = &stored.hits[0].contact;
        s.contacts
            .as_ref()
            .unwrap()
            .delete_contact(USER, hit.folder_id, hit.id)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_delete_on_one_phone_removes_the_contact_from_the_other() {
    let s = TestServer::start_with_contacts().await;
    for v in VERSIONS {
        let tag = v.replace('.', "");
        let d1 = phone(&s, &format!("del1{tag}"), v).await;
        let d2 = phone(&s, &format!("del2{tag}"), v).await;
        let id = contacts_folder(&d1).await;
        let (k1, _) = prime(&d1, &id, None).await;
        let r = d1
            .post(
                "Sync",
                Some(&sync_request(
                    &id,
                    &k1,
                    Some(add("c1", vec![Element::text(c::FIRST_NAME, "Gone")])),
                    None,
                )),
            )
            .await;
        let k1 = collection(&r).child_text(a::SYNC_KEY).unwrap();
        let server_id = added(&r).1.unwrap();
        let (k2, r) = prime(&d2, &id, None).await;
        assert!(server_items(&r, a::ADD)
            .iter()
            .any(|(i, _)| i == &server_id));
        let del = Element::new(a::COMMANDS)
            .with(Element::new(a::DELETE).with_text(a::SERVER_ID, &server_id));
        let r = d1
            .post("Sync", Some(&sync_request(&id, &k1, Some(del), None)))
            .await;
        assert_eq!(collection(&r).child_text(a::STATUS).as_deref(), Some("1"));
        let r = d2
            .post("Sync", Some(&sync_request(&id, &k2, None, None)))
            .await;
        let deleted: Vec<String> = collection(&r)
            .child(a::COMMANDS)
            .map(|c| {
                c.children_of(a::DELETE)
                    .filter_map(|d| d.child_text(a::SERVER_ID))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(deleted, vec![server_id], "{v}");
    }
}

#[tokio::test]
async fn a_picture_over_the_limit_is_refused_with_status_6_and_nothing_is_stored() {
    let s = TestServer::start_with_contacts().await;
    for v in VERSIONS {
        let d = phone(&s, &format!("pic{}", v.replace('.', "")), v).await;
        let id = contacts_folder(&d).await;
        let (k, _) = prime(&d, &id, None).await;
        // MS-ASCNTC 2.2.2.58: at most 48 KB of base64.
        let big = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 40 * 1024]);
        let r = d
            .post(
                "Sync",
                Some(&sync_request(
                    &id,
                    &k,
                    Some(add(
                        "big",
                        vec![
                            Element::text(c::FIRST_NAME, "Big"),
                            Element::text(c::PICTURE, big),
                        ],
                    )),
                    None,
                )),
            )
            .await;
        assert_eq!(added(&r), ("6".to_owned(), None), "{v}");
    }
    let found = s
        .contacts
        .as_ref()
        .unwrap()
        .search(USER, "Big", 10, false)
        .await
        .unwrap();
    assert_eq!(found.total, 0);
}

const VCARD: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada;;;\r\nFN:Ada Lovelace\r\nEMAIL;TYPE=INTERNET:ada@example.org\r\nTEL;TYPE=CELL:+44 20 7946 0000\r\nEND:VCARD\r\n";

#[tokio::test]
async fn a_held_ping_on_the_contacts_folder_wakes_for_an_import_and_the_estimate_counts_it() {
    let s = TestServer::start_with_contacts().await;
    for v in VERSIONS {
        let d = phone(&s, &format!("ping{}", v.replace('.', "")), v).await;
        let id = contacts_folder(&d).await;
        let (k, _) = prime(&d, &id, None).await;
        let ping = Element::new(p::PING)
            .with_text(p::HEARTBEAT_INTERVAL, "60")
            .with(
                Element::new(p::FOLDERS).with(
                    Element::new(p::FOLDER)
                        .with_text(p::ID, &id)
                        .with_text(p::CLASS, "Contacts"),
                ),
            );
        let held = d.post("Ping", Some(&ping));
        let import = async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            s.contacts
                .as_ref()
                .unwrap()
                .import_vcards(USER, None, VCARD.as_bytes())
                .await
                .unwrap()
        };
        let (r, imported) = tokio::join!(held, import);
        assert_eq!(imported.ids.len(), 1);
        assert_eq!(r.text(&[p::STATUS]).as_deref(), Some("2"), "{v}");
        assert_eq!(
            r.text(&[p::FOLDERS, p::FOLDER]).as_deref(),
            Some(id.as_str())
        );
        let est = Element::new(g::GET_ITEM_ESTIMATE).with(
            Element::new(g::COLLECTIONS).with(
                Element::new(g::COLLECTION)
                    .with_text(a::SYNC_KEY, &k)
                    .with_text(g::COLLECTION_ID, &id),
            ),
        );
        let r = d.post("GetItemEstimate", Some(&est)).await;
        assert_eq!(
            r.text(&[g::RESPONSE, g::COLLECTION, g::ESTIMATE])
                .as_deref(),
            Some("1"),
            "{v}"
        );
        let r = d
            .post("Sync", Some(&sync_request(&id, &k, None, None)))
            .await;
        let items = server_items(&r, a::ADD);
        assert_eq!(items.len(), 1);
        assert_eq!(
            field(&items[0].1, c::LAST_NAME).as_deref(),
            Some("Lovelace")
        );
        assert_eq!(
            field(&items[0].1, c::MOBILE_PHONE_NUMBER).as_deref(),
            Some("+44 20 7946 0000")
        );
        s.contacts
            .as_ref()
            .unwrap()
            .delete_contact(USER, imported.folder_id, imported.ids[0])
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn contacts_folders_are_created_and_deleted_and_contacts_move_between_them_only() {
    let s = TestServer::start_with_contacts().await;
    let d = phone(&s, "folders141", "14.1").await;
    let (folders, key) = hierarchy(&d).await;
    let contacts = folders.iter().find(|f| f.1 == "9").unwrap().0.clone();
    let inbox = folders.iter().find(|f| f.1 == "2").unwrap().0.clone();
    let create = Element::new(fh::FOLDER_CREATE)
        .with_text(fh::SYNC_KEY, &key)
        .with_text(fh::PARENT_ID, "0")
        .with_text(fh::DISPLAY_NAME, "Family")
        .with_text(fh::TYPE, "14");
    let r = d.post("FolderCreate", Some(&create)).await;
    assert_eq!(r.text(&[fh::STATUS]).as_deref(), Some("1"));
    let family = r.text(&[fh::SERVER_ID]).unwrap();
    assert!(family.starts_with("con:"), "{family}");
    let key = r.text(&[fh::SYNC_KEY]).unwrap();
    // The default Contacts folder cannot be deleted (status 3).
    let r = d
        .post(
            "FolderDelete",
            Some(
                &Element::new(fh::FOLDER_DELETE)
                    .with_text(fh::SYNC_KEY, &key)
                    .with_text(fh::SERVER_ID, &contacts),
            ),
        )
        .await;
    assert_eq!(r.text(&[fh::STATUS]).as_deref(), Some("3"));
    // A contact moves to the new folder, not to a mail folder (status 2).
    let (k, _) = prime(&d, &contacts, None).await;
    let r = d
        .post(
            "Sync",
            Some(&sync_request(
                &contacts,
                &k,
                Some(add("m1", vec![Element::text(c::FIRST_NAME, "Mover")])),
                None,
            )),
        )
        .await;
    let item = added(&r).1.unwrap();
    let mv = |dst: &str| {
        Element::new(m::MOVE_ITEMS).with(
            Element::new(m::MOVE)
                .with_text(m::SRC_MSG_ID, &item)
                .with_text(m::SRC_FLD_ID, &contacts)
                .with_text(m::DST_FLD_ID, dst),
        )
    };
    let r = d.post("MoveItems", Some(&mv(&inbox))).await;
    assert_eq!(r.text(&[m::RESPONSE, m::STATUS]).as_deref(), Some("2"));
    let r = d.post("MoveItems", Some(&mv(&family))).await;
    assert_eq!(r.text(&[m::RESPONSE, m::STATUS]).as_deref(), Some("3"));
    let moved = r.text(&[m::RESPONSE, m::DST_MSG_ID]).unwrap();
    let (fk, r) = prime(&d, &family, None).await;
    assert_eq!(
        server_items(&r, a::ADD)
            .into_iter()
            .map(|(i, _)| i)
            .collect::<Vec<_>>(),
        vec![moved.clone()]
    );
    // The user's folder is renamed; it cannot move under a mail folder (status 10).
    let update = |key: &str, parent: &str, name: &str| {
        Element::new(fh::FOLDER_UPDATE)
            .with_text(fh::SYNC_KEY, key)
            .with_text(fh::SERVER_ID, &family)
            .with_text(fh::PARENT_ID, parent)
            .with_text(fh::DISPLAY_NAME, name)
    };
    let r = d
        .post("FolderUpdate", Some(&update(&key, &inbox, "Relatives")))
        .await;
    assert_eq!(r.text(&[fh::STATUS]).as_deref(), Some("10"));
    let r = d
        .post("FolderUpdate", Some(&update(&key, "0", "Relatives")))
        .await;
    assert_eq!(r.text(&[fh::STATUS]).as_deref(), Some("1"));
    let key = r.text(&[fh::SYNC_KEY]).unwrap();
    // Another phone sees the new name (a FolderSync with key 0 here would reset this phone's
    // collections).
    let other = phone(&s, "folders141b", "14.1").await;
    let (folders, _) = hierarchy(&other).await;
    assert!(folders.iter().any(|f| f.0 == family && f.2 == "Relatives"));
    // EmptyFolderContents (MS-ASCMD 2.2.3.55) empties a contacts folder: the next Sync of it
    // deletes the contact on the phone.
    use eas_wbxml::tags::item_operations as io;
    let empty = Element::new(io::ITEM_OPERATIONS)
        .with(Element::new(io::EMPTY_FOLDER_CONTENTS).with_text(a::COLLECTION_ID, &family));
    let r = d.post("ItemOperations", Some(&empty)).await;
    assert_eq!(
        r.text(&[io::RESPONSE, io::EMPTY_FOLDER_CONTENTS, io::STATUS])
            .as_deref(),
        Some("1")
    );
    let r = d
        .post("Sync", Some(&sync_request(&family, &fk, None, None)))
        .await;
    let deleted: Vec<String> = collection(&r)
        .child(a::COMMANDS)
        .map(|cmds| {
            cmds.children_of(a::DELETE)
                .filter_map(|x| x.child_text(a::SERVER_ID))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(deleted, vec![moved]);
    // The user's folder is deleted with its contacts.
    let r = d
        .post(
            "FolderDelete",
            Some(
                &Element::new(fh::FOLDER_DELETE)
                    .with_text(fh::SYNC_KEY, &key)
                    .with_text(fh::SERVER_ID, &family),
            ),
        )
        .await;
    assert_eq!(r.text(&[fh::STATUS]).as_deref(), Some("1"));
    let (folders, _) = hierarchy(&d).await;
    assert!(!folders.iter().any(|f| f.0 == family));
}

/// The GAL entries (display name, e-mail) of a Search reply.
fn gal_results(r: &Reply) -> (Vec<(String, String)>, Option<String>) {
    use eas_wbxml::tags::{gal as gl, search as se};
    let store = r
        .body
        .as_ref()
        .and_then(|b| b.child(se::RESPONSE))
        .and_then(|x| x.child(se::STORE))
        .expect("a search store");
    let entries = store
        .children_of(se::RESULT)
        .filter_map(|res| res.child(se::PROPERTIES))
        .map(|p| {
            (
                p.child_text(gl::DISPLAY_NAME).unwrap_or_default(),
                p.child_text(gl::EMAIL_ADDRESS).unwrap_or_default(),
            )
        })
        .collect();
    (entries, store.child_text(se::TOTAL))
}

#[tokio::test]
async fn gal_search_and_resolverecipients_find_the_users_own_and_collected_contacts() {
    use eas_wbxml::tags::{resolve_recipients as rr, search as se};
    let s = TestServer::start_with_contacts().await;
    let service = s.contacts.as_ref().unwrap();
    service
        .import_vcards(USER, None, VCARD.as_bytes())
        .await
        .unwrap();
    service
        .collect_recipients(
            USER,
            &[eas_contacts::Recipient {
                address: "lovelock@example.net".into(),
                display_name: "James Lovelock".into(),
            }],
        )
        .await
        .unwrap();
    for v in VERSIONS {
        let d = phone(&s, &format!("gal{}", v.replace('.', "")), v).await;
        let search = |q: &str| {
            Element::new(se::SEARCH).with(
                Element::new(se::STORE)
                    .with_text(se::NAME, "GAL")
                    .with_text(se::QUERY, q)
                    .with(Element::new(se::OPTIONS).with_text(se::RANGE, "0-9")),
            )
        };
        // By name prefix: the personal contact and the collected one.
        let r = d.post("Search", Some(&search("Lov"))).await;
        let (entries, total) = gal_results(&r);
        assert_eq!(total.as_deref(), Some("2"), "{v}: {entries:?}");
        assert!(entries.contains(&("Ada Lovelace".into(), "ada@example.org".into())));
        assert!(entries.contains(&("James Lovelock".into(), "lovelock@example.net".into())));
        // By e-mail address; the directory's own user still comes from the directory.
        let r = d.post("Search", Some(&search("ada@exa"))).await;
        assert_eq!(
            gal_results(&r).0,
            vec![("Ada Lovelace".into(), "ada@example.org".into())]
        );
        let r = d.post("Search", Some(&search("John"))).await;
        assert_eq!(gal_results(&r).0, vec![("John Doe".into(), USER.into())]);
        // ResolveRecipients: a contact's address resolves as Type 2, a directory user as Type 1.
        let req = Element::new(rr::RESOLVE_RECIPIENTS)
            .with_text(rr::TO, "ada@example.org")
            .with_text(rr::TO, USER)
            .with_text(rr::TO, "nobody@example.invalid");
        let r = d.post("ResolveRecipients", Some(&req)).await;
        let responses: Vec<&Element> = r.body.as_ref().unwrap().children_of(rr::RESPONSE).collect();
        assert_eq!(responses.len(), 3);
        let first = |i: usize, tag| {
            responses[i]
                .child(rr::RECIPIENT)
                .and_then(|x| x.child_text(tag))
        };
        assert_eq!(responses[0].child_text(rr::STATUS).as_deref(), Some("1"));
        assert_eq!(first(0, rr::TYPE).as_deref(), Some("2"));
        assert_eq!(first(0, rr::DISPLAY_NAME).as_deref(), Some("Ada Lovelace"));
        assert_eq!(first(1, rr::TYPE).as_deref(), Some("1"));
        assert_eq!(responses[2].child_text(rr::STATUS).as_deref(), Some("4"));
    }
}

#[tokio::test]
async fn itemoperations_fetches_a_contact_with_its_schema_and_answers_6_for_an_unknown_one() {
    use eas_wbxml::tags::item_operations as io;
    let s = TestServer::start_with_contacts().await;
    for v in VERSIONS {
        let d = phone(&s, &format!("io{}", v.replace('.', "")), v).await;
        let id = contacts_folder(&d).await;
        let (k, _) = prime(&d, &id, None).await;
        let r = d
            .post(
                "Sync",
                Some(&sync_request(
                    &id,
                    &k,
                    Some(add("f1", full_contact())),
                    None,
                )),
            )
            .await;
        let server_id = added(&r).1.unwrap();
        let fetch = |sid: &str, schema: Option<Element>| {
            let mut options = Element::new(io::OPTIONS);
            if let Some(schema) = schema {
                options.push(schema);
            }
            Element::new(io::ITEM_OPERATIONS).with(
                Element::new(io::FETCH)
                    .with_text(io::STORE, "Mailbox")
                    .with_text(a::COLLECTION_ID, &id)
                    .with_text(a::SERVER_ID, sid)
                    .with(options),
            )
        };
        let r = d
            .post("ItemOperations", Some(&fetch(&server_id, None)))
            .await;
        let resp = r
            .body
            .as_ref()
            .and_then(|b| b.child(io::RESPONSE))
            .and_then(|x| x.child(io::FETCH))
            .expect("a fetch response");
        assert_eq!(resp.child_text(io::STATUS).as_deref(), Some("1"), "{v}");
        assert_eq!(resp.child_text(a::CLASS).as_deref(), Some("Contacts"));
        let props = resp.child(io::PROPERTIES).unwrap();
        assert_eq!(props.child_text(c::LAST_NAME).as_deref(), Some("Smith"));
        assert_eq!(notes(props).as_deref(), Some("Met at the conference."));
        // MS-ASCNTC 3.2.5.1: a Schema restricts the elements returned.
        let schema = Element::new(io::SCHEMA).with(Element::new(c::FIRST_NAME));
        let r = d
            .post("ItemOperations", Some(&fetch(&server_id, Some(schema))))
            .await;
        let props = r
            .body
            .as_ref()
            .and_then(|b| b.child(io::RESPONSE))
            .and_then(|x| x.child(io::FETCH))
            .and_then(|x| x.child(io::PROPERTIES))
            .unwrap();
        assert_eq!(props.child_text(c::FIRST_NAME).as_deref(), Some("Anna"));
        assert!(props.child(c::LAST_NAME).is_none(), "{v}");
        let r = d.post("ItemOperations", Some(&fetch("999999", None))).await;
        let status = r
            .body
            .as_ref()
            .and_then(|b| b.child(io::RESPONSE))
            .and_then(|x| x.child(io::FETCH))
            .and_then(|x| x.child_text(io::STATUS));
        assert_eq!(status.as_deref(), Some("6"), "{v}");
    }
}

/// The vCard files of the contacts model's own round-trip test: every EAS field, more e-mail
/// addresses and phone numbers than EAS carries, and properties EAS has no slot for.
const FULL_VCARDS: [(&str, &str); 2] = [
    (
        "3.0",
        include_str!("../../../../crates/contacts/tests/fixtures/full-3.0.vcf"),
    ),
    (
        "4.0",
        include_str!("../../../../crates/contacts/tests/fixtures/full-4.0.vcf"),
    ),
];

/// The first vCard of a file (the fixtures hold a second, smaller one).
fn first_card(text: &str) -> String {
    let end = text.find("END:VCARD").expect("a vCard") + "END:VCARD".len();
    format!("{}\r\n", &text[..end])
}

/// What a phone without `Supported` sends back for a contact it received: every element as it
/// came, the notes as `Type` and `Data` (MS-ASAIRS 2.2.2.9), one field edited.
fn edited_whole(received: &Element, tag: Tag, value: &str) -> Vec<Element> {
    received
        .elements()
        .map(|e| {
            if e.tag == tag {
                Element::text(tag, value)
            } else if e.tag == ab::BODY {
                Element::new(ab::BODY)
                    .with_text(ab::TYPE, e.child_text(ab::TYPE).unwrap_or_default())
                    .with_text(ab::DATA, e.child_text(ab::DATA).unwrap_or_default())
            } else {
                e.clone()
            }
        })
        .collect()
}

/// The properties a vCard carried that EAS has no slot for, as name and text (the labels that
/// name a phone's custom types are written back where they belong, not compared).
fn extras(contact: &eas_contacts_model::Contact) -> Vec<(String, String)> {
    contact
        .vcard
        .extra
        .iter()
        .filter(|p| p.name != "X-ABLABEL")
        .map(|p| (p.name.clone(), p.text_value()))
        .collect()
}

#[tokio::test]
async fn a_vcard_with_every_field_survives_import_a_phone_change_and_export_through_the_server() {
    use eas_contacts_model::vcard::{self, VCardVersion};
    use eas_contacts_model::{differing_fields, Field};

    let s = TestServer::start_with_contacts().await;
    let service = s.contacts.as_ref().unwrap();
    let mut checked = 0;
    for (file, text) in FULL_VCARDS {
        let original = vcard::import(text).unwrap().remove(0);
        assert_eq!(original.fields().count(), Field::ALL.len(), "{file}");
        assert!(original.email_addresses().len() > 3, "{file}");
        for v in VERSIONS {
            let d = phone(
                &s,
                &format!("rt{}{}", file.replace('.', ""), v.replace('.', "")),
                v,
            )
            .await;
            let id = contacts_folder(&d).await;
            let (k, _) = prime(&d, &id, None).await;
            let imported = service
                .import_vcards(USER, None, first_card(text).as_bytes())
                .await
                .unwrap();
            assert_eq!(imported.ids.len(), 1, "{file}");
            let r = d
                .post("Sync", Some(&sync_request(&id, &k, None, None)))
                .await;
            let k = collection(&r).child_text(a::SYNC_KEY).unwrap();
            let items = server_items(&r, a::ADD);
            assert_eq!(items.len(), 1, "{file} at {v}");
            let (server_id, received) = &items[0];

            let sent = edited_whole(received, c::MOBILE_PHONE_NUMBER, "+1 555 0999");
            let r = d
                .post(
                    "Sync",
                    Some(&sync_request(&id, &k, Some(change(server_id, sent)), None)),
                )
                .await;
            let status = collection(&r)
                .child(a::RESPONSES)
                .and_then(|x| x.child(a::CHANGE))
                .and_then(|x| x.child_text(a::STATUS));
            // A successful Change has no response of its own (MS-ASCMD 2.2.3.24.1).
            assert!(
                status.is_none() || status.as_deref() == Some("1"),
                "{status:?}"
            );
            assert_eq!(collection(&r).child_text(a::STATUS).as_deref(), Some("1"));

            let mut expected = original.clone();
            expected.mobile_phone_number = Some("+1 555 0999".into());
            for out in [VCardVersion::V3, VCardVersion::V4] {
                let (exported, n) = service
                    .export_vcards(USER, imported.folder_id, out)
                    .await
                    .unwrap();
                assert_eq!(n, 1);
                let back = vcard::import(&exported).unwrap().remove(0);
                assert_eq!(
                    differing_fields(&expected, &back),
                    Default::default(),
                    "{file} at {v}, exported as {out:?}:\n{exported}"
                );
                assert_eq!(back.email_addresses(), original.email_addresses(), "{file}");
                assert_eq!(
                    back.phone_numbers().len(),
                    original.phone_numbers().len(),
                    "{file}: the extra numbers stay"
                );
                assert_eq!(extras(&back), extras(&original), "{file} as {out:?}");
                checked += 1;
            }
            service
                .delete_contact(USER, imported.folder_id, imported.ids[0])
                .await
                .unwrap();
        }
    }
    assert_eq!(checked, 2 * 2 * 2);
}
