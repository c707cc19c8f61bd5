//! The Calendar class of Exchange ActiveSync as pure domain logic, with no I/O: the model every
//! part of the server that handles calendars uses (the calendar service's store, the edge's
//! Calendar class, the admin iCalendar import and export).
//!
//! - [`Event`]: every element of MS-ASCAL 2.2.2, the structured `airsyncbase:Location` of 16.x
//!   (MS-ASAIRS 2.2.2.28), the body as `airsyncbase:Body`, attendees, the recurrence
//!   ([`Recurrence`], MS-ASCAL 2.2.2.37) and the exceptions by original start ([`Exception`],
//!   2.2.2.21, with [`Override`] telling inherited from removed); plus [`ICalMeta`], what an
//!   iCalendar file carried that EAS has no slot for. [`Field`] names the top-level properties
//!   and which can be ghosted (MS-ASCMD 2.2.3.179).
//! - [`When`]: a timed event is two UTC instants in its IANA zone ([`Event::time_zone`]); an
//!   all-day event is a start date and an exclusive end date that no zone can move.
//! - [`recurrence`]: the EAS patterns, expanded in the event's own zone
//!   ([`Event::occurrences`], [`Event::occurrences_between`]) and the end of the last
//!   occurrence ([`Event::last_end`]) a store indexes for sync windows.
//! - [`tz`]: the `TimeZone` blob of MS-ASDTYPE 2.7.4, matched to an IANA zone by its offsets in
//!   the event's year (never by its names), and written from an IANA zone with empty names.
//! - [`ical`]: iCalendar import (calcard reads the file and names its zones) and export (one
//!   `VCALENDAR`, a `VTIMEZONE` per zone, overrides with their inherited properties written in).
//! - [`eas`]: [`eas::render`] for 12.0 to 16.1, [`eas::parse`] of a phone's `ApplicationData`
//!   into an [`eas::EventChange`], [`eas::apply`] with ghosting (MS-ASCMD 2.2.3.179), and the
//!   16.x occurrence operations [`eas::apply_instance`] and [`eas::delete_instance`]; every
//!   refusal maps to Sync status 6.
//! - [`goid`]: one UID to `GlobalObjId` mapping, both ways (meeting requests).
//! - [`attachment`]: files attached to an event or an occurrence at 16.x (MS-ASAIRS 2.2.2.7),
//!   described in the model, their bytes kept by the store under a FileReference it makes.
//! - [`stored`]: the versioned JSON form the store persists.
//!
//! See `docs/calendar-model.md` for the rules.

pub mod attachment;
pub mod eas;
pub mod event;
pub mod field;
pub mod goid;
pub mod ical;
pub mod meta;
pub mod recurrence;
pub mod stored;
pub mod time;
pub mod tz;

pub use attachment::Attachment;
pub use event::{
    all_day_date, Attendee, AttendeeStatus, AttendeeType, BusyStatus, Event, Exception, Location,
    MeetingStatus, Notes, NotesFormat, Override, ResponseType, Sensitivity, When, WhenError,
};
pub use field::{Field, FieldSet, SupportedSet};
pub use meta::{ICalMeta, Param, Property};
pub use recurrence::{DaySet, Nth, Occurrence, OccurrenceIter, Pattern, Recurrence, RecurrenceEnd};
pub use time::Moment;

#[cfg(test)]
mod pim_facts_tests;
