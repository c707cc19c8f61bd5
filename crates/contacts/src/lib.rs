//! The Contact class of Exchange ActiveSync as pure domain logic, with no I/O: the model every
//! part of the server that handles contacts uses (the contacts service's store, the edge's
//! Contacts class, GAL search, ResolveRecipients, the admin vCard import and export).
//!
//! - [`Contact`]: every element of MS-ASCNTC 2.2.2, Contacts (code page 1) and Contacts2 (code
//!   page 12), notes as `airsyncbase:Body` (2.2.2.7.1), `Picture` (2.2.2.58), `Categories`
//!   (2.2.2.19), `Children` (2.2.2.21); plus [`VCardMeta`], what a vCard carried that EAS has no
//!   slot for, kept so that it survives a phone's edit. [`Field`] names the properties.
//! - [`stored`]: the versioned JSON form the store persists.
//! - [`eas`]: [`eas::render`] for 12.0 to 16.1 (MS-ASCNTC 3.2.5.3), [`eas::parse`] of a phone's
//!   `ApplicationData` into a [`eas::ContactChange`] recording which fields were present, and
//!   [`eas::apply`] with ghosting (MS-ASCMD 2.2.3.179, `Supported`), the notes rule of
//!   MS-ASCNTC 3.1.5.4 (R461), iOS's empty `Picture`, and the 48 KB picture limit of
//!   MS-ASCNTC 2.2.2.58 (R381, R384: Sync status 6, [`eas::ParseError::sync_status`]).
//! - [`ContactDate`]: birthdays and anniversaries (MS-ASCNTC 2.2.2.3, 2.2.2.6) as calendar dates
//!   that no client's time-of-day convention moves by a day.
//! - [`vcard`]: vCard 3.0 (RFC 2426) and 4.0 (RFC 6350) import and export, vCard 2.1 import.
//!
//! See `docs/contacts-model.md` for the field-by-field vCard mapping and the rules.

pub mod contact;
pub mod date;
pub mod eas;
pub mod stored;
pub mod vcard;

pub use contact::{
    bare_address, differing_fields, field_text, Contact, Field, FieldKind, FieldSet, Notes,
    NotesFormat, Picture, SupportedSet, PHONE_FIELDS,
};
pub use date::ContactDate;
pub use vcard::VCardMeta;
