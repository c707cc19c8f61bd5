//! The vCard mapping, property by property, on the fixture files and on small cards.

use proptest::prelude::*;

use super::*;
use crate::contact::{Contact, Field, Notes, Picture};
use crate::date::ContactDate;

const FULL_3: &str = include_str!("../../tests/fixtures/full-3.0.vcf");
const FULL_4: &str = include_str!("../../tests/fixtures/full-4.0.vcf");
const ANDROID_21: &str = include_str!("../../tests/fixtures/android-2.1.vcf");
const EVOLUTION: &str = include_str!("../../tests/fixtures/evolution-3.0.vcf");

fn one(text: &str) -> Contact {
    let mut all = import(text).expect("imports");
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn first(text: &str) -> Contact {
    import(text).expect("imports").remove(0)
}

fn card(lines: &[&str]) -> String {
    let mut s = String::from("BEGIN:VCARD\r\nVERSION:3.0\r\n");
    for l in lines {
        s.push_str(l);
        s.push_str("\r\n");
    }
    s.push_str("END:VCARD\r\n");
    s
}

fn extra_names(c: &Contact) -> Vec<String> {
    c.vcard.extra.iter().map(|p| p.name.clone()).collect()
}

/// The EAS values both full fixtures share.
fn assert_common_fields(c: &Contact) {
    let t = |f: Field| c.text(f).map(str::to_string);
    let s = |v: &str| Some(v.to_string());
    assert_eq!(t(Field::LastName), s("Doe"));
    assert_eq!(t(Field::FirstName), s("Jane"));
    assert_eq!(t(Field::MiddleName), s("Quinn"));
    assert_eq!(t(Field::Title), s("Dr."));
    assert_eq!(t(Field::Suffix), s("PhD"));
    assert_eq!(t(Field::NickName), s("Janie"));
    assert_eq!(t(Field::YomiFirstName), s("ジェーン"));
    assert_eq!(t(Field::YomiLastName), s("ドウ"));
    assert_eq!(t(Field::YomiCompanyName), s("アクメ"));
    assert_eq!(t(Field::CompanyName), s("Acme, Inc."));
    assert_eq!(t(Field::Department), s("Research"));
    assert_eq!(t(Field::JobTitle), s("Chief Scientist"));
    assert_eq!(t(Field::Email1Address), s("jane.doe@acme.example"));
    assert_eq!(t(Field::Email2Address), s("jane@home.example"));
    assert_eq!(t(Field::Email3Address), s("jq@lists.example"));
    assert_eq!(t(Field::HomePhoneNumber), s("+1 555 0101"));
    assert_eq!(t(Field::Home2PhoneNumber), s("+1 555 0102"));
    assert_eq!(t(Field::BusinessPhoneNumber), s("+1 555 0103"));
    assert_eq!(t(Field::Business2PhoneNumber), s("+1 555 0104"));
    assert_eq!(t(Field::CompanyMainPhone), s("+1 555 0105"));
    assert_eq!(t(Field::BusinessFaxNumber), s("+1 555 0106"));
    assert_eq!(t(Field::HomeFaxNumber), s("+1 555 0107"));
    assert_eq!(t(Field::CarPhoneNumber), s("+1 555 0108"));
    assert_eq!(t(Field::PagerNumber), s("+1 555 0109"));
    assert_eq!(t(Field::RadioPhoneNumber), s("+1 555 0110"));
    assert_eq!(t(Field::AssistantPhoneNumber), s("+1 555 0111"));
    assert_eq!(t(Field::Mms), s("+1 555 0112"));
    assert_eq!(t(Field::BusinessAddressStreet), s("400 Lab Rd"));
    assert_eq!(t(Field::BusinessAddressCity), s("Boston"));
    assert_eq!(t(Field::BusinessAddressState), s("MA"));
    assert_eq!(t(Field::BusinessAddressPostalCode), s("02110"));
    assert_eq!(t(Field::BusinessAddressCountry), s("USA"));
    assert_eq!(t(Field::HomeAddressCity), s("Springfield"));
    assert_eq!(t(Field::OtherAddressStreet), s("7 Lake View"));
    assert_eq!(t(Field::OtherAddressCity), s("Chicago"));
    assert_eq!(t(Field::WebPage), s("https://jane.example/~doe"));
    assert_eq!(t(Field::ImAddress), s("jane@jabber.example"));
    assert_eq!(t(Field::Spouse), s("John Doe"));
    assert_eq!(t(Field::AssistantName), s("Alice Assistant"));
    assert_eq!(t(Field::ManagerName), s("Mark Manager"));
    assert_eq!(t(Field::CustomerId), s("CUST-42"));
    assert_eq!(t(Field::GovernmentId), s("GOV-7"));
    assert_eq!(t(Field::AccountName), s("ACC-9"));
    assert_eq!(c.birthday, ContactDate::new(1980, 5, 17));
    assert_eq!(c.anniversary, ContactDate::new(2005, 6, 20));
    assert_eq!(c.children, ["Ann Doe", "Ben Doe"]);
    assert_eq!(c.categories, ["Friends", "Work", "VIP"]);
    assert_eq!(
        c.notes,
        Some(Notes::plain(
            "Met at the conference, 2019.\nLikes tea; not coffee."
        ))
    );
    assert_eq!(
        c.fields().count(),
        Field::ALL.len(),
        "every EAS field is filled"
    );
}

#[test]
fn an_apple_vcard_3_fills_every_eas_field_and_keeps_the_rest() {
    let all = import(FULL_3).expect("imports");
    assert_eq!(all.len(), 2);
    let c = &all[0];
    assert_common_fields(c);
    assert_eq!(c.text(Field::FileAs), Some("Dr. Jane Quinn Doe PhD"));
    assert_eq!(c.mobile_phone_number.as_deref(), Some("+1 555 0100"));
    assert_eq!(c.home_address_street.as_deref(), Some("1 Main St\nApt 2"));
    assert_eq!(c.office_location.as_deref(), Some("Building 4, room 2"));
    assert_eq!(c.im_address2.as_deref(), Some("jane.doe"));
    assert_eq!(c.im_address3.as_deref(), Some("janedoe"));
    assert_eq!(
        c.picture.as_ref().and_then(Picture::media_type),
        Some("image/jpeg")
    );
    assert_eq!(c.vcard.org_units, ["Lab 7"]);
    // Beyond the EAS slots: two more e-mails, the second mobile, a third home number, the
    // second home address, the second URL, the fourth IM, a friend, ROLE, X- and UID.
    assert_eq!(
        c.email_addresses(),
        [
            "jane.doe@acme.example",
            "jane@home.example",
            "jq@lists.example",
            "fourth@example.org",
            "fifth@acme.example"
        ]
    );
    let phones = c.phone_numbers();
    assert!(phones.contains(&"+1 555 0199".to_string()));
    assert!(phones.contains(&"+1 555 0113".to_string()));
    let names = extra_names(c);
    for n in [
        "ROLE",
        "URL",
        "ADR",
        "IMPP",
        "X-ABRELATEDNAMES",
        "X-SOCIALPROFILE",
        "X-ANDROID-CUSTOM",
        "GEO",
        "UID",
    ] {
        assert!(names.contains(&n.to_string()), "{n} kept: {names:?}");
    }
    // Labels of consumed related names and dates are dropped; the others stay.
    let labels: Vec<String> = c.vcard.extra_values("X-ABLABEL").collect();
    assert_eq!(labels, ["Lists", "_$!<Friend>!$_"]);
    assert_eq!(
        c.uid().as_deref(),
        Some("2f1d3c1e-0000-4000-8000-000000000001")
    );
    assert!(!names.contains(&"PRODID".to_string()) && !names.contains(&"REV".to_string()));

    let sam = &all[1];
    assert_eq!(sam.birthday, ContactDate::new(ContactDate::NO_YEAR, 12, 24));
    assert_eq!(sam.home_phone_number.as_deref(), Some("+44 20 7946 0000"));
}

#[test]
fn a_vcard_4_fills_every_eas_field_and_keeps_the_rest() {
    let all = import(FULL_4).expect("imports");
    let c = &all[0];
    assert_common_fields(c);
    assert_eq!(c.text(Field::FileAs), Some("Jane Quinn Doe"));
    // tel: URIs lose the scheme in EAS and get it back on export.
    assert_eq!(c.mobile_phone_number.as_deref(), Some("+1-555-0100"));
    assert_eq!(c.home_address_street.as_deref(), Some("1 Main St"));
    assert_eq!(c.im_address2.as_deref(), Some("jane@voip.example"));
    assert_eq!(
        c.picture.as_ref().and_then(Picture::media_type),
        Some("image/png")
    );
    assert_eq!(c.vcard.extra_values("NICKNAME").collect::<Vec<_>>(), ["JQ"]);
    let names = extra_names(c);
    for n in [
        "UID", "KIND", "ROLE", "TEL", "IMPP", "RELATED", "GEO", "LANG",
    ] {
        assert!(names.contains(&n.to_string()), "{n} kept: {names:?}");
    }
    assert_eq!(
        all[1].birthday,
        ContactDate::new(ContactDate::NO_YEAR, 12, 24)
    );
}

#[test]
fn an_android_2_1_export_is_decoded() {
    let c = one(ANDROID_21);
    assert_eq!(c.last_name.as_deref(), Some("Müller"));
    assert_eq!(c.first_name.as_deref(), Some("Jörg"));
    assert_eq!(c.file_as.as_deref(), Some("Jörg Müller"));
    assert_eq!(c.mobile_phone_number.as_deref(), Some("+49 170 0000000"));
    assert_eq!(c.business_fax_number.as_deref(), Some("+49 30 0000001"));
    assert_eq!(c.email1_address.as_deref(), Some("joerg@example.de"));
    assert_eq!(c.home_address_street.as_deref(), Some("Straße 1"));
    assert_eq!(c.home_address_country.as_deref(), Some("Deutschland"));
    assert_eq!(c.notes, Some(Notes::plain("Erste Zeile\nzweite Zeile")));
    assert_eq!(
        c.picture.as_ref().and_then(Picture::media_type),
        Some("image/jpeg")
    );
    // Android's own property keeps its structure, and no 2.1 parameter reaches 3.0 or 4.0.
    let v3 = export_one(&c, VCardVersion::V3);
    assert!(v3.contains("X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Jö;1;;;;;;;;;;;;;\r\n"));
    assert!(!v3.contains("QUOTED-PRINTABLE") && !v3.contains("CHARSET"));
}

#[test]
fn evolution_names_map_and_file_as_keeps_fn() {
    let c = one(EVOLUTION);
    assert_eq!(c.file_as.as_deref(), Some("Last, First"));
    assert_eq!(
        c.vcard.formatted_name.as_deref(),
        Some("Mr. First Middle Last II")
    );
    assert_eq!(c.manager_name.as_deref(), Some("The Boss"));
    assert_eq!(c.assistant_name.as_deref(), Some("The Helper"));
    assert_eq!(c.spouse.as_deref(), Some("The Partner"));
    assert_eq!(c.anniversary, ContactDate::new(2016, 1, 14));
    assert_eq!(c.children, ["Kid One", "Kid Two"]);
    assert_eq!(c.im_address.as_deref(), Some("first@im.example"));
    assert_eq!(c.im_address2.as_deref(), Some("first@jabber.example"));
    for v in [VCardVersion::V3, VCardVersion::V4] {
        let text = export_one(&c, v);
        assert!(
            text.contains("\r\nFN:Mr. First Middle Last II\r\n"),
            "{text}"
        );
        assert!(
            text.contains("\r\nX-EVOLUTION-FILE-AS:Last\\, First\r\n"),
            "{text}"
        );
        assert!(
            text.contains("\r\nX-EVOLUTION-MANAGER:The Boss\r\n"),
            "{text}"
        );
        let back = one(&text);
        assert_eq!(crate::differing_fields(&c, &back), Default::default());
    }
}

#[test]
fn a_contact_made_on_a_phone_exports_in_the_usual_properties() {
    let c = Contact {
        first_name: Some("Ann".into()),
        last_name: Some("Lee".into()),
        email1_address: Some("ann@example.com".into()),
        mobile_phone_number: Some("+1 555 0100".into()),
        business_fax_number: Some("+1 555 0101".into()),
        company_main_phone: Some("+1 555 0102".into()),
        home_address_city: Some("Springfield".into()),
        im_address: Some("ann@im.example".into()),
        spouse: Some("Bo Lee".into()),
        manager_name: Some("Cy".into()),
        children: vec!["Di".into()],
        birthday: ContactDate::new(1990, 1, 2),
        anniversary: ContactDate::new(2015, 3, 4),
        notes: Some(Notes::plain("a; b, c")),
        categories: vec!["x,y".into()],
        ..Contact::default()
    };
    let v3 = export_one(&c, VCardVersion::V3);
    for line in [
        "VERSION:3.0",
        "FN:Ann Lee",
        "N:Lee;Ann;;;",
        "EMAIL;TYPE=INTERNET:ann@example.com",
        "TEL;TYPE=CELL:+1 555 0100",
        "TEL;TYPE=WORK,FAX:+1 555 0101",
        "TEL;TYPE=MAIN:+1 555 0102",
        "ADR;TYPE=HOME:;;;Springfield;;;",
        "IMPP:im:ann@im.example",
        "item1.X-ABRELATEDNAMES:Bo Lee",
        "item1.X-ABLabel:_$!<Spouse>!$_",
        "item2.X-ABLabel:_$!<Manager>!$_",
        "item3.X-ABRELATEDNAMES:Di",
        "BDAY:1990-01-02",
        "X-ANNIVERSARY:2015-03-04",
        "NOTE:a\\; b\\, c",
        "CATEGORIES:x\\,y",
    ] {
        assert!(v3.contains(&format!("\r\n{line}\r\n")), "{line} in\n{v3}");
    }
    let v4 = export_one(&c, VCardVersion::V4);
    for line in [
        "VERSION:4.0",
        "TEL;TYPE=cell:+1 555 0100",
        "TEL;TYPE=main-number:+1 555 0102",
        "RELATED;TYPE=spouse;VALUE=text:Bo Lee",
        "RELATED;TYPE=child;VALUE=text:Di",
        "BDAY:19900102",
        "ANNIVERSARY:20150304",
    ] {
        assert!(v4.contains(&format!("\r\n{line}\r\n")), "{line} in\n{v4}");
    }
    assert!(v4.contains("\r\nN:Lee;Ann;;;\r\n"), "{v4}");
    // N is required in 3.0 only.
    let company = Contact {
        company_name: Some("Acme".into()),
        ..Contact::default()
    };
    assert!(!export_one(&company, VCardVersion::V4).contains("\r\nN:"));
    assert!(export_one(&company, VCardVersion::V3).contains("\r\nN:;;;;\r\n"));
    // FN is required: composed from the name, it comes back as FileAs.
    for text in [v3, v4] {
        let back = one(&text);
        let diff = crate::differing_fields(&c, &back);
        assert_eq!(diff.keys().collect::<Vec<_>>(), [&Field::FileAs], "{text}");
        assert_eq!(back.file_as.as_deref(), Some("Ann Lee"));
    }
}

#[test]
fn a_birthday_without_a_year_is_written_without_one() {
    let c = Contact {
        file_as: Some("No Year".into()),
        birthday: ContactDate::new(ContactDate::NO_YEAR, 12, 24),
        ..Contact::default()
    };
    let v4 = export_one(&c, VCardVersion::V4);
    assert!(v4.contains("\r\nBDAY:--1224\r\n"), "{v4}");
    let v3 = export_one(&c, VCardVersion::V3);
    assert!(
        v3.contains("\r\nBDAY;X-APPLE-OMIT-YEAR=1604:1604-12-24\r\n"),
        "{v3}"
    );
    for text in [v3, v4] {
        assert_eq!(one(&text).birthday, c.birthday);
    }
    // A date-time in UTC is read like an EAS date: local midnight east of UTC is the next day.
    let c = one(&card(&["BDAY:1980-05-16T22:00:00Z"]));
    assert_eq!(c.birthday, ContactDate::new(1980, 5, 17));
    // A date a contact cannot hold (4.0 year only) is kept as it came.
    let c = one(&card(&["BDAY:1980"]));
    assert_eq!(c.birthday, None);
    assert_eq!(extra_names(&c), ["BDAY"]);
}

#[test]
fn photos_convert_between_versions_and_data_uris_keep_their_comma() {
    let c = first(FULL_3);
    let pic = c.picture.clone().expect("photo");
    let v4 = export_one(&c, VCardVersion::V4);
    let unfolded = v4.replace("\r\n ", "");
    assert!(unfolded.contains(&format!(
        "\r\nPHOTO:data:image/jpeg;base64,{}\r\n",
        pic.to_base64()
    )));
    let v3 = export_one(&first(FULL_4), VCardVersion::V3);
    assert!(v3
        .replace("\r\n ", "")
        .contains("\r\nPHOTO;ENCODING=b;TYPE=PNG:iVBOR"));
    // A data URI whose comma an other writer escaped still reads.
    let c = one(&card(&["PHOTO:data:image/jpeg;base64\\,/9j/4AAQ"]));
    assert_eq!(
        c.picture.as_ref().and_then(Picture::media_type),
        Some("image/jpeg")
    );
    // A photo by URL cannot be stored inline: kept as it came.
    let c = one(&card(&["PHOTO;VALUE=uri:https://example.com/a.jpg"]));
    assert_eq!(c.picture, None);
    assert_eq!(extra_names(&c), ["PHOTO"]);
}

#[test]
fn labels_follow_their_property_and_stale_address_labels_go() {
    let mut c = first(FULL_3);
    // A cleared street keeps the rest of its address, post office box included.
    let mut d = first(FULL_3);
    d.clear(Field::BusinessAddressStreet);
    let v4 = export_one(&d, VCardVersion::V4);
    assert!(
        v4.contains("item3.ADR;TYPE=WORK:PO Box 9;Suite 5;;Boston;MA;02110;USA"),
        "{v4}"
    );
    // An address a phone sends as `"Name" <address>` is written as the address.
    d.email1_address = Some("\"Jane Doe\" <jane.doe@acme.example>".into());
    assert!(export_one(&d, VCardVersion::V4).contains(":jane.doe@acme.example\r\n"));
    // The e-mail its label belongs to is gone: the label is not written.
    c.clear(Field::Email3Address);
    let v3 = export_one(&c, VCardVersion::V3);
    assert!(!v3.contains("X-ABLABEL:Lists"), "{v3}");
    assert!(v3.contains("item10.X-ABLABEL:_$!<Friend>!$_"), "{v3}");
    // An address changed on the phone loses the LABEL that described the old one.
    let mut c = first(FULL_4);
    let v4 = export_one(&c, VCardVersion::V4);
    assert!(v4.contains("LABEL="), "{v4}");
    c.home_address_city = Some("Shelbyville".into());
    let v4 = export_one(&c, VCardVersion::V4);
    assert!(!v4.contains("LABEL="), "{v4}");
    assert!(
        v4.contains("ADR;TYPE=home:;;1 Main St;Shelbyville;IL;62701;USA"),
        "{v4}"
    );
}

#[test]
fn post_office_box_and_extended_address_survive() {
    let c = first(FULL_3);
    let v4 = export_one(&c, VCardVersion::V4);
    assert!(
        v4.contains("item3.ADR;TYPE=WORK:PO Box 9;Suite 5;400 Lab Rd;Boston;MA;02110;USA"),
        "{v4}"
    );
}

#[test]
fn files_that_are_not_vcards_are_refused_with_the_line() {
    assert_eq!(import(""), Err(VCardError::Empty));
    assert_eq!(
        import("FN:x\r\n"),
        Err(VCardError::OutsideCard {
            line: 1,
            name: "FN".into()
        })
    );
    assert_eq!(
        import("BEGIN:VCARD\r\nFN:x\r\n"),
        Err(VCardError::Unterminated { line: 1 })
    );
    assert_eq!(
        import("BEGIN:VCARD\r\nAGENT:\r\nBEGIN:VCARD\r\nEND:VCARD\r\nEND:VCARD\r\n"),
        Err(VCardError::NestedCard { line: 3 })
    );
    assert!(matches!(
        import("BEGIN:VCARD\r\nFN\r\nEND:VCARD\r\n"),
        Err(VCardError::Syntax(syntax::SyntaxError::NoColon { line: 2 }))
    ));
}

#[test]
fn several_contacts_export_one_after_the_other() {
    let all = import(FULL_3).expect("imports");
    let text = export(&all, VCardVersion::V4);
    assert_eq!(text.matches("BEGIN:VCARD\r\n").count(), 2);
    let back = import(&text).expect("imports");
    for (a, b) in all.iter().zip(&back) {
        assert_eq!(crate::differing_fields(a, b), Default::default());
    }
}

#[test]
fn a_short_address_keeps_its_post_office_box() {
    let c = one(&card(&["ADR;TYPE=WORK:PO Box 9;;Main St"]));
    assert_eq!(c.business_address_street.as_deref(), Some("Main St"));
    let v4 = export_one(&c, VCardVersion::V4);
    assert!(
        v4.contains("\r\nADR;TYPE=WORK:PO Box 9;;Main St;;;;\r\n"),
        "{v4}"
    );
}

/// Pieces of vCard text, valid and broken, for the parser to chew on.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("BEGIN:VCARD\r\n".to_string()),
        Just("END:VCARD\r\n".to_string()),
        Just("VERSION:2.1\r\n".to_string()),
        Just("N;ENCODING=QUOTED-PRINTABLE:=C3=\r\n".to_string()),
        Just("PHOTO:data:é\r\n".to_string()),
        Just("BDAY:--1é1\r\n".to_string()),
        Just(" folded\r\n".to_string()),
        Just("ADR;TYPE=\"a,b\":;;x\r\n".to_string()),
        Just("item1.X-ABLabel:_$!<Spouse>!$_\r\n".to_string()),
        Just("item1.X-ABRELATEDNAMES:x\r\n".to_string()),
        "[A-Z;=:,\\\\é\"^ -]{0,30}\r\n",
    ]
}

proptest! {
    #[test]
    fn any_text_imports_or_is_refused_without_panicking(parts in prop::collection::vec(fragment(), 0..20)) {
        let text: String = parts.concat();
        if let Ok(contacts) = import(&text) {
            for c in contacts {
                for v in [VCardVersion::V3, VCardVersion::V4] {
                    let out = export_one(&c, v);
                    // What the crate writes, it reads back with the same EAS fields.
                    let back = import(&out).map(|mut all| all.remove(0));
                    prop_assert!(back.is_ok(), "{out}");
                    let back = back.unwrap_or_default();
                    let diff = crate::differing_fields(&c, &back);
                    prop_assert!(diff.keys().all(|f| *f == Field::FileAs), "{diff:?}\n{out}");
                }
            }
        }
    }
}
