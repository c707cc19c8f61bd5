//! What the service indexes of an event: its UID (iCalendar import replaces by it), its
//! ClientUid (MS-ASCAL 2.2.2.13, the key of duplicate Add detection), the FilterType date
//! (MS-ASCMD 2.2.3.68.2: the end of its last occurrence, `Event::last_end`), and the
//! FileReferences of its attachments with the bytes of those the write adds.

use eas_calendar_model::{stored, Event};

use crate::attachments::{self, Contents};
use crate::error::CalendarError;

/// An event ready to store: its normalised stored form and its indexed columns.
#[derive(Debug, Clone)]
pub(crate) struct Indexed {
    pub event: Event,
    pub json: String,
    /// The UID, or empty.
    pub uid: String,
    /// The ClientUid, or empty.
    pub client_uid: String,
    /// `ItemVersion.date`: unix seconds, 0 for a series without end.
    pub date: i64,
    /// The FileReference of every attachment of the event and its occurrences.
    pub references: Vec<String>,
    /// The bytes of the attachments this write adds, by FileReference.
    pub contents: Contents,
}

impl Indexed {
    /// Reads the stored form (a text `stored::from_json` refuses is `InvalidEvent`), its new
    /// attachments named and their bytes taken from `sent` ([`attachments::prepare`]).
    pub(crate) fn from_json(
        json: &str,
        sent: Vec<(String, Vec<u8>)>,
        max_attachment_bytes: u64,
    ) -> Result<Indexed, CalendarError> {
        let event =
            stored::from_json(json).map_err(|e| CalendarError::InvalidEvent(e.to_string()))?;
        Indexed::prepared(event, sent, max_attachment_bytes)
    }

    /// An event whose new attachments are named and their bytes taken
    /// ([`attachments::prepare`]): from the model, else from `sent` by ClientId.
    pub(crate) fn prepared(
        mut event: Event,
        sent: Vec<(String, Vec<u8>)>,
        max_attachment_bytes: u64,
    ) -> Result<Indexed, CalendarError> {
        let contents = attachments::prepare(&mut event, sent, max_attachment_bytes)?;
        Ok(Indexed::with_contents(event, contents))
    }

    fn with_contents(event: Event, contents: Contents) -> Indexed {
        let json = stored::to_json(&event);
        Indexed {
            uid: non_empty(event.uid.as_deref()),
            client_uid: non_empty(event.client_uid.as_deref()),
            date: filter_date(&event),
            references: event
                .all_attachments()
                .map(|a| a.file_reference.clone())
                .collect(),
            json,
            event,
            contents,
        }
    }

    /// The same event with this UID.
    pub(crate) fn with_uid(mut self, uid: &str) -> Indexed {
        self.event.uid = Some(uid.to_owned());
        Indexed::with_contents(self.event, self.contents)
    }

    /// The same event with this ClientUid.
    pub(crate) fn with_client_uid(mut self, client_uid: &str) -> Indexed {
        self.event.client_uid = Some(client_uid.to_owned());
        Indexed::with_contents(self.event, self.contents)
    }
}

/// The text of an id as it came, or empty when it is absent or blank.
fn non_empty(text: Option<&str>) -> String {
    match text {
        Some(t) if !t.trim().is_empty() => t.to_owned(),
        _ => String::new(),
    }
}

/// The date a FilterType window is compared with (MS-ASCMD 2.2.3.68.2, docs/adding-a-data-class.md):
/// the end of the last occurrence in unix seconds, or 0, "inside every window", for a series
/// without end. An event that ended exactly at the epoch is given -1, so that it is not taken
/// for a series without end.
pub(crate) fn filter_date(event: &Event) -> i64 {
    match event.last_end() {
        None => 0,
        Some(end) => match end.timestamp() {
            0 => -1,
            seconds => seconds,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use eas_calendar_model::{Pattern, Recurrence, RecurrenceEnd, When};

    fn timed(start: i64, end: i64) -> Event {
        let at = |s| Utc.timestamp_opt(s, 0).single().unwrap();
        Event::new(When::timed(at(start), at(end)).unwrap())
    }

    #[test]
    fn a_single_event_is_dated_by_its_end_and_an_endless_series_is_not_dated() {
        assert_eq!(
            filter_date(&timed(1_700_000_000, 1_700_003_600)),
            1_700_003_600
        );
        let mut series = timed(1_700_000_000, 1_700_003_600);
        series.recurrence = Some(Recurrence::new(Pattern::Daily));
        assert_eq!(filter_date(&series), 0);
        series.recurrence = Some(Recurrence::new(Pattern::Daily).with_end(RecurrenceEnd::Count(3)));
        assert_eq!(filter_date(&series), 1_700_003_600 + 2 * 86_400);
        assert_eq!(filter_date(&timed(-3600, 0)), -1);
    }

    #[test]
    fn an_all_day_event_ends_when_its_last_day_is_over_everywhere() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let event = Event::new(When::all_day_for(day, 1));
        // 11 March at UTC-12 is 12:00 UTC.
        let end = Utc.with_ymd_and_hms(2026, 3, 11, 12, 0, 0).unwrap();
        assert_eq!(filter_date(&event), end.timestamp());
    }

    #[test]
    fn the_uids_are_indexed_as_they_came_and_refusals_are_invalid_events() {
        let mut event = timed(1_700_000_000, 1_700_003_600);
        event.uid = Some("abc".into());
        event.client_uid = Some("  ".into());
        let indexed = Indexed::prepared(event, Vec::new(), 0).unwrap();
        assert_eq!(
            (indexed.uid.as_str(), indexed.client_uid.as_str()),
            ("abc", "")
        );
        let with = indexed.with_client_uid("c-1").with_uid("u-2");
        assert_eq!(
            (with.uid.as_str(), with.client_uid.as_str()),
            ("u-2", "c-1")
        );
        assert!(
            with.json.contains("\"client_uid\":\"c-1\""),
            "{}",
            with.json
        );
        for bad in ["", "[]", "{\"subject\":\"x\"}", "{\"v\":99}", "{\"v\":1}"] {
            assert!(
                matches!(
                    Indexed::from_json(bad, Vec::new(), 0),
                    Err(CalendarError::InvalidEvent(_))
                ),
                "{bad:?}"
            );
        }
    }
}
