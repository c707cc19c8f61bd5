//! The event: every property of the Calendar class (MS-ASCAL 2.2.2), the structured location of
//! 16.x (MS-ASAIRS 2.2.2.28), its recurrence and exceptions, and what an iCalendar file carried
//! that EAS has no slot for.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::attachment::Attachment;
use crate::meta::ICalMeta;
use crate::recurrence::Recurrence;
use crate::time::{utc_opt, zone_opt, Moment};

/// When an event happens.
///
/// A timed event is two UTC instants. An all-day event is a start date and an exclusive end date
/// (a one-day event on 10 March is `2026-03-10` to `2026-03-11`): no zone, the client's or the
/// event's, can move it to another day (MS-ASCAL R87, R2008; PIM_FACTS 6.1 to 6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WhenRepr", into = "WhenRepr")]
pub enum When {
    Timed {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    AllDay {
        start: NaiveDate,
        /// Exclusive: the day after the last day.
        end: NaiveDate,
    },
}

/// Times that cannot make an event.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    #[error("the event ends ({end}) before it starts ({start})")]
    EndsBeforeStart { start: Moment, end: Moment },
    #[error("an all-day event ends after its start day: end {end} is not after start {start}")]
    EmptyAllDay { start: NaiveDate, end: NaiveDate },
    #[error("start {start} and end {end} are not both instants or both dates")]
    Mixed { start: Moment, end: Moment },
}

impl When {
    /// A timed event; the end may equal the start, not precede it.
    pub fn timed(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<When, WhenError> {
        if end < start {
            return Err(WhenError::EndsBeforeStart {
                start: Moment::At(start),
                end: Moment::At(end),
            });
        }
        Ok(When::Timed { start, end })
    }

    /// An all-day event from `start` to the exclusive `end`, at least one day.
    pub fn all_day(start: NaiveDate, end: NaiveDate) -> Result<When, WhenError> {
        if end <= start {
            return Err(WhenError::EmptyAllDay { start, end });
        }
        Ok(When::AllDay { start, end })
    }

    /// An all-day event of `days` days (at least one) from `start`.
    pub fn all_day_for(start: NaiveDate, days: u32) -> When {
        let end = start
            .checked_add_days(chrono::Days::new(u64::from(days.max(1))))
            .unwrap_or(NaiveDate::MAX);
        When::AllDay { start, end }
    }

    pub fn is_all_day(&self) -> bool {
        matches!(self, When::AllDay { .. })
    }

    /// An all-day event from the instants a client sent (MS-ASCAL R87): each read as the local
    /// date in `zone` (the item's `Timezone`, or the device's), rounded to the nearest local
    /// midnight, so a start at another zone's midnight (a received meeting, PIM_FACTS 6.2) or
    /// an end at 23:59 (PIM_FACTS 6.3) lands on the day meant; at least one day.
    pub fn all_day_from_instants(start: DateTime<Utc>, end: DateTime<Utc>, zone: Tz) -> When {
        let s = all_day_date(start, zone);
        let e = all_day_date(end, zone).max(s + chrono::Days::new(1));
        When::AllDay { start: s, end: e }
    }

    /// The `StartTime` and `EndTime` instants of an all-day event: local midnights in `zone`
    /// up to 14.1 (with that zone's `Timezone` blob), midnight UTC with no `Timezone` from 16.0
    /// (`None`; R2006, PIM_FACTS 6.4). A timed event's own instants.
    pub fn eas_instants(&self, zone: Option<Tz>) -> (DateTime<Utc>, DateTime<Utc>) {
        match (*self, zone) {
            (When::Timed { start, end }, _) => (start, end),
            (When::AllDay { start, end }, Some(z)) => (
                crate::recurrence::expand::resolve_local(z, start.and_time(chrono::NaiveTime::MIN)),
                crate::recurrence::expand::resolve_local(z, end.and_time(chrono::NaiveTime::MIN)),
            ),
            (When::AllDay { start, end }, None) => (
                start.and_time(chrono::NaiveTime::MIN).and_utc(),
                end.and_time(chrono::NaiveTime::MIN).and_utc(),
            ),
        }
    }

    pub fn start(&self) -> Moment {
        match self {
            When::Timed { start, .. } => Moment::At(*start),
            When::AllDay { start, .. } => Moment::On(*start),
        }
    }

    pub fn end(&self) -> Moment {
        match self {
            When::Timed { end, .. } => Moment::At(*end),
            When::AllDay { end, .. } => Moment::On(*end),
        }
    }

    /// How long it lasts: the time between the instants, or the number of days.
    pub fn duration(&self) -> Duration {
        match self {
            When::Timed { start, end } => *end - *start,
            When::AllDay { start, end } => Duration::days((*end - *start).num_days()),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct WhenRepr {
    start: Moment,
    end: Moment,
}

impl TryFrom<WhenRepr> for When {
    type Error = WhenError;

    fn try_from(r: WhenRepr) -> Result<When, WhenError> {
        match (r.start, r.end) {
            (Moment::At(s), Moment::At(e)) => When::timed(s, e),
            (Moment::On(s), Moment::On(e)) => When::all_day(s, e),
            (start, end) => Err(WhenError::Mixed { start, end }),
        }
    }
}

impl From<When> for WhenRepr {
    fn from(w: When) -> WhenRepr {
        WhenRepr {
            start: w.start(),
            end: w.end(),
        }
    }
}

/// The date an all-day instant means in `zone`: its local date, rounded to the nearest
/// midnight (noon and later is the next day).
pub fn all_day_date(t: DateTime<Utc>, zone: Tz) -> NaiveDate {
    let local = t.with_timezone(&zone).naive_local();
    if local.time() >= chrono::NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(chrono::NaiveTime::MIN) {
        local.date() + chrono::Days::new(1)
    } else {
        local.date()
    }
}

/// The format of the stored body (MS-ASAIRS 2.2.2.41 types the Calendar class uses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotesFormat {
    #[default]
    Plain,
    Html,
    /// Base64 compressed RTF, as Outlook sends it; sent only to clients that ask for RTF.
    Rtf,
}

/// The body of an event or an exception (`airsyncbase:Body`, MS-ASCAL 2.2.2.7.1; iCalendar
/// `DESCRIPTION`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Notes {
    #[serde(default, skip_serializing_if = "is_plain")]
    pub format: NotesFormat,
    pub text: String,
}

fn is_plain(f: &NotesFormat) -> bool {
    *f == NotesFormat::Plain
}

impl Notes {
    pub fn plain(text: impl Into<String>) -> Notes {
        Notes {
            format: NotesFormat::Plain,
            text: text.into(),
        }
    }
}

/// Where an event happens: the `airsyncbase:Location` container of 16.x (MS-ASAIRS 2.2.2.28).
/// Up to 14.1 only the text of `calendar:Location` (MS-ASCAL 2.2.2.27) exists; it is the
/// [`Location::display_name`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Location {
    /// MS-ASAIRS 2.2.2.22.3; the 14.1 `Location` text and iCalendar `LOCATION`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// MS-ASAIRS 2.2.2.6: a note about the place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation: Option<String>,
    /// MS-ASAIRS 2.2.2.38
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// MS-ASAIRS 2.2.2.13
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// MS-ASAIRS 2.2.2.36
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// MS-ASAIRS 2.2.2.19
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// MS-ASAIRS 2.2.2.34
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// MS-ASAIRS 2.2.2.27 (a double, MS-ASDTYPE 2.4); iCalendar `GEO`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// MS-ASAIRS 2.2.2.30
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// MS-ASAIRS 2.2.2.1: of the latitude and longitude.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// MS-ASAIRS 2.2.2.4
    #[serde(skip_serializing_if = "Option::is_none")]
    pub altitude: Option<f64>,
    /// MS-ASAIRS 2.2.2.5
    #[serde(skip_serializing_if = "Option::is_none")]
    pub altitude_accuracy: Option<f64>,
    /// MS-ASAIRS 2.2.2.29
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_uri: Option<String>,
}

impl Location {
    /// A location that is only a name, as 14.1 and iCalendar `LOCATION` carry it.
    pub fn named(text: impl Into<String>) -> Location {
        Location {
            display_name: Some(text.into()),
            ..Location::default()
        }
    }

    /// Whether nothing is set (an empty `airsyncbase:Location` removes the location,
    /// MS-ASAIRS R1001013).
    pub fn is_empty(&self) -> bool {
        *self == Location::default()
    }

    /// The one line a 14.1 client shows: the display name, else the address parts joined.
    pub fn text(&self) -> Option<String> {
        if let Some(d) = self.display_name.as_ref().filter(|d| !d.trim().is_empty()) {
            return Some(d.clone());
        }
        let parts: Vec<&str> = [
            &self.street,
            &self.city,
            &self.state,
            &self.postal_code,
            &self.country,
        ]
        .into_iter()
        .filter_map(|p| p.as_deref())
        .filter(|p| !p.trim().is_empty())
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// `AttendeeStatus` (MS-ASCAL 2.2.2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendeeStatus {
    /// 0
    Unknown,
    /// 2
    Tentative,
    /// 3
    Accepted,
    /// 4
    Declined,
    /// 5
    NotResponded,
}

impl AttendeeStatus {
    pub const fn code(self) -> u8 {
        match self {
            AttendeeStatus::Unknown => 0,
            AttendeeStatus::Tentative => 2,
            AttendeeStatus::Accepted => 3,
            AttendeeStatus::Declined => 4,
            AttendeeStatus::NotResponded => 5,
        }
    }

    /// R118: 0, 2, 3, 4 or 5.
    pub const fn from_code(code: u8) -> Option<AttendeeStatus> {
        Some(match code {
            0 => AttendeeStatus::Unknown,
            2 => AttendeeStatus::Tentative,
            3 => AttendeeStatus::Accepted,
            4 => AttendeeStatus::Declined,
            5 => AttendeeStatus::NotResponded,
            _ => return None,
        })
    }
}

/// `AttendeeType` (MS-ASCAL 2.2.2.6). 0 is not a value (PIM_FACTS 6.19).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendeeType {
    /// 1
    Required,
    /// 2
    Optional,
    /// 3
    Resource,
}

impl AttendeeType {
    pub const fn code(self) -> u8 {
        match self {
            AttendeeType::Required => 1,
            AttendeeType::Optional => 2,
            AttendeeType::Resource => 3,
        }
    }

    /// R123: 1, 2 or 3.
    pub const fn from_code(code: u8) -> Option<AttendeeType> {
        Some(match code {
            1 => AttendeeType::Required,
            2 => AttendeeType::Optional,
            3 => AttendeeType::Resource,
            _ => return None,
        })
    }
}

/// An invited person or resource (MS-ASCAL 2.2.2.3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Attendee {
    /// R100: required in EAS; an attendee without an address is not kept.
    pub email: String,
    /// R101: required in EAS; [`Attendee::display_name`] gives the address when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AttendeeStatus>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<AttendeeType>,
    /// 16.1 `ProposedStartTime` (MS-ASCMD 2.2.3.141): a new time the attendee proposed.
    #[serde(with = "utc_opt", skip_serializing_if = "Option::is_none")]
    pub proposed_start: Option<DateTime<Utc>>,
    /// 16.1 `ProposedEndTime` (MS-ASCMD 2.2.3.140).
    #[serde(with = "utc_opt", skip_serializing_if = "Option::is_none")]
    pub proposed_end: Option<DateTime<Utc>>,
}

impl Attendee {
    pub fn new(email: impl Into<String>, name: Option<&str>) -> Attendee {
        Attendee {
            email: email.into(),
            name: name.map(str::to_string),
            ..Attendee::default()
        }
    }

    /// The name EAS requires (R101): the name, else the address (SOGo 4ed2c727a, PIM_FACTS 1.7).
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(&self.email)
    }
}

/// `BusyStatus` (MS-ASCAL 2.2.2.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusyStatus {
    /// 0
    Free,
    /// 1
    Tentative,
    /// 2
    Busy,
    /// 3
    OutOfOffice,
    /// 4: 16.x responses only (R2044); earlier versions get Free.
    WorkingElsewhere,
    /// -1: 16.x responses only; earlier versions get Busy (GRS 7bdc643, PIM_FACTS 6.19).
    Unknown,
}

impl BusyStatus {
    pub const fn code(self) -> i8 {
        match self {
            BusyStatus::Free => 0,
            BusyStatus::Tentative => 1,
            BusyStatus::Busy => 2,
            BusyStatus::OutOfOffice => 3,
            BusyStatus::WorkingElsewhere => 4,
            BusyStatus::Unknown => -1,
        }
    }

    /// The value a client of `version` may receive: 4 and -1 exist only from 16.0 (R2044,
    /// R2044001); before, working elsewhere is Free and unknown is Busy (GRS 7bdc643,
    /// PIM_FACTS 6.19).
    pub fn for_version(self, version: eas_protocol::ProtocolVersion) -> BusyStatus {
        if version >= eas_protocol::ProtocolVersion::V16_0 {
            return self;
        }
        match self {
            BusyStatus::WorkingElsewhere => BusyStatus::Free,
            BusyStatus::Unknown => BusyStatus::Busy,
            other => other,
        }
    }

    pub const fn from_code(code: i64) -> Option<BusyStatus> {
        Some(match code {
            0 => BusyStatus::Free,
            1 => BusyStatus::Tentative,
            2 => BusyStatus::Busy,
            3 => BusyStatus::OutOfOffice,
            4 => BusyStatus::WorkingElsewhere,
            -1 => BusyStatus::Unknown,
            _ => return None,
        })
    }
}

/// `Sensitivity` (MS-ASCAL 2.2.2.41).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// 0
    Normal,
    /// 1
    Personal,
    /// 2
    Private,
    /// 3
    Confidential,
}

impl Sensitivity {
    pub const fn code(self) -> u8 {
        match self {
            Sensitivity::Normal => 0,
            Sensitivity::Personal => 1,
            Sensitivity::Private => 2,
            Sensitivity::Confidential => 3,
        }
    }

    pub const fn from_code(code: u8) -> Option<Sensitivity> {
        Some(match code {
            0 => Sensitivity::Normal,
            1 => Sensitivity::Personal,
            2 => Sensitivity::Private,
            3 => Sensitivity::Confidential,
            _ => return None,
        })
    }
}

/// `MeetingStatus` (MS-ASCAL 2.2.2.28): meeting or appointment, organized or received,
/// cancelled or not. 9, 11, 13 and 15 mean the same as 1, 3, 5 and 7 (R315 to R318).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    /// 0: no attendees.
    Appointment,
    /// 1: the user organizes it.
    Organizer,
    /// 3: received from someone else.
    Received,
    /// 5: cancelled by the user.
    CancelledByOrganizer,
    /// 7: received and cancelled by its organizer.
    CancelledReceived,
}

impl MeetingStatus {
    pub const fn code(self) -> u8 {
        match self {
            MeetingStatus::Appointment => 0,
            MeetingStatus::Organizer => 1,
            MeetingStatus::Received => 3,
            MeetingStatus::CancelledByOrganizer => 5,
            MeetingStatus::CancelledReceived => 7,
        }
    }

    /// R309: 0, 1, 3, 5, 7, 9, 11, 13 or 15.
    pub const fn from_code(code: u8) -> Option<MeetingStatus> {
        Some(match code {
            0 => MeetingStatus::Appointment,
            1 | 9 => MeetingStatus::Organizer,
            3 | 11 => MeetingStatus::Received,
            5 | 13 => MeetingStatus::CancelledByOrganizer,
            7 | 15 => MeetingStatus::CancelledReceived,
            _ => return None,
        })
    }

    /// Whether the user is an attendee, not the organizer (the R bit).
    pub const fn is_received(self) -> bool {
        matches!(
            self,
            MeetingStatus::Received | MeetingStatus::CancelledReceived
        )
    }

    pub const fn is_cancelled(self) -> bool {
        matches!(
            self,
            MeetingStatus::CancelledByOrganizer | MeetingStatus::CancelledReceived
        )
    }
}

/// `ResponseType` (MS-ASCAL 2.2.2.40): the user's answer to a meeting request. Server-written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseType {
    /// 0
    None,
    /// 1
    Organizer,
    /// 2
    Tentative,
    /// 3
    Accepted,
    /// 4
    Declined,
    /// 5
    NotResponded,
}

impl ResponseType {
    pub const fn code(self) -> u8 {
        match self {
            ResponseType::None => 0,
            ResponseType::Organizer => 1,
            ResponseType::Tentative => 2,
            ResponseType::Accepted => 3,
            ResponseType::Declined => 4,
            ResponseType::NotResponded => 5,
        }
    }

    pub const fn from_code(code: u8) -> Option<ResponseType> {
        Some(match code {
            0 => ResponseType::None,
            1 => ResponseType::Organizer,
            2 => ResponseType::Tentative,
            3 => ResponseType::Accepted,
            4 => ResponseType::Declined,
            5 => ResponseType::NotResponded,
            _ => return None,
        })
    }
}

/// A property of an exception: inherited from the series, removed for this occurrence (an empty
/// element, MS-ASCAL 3.1.5.3.1 and 3.2.5.3.2), or set. Stored as absent, `null`, or the value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Override<T> {
    #[default]
    Inherit,
    Removed,
    Set(T),
}

impl<T> Override<T> {
    pub fn is_inherit(&self) -> bool {
        matches!(self, Override::Inherit)
    }

    /// The occurrence's value given the series' one.
    pub fn resolve<'a>(&'a self, series: Option<&'a T>) -> Option<&'a T> {
        match self {
            Override::Inherit => series,
            Override::Removed => None,
            Override::Set(v) => Some(v),
        }
    }

    /// `Set(v)` unless `v` equals the series' value (then `Inherit`); `Removed` for no value
    /// when the series has one.
    pub fn against(value: Option<T>, series: Option<&T>) -> Override<T>
    where
        T: PartialEq,
    {
        match (value, series) {
            (None, None) => Override::Inherit,
            (None, Some(_)) => Override::Removed,
            (Some(v), Some(s)) if v == *s => Override::Inherit,
            (Some(v), _) => Override::Set(v),
        }
    }
}

impl<T: Serialize> Serialize for Override<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Override::Set(v) => s.serialize_some(v),
            _ => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Override<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Override<T>, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Override::Set(v),
            None => Override::Removed,
        })
    }
}

/// One occurrence of a series changed or deleted (MS-ASCAL 2.2.2.21; iCalendar `EXDATE` or a
/// `RECURRENCE-ID` override). Keyed in [`Event::exceptions`] by its original start.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Exception {
    /// `Deleted` 1: the occurrence is cancelled (R210).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// The occurrence's own times; `None`: at its original time, for the series' duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    #[serde(skip_serializing_if = "Override::is_inherit")]
    pub subject: Override<String>,
    #[serde(skip_serializing_if = "Override::is_inherit")]
    pub location: Override<Location>,
    #[serde(skip_serializing_if = "Override::is_inherit")]
    pub notes: Override<Notes>,
    #[serde(skip_serializing_if = "Override::is_inherit")]
    pub categories: Override<Vec<String>>,
    #[serde(skip_serializing_if = "Override::is_inherit")]
    pub sensitivity: Override<Sensitivity>,
    #[serde(skip_serializing_if = "Override::is_inherit")]
    pub busy_status: Override<BusyStatus>,
    #[serde(skip_serializing_if = "Override::is_inherit")]
    pub reminder: Override<u32>,
    #[serde(skip_serializing_if = "Override::is_inherit")]
    pub meeting_status: Override<MeetingStatus>,
    #[serde(skip_serializing_if = "Override::is_inherit")]
    pub attendees: Override<Vec<Attendee>>,
    #[serde(skip_serializing_if = "Override::is_inherit")]
    pub online_meeting_conf_link: Override<String>,
    #[serde(skip_serializing_if = "Override::is_inherit")]
    pub online_meeting_external_link: Override<String>,
    /// The occurrence's own attachments (16.x, MS-ASCAL R2107); inherited: the series'.
    #[serde(skip_serializing_if = "Override::is_inherit")]
    pub attachments: Override<Vec<Attachment>>,
    /// When the exception was made (R22111).
    #[serde(with = "utc_opt", skip_serializing_if = "Option::is_none")]
    pub dtstamp: Option<DateTime<Utc>>,
    /// When the user answered for this occurrence (R89011).
    #[serde(with = "utc_opt", skip_serializing_if = "Option::is_none")]
    pub appointment_reply_time: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_type: Option<ResponseType>,
    /// What the override's iCalendar component carried beyond the EAS properties.
    #[serde(skip_serializing_if = "ICalMeta::is_empty")]
    pub ical: ICalMeta,
}

impl Exception {
    /// A deleted occurrence.
    pub fn deleted() -> Exception {
        Exception {
            deleted: true,
            ..Exception::default()
        }
    }
}

/// A calendar item: a single event or a recurring series with its exceptions. Text properties
/// are `None` when absent (never `Some("")`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `StartTime`/`EndTime`/`AllDayEvent` (MS-ASCAL 2.2.2.42, 2.2.2.20, 2.2.2.1).
    pub when: When,
    /// The event's zone (`Timezone`, MS-ASCAL 2.2.2.44, matched to an IANA zone; iCalendar
    /// `TZID`). A series recurs at the same local time in this zone; `None` is UTC.
    #[serde(default, with = "zone_opt", skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<Tz>,
    /// MS-ASCAL 2.2.2.43
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// MS-ASCAL 2.2.2.27 / MS-ASAIRS 2.2.2.28
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// MS-ASCAL 2.2.2.7.1 (airsyncbase:Body)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Notes>,
    /// MS-ASCAL 2.2.2.36
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizer_name: Option<String>,
    /// MS-ASCAL 2.2.2.35
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizer_email: Option<String>,
    /// MS-ASCAL 2.2.2.4; never the organizer (PIM_FACTS 1.7).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attendees: Vec<Attendee>,
    /// MS-ASCAL 2.2.2.38: minutes before the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder: Option<u32>,
    /// MS-ASCAL 2.2.2.9
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy_status: Option<BusyStatus>,
    /// MS-ASCAL 2.2.2.41
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<Sensitivity>,
    /// MS-ASCAL 2.2.2.11: at most 300 (R186).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// MS-ASCAL 2.2.2.46: at most 300 characters; iCalendar `UID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// MS-ASCAL 2.2.2.13: the 16.x client's id for the Add, to detect a repeated Add (R2062).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uid: Option<String>,
    /// MS-ASCAL 2.2.2.18
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    pub dtstamp: Option<DateTime<Utc>>,
    /// MS-ASCAL 2.2.2.28
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_status: Option<MeetingStatus>,
    /// MS-ASCAL 2.2.2.39
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_requested: Option<bool>,
    /// MS-ASCAL 2.2.2.17
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disallow_new_time_proposal: Option<bool>,
    /// MS-ASCAL 2.2.2.40
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_type: Option<ResponseType>,
    /// MS-ASCAL 2.2.2.2
    #[serde(default, with = "utc_opt", skip_serializing_if = "Option::is_none")]
    pub appointment_reply_time: Option<DateTime<Utc>>,
    /// MS-ASCAL 2.2.2.33
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_meeting_conf_link: Option<String>,
    /// MS-ASCAL 2.2.2.34
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_meeting_external_link: Option<String>,
    /// MS-ASCAL 2.2.2.37
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
    /// MS-ASCAL 2.2.2.21, by original start: an instant for a timed series, a date for an
    /// all-day one. At most 256 go to a client (R24311).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exceptions: BTreeMap<Moment, Exception>,
    /// MS-ASAIRS 2.2.2.8 (16.x); iCalendar `ATTACH;VALUE=BINARY`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// What an iCalendar file carried beyond the EAS properties, kept for export.
    #[serde(default, skip_serializing_if = "ICalMeta::is_empty")]
    pub ical: ICalMeta,
}

impl Event {
    /// An event at `when` with nothing else set.
    pub fn new(when: When) -> Event {
        Event {
            when,
            time_zone: None,
            subject: None,
            location: None,
            notes: None,
            organizer_name: None,
            organizer_email: None,
            attendees: Vec::new(),
            reminder: None,
            busy_status: None,
            sensitivity: None,
            categories: Vec::new(),
            uid: None,
            client_uid: None,
            dtstamp: None,
            meeting_status: None,
            response_requested: None,
            disallow_new_time_proposal: None,
            response_type: None,
            appointment_reply_time: None,
            online_meeting_conf_link: None,
            online_meeting_external_link: None,
            recurrence: None,
            exceptions: BTreeMap::new(),
            attachments: Vec::new(),
            ical: ICalMeta::default(),
        }
    }

    pub fn is_all_day(&self) -> bool {
        self.when.is_all_day()
    }

    pub fn is_recurring(&self) -> bool {
        self.recurrence.is_some()
    }

    /// The zone the event's local times are in: its own, else UTC.
    pub fn zone(&self) -> Tz {
        self.time_zone.unwrap_or(Tz::UTC)
    }
}
