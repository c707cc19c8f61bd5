//! iCalendar (RFC 5545) import and export for the admin tools: files to [`Event`]s and back,
//! with what EAS has no slot for kept in [`crate::ICalMeta`] and written back as it came.
//!
//! Reading uses `calcard` (Stalwart Labs, Apache-2.0 OR MIT, the most active iCalendar crate,
//! PIM_FACTS 7.2) for the file's syntax and for naming the zone of a `VTIMEZONE` or `TZID`
//! (IANA, Windows and Outlook names); the mapping to events is [`import`]'s. Writing is this
//! module's own ([`export`]): lines folded at 75 octets, a `VTIMEZONE` per zone.
//! See `docs/calendar-model.md` for the property table.

mod export;
mod import;
pub mod syntax;
pub mod values;
pub mod vtimezone;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub use export::export;
pub use import::import;

use crate::event::Event;

/// How to read a file.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The zone of floating times (no `TZID`, no `Z`): the user's.
    pub default_zone: Tz,
    /// The importing user's address: a meeting they organize is `MeetingStatus` 1, one they
    /// were invited to 3 (MS-ASCAL 2.2.2.28). Without it a meeting's status is left unset.
    pub user_email: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            default_zone: Tz::UTC,
            user_email: None,
        }
    }
}

/// How to write a file.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// `PRODID`.
    pub product_id: String,
    /// `DTSTAMP` of an event that has none (RFC 5545 requires one): the time of the export.
    pub dtstamp: DateTime<Utc>,
}

/// The events of a file, and what of it was not taken as it came.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Imported {
    pub events: Vec<Event>,
    pub warnings: Vec<ImportWarning>,
}

/// Something in a file that EAS cannot carry, or that was unreadable and skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportWarning {
    /// An `RRULE` EAS cannot express (`FREQ=HOURLY`, `BYHOUR`, two days a month, ...): kept
    /// as it came for export; EAS clients see the first occurrence only. The caller decides
    /// whether to import such an event.
    UnexpressibleRule {
        uid: String,
        rule: String,
        reason: String,
    },
    /// `RDATE`: occurrences EAS cannot add; kept for export, not seen by EAS clients.
    ExtraDates { uid: String },
    /// A `RECURRENCE-ID` override without its series in the file: imported as an event of its
    /// own.
    OrphanOverride { uid: String },
    /// A property that could not be read.
    Skipped {
        uid: String,
        property: String,
        reason: String,
    },
}

/// A file that is not iCalendar.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ICalError {
    #[error("not iCalendar: {0}")]
    Syntax(String),
    #[error("no VCALENDAR in the file")]
    NoCalendar,
}

#[cfg(test)]
mod tests;
