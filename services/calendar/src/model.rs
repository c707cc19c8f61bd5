//! The calendar service's domain types: ids, calendars, shares, versions and what writes return.

use crate::error::CalendarError;

use eas_calendar_model::BusyStatus;

/// A folder (calendar) id: its row id, a decimal string on the wire. The same for the owner and
/// for every user the calendar is shared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FolderId(pub i64);

/// An event id: its row id, a decimal string on the wire. Never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub i64);

eas_data_service::decimal_id_type!(FolderId, CalendarError, CalendarError::InvalidId);
eas_data_service::decimal_id_type!(EventId, CalendarError, CalendarError::InvalidId);

/// What a calendar is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FolderRole {
    /// The default Calendar (MS-ASCMD 2.2.3.186.3 type 8), created with the user's calendars.
    Calendar,
    /// A user-created calendar (type 13).
    User,
}

impl FolderRole {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FolderRole::Calendar => "calendar",
            FolderRole::User => "user",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<FolderRole> {
        match s {
            "calendar" => Some(FolderRole::Calendar),
            "user" => Some(FolderRole::User),
            _ => None,
        }
    }

    /// The FolderSync type code (MS-ASCMD 2.2.3.186.3) the owner sees: 8 the default Calendar,
    /// 13 a user-created one. A grantee sees every shared calendar as 13 ([`Folder::folder_type`]).
    pub fn folder_type(self) -> u32 {
        match self {
            FolderRole::Calendar => 8,
            FolderRole::User => 13,
        }
    }
}

/// The display name of the default Calendar.
pub const CALENDAR_FOLDER_NAME: &str = "Calendar";

/// What a grantee may do in a calendar shared with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Read the events (GetEvents, ChangesSince, CurrentVersions).
    Read,
    /// Read, and add, change, delete and move events.
    ReadWrite,
}

impl Access {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::ReadWrite => "read_write",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Access> {
        match s {
            "read" => Some(Access::Read),
            "read_write" => Some(Access::ReadWrite),
            _ => None,
        }
    }
}

/// How a calendar shared with the user reaches them: who owns it, and with what access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedBy {
    /// The owner's address (lowercase).
    pub owner: String,
    pub access: Access,
}

/// One calendar the user sees: their own, or one shared with them (`shared`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub id: FolderId,
    /// `None` at the top level; always `None` for a calendar shared with the user.
    pub parent_id: Option<FolderId>,
    /// The owner's name of the calendar ([`Folder::display_name`] is what the user sees).
    pub name: String,
    /// The role the calendar has for its owner.
    pub role: FolderRole,
    /// The change counter: the modseq of the calendar's last event change.
    pub counter: u64,
    /// Set for a calendar another user shared with this one.
    pub shared: Option<SharedBy>,
}

impl Folder {
    /// The FolderSync type (MS-ASCMD 2.2.3.186.3): the owner's 8 or 13; a shared calendar is a
    /// user-created calendar (13) to the grantee, who has a default Calendar of their own.
    pub fn folder_type(&self) -> u32 {
        match self.shared {
            Some(_) => FolderRole::User.folder_type(),
            None => self.role.folder_type(),
        }
    }

    /// The name the user sees: the calendar's own, or for a shared calendar
    /// `"<name> (<owner address>)"`, so that the Calendars of two owners stay apart. The
    /// service knows addresses, not people's names (those are the directory's).
    pub fn display_name(&self) -> String {
        match &self.shared {
            Some(s) => shared_display_name(&self.name, &s.owner),
            None => self.name.clone(),
        }
    }

    /// Whether the user may only read the calendar's events.
    pub fn read_only(&self) -> bool {
        matches!(
            self.shared,
            Some(SharedBy {
                access: Access::Read,
                ..
            })
        )
    }
}

/// The name a grantee sees for a calendar named `name` owned by `owner`.
pub fn shared_display_name(name: &str, owner: &str) -> String {
    format!("{name} ({owner})")
}

/// Every calendar the user sees (their own, then those shared with them, by id) with the
/// hierarchy counter, read in one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    pub counter: u64,
    pub folders: Vec<Folder>,
}

/// A calendar's change counter and tombstone horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderState {
    pub id: FolderId,
    pub counter: u64,
    /// Tombstones at or below this modseq may be gone.
    pub purged_through: u64,
}

/// The version of one event in a calendar's change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemVersion {
    pub id: EventId,
    pub modseq: u64,
    pub deleted: bool,
    /// The FilterType date (MS-ASCMD 2.2.3.68.2): the end of the event's last occurrence in
    /// unix seconds, 0 for a series without end (inside every window) and on a tombstone.
    pub date: i64,
}

/// A live event as stored: crates/calendar's stored JSON form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: EventId,
    pub folder_id: FolderId,
    pub modseq: u64,
    pub json: String,
}

/// What a write to one event did: the event, its calendar and its new modseq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub id: EventId,
    pub folder_id: FolderId,
    pub modseq: u64,
}

/// What `create_event` did: added the event, or found the one an earlier Add with the same
/// ClientUid created (MS-ASCAL 2.2.2.13), and wrote nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub event: StoredEvent,
    pub existed: bool,
}

/// A move: the tombstone left in the source, the new event in the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub tombstone: Written,
    pub item: Written,
}

/// One grant of a calendar to another user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub owner: String,
    pub folder_id: FolderId,
    pub grantee: String,
    pub access: Access,
    /// The owner's name of the calendar.
    pub name: String,
}

/// The grants of a user's calendars, and those made to the user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shares {
    pub granted: Vec<Share>,
    pub received: Vec<Share>,
}

/// An event of an import that was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The event's position in the file (VEVENTs grouped by UID), from 0.
    pub index: usize,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub folder_id: FolderId,
    /// The ids of the events added or replaced, in file order.
    pub ids: Vec<EventId>,
    pub errors: Vec<ImportError>,
    /// Events imported with something phones will not see or that was dropped, by position.
    pub warnings: Vec<ImportError>,
}

/// One occurrence that is not free, for free/busy (MS-ASCMD 2.2.3.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// Its span in unix seconds; an all-day occurrence spans its dates in UTC.
    pub start: i64,
    pub end: i64,
    /// Its exception's BusyStatus, else the series' (MS-ASCAL 2.2.2.10); an event without one
    /// is busy.
    pub status: BusyStatus,
}
