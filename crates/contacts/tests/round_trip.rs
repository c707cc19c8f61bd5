//! The whole way a contact travels: a vCard 3.0 or 4.0 file with every field (and more e-mail
//! addresses and phone numbers than EAS carries) → `Contact` → EAS `ApplicationData` at 12.1,
//! 14.1 and 16.1 → a phone's `Change` of one field (without `Supported`, with a phone's
//! `Supported` list, with everything ghosted) → apply → vCard 3.0 and 4.0 → `Contact`, compared
//! field by field; and the rendered data validated against Microsoft's Sync response schema.

#[path = "../../protocol/tests/protocol/xsd/mod.rs"]
mod xsd;

use eas_contacts_model::eas::{self, apply, parse, render};
use eas_contacts_model::vcard::{self, VCardVersion};
use eas_contacts_model::{differing_fields, Contact, ContactDate, Field, FieldSet};
use eas_protocol::body::{BodyPreference, BodyType};
use eas_protocol::sync::{ServerCommand, SyncCollectionResponse, SyncResponse};
use eas_protocol::ProtocolVersion::{self, V12_1, V14_1, V16_1};
use eas_wbxml::tags::contacts as c;
use eas_wbxml::Element;

const FILES: [(&str, &str); 2] = [
    ("full-3.0.vcf", include_str!("fixtures/full-3.0.vcf")),
    ("full-4.0.vcf", include_str!("fixtures/full-4.0.vcf")),
];

const VERSIONS: [ProtocolVersion; 3] = [V12_1, V14_1, V16_1];

/// The first contact of a fixture.
fn imported(text: &str) -> Contact {
    vcard::import(text).expect("fixture imports").remove(0)
}

/// How a phone sends a change.
#[derive(Clone, Debug)]
enum Phone {
    /// No `Supported` (stock Android): the whole contact, as it was received, one field edited,
    /// the birthday in its own form.
    Whole,
    /// A `Supported` list naming what the phone manages (iOS): those fields, one edited; the
    /// others are ghosted.
    Manages(FieldSet),
    /// An empty `Supported`: everything ghosted, only the edited field sent.
    GhostsAll,
}

impl Phone {
    fn supported(&self) -> Option<FieldSet> {
        match self {
            Phone::Whole => None,
            Phone::Manages(set) => Some(set.clone()),
            Phone::GhostsAll => Some(FieldSet::default()),
        }
    }
}

/// What iOS manages: everything but the Yomi names and the Contacts2 identifiers.
fn ios_like() -> FieldSet {
    Field::ALL
        .iter()
        .copied()
        .filter(|f| {
            !matches!(
                f,
                Field::YomiFirstName
                    | Field::YomiLastName
                    | Field::YomiCompanyName
                    | Field::CustomerId
                    | Field::GovernmentId
                    | Field::AccountName
                    | Field::Mms
            )
        })
        .collect()
}

/// The phone's `ApplicationData` for an edit of `field` to `value`, from what it received.
fn change_from(received: &[Element], phone: &Phone, field: Field, value: &str) -> Vec<Element> {
    let edited = Element::text(field.tag(), value);
    let mut sent: Vec<Element> = match phone {
        Phone::GhostsAll => return vec![edited],
        Phone::Whole => received.to_vec(),
        Phone::Manages(set) => received
            .iter()
            .filter(|e| Field::from_tag(e.tag).is_some_and(|f| set.contains(f)))
            .cloned()
            .collect(),
    };
    for e in sent.iter_mut() {
        if e.tag == field.tag() {
            *e = edited.clone();
        }
        // The phone writes the unchanged birthday its own way: iOS in UTC+2.
        if e.tag == c::BIRTHDAY {
            *e = Element::text(c::BIRTHDAY, "1980-05-16T22:00:00.000Z");
        }
    }
    sent
}

/// The extra (non-EAS) values, as name and text, in order.
fn extras(contact: &Contact) -> Vec<(String, String)> {
    contact
        .vcard
        .extra
        .iter()
        .filter(|p| p.name != "X-ABLABEL")
        .map(|p| (p.name.clone(), p.text_value()))
        .collect()
}

#[test]
fn vcard_to_phone_and_back_keeps_every_field() {
    let phones = [Phone::Whole, Phone::Manages(ios_like()), Phone::GhostsAll];
    let mut checked = 0;
    for (name, text) in FILES {
        let original = imported(text);
        assert_eq!(
            original.fields().count(),
            Field::ALL.len(),
            "{name}: every EAS field is filled"
        );
        assert!(
            original.email_addresses().len() > 3,
            "{name}: more e-mails than EAS carries"
        );
        for version in VERSIONS {
            let received = render(&original, version, &[]).expect("renders");
            for phone in &phones {
                let sent = change_from(&received, phone, Field::MobilePhoneNumber, "+1 555 0999");
                let change = parse(&sent, version).expect("phone change parses");
                let supported = phone.supported();
                let stored = apply(&original, &change, supported.as_ref());

                let mut expected = original.clone();
                expected.mobile_phone_number = Some("+1 555 0999".into());
                assert_eq!(
                    differing_fields(&expected, &stored),
                    Default::default(),
                    "{name} at {version} with {phone:?}"
                );
                assert_eq!(stored.birthday, ContactDate::new(1980, 5, 17));
                assert_eq!(stored.vcard.extra, original.vcard.extra, "extras kept");

                for out in [VCardVersion::V3, VCardVersion::V4] {
                    let exported = vcard::export_one(&stored, out);
                    let back = imported(&exported);
                    assert_eq!(
                        differing_fields(&expected, &back),
                        Default::default(),
                        "{name} at {version} with {phone:?}, exported as {out:?}:\n{exported}"
                    );
                    assert_eq!(back.email_addresses(), original.email_addresses());
                    assert_eq!(back.phone_numbers(), stored.phone_numbers());
                    assert_eq!(extras(&back), extras(&original), "{name} as {out:?}");
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 2 * 3 * 3 * 2);
}

#[test]
fn a_phone_that_manages_a_field_deletes_it_by_leaving_it_out() {
    let original = imported(FILES[0].1);
    let received = render(&original, V14_1, &[]).expect("renders");
    // The user removed the second e-mail address: the phone no longer sends it.
    let sent: Vec<Element> = received
        .into_iter()
        .filter(|e| e.tag != c::EMAIL2_ADDRESS)
        .collect();
    let change = parse(&sent, V14_1).expect("parses");
    let stored = apply(&original, &change, Some(&ios_like()));
    assert_eq!(stored.email2_address, None);
    let diff = differing_fields(&original, &stored);
    assert_eq!(diff.keys().collect::<Vec<_>>(), [&Field::Email2Address]);
    // The addresses EAS had no slot for are still there, and go out in the vCard (read back,
    // they fill the free slots in order).
    let back = imported(&vcard::export_one(&stored, VCardVersion::V4));
    assert_eq!(
        back.email_addresses(),
        [
            "jane.doe@acme.example",
            "jq@lists.example",
            "fourth@example.org",
            "fifth@acme.example"
        ]
    );
}

#[test]
fn stored_json_round_trips_an_imported_contact() {
    for (_, text) in FILES {
        let c = imported(text);
        let json = eas_contacts_model::stored::to_json(&c);
        assert_eq!(
            eas_contacts_model::stored::from_json(&json).expect("reads"),
            c
        );
    }
}

/// A Sync response with the full contact added and changed, at one version.
fn sync_response(contact: &Contact, version: ProtocolVersion) -> SyncResponse {
    let prefs = [BodyPreference {
        truncation_size: Some(12),
        preview: (version >= ProtocolVersion::V14_0).then_some(8),
        ..BodyPreference::new(BodyType::PlainText)
    }];
    let data = render(contact, version, &prefs).expect("renders");
    let mut collection = SyncCollectionResponse::new("9", "2");
    collection.commands = vec![
        ServerCommand::Add {
            server_id: "9:1".into(),
            application_data: data.clone(),
        },
        ServerCommand::Change {
            server_id: "9:2".into(),
            application_data: data,
        },
    ];
    SyncResponse::collections(vec![collection])
}

#[test]
fn a_sync_response_with_a_full_contact_is_valid() {
    for (name, text) in FILES {
        let contact = imported(text);
        for version in VERSIONS {
            let bytes = eas_wbxml::encode(&sync_response(&contact, version).to_element());
            xsd::assert_valid_response("Sync", &format!("contact-{name}-{version}"), &bytes);
        }
    }
}

#[test]
fn picture_limit_is_the_spec_status_for_the_edge() {
    let mut contact = imported(FILES[0].1);
    let big = vec![0xFF; 40_000];
    contact.picture = Some(eas_contacts_model::Picture(big.clone()));
    assert!(!eas::picture_fits(&big));
    let data = render(&contact, V16_1, &[]).expect("renders");
    assert!(
        data.iter().all(|e| e.tag != c::PICTURE),
        "not sent over the limit"
    );
    let sent = [Element::text(
        c::PICTURE,
        eas_contacts_model::Picture(big).to_base64(),
    )];
    let err = parse(&sent, V16_1).expect_err("refused");
    assert_eq!(err.sync_status().code(), 6);
}
