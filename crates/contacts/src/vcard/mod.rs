//! vCard 3.0 (RFC 2426) and 4.0 (RFC 6350) import and export, and vCard 2.1 import (what
//! Android exports), several contacts per file.
//!
//! Every property EAS carries maps to its field ([`import`], [`export`]; the table is in
//! `docs/contacts-model.md`); what EAS has no slot for (a fourth e-mail address, a second mobile
//! number, `ROLE`, `GEO`, `X-` properties, ...) is kept in [`VCardMeta`] and written back as it
//! came, with the vCard groups and parameters of the properties the EAS fields came from.
//!
//! The content-line syntax is this crate's own ([`syntax`]): `calcard`, the maintained crate
//! compared in PIM_FACTS 7.2, merges the `;` structure of unknown properties into one escaped
//! text (Android's `X-ANDROID-CUSTOM:vnd...;Yu;;` comes back as `vnd...\;Yu\;\;`), escapes the
//! comma of `data:` URIs in 4.0 (`base64\,`), writes the 2.1 `CHARSET` parameter into 3.0, and
//! needs Rust 1.88 and chrono-tz; the other crates are 4.0-only, generators only or unmaintained.

mod export;
mod import;
pub mod syntax;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use export::{export, export_one};
pub use import::import;
pub use syntax::{Param, Property};

use crate::contact::Field;

/// The vCard versions written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VCardVersion {
    /// RFC 2426.
    V3,
    /// RFC 6350.
    V4,
}

impl VCardVersion {
    pub const fn as_str(self) -> &'static str {
        match self {
            VCardVersion::V3 => "3.0",
            VCardVersion::V4 => "4.0",
        }
    }
}

/// A file that is not a sequence of vCards.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VCardError {
    #[error(transparent)]
    Syntax(#[from] syntax::SyntaxError),
    #[error("line {line}: {name} outside BEGIN:VCARD ... END:VCARD")]
    OutsideCard { line: usize, name: String },
    #[error("line {line}: a vCard inside a vCard (vCard 2.1 AGENT) is not supported")]
    NestedCard { line: usize },
    #[error("the vCard that begins on line {line} has no END:VCARD")]
    Unterminated { line: usize },
    #[error("no vCard in the file")]
    Empty,
}

/// Where an EAS field's value came from in a vCard: the property's group, name and parameters,
/// reused when the contact is exported again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    /// For an address: the post office box and extended address, which EAS has no slot for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<String>,
    /// The URI scheme taken off an `IMPP` value (`xmpp:`), put back on export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
}

impl Origin {
    fn of(p: &Property) -> Origin {
        Origin {
            group: p.group.clone(),
            name: p.name.clone(),
            params: p.params.clone(),
            hidden: Vec::new(),
            scheme: None,
        }
    }
}

/// What a vCard carried beyond the EAS properties.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VCardMeta {
    /// The vCard property each EAS field came from. An address is kept under its street field.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub origins: BTreeMap<Field, Origin>,
    /// Properties EAS has no slot for, in file order, written back as they came.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<Property>,
    /// `FN`, when FileAs came from another property (`X-EVOLUTION-FILE-AS`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted_name: Option<String>,
    /// `ORG` units after the department.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub org_units: Vec<String>,
}

impl VCardMeta {
    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
            && self.extra.is_empty()
            && self.formatted_name.is_none()
            && self.org_units.is_empty()
    }

    /// Drops what was remembered about a field whose value went away. An address keeps its
    /// details until all its fields are gone ([`VCardMeta::prune`]).
    pub fn forget(&mut self, field: Field) {
        if export::address_containing(field).is_some() {
            return;
        }
        self.origins.remove(&field);
        if field == Field::Department {
            self.org_units.clear();
        }
    }

    /// Drops the details of addresses that have no field left.
    pub fn prune(&mut self, contact_has: impl Fn(Field) -> bool) {
        for fields in export::ADDRESSES.iter().map(|a| a.fields) {
            if !fields.iter().any(|f| contact_has(*f)) {
                self.origins.remove(&fields[0]);
            }
        }
    }

    /// Copies what `other` remembered about a field.
    pub fn copy_origin(&mut self, field: Field, other: &VCardMeta) {
        match other.origins.get(&field) {
            Some(o) => {
                self.origins.insert(field, o.clone());
            }
            None => {
                self.origins.remove(&field);
            }
        }
    }

    /// The text values of the extra properties of one name.
    pub fn extra_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = String> + 'a {
        self.extra
            .iter()
            .filter(move |p| p.name.eq_ignore_ascii_case(name))
            .map(Property::text_value)
    }
}

#[cfg(test)]
mod tests;
