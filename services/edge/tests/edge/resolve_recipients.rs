//! ResolveRecipients against the directory: an address, an alias, a name prefix that is
//! ambiguous (cut by MaxAmbiguousRecipients), an unknown name, another domain's user, the
//! certificate, picture and availability parts by protocol version, and a malformed request.

use eas_directory::NewUser;
use eas_protocol::picture::{Picture, PictureTags};
use eas_wbxml::tags::resolve_recipients as r;
use eas_wbxml::Element;

use crate::common::*;

fn request(to: &[&str], options: Option<Element>) -> Element {
    let mut root = Element::new(r::RESOLVE_RECIPIENTS);
    for t in to {
        root.push_text(r::TO, *t);
    }
    root.with_opt(options)
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

/// The `Response` elements of a reply, with the top status checked.
fn responses(reply: &Reply) -> Vec<Element> {
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(&[r::STATUS]).as_deref(), Some("1"));
    reply
        .body
        .as_ref()
        .map(|b| b.children_of(r::RESPONSE).cloned().collect())
        .unwrap_or_default()
}

fn recipients(resp: &Element) -> Vec<(String, String)> {
    resp.children_of(r::RECIPIENT)
        .map(|rc| {
            (
                rc.child_text(r::DISPLAY_NAME).unwrap_or_default(),
                rc.child_text(r::EMAIL_ADDRESS).unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn names_resolve_against_the_directory_of_the_users_domain() {
    let s = TestServer::start().await;
    add_user(&s, "asmith@example.loc", "Anna Smith").await;
    add_user(&s, "ajones@example.loc", "Andy Jones").await;
    add_user(&s, "alee@example.loc", "Anne Lee").await;
    s.edge
        .directory
        .add_alias("asmith@example.loc", "anna@example.loc")
        .await
        .unwrap();
    s.edge
        .directory
        .create_domain("other.loc", None)
        .await
        .unwrap();
    add_user(&s, "anders@other.loc", "Anders Other").await;
    for v in ["12.1", "14.1", "16.1"] {
        let mut d = s.device(&format!("rr{}", v.replace('.', "")), v);
        d.provision().await;
        let options = Element::new(r::OPTIONS).with_text(r::MAX_AMBIGUOUS_RECIPIENTS, "2");
        let reply = d
            .post(
                "ResolveRecipients",
                Some(&request(
                    &[
                        "asmith@example.loc",
                        "Anna <ANNA@example.loc>",
                        "smi",
                        "an",
                        "nobody",
                        "anders@other.loc",
                    ],
                    Some(options),
                )),
            )
            .await;
        assert_xsd_valid("ResolveRecipients", &reply);
        let rs = responses(&reply);
        assert_eq!(rs.len(), 6, "{v}");
        let status = |i: usize| rs[i].child_text(r::STATUS);
        let count = |i: usize| rs[i].child_text(r::RECIPIENT_COUNT);
        let anna = vec![("Anna Smith".to_owned(), "asmith@example.loc".to_owned())];
        // The address, and the alias inside angle brackets, resolve to Anna (status 1).
        assert_eq!(
            rs[0].child_text(r::TO).as_deref(),
            Some("asmith@example.loc")
        );
        assert_eq!(
            (status(0).as_deref(), recipients(&rs[0])),
            (Some("1"), anna.clone())
        );
        assert_eq!(
            (status(1).as_deref(), recipients(&rs[1])),
            (Some("1"), anna.clone())
        );
        assert_eq!(count(1).as_deref(), Some("1"));
        // A last-name prefix with one match resolves too.
        assert_eq!(
            (status(2).as_deref(), recipients(&rs[2])),
            (Some("1"), anna)
        );
        let gal_type = rs[2]
            .child(r::RECIPIENT)
            .and_then(|x| x.child_text(r::TYPE));
        assert_eq!(gal_type.as_deref(), Some("1"));
        // Three users start with "an" in example.loc; two are listed (status 3, count 3).
        assert_eq!(status(3).as_deref(), Some("3"), "{v}");
        assert_eq!(count(3).as_deref(), Some("3"));
        assert_eq!(recipients(&rs[3]).len(), 2);
        // Nobody, and a user of another domain: not resolved (status 4, no recipients).
        for i in [4, 5] {
            assert_eq!(status(i).as_deref(), Some("4"), "{v} {i}");
            assert!(count(i).is_none());
            assert!(recipients(&rs[i]).is_empty());
        }
    }
}

#[tokio::test]
async fn certificates_pictures_and_availability_follow_the_protocol_version() {
    let s = TestServer::start().await;
    add_user(&s, "asmith@example.loc", "Anna Smith").await;
    let options = || {
        Element::new(r::OPTIONS)
            .with_text(r::CERTIFICATE_RETRIEVAL, "2")
            .with(
                Element::new(r::AVAILABILITY)
                    .with_text(r::START_TIME, "2026-12-07T08:00:00.000Z")
                    .with_text(r::END_TIME, "2026-12-07T18:00:00.000Z"),
            )
            .with(
                Element::new(r::PICTURE)
                    .with_text(r::MAX_SIZE, "10000")
                    .with_text(r::MAX_PICTURES, "1"),
            )
    };
    for (v, availability, picture) in [
        ("12.1", false, false),
        ("14.0", true, false),
        ("14.1", true, true),
        ("16.1", true, true),
    ] {
        let mut d = s.device(&format!("rc{}", v.replace('.', "")), v);
        d.provision().await;
        let reply = d
            .post(
                "ResolveRecipients",
                Some(&request(&["asmith@example.loc"], Some(options()))),
            )
            .await;
        assert_xsd_valid("ResolveRecipients", &reply);
        let rs = responses(&reply);
        let rc = rs[0]
            .child(r::RECIPIENT)
            .cloned()
            .unwrap_or_else(|| Element::new(r::RECIPIENT));
        // No certificate is stored: status 7 (MS-ASCMD 2.2.3.177.11).
        let certs = rc.child(r::CERTIFICATES);
        assert_eq!(
            certs.and_then(|c| c.child_text(r::STATUS)).as_deref(),
            Some("7")
        );
        // Free/busy cannot be read yet: 163; not at all before 14.0.
        let av = rc
            .child(r::AVAILABILITY)
            .and_then(|a| a.child_text(r::STATUS));
        assert_eq!(av.as_deref(), availability.then_some("163"), "{v}");
        // No photo: 173; not before 14.1.
        let pic = rc.child(r::PICTURE).and_then(|p| p.child_text(r::STATUS));
        assert_eq!(pic.as_deref(), picture.then_some("173"), "{v}");
    }
}

/// `len` bytes that start like a PNG.
fn png(len: usize) -> Vec<u8> {
    let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
    data.resize(len, 0x5A);
    data
}

/// (EmailAddress, Picture) of each recipient of a response.
fn pictures(resp: &Element) -> Vec<(String, Option<Picture>)> {
    resp.children_of(r::RECIPIENT)
        .map(|rc| {
            let picture = rc
                .child(r::PICTURE)
                .map(|p| Picture::from_element(p, PictureTags::RESOLVE_RECIPIENTS).unwrap());
            (rc.child_text(r::EMAIL_ADDRESS).unwrap_or_default(), picture)
        })
        .collect()
}

#[tokio::test]
async fn directory_photos_are_sent_under_max_size_and_max_pictures_per_name() {
    let s = TestServer::start().await;
    add_user(&s, "asmith@example.loc", "Anna Smith").await;
    add_user(&s, "ajones@example.loc", "Andy Jones").await;
    add_user(&s, "alee@example.loc", "Anne Lee").await;
    add_user(&s, "aray@example.loc", "Annie Ray").await;
    let anna = png(4000);
    let dir = &s.edge.directory;
    dir.set_photo("asmith@example.loc", anna.clone())
        .await
        .unwrap();
    dir.set_photo("ajones@example.loc", png(50_000))
        .await
        .unwrap();
    dir.set_photo("aray@example.loc", png(100)).await.unwrap();
    let options = Element::new(r::OPTIONS)
        .with_text(r::MAX_AMBIGUOUS_RECIPIENTS, "10")
        .with(
            Element::new(r::PICTURE)
                .with_text(r::MAX_SIZE, "10000")
                .with_text(r::MAX_PICTURES, "1"),
        );
    for v in ["14.1", "16.1"] {
        let mut d = s.device(&format!("rp{}", v.replace('.', "")), v);
        d.provision().await;
        let reply = d
            .post(
                "ResolveRecipients",
                Some(&request(
                    &["asmith@example.loc", "an"],
                    Some(options.clone()),
                )),
            )
            .await;
        let rs = responses(&reply);
        assert_eq!(
            pictures(&rs[0]),
            [(
                "asmith@example.loc".to_owned(),
                Some(Picture::Data(anna.clone()))
            )],
            "{v}"
        );
        // MaxPictures counts per name: Anna's photo goes out again for "an". Andy's is over
        // MaxSize (174), Anne has none (173), Annie's comes after the limit (175).
        let statuses: Vec<_> = pictures(&rs[1])
            .into_iter()
            .map(|(address, p)| (address, p.map(|p| p.status())))
            .collect();
        assert_eq!(
            statuses,
            [
                ("ajones@example.loc".to_owned(), Some(174)),
                ("asmith@example.loc".to_owned(), Some(1)),
                ("alee@example.loc".to_owned(), Some(173)),
                ("aray@example.loc".to_owned(), Some(175)),
            ],
            "{v}"
        );
    }
    // Without the Picture option, no Picture.
    let mut d = s.device("rpnone", "16.1");
    d.provision().await;
    let reply = d
        .post(
            "ResolveRecipients",
            Some(&request(&["asmith@example.loc"], None)),
        )
        .await;
    assert_eq!(
        pictures(&responses(&reply)[0]),
        [("asmith@example.loc".to_owned(), None)]
    );
}

#[tokio::test]
async fn a_malformed_request_gets_status_5() {
    let s = TestServer::start().await;
    let mut d = s.device("rrbad", "14.1");
    d.provision().await;
    for bad in [
        Element::new(r::RESOLVE_RECIPIENTS),
        request(
            &["a"],
            Some(Element::new(r::OPTIONS).with_text(r::MAX_AMBIGUOUS_RECIPIENTS, "x")),
        ),
    ] {
        let reply = d.post("ResolveRecipients", Some(&bad)).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(&[r::STATUS]).as_deref(), Some("5"));
        assert_xsd_valid("ResolveRecipients", &reply);
    }
}
