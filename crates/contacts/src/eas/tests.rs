//! Rendering, parsing and applying phone changes: versions, notes, pictures, ghosting.

use eas_protocol::body::{BodyPreference, BodyType};
use eas_protocol::status::SyncStatus;
use eas_protocol::ProtocolVersion::{self, V12_1, V14_1, V16_1, V2_5};
use eas_wbxml::tags::{air_sync_base as asb, calendar as cal, contacts as c, contacts2 as c2};
use eas_wbxml::Element;

use super::*;
use crate::contact::{Contact, Field, FieldKind, FieldSet, Notes, NotesFormat, Picture};
use crate::date::ContactDate;
use crate::vcard::Property;

fn jpeg(len: usize) -> Picture {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
    b.resize(len, 0x42);
    Picture(b)
}

/// A contact with a value in every field.
fn full() -> Contact {
    let mut c = Contact::default();
    for f in Field::ALL.iter().copied() {
        match f.kind() {
            FieldKind::Text => c.set_text(f, Some(format!("{f:?} value"))),
            FieldKind::Date => c.set_date(f, ContactDate::new(1980, 5, 17)),
            FieldKind::List => c.set_list(f, vec![format!("{f:?} one"), format!("{f:?} two")]),
            FieldKind::Picture => c.picture = Some(jpeg(100)),
            FieldKind::Body => c.notes = Some(Notes::plain("Notes about the contact.")),
        }
    }
    c
}

fn plain(truncation: Option<u32>, preview: Option<u8>) -> BodyPreference {
    BodyPreference {
        truncation_size: truncation,
        preview,
        ..BodyPreference::new(BodyType::PlainText)
    }
}

fn find(els: &[Element], tag: eas_wbxml::Tag) -> Option<&Element> {
    els.iter().find(|e| e.tag == tag)
}

/// What a phone sends back: everything it was given, as a Change.
fn echo(contact: &Contact, version: ProtocolVersion) -> Vec<Element> {
    render(contact, version, &[]).expect("renders")
}

#[test]
fn every_field_renders_at_every_supported_version() {
    let c = full();
    for v in [V12_1, V14_1, V16_1] {
        let els = render(&c, v, &[plain(None, None)]).expect("renders");
        for f in Field::ALL {
            assert!(find(&els, f.tag()).is_some(), "{f:?} missing at {v}");
        }
        assert_eq!(els.len(), Field::ALL.len());
        let bday = find(&els, c::BIRTHDAY).and_then(Element::text_content);
        assert_eq!(bday.as_deref(), Some("1980-05-17T00:00:00.000Z"));
        let cats = find(&els, c::CATEGORIES).expect("categories");
        assert_eq!(cats.children_of(c::CATEGORY).count(), 2);
        let kids = find(&els, c::CHILDREN).expect("children");
        assert_eq!(kids.children_of(c::CHILD).count(), 2);
        let pic = find(&els, c::PICTURE).and_then(Element::text_content);
        assert_eq!(pic, c.picture.as_ref().map(Picture::to_base64));
        assert!(find(&els, c2::NICK_NAME).is_some() && find(&els, c2::MMS).is_some());
    }
}

#[test]
fn what_a_version_renders_parses_back_to_the_same_contact() {
    let c = full();
    for v in [V12_1, V14_1, V16_1] {
        let change = parse(&echo(&c, v), v).expect("parses");
        assert_eq!(change.fields.len(), Field::ALL.len());
        let back = apply(&Contact::default(), &change, None);
        assert_eq!(
            crate::differing_fields(&c, &back),
            Default::default(),
            "at {v}"
        );
    }
}

#[test]
fn preview_only_from_14_0_and_alias_and_weighted_rank_never() {
    let c = full();
    let prefs = [plain(None, Some(5))];
    let preview = |v| {
        let els = render(&c, v, &prefs).expect("renders");
        find(&els, asb::BODY).and_then(|b| b.child_text(asb::PREVIEW))
    };
    assert_eq!(preview(V12_1), None);
    assert_eq!(preview(V14_1).as_deref(), Some("Notes"));
    assert_eq!(preview(V16_1).as_deref(), Some("Notes"));
    for v in [V12_1, V14_1, V16_1] {
        let els = render(&c, v, &prefs).expect("renders");
        assert!(find(&els, c::ALIAS).is_none() && find(&els, c::WEIGHTED_RANK).is_none());
    }
}

#[test]
fn protocol_2_5_is_refused_both_ways() {
    assert_eq!(render(&full(), V2_5, &[]), Err(UnsupportedVersion(V2_5)));
    let err = parse(&[], V2_5).expect_err("refused");
    assert_eq!(err.sync_status(), SyncStatus::ProtocolError);
}

#[test]
fn notes_are_truncated_on_a_character_boundary_with_the_full_size() {
    let c = Contact {
        notes: Some(Notes::plain("Café au lait")),
        ..Contact::default()
    };
    let els = render(&c, V14_1, &[plain(Some(4), None)]).expect("renders");
    let body = find(&els, asb::BODY).expect("body");
    assert_eq!(body.child_text(asb::DATA).as_deref(), Some("Caf"));
    assert_eq!(body.child_text(asb::TRUNCATED).as_deref(), Some("1"));
    assert_eq!(
        body.child_text(asb::ESTIMATED_DATA_SIZE).as_deref(),
        Some("13")
    );
    assert_eq!(body.child_text(asb::TYPE).as_deref(), Some("1"));
    // Without preferences: plain text, whole.
    let els = render(&c, V14_1, &[]).expect("renders");
    let body = find(&els, asb::BODY).expect("body");
    assert_eq!(body.child_text(asb::DATA).as_deref(), Some("Café au lait"));
}

#[test]
fn rtf_notes_go_only_to_clients_that_ask_for_rtf() {
    let c = Contact {
        notes: Some(Notes {
            format: NotesFormat::Rtf,
            text: "e1xydGYxfQ==".into(),
        }),
        ..Contact::default()
    };
    let els = render(&c, V14_1, &[plain(Some(3), None)]).expect("renders");
    assert!(find(&els, asb::BODY).is_none());
    let rtf = [BodyPreference::new(BodyType::Rtf)];
    let els = render(&c, V14_1, &rtf).expect("renders");
    let body = find(&els, asb::BODY).expect("body");
    assert_eq!(body.child_text(asb::TYPE).as_deref(), Some("3"));
    assert_eq!(body.child_text(asb::DATA).as_deref(), Some("e1xydGYxfQ=="));
}

#[test]
fn an_item_operations_schema_restricts_the_elements() {
    let schema: FieldSet = [Field::FileAs, Field::Email1Address].into_iter().collect();
    let opts = RenderOptions {
        schema: Some(&schema),
        ..RenderOptions::default()
    };
    let els = render_with(&full(), V14_1, &opts).expect("renders");
    let tags: Vec<_> = els.iter().map(|e| e.tag).collect();
    assert_eq!(tags, [c::EMAIL1_ADDRESS, c::FILE_AS]);
}

#[test]
fn a_picture_over_48_kb_of_base64_is_status_6_and_at_the_limit_is_taken() {
    // 36 864 bytes make exactly 49 152 characters of base64.
    let at_limit = jpeg(36_864);
    assert_eq!(base64_len(at_limit.0.len()), MAX_PICTURE_BASE64_LEN);
    let el = Element::text(c::PICTURE, at_limit.to_base64());
    let change = parse(&[el], V14_1).expect("at the limit");
    assert_eq!(
        change.get(Field::Picture),
        Some(&Incoming::Picture(at_limit))
    );

    let over = jpeg(36_865);
    let el = Element::text(c::PICTURE, over.to_base64());
    let err = parse(&[el], V14_1).expect_err("over the limit");
    assert_eq!(err, ParseError::PictureTooLarge { base64_len: 49_156 });
    assert_eq!(err.sync_status(), SyncStatus::ConversionError);
    assert_eq!(err.sync_status().code(), 6);

    let err = parse(&[Element::text(c::PICTURE, "not base64!")], V14_1).expect_err("bad");
    assert_eq!(err, ParseError::BadPicture);
    assert_eq!(err.sync_status().code(), 6);
}

#[test]
fn a_stored_picture_over_the_limit_is_not_sent_and_not_deleted_by_its_absence() {
    let mut c = full();
    c.picture = Some(jpeg(60_000));
    let els = render(&c, V14_1, &[]).expect("renders");
    assert!(find(&els, c::PICTURE).is_none());
    // The phone sends back what it has, without Supported: Picture absent.
    let change = parse(&els, V14_1).expect("parses");
    let after = apply(&c, &change, None);
    assert_eq!(after.picture, c.picture);
}

#[test]
fn malformed_values_are_refused_with_status_6() {
    let bad_date = parse(&[Element::text(c::BIRTHDAY, "17/05/1980")], V14_1).expect_err("bad");
    assert!(matches!(
        bad_date,
        ParseError::BadDate {
            field: Field::Birthday,
            ..
        }
    ));
    let mut cats = Element::new(c::CATEGORIES);
    for i in 0..301 {
        cats.push_text(c::CATEGORY, format!("c{i}"));
    }
    let err = parse(&[cats], V14_1).expect_err("too many");
    assert_eq!(
        err,
        ParseError::TooManyValues {
            field: Field::Categories,
            count: 301
        }
    );
    let mime_body = Element::new(asb::BODY)
        .with_text(asb::TYPE, "4")
        .with_text(asb::DATA, "x");
    assert_eq!(
        parse(&[mime_body], V14_1),
        Err(ParseError::BadBodyType("4".into()))
    );
    for e in [bad_date, err] {
        assert_eq!(e.sync_status().code(), 6);
    }
}

#[test]
fn other_classes_alias_and_duplicates_are_skipped() {
    let els = [
        Element::text(cal::SUBJECT, "not a contact"),
        Element::text(c::ALIAS, "jdoe"),
        Element::text(c::FIRST_NAME, "Jane"),
        Element::text(c::FIRST_NAME, "Second"),
        Element::new(asb::BODY)
            .with_text(asb::TYPE, "2")
            .with_text(asb::DATA, "<b>hi</b>"),
    ];
    let change = parse(&els, V16_1).expect("parses");
    assert_eq!(change.fields.len(), 2);
    assert_eq!(
        change.get(Field::FirstName),
        Some(&Incoming::Text("Jane".into()))
    );
    assert_eq!(
        change.get(Field::Body),
        Some(&Incoming::Notes(Notes {
            format: NotesFormat::Html,
            text: "<b>hi</b>".into()
        }))
    );
}

#[test]
fn supported_lists_round_trip_and_skip_calendar_elements() {
    let els = [
        Element::new(c::BIRTHDAY),
        Element::new(c2::NICK_NAME),
        Element::new(cal::DT_STAMP),
        Element::new(c::PICTURE),
    ];
    let set = FieldSet::from_elements(&els);
    assert_eq!(
        set.iter().collect::<Vec<_>>(),
        [Field::NickName, Field::Birthday, Field::Picture]
    );
    assert_eq!(FieldSet::from_elements(&set.to_elements()), set);
}

/// A phone change of the mobile number only, as a client with `Supported` sends it.
fn mobile_only(number: &str) -> ContactChange {
    parse(&[Element::text(c::MOBILE_PHONE_NUMBER, number)], V14_1).expect("parses")
}

#[test]
fn without_supported_an_omitted_field_is_deleted_but_the_notes_stay() {
    let stored = full();
    let after = apply(&stored, &mobile_only("+1 555 0199"), None);
    assert_eq!(after.mobile_phone_number.as_deref(), Some("+1 555 0199"));
    // MS-ASCMD 2.2.3.179 (R5906, R5912): nothing ghosted, omitted means deleted...
    assert_eq!(after.first_name, None);
    assert_eq!(after.birthday, None);
    assert!(after.categories.is_empty());
    assert_eq!(after.picture, None);
    // ...but MS-ASCNTC 3.1.5.4 (R461): no Body, notes kept.
    assert_eq!(after.notes, stored.notes);
}

#[test]
fn without_supported_a_caller_may_keep_what_is_left_out() {
    let stored = full();
    let opts = ApplyOptions {
        without_supported: WithoutSupported::KeepOmitted,
        ..ApplyOptions::default()
    };
    let after = apply_with(&stored, &mobile_only("+1 555 0199"), None, &opts);
    let mut expected = stored.clone();
    expected.mobile_phone_number = Some("+1 555 0199".into());
    assert_eq!(after, expected);
    // An empty element still clears.
    let clear = parse(&[Element::new(c::SPOUSE)], V14_1).expect("parses");
    assert_eq!(apply_with(&stored, &clear, None, &opts).spouse, None);
    // A Supported list rules over the option.
    let only_mobile: FieldSet = [Field::MobilePhoneNumber, Field::Spouse]
        .into_iter()
        .collect();
    let after = apply_with(&stored, &mobile_only("+1"), Some(&only_mobile), &opts);
    assert_eq!(after.spouse, None);
    assert_eq!(after.first_name, stored.first_name);
}

#[test]
fn with_supported_a_ghosted_field_left_out_is_kept() {
    let stored = full();
    let supported: FieldSet = [Field::MobilePhoneNumber, Field::Email1Address]
        .into_iter()
        .collect();
    let after = apply(&stored, &mobile_only("+1 555 0199"), Some(&supported));
    assert_eq!(after.mobile_phone_number.as_deref(), Some("+1 555 0199"));
    // Email1Address is not ghosted and was left out: deleted (R5912).
    assert_eq!(after.email1_address, None);
    // Everything else is ghosted: kept, the birthday on its day (R5911).
    let mut expected = stored.clone();
    expected.mobile_phone_number = Some("+1 555 0199".into());
    expected.email1_address = None;
    assert_eq!(after, expected);
}

#[test]
fn an_empty_supported_ghosts_everything() {
    let stored = full();
    let after = apply(
        &stored,
        &mobile_only("+1 555 0199"),
        Some(&FieldSet::default()),
    );
    let mut expected = stored;
    expected.mobile_phone_number = Some("+1 555 0199".into());
    assert_eq!(after, expected);
}

#[test]
fn an_empty_element_clears_the_field() {
    let stored = full();
    let els = [
        Element::new(c::FIRST_NAME),
        Element::new(c::BIRTHDAY),
        Element::new(c::CATEGORIES),
        Element::new(asb::BODY).with_text(asb::TYPE, "1"),
    ];
    let change = parse(&els, V14_1).expect("parses");
    let after = apply(&stored, &change, Some(&FieldSet::default()));
    assert_eq!(after.first_name, None);
    assert_eq!(after.birthday, None);
    assert!(after.categories.is_empty());
    assert_eq!(after.notes, None);
    assert_eq!(after.last_name, stored.last_name);
}

#[test]
fn editing_one_phone_number_never_moves_or_erases_the_birthday() {
    let stored = full();
    // An iPhone in New Zealand summer time (UTC+13) sends the whole contact back, its birthday
    // as local midnight: 11:00Z the day before.
    let mut els = echo(&stored, V16_1);
    for e in els.iter_mut() {
        if e.tag == c::BIRTHDAY {
            *e = Element::text(c::BIRTHDAY, "1980-05-16T11:00:00.000Z");
        }
        if e.tag == c::MOBILE_PHONE_NUMBER {
            *e = Element::text(c::MOBILE_PHONE_NUMBER, "+64 21 000");
        }
    }
    let change = parse(&els, V16_1).expect("parses");
    for supported in [None, Some(FieldSet::default())] {
        let after = apply(&stored, &change, supported.as_ref());
        assert_eq!(after.birthday, stored.birthday);
        assert_eq!(after.mobile_phone_number.as_deref(), Some("+64 21 000"));
    }
}

#[test]
fn ios_empty_picture_keeps_the_photo_unless_told_otherwise() {
    let stored = full();
    let change = parse(&[Element::new(c::PICTURE)], V14_1).expect("parses");
    assert_eq!(change.get(Field::Picture), Some(&Incoming::Empty));
    let all: FieldSet = Field::ALL.iter().copied().collect();
    let kept = apply(&stored, &change, Some(&FieldSet::default()));
    assert_eq!(kept.picture, stored.picture);
    let opts = ApplyOptions {
        empty_picture: EmptyPicture::Delete,
        ..ApplyOptions::default()
    };
    let deleted = apply_with(&stored, &change, Some(&FieldSet::default()), &opts);
    assert_eq!(deleted.picture, None);
    // A phone that manages Picture removes the photo by leaving it out.
    let removed = apply(&stored, &mobile_only("+1"), Some(&all));
    assert_eq!(removed.picture, None);
}

#[test]
fn a_new_picture_replaces_the_old_one() {
    let stored = full();
    let new = jpeg(50);
    let change = parse(&[Element::text(c::PICTURE, new.to_base64())], V14_1).expect("parses");
    let after = apply(&stored, &change, Some(&FieldSet::default()));
    assert_eq!(after.picture, Some(new));
}

#[test]
fn values_only_a_vcard_carried_survive_a_phone_edit() {
    let mut stored = full();
    stored
        .vcard
        .extra
        .push(Property::text("EMAIL", "fourth@example.com"));
    stored
        .vcard
        .extra
        .push(Property::text("TEL", "+1 555 0104"));
    let after = apply(&stored, &mobile_only("+1"), None);
    assert_eq!(after.vcard.extra, stored.vcard.extra);
    assert!(after
        .email_addresses()
        .contains(&"fourth@example.com".to_string()));
}

#[test]
fn echoed_truncated_notes_do_not_cut_the_stored_notes() {
    let mut stored = full();
    stored.notes = Some(Notes::plain(
        "A long note that the phone only saw the start of.",
    ));
    let els = render(&stored, V14_1, &[plain(Some(6), None)]).expect("renders");
    let sent = find(&els, asb::BODY).and_then(|b| b.child_text(asb::DATA));
    assert_eq!(sent.as_deref(), Some("A long"));
    let change = parse(&els, V14_1).expect("parses");
    let opts = ApplyOptions {
        notes_truncated_at: Some(6),
        ..ApplyOptions::default()
    };
    let after = apply_with(&stored, &change, None, &opts);
    assert_eq!(after.notes, stored.notes);
    // An edit of the notes is taken.
    let edit = parse(
        &[Element::new(asb::BODY)
            .with_text(asb::TYPE, "1")
            .with_text(asb::DATA, "A longer story")],
        V14_1,
    )
    .expect("parses");
    let after = apply_with(&stored, &edit, None, &opts);
    assert_eq!(after.notes, Some(Notes::plain("A longer story")));
}

#[test]
fn an_add_makes_a_contact_of_exactly_what_was_sent() {
    let change = parse(
        &[
            Element::text(c::FIRST_NAME, "Jane"),
            Element::text(c::BIRTHDAY, "1980-05-16T22:00:00.000Z"),
        ],
        V14_1,
    )
    .expect("parses");
    let c = create(&change);
    assert_eq!(
        c.fields().collect::<Vec<_>>(),
        [Field::FirstName, Field::Birthday]
    );
    assert_eq!(c.birthday, ContactDate::new(1980, 5, 17));
}
