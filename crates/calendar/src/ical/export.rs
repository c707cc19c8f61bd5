//! Events to one iCalendar file: a `VTIMEZONE` for each zone used, each event as a `VEVENT`
//! with its rule and `EXDATE`s, each changed occurrence as a `RECURRENCE-ID` override with every
//! property it inherits written in (RFC 5545 overrides inherit nothing; ZP-1571, PIM_FACTS 1.5).

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::syntax::{escape, line_of, push_folded};
use super::values::{
    cdo_busy_text, class_text, format_date, format_local, format_minutes_before, partstat_text,
};
use super::vtimezone::{vtimezone, years_of};
use super::ExportOptions;
use crate::attachment::Attachment;
use crate::event::{
    Attendee, AttendeeType, BusyStatus, Event, Exception, Location, MeetingStatus, Notes,
    NotesFormat, Sensitivity, When,
};
use crate::meta::{Param, Property};
use crate::recurrence::expand::shifted_when;
use crate::recurrence::to_rrule;
use crate::time::{format_compact, Moment};

/// The zone an event's times are written in: its own, unless it is UTC.
fn written_zone(e: &Event) -> Option<Tz> {
    e.time_zone.filter(|z| *z != Tz::UTC)
}

fn with_params(name: &str, params: Vec<Param>, value: String) -> Property {
    Property {
        name: name.to_string(),
        params,
        value,
    }
}

/// `DTSTART`/`DTEND`/`RECURRENCE-ID`/`EXDATE` values for moments of an event.
fn time_property(name: &str, moments: &[Moment], zone: Option<Tz>) -> Property {
    let all_dates = moments.iter().all(|m| m.is_date());
    if all_dates {
        let v: Vec<String> = moments
            .iter()
            .filter_map(|m| m.date())
            .map(format_date)
            .collect();
        return with_params(name, vec![Param::new("VALUE", &["DATE"])], v.join(","));
    }
    let instants: Vec<DateTime<Utc>> = moments.iter().filter_map(|m| m.instant()).collect();
    match zone {
        Some(z) => with_params(
            name,
            vec![Param::new("TZID", &[z.name()])],
            instants
                .iter()
                .map(|t| format_local(*t, z))
                .collect::<Vec<_>>()
                .join(","),
        ),
        None => with_params(
            name,
            Vec::new(),
            instants
                .iter()
                .map(|t| format_compact(*t))
                .collect::<Vec<_>>()
                .join(","),
        ),
    }
}

/// The properties an occurrence shows: the series' or an exception's values.
struct Shown<'a> {
    when: When,
    subject: Option<&'a String>,
    location: Option<&'a Location>,
    notes: Option<&'a Notes>,
    categories: Option<&'a Vec<String>>,
    sensitivity: Option<&'a Sensitivity>,
    busy_status: Option<&'a BusyStatus>,
    reminder: Option<&'a u32>,
    meeting_status: Option<&'a MeetingStatus>,
    attendees: Option<&'a Vec<Attendee>>,
    attachments: Option<&'a Vec<Attachment>>,
}

impl<'a> Shown<'a> {
    fn of_series(e: &'a Event) -> Shown<'a> {
        Shown {
            when: e.when,
            subject: e.subject.as_ref(),
            location: e.location.as_ref(),
            notes: e.notes.as_ref(),
            categories: (!e.categories.is_empty()).then_some(&e.categories),
            sensitivity: e.sensitivity.as_ref(),
            busy_status: e.busy_status.as_ref(),
            reminder: e.reminder.as_ref(),
            meeting_status: e.meeting_status.as_ref(),
            attendees: (!e.attendees.is_empty()).then_some(&e.attendees),
            attachments: (!e.attachments.is_empty()).then_some(&e.attachments),
        }
    }

    fn of_exception(e: &'a Event, key: Moment, x: &'a Exception) -> Shown<'a> {
        let s = Shown::of_series(e);
        Shown {
            when: x.when.unwrap_or_else(|| shifted_when(&e.when, key)),
            subject: x.subject.resolve(s.subject),
            location: x.location.resolve(s.location),
            notes: x.notes.resolve(s.notes),
            categories: x.categories.resolve(s.categories),
            sensitivity: x.sensitivity.resolve(s.sensitivity),
            busy_status: x.busy_status.resolve(s.busy_status),
            reminder: x.reminder.resolve(s.reminder),
            meeting_status: x.meeting_status.resolve(s.meeting_status),
            attendees: x.attendees.resolve(s.attendees),
            attachments: x.attachments.resolve(s.attachments),
        }
    }
}

fn text(name: &str, value: &str) -> Property {
    Property::new(name, &escape(value))
}

/// The properties of one `VEVENT` after `UID`, `DTSTAMP` and the times.
fn shown_properties(e: &Event, s: &Shown<'_>, out: &mut Vec<Property>) {
    if let Some(v) = s.subject {
        out.push(text("SUMMARY", v));
    }
    if let Some(loc) = s.location {
        if let Some(name) = loc.text() {
            out.push(text("LOCATION", &name));
        }
        if let (Some(lat), Some(lon)) = (loc.latitude, loc.longitude) {
            out.push(Property::new("GEO", &format!("{lat};{lon}")));
        }
    }
    match s.notes {
        Some(n) if n.format == NotesFormat::Plain => out.push(text("DESCRIPTION", &n.text)),
        Some(n) if n.format == NotesFormat::Html => out.push(with_params(
            "X-ALT-DESC",
            vec![Param::new("FMTTYPE", &["text/html"])],
            escape(&n.text),
        )),
        _ => {}
    }
    if let Some(email) = &e.organizer_email {
        let params = e
            .organizer_name
            .iter()
            .map(|n| Param::new("CN", &[n.as_str()]))
            .collect();
        out.push(with_params("ORGANIZER", params, format!("mailto:{email}")));
    }
    for a in s.attendees.into_iter().flatten() {
        let mut params = Vec::new();
        if let Some(n) = &a.name {
            params.push(Param::new("CN", &[n.as_str()]));
        }
        if let Some(st) = a.status {
            params.push(Param::new("PARTSTAT", &[partstat_text(st)]));
        }
        match a.kind {
            Some(AttendeeType::Required) => params.push(Param::new("ROLE", &["REQ-PARTICIPANT"])),
            Some(AttendeeType::Optional) => params.push(Param::new("ROLE", &["OPT-PARTICIPANT"])),
            Some(AttendeeType::Resource) => params.push(Param::new("CUTYPE", &["RESOURCE"])),
            None => {}
        }
        out.push(with_params(
            "ATTENDEE",
            params,
            format!("mailto:{}", a.email),
        ));
    }
    if let Some(c) = s.categories {
        let v: Vec<String> = c.iter().map(|x| escape(x)).collect();
        out.push(Property::new("CATEGORIES", &v.join(",")));
    }
    if let Some(c) = s.sensitivity {
        out.push(Property::new("CLASS", class_text(*c)));
    }
    if let Some(b) = s.busy_status {
        let transp = if *b == BusyStatus::Free {
            "TRANSPARENT"
        } else {
            "OPAQUE"
        };
        out.push(Property::new("TRANSP", transp));
        if let Some(cdo) = cdo_busy_text(*b) {
            out.push(Property::new("X-MICROSOFT-CDO-BUSYSTATUS", cdo));
        }
    }
    if s.meeting_status.is_some_and(|m| m.is_cancelled()) {
        out.push(Property::new("STATUS", "CANCELLED"));
    }
    for a in s.attachments.into_iter().flatten() {
        out.extend(attach(a));
    }
}

/// An attachment whose bytes are at hand as inline content (RFC 5545 3.8.1.1), with its type
/// (`FMTTYPE`) and name (`X-FILENAME`, which Outlook writes and reads); one without bytes is
/// left out.
fn attach(a: &Attachment) -> Option<Property> {
    let content = a.content.as_ref()?;
    let mut params = vec![
        Param::new("VALUE", &["BINARY"]),
        Param::new("ENCODING", &["BASE64"]),
    ];
    if let Some(t) = &a.content_type {
        params.push(Param::new("FMTTYPE", &[t.as_str()]));
    }
    if let Some(n) = &a.display_name {
        params.push(Param::new("X-FILENAME", &[n.as_str()]));
    }
    Some(with_params(
        "ATTACH",
        params,
        base64::engine::general_purpose::STANDARD.encode(content),
    ))
}

fn alarm(minutes: u32, summary: Option<&String>) -> Vec<Property> {
    vec![
        Property::new("BEGIN", "VALARM"),
        Property::new("ACTION", "DISPLAY"),
        text(
            "DESCRIPTION",
            summary.map(String::as_str).unwrap_or("Reminder"),
        ),
        Property::new("TRIGGER", &format_minutes_before(minutes)),
        Property::new("END", "VALARM"),
    ]
}

fn vevent(e: &Event, options: &ExportOptions) -> Vec<Property> {
    let zone = written_zone(e);
    let mut out = vec![Property::new("BEGIN", "VEVENT")];
    if let Some(uid) = &e.uid {
        out.push(text("UID", uid));
    }
    out.push(Property::new(
        "DTSTAMP",
        &format_compact(e.dtstamp.unwrap_or(options.dtstamp)),
    ));
    out.push(time_property("DTSTART", &[e.when.start()], zone));
    out.push(time_property("DTEND", &[e.when.end()], zone));
    let series = Shown::of_series(e);
    shown_properties(e, &series, &mut out);
    if let Some(d) = e.disallow_new_time_proposal {
        out.push(Property::new(
            "X-MICROSOFT-DISALLOW-COUNTER",
            if d { "TRUE" } else { "FALSE" },
        ));
    }
    if let Some(r) = &e.recurrence {
        out.push(Property::new("RRULE", &to_rrule(r, &e.when, e.zone())));
    }
    let deleted: Vec<Moment> = e
        .exceptions
        .iter()
        .filter(|(_, x)| x.deleted)
        .map(|(k, _)| *k)
        .collect();
    if !deleted.is_empty() {
        out.push(time_property("EXDATE", &deleted, zone));
    }
    out.extend(e.ical.extra.iter().cloned());
    if let Some(m) = e.reminder {
        out.extend(alarm(m, e.subject.as_ref()));
    }
    for c in &e.ical.components {
        out.extend(c.iter().cloned());
    }
    out.push(Property::new("END", "VEVENT"));
    for (key, x) in e.exceptions.iter().filter(|(_, x)| !x.deleted) {
        out.extend(override_vevent(e, *key, x, options));
    }
    out
}

fn override_vevent(
    e: &Event,
    key: Moment,
    x: &Exception,
    options: &ExportOptions,
) -> Vec<Property> {
    let zone = written_zone(e);
    let shown = Shown::of_exception(e, key, x);
    let mut out = vec![Property::new("BEGIN", "VEVENT")];
    if let Some(uid) = &e.uid {
        out.push(text("UID", uid));
    }
    out.push(time_property("RECURRENCE-ID", &[key], zone));
    out.push(Property::new(
        "DTSTAMP",
        &format_compact(x.dtstamp.or(e.dtstamp).unwrap_or(options.dtstamp)),
    ));
    out.push(time_property("DTSTART", &[shown.when.start()], zone));
    out.push(time_property("DTEND", &[shown.when.end()], zone));
    shown_properties(e, &shown, &mut out);
    out.extend(x.ical.extra.iter().cloned());
    if let Some(m) = shown.reminder {
        out.extend(alarm(*m, shown.subject));
    }
    out.push(Property::new("END", "VEVENT"));
    out
}

/// One `VCALENDAR` with every event, and a `VTIMEZONE` for each zone their times are in.
pub fn export(events: &[Event], options: &ExportOptions) -> String {
    let mut zones: BTreeMap<&'static str, (Tz, i32, i32)> = BTreeMap::new();
    for e in events.iter().filter(|e| !e.is_all_day()) {
        if let Some(z) = written_zone(e) {
            let (from, to) = years_of(e);
            let entry = zones.entry(z.name()).or_insert((z, from, to));
            entry.1 = entry.1.min(from);
            entry.2 = entry.2.max(to);
        }
    }
    let mut lines = vec![
        Property::new("BEGIN", "VCALENDAR"),
        Property::new("VERSION", "2.0"),
        text("PRODID", &options.product_id),
        Property::new("CALSCALE", "GREGORIAN"),
    ];
    for (zone, from, to) in zones.values() {
        lines.extend(vtimezone(*zone, *from, *to));
    }
    for e in events {
        lines.extend(vevent(e, options));
    }
    lines.push(Property::new("END", "VCALENDAR"));
    let mut out = String::new();
    for p in &lines {
        push_folded(&mut out, &line_of(p));
    }
    out
}
