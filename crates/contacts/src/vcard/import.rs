//! vCard → [`Contact`]: each property EAS carries goes to its field, the rest to
//! [`VCardMeta::extra`](super::VCardMeta).

use std::collections::{BTreeMap, BTreeSet};

use eas_protocol::datetime::EasDateTime;

use super::export::{address_fields, AddressKind};
use super::syntax::{self, Property};
use super::{Origin, VCardError};
use crate::contact::{Contact, Field, Notes, Picture};
use crate::date::ContactDate;

/// Apple's labels of related names and dates (`itemN.X-ABLabel:_$!<Spouse>!$_`).
pub(super) const APPLE_SPOUSE: &str = "_$!<Spouse>!$_";
pub(super) const APPLE_CHILD: &str = "_$!<Child>!$_";
pub(super) const APPLE_ASSISTANT: &str = "_$!<Assistant>!$_";
pub(super) const APPLE_MANAGER: &str = "_$!<Manager>!$_";
pub(super) const APPLE_ANNIVERSARY: &str = "_$!<Anniversary>!$_";

/// Properties that name a spouse, an assistant or a manager in vCard 3.0 files (Outlook, Evolution,
/// KDE; `X-SPOUSE` and friends).
const SPOUSE_NAMES: &[&str] = &[
    "X-SPOUSE",
    "X-MS-SPOUSE",
    "X-EVOLUTION-SPOUSE",
    "X-KADDRESSBOOK-X-SPOUSENAME",
];
const ASSISTANT_NAMES: &[&str] = &[
    "X-ASSISTANT",
    "X-MS-ASSISTANT",
    "X-EVOLUTION-ASSISTANT",
    "X-KADDRESSBOOK-X-ASSISTANTSNAME",
];
const MANAGER_NAMES: &[&str] = &[
    "X-MANAGER",
    "X-MS-MANAGER",
    "X-EVOLUTION-MANAGER",
    "X-KADDRESSBOOK-X-MANAGERSNAME",
];
const CHILD_NAMES: &[&str] = &["X-CHILDREN", "X-CHILD", "X-MS-CHILD"];
const ANNIVERSARY_NAMES: &[&str] = &[
    "ANNIVERSARY",
    "X-ANNIVERSARY",
    "X-MS-ANNIVERSARY",
    "X-EVOLUTION-ANNIVERSARY",
    "X-KADDRESSBOOK-X-ANNIVERSARY",
];
const OFFICE_NAMES: &[&str] = &["X-EVOLUTION-OFFICE", "X-KADDRESSBOOK-X-OFFICE"];
/// Instant-messaging properties of vCard 3.0 writers, besides `IMPP` (RFC 4770).
const IM_NAMES: &[&str] = &[
    "X-MS-IMADDRESS",
    "X-JABBER",
    "X-AIM",
    "X-ICQ",
    "X-MSN",
    "X-YAHOO",
    "X-SKYPE",
    "X-SKYPE-USERNAME",
    "X-GTALK",
    "X-GOOGLE-TALK",
    "X-QQ",
    "X-GADUGADU",
    "X-GROUPWISE",
    "X-KADDRESSBOOK-X-IMADDRESS",
];
/// This crate's names for the Contacts2 fields no vCard convention covers.
pub(super) const CUSTOMER_ID: &str = "X-EAS-CUSTOMER-ID";
pub(super) const GOVERNMENT_ID: &str = "X-EAS-GOVERNMENT-ID";
pub(super) const ACCOUNT_NAME: &str = "X-EAS-ACCOUNT-NAME";

/// Reads every vCard of a file (a byte-order mark and LF line ends are accepted).
pub fn import(text: &str) -> Result<Vec<Contact>, VCardError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut cards = Vec::new();
    let mut current: Option<(usize, Vec<Property>)> = None;
    for line in syntax::parse_lines(text)? {
        let p = line.property;
        let is_card = p.value.trim().eq_ignore_ascii_case("VCARD");
        match (p.name.as_str(), current.as_mut()) {
            ("BEGIN", Some(_)) if is_card => {
                return Err(VCardError::NestedCard { line: line.number })
            }
            ("BEGIN", None) if is_card => current = Some((line.number, Vec::new())),
            ("END", Some(_)) if is_card => {
                if let Some((_, props)) = current.take() {
                    cards.push(card_to_contact(props));
                }
            }
            (_, Some((_, props))) => props.push(p),
            (_, None) => {
                return Err(VCardError::OutsideCard {
                    line: line.number,
                    name: p.name,
                })
            }
        }
    }
    if let Some((line, _)) = current {
        return Err(VCardError::Unterminated { line });
    }
    if cards.is_empty() {
        return Err(VCardError::Empty);
    }
    Ok(cards)
}

/// vCard 2.1: decodes QUOTED-PRINTABLE values and drops `CHARSET` (not a 3.0/4.0 parameter).
fn decode_legacy(mut p: Property) -> Property {
    let qp = p
        .param("ENCODING")
        .any(|e| e.eq_ignore_ascii_case("QUOTED-PRINTABLE"));
    if qp {
        let charset = p.param("CHARSET").next().map(str::to_string);
        let bytes = syntax::decode_quoted_printable(&p.value);
        let text = syntax::decode_charset(&bytes, charset.as_deref());
        // 2.1 text is not backslash-escaped except `\;`; a line break must become `\n`.
        p.value = text.replace("\r\n", "\n").replace('\n', "\\n");
        p.remove_param("ENCODING");
    }
    p.remove_param("CHARSET");
    p
}

/// The rank of a property among its kind: `PREF=n` (4.0), `TYPE=PREF` (2.1, 3.0) first.
fn rank(p: &Property) -> u32 {
    p.param("PREF")
        .find_map(|v| v.parse().ok())
        .unwrap_or(if p.has_type("PREF") { 1 } else { 100 })
}

/// The image of an inline `PHOTO`: `ENCODING=b` (3.0), `ENCODING=BASE64` (2.1) or a `data:`
/// URI (4.0, with or without an escaped comma).
pub(super) fn inline_binary(p: &Property) -> Option<Vec<u8>> {
    let b64 = p
        .param("ENCODING")
        .any(|e| e.eq_ignore_ascii_case("b") || e.eq_ignore_ascii_case("BASE64"));
    if b64 {
        return Picture::from_base64(&p.value).map(|pic| pic.0);
    }
    let v = p.value.trim();
    if v.get(..5)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("data:"))
    {
        let (head, data) = v.split_once(',')?;
        let head = head.strip_suffix('\\').unwrap_or(head);
        if head.to_ascii_lowercase().ends_with(";base64") {
            return Picture::from_base64(data).map(|pic| pic.0);
        }
    }
    None
}

/// A vCard date (`1980-05-17`, `19800517`, `--0517`, `--05-17`, a date-time) as a date; a date
/// without a year gets [`ContactDate::NO_YEAR`], as does one whose year `X-APPLE-OMIT-YEAR` names.
pub(super) fn vcard_date(p: &Property) -> Option<ContactDate> {
    let v = p.text_value();
    let v = v.trim();
    if let Some(rest) = v.strip_prefix("--") {
        let digits: String = rest.chars().filter(|c| *c != '-').collect();
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let month = digits[..2].parse().ok()?;
        let day = digits[2..].parse().ok()?;
        return ContactDate::new(ContactDate::NO_YEAR, month, day);
    }
    let (date, time) = match v.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (v, None),
    };
    let digits: String = date.chars().filter(|c| *c != '-').collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, month, day) = (
        digits[..4].parse().ok()?,
        digits[4..6].parse().ok()?,
        digits[6..].parse().ok()?,
    );
    let mut d = ContactDate::new(year, month, day)?;
    // A date-time in UTC is read the way an EAS date is (date.rs): exporters that store
    // birthdays as local midnight write `1980-05-16T22:00:00Z`.
    if let Some(t) = time.filter(|t| t.ends_with(['Z', 'z'])) {
        let compact: String = t.chars().filter(|c| *c != ':').collect();
        let hhmmss: String = compact.chars().take(6).collect();
        if hhmmss.len() == 6 {
            let instant = format!("{:04}{:02}{:02}T{hhmmss}Z", d.year(), d.month(), d.day());
            if let Some(r) =
                EasDateTime::parse(&instant).and_then(|i| ContactDate::from_instant(i, None))
            {
                d = r;
            }
        }
    }
    let omitted = p
        .param("X-APPLE-OMIT-YEAR")
        .any(|y| y.parse::<u16>().ok() == Some(d.year()));
    if omitted {
        d = ContactDate::new(ContactDate::NO_YEAR, d.month(), d.day())?;
    }
    Some(d)
}

/// The URI scheme at the start of a value (`xmpp:`), if it has one.
pub(super) fn scheme_of(v: &str) -> Option<&str> {
    let colon = v.find(':')?;
    let scheme = &v[..colon];
    let valid = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| &v[..=colon])
}

/// Which phone fields a `TEL` may fill, best first, and whether its type said so (typed
/// numbers are placed before untyped ones).
fn phone_slots(p: &Property) -> (Vec<Field>, bool) {
    let types = p.types();
    let has = |t: &str| types.iter().any(|x| x == t);
    let any = |f: &dyn Fn(&str) -> bool| types.iter().any(|x| f(x));
    let slots = if any(&|t| t.contains("ASSISTANT")) {
        vec![Field::AssistantPhoneNumber]
    } else if any(&|t| t.contains("RADIO")) {
        vec![Field::RadioPhoneNumber]
    } else if has("X-MMS") {
        vec![Field::Mms]
    } else if has("FAX") {
        if has("HOME") {
            vec![Field::HomeFaxNumber]
        } else if has("WORK") {
            vec![Field::BusinessFaxNumber]
        } else {
            vec![Field::BusinessFaxNumber, Field::HomeFaxNumber]
        }
    } else if has("PAGER") {
        vec![Field::PagerNumber]
    } else if has("CAR") {
        vec![Field::CarPhoneNumber]
    } else if has("CELL") || has("IPHONE") || has("MOBILE") {
        vec![Field::MobilePhoneNumber]
    } else if has("MAIN") || has("MAIN-NUMBER") {
        vec![Field::CompanyMainPhone]
    } else if has("WORK") {
        vec![Field::BusinessPhoneNumber, Field::Business2PhoneNumber]
    } else if has("HOME") {
        vec![Field::HomePhoneNumber, Field::Home2PhoneNumber]
    } else {
        return (
            vec![
                Field::HomePhoneNumber,
                Field::Home2PhoneNumber,
                Field::BusinessPhoneNumber,
                Field::Business2PhoneNumber,
            ],
            false,
        );
    };
    (slots, true)
}

/// The address an `ADR` names by its type, if it names one.
fn address_kind(p: &Property) -> Option<AddressKind> {
    if p.has_type("WORK") {
        Some(AddressKind::Business)
    } else if p.has_type("HOME") {
        Some(AddressKind::Home)
    } else {
        None
    }
}

struct Builder {
    c: Contact,
    labels: BTreeMap<String, String>,
    consumed_groups: BTreeSet<String>,
    emails: Vec<Property>,
    phones: Vec<Property>,
    addresses: Vec<Property>,
    ims: Vec<Property>,
    formatted_name: Option<Property>,
    evolution_file_as: Option<Property>,
}

impl Builder {
    fn label(&self, p: &Property) -> Option<&str> {
        self.labels.get(p.group.as_ref()?).map(String::as_str)
    }

    fn extra(&mut self, p: Property) {
        self.c.vcard.extra.push(p);
    }

    /// Fills an empty text field from `p` (remembering where it came from), or keeps `p` as an
    /// extra when the field is taken.
    fn text_slot(&mut self, field: Field, value: String, p: Property) {
        if value.trim().is_empty() {
            return;
        }
        if self.c.text(field).is_some() {
            self.extra(p);
            return;
        }
        self.c.set_text(field, Some(value));
        self.c.vcard.origins.insert(field, Origin::of(&p));
    }

    fn date_slot(&mut self, field: Field, p: Property) {
        match vcard_date(&p) {
            Some(d) if self.c.date(field).is_none() => {
                self.c.set_date(field, Some(d));
                self.c.vcard.origins.insert(field, Origin::of(&p));
            }
            _ => self.extra(p),
        }
    }

    fn consume_label(&mut self, p: &Property) {
        if let Some(g) = &p.group {
            self.consumed_groups.insert(g.clone());
        }
    }

    /// A related person: spouse, child, assistant or manager.
    fn related(&mut self, field: Field, value: String, p: Property, consume: bool) {
        if consume {
            self.consume_label(&p);
        }
        if field == Field::Children {
            self.c.children.push(value);
        } else {
            self.text_slot(field, value, p);
        }
    }

    fn property(&mut self, p: Property) {
        let name = p.name.as_str();
        let label = self.label(&p).map(str::to_string);
        match name {
            "VERSION" | "PRODID" | "REV" => {}
            "FN" if self.formatted_name.is_none() => self.formatted_name = Some(p),
            "X-EVOLUTION-FILE-AS" if self.evolution_file_as.is_none() => {
                self.evolution_file_as = Some(p)
            }
            "N" if !self.c.vcard.origins.contains_key(&Field::LastName) => self.name(p),
            "NICKNAME" if self.c.nick_name.is_none() => {
                let mut values: Vec<String> = p.components().into_iter().flatten().collect();
                values.retain(|v| !v.trim().is_empty());
                if values.is_empty() {
                    return;
                }
                let first = values.remove(0);
                if !values.is_empty() {
                    let rest = Property::structured("NICKNAME", &[values])
                        .with_group(p.group.clone())
                        .with_params(p.params.clone());
                    self.extra(rest);
                }
                self.text_slot(Field::NickName, first, p);
            }
            "ORG" if self.c.company_name.is_none() && self.c.department.is_none() => {
                let comps = p.components();
                let mut units = comps.iter().map(|c| c.join(","));
                let company = units.next().unwrap_or_default();
                let department = units.next().unwrap_or_default();
                self.c.vcard.org_units = units.collect();
                self.c.set_text(Field::Department, Some(department));
                self.c.set_text(Field::CompanyName, Some(company));
                self.c
                    .vcard
                    .origins
                    .insert(Field::CompanyName, Origin::of(&p));
            }
            "TITLE" => self.text_slot(Field::JobTitle, p.text_value(), p),
            "EMAIL" => self.emails.push(p),
            "TEL" => self.phones.push(p),
            "ADR" => self.addresses.push(p),
            "IMPP" => self.ims.push(p),
            n if IM_NAMES.contains(&n) => self.ims.push(p),
            "URL" => self.text_slot(Field::WebPage, p.text_value(), p),
            "BDAY" => self.date_slot(Field::Birthday, p),
            n if ANNIVERSARY_NAMES.contains(&n) => self.date_slot(Field::Anniversary, p),
            "X-ABDATE"
                if label.as_deref() == Some(APPLE_ANNIVERSARY) && self.c.anniversary.is_none() =>
            {
                self.consume_label(&p);
                self.date_slot(Field::Anniversary, p);
            }
            "NOTE" if self.c.notes.is_none() => self.c.notes = Some(Notes::plain(p.text_value())),
            "PHOTO" if self.c.picture.is_none() => match inline_binary(&p) {
                Some(bytes) if !bytes.is_empty() => self.c.picture = Some(Picture(bytes)),
                _ => self.extra(p),
            },
            "CATEGORIES" => {
                let values = p.components().into_iter().flatten();
                self.c
                    .categories
                    .extend(values.filter(|v| !v.trim().is_empty()));
            }
            "RELATED" => {
                let text_value = p.param("VALUE").any(|v| v.eq_ignore_ascii_case("text"))
                    || scheme_of(p.value.trim()).is_none();
                let field = if p.has_type("SPOUSE") {
                    Some(Field::Spouse)
                } else if p.has_type("CHILD") {
                    Some(Field::Children)
                } else if p.has_type("X-ASSISTANT") {
                    Some(Field::AssistantName)
                } else if p.has_type("X-MANAGER") {
                    Some(Field::ManagerName)
                } else {
                    None
                };
                match field.filter(|_| text_value) {
                    Some(f) => self.related(f, p.text_value(), p, false),
                    None => self.extra(p),
                }
            }
            "X-ABRELATEDNAMES" => {
                let field = match label.as_deref() {
                    Some(APPLE_SPOUSE) => Some(Field::Spouse),
                    Some(APPLE_CHILD) => Some(Field::Children),
                    Some(APPLE_ASSISTANT) => Some(Field::AssistantName),
                    Some(APPLE_MANAGER) => Some(Field::ManagerName),
                    _ if p.has_type("SPOUSE") => Some(Field::Spouse),
                    _ if p.has_type("CHILD") => Some(Field::Children),
                    _ if p.has_type("ASSISTANT") => Some(Field::AssistantName),
                    _ if p.has_type("MANAGER") => Some(Field::ManagerName),
                    _ => None,
                };
                match field {
                    Some(f) => self.related(f, p.text_value(), p, true),
                    None => self.extra(p),
                }
            }
            n if SPOUSE_NAMES.contains(&n) => self.text_slot(Field::Spouse, p.text_value(), p),
            n if ASSISTANT_NAMES.contains(&n) => {
                self.text_slot(Field::AssistantName, p.text_value(), p)
            }
            n if MANAGER_NAMES.contains(&n) => {
                self.text_slot(Field::ManagerName, p.text_value(), p)
            }
            n if CHILD_NAMES.contains(&n) => {
                let values = p.components().into_iter().flatten();
                self.c
                    .children
                    .extend(values.filter(|v| !v.trim().is_empty()));
            }
            n if OFFICE_NAMES.contains(&n) => {
                self.text_slot(Field::OfficeLocation, p.text_value(), p)
            }
            "X-PHONETIC-FIRST-NAME" => self.text_slot(Field::YomiFirstName, p.text_value(), p),
            "X-PHONETIC-LAST-NAME" => self.text_slot(Field::YomiLastName, p.text_value(), p),
            "X-PHONETIC-ORG" => self.text_slot(Field::YomiCompanyName, p.text_value(), p),
            CUSTOMER_ID => self.text_slot(Field::CustomerId, p.text_value(), p),
            GOVERNMENT_ID => self.text_slot(Field::GovernmentId, p.text_value(), p),
            ACCOUNT_NAME => self.text_slot(Field::AccountName, p.text_value(), p),
            _ => self.extra(p),
        }
    }

    /// `N`: family; given; additional; prefix; suffix (RFC 6350 6.2.2). A component with several
    /// values keeps them comma-separated; components past the fifth (RFC 9554) are kept.
    fn name(&mut self, p: Property) {
        let comps: Vec<String> = p.components().into_iter().map(|c| c.join(",")).collect();
        let part = |i: usize| comps.get(i).cloned();
        self.c.set_text(Field::LastName, part(0));
        self.c.set_text(Field::FirstName, part(1));
        self.c.set_text(Field::MiddleName, part(2));
        self.c.set_text(Field::Title, part(3));
        self.c.set_text(Field::Suffix, part(4));
        let mut origin = Origin::of(&p);
        if comps.len() > 5 {
            origin.hidden = comps[5..].to_vec();
        }
        self.c.vcard.origins.insert(Field::LastName, origin);
    }

    /// E-mail addresses by preference into Email1..3, the others kept.
    fn place_emails(&mut self) {
        let mut emails = std::mem::take(&mut self.emails);
        emails.retain(|p| !p.text_value().trim().is_empty());
        emails.sort_by_key(rank);
        let mut free = Field::EMAILS.iter().copied();
        for p in emails {
            let value = p.text_value();
            match free.next() {
                Some(f) => self.text_slot(f, value, p),
                None => self.extra(p),
            }
        }
    }

    /// Instant-messaging addresses into IMAddress..3 without their URI scheme, the others kept.
    fn place_ims(&mut self) {
        let mut ims = std::mem::take(&mut self.ims);
        ims.retain(|p| !p.text_value().trim().is_empty());
        ims.sort_by_key(rank);
        let mut free = Field::IMS.iter().copied();
        for p in ims {
            let strip = p.name == "IMPP";
            let field = free.next();
            self.uri_slot(field, p, |_| strip);
        }
    }

    /// Phone numbers: typed ones first, each into the first free field of its kind.
    fn place_phones(&mut self) {
        let mut phones = std::mem::take(&mut self.phones);
        phones.sort_by_key(rank);
        let (typed, untyped): (Vec<_>, Vec<_>) = phones.into_iter().partition(|p| phone_slots(p).1);
        for p in typed.into_iter().chain(untyped) {
            let field = phone_slots(&p)
                .0
                .into_iter()
                .find(|f| self.c.text(*f).is_none());
            self.uri_slot(field, p, |s| s.eq_ignore_ascii_case("tel:"));
        }
    }

    /// Fills `field` from a property whose value may be a URI: a scheme `strip` accepts is
    /// taken off the value and remembered in the origin. Without a field, the property is kept.
    fn uri_slot(&mut self, field: Option<Field>, p: Property, strip: impl Fn(&str) -> bool) {
        let raw = p.text_value();
        let scheme = scheme_of(&raw).filter(|s| strip(s)).map(str::to_string);
        let value = raw[scheme.as_ref().map_or(0, String::len)..].to_string();
        match field {
            Some(f) if !value.trim().is_empty() => {
                self.text_slot(f, value, p);
                if let Some(o) = self.c.vcard.origins.get_mut(&f) {
                    o.scheme = scheme;
                }
            }
            _ => self.extra(p),
        }
    }

    /// Addresses: a typed one into its own address, then untyped ones into the other address
    /// (or a free home or business one), then typed ones left over into the other address.
    fn place_addresses(&mut self) {
        let mut adrs = std::mem::take(&mut self.addresses);
        adrs.sort_by_key(rank);
        let (typed, untyped): (Vec<_>, Vec<_>) =
            adrs.into_iter().partition(|p| address_kind(p).is_some());
        let mut overflow = Vec::new();
        for p in typed {
            let own = address_kind(&p).unwrap_or(AddressKind::Other);
            if let Some(p) = self.place_address(p, &[own]) {
                overflow.push(p);
            }
        }
        for p in untyped {
            if let Some(p) = self.place_address(
                p,
                &[AddressKind::Other, AddressKind::Home, AddressKind::Business],
            ) {
                self.extra(p);
            }
        }
        for p in overflow {
            if let Some(p) = self.place_address(p, &[AddressKind::Other]) {
                self.extra(p);
            }
        }
    }

    /// Puts an address into the first free kind of `kinds`; gives it back if none is free.
    fn place_address(&mut self, p: Property, kinds: &[AddressKind]) -> Option<Property> {
        let comps: Vec<String> = p.components().into_iter().map(|c| c.join(",")).collect();
        if comps.iter().all(|c| c.trim().is_empty()) {
            return None;
        }
        let free = kinds
            .iter()
            .copied()
            .find(|k| address_fields(*k).iter().all(|f| self.c.text(*f).is_none()));
        let Some(kind) = free else {
            return Some(p);
        };
        let fields = address_fields(kind);
        // ADR: post office box; extended address; street; locality; region; postal code;
        // country (RFC 6350 6.3.1). EAS orders street, city, state, postal code, country.
        for (i, f) in fields.iter().enumerate() {
            self.c.set_text(*f, comps.get(i + 2).cloned());
        }
        let mut origin = Origin::of(&p);
        origin.hidden = comps;
        // Keep all seven components, so the post office box survives a short ADR.
        if origin.hidden.len() < 7 {
            origin.hidden.resize(7, String::new());
        }
        self.c.vcard.origins.insert(fields[0], origin);
        None
    }

    fn finish(mut self) -> Contact {
        self.place_emails();
        self.place_phones();
        self.place_addresses();
        self.place_ims();
        match (self.evolution_file_as.take(), self.formatted_name.take()) {
            (Some(file_as), fn_prop) => {
                self.c.vcard.formatted_name =
                    fn_prop.map(|p| p.text_value()).filter(|v| !v.is_empty());
                self.text_slot(Field::FileAs, file_as.text_value(), file_as);
            }
            (None, Some(fn_prop)) => self.text_slot(Field::FileAs, fn_prop.text_value(), fn_prop),
            (None, None) => {}
        }
        let consumed = std::mem::take(&mut self.consumed_groups);
        self.c.vcard.extra.retain(|p| {
            !(p.name == "X-ABLABEL" && p.group.as_ref().is_some_and(|g| consumed.contains(g)))
        });
        self.c.children.retain(|v| !v.trim().is_empty());
        self.c
    }
}

/// One card's properties as a contact.
fn card_to_contact(props: Vec<Property>) -> Contact {
    let props: Vec<Property> = props.into_iter().map(decode_legacy).collect();
    let labels = props
        .iter()
        .filter(|p| p.name == "X-ABLABEL")
        .filter_map(|p| Some((p.group.clone()?, p.text_value())))
        .collect();
    let mut b = Builder {
        c: Contact::default(),
        labels,
        consumed_groups: BTreeSet::new(),
        emails: Vec::new(),
        phones: Vec::new(),
        addresses: Vec::new(),
        ims: Vec::new(),
        formatted_name: None,
        evolution_file_as: None,
    };
    for p in props {
        b.property(p);
    }
    b.finish()
}
