//! A phone's change applied to the stored contact, with ghosting (MS-ASCMD 2.2.3.179) and the
//! rules real phones need (PIM_FACTS 1.9, 3.1, 6).

use eas_protocol::body::truncate_utf8;

use super::parse::{ContactChange, Incoming};
use super::picture_fits;
use crate::contact::{Contact, Field, Notes, SupportedSet};
use crate::date::ContactDate;

/// What an empty `Picture` element in a change means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmptyPicture {
    /// Keep the photo. iOS 8.2 and later send an empty `Picture` on every edit of a contact
    /// whose photo came from the server (Horde's `QUIRK_INCORRECTLY_SENDS_EMPTY_PICTURE_TAG`,
    /// PIM_FACTS 3.1 and 6.16); a phone removes a photo by leaving a non-ghosted `Picture` out.
    #[default]
    Keep,
    /// Delete the photo, as an empty element means for every other field.
    Delete,
}

/// What leaving a field out means for a client that sent no `Supported` list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WithoutSupported {
    /// MS-ASCMD 2.2.3.179 (R5906, R5912): nothing is ghosted, an omitted field is deleted. A
    /// client without `Supported` must send the whole contact; one that does not know a field
    /// (PIM_FACTS 6.17) wipes it.
    #[default]
    DeleteOmitted,
    /// Z-Push's default (`UNSET_UNDEFINED_PROPERTIES` false): everything is ghosted. Nothing a
    /// client does not know is wiped, but a field the user cleared on such a phone comes back
    /// unless the phone sends it empty. For devices known to send partial changes.
    KeepOmitted,
}

/// Choices the caller makes per device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    pub empty_picture: EmptyPicture,
    pub without_supported: WithoutSupported,
    /// The `TruncationSize` the notes were last sent to this device with, if any. A phone that
    /// sends back exactly the truncated text did not edit the notes (MS-ASCNTC 3.1.5.4): the
    /// whole notes are kept.
    pub notes_truncated_at: Option<u32>,
}

/// [`apply_with`] with the default options.
pub fn apply(
    stored: &Contact,
    change: &ContactChange,
    supported: Option<&SupportedSet>,
) -> Contact {
    apply_with(stored, change, supported, &ApplyOptions::default())
}

/// A new contact from a phone's `Add`: every field it sent, nothing else.
pub fn create(change: &ContactChange) -> Contact {
    apply(&Contact::default(), change, None)
}

/// The stored contact after a phone's `Change`. `supported` is the collection's cached
/// `Supported` list, `None` if the client sent none.
///
/// For each field:
/// - sent with a value: the value. A date is read against the stored one, so the unchanged
///   birthday a phone sends back in its own time-of-day form stays on its day (date.rs);
/// - sent empty: deleted (an empty `Picture`: see [`EmptyPicture`]);
/// - not sent, and ghosted (MS-ASCMD 2.2.3.179, R5911): kept. With no `Supported` nothing is
///   ghosted (R5906; [`WithoutSupported`] can say otherwise); with a list, what it does not name
///   is (R5907, R5908); an empty list ghosts everything (R5909);
/// - not sent and not ghosted: deleted (R5912), except the notes, which a change without `Body`
///   never deletes (MS-ASCNTC 3.1.5.4, R461), and a picture over the size limit, which the
///   phone never received ([`super::render_with`] leaves it out).
///
/// What a vCard carried beyond the EAS fields (a fourth e-mail, a second mobile number, ...) is
/// not an EAS field and is always kept.
pub fn apply_with(
    stored: &Contact,
    change: &ContactChange,
    supported: Option<&SupportedSet>,
    options: &ApplyOptions,
) -> Contact {
    let mut out = stored.clone();
    for field in Field::ALL.iter().copied() {
        match change.get(field) {
            None => {
                if omission_deletes(field, stored, supported, options.without_supported) {
                    out.clear(field);
                }
            }
            Some(Incoming::Empty) => {
                let keep = field == Field::Picture && options.empty_picture == EmptyPicture::Keep;
                if !keep {
                    out.clear(field);
                }
            }
            Some(Incoming::Text(v)) => out.set_text(field, Some(v.clone())),
            Some(Incoming::Date(instant)) => {
                let date = ContactDate::from_instant(*instant, stored.date(field));
                out.set_date(field, date);
            }
            Some(Incoming::List(values)) => out.set_list(field, values.clone()),
            Some(Incoming::Picture(p)) => out.picture = Some(p.clone()),
            Some(Incoming::Notes(n)) => {
                if !echoes_truncated_notes(stored, n, options.notes_truncated_at) {
                    out.notes = Some(n.clone());
                }
            }
        }
    }
    let present: Vec<Field> = out.fields().collect();
    out.vcard.prune(|f| present.contains(&f));
    out
}

/// Whether leaving `field` out of a change deletes it.
fn omission_deletes(
    field: Field,
    stored: &Contact,
    supported: Option<&SupportedSet>,
    without: WithoutSupported,
) -> bool {
    if field == Field::Body {
        return false;
    }
    let ghosted = match supported {
        Some(s) => !s.contains(field),
        None => without == WithoutSupported::KeepOmitted,
    };
    if ghosted {
        return false;
    }
    let unsent_picture =
        field == Field::Picture && stored.picture.as_ref().is_some_and(|p| !picture_fits(&p.0));
    !unsent_picture
}

/// Whether `incoming` is the stored notes cut at the truncation size they were sent with.
fn echoes_truncated_notes(stored: &Contact, incoming: &Notes, truncated_at: Option<u32>) -> bool {
    let (Some(limit), Some(notes)) = (truncated_at, stored.notes.as_ref()) else {
        return false;
    };
    let cut = truncate_utf8(&notes.text, limit as usize);
    cut.len() < notes.text.len() && incoming.text == cut
}
