//! ResolveRecipients against the directory: an address, an alias, a name prefix that is
//! ambiguous (cut by MaxAmbiguousRecipients), an unknown name, another domain's user, the
//! certificate, picture and availability parts by protocol version, free/busy read from the
//! calendar service (MergedFreeBusy, the window's limits, the recipients' limit), and a
//! malformed request.

use chrono::{NaiveDate, TimeZone, Utc};
use eas_calendar_model::{
    stored, BusyStatus, DaySet, Event, Exception, Moment, Override, Pattern, Recurrence, When,
};
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
        // This edge has no calendar service, so free/busy cannot be read: 163; not at all
        // before 14.0.
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

/// 7 December 2026 at `h:m` UTC.
fn dec7(h: u32, m: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0).unwrap()
}

fn timed(start: chrono::DateTime<Utc>, end: chrono::DateTime<Utc>, status: BusyStatus) -> Event {
    let mut e = Event::new(When::timed(start, end).unwrap());
    e.busy_status = Some(status);
    e
}

/// Adds an event to the user's default Calendar through the calendar service.
async fn add_event(s: &TestServer, user: &str, e: &Event) {
    let calendar = s.calendar.as_ref().unwrap();
    let folder = calendar.default_folder(user).await.unwrap();
    calendar
        .create_event(user, folder, &stored::to_json(e), "")
        .await
        .unwrap();
}

fn availability(start: &str, end: &str) -> Element {
    Element::new(r::OPTIONS).with(
        Element::new(r::AVAILABILITY)
            .with_text(r::START_TIME, start)
            .with_text(r::END_TIME, end),
    )
}

/// (Type, EmailAddress, Availability Status, MergedFreeBusy) of each recipient of a response.
fn free_busy(resp: &Element) -> Vec<(String, String, Option<String>, Option<String>)> {
    resp.children_of(r::RECIPIENT)
        .map(|rc| {
            let av = rc.child(r::AVAILABILITY);
            (
                rc.child_text(r::TYPE).unwrap_or_default(),
                rc.child_text(r::EMAIL_ADDRESS).unwrap_or_default(),
                av.and_then(|a| a.child_text(r::STATUS)),
                av.and_then(|a| a.child_text(r::MERGED_FREE_BUSY)),
            )
        })
        .collect()
}

fn row(
    kind: &str,
    email: &str,
    status: &str,
    merged: Option<&str>,
) -> (String, String, Option<String>, Option<String>) {
    (
        kind.into(),
        email.into(),
        Some(status.into()),
        merged.map(Into::into),
    )
}

#[tokio::test]
async fn free_busy_is_merged_from_the_recipients_own_calendars() {
    let s = TestServer::start_with_calendar().await;
    add_user(&s, "asmith@example.loc", "Anna Smith").await;
    let anna = "asmith@example.loc";
    // Anna's 7 December, 08:00 to 12:00 UTC: busy 09:00-10:00, tentative 10:15-10:45, out of
    // office 10:40-10:50, a free lunch at 11:30, and a weekly Monday stand-up at 11:00 whose
    // occurrence that day moved to 08:00-08:20 and became tentative, the next one deleted.
    add_event(&s, anna, &timed(dec7(9, 0), dec7(10, 0), BusyStatus::Busy)).await;
    add_event(
        &s,
        anna,
        &timed(dec7(10, 15), dec7(10, 45), BusyStatus::Tentative),
    )
    .await;
    add_event(
        &s,
        anna,
        &timed(dec7(10, 40), dec7(10, 50), BusyStatus::OutOfOffice),
    )
    .await;
    add_event(
        &s,
        anna,
        &timed(dec7(11, 30), dec7(12, 0), BusyStatus::Free),
    )
    .await;
    let mut standup = timed(dec7(11, 0), dec7(11, 15), BusyStatus::Busy);
    standup.recurrence = Some(Recurrence::new(Pattern::Weekly {
        days: DaySet::of(chrono::Weekday::Mon),
    }));
    standup.exceptions.insert(
        Moment::At(dec7(11, 0)),
        Exception {
            when: Some(When::timed(dec7(8, 0), dec7(8, 20)).unwrap()),
            busy_status: Override::Set(BusyStatus::Tentative),
            ..Exception::default()
        },
    );
    let next_monday = Utc.with_ymd_and_hms(2026, 12, 14, 11, 0, 0).unwrap();
    standup
        .exceptions
        .insert(Moment::At(next_monday), Exception::deleted());
    add_event(&s, anna, &standup).await;
    // An all-day event on the 6th ends when the 7th starts in UTC (in the last time zone it
    // would run to 12:00): no part of the window.
    let sunday = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
    add_event(&s, anna, &Event::new(When::all_day_for(sunday, 1))).await;
    // John's calendar, shared with Anna, is John's time, not hers.
    add_event(
        &s,
        USER,
        &timed(dec7(11, 0), dec7(11, 30), BusyStatus::Busy),
    )
    .await;
    let calendar = s.calendar.as_ref().unwrap();
    let johns = calendar.default_folder(USER).await.unwrap();
    calendar
        .grant_share(USER, johns, anna, eas_calendar::Access::ReadWrite)
        .await
        .unwrap();
    // A contact of John's, outside the directory.
    s.contacts
        .as_ref()
        .unwrap()
        .import_vcards(USER, None, b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEMAIL:ada@example.org\r\nEND:VCARD\r\n")
        .await
        .unwrap();

    for v in ["14.1", "16.1"] {
        let mut d = s.device(&format!("fb{}", v.replace('.', "")), v);
        d.provision().await;
        let reply = d
            .post(
                "ResolveRecipients",
                Some(&request(
                    &[anna, USER, "ada@example.org", "nobody"],
                    Some(availability(
                        "2026-12-07T08:00:00.000Z",
                        "2026-12-07T12:00:00.000Z",
                    )),
                )),
            )
            .await;
        assert_xsd_valid("ResolveRecipients", &reply);
        let rs = responses(&reply);
        // Eight half hours: tentative (the moved stand-up), free, busy, busy, tentative,
        // out of office (over the tentative), free, free (the lunch is free).
        assert_eq!(
            free_busy(&rs[0]),
            [row("1", anna, "1", Some("10221300"))],
            "{v}"
        );
        assert_eq!(
            free_busy(&rs[1]),
            [row("1", USER, "1", Some("00000020"))],
            "{v}"
        );
        // A contact's calendar is not here: 163.
        assert_eq!(
            free_busy(&rs[2]),
            [row("2", "ada@example.org", "163", None)],
            "{v}"
        );
        // An unresolved name has no recipient to carry an Availability.
        assert_eq!(rs[3].child_text(r::STATUS).as_deref(), Some("4"));
        assert!(free_busy(&rs[3]).is_empty());

        // R3330, R3332: a window starting at 10:44:59 makes the out-of-office minutes the first
        // digit's, and the last digit stands for the 15 seconds left.
        let reply = d
            .post(
                "ResolveRecipients",
                Some(&request(
                    &[anna],
                    Some(availability(
                        "2026-12-07T10:44:59.000Z",
                        "2026-12-07T11:45:14.000Z",
                    )),
                )),
            )
            .await;
        assert_xsd_valid("ResolveRecipients", &reply);
        assert_eq!(
            free_busy(&responses(&reply)[0]),
            [row("1", anna, "1", Some("300"))],
            "{v}"
        );
    }
}

#[tokio::test]
async fn the_free_busy_window_must_be_half_an_hour_to_42_days() {
    let s = TestServer::start_with_calendar().await;
    add_user(&s, "asmith@example.loc", "Anna Smith").await;
    let mut d = s.device("fbwin", "16.1");
    d.provision().await;
    // R2266: shorter than 30 minutes, ending before the start, or longer than 42 days: status 5.
    for (start, end) in [
        ("2026-12-07T08:00:00.000Z", "2026-12-07T08:29:59.000Z"),
        ("2026-12-07T08:00:00.000Z", "2026-12-07T07:00:00.000Z"),
        ("2026-12-07T08:00:00.000Z", "2027-01-18T08:00:01.000Z"),
    ] {
        let reply = d
            .post(
                "ResolveRecipients",
                Some(&request(
                    &["asmith@example.loc"],
                    Some(availability(start, end)),
                )),
            )
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.text(&[r::STATUS]).as_deref(),
            Some("5"),
            "{start} {end}"
        );
        assert_xsd_valid("ResolveRecipients", &reply);
    }
    // R2265: without EndTime, the seven days after StartTime (336 digits).
    let open = Element::new(r::OPTIONS)
        .with(Element::new(r::AVAILABILITY).with_text(r::START_TIME, "2026-12-07T08:00:00.000Z"));
    let reply = d
        .post(
            "ResolveRecipients",
            Some(&request(&["asmith@example.loc"], Some(open))),
        )
        .await;
    assert_xsd_valid("ResolveRecipients", &reply);
    let merged = free_busy(&responses(&reply)[0])[0]
        .3
        .clone()
        .unwrap_or_default();
    assert_eq!(merged, "0".repeat(7 * 48));
    // 30 minutes is one digit, 42 days 2016.
    for (end, digits) in [
        ("2026-12-07T08:30:00.000Z", 1),
        ("2027-01-18T08:00:00.000Z", 42 * 48),
    ] {
        let reply = d
            .post(
                "ResolveRecipients",
                Some(&request(
                    &["asmith@example.loc"],
                    Some(availability("2026-12-07T08:00:00.000Z", end)),
                )),
            )
            .await;
        assert_xsd_valid("ResolveRecipients", &reply);
        let merged = free_busy(&responses(&reply)[0])[0]
            .3
            .clone()
            .unwrap_or_default();
        assert_eq!(merged, "0".repeat(digits));
    }
}

#[tokio::test]
async fn free_busy_is_read_for_at_most_100_recipients_per_request() {
    let s = TestServer::start_with_calendar().await;
    let mut names = Vec::new();
    for i in 0..101 {
        let address = format!("user{i:03}@example.loc");
        add_user(&s, &address, &format!("User {i:03}")).await;
        names.push(address);
    }
    add_event(
        &s,
        "user100@example.loc",
        &timed(dec7(8, 0), dec7(9, 0), BusyStatus::Busy),
    )
    .await;
    let mut d = s.device("fblimit", "14.1");
    d.provision().await;
    // The same user twice is read once, and counts once.
    let mut to: Vec<&str> = names.iter().map(String::as_str).collect();
    to.insert(1, "user000@example.loc");
    let reply = d
        .post(
            "ResolveRecipients",
            Some(&request(
                &to,
                Some(availability(
                    "2026-12-07T08:00:00.000Z",
                    "2026-12-07T09:00:00.000Z",
                )),
            )),
        )
        .await;
    assert_xsd_valid("ResolveRecipients", &reply);
    let rs = responses(&reply);
    assert_eq!(rs.len(), 102);
    let statuses: Vec<_> = rs
        .iter()
        .map(|resp| free_busy(resp)[0].2.clone().unwrap_or_default())
        .collect();
    assert!(statuses[..101].iter().all(|st| st == "1"), "{statuses:?}");
    // The 101st user is past the limit: not read (their busy hour is not answered), status 160
    // (MS-ASCMD 2.2.3.177.11).
    assert_eq!(
        free_busy(&rs[101]),
        [row("1", "user100@example.loc", "160", None)]
    );
}
