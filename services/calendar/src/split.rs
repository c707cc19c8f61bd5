//! Cuts an iCalendar file (RFC 5545 3.4, 3.6) into one small file per event, so that an event
//! that cannot be read costs only itself on import: each `VEVENT` with the other `VEVENT`s of
//! its UID (the series and its `RECURRENCE-ID` overrides, RFC 5545 3.8.4.4), wrapped in its
//! `VCALENDAR`'s properties and every `VTIMEZONE` of that calendar (3.6.5). Only the component
//! structure is read here (`BEGIN`/`END` lines and each event's `UID`); `eas-calendar-model`
//! reads the rest.

use eas_calendar_model::ical::syntax::{split_line, unescape, unfold};

/// One event of a file: the VEVENTs of one UID as a file of their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    pub text: String,
}

/// What a file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Split {
    /// No `BEGIN:VCALENDAR` at all: not an iCalendar file.
    NoCalendar,
    /// The events, in the order their UID first appears.
    Units(Vec<Unit>),
}

/// A `BEGIN` or `END` line, with the component's name in upper case.
enum Mark {
    Begin(String),
    End(String),
}

fn mark(line: &str) -> Option<Mark> {
    let p = split_line(line)?;
    let name = p.value.trim().to_ascii_uppercase();
    match p.name.as_str() {
        "BEGIN" => Some(Mark::Begin(name)),
        "END" => Some(Mark::End(name)),
        _ => None,
    }
}

/// A `VCALENDAR` being read.
#[derive(Default)]
struct Calendar {
    /// Its own properties (`VERSION`, `PRODID`, `METHOD`, `X-WR-TIMEZONE`, ...).
    properties: Vec<String>,
    /// Every `VTIMEZONE`, as lines.
    zones: Vec<String>,
    /// The VEVENTs by group: (UID or none, lines).
    groups: Vec<(Option<String>, Vec<String>)>,
}

impl Calendar {
    fn add_event(&mut self, lines: Vec<String>) {
        let uid = lines
            .iter()
            .skip(1)
            .take_while(|l| !matches!(mark(l), Some(Mark::Begin(_))))
            .filter_map(|l| split_line(l))
            .find(|p| p.name == "UID")
            .map(|p| unescape(&p.value))
            .filter(|u| !u.trim().is_empty());
        match uid
            .as_ref()
            .and_then(|u| self.groups.iter_mut().find(|(g, _)| g.as_ref() == Some(u)))
        {
            Some((_, group)) => group.extend(lines),
            None => self.groups.push((uid, lines)),
        }
    }

    fn units(self, out: &mut Vec<Unit>) {
        for (_, events) in self.groups {
            let mut text = String::from("BEGIN:VCALENDAR\r\n");
            for line in self.properties.iter().chain(&self.zones).chain(&events) {
                text.push_str(line);
                text.push_str("\r\n");
            }
            text.push_str("END:VCALENDAR\r\n");
            out.push(Unit { text });
        }
    }
}

/// Where the reader is.
enum State {
    Outside,
    /// Inside a `VCALENDAR`, between its components.
    InCalendar(Calendar),
    /// Inside a component of the calendar (`name`), whose lines are gathered.
    InComponent {
        calendar: Calendar,
        name: String,
        lines: Vec<String>,
    },
}

/// Cuts `text` into its events. A component that is not closed ends where the next one of its
/// kind or its calendar begins or ends, so that it takes none of its neighbours along (the model
/// reads what it has, or reports it).
pub(crate) fn split(text: &str) -> Split {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut units = Vec::new();
    let mut seen_calendar = false;
    let mut state = State::Outside;
    for line in unfold(text) {
        let m = mark(&line);
        state = match state {
            State::Outside => match m {
                Some(Mark::Begin(n)) if n == "VCALENDAR" => {
                    seen_calendar = true;
                    State::InCalendar(Calendar::default())
                }
                // Text around calendars is not part of any.
                _ => State::Outside,
            },
            State::InCalendar(mut calendar) => match m {
                Some(Mark::End(n)) if n == "VCALENDAR" => {
                    calendar.units(&mut units);
                    State::Outside
                }
                Some(Mark::Begin(name)) => State::InComponent {
                    calendar,
                    name,
                    lines: vec![line],
                },
                Some(Mark::End(_)) => State::InCalendar(calendar),
                None => {
                    calendar.properties.push(line);
                    State::InCalendar(calendar)
                }
            },
            State::InComponent {
                mut calendar,
                name,
                mut lines,
            } => match m {
                Some(Mark::End(n)) if n == name => {
                    lines.push(line);
                    finish(&mut calendar, &name, lines);
                    State::InCalendar(calendar)
                }
                // A calendar's end, or another top-level component of this kind, ends an
                // unclosed one.
                Some(Mark::End(n)) if n == "VCALENDAR" => {
                    finish(&mut calendar, &name, lines);
                    calendar.units(&mut units);
                    State::Outside
                }
                Some(Mark::Begin(n)) if n == name || n == "VCALENDAR" => {
                    finish(&mut calendar, &name, lines);
                    if n == "VCALENDAR" {
                        calendar.units(&mut units);
                        State::InCalendar(Calendar::default())
                    } else {
                        State::InComponent {
                            calendar,
                            name,
                            lines: vec![line],
                        }
                    }
                }
                _ => {
                    lines.push(line);
                    State::InComponent {
                        calendar,
                        name,
                        lines,
                    }
                }
            },
        };
    }
    // A file that ends inside a calendar: what was read of it still counts.
    match state {
        State::Outside => {}
        State::InCalendar(calendar) => calendar.units(&mut units),
        State::InComponent {
            mut calendar,
            name,
            lines,
        } => {
            finish(&mut calendar, &name, lines);
            calendar.units(&mut units);
        }
    }
    if seen_calendar {
        Split::Units(units)
    } else {
        Split::NoCalendar
    }
}

/// Files a finished component: an event into its group, a zone with the zones; anything else
/// (`VTODO`, `VJOURNAL`, `VFREEBUSY`, vendor components) is not an event and is dropped.
fn finish(calendar: &mut Calendar, name: &str, lines: Vec<String>) {
    match name {
        "VEVENT" => calendar.add_event(lines),
        "VTIMEZONE" => calendar.zones.extend(lines),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(text: &str) -> Vec<String> {
        match split(text) {
            Split::Units(u) => u.into_iter().map(|u| u.text).collect(),
            Split::NoCalendar => panic!("no calendar in {text:?}"),
        }
    }

    const ZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

    #[test]
    fn each_uid_is_a_file_with_the_calendar_properties_and_zones() {
        let text = format!(
            "\u{feff}BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n\
             BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260310T090000Z\r\nBEGIN:VALARM\r\nUID:not-the-event\r\nEND:VALARM\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20260311T090000Z\r\nEND:VEVENT\r\n\
             BEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\n\
             {ZONE}\
             BEGIN:VEVENT\r\nUID:a\r\nRECURRENCE-ID:20260317T090000Z\r\nDTSTART:20260317T100000Z\r\nEND:VEVENT\r\n\
             END:VCALENDAR\r\n"
        );
        let got = units(&text);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert_eq!(
            got[0],
            format!(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n{ZONE}\
                 BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260310T090000Z\r\nBEGIN:VALARM\r\nUID:not-the-event\r\nEND:VALARM\r\nEND:VEVENT\r\n\
                 BEGIN:VEVENT\r\nUID:a\r\nRECURRENCE-ID:20260317T090000Z\r\nDTSTART:20260317T100000Z\r\nEND:VEVENT\r\n\
                 END:VCALENDAR\r\n"
            )
        );
        assert!(got[1].contains("UID:b") && got[1].contains("TZID:Europe/Paris"));
        assert!(!got.iter().any(|u| u.contains("VTODO")));
    }

    #[test]
    fn events_without_uid_stand_alone_and_folded_lines_are_read_whole() {
        let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:one\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:two\nEND:VEVENT\nbegin:vevent\nUI\n D:fol\n ded\nEND:VEVENT\nBEGIN:VEVENT\nUID:folded\nEND:VEVENT\nEND:VCALENDAR\n";
        let got = units(text);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(got[2].contains("UID:folded\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:folded"));
    }

    #[test]
    fn an_unclosed_event_ends_at_the_next_one_or_at_its_calendar() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:broken\r\nBEGIN:VEVENT\r\nUID:fine\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:cut\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:second\r\nEND:VEVENT\r\n";
        let got = units(text);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert_eq!(
            got[0],
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:broken\r\nEND:VCALENDAR\r\n"
        );
        assert!(got[1].contains("UID:fine\r\nEND:VEVENT"));
        assert_eq!(
            got[2],
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:cut\r\nEND:VCALENDAR\r\n"
        );
        assert!(got[3].contains("UID:second"));
    }

    #[test]
    fn a_file_without_a_calendar_is_no_calendar_and_an_empty_one_has_no_events() {
        for text in [
            "",
            "hello\r\n",
            "BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n",
            "BEGIN:VEVENT\r\nEND:VEVENT\r\n",
        ] {
            assert_eq!(split(text), Split::NoCalendar, "{text:?}");
        }
        assert_eq!(
            split("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"),
            Split::Units(Vec::new())
        );
    }
}
