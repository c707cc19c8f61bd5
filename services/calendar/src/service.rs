//! [`CalendarStore`], the database handle, and [`CalendarService`], the operations over it:
//! validation, UIDs, shares, iCalendar import and export, and change events after every
//! committed write, for the owner of the calendar and every user it is shared with. The gRPC
//! layer ([`crate::grpc`]) is a thin face of these methods.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use eas_calendar_model::ical::{self, ExportOptions, ImportOptions, ImportWarning};
use eas_calendar_model::recurrence::expand::span_in;
use eas_calendar_model::{stored, BusyStatus, Event};
use eas_data_service::Publisher;
use eas_event_bus::{DataClass, EventBus};

use crate::error::CalendarError;
use crate::index::Indexed;
use crate::model::{
    Access, Busy, Created, EventId, Folder, FolderId, FolderRole, FolderState, Hierarchy,
    ImportError, Imported, ItemVersion, Moved, Share, SharedBy, Shares, StoredEvent, Written,
};
use crate::options::CalendarOptions;
use crate::split::{self, Split};
use crate::store::{self, Store};

/// Longest ClientUid accepted, in characters: the bound MS-ASCAL sets for `UID` (2.2.2.46, 300),
/// which a ClientUid (2.2.2.13) has no bound of its own against.
const MAX_CLIENT_UID: usize = 300;
/// The longest free/busy window, in seconds: the 42 days past which MS-ASCMD 2.2.3.58.1
/// (product behavior note, R5175) refuses a ResolveRecipients Availability request.
pub const MAX_FREE_BUSY_SECONDS: i64 = 42 * 86_400;
/// `PRODID` of exported files (RFC 5545 3.7.3).
pub const PRODUCT_ID: &str = "-//eas-server//calendar service//EN";

/// Calendar storage over SQLite or PostgreSQL. Cheap to clone; clones share one pool.
#[derive(Clone)]
pub struct CalendarStore {
    store: Arc<dyn Store>,
    max_attachment_bytes: u64,
}

impl std::fmt::Debug for CalendarStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarStore").finish_non_exhaustive()
    }
}

impl CalendarStore {
    /// Connects to `sqlite://path`, `sqlite::memory:` or `postgres://...` and runs the
    /// migrations of that backend.
    pub async fn connect(url: &str, options: &CalendarOptions) -> Result<Self, CalendarError> {
        let store = store::open(
            url,
            options.max_connections,
            options.postgres_schema.as_deref(),
        )
        .await?;
        tracing::debug!(
            backend = url.split(':').next().unwrap_or_default(),
            schema = options.postgres_schema.as_deref(),
            "calendar store connected"
        );
        Ok(CalendarStore {
            store,
            max_attachment_bytes: options.max_attachment_bytes,
        })
    }

    /// Answers when the database does (one round trip), for readiness probes.
    pub async fn ping(&self) -> Result<(), CalendarError> {
        self.store.ping().await
    }
}

impl eas_data_service::Database for CalendarStore {
    type Error = CalendarError;

    async fn ping(&self) -> Result<(), CalendarError> {
        CalendarStore::ping(self).await
    }
}

/// The calendar service: every operation takes the user's address and sees only that user's
/// calendars and those shared with them; every committed write publishes a [`ChangeEvent`] of
/// [`DataClass::Calendar`] to each user the calendar concerns. Cheap to clone.
#[derive(Clone)]
pub struct CalendarService {
    store: Arc<dyn Store>,
    changes: Publisher,
    max_attachment_bytes: u64,
}

impl CalendarService {
    pub fn new(store: CalendarStore, bus: Arc<dyn EventBus>) -> Self {
        CalendarService {
            store: store.store,
            changes: Publisher::new(bus, DataClass::Calendar),
            max_attachment_bytes: store.max_attachment_bytes,
        }
    }

    /// Answers when the database does, for readiness probes.
    pub async fn ping(&self) -> Result<(), CalendarError> {
        self.store.ping().await
    }

    /// Creates the user's account with the default Calendar unless it exists. Safe to call
    /// concurrently; true when this call created it.
    pub async fn ensure_account(&self, user: &str) -> Result<bool, CalendarError> {
        let user = canonical(user)?;
        let created = self.store.ensure_account(&user).await?;
        if created {
            tracing::info!(user = %user, "calendars created");
        }
        Ok(created)
    }

    /// The user's calendars, then those shared with them, and the hierarchy counter (0 and no
    /// calendars before the account exists).
    pub async fn hierarchy(&self, user: &str) -> Result<Hierarchy, CalendarError> {
        self.store.hierarchy(&canonical(user)?).await
    }

    pub async fn folder_state(
        &self,
        user: &str,
        folder: FolderId,
    ) -> Result<FolderState, CalendarError> {
        self.store.folder_state(&canonical(user)?, folder).await
    }

    /// The calendar's change log after `after` (modseq, id), at most `limit` versions.
    pub async fn changes_since(
        &self,
        user: &str,
        folder: FolderId,
        after: (u64, &str),
        limit: u32,
    ) -> Result<Vec<ItemVersion>, CalendarError> {
        self.store
            .changes(&canonical(user)?, folder, after, limit)
            .await
    }

    pub async fn versions(
        &self,
        user: &str,
        folder: FolderId,
        ids: &[EventId],
    ) -> Result<Vec<ItemVersion>, CalendarError> {
        self.store.versions(&canonical(user)?, folder, ids).await
    }

    /// The live events of `folder` among `ids`, by id; the others are left out.
    pub async fn get_events(
        &self,
        user: &str,
        folder: FolderId,
        ids: &[EventId],
    ) -> Result<Vec<StoredEvent>, CalendarError> {
        self.store
            .events(&canonical(user)?, folder, Some(ids))
            .await
    }

    /// Adds an event given in the stored form. With a ClientUid (`client_uid`, else the
    /// event's own; MS-ASCAL 2.2.2.13), an Add repeated in the same calendar returns the event
    /// the first one created (`existed`) and writes nothing. An event without UID gets a new
    /// one (MS-ASCAL 2.2.2.46: the server's at 16.x); the answer carries the JSON as stored.
    pub async fn create_event(
        &self,
        user: &str,
        folder: FolderId,
        json: &str,
        client_uid: &str,
    ) -> Result<Created, CalendarError> {
        self.create_event_with(user, folder, json, client_uid, Vec::new())
            .await
    }

    /// [`CalendarService::create_event`] of an event that adds attachments (16.x, MS-ASAIRS
    /// 2.2.2.2): each new attachment of the JSON (no `file_reference`) has its bytes in
    /// `contents` under its `client_id`, and gets a FileReference of its own. Refused
    /// ([`CalendarError::InvalidEvent`]): a new attachment without bytes, bytes no new
    /// attachment takes, a FileReference the service did not make for this event;
    /// [`CalendarError::AttachmentTooLarge`] over `max_attachment_bytes`.
    pub async fn create_event_with(
        &self,
        user: &str,
        folder: FolderId,
        json: &str,
        client_uid: &str,
        contents: Vec<(String, Vec<u8>)>,
    ) -> Result<Created, CalendarError> {
        let user = canonical(user)?;
        let mut event = self.prepared(json, contents)?;
        let client_uid = client_uid.trim();
        if !client_uid.is_empty() {
            if client_uid.chars().count() > MAX_CLIENT_UID {
                return Err(CalendarError::InvalidEvent(format!(
                    "client uid longer than {MAX_CLIENT_UID} characters"
                )));
            }
            if event.client_uid != client_uid {
                event = event.with_client_uid(client_uid);
            }
        }
        if event.uid.is_empty() {
            event = event.with_uid(&new_uid());
        }
        let (created, users) = self.store.create(&user, folder, &event).await?;
        if created.existed {
            tracing::debug!(user = %user, folder = %folder, event = %created.event.id, "repeated add: the event exists");
        } else {
            self.items_changed(&users, folder, created.event.modseq)
                .await;
        }
        Ok(created)
    }

    /// Replaces a live event; with `if_modseq`, only while it is at that modseq
    /// ([`CalendarError::Conflict`] otherwise). A version without UID keeps the stored one.
    pub async fn update_event(
        &self,
        user: &str,
        folder: FolderId,
        id: EventId,
        json: &str,
        if_modseq: Option<u64>,
    ) -> Result<Written, CalendarError> {
        self.update_event_with(user, folder, id, json, if_modseq, Vec::new())
            .await
    }

    /// [`CalendarService::update_event`] with the bytes of the attachments the new version
    /// adds, as [`CalendarService::create_event_with`] takes them. The attachments the new
    /// version no longer lists are deleted with their bytes.
    pub async fn update_event_with(
        &self,
        user: &str,
        folder: FolderId,
        id: EventId,
        json: &str,
        if_modseq: Option<u64>,
        contents: Vec<(String, Vec<u8>)>,
    ) -> Result<Written, CalendarError> {
        let user = canonical(user)?;
        let event = self.prepared(json, contents)?;
        let (written, users) = self
            .store
            .update(&user, folder, id, &event, if_modseq)
            .await?;
        self.items_changed(&users, folder, written.modseq).await;
        Ok(written)
    }

    /// A stored form with its new attachments named and their bytes taken.
    fn prepared(
        &self,
        json: &str,
        contents: Vec<(String, Vec<u8>)>,
    ) -> Result<Indexed, CalendarError> {
        Indexed::from_json(json, contents, self.max_attachment_bytes)
    }

    /// The bytes of one attachment by the FileReference this service gave it (MS-ASAIRS
    /// 2.2.2.24), if a live event of a calendar the user owns or that is shared with them has
    /// it; [`CalendarError::AttachmentNotFound`] for any other reference.
    pub async fn read_attachment(
        &self,
        user: &str,
        file_reference: &str,
    ) -> Result<Vec<u8>, CalendarError> {
        let user = canonical(user)?;
        if !file_reference.starts_with(eas_calendar_model::attachment::FILE_REFERENCE_PREFIX) {
            return Err(CalendarError::AttachmentNotFound(file_reference.to_owned()));
        }
        self.store.attachment(&user, file_reference).await
    }

    /// Deletes a live event, leaving a tombstone.
    pub async fn delete_event(
        &self,
        user: &str,
        folder: FolderId,
        id: EventId,
    ) -> Result<Written, CalendarError> {
        let user = canonical(user)?;
        let (written, users) = self.store.delete(&user, folder, id).await?;
        self.items_changed(&users, folder, written.modseq).await;
        Ok(written)
    }

    /// Moves a live event to another calendar the user may write, under a new id.
    pub async fn move_event(
        &self,
        user: &str,
        from: FolderId,
        id: EventId,
        to: FolderId,
    ) -> Result<Moved, CalendarError> {
        let user = canonical(user)?;
        let (moved, source, dest) = self.store.move_to(&user, from, id, to).await?;
        self.items_changed(&source, from, moved.tombstone.modseq)
            .await;
        self.items_changed(&dest, to, moved.item.modseq).await;
        Ok(moved)
    }

    /// Forgets the tombstones of one of the user's own calendars at or below `through`; how
    /// many.
    pub async fn purge_tombstones(
        &self,
        user: &str,
        folder: FolderId,
        through: u64,
    ) -> Result<u64, CalendarError> {
        self.store
            .purge_tombstones(&canonical(user)?, folder, through)
            .await
    }

    /// A user-created calendar (type 13) under `parent`, or at the top level.
    pub async fn create_folder(
        &self,
        user: &str,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<(Folder, u64), CalendarError> {
        let user = canonical(user)?;
        let name = folder_name(name)?;
        let (folder, counter) = self.store.create_folder(&user, parent, name).await?;
        tracing::info!(user = %user, folder = %folder.id, "calendar created");
        self.hierarchy_changed(&user, folder.id, counter).await;
        Ok((folder, counter))
    }

    /// Renames and moves a user-created calendar (`parent: None` is the top level). The users
    /// it is shared with see the new name.
    pub async fn update_folder(
        &self,
        user: &str,
        folder: FolderId,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<(Folder, u64), CalendarError> {
        let user = canonical(user)?;
        let name = folder_name(name)?;
        let (updated, counter, grantees) = self
            .store
            .update_folder(&user, folder, parent, name)
            .await?;
        tracing::info!(user = %user, folder = %folder, "calendar updated");
        self.hierarchy_changed(&user, folder, counter).await;
        for (grantee, counter) in grantees {
            self.hierarchy_changed(&grantee, folder, counter).await;
        }
        Ok((updated, counter))
    }

    /// Deletes a user-created calendar with its subcalendars, events and shares; the new
    /// hierarchy counter. The users they were shared with lose them. A calendar another user
    /// shared with `user` is not deleted: `user` leaves the share (a phone's FolderDelete of it
    /// removes it from the user's list), and its owner and other grantees keep it.
    pub async fn delete_folder(&self, user: &str, folder: FolderId) -> Result<u64, CalendarError> {
        let user = canonical(user)?;
        if let Some(by) = self.shared_by(&user, folder).await? {
            let counter = self.store.revoke(&by.owner, folder, &user).await?;
            tracing::info!(owner = %by.owner, folder = %folder, grantee = %user, "shared calendar left by its grantee");
            self.hierarchy_changed(&user, folder, counter).await;
            return Ok(counter);
        }
        let (counter, grantees) = self.store.delete_folder(&user, folder).await?;
        tracing::info!(user = %user, folder = %folder, shared_with = grantees.len(), "calendar deleted");
        self.hierarchy_changed(&user, folder, counter).await;
        for (grantee, counter) in grantees {
            self.hierarchy_changed(&grantee, folder, counter).await;
        }
        Ok(counter)
    }

    /// Grants `grantee` access to one of `owner`'s calendars, or changes an existing grant.
    /// The grantee's folder list shows it from now on.
    pub async fn grant_share(
        &self,
        owner: &str,
        folder: FolderId,
        grantee: &str,
        access: Access,
    ) -> Result<Share, CalendarError> {
        let owner = canonical(owner)?;
        let grantee = canonical(grantee)?;
        if owner == grantee {
            return Err(CalendarError::InvalidShare(
                "a calendar is not shared with its owner".into(),
            ));
        }
        let (share, moved) = self.store.grant(&owner, folder, &grantee, access).await?;
        if let Some(counter) = moved {
            tracing::info!(owner = %owner, folder = %folder, grantee = %grantee, access = access.as_str(), "calendar shared");
            self.hierarchy_changed(&grantee, folder, counter).await;
        }
        Ok(share)
    }

    /// Withdraws a grant: the calendar leaves the grantee's folder list.
    pub async fn revoke_share(
        &self,
        owner: &str,
        folder: FolderId,
        grantee: &str,
    ) -> Result<(), CalendarError> {
        let owner = canonical(owner)?;
        let grantee = canonical(grantee)?;
        let counter = self.store.revoke(&owner, folder, &grantee).await?;
        tracing::info!(owner = %owner, folder = %folder, grantee = %grantee, "calendar share revoked");
        self.hierarchy_changed(&grantee, folder, counter).await;
        Ok(())
    }

    /// The grants of the user's calendars and those made to the user.
    pub async fn list_shares(&self, user: &str) -> Result<Shares, CalendarError> {
        self.store.shares(&canonical(user)?).await
    }

    /// Adds every VEVENT of an iCalendar file to `folder` (`None`: the default Calendar) in
    /// one write. The file is cut into its events (the VEVENTs of one UID together); one that
    /// cannot be read is reported by its position and skipped. An event whose UID is that of
    /// a live event of the calendar replaces it; one without UID gets a new one. A file with no
    /// `VCALENDAR` at all is [`CalendarError::InvalidIcal`].
    pub async fn import_ical(
        &self,
        user: &str,
        folder: Option<FolderId>,
        data: &[u8],
        floating_zone: chrono_tz::Tz,
    ) -> Result<Imported, CalendarError> {
        let user = canonical(user)?;
        let text = std::str::from_utf8(data)
            .map_err(|e| CalendarError::InvalidIcal(format!("not UTF-8: {e}")))?;
        let Split::Units(units) = split::split(text) else {
            return Err(CalendarError::InvalidIcal(
                "no VCALENDAR in the file".into(),
            ));
        };
        let folder_id = match folder {
            Some(folder) => folder,
            None => self.default_folder(&user).await?,
        };
        // A meeting's status (MS-ASCAL 2.2.2.28) is the calendar owner's: organizer or
        // invited. A grantee importing into a shared calendar imports for its owner.
        let owner = self
            .shared_by(&user, folder_id)
            .await?
            .map_or_else(|| user.clone(), |s| s.owner);
        let options = ImportOptions {
            user_email: Some(owner),
            default_zone: floating_zone,
        };
        let mut events = Vec::new();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for (index, unit) in units.iter().enumerate() {
            match ical::import(&unit.text, &options) {
                Ok(read) if read.events.is_empty() => errors.push(ImportError {
                    index,
                    reason: unreadable(&read.warnings),
                }),
                Ok(read) => {
                    warnings.extend(read.warnings.iter().map(|w| ImportError {
                        index,
                        reason: describe(w),
                    }));
                    // Inline ATTACH content becomes attachments of their own.
                    let prepared: Result<Vec<Indexed>, CalendarError> = read
                        .events
                        .into_iter()
                        .map(|e| Indexed::prepared(e, Vec::new(), self.max_attachment_bytes))
                        .collect();
                    match prepared {
                        Ok(list) => events.extend(list.into_iter().map(with_uid)),
                        Err(e) => errors.push(ImportError {
                            index,
                            reason: e.to_string(),
                        }),
                    }
                }
                Err(e) => errors.push(ImportError {
                    index,
                    reason: e.to_string(),
                }),
            }
        }
        // With nothing to write, the calendar must still be one the user may write.
        let (modseq, ids, users) = self.store.import(&user, folder_id, &events).await?;
        if !ids.is_empty() {
            self.items_changed(&users, folder_id, modseq).await;
        }
        tracing::info!(user = %user, folder = %folder_id, imported = ids.len(), refused = errors.len(), warnings = warnings.len(), "icalendar imported");
        Ok(Imported {
            folder_id,
            ids,
            errors,
            warnings,
        })
    }

    /// Every live event of `folder` as one iCalendar file, and how many there are; an empty
    /// calendar gives no file.
    pub async fn export_ical(
        &self,
        user: &str,
        folder: FolderId,
    ) -> Result<(String, usize), CalendarError> {
        let user = canonical(user)?;
        let rows = self.store.events(&user, folder, None).await?;
        let mut events = rows
            .iter()
            .map(|row| {
                stored::from_json(&row.json)
                    .map_err(|e| CalendarError::Corrupt(format!("event {}: {e}", row.id)))
            })
            .collect::<Result<Vec<Event>, _>>()?;
        if events.is_empty() {
            return Ok((String::new(), 0));
        }
        // Attachments go inline (ATTACH;VALUE=BINARY), so that an import restores them.
        if events.iter().any(|e| e.all_attachments().next().is_some()) {
            let contents = self.store.folder_attachments(&user, folder).await?;
            for e in &mut events {
                crate::attachments::fill(e, &contents);
            }
        }
        let options = ExportOptions {
            product_id: PRODUCT_ID.to_owned(),
            dtstamp: chrono::Utc::now(),
        };
        Ok((ical::export(&events, &options), events.len()))
    }

    /// The busy times of the user's own calendars (not those shared with them) in
    /// `[start, end)` (unix seconds), for free/busy (MS-ASCMD 2.2.3.16): every occurrence that
    /// overlaps the window, series expanded with their exceptions (a deleted occurrence is not
    /// one), each with its exception's BusyStatus or else the series' (MS-ASCAL 2.2.2.10; none
    /// is busy), by start. Free occurrences and those of no duration take no time and are
    /// left out. All-day occurrences span their dates in `zone`, the user's. A user without an
    /// account has no events, hence no busy times. [`CalendarError::InvalidRange`] when `end`
    /// is not after `start` or the window is longer than [`MAX_FREE_BUSY_SECONDS`].
    pub async fn free_busy(
        &self,
        user: &str,
        start: i64,
        end: i64,
        zone: chrono_tz::Tz,
    ) -> Result<Vec<Busy>, CalendarError> {
        let user = canonical(user)?;
        if end <= start {
            return Err(CalendarError::InvalidRange(format!(
                "end {end} is not after start {start}"
            )));
        }
        if end - start > MAX_FREE_BUSY_SECONDS {
            return Err(CalendarError::InvalidRange(format!(
                "{} seconds is longer than {MAX_FREE_BUSY_SECONDS}",
                end - start
            )));
        }
        let instant = |t: i64| {
            DateTime::<Utc>::from_timestamp(t, 0)
                .ok_or_else(|| CalendarError::InvalidRange(format!("{t} is not a date")))
        };
        let (from, to) = (instant(start)?, instant(end)?);
        let rows = self.store.own_events_after(&user, start).await?;
        let mut busy = Vec::new();
        for row in &rows {
            let event = stored::from_json(&row.json)
                .map_err(|e| CalendarError::Corrupt(format!("event {}: {e}", row.id)))?;
            for occurrence in event.occurrences_between(from, to, zone) {
                let series = event.busy_status.as_ref();
                let status = match occurrence.exception {
                    Some(x) => x.busy_status.resolve(series),
                    None => series,
                };
                let status = status.copied().unwrap_or(BusyStatus::Busy);
                let (s, e) = span_in(&occurrence.when, zone);
                if status == BusyStatus::Free || s >= e {
                    continue;
                }
                busy.push(Busy {
                    start: s.timestamp(),
                    end: e.timestamp(),
                    status,
                });
            }
        }
        busy.sort_by_key(|b| (b.start, b.end));
        Ok(busy)
    }

    /// Who shared `folder` with `user` (a canonical address), when it is another user's
    /// calendar in the user's list; `None` for the user's own or one not listed.
    async fn shared_by(
        &self,
        user: &str,
        folder: FolderId,
    ) -> Result<Option<SharedBy>, CalendarError> {
        Ok(self
            .store
            .hierarchy(user)
            .await?
            .folders
            .into_iter()
            .find(|f| f.id == folder)
            .and_then(|f| f.shared))
    }

    /// The user's default Calendar, created with the account on first use.
    pub async fn default_folder(&self, user: &str) -> Result<FolderId, CalendarError> {
        let user = canonical(user)?;
        self.store.ensure_account(&user).await?;
        self.store
            .hierarchy(&user)
            .await?
            .folders
            .iter()
            .find(|f| f.shared.is_none() && f.role == FolderRole::Calendar)
            .map(|f| f.id)
            .ok_or_else(|| CalendarError::Corrupt(format!("{user} has no Calendar folder")))
    }

    async fn hierarchy_changed(&self, user: &str, folder: FolderId, counter: u64) {
        self.changes.hierarchy_changed(user, folder, counter).await;
    }

    /// One event per user the calendar concerns (its owner and every grantee), so that each
    /// one's held Ping or Sync on it wakes.
    async fn items_changed(&self, users: &[String], folder: FolderId, counter: u64) {
        for user in users {
            self.changes.items_changed(user, folder, counter).await;
        }
    }
}

/// A new UID (MS-ASCAL 2.2.2.46): a random UUID.
fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An imported event ready to store, with a UID of its own when the file gave it none (RFC 5545
/// requires one, and a later import of the exported file then replaces it).
fn with_uid(indexed: Indexed) -> Indexed {
    if indexed.uid.is_empty() {
        indexed.with_uid(&new_uid())
    } else {
        indexed
    }
}

/// Why an event of a file gave no event: the model's reasons for skipping it.
fn unreadable(warnings: &[ImportWarning]) -> String {
    let reasons: Vec<String> = warnings
        .iter()
        .filter_map(|w| match w {
            ImportWarning::Skipped {
                property, reason, ..
            } => Some(format!("{property}: {reason}")),
            _ => None,
        })
        .collect();
    if reasons.is_empty() {
        "no readable VEVENT".to_owned()
    } else {
        reasons.join("; ")
    }
}

/// One line for a warning of an imported event.
fn describe(warning: &ImportWarning) -> String {
    match warning {
        ImportWarning::UnexpressibleRule { uid, rule, reason } => format!(
            "{uid}: RRULE {rule} cannot be sent to phones ({reason}); they see the first occurrence only"
        ),
        ImportWarning::ExtraDates { uid } => {
            format!("{uid}: RDATE occurrences are kept for export; phones do not see them")
        }
        ImportWarning::OrphanOverride { uid } => {
            format!("{uid}: an occurrence override without its series, imported as an event")
        }
        ImportWarning::Skipped {
            uid,
            property,
            reason,
        } => format!("{uid}: {property} dropped: {reason}"),
    }
}

/// The account key: the address lowercased, as the mail service keys mailboxes.
pub(crate) fn canonical(user: &str) -> Result<String, CalendarError> {
    eas_data_service::canonical_address(user)
        .ok_or_else(|| CalendarError::InvalidAddress(user.trim().to_owned()))
}

/// A folder display name, trimmed and bounded (`eas_data_service::folder_name`).
fn folder_name(name: &str) -> Result<&str, CalendarError> {
    eas_data_service::folder_name(name).ok_or(CalendarError::InvalidFolderName)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_lowercase_addresses() {
        assert_eq!(canonical(" Jane@Example.COM ").unwrap(), "jane@example.com");
        assert!(matches!(
            canonical(" ja ne@x "),
            Err(CalendarError::InvalidAddress(a)) if a == "ja ne@x"
        ));
    }

    #[test]
    fn new_uids_differ_and_are_uuids() {
        let (a, b) = (new_uid(), new_uid());
        assert_ne!(a, b);
        assert!(uuid::Uuid::parse_str(&a).is_ok(), "{a}");
    }

    #[test]
    fn folder_names_are_trimmed_and_bounded() {
        assert_eq!(folder_name("  Team  ").unwrap(), "Team");
        for bad in [
            "",
            "   ",
            "a\u{7}b",
            &"x".repeat(eas_data_service::MAX_FOLDER_NAME + 1),
        ] {
            assert!(folder_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_unreadable_event_says_why() {
        let warnings = [
            ImportWarning::ExtraDates { uid: "a".into() },
            ImportWarning::Skipped {
                uid: "a".into(),
                property: "DTSTART".into(),
                reason: "a VEVENT without DTSTART is not an event".into(),
            },
        ];
        assert_eq!(
            unreadable(&warnings),
            "DTSTART: a VEVENT without DTSTART is not an event"
        );
        assert_eq!(unreadable(&[]), "no readable VEVENT");
    }
}
