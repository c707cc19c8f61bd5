//! An event as Calendar-class elements (MS-ASCAL 2.2.2, 3.2.5): the children of
//! `airsync:ApplicationData` in Sync, of `Properties` in ItemOperations and Search.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use eas_protocol::body::{
    attachments_element as wire_attachments, select_body, Attachment as WireAttachment,
    AttachmentMethod, AvailableBodies, Body, BodyPreference, BodyType,
};
use eas_protocol::ProtocolVersion;
use eas_wbxml::tags::{air_sync_base as asb, calendar as cal, meeting_response as mr};
use eas_wbxml::Element;

use super::{check_version, EasContext, UnsupportedVersion, MAX_EXCEPTIONS};
use crate::attachment::Attachment;
use crate::event::{Attendee, Event, Exception, Location, Notes, NotesFormat, Override, When};
use crate::field::{Field, FieldSet};
use crate::recurrence::RecurrenceElements;
use crate::time::{format_compact, Moment};
use crate::tz::encode_zone;

/// How to render.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions<'a> {
    /// The collection's `BodyPreference` list, for the body.
    pub body_preferences: &'a [BodyPreference],
    /// MS-ASCAL 3.2.5.1 (R530): an ItemOperations `Schema` restricts the elements returned.
    pub schema: Option<&'a FieldSet>,
}

/// The zone an event's instants go out in, and whether a `Timezone` goes with them: a timed
/// event's own zone; an all-day event's dates at the user's midnights up to 14.1, at midnight UTC
/// without `Timezone` from 16.0 (R2006).
fn wire_zone(e: &Event, ctx: &EasContext) -> Option<Tz> {
    match e.when {
        When::Timed { .. } => Some(e.zone()),
        When::AllDay { .. } if ctx.is_16() => None,
        When::AllDay { .. } => Some(ctx.user_zone),
    }
}

fn when_instants(w: &When, zone: Option<Tz>) -> (DateTime<Utc>, DateTime<Utc>) {
    match w {
        When::Timed { .. } => w.eas_instants(None),
        When::AllDay { .. } => w.eas_instants(zone),
    }
}

/// The instant that names an occurrence: its original start, an all-day date at the same
/// midnight its times use.
pub(crate) fn key_instant(key: Moment, zone: Option<Tz>) -> DateTime<Utc> {
    match key {
        Moment::At(t) => t,
        Moment::On(d) => When::all_day_for(d, 1).eas_instants(zone).0,
    }
}

fn location_element(loc: &Location, version: ProtocolVersion) -> Option<Element> {
    if version < ProtocolVersion::V16_0 {
        return loc.text().map(|t| Element::text(cal::LOCATION, t));
    }
    let mut el = Element::new(asb::LOCATION);
    let texts = [
        (asb::DISPLAY_NAME, &loc.display_name),
        (asb::ANNOTATION, &loc.annotation),
        (asb::STREET, &loc.street),
        (asb::CITY, &loc.city),
        (asb::STATE, &loc.state),
        (asb::COUNTRY, &loc.country),
        (asb::POSTAL_CODE, &loc.postal_code),
        (asb::LOCATION_URI, &loc.location_uri),
    ];
    for (tag, v) in texts {
        if let Some(v) = v {
            el.push_text(tag, v.clone());
        }
    }
    let numbers = [
        (asb::LATITUDE, loc.latitude),
        (asb::LONGITUDE, loc.longitude),
        (asb::ACCURACY, loc.accuracy),
        (asb::ALTITUDE, loc.altitude),
        (asb::ALTITUDE_ACCURACY, loc.altitude_accuracy),
    ];
    for (tag, v) in numbers {
        if let Some(v) = v {
            el.push_text(tag, v.to_string());
        }
    }
    Some(el)
}

fn empty_location(version: ProtocolVersion) -> Element {
    Element::new(if version >= ProtocolVersion::V16_0 {
        asb::LOCATION
    } else {
        cal::LOCATION
    })
}

fn notes_body(notes: &Notes, version: ProtocolVersion, prefs: &[BodyPreference]) -> Option<Body> {
    let mut body = match notes.format {
        // Compressed RTF is base64 and cannot be cut; it goes whole, to RTF clients only.
        NotesFormat::Rtf => {
            prefs.iter().find(|p| p.body_type == BodyType::Rtf)?;
            Body {
                body_type: BodyType::Rtf,
                estimated_data_size: u32::try_from(notes.text.len()).unwrap_or(u32::MAX),
                truncated: false,
                data: Some(notes.text.clone()),
                preview: None,
                part: None,
            }
        }
        format => {
            let (plain, html) = match format {
                NotesFormat::Html => (None, Some(notes.text.as_str())),
                _ => (Some(notes.text.as_str()), None),
            };
            let available = AvailableBodies {
                plain,
                html,
                mime: None,
                native: if html.is_some() {
                    BodyType::Html
                } else {
                    BodyType::PlainText
                },
            };
            select_body(prefs, &available)?
        }
    };
    if version < ProtocolVersion::V14_0 {
        body.preview = None;
    }
    Some(body)
}

fn attendees_element(list: &[Attendee], version: ProtocolVersion) -> Element {
    let mut el = Element::new(cal::ATTENDEES);
    for a in list.iter().filter(|a| !a.email.trim().is_empty()) {
        let mut at = Element::new(cal::ATTENDEE);
        at.push_text(cal::EMAIL, a.email.clone());
        at.push_text(cal::NAME, a.display_name().to_string());
        if let Some(s) = a.status {
            at.push_text(cal::ATTENDEE_STATUS, s.code().to_string());
        }
        if let Some(k) = a.kind {
            at.push_text(cal::ATTENDEE_TYPE, k.code().to_string());
        }
        if version >= ProtocolVersion::V16_1 {
            if let Some(t) = a.proposed_start {
                at.push_text(mr::PROPOSED_START_TIME, format_compact(t));
            }
            if let Some(t) = a.proposed_end {
                at.push_text(mr::PROPOSED_END_TIME, format_compact(t));
            }
        }
        el.push(at);
    }
    el
}

/// `airsyncbase:Attachments` (MS-ASAIRS 2.2.2.8) with an `Attachment` (2.2.2.7: DisplayName,
/// FileReference, Method, EstimatedDataSize, ContentId, ContentLocation, IsInline) for each
/// stored attachment; `None` for none, as the element may not be empty. 16.x only: a calendar
/// item carries no attachments before (MS-ASCAL R557 does not list them; R2107).
fn attachments_element(list: &[Attachment], version: ProtocolVersion) -> Option<Element> {
    if version < ProtocolVersion::V16_0 {
        return None;
    }
    let wire: Vec<WireAttachment> = list
        .iter()
        .filter(|a| !a.is_new())
        .map(|a| WireAttachment {
            display_name: a.display_name.clone(),
            file_reference: a.file_reference.clone(),
            method: AttachmentMethod::from_code(a.method).unwrap_or(AttachmentMethod::Normal),
            estimated_data_size: u32::try_from(a.size).unwrap_or(u32::MAX),
            content_id: a.content_id.clone(),
            content_location: a.content_location.clone(),
            is_inline: a.is_inline,
        })
        .collect();
    wire_attachments(&wire)
}

fn categories_element(list: &[String]) -> Element {
    let mut el = Element::new(cal::CATEGORIES);
    for c in list.iter().take(300) {
        el.push_text(cal::CATEGORY, c.clone());
    }
    el
}

/// The elements of `event` for `ctx.version`, body chosen for the preferences.
///
/// - Timed events carry their zone's `Timezone` blob (names empty, PIM_FACTS 6.5), always, as a
///   recurring event without one is refused by some clients (PIM_FACTS 1.2). All-day events go
///   out at the user's local midnights with the user's blob up to 14.1, at midnight UTC with no
///   `Timezone` from 16.0.
/// - `EndTime` always (R235); `DtStamp` the item's or now; `BusyStatus` as the version allows
///   (R2044); `DisallowNewTimeProposal` always from 14.0 (R215); `UID` always.
/// - Exceptions (at most 256) with `ExceptionStartTime`, or `InstanceId` from 16.0, only what
///   differs from the series, a removed value as an empty element (R539, R543).
pub fn render(
    event: &Event,
    ctx: &EasContext,
    options: &RenderOptions<'_>,
) -> Result<Vec<Element>, UnsupportedVersion> {
    check_version(ctx.version)?;
    let v = ctx.version;
    let wanted = |f: Field| options.schema.is_none_or(|s| s.contains(f));
    let zone = wire_zone(event, ctx);
    let (start, end) = when_instants(&event.when, zone);
    let mut out = Vec::new();
    let mut push = |f: Field, el: Option<Element>| {
        if wanted(f) {
            out.extend(el);
        }
    };
    push(
        Field::Timezone,
        zone.map(|z| Element::text(cal::TIMEZONE, encode_zone(z, start).to_base64())),
    );
    push(
        Field::AllDayEvent,
        Some(Element::text(
            cal::ALL_DAY_EVENT,
            if event.is_all_day() { "1" } else { "0" },
        )),
    );
    push(
        Field::Body,
        event
            .notes
            .as_ref()
            .and_then(|n| notes_body(n, v, options.body_preferences))
            .map(|b| b.to_element()),
    );
    push(
        Field::BusyStatus,
        event
            .busy_status
            .map(|b| Element::text(cal::BUSY_STATUS, b.for_version(v).code().to_string())),
    );
    push(
        Field::OrganizerName,
        event
            .organizer_name
            .as_ref()
            .map(|n| Element::text(cal::ORGANIZER_NAME, n.clone())),
    );
    push(
        Field::OrganizerEmail,
        event
            .organizer_email
            .as_ref()
            .map(|n| Element::text(cal::ORGANIZER_EMAIL, n.clone())),
    );
    push(
        Field::DtStamp,
        Some(Element::text(
            cal::DT_STAMP,
            format_compact(event.dtstamp.unwrap_or(ctx.now)),
        )),
    );
    push(
        Field::EndTime,
        Some(Element::text(cal::END_TIME, format_compact(end))),
    );
    push(
        Field::Location,
        event.location.as_ref().and_then(|l| location_element(l, v)),
    );
    push(
        Field::Attachments,
        attachments_element(&event.attachments, v),
    );
    push(
        Field::Reminder,
        event
            .reminder
            .map(|r| Element::text(cal::REMINDER, r.to_string())),
    );
    push(
        Field::Sensitivity,
        event
            .sensitivity
            .map(|s| Element::text(cal::SENSITIVITY, s.code().to_string())),
    );
    push(
        Field::Subject,
        event
            .subject
            .as_ref()
            .map(|s| Element::text(cal::SUBJECT, s.clone())),
    );
    push(
        Field::StartTime,
        Some(Element::text(cal::START_TIME, format_compact(start))),
    );
    push(
        Field::Uid,
        event
            .uid
            .as_ref()
            .map(|u| Element::text(cal::UID, u.clone())),
    );
    push(
        Field::MeetingStatus,
        event
            .meeting_status
            .map(|m| Element::text(cal::MEETING_STATUS, m.code().to_string())),
    );
    push(
        Field::Attendees,
        (!event.attendees.is_empty()).then(|| attendees_element(&event.attendees, v)),
    );
    push(
        Field::Categories,
        (!event.categories.is_empty()).then(|| categories_element(&event.categories)),
    );
    push(
        Field::Recurrence,
        event.recurrence.as_ref().map(|r| {
            RecurrenceElements::from_recurrence(r, &event.when, event.zone(), v, zone).to_element()
        }),
    );
    push(
        Field::Exceptions,
        (event.recurrence.is_some() && !event.exceptions.is_empty())
            .then(|| exceptions_element(event, ctx, zone, options)),
    );
    if v >= ProtocolVersion::V14_0 {
        push(
            Field::ResponseRequested,
            event
                .response_requested
                .map(|b| Element::text(cal::RESPONSE_REQUESTED, bool_text(b))),
        );
        push(
            Field::AppointmentReplyTime,
            event
                .appointment_reply_time
                .map(|t| Element::text(cal::APPOINTMENT_REPLY_TIME, format_compact(t))),
        );
        push(
            Field::ResponseType,
            event
                .response_type
                .map(|r| Element::text(cal::RESPONSE_TYPE, r.code().to_string())),
        );
        push(
            Field::DisallowNewTimeProposal,
            Some(Element::text(
                cal::DISALLOW_NEW_TIME_PROPOSAL,
                bool_text(event.disallow_new_time_proposal.unwrap_or(false)),
            )),
        );
    }
    if v >= ProtocolVersion::V14_1 {
        push(
            Field::OnlineMeetingConfLink,
            event
                .online_meeting_conf_link
                .as_ref()
                .map(|l| Element::text(cal::ONLINE_MEETING_CONF_LINK, l.clone())),
        );
        push(
            Field::OnlineMeetingExternalLink,
            event
                .online_meeting_external_link
                .as_ref()
                .map(|l| Element::text(cal::ONLINE_MEETING_EXTERNAL_LINK, l.clone())),
        );
    }
    Ok(out)
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

/// An override as its element: nothing when inherited, an empty element when removed.
fn override_element<T>(
    o: &Override<T>,
    empty: Element,
    set: impl Fn(&T) -> Option<Element>,
) -> Option<Element> {
    match o {
        Override::Inherit => None,
        Override::Removed => Some(empty),
        Override::Set(v) => set(v),
    }
}

fn exceptions_element(
    event: &Event,
    ctx: &EasContext,
    zone: Option<Tz>,
    options: &RenderOptions<'_>,
) -> Element {
    let v = ctx.version;
    let mut el = Element::new(cal::EXCEPTIONS);
    for (key, x) in event.exceptions.iter().take(MAX_EXCEPTIONS) {
        el.push(exception_element(event, *key, x, v, zone, options));
    }
    el
}

fn exception_element(
    event: &Event,
    key: Moment,
    x: &Exception,
    v: ProtocolVersion,
    zone: Option<Tz>,
    options: &RenderOptions<'_>,
) -> Element {
    let mut el = Element::new(cal::EXCEPTION);
    let original = format_compact(key_instant(key, zone));
    if v >= ProtocolVersion::V16_0 {
        el.push_text(asb::INSTANCE_ID, original);
    } else {
        el.push_text(cal::EXCEPTION_START_TIME, original);
    }
    if x.deleted {
        el.push_text(cal::DELETED, "1");
        return el;
    }
    if let Some(w) = x.when {
        let (s, e) = when_instants(&w, zone.or(Some(event.zone())));
        el.push_text(cal::START_TIME, format_compact(s));
        el.push_text(cal::END_TIME, format_compact(e));
        if w.is_all_day() != event.is_all_day() {
            el.push_text(cal::ALL_DAY_EVENT, bool_text(w.is_all_day()));
        }
    }
    let parts = [
        override_element(&x.subject, Element::new(cal::SUBJECT), |s| {
            Some(Element::text(cal::SUBJECT, s.clone()))
        }),
        override_element(&x.location, empty_location(v), |l| location_element(l, v)),
        override_element(&x.notes, Element::new(asb::BODY), |n| {
            notes_body(n, v, options.body_preferences).map(|b| b.to_element())
        }),
        // An occurrence without the series' attachments cannot be said: Attachments may not
        // be empty (AirSyncBase.xsd).
        match &x.attachments {
            Override::Set(list) => attachments_element(list, v),
            _ => None,
        },
        override_element(&x.categories, Element::new(cal::CATEGORIES), |c| {
            Some(categories_element(c))
        }),
        override_element(&x.sensitivity, Element::new(cal::SENSITIVITY), |s| {
            Some(Element::text(cal::SENSITIVITY, s.code().to_string()))
        }),
        override_element(&x.busy_status, Element::new(cal::BUSY_STATUS), |b| {
            Some(Element::text(
                cal::BUSY_STATUS,
                b.for_version(v).code().to_string(),
            ))
        }),
        override_element(&x.reminder, Element::new(cal::REMINDER), |r| {
            Some(Element::text(cal::REMINDER, r.to_string()))
        }),
        override_element(&x.meeting_status, Element::new(cal::MEETING_STATUS), |m| {
            Some(Element::text(cal::MEETING_STATUS, m.code().to_string()))
        }),
        x.dtstamp
            .map(|t| Element::text(cal::DT_STAMP, format_compact(t))),
    ];
    for p in parts.into_iter().flatten() {
        el.push(p);
    }
    if v >= ProtocolVersion::V14_0 {
        let parts = [
            override_element(&x.attendees, Element::new(cal::ATTENDEES), |a| {
                Some(attendees_element(a, v))
            }),
            x.appointment_reply_time
                .map(|t| Element::text(cal::APPOINTMENT_REPLY_TIME, format_compact(t))),
            x.response_type
                .map(|r| Element::text(cal::RESPONSE_TYPE, r.code().to_string())),
        ];
        for p in parts.into_iter().flatten() {
            el.push(p);
        }
    }
    if v >= ProtocolVersion::V14_1 {
        let parts = [
            override_element(
                &x.online_meeting_conf_link,
                Element::new(cal::ONLINE_MEETING_CONF_LINK),
                |l| Some(Element::text(cal::ONLINE_MEETING_CONF_LINK, l.clone())),
            ),
            override_element(
                &x.online_meeting_external_link,
                Element::new(cal::ONLINE_MEETING_EXTERNAL_LINK),
                |l| Some(Element::text(cal::ONLINE_MEETING_EXTERNAL_LINK, l.clone())),
            ),
        ];
        for p in parts.into_iter().flatten() {
            el.push(p);
        }
    }
    el
}
