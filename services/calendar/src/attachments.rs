//! The bytes of event attachments (16.x, MS-ASAIRS 2.2.2.7): an event's JSON describes its
//! attachments and those of its occurrences; the bytes live in a table of their own under a
//! FileReference this service makes (`cal:att:<32 hex digits>`, MS-ASAIRS 2.2.2.24.1), which the
//! edge tells from the mail service's references by its prefix.
//!
//! Before a write, [`prepare`] names every attachment the event brings new and takes its bytes,
//! which come in the model (an iCalendar import) or beside the JSON by the ClientId of the
//! phone's Add (gRPC); the store then keeps the bytes of the references the event lists and
//! deletes those it no longer does.

use eas_calendar_model::attachment::FILE_REFERENCE_PREFIX;
use eas_calendar_model::Event;

use crate::error::CalendarError;

/// The largest attachment accepted by default, in bytes: 10 MiB, well within what one phone
/// request may carry (`edge.max_request_bytes`, 50 MiB) and what one gRPC request between the
/// edge and the service may (`eas_rpc::MAX_REQUEST_BYTES`).
pub const DEFAULT_MAX_ATTACHMENT_BYTES: u64 = 10 << 20;

/// Chunks of an attachment's stream (`ReadAttachment`).
pub(crate) const CHUNK_BYTES: usize = 256 * 1024;

/// The bytes of the attachments a write adds, by the FileReference each was given.
pub(crate) type Contents = Vec<(String, Vec<u8>)>;

/// A new FileReference.
fn new_reference() -> String {
    format!("{FILE_REFERENCE_PREFIX}{}", uuid::Uuid::new_v4().simple())
}

/// Names the attachments of `event` that are not stored yet and takes their bytes: those the
/// attachment holds, else those `sent` for its ClientId. Each gets a new FileReference and its
/// size. Refused ([`CalendarError::InvalidEvent`]): a new attachment without bytes, bytes for a
/// ClientId no new attachment has; [`CalendarError::AttachmentTooLarge`] over `max` bytes.
pub(crate) fn prepare(
    event: &mut Event,
    mut sent: Vec<(String, Vec<u8>)>,
    max: u64,
) -> Result<Contents, CalendarError> {
    let mut contents = Contents::new();
    for a in event.all_attachments_mut().filter(|a| a.is_new()) {
        let bytes = match a.content.take() {
            Some(bytes) => bytes,
            None => {
                let client_id = a.client_id.as_deref().unwrap_or_default();
                let at = sent
                    .iter()
                    .position(|(id, _)| !client_id.is_empty() && id == client_id)
                    .ok_or_else(|| {
                        CalendarError::InvalidEvent(format!(
                            "new attachment {client_id:?} comes without its content"
                        ))
                    })?;
                sent.swap_remove(at).1
            }
        };
        let size = bytes.len() as u64;
        if size > max {
            return Err(CalendarError::AttachmentTooLarge { size, max });
        }
        a.file_reference = new_reference();
        a.size = size;
        contents.push((a.file_reference.clone(), bytes));
    }
    if let Some((client_id, _)) = sent.first() {
        return Err(CalendarError::InvalidEvent(format!(
            "content for {client_id:?}, which is no new attachment of the event"
        )));
    }
    Ok(contents)
}

/// Puts the stored bytes back into the attachments of `event` (for an iCalendar export).
pub(crate) fn fill(event: &mut Event, stored: &std::collections::HashMap<String, Vec<u8>>) {
    for a in event.all_attachments_mut() {
        if let Some(bytes) = stored.get(&a.file_reference) {
            a.content = Some(bytes.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use eas_calendar_model::{Attachment, When};

    fn event_with(attachments: Vec<Attachment>) -> Event {
        let at = Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).unwrap();
        let mut e = Event::new(When::timed(at, at).unwrap());
        e.attachments = attachments;
        e
    }

    fn sent_by(client_id: &str) -> Attachment {
        Attachment {
            client_id: Some(client_id.into()),
            ..Attachment::default()
        }
    }

    #[test]
    fn new_attachments_are_named_and_sized_and_their_bytes_taken() {
        let kept = Attachment {
            file_reference: "cal:att:old".into(),
            size: 3,
            ..Attachment::default()
        };
        let mut e = event_with(vec![
            kept.clone(),
            sent_by("c1"),
            Attachment::with_content(b"inline".to_vec()),
        ]);
        let contents = prepare(&mut e, vec![("c1".into(), b"12345".to_vec())], 10).unwrap();
        assert_eq!(e.attachments[0], kept);
        let (first, second) = (&e.attachments[1], &e.attachments[2]);
        assert!(first.file_reference.starts_with(FILE_REFERENCE_PREFIX));
        assert_ne!(first.file_reference, second.file_reference);
        assert_eq!((first.size, second.size), (5, 6));
        assert!(second.content.is_none());
        assert_eq!(
            contents,
            [
                (first.file_reference.clone(), b"12345".to_vec()),
                (second.file_reference.clone(), b"inline".to_vec())
            ]
        );
    }

    #[test]
    fn missing_stray_and_oversized_content_is_refused() {
        let mut e = event_with(vec![sent_by("c1")]);
        assert!(matches!(
            prepare(&mut e, Vec::new(), 10),
            Err(CalendarError::InvalidEvent(_))
        ));
        let mut e = event_with(vec![sent_by("c1")]);
        let sent = vec![("c1".into(), vec![1]), ("c2".into(), vec![2])];
        assert!(matches!(
            prepare(&mut e, sent, 10),
            Err(CalendarError::InvalidEvent(_))
        ));
        let mut e = event_with(vec![sent_by("c1")]);
        assert!(matches!(
            prepare(&mut e, vec![("c1".into(), vec![0; 11])], 10),
            Err(CalendarError::AttachmentTooLarge { size: 11, max: 10 })
        ));
    }
}
