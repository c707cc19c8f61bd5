//! Files attached to an event or to one occurrence (16.x: MS-ASAIRS 2.2.2.7 `Attachment`,
//! 2.2.2.8 `Attachments`; MS-ASCAL R2107 for exceptions; iCalendar `ATTACH`, RFC 5545 3.8.1.1).
//!
//! The model keeps what describes an attachment. The bytes travel beside it: a phone's `Add`
//! and an iCalendar import bring them in [`Attachment::content`], which the stored form never
//! holds; the store keeps them apart and names them by the [`Attachment::file_reference`] it
//! makes.

use serde::{Deserialize, Serialize};

use crate::event::{Event, Override};

/// The start of every FileReference the calendar service makes (`cal:att:<id>`), so that the
/// edge can tell a calendar attachment from a mail one (`<message id>:<index>`) in an
/// ItemOperations Fetch (MS-ASCMD 2.2.3.67.1).
pub const FILE_REFERENCE_PREFIX: &str = "cal:att:";

/// MS-ASAIRS 2.2.2.31: a normal attachment (R225).
pub const METHOD_NORMAL: u8 = 1;

/// One attached file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Attachment {
    /// MS-ASAIRS 2.2.2.24.1: the server's name for the content (made by the store; empty on
    /// an attachment not stored yet).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub file_reference: String,
    /// MS-ASAIRS 2.2.2.14: the `ClientId` of the 16.x `Add` that brought it, kept so that a
    /// repeated Add is answered with the same FileReference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// MS-ASAIRS 2.2.2.22; iCalendar `X-FILENAME`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// MS-ASAIRS 2.2.2.31: 1 normal, 5 embedded message, 6 OLE; as the client sent it.
    pub method: u8,
    /// MS-ASAIRS 2.2.2.23.1 `EstimatedDataSize`: the content's length in bytes.
    pub size: u64,
    /// MS-ASAIRS 2.2.2.18.1; iCalendar `FMTTYPE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// MS-ASAIRS 2.2.2.16
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
    /// MS-ASAIRS 2.2.2.17
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_location: Option<String>,
    /// MS-ASAIRS 2.2.2.26
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_inline: bool,
    /// The bytes, when at hand: a phone's `Add`, an iCalendar file read or about to be
    /// written. Never part of the stored form.
    #[serde(skip)]
    pub content: Option<Vec<u8>>,
}

impl Default for Attachment {
    fn default() -> Attachment {
        Attachment {
            file_reference: String::new(),
            client_id: None,
            display_name: None,
            method: METHOD_NORMAL,
            size: 0,
            content_type: None,
            content_id: None,
            content_location: None,
            is_inline: false,
            content: None,
        }
    }
}

impl Attachment {
    /// A new attachment of these bytes, not stored yet.
    pub fn with_content(content: Vec<u8>) -> Attachment {
        Attachment {
            size: content.len() as u64,
            content: Some(content),
            ..Attachment::default()
        }
    }

    /// Whether the store has not named it yet.
    pub fn is_new(&self) -> bool {
        self.file_reference.is_empty()
    }
}

impl Event {
    /// Every attachment of the event and of its exceptions, the series' first.
    pub fn all_attachments(&self) -> impl Iterator<Item = &Attachment> {
        self.attachments
            .iter()
            .chain(self.exceptions.values().flat_map(|x| match &x.attachments {
                Override::Set(list) => list.as_slice(),
                _ => &[],
            }))
    }

    /// Every attachment, mutably (the store names new ones, fills or takes their bytes).
    pub fn all_attachments_mut(&mut self) -> impl Iterator<Item = &mut Attachment> {
        self.attachments
            .iter_mut()
            .chain(
                self.exceptions
                    .values_mut()
                    .flat_map(|x| match &mut x.attachments {
                        Override::Set(list) => list.as_mut_slice(),
                        _ => &mut [],
                    }),
            )
    }

    /// Takes the bytes of the attachments not stored yet, by their ClientId, for a request
    /// that carries them beside the stored form. An attachment without ClientId keeps its
    /// bytes.
    pub fn take_new_contents(&mut self) -> Vec<(String, Vec<u8>)> {
        self.all_attachments_mut()
            .filter(|a| a.is_new())
            .filter_map(|a| Some((a.client_id.clone()?, a.content.take()?)))
            .collect()
    }
}
