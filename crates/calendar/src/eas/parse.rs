//! What a phone sent in the `ApplicationData` of a Sync `Add` or `Change` (MS-ASCAL 3.1.5.3):
//! which fields were present, with what, checked against the values MS-ASCAL allows.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use eas_protocol::body::{AttachmentChanges, BodyType};
use eas_protocol::status::SyncStatus;
use eas_protocol::ProtocolVersion;
use eas_wbxml::tags::{air_sync_base as asb, calendar as cal, meeting_response as mr};
use eas_wbxml::Element;

use super::{check_version, UnsupportedVersion, MAX_EXCEPTIONS};
use crate::event::{Attendee, AttendeeStatus, AttendeeType, Location, Notes, NotesFormat};
use crate::field::Field;
use crate::recurrence::{RecurrenceElements, RecurrenceError};
use crate::time::parse_eas_datetime;
use crate::tz::{TimeZoneBlob, TzBlobError};

/// One field as the phone sent it.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    /// The element was there with no value: the value is deleted (in an exception: not
    /// inherited, MS-ASCAL 3.1.5.3.1).
    Empty,
    Text(String),
    /// A number or boolean, checked for its field.
    Number(i64),
    Time(DateTime<Utc>),
    Timezone(TimeZoneBlob),
    Location(Location),
    Notes(Notes),
    Attendees(Vec<Attendee>),
    Categories(Vec<String>),
    Recurrence(RecurrenceElements),
    Exceptions(Vec<ExceptionChange>),
    /// 16.x `airsyncbase:Attachments`: attachments added and deleted (MS-ASAIRS 2.2.2.8).
    Attachments(AttachmentChanges),
}

/// One `Exception` as sent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExceptionChange {
    /// `ExceptionStartTime`, or `InstanceId` from 16.0: the original start.
    pub original: Option<DateTime<Utc>>,
    pub deleted: bool,
    pub fields: BTreeMap<Field, Incoming>,
}

/// The fields present in a phone's `ApplicationData`; a field not in the map was not sent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventChange {
    pub fields: BTreeMap<Field, Incoming>,
}

impl EventChange {
    pub fn get(&self, field: Field) -> Option<&Incoming> {
        self.fields.get(&field)
    }

    pub fn contains(&self, field: Field) -> bool {
        self.fields.contains_key(&field)
    }
}

/// Calendar data a phone sent that the server cannot take.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error(transparent)]
    UnsupportedVersion(#[from] UnsupportedVersion),
    #[error("{field:?} has a value MS-ASCAL does not allow: {value:?}")]
    BadValue { field: Field, value: String },
    #[error(transparent)]
    Timezone(#[from] TzBlobError),
    #[error(transparent)]
    Recurrence(#[from] RecurrenceError),
    /// MS-ASCAL 3.2.5.3 (R53915).
    #[error("EndTime without StartTime")]
    EndWithoutStart,
    /// R246, R2098.
    #[error("an Exception without its original start")]
    ExceptionWithoutStart,
    /// R243.
    #[error("{0} exceptions; at most {MAX_EXCEPTIONS}")]
    TooManyExceptions(usize),
    #[error("airsyncbase:Body has an unknown Type {0:?}")]
    BadBodyType(String),
    /// MS-ASAIRS 2.2.2.2: an `Add` without its `ClientId` (R1009) or `Content` (R1010), a
    /// reserved `Method`, a `Delete` without `FileReference` (R1141).
    #[error("airsyncbase:Attachments: {0}")]
    Attachments(eas_protocol::ParseError),
}

impl ParseError {
    /// The Sync status of the item: 6 for every invalid item (MS-ASCAL 3.2.5.3).
    pub fn sync_status(&self) -> SyncStatus {
        match self {
            ParseError::UnsupportedVersion(_) => SyncStatus::ProtocolError,
            _ => SyncStatus::ConversionError,
        }
    }
}

fn text_of(el: &Element) -> String {
    el.text_content().unwrap_or_default()
}

fn bad(field: Field, value: &str) -> ParseError {
    ParseError::BadValue {
        field,
        value: value.chars().take(64).collect(),
    }
}

/// The allowed numbers of a numeric field.
fn number(field: Field, text: &str) -> Result<i64, ParseError> {
    let n: i64 = text.trim().parse().map_err(|_| bad(field, text))?;
    let ok = match field {
        Field::AllDayEvent | Field::ResponseRequested | Field::DisallowNewTimeProposal => {
            (0..=1).contains(&n)
        }
        Field::BusyStatus => (-1..=4).contains(&n),
        Field::Sensitivity => (0..=3).contains(&n),
        Field::MeetingStatus => {
            u8::try_from(n).is_ok_and(|c| crate::event::MeetingStatus::from_code(c).is_some())
        }
        Field::Reminder => (0..=i64::from(u32::MAX)).contains(&n),
        Field::ResponseType => (0..=5).contains(&n),
        _ => true,
    };
    if ok {
        Ok(n)
    } else {
        Err(bad(field, text))
    }
}

/// Reads the children of `ApplicationData`. Elements of other classes are skipped, as are the
/// ones only a server writes (R92, R404, R349, R356); the first of two copies wins.
pub fn parse(elements: &[Element], version: ProtocolVersion) -> Result<EventChange, ParseError> {
    check_version(version)?;
    let mut change = EventChange::default();
    for el in elements {
        let Some(field) = Field::from_tag(el.tag) else {
            continue;
        };
        if field.server_only() || change.fields.contains_key(&field) {
            continue;
        }
        // MS-ASAIRS R1017 to R1019, R1142 to R1144: no attachment Add or Delete before 16.0.
        if field == Field::Attachments && version < ProtocolVersion::V16_0 {
            continue;
        }
        change.fields.insert(field, incoming(field, el, version)?);
    }
    if change.contains(Field::EndTime) && !change.contains(Field::StartTime) {
        return Err(ParseError::EndWithoutStart);
    }
    Ok(change)
}

fn incoming(field: Field, el: &Element, version: ProtocolVersion) -> Result<Incoming, ParseError> {
    if field == Field::Body {
        return body(el);
    }
    if field == Field::Location && el.tag == asb::LOCATION {
        return location(el);
    }
    let t = text_of(el);
    let empty = t.trim().is_empty() && el.elements().next().is_none();
    Ok(match field {
        Field::Attendees => {
            let list = attendees(el)?;
            if list.is_empty() {
                Incoming::Empty
            } else {
                Incoming::Attendees(list)
            }
        }
        Field::Categories => {
            let list: Vec<String> = el
                .children_of(cal::CATEGORY)
                .map(text_of)
                .filter(|v| !v.trim().is_empty())
                .collect();
            if list.is_empty() {
                Incoming::Empty
            } else {
                Incoming::Categories(list)
            }
        }
        Field::Recurrence => Incoming::Recurrence(RecurrenceElements::from_element(el)?),
        Field::Exceptions => Incoming::Exceptions(exceptions(el, version)?),
        Field::Attachments => Incoming::Attachments(
            AttachmentChanges::from_element(el).map_err(ParseError::Attachments)?,
        ),
        _ if empty => Incoming::Empty,
        Field::Timezone => Incoming::Timezone(TimeZoneBlob::from_base64(&t)?),
        Field::StartTime | Field::EndTime | Field::DtStamp | Field::AppointmentReplyTime => {
            Incoming::Time(parse_eas_datetime(&t).ok_or_else(|| bad(field, &t))?)
        }
        Field::AllDayEvent
        | Field::BusyStatus
        | Field::Sensitivity
        | Field::MeetingStatus
        | Field::Reminder
        | Field::ResponseRequested
        | Field::ResponseType
        | Field::DisallowNewTimeProposal => Incoming::Number(number(field, &t)?),
        Field::Uid | Field::ClientUid if t.chars().count() > 300 => return Err(bad(field, &t)),
        _ => Incoming::Text(t),
    })
}

/// `airsyncbase:Body` of a request: `Type` and `Data`. Without data, the body was cleared.
fn body(el: &Element) -> Result<Incoming, ParseError> {
    let data = el.child(asb::DATA).map(text_of).unwrap_or_default();
    if data.is_empty() {
        return Ok(Incoming::Empty);
    }
    let kind = el
        .child_text(asb::TYPE)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let format = match kind {
        None => NotesFormat::Plain,
        Some(t) => match t.parse::<u8>().ok().and_then(BodyType::from_code) {
            Some(BodyType::PlainText) => NotesFormat::Plain,
            Some(BodyType::Html) => NotesFormat::Html,
            Some(BodyType::Rtf) => NotesFormat::Rtf,
            _ => return Err(ParseError::BadBodyType(t)),
        },
    };
    Ok(Incoming::Notes(Notes { format, text: data }))
}

/// `airsyncbase:Location` (MS-ASAIRS 2.2.2.28); empty removes the location (R1001013).
fn location(el: &Element) -> Result<Incoming, ParseError> {
    let text = |tag| {
        el.child_text(tag)
            .map(|t| t.to_string())
            .filter(|t| !t.trim().is_empty())
    };
    let number = |tag| -> Result<Option<f64>, ParseError> {
        match el.child_text(tag).filter(|t| !t.trim().is_empty()) {
            None => Ok(None),
            Some(t) => t
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| bad(Field::Location, &t)),
        }
    };
    let loc = Location {
        display_name: text(asb::DISPLAY_NAME),
        annotation: text(asb::ANNOTATION),
        street: text(asb::STREET),
        city: text(asb::CITY),
        state: text(asb::STATE),
        country: text(asb::COUNTRY),
        postal_code: text(asb::POSTAL_CODE),
        latitude: number(asb::LATITUDE)?,
        longitude: number(asb::LONGITUDE)?,
        accuracy: number(asb::ACCURACY)?,
        altitude: number(asb::ALTITUDE)?,
        altitude_accuracy: number(asb::ALTITUDE_ACCURACY)?,
        location_uri: text(asb::LOCATION_URI),
    };
    Ok(if loc.is_empty() {
        Incoming::Empty
    } else {
        Incoming::Location(loc)
    })
}

/// The attendees; one without an address is dropped (R100), status and type checked (R118,
/// R123).
fn attendees(el: &Element) -> Result<Vec<Attendee>, ParseError> {
    let mut out = Vec::new();
    for a in el.children_of(cal::ATTENDEE) {
        let email = a.child_text(cal::EMAIL).unwrap_or_default();
        if email.trim().is_empty() {
            continue;
        }
        let code = |tag, f: fn(u8) -> Option<()>| -> Result<Option<u8>, ParseError> {
            match a.child_text(tag).filter(|t| !t.trim().is_empty()) {
                None => Ok(None),
                Some(t) => t
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|c| f(*c).is_some())
                    .map(Some)
                    .ok_or_else(|| bad(Field::Attendees, &t)),
            }
        };
        let status = code(cal::ATTENDEE_STATUS, |c| {
            AttendeeStatus::from_code(c).map(|_| ())
        })?
        .and_then(AttendeeStatus::from_code);
        let kind = code(cal::ATTENDEE_TYPE, |c| {
            AttendeeType::from_code(c).map(|_| ())
        })?
        .and_then(AttendeeType::from_code);
        let time = |tag| a.child_text(tag).and_then(|t| parse_eas_datetime(&t));
        out.push(Attendee {
            email: email.trim().to_string(),
            name: a.child_text(cal::NAME).filter(|n| !n.trim().is_empty()),
            status,
            kind,
            proposed_start: time(mr::PROPOSED_START_TIME),
            proposed_end: time(mr::PROPOSED_END_TIME),
        });
    }
    Ok(out)
}

const EXCEPTION_FIELDS: [Field; 14] = [
    Field::Subject,
    Field::StartTime,
    Field::EndTime,
    Field::Body,
    Field::Location,
    Field::Categories,
    Field::Sensitivity,
    Field::BusyStatus,
    Field::AllDayEvent,
    Field::Reminder,
    Field::DtStamp,
    Field::MeetingStatus,
    Field::Attendees,
    // 16.x only (MS-ASCAL R2107).
    Field::Attachments,
];

/// The fields a 16.x Change of one occurrence (`InstanceId`) or an `Exception` may carry.
pub(crate) fn is_exception_field(f: Field) -> bool {
    EXCEPTION_FIELDS.contains(&f)
}

fn exceptions(el: &Element, version: ProtocolVersion) -> Result<Vec<ExceptionChange>, ParseError> {
    let list: Vec<&Element> = el.children_of(cal::EXCEPTION).collect();
    if list.len() > MAX_EXCEPTIONS {
        return Err(ParseError::TooManyExceptions(list.len()));
    }
    list.into_iter()
        .map(|x| {
            let start_tag = if version >= ProtocolVersion::V16_0 {
                asb::INSTANCE_ID
            } else {
                cal::EXCEPTION_START_TIME
            };
            let original = x
                .child_text(start_tag)
                .or_else(|| x.child_text(cal::EXCEPTION_START_TIME))
                .or_else(|| x.child_text(asb::INSTANCE_ID))
                .ok_or(ParseError::ExceptionWithoutStart)?;
            let original =
                parse_eas_datetime(&original).ok_or(ParseError::ExceptionWithoutStart)?;
            let deleted = x.child_text(cal::DELETED).is_some_and(|d| d.trim() == "1");
            let mut fields = BTreeMap::new();
            for child in x.elements() {
                let Some(f) = Field::from_tag(child.tag).filter(|f| is_exception_field(*f)) else {
                    continue;
                };
                if f == Field::Attachments && version < ProtocolVersion::V16_0 {
                    continue;
                }
                if let std::collections::btree_map::Entry::Vacant(slot) = fields.entry(f) {
                    slot.insert(incoming(f, child, version)?);
                }
            }
            Ok(ExceptionChange {
                original: Some(original),
                deleted,
                fields,
            })
        })
        .collect()
}
