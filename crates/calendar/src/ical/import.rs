//! iCalendar files to events: each `VEVENT` with its `RECURRENCE-ID` overrides merged into the
//! master's exceptions.
//!
//! The file is read by `calcard` (folding, escapes, vCalendar 1.0 quirks, a byte-order mark),
//! which also names the zone of each `VTIMEZONE`: an IANA `TZID`, a Windows zone name
//! (`W. Europe Standard Time`), `X-LIC-LOCATION`, Outlook's `X-MICROSOFT-CDO-TZID`. Each
//! property is then taken as text ([`super::syntax`]) and mapped here.

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{Days, Duration};
use chrono_tz::Tz;

use super::syntax::{split_line, split_text_list, unescape, unfold};
use super::values::{
    address, attendee_type, cdo_busy, class, parse_duration, partstat, time_values, TimeValue,
};
use super::{ICalError, ImportOptions, ImportWarning, Imported};
use crate::attachment::Attachment;
use crate::event::{
    Attendee, BusyStatus, Event, Exception, Location, MeetingStatus, Notes, NotesFormat, Override,
    When,
};
use crate::meta::{ICalMeta, Property};
use crate::recurrence::expand::to_local;
use crate::recurrence::{from_rrule, RRuleError};
use crate::time::Moment;

/// A component as text: its name and its properties, and its sub-components.
struct Component {
    name: String,
    props: Vec<Property>,
    children: Vec<Component>,
}

fn entry_text(entry: &calcard::icalendar::ICalendarEntry) -> Option<Property> {
    let mut text = String::new();
    entry.write_to(&mut text).ok()?;
    let mut p = unfold(&text).first().and_then(|l| split_line(l))?;
    if p.name == "ATTACH" {
        inline_content(entry, &mut p);
    }
    Some(p)
}

/// calcard decodes the base64 of an inline `ATTACH`: bytes that are UTF-8 become text (its
/// `ENCODING` dropped), others binary. Both are put back as base64 with `ENCODING=BASE64`, so
/// the property reads the same whatever its bytes. Base64 calcard could not decode stays as
/// it came.
fn inline_content(entry: &calcard::icalendar::ICalendarEntry, p: &mut Property) {
    use calcard::icalendar::ICalendarValue;
    let binary = p
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("BINARY"));
    let bytes = match entry.values.first() {
        Some(ICalendarValue::Binary(b)) => b.as_slice(),
        Some(ICalendarValue::Text(t)) if binary && p.param("ENCODING").is_none() => t.as_bytes(),
        _ => return,
    };
    p.value = base64::engine::general_purpose::STANDARD.encode(bytes);
    p.params
        .retain(|x| !x.name.eq_ignore_ascii_case("ENCODING"));
    p.params
        .insert(0, crate::meta::Param::new("ENCODING", &["BASE64"]));
}

fn component(cal: &calcard::icalendar::ICalendar, id: u32, depth: usize) -> Option<Component> {
    let c = cal.components.get(id as usize)?;
    let children = if depth < 8 {
        c.component_ids
            .iter()
            .filter_map(|i| component(cal, *i, depth + 1))
            .collect()
    } else {
        Vec::new()
    };
    Some(Component {
        name: c.component_type.as_str().to_ascii_uppercase(),
        props: c.entries.iter().filter_map(entry_text).collect(),
        children,
    })
}

/// One parsed `VEVENT`.
struct Parsed {
    event: Event,
    recurrence_id: Option<TimeValue>,
    cancelled: bool,
    exdates: Vec<TimeValue>,
}

/// Reads every `VEVENT` of every `VCALENDAR` in `text`.
pub fn import(text: &str, options: &ImportOptions) -> Result<Imported, ICalError> {
    let mut parser = calcard::Parser::new(text);
    let mut calendars = Vec::new();
    loop {
        match parser.entry() {
            calcard::Entry::ICalendar(cal) => calendars.push(cal),
            calcard::Entry::Eof => break,
            calcard::Entry::InvalidLine(_) | calcard::Entry::VCard(_) => {}
            calcard::Entry::UnexpectedComponentEnd { expected, found } => {
                return Err(ICalError::Syntax(format!(
                    "END:{} where END:{} was expected",
                    found.as_str(),
                    expected.as_str()
                )))
            }
            calcard::Entry::UnterminatedComponent(name) => {
                return Err(ICalError::Syntax(format!("BEGIN:{name} has no END")))
            }
            calcard::Entry::TooManyComponents => {
                return Err(ICalError::Syntax("too many components".into()))
            }
            _ => return Err(ICalError::Syntax("unreadable entry".into())),
        }
    }
    if calendars.is_empty() {
        return Err(ICalError::NoCalendar);
    }
    let mut out = Imported::default();
    for cal in &calendars {
        let resolver = cal.build_owned_tz_resolver();
        let zone_of = |id: &str| match resolver.resolve(id) {
            Some(calcard::common::timezone::Tz::Tz(z)) => Some(z),
            Some(calcard::common::timezone::Tz::Fixed(off)) => {
                crate::tz::fixed_zone_for(&crate::tz::TimeZoneBlob {
                    bias: -off.local_minus_utc() / 60,
                    ..Default::default()
                })
            }
            Some(calcard::common::timezone::Tz::Floating) => Some(options.default_zone),
            None => None,
        };
        let Some(root) = component(cal, 0, 0) else {
            continue;
        };
        let vevents: Vec<&Component> = if root.name == "VEVENT" {
            vec![&root]
        } else {
            root.children
                .iter()
                .filter(|c| c.name == "VEVENT")
                .collect()
        };
        let mut parsed = Vec::new();
        for v in vevents {
            match parse_vevent(v, &zone_of, options, &mut out.warnings) {
                Some(p) => parsed.push(p),
                None => continue,
            }
        }
        merge(parsed, &mut out);
    }
    Ok(out)
}

fn uid_of(props: &[Property]) -> String {
    props
        .iter()
        .find(|p| p.name == "UID")
        .map(|p| unescape(&p.value))
        .unwrap_or_default()
}

fn text_value(p: &Property) -> Option<String> {
    let t = unescape(&p.value);
    (!t.trim().is_empty()).then_some(t)
}

/// The properties this mapping reads; every other one is kept in [`ICalMeta::extra`].
const MAPPED: &[&str] = &[
    "UID",
    "DTSTAMP",
    "DTSTART",
    "DTEND",
    "DURATION",
    "SUMMARY",
    "LOCATION",
    "GEO",
    "DESCRIPTION",
    "ORGANIZER",
    "ATTENDEE",
    "CATEGORIES",
    "CLASS",
    "TRANSP",
    "X-MICROSOFT-CDO-BUSYSTATUS",
    "X-MICROSOFT-DISALLOW-COUNTER",
    "STATUS",
    "RECURRENCE-ID",
    "EXDATE",
];

fn parse_vevent(
    c: &Component,
    zone_of: &dyn Fn(&str) -> Option<Tz>,
    options: &ImportOptions,
    warnings: &mut Vec<ImportWarning>,
) -> Option<Parsed> {
    let uid = uid_of(&c.props);
    let get = |name: &str| c.props.iter().find(|p| p.name == name);
    let times = |p: &Property| time_values(p, zone_of, options.default_zone);

    let Some(dtstart) = get("DTSTART") else {
        warnings.push(skipped(
            &uid,
            "DTSTART",
            "a VEVENT without DTSTART is not an event".into(),
        ));
        return None;
    };
    let start = match times(dtstart).map(|v| v.into_iter().next()) {
        Ok(Some(t)) => t,
        Ok(None) => {
            warnings.push(skipped(&uid, "DTSTART", "empty".into()));
            return None;
        }
        Err(e) => {
            warnings.push(skipped(&uid, "DTSTART", e.to_string()));
            return None;
        }
    };
    let end = match (get("DTEND"), get("DURATION")) {
        (Some(p), _) => match times(p).map(|v| v.into_iter().next()) {
            Ok(t) => t,
            Err(e) => {
                warnings.push(skipped(&uid, "DTEND", e.to_string()));
                None
            }
        },
        (None, Some(p)) => match parse_duration(&p.value) {
            Some(d) => Some(match start {
                TimeValue::Date(s) => TimeValue::Date(s + Duration::days(d.num_days().max(1))),
                TimeValue::Instant(s, z) => TimeValue::Instant(s + d, z),
            }),
            None => {
                warnings.push(skipped(
                    &uid,
                    "DURATION",
                    format!("{:?} is not a duration", p.value),
                ));
                None
            }
        },
        (None, None) => None,
    };
    let (when, zone) = match start {
        TimeValue::Date(s) => {
            let e = match end {
                Some(TimeValue::Date(e)) if e > s => e,
                Some(TimeValue::Instant(e, z)) => {
                    let d = to_local(z.unwrap_or(Tz::UTC), e).date();
                    if d > s {
                        d
                    } else {
                        s + Days::new(1)
                    }
                }
                _ => s + Days::new(1),
            };
            (When::AllDay { start: s, end: e }, None)
        }
        TimeValue::Instant(s, z) => {
            let e = match end {
                Some(TimeValue::Instant(e, _)) if e >= s => e,
                Some(TimeValue::Date(d)) => crate::recurrence::expand::resolve_local(
                    z.unwrap_or(Tz::UTC),
                    super::values::midnight(d),
                )
                .max(s),
                _ => s,
            };
            (When::Timed { start: s, end: e }, z)
        }
    };

    let mut event = Event::new(when);
    event.time_zone = zone;
    let mut cancelled = false;
    let mut html = None;
    let mut transp_busy = None;
    let mut cdo = None;
    let mut exdates = Vec::new();
    let mut recurrence_id = None;
    let mut meta = ICalMeta::default();
    for p in &c.props {
        match p.name.as_str() {
            "UID" => event.uid = text_value(p),
            "DTSTAMP" => match times(p) {
                Ok(v) => {
                    if let Some(TimeValue::Instant(t, _)) = v.first() {
                        event.dtstamp = Some(*t);
                    }
                }
                Err(e) => warnings.push(skipped(&uid, "DTSTAMP", e.to_string())),
            },
            "SUMMARY" => event.subject = text_value(p),
            "LOCATION" => {
                if let Some(t) = text_value(p) {
                    event
                        .location
                        .get_or_insert_with(Location::default)
                        .display_name = Some(t);
                }
            }
            "GEO" => {
                let parts: Vec<Option<f64>> = p
                    .value
                    .split([';', ','])
                    .map(|x| x.trim().parse::<f64>().ok().filter(|f| f.is_finite()))
                    .collect();
                match parts.as_slice() {
                    [Some(lat), Some(lon)] => {
                        let loc = event.location.get_or_insert_with(Location::default);
                        loc.latitude = Some(*lat);
                        loc.longitude = Some(*lon);
                    }
                    _ => warnings.push(skipped(
                        &uid,
                        "GEO",
                        format!("{:?} is not latitude;longitude", p.value),
                    )),
                }
            }
            "DESCRIPTION" => event.notes = text_value(p).map(Notes::plain),
            "X-ALT-DESC"
                if p.param("FMTTYPE")
                    .is_some_and(|f| f.eq_ignore_ascii_case("text/html"))
                    && html.is_none() =>
            {
                html = Some(p.clone());
            }
            "ORGANIZER" => {
                let a = address(&p.value);
                if !a.is_empty() {
                    event.organizer_email = Some(a);
                    event.organizer_name =
                        p.param("CN").map(str::to_string).filter(|n| !n.is_empty());
                }
            }
            "ATTENDEE" => {
                let email = address(&p.value);
                if email.is_empty() {
                    continue;
                }
                event.attendees.push(Attendee {
                    email,
                    name: p.param("CN").map(str::to_string).filter(|n| !n.is_empty()),
                    status: p.param("PARTSTAT").map(partstat),
                    kind: attendee_type(p.param("ROLE"), p.param("CUTYPE")),
                    ..Attendee::default()
                });
            }
            "CATEGORIES" => event.categories.extend(split_text_list(&p.value)),
            "CLASS" => match class(&p.value) {
                Some(s) => event.sensitivity = Some(s),
                None => meta.extra.push(p.clone()),
            },
            "TRANSP" => {
                transp_busy = match p.value.trim().to_ascii_uppercase().as_str() {
                    "TRANSPARENT" => Some(BusyStatus::Free),
                    "OPAQUE" => Some(BusyStatus::Busy),
                    _ => None,
                }
            }
            "X-MICROSOFT-CDO-BUSYSTATUS" => cdo = cdo_busy(&p.value),
            "X-MICROSOFT-DISALLOW-COUNTER" => {
                event.disallow_new_time_proposal = Some(p.value.trim().eq_ignore_ascii_case("TRUE"))
            }
            "STATUS" => {
                if p.value.trim().eq_ignore_ascii_case("CANCELLED") {
                    cancelled = true;
                } else {
                    meta.extra.push(p.clone());
                }
            }
            "RECURRENCE-ID" => match times(p) {
                Ok(v) => recurrence_id = v.into_iter().next(),
                Err(e) => warnings.push(skipped(&uid, "RECURRENCE-ID", e.to_string())),
            },
            "EXDATE" => match times(p) {
                Ok(v) => exdates.extend(v),
                Err(e) => warnings.push(skipped(&uid, "EXDATE", e.to_string())),
            },
            "RRULE" if event.recurrence.is_none() && !meta.has_unexpressed_occurrences() => {
                match from_rrule(&p.value, &event.when, event.zone()) {
                    Ok(r) => event.recurrence = Some(r),
                    Err(e) => {
                        warnings.push(ImportWarning::UnexpressibleRule {
                            uid: uid.clone(),
                            rule: p.value.clone(),
                            reason: match e {
                                RRuleError::Syntax(s) | RRuleError::Unexpressible(s) => s,
                            },
                        });
                        meta.extra.push(p.clone());
                    }
                }
            }
            "RDATE" => {
                warnings.push(ImportWarning::ExtraDates { uid: uid.clone() });
                meta.extra.push(p.clone());
            }
            // RFC 5545 3.8.1.1: inline content becomes an attachment; a URI stays as it came.
            "ATTACH" => match binary_attachment(p) {
                Some(Ok(a)) => event.attachments.push(a),
                Some(Err(reason)) => {
                    warnings.push(skipped(&uid, "ATTACH", reason));
                    meta.extra.push(p.clone());
                }
                None => meta.extra.push(p.clone()),
            },
            name if MAPPED.contains(&name) => {}
            _ => meta.extra.push(p.clone()),
        }
    }
    if let Some(h) = html {
        if event.notes.is_none() {
            event.notes = Some(Notes {
                format: NotesFormat::Html,
                text: unescape(&h.value),
            });
        } else {
            meta.extra.push(h);
        }
    }
    event.busy_status = cdo.or(transp_busy);
    // An unexpressible rule kept aside makes the RRULE EAS read (if any) only part of the
    // story: keep every rule then.
    if meta.has_unexpressed_occurrences() {
        if let Some(r) = event.recurrence.take() {
            meta.extra.push(Property::new(
                "RRULE",
                &crate::recurrence::to_rrule(&r, &event.when, event.zone()),
            ));
        }
    }
    if let Some(org) = event.organizer_email.clone() {
        event
            .attendees
            .retain(|a| !a.email.eq_ignore_ascii_case(&org));
    }
    event.meeting_status = meeting_status(&event, cancelled, options);
    for child in &c.children {
        if child.name == "VALARM" && event.reminder.is_none() {
            if let Some(m) = reminder_minutes(child) {
                event.reminder = Some(m);
                continue;
            }
        }
        meta.components.push(component_lines(child));
    }
    event.ical = meta;
    Some(Parsed {
        event,
        recurrence_id,
        cancelled,
        exdates,
    })
}

/// MS-ASCAL 2.2.2.28 from the organizer, the attendees, `STATUS` and the importing user: a
/// meeting the user organizes, one received, or an appointment. Unknown without the user.
fn meeting_status(
    event: &Event,
    cancelled: bool,
    options: &ImportOptions,
) -> Option<MeetingStatus> {
    if event.attendees.is_empty() {
        return cancelled
            .then_some(MeetingStatus::CancelledByOrganizer)
            .or(event
                .organizer_email
                .as_ref()
                .map(|_| MeetingStatus::Appointment));
    }
    let user = options.user_email.as_deref()?;
    let organizer = event.organizer_email.as_deref()?;
    let mine = organizer.eq_ignore_ascii_case(user);
    Some(match (mine, cancelled) {
        (true, false) => MeetingStatus::Organizer,
        (true, true) => MeetingStatus::CancelledByOrganizer,
        (false, false) => MeetingStatus::Received,
        (false, true) => MeetingStatus::CancelledReceived,
    })
}

/// The reminder of a `VALARM` whose trigger is a time before (or at) the start; other alarms
/// (after the start, relative to the end, at a fixed time) are not a reminder EAS can carry.
fn reminder_minutes(alarm: &Component) -> Option<u32> {
    let trigger = alarm.props.iter().find(|p| p.name == "TRIGGER")?;
    if trigger
        .param("RELATED")
        .is_some_and(|r| r.eq_ignore_ascii_case("END"))
        || trigger
            .param("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME"))
    {
        return None;
    }
    let d = parse_duration(&trigger.value)?;
    if d > Duration::zero() {
        return None;
    }
    u32::try_from(-d.num_minutes()).ok()
}

fn component_lines(c: &Component) -> Vec<Property> {
    let mut out = vec![Property::new("BEGIN", &c.name)];
    out.extend(c.props.iter().cloned());
    for child in &c.children {
        out.extend(component_lines(child));
    }
    out.push(Property::new("END", &c.name));
    out
}

/// The original start an `EXDATE` or `RECURRENCE-ID` names, in the series' kind: a date for an
/// all-day series, an instant (a date at the series' local start time) for a timed one.
fn key_for(master: &Event, t: TimeValue) -> Moment {
    match (master.when, t) {
        (When::AllDay { .. }, TimeValue::Date(d)) => Moment::On(d),
        (When::AllDay { .. }, TimeValue::Instant(i, z)) => {
            Moment::On(to_local(z.unwrap_or(master.zone()), i).date())
        }
        (When::Timed { .. }, TimeValue::Instant(i, _)) => Moment::At(i),
        (When::Timed { start, .. }, TimeValue::Date(d)) => {
            let time = to_local(master.zone(), start).time();
            Moment::At(crate::recurrence::expand::resolve_local(
                master.zone(),
                d.and_time(time),
            ))
        }
    }
}

fn merge(parsed: Vec<Parsed>, out: &mut Imported) {
    let (masters, overrides): (Vec<Parsed>, Vec<Parsed>) =
        parsed.into_iter().partition(|p| p.recurrence_id.is_none());
    let mut events: Vec<Event> = Vec::new();
    let mut by_uid: BTreeMap<String, usize> = BTreeMap::new();
    for m in masters {
        let mut e = m.event;
        for x in m.exdates {
            let key = key_for(&e, x);
            e.exceptions.insert(key, Exception::deleted());
        }
        if let Some(uid) = e.uid.clone() {
            by_uid.entry(uid).or_insert(events.len());
        }
        events.push(e);
    }
    for o in overrides {
        let master = o
            .event
            .uid
            .as_ref()
            .and_then(|u| by_uid.get(u))
            .copied()
            .filter(|i| {
                events[*i].recurrence.is_some() || events[*i].ical.has_unexpressed_occurrences()
            });
        let (Some(i), Some(rid)) = (master, o.recurrence_id) else {
            out.warnings.push(ImportWarning::OrphanOverride {
                uid: o.event.uid.clone().unwrap_or_default(),
            });
            let mut e = o.event;
            if let Some(rid) = o.recurrence_id {
                e.ical.extra.insert(0, recurrence_id_property(rid));
            }
            events.push(e);
            continue;
        };
        let key = key_for(&events[i], rid);
        let ex = exception_from(&events[i], key, o.event, o.cancelled);
        events[i].exceptions.insert(key, ex);
    }
    out.events.extend(events);
}

fn recurrence_id_property(t: TimeValue) -> Property {
    match t {
        TimeValue::Date(d) => {
            let mut p = Property::new("RECURRENCE-ID", &super::values::format_date(d));
            p.params.push(crate::meta::Param::new("VALUE", &["DATE"]));
            p
        }
        TimeValue::Instant(i, _) => Property::new("RECURRENCE-ID", &crate::time::format_compact(i)),
    }
}

/// The exception an override makes: every property compared with the master's (equal:
/// inherited; absent where the master has one: removed, as RFC 5545 overrides replace the
/// whole occurrence).
fn exception_from(master: &Event, key: Moment, o: Event, cancelled: bool) -> Exception {
    if cancelled && !master.meeting_status.is_some_and(|m| m.is_cancelled()) {
        return Exception::deleted();
    }
    let original = crate::recurrence::expand::shifted_when(&master.when, key);
    Exception {
        deleted: false,
        when: (o.when != original).then_some(o.when),
        subject: Override::against(o.subject, master.subject.as_ref()),
        location: Override::against(o.location, master.location.as_ref()),
        notes: Override::against(o.notes, master.notes.as_ref()),
        categories: Override::against(
            (!o.categories.is_empty()).then_some(o.categories),
            (!master.categories.is_empty()).then_some(&master.categories),
        ),
        sensitivity: Override::against(o.sensitivity, master.sensitivity.as_ref()),
        busy_status: Override::against(o.busy_status, master.busy_status.as_ref()),
        reminder: Override::against(o.reminder, master.reminder.as_ref()),
        meeting_status: Override::against(o.meeting_status, master.meeting_status.as_ref()),
        attendees: Override::against(
            (!o.attendees.is_empty()).then_some(o.attendees),
            (!master.attendees.is_empty()).then_some(&master.attendees),
        ),
        online_meeting_conf_link: Override::Inherit,
        online_meeting_external_link: Override::Inherit,
        attachments: Override::against(
            (!o.attachments.is_empty()).then_some(o.attachments),
            (!master.attachments.is_empty()).then_some(&master.attachments),
        ),
        dtstamp: o.dtstamp.filter(|d| Some(*d) != master.dtstamp),
        appointment_reply_time: None,
        response_type: None,
        ical: o.ical,
    }
}

/// An `ATTACH;VALUE=BINARY;ENCODING=BASE64` as an attachment: its name from `X-FILENAME`
/// (Outlook, and this crate's export) or `X-APPLE-FILENAME`, its type from `FMTTYPE`. `None`
/// for a URI (kept as it came); an error for base64 that does not decode.
pub(super) fn binary_attachment(p: &Property) -> Option<Result<Attachment, String>> {
    let binary = p
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("BINARY"))
        || p.param("ENCODING")
            .is_some_and(|v| v.eq_ignore_ascii_case("BASE64"));
    if !binary {
        return None;
    }
    let text: String = p.value.chars().filter(|c| !c.is_whitespace()).collect();
    let content = match base64::engine::general_purpose::STANDARD.decode(text.as_bytes()) {
        Ok(c) => c,
        Err(e) => return Some(Err(format!("inline content is not base64: {e}"))),
    };
    let named = |n: &str| p.param(n).map(str::to_string).filter(|v| !v.is_empty());
    Some(Ok(Attachment {
        display_name: named("X-FILENAME").or_else(|| named("X-APPLE-FILENAME")),
        content_type: named("FMTTYPE"),
        ..Attachment::with_content(content)
    }))
}

fn skipped(uid: &str, property: &str, reason: String) -> ImportWarning {
    ImportWarning::Skipped {
        uid: uid.to_string(),
        property: property.to_string(),
        reason,
    }
}
