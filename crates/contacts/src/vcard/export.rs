//! [`Contact`] → vCard 3.0 or 4.0. A field imported from a vCard is written under the property,
//! group and parameters it came from; a field set on a phone gets the usual property of its kind.

use std::collections::BTreeSet;

use super::import::{
    inline_binary, ACCOUNT_NAME, APPLE_ASSISTANT, APPLE_CHILD, APPLE_MANAGER, APPLE_SPOUSE,
    CUSTOMER_ID, GOVERNMENT_ID,
};
use super::syntax::{escape, Param, Property};
use super::{Origin, VCardVersion};
use crate::contact::{bare_address, Contact, Field, Picture};
use crate::date::ContactDate;

/// The three addresses of the Contact class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AddressKind {
    Business,
    Home,
    Other,
}

pub(crate) struct Address {
    pub(crate) kind: AddressKind,
    /// Street, city, state, postal code, country.
    pub(crate) fields: [Field; 5],
    /// The `TYPE` written for it (none for the other address).
    vcard_type: Option<&'static str>,
}

pub(crate) const ADDRESSES: [Address; 3] = [
    Address {
        kind: AddressKind::Home,
        fields: [
            Field::HomeAddressStreet,
            Field::HomeAddressCity,
            Field::HomeAddressState,
            Field::HomeAddressPostalCode,
            Field::HomeAddressCountry,
        ],
        vcard_type: Some("HOME"),
    },
    Address {
        kind: AddressKind::Business,
        fields: [
            Field::BusinessAddressStreet,
            Field::BusinessAddressCity,
            Field::BusinessAddressState,
            Field::BusinessAddressPostalCode,
            Field::BusinessAddressCountry,
        ],
        vcard_type: Some("WORK"),
    },
    Address {
        kind: AddressKind::Other,
        fields: [
            Field::OtherAddressStreet,
            Field::OtherAddressCity,
            Field::OtherAddressState,
            Field::OtherAddressPostalCode,
            Field::OtherAddressCountry,
        ],
        vcard_type: None,
    },
];

/// The fields of an address kind.
pub(crate) fn address_fields(kind: AddressKind) -> [Field; 5] {
    ADDRESSES
        .iter()
        .find(|a| a.kind == kind)
        .map_or(ADDRESSES[2].fields, |a| a.fields)
}

/// The address this field belongs to.
pub(crate) fn address_containing(field: Field) -> Option<&'static Address> {
    ADDRESSES.iter().find(|a| a.fields.contains(&field))
}

/// The usual `TEL` types of each phone field (upper case; 4.0 writes them in lower case).
const PHONE_TYPES: [(Field, &[&str]); 13] = [
    (Field::MobilePhoneNumber, &["CELL"]),
    (Field::HomePhoneNumber, &["HOME", "VOICE"]),
    (Field::Home2PhoneNumber, &["HOME", "VOICE"]),
    (Field::BusinessPhoneNumber, &["WORK", "VOICE"]),
    (Field::Business2PhoneNumber, &["WORK", "VOICE"]),
    (Field::CompanyMainPhone, &["MAIN"]),
    (Field::BusinessFaxNumber, &["WORK", "FAX"]),
    (Field::HomeFaxNumber, &["HOME", "FAX"]),
    (Field::CarPhoneNumber, &["CAR"]),
    (Field::PagerNumber, &["PAGER"]),
    (Field::RadioPhoneNumber, &["X-RADIO"]),
    (Field::AssistantPhoneNumber, &["X-ASSISTANT"]),
    (Field::Mms, &["X-MMS"]),
];

/// Single-valued text fields and the property each is written as when it has no origin.
const SIMPLE: [(Field, &str); 10] = [
    (Field::NickName, "NICKNAME"),
    (Field::JobTitle, "TITLE"),
    (Field::WebPage, "URL"),
    (Field::YomiFirstName, "X-PHONETIC-FIRST-NAME"),
    (Field::YomiLastName, "X-PHONETIC-LAST-NAME"),
    (Field::YomiCompanyName, "X-PHONETIC-ORG"),
    (Field::OfficeLocation, "X-EVOLUTION-OFFICE"),
    (Field::CustomerId, CUSTOMER_ID),
    (Field::GovernmentId, GOVERNMENT_ID),
    (Field::AccountName, ACCOUNT_NAME),
];

/// Properties that only label another property of their group (Apple).
const LABELS: [&str; 2] = ["X-ABLABEL", "X-ABADR"];

const PRODID: &str = "-//eas-server//contacts model//EN";

/// Writes several contacts, one vCard after the other.
pub fn export(contacts: &[Contact], version: VCardVersion) -> String {
    contacts.iter().map(|c| export_one(c, version)).collect()
}

/// Writes one contact as a vCard.
pub fn export_one(contact: &Contact, version: VCardVersion) -> String {
    let mut w = Writer {
        c: contact,
        v4: version == VCardVersion::V4,
        props: Vec::new(),
        used_groups: BTreeSet::new(),
    };
    w.used_groups = w.groups_in_use();
    w.names();
    w.organisation();
    w.simple_fields();
    w.emails();
    w.phones();
    w.addresses();
    w.ims();
    w.dates();
    w.related();
    w.notes_and_picture();
    w.extras();

    let mut out = String::new();
    out.push_str("BEGIN:VCARD\r\n");
    out.push_str(&format!("VERSION:{}\r\n", version.as_str()));
    Property::raw("PRODID", PRODID).write_to(&mut out, w.v4);
    for p in &w.props {
        p.write_to(&mut out, w.v4);
    }
    out.push_str("END:VCARD\r\n");
    out
}

struct Writer<'a> {
    c: &'a Contact,
    v4: bool,
    props: Vec<Property>,
    /// The groups the contact's properties use, lower case, and those given out since.
    used_groups: BTreeSet<String>,
}

impl Writer<'_> {
    fn origin(&self, field: Field) -> Option<&Origin> {
        self.c.vcard.origins.get(&field)
    }

    /// A type value in the case of the version (3.0 upper case, 4.0 lower case).
    fn type_value(&self, t: &str) -> String {
        if self.v4 {
            t.to_ascii_lowercase()
        } else {
            t.to_ascii_uppercase()
        }
    }

    fn typed(&self, types: &[&str]) -> Vec<Param> {
        if types.is_empty() {
            return Vec::new();
        }
        vec![Param {
            name: "TYPE".into(),
            values: types.iter().map(|t| self.type_value(t)).collect(),
        }]
    }

    /// Whether a property name exists in the version written (4.0-only names in 3.0 and the
    /// reverse are replaced by the usual property).
    fn name_fits(&self, name: &str) -> bool {
        match name {
            "ANNIVERSARY" | "RELATED" => self.v4,
            _ => true,
        }
    }

    /// Writes `value` under the field's origin when it has one, else as `fallback`.
    fn field_property(&mut self, field: Field, value: String, fallback: Property) {
        let p = match self.origin(field).filter(|o| self.name_fits(&o.name)) {
            Some(o) => Property {
                group: o.group.clone(),
                name: o.name.clone(),
                params: o.params.clone(),
                value,
            },
            None => Property { value, ..fallback },
        };
        self.props.push(p);
    }

    /// The groups of the properties the contact came with.
    fn groups_in_use(&self) -> BTreeSet<String> {
        self.c
            .vcard
            .origins
            .values()
            .filter_map(|o| o.group.clone())
            .chain(self.c.vcard.extra.iter().filter_map(|p| p.group.clone()))
            .map(|g| g.to_ascii_lowercase())
            .collect()
    }

    /// The lowest `itemN` group not used yet.
    fn fresh_group(&mut self) -> String {
        let n = (1..)
            .find(|n| !self.used_groups.contains(&format!("item{n}")))
            .unwrap_or(1);
        let group = format!("item{n}");
        self.used_groups.insert(group.clone());
        group
    }

    /// Apple's labelled form: `itemN.NAME:value` and `itemN.X-ABLabel:label`.
    fn apple_labelled(&mut self, name: &str, value: &str, label: &str) {
        self.apple_labelled_raw(name, &escape(value), label);
    }

    /// FN (required in 3.0 and 4.0), X-EVOLUTION-FILE-AS when FileAs came from it, and N.
    fn names(&mut self) {
        let c = self.c;
        let composed = || {
            let parts: Vec<&str> = [
                &c.title,
                &c.first_name,
                &c.middle_name,
                &c.last_name,
                &c.suffix,
            ]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        };
        let file_as_from_fn = self.origin(Field::FileAs).is_none_or(|o| o.name == "FN");
        let formatted = if file_as_from_fn {
            c.file_as.clone()
        } else {
            c.vcard.formatted_name.clone()
        }
        .or_else(composed)
        .or_else(|| c.company_name.clone())
        .or_else(|| c.email_addresses().into_iter().next())
        .unwrap_or_default();
        if file_as_from_fn {
            self.field_property(Field::FileAs, escape(&formatted), Property::raw("FN", ""));
        } else {
            self.props.push(Property::text("FN", &formatted));
            if let Some(f) = &c.file_as {
                self.field_property(
                    Field::FileAs,
                    escape(f),
                    Property::raw("X-EVOLUTION-FILE-AS", ""),
                );
            }
        }
        let parts = [
            &c.last_name,
            &c.first_name,
            &c.middle_name,
            &c.title,
            &c.suffix,
        ];
        let any_part = parts.iter().any(|p| p.is_some());
        let hidden = self
            .origin(Field::LastName)
            .map(|o| o.hidden.clone())
            .unwrap_or_default();
        if any_part || !self.v4 || !hidden.is_empty() {
            let mut comps: Vec<String> = parts
                .iter()
                .map(|p| p.as_deref().map(component).unwrap_or_default())
                .collect();
            comps.extend(hidden.iter().map(|h| component(h)));
            let value = comps.join(";");
            self.field_property(Field::LastName, value, Property::raw("N", ""));
        }
    }

    /// ORG: company; department; further units.
    fn organisation(&mut self) {
        let c = self.c;
        if c.company_name.is_none() && c.department.is_none() {
            return;
        }
        let mut units = vec![c.company_name.as_deref().map(component).unwrap_or_default()];
        if c.department.is_some() || !c.vcard.org_units.is_empty() {
            units.push(c.department.as_deref().map(component).unwrap_or_default());
        }
        units.extend(c.vcard.org_units.iter().map(|u| component(u)));
        self.field_property(
            Field::CompanyName,
            units.join(";"),
            Property::raw("ORG", ""),
        );
    }

    fn simple_fields(&mut self) {
        for (field, name) in SIMPLE {
            if let Some(v) = self.c.text(field) {
                let value = escape(v);
                self.field_property(field, value, Property::raw(name, ""));
            }
        }
    }

    fn emails(&mut self) {
        for field in Field::EMAILS {
            if let Some(v) = self.c.text(field) {
                let params = if self.v4 {
                    Vec::new()
                } else {
                    self.typed(&["INTERNET"])
                };
                let fallback = Property::raw("EMAIL", "").with_params(params);
                // A phone may send `"Jane" <jane@example.com>`; a vCard holds the address.
                self.field_property(field, escape(&bare_address(v)), fallback);
            }
        }
    }

    /// A value that had a URI scheme (`tel:`, `xmpp:`) gets it back, with `VALUE=uri` in 4.0;
    /// 3.0 writes a `tel:` number as text.
    fn with_scheme(&mut self, field: Field, v: &str) -> String {
        let scheme = self.origin(field).and_then(|o| o.scheme.clone());
        match scheme {
            Some(s) if s.eq_ignore_ascii_case("tel:") && !self.v4 => escape(v),
            Some(s) => format!("{s}{v}"),
            None => escape(v),
        }
    }

    fn phones(&mut self) {
        for (field, types) in PHONE_TYPES {
            let Some(v) = self.c.text(field) else {
                continue;
            };
            let value = self.with_scheme(field, v);
            let mut types = types.to_vec();
            if self.v4 && field == Field::CompanyMainPhone {
                types = vec!["MAIN-NUMBER"];
            }
            let fallback = Property::raw("TEL", "").with_params(self.typed(&types));
            let before = self.props.len();
            self.field_property(field, value, fallback);
            // A 4.0 `tel:` URI written into 3.0 is text: drop `VALUE=uri`.
            if !self.v4 {
                if let Some(p) = self.props.get_mut(before) {
                    p.params.retain(|p| {
                        !(p.name == "VALUE"
                            && p.values.iter().any(|v| v.eq_ignore_ascii_case("uri")))
                    });
                }
            }
        }
    }

    fn addresses(&mut self) {
        for address in &ADDRESSES {
            let values: Vec<Option<&str>> =
                address.fields.iter().map(|f| self.c.text(*f)).collect();
            if values.iter().all(Option::is_none) {
                continue;
            }
            let current: Vec<String> = values
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect();
            let origin = self.origin(address.fields[0]).cloned();
            let mut comps: Vec<String> = origin
                .as_ref()
                .map(|o| o.hidden.clone())
                .filter(|h| h.len() >= 7)
                .unwrap_or_else(|| vec![String::new(); 7]);
            let changed = comps[2..7] != current[..];
            comps.splice(2..7, current);
            let value = comps
                .iter()
                .map(|c| component(c))
                .collect::<Vec<_>>()
                .join(";");
            let fallback = Property::raw("ADR", "").with_params(
                address
                    .vcard_type
                    .map(|t| self.typed(&[t]))
                    .unwrap_or_default(),
            );
            let before = self.props.len();
            self.field_property(address.fields[0], value, fallback);
            // A formatted LABEL describes the address as imported; after a change it is stale.
            if changed {
                if let Some(p) = self.props.get_mut(before) {
                    p.remove_param("LABEL");
                }
            }
        }
    }

    fn ims(&mut self) {
        for field in Field::IMS {
            let Some(v) = self.c.text(field) else {
                continue;
            };
            let value = match self.origin(field) {
                Some(o) if o.scheme.is_some() || o.name != "IMPP" => self.with_scheme(field, v),
                // IMPP needs a URI; `im:` (RFC 3860) keeps the value as the phone sent it.
                _ => format!("im:{v}"),
            };
            self.field_property(field, value, Property::raw("IMPP", ""));
        }
    }

    /// A date: `YYYY-MM-DD` (3.0) or `YYYYMMDD` (4.0); a date without a year is `--MMDD` in 4.0
    /// and Apple's `1604-MM-DD` with `X-APPLE-OMIT-YEAR=1604` in 3.0.
    fn date_property(&self, d: ContactDate, name: &str) -> Property {
        let omit_year = d.has_no_year();
        let value = match (self.v4, omit_year) {
            (true, true) => format!("--{:02}{:02}", d.month(), d.day()),
            (true, false) => format!("{:04}{:02}{:02}", d.year(), d.month(), d.day()),
            (false, _) => d.to_string(),
        };
        let mut params = Vec::new();
        if !self.v4 && omit_year {
            params.push(Param::new("X-APPLE-OMIT-YEAR", &["1604"]));
        }
        Property::raw(name, &value).with_params(params)
    }

    fn dates(&mut self) {
        let anniversary_name = if self.v4 {
            "ANNIVERSARY"
        } else {
            "X-ANNIVERSARY"
        };
        for (field, fallback_name) in [
            (Field::Birthday, "BDAY"),
            (Field::Anniversary, anniversary_name),
        ] {
            let Some(d) = self.c.date(field) else {
                continue;
            };
            let fallback = self.date_property(d, fallback_name);
            // Keep the origin's name and group (X-EVOLUTION-ANNIVERSARY, Apple's X-ABDATE) but
            // write the value and its parameters in this version's form.
            match self
                .origin(field)
                .filter(|o| self.name_fits(&o.name))
                .cloned()
            {
                Some(o) if o.name == "X-ABDATE" => {
                    let value = fallback.value.clone();
                    self.apple_labelled_raw(
                        "X-ABDATE",
                        &value,
                        crate::vcard::import::APPLE_ANNIVERSARY,
                    );
                }
                Some(o) => {
                    let mut params: Vec<Param> = o
                        .params
                        .iter()
                        .filter(|p| p.name != "X-APPLE-OMIT-YEAR")
                        .cloned()
                        .collect();
                    params.extend(fallback.params.clone());
                    self.props.push(Property {
                        group: o.group.clone(),
                        name: o.name.clone(),
                        params,
                        value: fallback.value.clone(),
                    });
                }
                None => self.props.push(fallback),
            }
        }
    }

    /// [`Writer::apple_labelled`] with a value already in vCard form.
    fn apple_labelled_raw(&mut self, name: &str, value: &str, label: &str) {
        let group = Some(self.fresh_group());
        self.props
            .push(Property::raw(name, value).with_group(group.clone()));
        self.props.push(apple_label(label, group));
    }

    /// Spouse and children as `RELATED` in 4.0 (RFC 6350 6.6.6 registers both types); assistant
    /// and manager, which it does not, and everything in 3.0, in Apple's labelled
    /// `X-ABRELATEDNAMES`, unless the value came from another property (`X-EVOLUTION-SPOUSE`).
    fn related(&mut self) {
        let c = self.c;
        for (field, v4_type, label) in [
            (Field::Spouse, Some("spouse"), APPLE_SPOUSE),
            (Field::AssistantName, None, APPLE_ASSISTANT),
            (Field::ManagerName, None, APPLE_MANAGER),
        ] {
            let Some(v) = c.text(field) else {
                continue;
            };
            let origin = self
                .origin(field)
                .filter(|o| self.name_fits(&o.name))
                .cloned();
            match (origin, v4_type) {
                (Some(o), _) if o.name != "X-ABRELATEDNAMES" || o.group.is_none() => {
                    self.field_property(field, escape(v), Property::raw(&o.name, ""))
                }
                (_, Some(t)) if self.v4 => {
                    let p = Property::text("RELATED", v).with_params(vec![
                        Param::new("TYPE", &[t]),
                        Param::new("VALUE", &["text"]),
                    ]);
                    self.props.push(p);
                }
                _ => self.apple_labelled("X-ABRELATEDNAMES", v, label),
            }
        }
        for child in &c.children {
            if self.v4 {
                let p = Property::text("RELATED", child).with_params(vec![
                    Param::new("TYPE", &["child"]),
                    Param::new("VALUE", &["text"]),
                ]);
                self.props.push(p);
            } else {
                self.apple_labelled("X-ABRELATEDNAMES", child, APPLE_CHILD);
            }
        }
    }

    fn notes_and_picture(&mut self) {
        let c = self.c;
        if !c.categories.is_empty() {
            self.props.push(Property::structured(
                "CATEGORIES",
                std::slice::from_ref(&c.categories),
            ));
        }
        if let Some(n) = &c.notes {
            self.props.push(Property::text("NOTE", &n.text));
        }
        if let Some(pic) = &c.picture {
            self.props.push(self.photo("PHOTO", pic));
        }
    }

    /// An inline image: `ENCODING=b;TYPE=JPEG` in 3.0, a `data:` URI in 4.0 (its comma not
    /// escaped, as in RFC 6350 6.2.4).
    fn photo(&self, name: &str, pic: &Picture) -> Property {
        let media = pic.media_type();
        if self.v4 {
            let uri = format!(
                "data:{};base64,{}",
                media.unwrap_or("application/octet-stream"),
                pic.to_base64()
            );
            Property::raw(name, &uri)
        } else {
            let mut params = vec![Param::new("ENCODING", &["b"])];
            if let Some(sub) = media.and_then(|m| m.strip_prefix("image/")) {
                params.push(Param::new("TYPE", &[&sub.to_ascii_uppercase()]));
            }
            Property::raw(name, &pic.to_base64()).with_params(params)
        }
    }

    /// The properties EAS has no slot for, as they came; inline images in this version's form,
    /// and Apple labels only while the property they label is written.
    fn extras(&mut self) {
        let mut used_groups: BTreeSet<String> =
            self.props.iter().filter_map(|p| p.group.clone()).collect();
        used_groups.extend(
            self.c
                .vcard
                .extra
                .iter()
                .filter(|p| !LABELS.contains(&p.name.as_str()))
                .filter_map(|p| p.group.clone()),
        );
        for p in &self.c.vcard.extra {
            let is_label = LABELS.contains(&p.name.as_str());
            if is_label && !p.group.as_ref().is_some_and(|g| used_groups.contains(g)) {
                continue;
            }
            let converted = inline_binary(p).map(|bytes| {
                let mut q = self.photo(&p.name, &Picture(bytes));
                q.group = p.group.clone();
                q.params.extend(
                    p.params
                        .iter()
                        .filter(|x| {
                            !matches!(x.name.as_str(), "ENCODING" | "TYPE" | "VALUE" | "MEDIATYPE")
                        })
                        .cloned(),
                );
                q
            });
            self.props.push(converted.unwrap_or_else(|| p.clone()));
        }
    }
}

/// `itemN.X-ABLabel:label`, spelt as Apple writes it.
fn apple_label(label: &str, group: Option<String>) -> Property {
    Property {
        group,
        name: "X-ABLabel".into(),
        params: Vec::new(),
        value: label.to_string(),
    }
}

/// One component of a structured value. A component that had several values was joined with
/// commas on import; it goes out as one escaped value, so a company called "Acme, Inc." stays one
/// name for every reader.
fn component(text: &str) -> String {
    escape(text)
}
