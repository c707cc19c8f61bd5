//! The top-level properties of the Calendar class (MS-ASCAL 2.2.2, R557), by name: which
//! element carries each, and which can be ghosted (MS-ASCMD 2.2.3.179).

use std::collections::BTreeSet;

use eas_protocol::ProtocolVersion;
use eas_wbxml::tags::{air_sync_base as asb, calendar as cal};
use eas_wbxml::{Element, Tag};
use serde::{Deserialize, Serialize};

/// A top-level property of the Calendar class. The order is the order of rendering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// MS-ASCAL 2.2.2.44
    Timezone,
    /// MS-ASCAL 2.2.2.1
    AllDayEvent,
    /// MS-ASCAL 2.2.2.7.1 (airsyncbase:Body)
    Body,
    /// MS-ASCAL 2.2.2.9
    BusyStatus,
    /// MS-ASCAL 2.2.2.36
    OrganizerName,
    /// MS-ASCAL 2.2.2.35
    OrganizerEmail,
    /// MS-ASCAL 2.2.2.18
    DtStamp,
    /// MS-ASCAL 2.2.2.20
    EndTime,
    /// MS-ASCAL 2.2.2.27 up to 14.1, MS-ASAIRS 2.2.2.28 from 16.0.
    Location,
    /// MS-ASCAL 2.2.2.38
    Reminder,
    /// MS-ASCAL 2.2.2.41
    Sensitivity,
    /// MS-ASCAL 2.2.2.43
    Subject,
    /// MS-ASCAL 2.2.2.42
    StartTime,
    /// MS-ASCAL 2.2.2.46
    Uid,
    /// MS-ASCAL 2.2.2.28
    MeetingStatus,
    /// MS-ASCAL 2.2.2.4
    Attendees,
    /// MS-ASCAL 2.2.2.11
    Categories,
    /// MS-ASCAL 2.2.2.37
    Recurrence,
    /// MS-ASCAL 2.2.2.22
    Exceptions,
    /// MS-ASCAL 2.2.2.39
    ResponseRequested,
    /// MS-ASCAL 2.2.2.2 (server-written)
    AppointmentReplyTime,
    /// MS-ASCAL 2.2.2.40 (server-written)
    ResponseType,
    /// MS-ASCAL 2.2.2.17
    DisallowNewTimeProposal,
    /// MS-ASCAL 2.2.2.33 (server-written)
    OnlineMeetingConfLink,
    /// MS-ASCAL 2.2.2.34 (server-written)
    OnlineMeetingExternalLink,
    /// MS-ASAIRS 2.2.2.8 (16.x only): `Attachment`s in responses, `Add` and `Delete` in
    /// requests.
    Attachments,
    /// MS-ASCAL 2.2.2.13 (16.x requests only)
    ClientUid,
}

impl Field {
    /// Every field.
    pub const ALL: &'static [Field] = &[
        Field::Timezone,
        Field::AllDayEvent,
        Field::Body,
        Field::BusyStatus,
        Field::OrganizerName,
        Field::OrganizerEmail,
        Field::DtStamp,
        Field::EndTime,
        Field::Location,
        Field::Reminder,
        Field::Sensitivity,
        Field::Subject,
        Field::StartTime,
        Field::Uid,
        Field::MeetingStatus,
        Field::Attendees,
        Field::Categories,
        Field::Recurrence,
        Field::Exceptions,
        Field::ResponseRequested,
        Field::AppointmentReplyTime,
        Field::ResponseType,
        Field::DisallowNewTimeProposal,
        Field::OnlineMeetingConfLink,
        Field::OnlineMeetingExternalLink,
        Field::Attachments,
        Field::ClientUid,
    ];

    /// The fields a client must list in `Supported` to sync calendars (MS-ASCMD R4555).
    pub const REQUIRED_SUPPORTED: &'static [Field] = &[
        Field::DtStamp,
        Field::Categories,
        Field::Sensitivity,
        Field::BusyStatus,
        Field::Uid,
        Field::Timezone,
        Field::StartTime,
        Field::Subject,
        Field::Location,
        Field::EndTime,
        Field::Recurrence,
        Field::AllDayEvent,
        Field::Reminder,
        Field::Exceptions,
    ];

    /// The element of the field in `version` (Location moved to AirSyncBase in 16.0, R2135).
    pub fn tag(self, version: ProtocolVersion) -> Tag {
        match self {
            Field::Timezone => cal::TIMEZONE,
            Field::AllDayEvent => cal::ALL_DAY_EVENT,
            Field::Body => asb::BODY,
            Field::BusyStatus => cal::BUSY_STATUS,
            Field::OrganizerName => cal::ORGANIZER_NAME,
            Field::OrganizerEmail => cal::ORGANIZER_EMAIL,
            Field::DtStamp => cal::DT_STAMP,
            Field::EndTime => cal::END_TIME,
            Field::Location if version >= ProtocolVersion::V16_0 => asb::LOCATION,
            Field::Location => cal::LOCATION,
            Field::Reminder => cal::REMINDER,
            Field::Sensitivity => cal::SENSITIVITY,
            Field::Subject => cal::SUBJECT,
            Field::StartTime => cal::START_TIME,
            Field::Uid => cal::UID,
            Field::MeetingStatus => cal::MEETING_STATUS,
            Field::Attendees => cal::ATTENDEES,
            Field::Categories => cal::CATEGORIES,
            Field::Recurrence => cal::RECURRENCE,
            Field::Exceptions => cal::EXCEPTIONS,
            Field::ResponseRequested => cal::RESPONSE_REQUESTED,
            Field::AppointmentReplyTime => cal::APPOINTMENT_REPLY_TIME,
            Field::ResponseType => cal::RESPONSE_TYPE,
            Field::DisallowNewTimeProposal => cal::DISALLOW_NEW_TIME_PROPOSAL,
            Field::OnlineMeetingConfLink => cal::ONLINE_MEETING_CONF_LINK,
            Field::OnlineMeetingExternalLink => cal::ONLINE_MEETING_EXTERNAL_LINK,
            Field::Attachments => asb::ATTACHMENTS,
            Field::ClientUid => cal::CLIENT_UID,
        }
    }

    /// The field an element names, in any version (both Location elements are Location).
    pub fn from_tag(tag: Tag) -> Option<Field> {
        if tag == asb::LOCATION || tag == cal::LOCATION {
            return Some(Field::Location);
        }
        Field::ALL
            .iter()
            .copied()
            .find(|f| f.tag(ProtocolVersion::V14_1) == tag)
    }

    /// Whether the field can be ghosted up to 14.1 (MS-ASCMD 2.2.3.179; MS-ASCAL R128, R111,
    /// R319, R365, R370, R399, R217, R96, R419, R352, R360): every top-level property except
    /// `Location` (R301: "cannot be ghosted"), `Exceptions` (an omitted `Exceptions` never
    /// deletes them, 3.2.5.3.1, R541), `ClientUid` (not a stored property of the item for the
    /// client) and `Attachments` (16.x only; changed by its `Add` and `Delete` alone). From 16.0
    /// everything is ghosted (R2231), which the EAS codec decides.
    pub const fn ghostable(self) -> bool {
        !matches!(
            self,
            Field::Location | Field::Exceptions | Field::ClientUid | Field::Attachments
        )
    }

    /// Whether only the server writes the field (a client must not send it: R92, R404, R349,
    /// R356).
    pub const fn server_only(self) -> bool {
        matches!(
            self,
            Field::AppointmentReplyTime
                | Field::ResponseType
                | Field::OnlineMeetingConfLink
                | Field::OnlineMeetingExternalLink
        )
    }
}

/// A set of fields: the `Supported` list of a Sync collection (MS-ASCMD 2.2.3.179), or an
/// ItemOperations `Schema` (MS-ASCAL 3.2.5.1, R530).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldSet(BTreeSet<Field>);

/// The client's `Supported` list: the properties it manages, hence not ghosted.
pub type SupportedSet = FieldSet;

impl FieldSet {
    /// The fields named by the children of a `Supported` or `Schema` element. Elements of other
    /// classes (Contacts) and unknown ones are skipped.
    pub fn from_elements(children: &[Element]) -> FieldSet {
        FieldSet(
            children
                .iter()
                .filter_map(|e| Field::from_tag(e.tag))
                .collect(),
        )
    }

    /// The empty elements that name the fields, as a client writes them in `Supported`.
    pub fn to_elements(&self, version: ProtocolVersion) -> Vec<Element> {
        self.0
            .iter()
            .map(|f| Element::new(f.tag(version)))
            .collect()
    }

    pub fn contains(&self, field: Field) -> bool {
        self.0.contains(&field)
    }

    pub fn insert(&mut self, field: Field) {
        self.0.insert(field);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Field> + '_ {
        self.0.iter().copied()
    }

    /// The fields of R4555 the set lacks.
    pub fn missing_required(&self) -> Vec<Field> {
        Field::REQUIRED_SUPPORTED
            .iter()
            .copied()
            .filter(|f| !self.contains(*f))
            .collect()
    }
}

impl FromIterator<Field> for FieldSet {
    fn from_iter<I: IntoIterator<Item = Field>>(iter: I) -> FieldSet {
        FieldSet(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_found_from_its_element_in_every_version() {
        for v in [ProtocolVersion::V14_1, ProtocolVersion::V16_1] {
            for f in Field::ALL {
                assert_eq!(Field::from_tag(f.tag(v)), Some(*f), "{f:?} at {v:?}");
            }
        }
        assert_eq!(Field::from_tag(asb::LOCATION), Some(Field::Location));
        assert_eq!(Field::from_tag(cal::LOCATION), Some(Field::Location));
        assert_eq!(Field::from_tag(cal::ATTENDEE), None);
    }

    #[test]
    fn location_moves_to_airsyncbase_in_16() {
        assert_eq!(Field::Location.tag(ProtocolVersion::V14_1), cal::LOCATION);
        assert_eq!(Field::Location.tag(ProtocolVersion::V16_0), asb::LOCATION);
    }

    #[test]
    fn supported_lists_read_their_fields_and_name_what_is_missing() {
        let set = FieldSet::from_elements(&[
            Element::new(cal::SUBJECT),
            Element::new(cal::START_TIME),
            Element::new(eas_wbxml::tags::contacts::FIRST_NAME),
        ]);
        assert!(set.contains(Field::Subject) && set.contains(Field::StartTime));
        assert_eq!(set.iter().count(), 2);
        assert!(set.missing_required().contains(&Field::DtStamp));
        assert!(!set.missing_required().contains(&Field::Subject));
        let all: FieldSet = Field::REQUIRED_SUPPORTED.iter().copied().collect();
        assert!(all.missing_required().is_empty());
    }

    #[test]
    fn location_and_exceptions_are_not_ghostable() {
        assert!(!Field::Location.ghostable());
        assert!(!Field::Exceptions.ghostable());
        assert!(Field::Attendees.ghostable());
        assert!(Field::Body.ghostable());
    }
}
