//! The contact: every property of the Contact class (MS-ASCNTC 2.2.2, Contacts and Contacts2
//! code pages, notes as AirSyncBase `Body`), and what a vCard carried that EAS has no slot for.

use std::collections::{BTreeMap, BTreeSet};

use eas_wbxml::tags::{air_sync_base as asb, contacts as c, contacts2 as c2};
use eas_wbxml::{Element, Tag};
use serde::{Deserialize, Serialize};

use crate::date::ContactDate;
use crate::vcard::VCardMeta;

/// What kind of value a [`Field`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// A string (MS-ASDTYPE 2.7).
    Text,
    /// A dateTime read as a calendar date ([`ContactDate`]).
    Date,
    /// A container of strings: `Categories`/`Category`, `Children`/`Child`.
    List,
    /// `Picture`: base64 image data.
    Picture,
    /// `airsyncbase:Body`: the notes.
    Body,
}

/// Declares [`Field`] and [`Contact`] from one table, so the element, the struct member and the
/// serialized name of every property stay together.
macro_rules! contact_fields {
    (
        text { $( $(#[$tdoc:meta])* $member:ident : $tvariant:ident = $ttag:path, )* }
        other { $( $(#[$odoc:meta])* $ovariant:ident = $otag:path => $okind:ident, )* }
    ) => {
        /// A property of the Contact class. The order is the order of rendering.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Field {
            $( $(#[$tdoc])* $tvariant, )*
            $( $(#[$odoc])* $ovariant, )*
        }

        impl Field {
            /// Every field.
            pub const ALL: &'static [Field] = &[$(Field::$tvariant,)* $(Field::$ovariant,)*];

            /// The element of the field.
            pub const fn tag(self) -> Tag {
                match self {
                    $( Field::$tvariant => $ttag, )*
                    $( Field::$ovariant => $otag, )*
                }
            }

            /// What the field holds.
            pub const fn kind(self) -> FieldKind {
                match self {
                    $( Field::$tvariant => FieldKind::Text, )*
                    $( Field::$ovariant => FieldKind::$okind, )*
                }
            }
        }

        /// A contact. Text properties are `None` when absent (never `Some("")`).
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct Contact {
            $(
                $(#[$tdoc])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $member: Option<String>,
            )*
            /// MS-ASCNTC 2.2.2.6.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub birthday: Option<ContactDate>,
            /// MS-ASCNTC 2.2.2.3: the wedding anniversary.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub anniversary: Option<ContactDate>,
            /// MS-ASCNTC 2.2.2.19: at most 300 labels.
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub categories: Vec<String>,
            /// MS-ASCNTC 2.2.2.21: at most 300 names.
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub children: Vec<String>,
            /// The notes (MS-ASCNTC 2.2.2.7.1, airsyncbase:Body).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub notes: Option<Notes>,
            /// The photo (MS-ASCNTC 2.2.2.58), as image bytes.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub picture: Option<Picture>,
            /// What a vCard carried beyond the EAS properties, kept for export.
            #[serde(skip_serializing_if = "VCardMeta::is_empty")]
            pub vcard: VCardMeta,
        }

        impl Contact {
            /// The value of a text field; `None` for other kinds.
            pub fn text(&self, field: Field) -> Option<&str> {
                match field {
                    $( Field::$tvariant => self.$member.as_deref(), )*
                    _ => None,
                }
            }

            /// The slot of a text field; `None` for other kinds.
            pub fn text_mut(&mut self, field: Field) -> Option<&mut Option<String>> {
                match field {
                    $( Field::$tvariant => Some(&mut self.$member), )*
                    _ => None,
                }
            }
        }
    };
}

contact_fields! {
    text {
        /// MS-ASCNTC 2.2.2.4
        assistant_name: AssistantName = c::ASSISTANT_NAME,
        /// MS-ASCNTC 2.2.2.5
        assistant_phone_number: AssistantPhoneNumber = c::ASSISTANT_PHONE_NUMBER,
        /// MS-ASCNTC 2.2.2.17
        business2_phone_number: Business2PhoneNumber = c::BUSINESS2_PHONE_NUMBER,
        /// MS-ASCNTC 2.2.2.10
        business_address_city: BusinessAddressCity = c::BUSINESS_ADDRESS_CITY,
        /// MS-ASCNTC 2.2.2.11
        business_address_country: BusinessAddressCountry = c::BUSINESS_ADDRESS_COUNTRY,
        /// MS-ASCNTC 2.2.2.12
        business_address_postal_code: BusinessAddressPostalCode = c::BUSINESS_ADDRESS_POSTAL_CODE,
        /// MS-ASCNTC 2.2.2.13
        business_address_state: BusinessAddressState = c::BUSINESS_ADDRESS_STATE,
        /// MS-ASCNTC 2.2.2.14
        business_address_street: BusinessAddressStreet = c::BUSINESS_ADDRESS_STREET,
        /// MS-ASCNTC 2.2.2.15
        business_fax_number: BusinessFaxNumber = c::BUSINESS_FAX_NUMBER,
        /// MS-ASCNTC 2.2.2.16
        business_phone_number: BusinessPhoneNumber = c::BUSINESS_PHONE_NUMBER,
        /// MS-ASCNTC 2.2.2.18
        car_phone_number: CarPhoneNumber = c::CAR_PHONE_NUMBER,
        /// MS-ASCNTC 2.2.2.24
        company_name: CompanyName = c::COMPANY_NAME,
        /// MS-ASCNTC 2.2.2.26
        department: Department = c::DEPARTMENT,
        /// MS-ASCNTC 2.2.2.27
        email1_address: Email1Address = c::EMAIL1_ADDRESS,
        /// MS-ASCNTC 2.2.2.28
        email2_address: Email2Address = c::EMAIL2_ADDRESS,
        /// MS-ASCNTC 2.2.2.29
        email3_address: Email3Address = c::EMAIL3_ADDRESS,
        /// MS-ASCNTC 2.2.2.30: how the contact is filed; vCard `FN`.
        file_as: FileAs = c::FILE_AS,
        /// MS-ASCNTC 2.2.2.31
        first_name: FirstName = c::FIRST_NAME,
        /// MS-ASCNTC 2.2.2.40
        home2_phone_number: Home2PhoneNumber = c::HOME2_PHONE_NUMBER,
        /// MS-ASCNTC 2.2.2.33
        home_address_city: HomeAddressCity = c::HOME_ADDRESS_CITY,
        /// MS-ASCNTC 2.2.2.34
        home_address_country: HomeAddressCountry = c::HOME_ADDRESS_COUNTRY,
        /// MS-ASCNTC 2.2.2.35
        home_address_postal_code: HomeAddressPostalCode = c::HOME_ADDRESS_POSTAL_CODE,
        /// MS-ASCNTC 2.2.2.36
        home_address_state: HomeAddressState = c::HOME_ADDRESS_STATE,
        /// MS-ASCNTC 2.2.2.37
        home_address_street: HomeAddressStreet = c::HOME_ADDRESS_STREET,
        /// MS-ASCNTC 2.2.2.38
        home_fax_number: HomeFaxNumber = c::HOME_FAX_NUMBER,
        /// MS-ASCNTC 2.2.2.39
        home_phone_number: HomePhoneNumber = c::HOME_PHONE_NUMBER,
        /// MS-ASCNTC 2.2.2.44: the business title; vCard `TITLE`.
        job_title: JobTitle = c::JOB_TITLE,
        /// MS-ASCNTC 2.2.2.45
        last_name: LastName = c::LAST_NAME,
        /// MS-ASCNTC 2.2.2.47
        middle_name: MiddleName = c::MIDDLE_NAME,
        /// MS-ASCNTC 2.2.2.49
        mobile_phone_number: MobilePhoneNumber = c::MOBILE_PHONE_NUMBER,
        /// MS-ASCNTC 2.2.2.51
        office_location: OfficeLocation = c::OFFICE_LOCATION,
        /// MS-ASCNTC 2.2.2.52
        other_address_city: OtherAddressCity = c::OTHER_ADDRESS_CITY,
        /// MS-ASCNTC 2.2.2.53
        other_address_country: OtherAddressCountry = c::OTHER_ADDRESS_COUNTRY,
        /// MS-ASCNTC 2.2.2.54
        other_address_postal_code: OtherAddressPostalCode = c::OTHER_ADDRESS_POSTAL_CODE,
        /// MS-ASCNTC 2.2.2.55
        other_address_state: OtherAddressState = c::OTHER_ADDRESS_STATE,
        /// MS-ASCNTC 2.2.2.56
        other_address_street: OtherAddressStreet = c::OTHER_ADDRESS_STREET,
        /// MS-ASCNTC 2.2.2.57
        pager_number: PagerNumber = c::PAGER_NUMBER,
        /// MS-ASCNTC 2.2.2.59
        radio_phone_number: RadioPhoneNumber = c::RADIO_PHONE_NUMBER,
        /// MS-ASCNTC 2.2.2.60
        spouse: Spouse = c::SPOUSE,
        /// MS-ASCNTC 2.2.2.61
        suffix: Suffix = c::SUFFIX,
        /// MS-ASCNTC 2.2.2.62: the honorific before the name (vCard `N` prefix), as Outlook and
        /// every EAS client use it.
        title: Title = c::TITLE,
        /// MS-ASCNTC 2.2.2.63
        web_page: WebPage = c::WEB_PAGE,
        /// MS-ASCNTC 2.2.2.65
        yomi_company_name: YomiCompanyName = c::YOMI_COMPANY_NAME,
        /// MS-ASCNTC 2.2.2.66
        yomi_first_name: YomiFirstName = c::YOMI_FIRST_NAME,
        /// MS-ASCNTC 2.2.2.67
        yomi_last_name: YomiLastName = c::YOMI_LAST_NAME,
        /// MS-ASCNTC 2.2.2.1 (Contacts2).
        account_name: AccountName = c2::ACCOUNT_NAME,
        /// MS-ASCNTC 2.2.2.23 (Contacts2).
        company_main_phone: CompanyMainPhone = c2::COMPANY_MAIN_PHONE,
        /// MS-ASCNTC 2.2.2.25 (Contacts2).
        customer_id: CustomerId = c2::CUSTOMER_ID,
        /// MS-ASCNTC 2.2.2.32 (Contacts2).
        government_id: GovernmentId = c2::GOVERNMENT_ID,
        /// MS-ASCNTC 2.2.2.41 (Contacts2).
        im_address: ImAddress = c2::IM_ADDRESS,
        /// MS-ASCNTC 2.2.2.42 (Contacts2).
        im_address2: ImAddress2 = c2::IM_ADDRESS2,
        /// MS-ASCNTC 2.2.2.43 (Contacts2).
        im_address3: ImAddress3 = c2::IM_ADDRESS3,
        /// MS-ASCNTC 2.2.2.46 (Contacts2).
        manager_name: ManagerName = c2::MANAGER_NAME,
        /// MS-ASCNTC 2.2.2.48 (Contacts2): the MMS address.
        mms: Mms = c2::MMS,
        /// MS-ASCNTC 2.2.2.50 (Contacts2).
        nick_name: NickName = c2::NICK_NAME,
    }
    other {
        /// MS-ASCNTC 2.2.2.3
        Anniversary = c::ANNIVERSARY => Date,
        /// MS-ASCNTC 2.2.2.6
        Birthday = c::BIRTHDAY => Date,
        /// MS-ASCNTC 2.2.2.19
        Categories = c::CATEGORIES => List,
        /// MS-ASCNTC 2.2.2.21
        Children = c::CHILDREN => List,
        /// MS-ASCNTC 2.2.2.58
        Picture = c::PICTURE => Picture,
        /// MS-ASCNTC 2.2.2.7.1: the notes. Not ghostable; R461 has its own rule.
        Body = asb::BODY => Body,
    }
}

impl Field {
    /// The field of an element of the Contact class, if it is one.
    pub fn from_tag(tag: Tag) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.tag() == tag)
    }

    /// MS-ASCMD 2.2.3.179 and the `GhostingProps` of Contacts.xsd and Contacts2.xsd: every
    /// property the client can set except the notes (MS-ASCNTC 3.1.5.4 rules those).
    pub const fn ghostable(self) -> bool {
        !matches!(self, Field::Body)
    }

    /// The three e-mail slots, in order.
    pub const EMAILS: [Field; 3] = [
        Field::Email1Address,
        Field::Email2Address,
        Field::Email3Address,
    ];

    /// The three instant-messaging slots, in order.
    pub const IMS: [Field; 3] = [Field::ImAddress, Field::ImAddress2, Field::ImAddress3];
}

/// A set of fields: the `Supported` list of a Sync collection (MS-ASCMD 2.2.3.179), or an
/// ItemOperations `Schema` (MS-ASCNTC 3.2.5.1, R485).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldSet(BTreeSet<Field>);

/// The client's `Supported` list: the properties it manages, hence not ghosted.
pub type SupportedSet = FieldSet;

impl FieldSet {
    /// The fields named by the children of a `Supported` or `Schema` element. Elements of other
    /// classes (Calendar) and unknown ones are skipped.
    pub fn from_elements(children: &[Element]) -> FieldSet {
        FieldSet(
            children
                .iter()
                .filter_map(|e| Field::from_tag(e.tag))
                .collect(),
        )
    }

    /// The empty elements that name the fields, as a client writes them in `Supported`.
    pub fn to_elements(&self) -> Vec<Element> {
        self.0.iter().map(|f| Element::new(f.tag())).collect()
    }

    pub fn contains(&self, field: Field) -> bool {
        self.0.contains(&field)
    }

    pub fn insert(&mut self, field: Field) {
        self.0.insert(field);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Field> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Field> for FieldSet {
    fn from_iter<I: IntoIterator<Item = Field>>(iter: I) -> FieldSet {
        FieldSet(iter.into_iter().collect())
    }
}

/// The format of stored notes (MS-ASAIRS 2.2.2.41 body types the Contact class uses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotesFormat {
    #[default]
    Plain,
    Html,
    /// Base64 compressed RTF, as old Outlook clients send it; sent only to clients that ask
    /// for RTF.
    Rtf,
}

/// The notes of a contact.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notes {
    #[serde(default, skip_serializing_if = "is_plain")]
    pub format: NotesFormat,
    pub text: String,
}

fn is_plain(f: &NotesFormat) -> bool {
    *f == NotesFormat::Plain
}

impl Notes {
    /// Plain-text notes.
    pub fn plain(text: impl Into<String>) -> Notes {
        Notes {
            format: NotesFormat::Plain,
            text: text.into(),
        }
    }
}

/// A contact's photo: the image bytes (stored and serialized as base64).
#[derive(Clone, PartialEq, Eq)]
pub struct Picture(pub Vec<u8>);

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Picture({} bytes)", self.0.len())
    }
}

impl Picture {
    /// The image's media type, recognised from its first bytes.
    pub fn media_type(&self) -> Option<&'static str> {
        let b = self.0.as_slice();
        if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some("image/jpeg")
        } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some("image/png")
        } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
            Some("image/gif")
        } else if b.starts_with(b"BM") {
            Some("image/bmp")
        } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
            Some("image/webp")
        } else {
            None
        }
    }

    /// The base64 text of the image.
    pub fn to_base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&self.0)
    }

    /// Reads base64 text, ignoring line breaks and spaces (some clients wrap it).
    pub fn from_base64(text: &str) -> Option<Picture> {
        use base64::Engine as _;
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .ok()
            .map(Picture)
    }
}

impl Serialize for Picture {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for Picture {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Picture, D::Error> {
        let text = String::deserialize(d)?;
        Picture::from_base64(&text).ok_or_else(|| serde::de::Error::custom("picture is not base64"))
    }
}

impl Contact {
    /// Whether the field has a value.
    pub fn has(&self, field: Field) -> bool {
        match field.kind() {
            FieldKind::Text => self.text(field).is_some(),
            FieldKind::Date => self.date(field).is_some(),
            FieldKind::List => !self.list(field).is_empty(),
            FieldKind::Picture => self.picture.is_some(),
            FieldKind::Body => self.notes.is_some(),
        }
    }

    /// The value of a date field.
    pub fn date(&self, field: Field) -> Option<ContactDate> {
        match field {
            Field::Birthday => self.birthday,
            Field::Anniversary => self.anniversary,
            _ => None,
        }
    }

    fn date_mut(&mut self, field: Field) -> Option<&mut Option<ContactDate>> {
        match field {
            Field::Birthday => Some(&mut self.birthday),
            Field::Anniversary => Some(&mut self.anniversary),
            _ => None,
        }
    }

    /// The values of a list field (empty for other kinds).
    pub fn list(&self, field: Field) -> &[String] {
        match field {
            Field::Categories => &self.categories,
            Field::Children => &self.children,
            _ => &[],
        }
    }

    fn list_mut(&mut self, field: Field) -> Option<&mut Vec<String>> {
        match field {
            Field::Categories => Some(&mut self.categories),
            Field::Children => Some(&mut self.children),
            _ => None,
        }
    }

    /// Sets a text field; an empty or blank value clears it.
    pub fn set_text(&mut self, field: Field, value: Option<String>) {
        if let Some(slot) = self.text_mut(field) {
            *slot = value.filter(|v| !v.trim().is_empty());
        }
    }

    /// Removes the value of any field, and what the vCard import remembered about it.
    pub fn clear(&mut self, field: Field) {
        match field.kind() {
            FieldKind::Text => self.set_text(field, None),
            FieldKind::Date => {
                if let Some(d) = self.date_mut(field) {
                    *d = None;
                }
            }
            FieldKind::List => {
                if let Some(l) = self.list_mut(field) {
                    l.clear();
                }
            }
            FieldKind::Picture => self.picture = None,
            FieldKind::Body => self.notes = None,
        }
        self.vcard.forget(field);
    }

    /// Sets a date field.
    pub fn set_date(&mut self, field: Field, value: Option<ContactDate>) {
        if let Some(d) = self.date_mut(field) {
            *d = value;
        }
    }

    /// Sets a list field, dropping blank entries.
    pub fn set_list(&mut self, field: Field, values: Vec<String>) {
        if let Some(l) = self.list_mut(field) {
            *l = values
                .into_iter()
                .filter(|v| !v.trim().is_empty())
                .collect();
        }
    }

    /// Copies one field's value (and its vCard details) from `other`.
    pub fn copy_field(&mut self, field: Field, other: &Contact) {
        match field.kind() {
            FieldKind::Text => {
                if let Some(slot) = self.text_mut(field) {
                    *slot = other.text(field).map(str::to_string);
                }
            }
            FieldKind::Date => self.set_date(field, other.date(field)),
            FieldKind::List => {
                if let Some(l) = self.list_mut(field) {
                    *l = other.list(field).to_vec();
                }
            }
            FieldKind::Picture => self.picture = other.picture.clone(),
            FieldKind::Body => self.notes = other.notes.clone(),
        }
        self.vcard.copy_origin(field, &other.vcard);
    }

    /// The fields that have a value.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        Field::ALL.iter().copied().filter(|f| self.has(*f))
    }

    /// The name to show: FileAs, else the name parts, else the company, else the first e-mail
    /// address. For search indexes and the GAL.
    pub fn display_name(&self) -> Option<String> {
        if let Some(f) = &self.file_as {
            return Some(f.clone());
        }
        let parts: Vec<&str> = [
            &self.title,
            &self.first_name,
            &self.middle_name,
            &self.last_name,
            &self.suffix,
        ]
        .into_iter()
        .filter_map(|p| p.as_deref())
        .collect();
        if !parts.is_empty() {
            return Some(parts.join(" "));
        }
        self.company_name
            .clone()
            .or_else(|| self.email_addresses().into_iter().next())
    }

    /// Every e-mail address, the three EAS slots first, then those only a vCard carried; each
    /// reduced to its address (`"Jane" <jane@example.com>` gives `jane@example.com`), for
    /// indexes and recipient resolution.
    pub fn email_addresses(&self) -> Vec<String> {
        let mut out: Vec<String> = Field::EMAILS
            .iter()
            .filter_map(|f| self.text(*f))
            .map(bare_address)
            .collect();
        out.extend(self.vcard.extra_values("EMAIL").map(|v| bare_address(&v)));
        out.retain(|a| !a.is_empty());
        out
    }

    /// Every phone number: the EAS phone slots, then those only a vCard carried.
    pub fn phone_numbers(&self) -> Vec<String> {
        let mut out: Vec<String> = PHONE_FIELDS
            .iter()
            .filter_map(|f| self.text(*f).map(str::to_string))
            .collect();
        out.extend(self.vcard.extra_values("TEL"));
        out
    }

    /// The vCard `UID`, if the contact came from a vCard that had one.
    pub fn uid(&self) -> Option<String> {
        self.vcard.extra_values("UID").next()
    }
}

/// The phone-number fields, in the order a phone lists them.
pub const PHONE_FIELDS: [Field; 13] = [
    Field::MobilePhoneNumber,
    Field::HomePhoneNumber,
    Field::Home2PhoneNumber,
    Field::BusinessPhoneNumber,
    Field::Business2PhoneNumber,
    Field::CompanyMainPhone,
    Field::BusinessFaxNumber,
    Field::HomeFaxNumber,
    Field::CarPhoneNumber,
    Field::PagerNumber,
    Field::RadioPhoneNumber,
    Field::AssistantPhoneNumber,
    Field::Mms,
];

/// The address in `"Name" <addr>` or `addr`, as GRS normalises it (PIM_FACTS 3.1).
pub fn bare_address(value: &str) -> String {
    let v = value.trim();
    match (v.rfind('<'), v.rfind('>')) {
        (Some(open), Some(close)) if open < close => v[open + 1..close].trim().to_string(),
        _ => v.to_string(),
    }
}

/// Every value of a field as text, for comparing contacts field by field in tests and tools.
pub fn field_text(contact: &Contact, field: Field) -> Option<String> {
    match field.kind() {
        FieldKind::Text => contact.text(field).map(str::to_string),
        FieldKind::Date => contact.date(field).map(|d| d.to_string()),
        FieldKind::List => {
            let l = contact.list(field);
            (!l.is_empty()).then(|| l.join("\u{1F}"))
        }
        FieldKind::Picture => contact.picture.as_ref().map(Picture::to_base64),
        FieldKind::Body => contact.notes.as_ref().map(|n| n.text.clone()),
    }
}

/// The fields whose values differ between two contacts.
pub fn differing_fields(
    a: &Contact,
    b: &Contact,
) -> BTreeMap<Field, (Option<String>, Option<String>)> {
    Field::ALL
        .iter()
        .filter_map(|f| {
            let (x, y) = (field_text(a, *f), field_text(b, *f));
            (x != y).then_some((*f, (x, y)))
        })
        .collect()
}
