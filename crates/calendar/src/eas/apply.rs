//! A phone's Add or Change applied to the stored event: ghosting (MS-ASCMD 2.2.3.179, MS-ASCAL
//! 3.1.5.3), the times of MS-ASCAL 3.2.4.4, zones matched by their changes, exceptions by
//! original start, and the 16.x rules (everything ghosted, server-made UID and organizer,
//! exceptions cleared when the series changes).

use chrono::{DateTime, Duration, Timelike, Utc};
use chrono_tz::Tz;
use eas_protocol::body::{truncate_utf8, AttachmentChanges};
use eas_protocol::status::SyncStatus;

use super::parse::{is_exception_field, EventChange, ExceptionChange, Incoming};
use super::EasContext;
use crate::attachment::Attachment;
use crate::event::{
    BusyStatus, Event, Exception, Location, MeetingStatus, Notes, Override, ResponseType,
    Sensitivity, When,
};
use crate::field::{Field, SupportedSet};
use crate::recurrence::expand::shifted_when;
use crate::recurrence::RecurrenceError;
use crate::time::Moment;
use crate::tz::{fixed_zone_for, match_zone};

/// What leaving a field out means for a client that sent no `Supported` list (up to 14.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WithoutSupported {
    /// MS-ASCMD 2.2.3.179 (R5906, R5912): nothing is ghosted, an omitted field is deleted.
    #[default]
    DeleteOmitted,
    /// Everything ghostable is ghosted (Z-Push's default), for devices known to send partial
    /// changes.
    KeepOmitted,
}

/// Choices and facts the caller supplies.
#[derive(Clone, Debug, Default)]
pub struct ApplyOptions {
    pub without_supported: WithoutSupported,
    /// The `TruncationSize` the body was last sent with: a phone that sends back exactly the
    /// truncated text did not edit it, and the whole body is kept.
    pub notes_truncated_at: Option<u32>,
    /// The user: at 16.x the organizer of what they create (R2169, R2175).
    pub user_email: Option<String>,
    pub user_name: Option<String>,
    /// The UID for a new event that came without one (16.x always, R2223; up to 14.1 when the
    /// client sent none, R46311).
    pub new_uid: Option<String>,
}

/// A change the server cannot make. Every case is Sync status 6.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// MS-ASCAL 3.2.4.4 (R52515, R5251611, R52518).
    #[error("an Add without StartTime or EndTime whose missing time cannot be filled (3.2.4.4)")]
    MissingTimes,
    #[error("the event ends before it starts")]
    EndsBeforeStart,
    #[error(transparent)]
    Recurrence(#[from] RecurrenceError),
    #[error("the series has no occurrence at {0}")]
    NoSuchOccurrence(DateTime<Utc>),
    #[error("the item is not a recurring series")]
    NotRecurring,
    /// MS-ASAIRS R1374: a `Delete` names its attachment by the FileReference the server gave
    /// it; this one is not an attachment of the item (or of the occurrence).
    #[error("the item has no attachment {0:?}")]
    UnknownAttachment(String),
}

impl ApplyError {
    pub fn sync_status(&self) -> SyncStatus {
        SyncStatus::ConversionError
    }
}

/// A new event from a phone's `Add`.
pub fn create(
    change: &EventChange,
    ctx: &EasContext,
    options: &ApplyOptions,
) -> Result<Event, ApplyError> {
    build(None, change, None, ctx, options)
}

/// The stored event after a phone's `Change`. `supported` is the collection's cached
/// `Supported` list, `None` if the client sent none. For each field:
///
/// - sent with a value: the value; sent empty: deleted;
/// - not sent: kept when ghosted (every field from 16.0, R2231; up to 14.1 those the
///   `Supported` list leaves out, or all with [`WithoutSupported::KeepOmitted`]), else deleted
///   (R5912). `Location` up to 14.1 cannot be ghosted (R301). Times, `DtStamp` and `UID` are
///   never deleted; `Exceptions` left out leave the exceptions as they are (R541).
/// - a received meeting's organizer and attendees are the organizer's to change, not the
///   phone's (meeting hijacking, PIM_FACTS 6.14).
pub fn apply(
    stored: &Event,
    change: &EventChange,
    supported: Option<&SupportedSet>,
    ctx: &EasContext,
    options: &ApplyOptions,
) -> Result<Event, ApplyError> {
    build(Some(stored), change, supported, ctx, options)
}

/// Whether leaving `field` out of a change keeps the stored value.
fn omission_keeps(
    field: Field,
    stored: Option<&Event>,
    supported: Option<&SupportedSet>,
    ctx: &EasContext,
    options: &ApplyOptions,
) -> bool {
    if stored.is_none() {
        return false;
    }
    if ctx.is_16() || field.server_only() || field == Field::ClientUid {
        return true;
    }
    if !field.ghostable() {
        return false;
    }
    match supported {
        Some(s) => !s.contains(field),
        None => options.without_supported == WithoutSupported::KeepOmitted,
    }
}

/// The zone a `Timezone` blob means for an event starting in `year`.
fn zone_of_blob(blob: &crate::tz::TimeZoneBlob, year: i32, ctx: &EasContext) -> Tz {
    match_zone(blob, year, Some(ctx.user_zone))
        .or_else(|| fixed_zone_for(blob))
        .unwrap_or(ctx.user_zone)
}

/// "Now" rounded up to the next half hour (MS-ASCAL R52512: 18:03 gives 18:30).
fn rounded_now(now: DateTime<Utc>) -> DateTime<Utc> {
    let base = now
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    let past = i64::from(base.minute() % 30);
    if past == 0 && base == now {
        now
    } else {
        base + Duration::minutes(30 - past)
    }
}

fn text_of(i: &Incoming) -> Option<String> {
    match i {
        Incoming::Text(t) if !t.trim().is_empty() => Some(t.clone()),
        _ => None,
    }
}

fn number_of(i: &Incoming) -> Option<i64> {
    match i {
        Incoming::Number(n) => Some(*n),
        _ => None,
    }
}

fn time_of(i: &Incoming) -> Option<DateTime<Utc>> {
    match i {
        Incoming::Time(t) => Some(*t),
        _ => None,
    }
}

fn build(
    stored: Option<&Event>,
    change: &EventChange,
    supported: Option<&SupportedSet>,
    ctx: &EasContext,
    options: &ApplyOptions,
) -> Result<Event, ApplyError> {
    let keeps = |f: Field| omission_keeps(f, stored, supported, ctx, options);
    let get = |f: Field| change.get(f);

    // The times, the zone and the all-day flag (MS-ASCAL 2.2.2.1, 2.2.2.42, 2.2.2.20, 3.2.4.4).
    let start_in = get(Field::StartTime).and_then(time_of);
    let end_in = get(Field::EndTime).and_then(time_of);
    let (start, end) = match (stored, start_in, end_in) {
        (_, Some(s), Some(e)) => (s, e),
        (Some(st), s, e) => {
            // The stored times as this client was sent them (render's rule for all-day events).
            let all_day_zone = (!ctx.is_16()).then_some(ctx.user_zone);
            let (ss, se) = st.when.eas_instants(all_day_zone);
            (s.unwrap_or(ss), e.unwrap_or(se))
        }
        (None, None, None) => {
            let s = rounded_now(ctx.now);
            (s, s + Duration::minutes(30))
        }
        (None, None, Some(e)) => {
            let s = rounded_now(ctx.now);
            if e < s {
                return Err(ApplyError::MissingTimes);
            }
            (s, e)
        }
        (None, Some(s), None) => {
            if s > ctx.now {
                return Err(ApplyError::MissingTimes);
            }
            (s, rounded_now(ctx.now) + Duration::minutes(30))
        }
    };
    let all_day = match get(Field::AllDayEvent) {
        Some(Incoming::Number(n)) => *n == 1,
        Some(_) => false,
        None => keeps(Field::AllDayEvent) && stored.is_some_and(|s| s.is_all_day()),
    };
    let year = chrono::Datelike::year(&start);
    let zone = match get(Field::Timezone) {
        Some(Incoming::Timezone(b)) => zone_of_blob(b, year, ctx),
        _ => stored.and_then(|s| s.time_zone).unwrap_or(ctx.user_zone),
    };
    let when = if all_day {
        // 16.x all-day times are dates with no time component (R2005): read in UTC.
        let read_in = if ctx.is_16() { Tz::UTC } else { zone };
        When::all_day_from_instants(start, end, read_in)
    } else {
        When::timed(start, end).map_err(|_| ApplyError::EndsBeforeStart)?
    };

    let mut e = stored.cloned().unwrap_or_else(|| Event::new(when));
    let old_when = e.when;
    e.when = when;
    e.time_zone = match when {
        When::AllDay { .. } => None,
        When::Timed { .. } if zone == Tz::UTC => None,
        When::Timed { .. } => Some(zone),
    };

    // Plain values.
    let text_field = |f: Field, current: &Option<String>| -> Option<String> {
        match get(f) {
            Some(i) => text_of(i),
            None if keeps(f) => current.clone(),
            None => None,
        }
    };
    e.subject = text_field(Field::Subject, &e.subject);
    let received = stored.is_some_and(|s| s.meeting_status.is_some_and(|m| m.is_received()));
    if !received {
        e.organizer_name = text_field(Field::OrganizerName, &e.organizer_name);
        e.organizer_email = text_field(Field::OrganizerEmail, &e.organizer_email);
        e.attendees = match get(Field::Attendees) {
            Some(Incoming::Attendees(a)) => a.clone(),
            Some(_) => Vec::new(),
            None if keeps(Field::Attendees) => e.attendees.clone(),
            None => Vec::new(),
        };
        if let Some(org) = e.organizer_email.clone() {
            e.attendees.retain(|a| !a.email.eq_ignore_ascii_case(&org));
        }
    }
    e.client_uid = match get(Field::ClientUid) {
        Some(i) => text_of(i).or(e.client_uid.clone()),
        None => e.client_uid.clone(),
    };
    e.uid = match get(Field::Uid) {
        // R2221: a 16.x client does not choose the UID.
        Some(i) if !ctx.is_16() => text_of(i).or(e.uid.clone()),
        _ => e.uid.clone(),
    }
    .or_else(|| options.new_uid.clone());
    e.dtstamp = match get(Field::DtStamp) {
        Some(Incoming::Time(t)) if !ctx.is_16() => Some(*t),
        _ if stored.is_none() || !keeps(Field::DtStamp) || ctx.is_16() => Some(ctx.now),
        _ => e.dtstamp,
    };
    if ctx.is_16() && stored.is_none() && e.organizer_email.is_none() {
        // R2169, R2175: the server uses the current user.
        e.organizer_email = options.user_email.clone();
        e.organizer_name = options.user_name.clone();
    }

    // `None`: keep; `Some(value)`: set (`Some(None)` deletes).
    let number = |f: Field| -> Option<Option<i64>> {
        match get(f) {
            Some(i) => Some(number_of(i)),
            None if keeps(f) => None,
            None => Some(None),
        }
    };
    if let Some(n) = number(Field::BusyStatus) {
        e.busy_status = n.and_then(BusyStatus::from_code);
    }
    if let Some(n) = number(Field::Sensitivity) {
        e.sensitivity = n
            .and_then(|n| u8::try_from(n).ok())
            .and_then(Sensitivity::from_code);
    }
    if let Some(n) = number(Field::Reminder) {
        e.reminder = n.and_then(|n| u32::try_from(n).ok());
    }
    if let Some(n) = number(Field::MeetingStatus) {
        if !received {
            e.meeting_status = n
                .and_then(|n| u8::try_from(n).ok())
                .and_then(MeetingStatus::from_code);
        }
    }
    if let Some(n) = number(Field::ResponseRequested) {
        e.response_requested = n.map(|n| n == 1);
    }
    if let Some(n) = number(Field::DisallowNewTimeProposal) {
        e.disallow_new_time_proposal = n.map(|n| n == 1);
    }
    if let Some(Incoming::Number(n)) = get(Field::ResponseType) {
        e.response_type = u8::try_from(*n).ok().and_then(ResponseType::from_code);
    }
    e.categories = match get(Field::Categories) {
        Some(Incoming::Categories(c)) => c.clone(),
        Some(_) => Vec::new(),
        None if keeps(Field::Categories) => e.categories.clone(),
        None => Vec::new(),
    };
    e.location = match get(Field::Location) {
        Some(Incoming::Location(l)) => Some(l.clone()),
        // A 14.1 client's text: the stored location when it is what that client was shown,
        // so the 16.x address parts survive its edit.
        Some(Incoming::Text(t)) if !t.trim().is_empty() => match &e.location {
            Some(l) if l.text().as_deref() == Some(t.as_str()) => Some(l.clone()),
            _ => Some(Location::named(t.clone())),
        },
        Some(_) => None,
        None if keeps(Field::Location) => e.location.clone(),
        None => None,
    };
    // MS-ASAIRS 2.2.2.8: attachments change only by their Add and Delete; an omitted
    // Attachments keeps them (and a client before 16.0 never sends one).
    if let Some(Incoming::Attachments(changes)) = get(Field::Attachments) {
        e.attachments = changed_attachments(&e.attachments, changes)?;
    }
    e.notes = match get(Field::Body) {
        Some(Incoming::Notes(n)) => {
            if echoes_truncated(e.notes.as_ref(), n, options.notes_truncated_at) {
                e.notes.clone()
            } else {
                Some(n.clone())
            }
        }
        Some(_) => None,
        None if keeps(Field::Body) => e.notes.clone(),
        None => None,
    };

    // The recurrence (MS-ASCAL 2.2.2.37) and the exceptions.
    let old_recurrence = e.recurrence.clone();
    e.recurrence = match get(Field::Recurrence) {
        Some(Incoming::Recurrence(r)) if !r.is_empty() => {
            let until_zone = if all_day && ctx.is_16() {
                Tz::UTC
            } else {
                zone
            };
            Some(r.to_recurrence(&e.when, until_zone, !ctx.is_16(), ctx.first_day_of_week)?)
        }
        // An empty Recurrence makes the series a single event (R2180002).
        Some(_) => None,
        None if keeps(Field::Recurrence) => e.recurrence.clone(),
        None => None,
    };
    if e.recurrence.is_none() {
        e.exceptions.clear();
    }
    // 16.x: a new pattern, start or end deletes the exceptions (R2180, R2097, R2202).
    if ctx.is_16() && stored.is_some() && (e.recurrence != old_recurrence || e.when != old_when) {
        e.exceptions.clear();
    }
    if let Some(Incoming::Exceptions(list)) = get(Field::Exceptions) {
        if e.recurrence.is_some() {
            for x in list {
                let Some(original) = x.original else {
                    continue;
                };
                let key = key_for(&e, original, zone, ctx);
                let current = e.exceptions.get(&key).cloned();
                let ex = exception_from(&e, key, x, current, zone, ctx)?;
                e.exceptions.insert(key, ex);
            }
        }
    }
    if e.recurrence.is_some() && (e.when != old_when || e.recurrence != old_recurrence) {
        // Exceptions of occurrences the series no longer has would be orphans.
        let keys: Vec<Moment> = e.exceptions.keys().copied().collect();
        for k in keys {
            if !e.has_occurrence(k) {
                e.exceptions.remove(&k);
            }
        }
    }
    Ok(e)
}

/// The exception key an original start names (see [`Event::original_start_for`]); when the
/// series has no such occurrence, the instant (or its all-day date) as it came.
fn key_for(e: &Event, original: DateTime<Utc>, zone: Tz, ctx: &EasContext) -> Moment {
    let all_day_zone = if ctx.is_16() { Tz::UTC } else { zone };
    e.original_start_for(original, all_day_zone)
        .unwrap_or(match e.when {
            When::AllDay { .. } => Moment::On(crate::event::all_day_date(original, all_day_zone)),
            When::Timed { .. } => Moment::At(original),
        })
}

/// `current` after a client's `Delete`s (each must name one of them, R1374) and `Add`s (new
/// attachments with their bytes, named by the store when it keeps them; MS-ASAIRS 2.2.2.2).
fn changed_attachments(
    current: &[Attachment],
    changes: &AttachmentChanges,
) -> Result<Vec<Attachment>, ApplyError> {
    let mut out = current.to_vec();
    for reference in &changes.deletes {
        let before = out.len();
        out.retain(|a| a.is_new() || a.file_reference != *reference);
        if out.len() == before {
            return Err(ApplyError::UnknownAttachment(reference.clone()));
        }
    }
    for add in &changes.adds {
        out.push(Attachment {
            client_id: Some(add.client_id.clone()),
            display_name: add.display_name.clone(),
            method: add.method.code(),
            content_type: add.content_type.clone(),
            content_id: add.content_id.clone(),
            content_location: add.content_location.clone(),
            is_inline: add.is_inline,
            ..Attachment::with_content(add.content.clone())
        });
    }
    Ok(out)
}

/// Whether `incoming` is the stored body cut at the truncation size it was sent with.
fn echoes_truncated(stored: Option<&Notes>, incoming: &Notes, truncated_at: Option<u32>) -> bool {
    let (Some(limit), Some(notes)) = (truncated_at, stored) else {
        return false;
    };
    let cut = truncate_utf8(&notes.text, limit as usize);
    cut.len() < notes.text.len() && incoming.text == cut
}

/// An override from an exception's field: absent keeps `current`, empty removes, a value sets.
fn override_from<T: Clone>(
    i: Option<&Incoming>,
    current: Override<T>,
    value: impl Fn(&Incoming) -> Option<T>,
) -> Override<T> {
    match i {
        None => current,
        Some(Incoming::Empty) => Override::Removed,
        Some(v) => value(v).map(Override::Set).unwrap_or(Override::Removed),
    }
}

/// The exception an `Exception` element (or a 16.x occurrence Change) makes of the occurrence
/// at `key`, over what was there before (`current`).
fn exception_from(
    e: &Event,
    key: Moment,
    x: &ExceptionChange,
    current: Option<Exception>,
    zone: Tz,
    ctx: &EasContext,
) -> Result<Exception, ApplyError> {
    if x.deleted {
        return Ok(Exception::deleted());
    }
    let mut ex = current.filter(|c| !c.deleted).unwrap_or_default();
    let get = |f: Field| x.fields.get(&f).filter(|_| is_exception_field(f));
    let original = shifted_when(&e.when, key);
    let base = ex.when.unwrap_or(original);
    let all_day = match get(Field::AllDayEvent) {
        Some(Incoming::Number(n)) => *n == 1,
        _ => base.is_all_day(),
    };
    let start = get(Field::StartTime).and_then(time_of);
    let end = get(Field::EndTime).and_then(time_of);
    if start.is_some() || end.is_some() || get(Field::AllDayEvent).is_some() {
        let read_in = if ctx.is_16() { Tz::UTC } else { zone };
        let (bs, be) = base.eas_instants(Some(read_in));
        let s = start.unwrap_or(bs);
        let en = end.unwrap_or_else(|| s + (be - bs));
        let w = if all_day {
            When::all_day_from_instants(s, en, read_in)
        } else {
            When::timed(s, en.max(s)).unwrap_or(base)
        };
        ex.when = (w != original).then_some(w);
    }
    ex.subject = override_from(get(Field::Subject), ex.subject, text_of);
    ex.location = override_from(get(Field::Location), ex.location, |i| match i {
        Incoming::Location(l) => Some(l.clone()),
        Incoming::Text(t) => Some(Location::named(t.clone())),
        _ => None,
    });
    ex.notes = override_from(get(Field::Body), ex.notes, |i| match i {
        Incoming::Notes(n) => Some(n.clone()),
        _ => None,
    });
    ex.categories = override_from(get(Field::Categories), ex.categories, |i| match i {
        Incoming::Categories(c) => Some(c.clone()),
        _ => None,
    });
    ex.sensitivity = override_from(get(Field::Sensitivity), ex.sensitivity, |i| {
        number_of(i)
            .and_then(|n| u8::try_from(n).ok())
            .and_then(Sensitivity::from_code)
    });
    ex.busy_status = override_from(get(Field::BusyStatus), ex.busy_status, |i| {
        number_of(i).and_then(BusyStatus::from_code)
    });
    ex.reminder = override_from(get(Field::Reminder), ex.reminder, |i| {
        number_of(i).and_then(|n| u32::try_from(n).ok())
    });
    ex.meeting_status = override_from(get(Field::MeetingStatus), ex.meeting_status, |i| {
        number_of(i)
            .and_then(|n| u8::try_from(n).ok())
            .and_then(MeetingStatus::from_code)
    });
    ex.attendees = override_from(get(Field::Attendees), ex.attendees, |i| match i {
        Incoming::Attendees(a) => Some(a.clone()),
        _ => None,
    });
    // 16.x (MS-ASCAL R2107): the occurrence's attachments start from what it shows (the
    // series' while inherited); the same list as the series' is inherited again.
    if let Some(Incoming::Attachments(changes)) = get(Field::Attachments) {
        let series = (!e.attachments.is_empty()).then_some(&e.attachments);
        let shown = ex.attachments.resolve(series).cloned().unwrap_or_default();
        let next = changed_attachments(&shown, changes)?;
        ex.attachments = Override::against((!next.is_empty()).then_some(next), series);
    }
    ex.dtstamp = if ctx.is_16() {
        Some(ctx.now)
    } else {
        get(Field::DtStamp).and_then(time_of).or(ex.dtstamp)
    };
    Ok(ex)
}

/// 16.x: a Sync `Change` with `airsyncbase:InstanceId` (MS-ASCMD 2.2.3.24; MS-ASCAL R2113):
/// the `ApplicationData` changes that one occurrence; what it leaves out stays as it was.
pub fn apply_instance(
    stored: &Event,
    instance: DateTime<Utc>,
    change: &EventChange,
    ctx: &EasContext,
) -> Result<Event, ApplyError> {
    let key = occurrence_key(stored, instance)?;
    let x = ExceptionChange {
        original: Some(instance),
        deleted: false,
        fields: change.fields.clone(),
    };
    let mut e = stored.clone();
    let current = e.exceptions.get(&key).cloned();
    let zone = e.zone();
    let ex = exception_from(&e, key, &x, current, zone, ctx)?;
    e.exceptions.insert(key, ex);
    Ok(e)
}

/// 16.x: a Sync `Delete` with `airsyncbase:InstanceId` (MS-ASCMD 2.2.3.42.2): that occurrence
/// is deleted (PIM_FACTS 6.9).
pub fn delete_instance(stored: &Event, instance: DateTime<Utc>) -> Result<Event, ApplyError> {
    let key = occurrence_key(stored, instance)?;
    let mut e = stored.clone();
    e.exceptions.insert(key, Exception::deleted());
    Ok(e)
}

fn occurrence_key(stored: &Event, instance: DateTime<Utc>) -> Result<Moment, ApplyError> {
    if stored.recurrence.is_none() {
        return Err(ApplyError::NotRecurring);
    }
    // 16.x InstanceIds of all-day series are dates at midnight UTC.
    stored
        .original_start_for(instance, Tz::UTC)
        .ok_or(ApplyError::NoSuchOccurrence(instance))
}
