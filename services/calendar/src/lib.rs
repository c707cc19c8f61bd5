//! The calendar service: each user's calendars (the default Calendar and user-created ones),
//! calendars shared between users with read or read-write access, events stored in the JSON
//! form of `eas-calendar-model` with their UID, ClientUid and FilterType date indexed,
//! per-calendar change counters with tombstones, the bytes of event attachments (16.x) under
//! FileReferences of its own, iCalendar import and export, and change events after every
//! committed write for each user a calendar concerns.
//!
//! [`CalendarStore`] opens the database (SQLite embedded, PostgreSQL in the cluster);
//! [`CalendarService`] is the API, and [`CalendarService::into_routes`] serves it over gRPC
//! (`proto/eas/calendar/v1`) with the collection contract (`proto/eas/collections/v1`).
//! docs/calendar-service.md describes the API, the tables, the shares and the events.

mod attachments;
mod error;
mod index;
mod model;
mod options;
mod service;
mod split;
mod store;

pub mod grpc;

pub use attachments::DEFAULT_MAX_ATTACHMENT_BYTES;
pub use error::CalendarError;
pub use model::{
    shared_display_name, Access, Busy, Created, EventId, Folder, FolderId, FolderRole, FolderState,
    Hierarchy, ImportError, Imported, ItemVersion, Moved, Share, SharedBy, Shares, StoredEvent,
    Written, CALENDAR_FOLDER_NAME,
};
pub use options::CalendarOptions;
pub use service::{CalendarService, CalendarStore, MAX_FREE_BUSY_SECONDS, PRODUCT_ID};
