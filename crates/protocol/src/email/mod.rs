//! The Email class (MS-ASEMAIL): the properties of a message as Sync, ItemOperations and Search
//! send them, and the changes a phone makes (read state, flag, categories).
//!
//! Only protocol 12.0 and later are supported: 2.5 used `Email:Body` and `Email:Attachments`
//! instead of the AirSyncBase elements, and asking for 2.5 data is an error.

mod change;
mod draft;
mod flag;
#[cfg(test)]
mod tests;

pub use change::EmailChange;
pub use draft::{DraftBody, DraftFields};
pub use flag::{Flag, FlagStatus};

use eas_wbxml::tags::{air_sync as a, air_sync_base as asb, email as e, email2 as e2};
use eas_wbxml::Element;

use crate::body::{attachments_element, Attachment, Body, BodyType};
use crate::datetime::EasDateTime;
use crate::version::ProtocolVersion;

/// MS-ASEMAIL 2.2.2.20 (R342): the content class of every email message.
pub const CONTENT_CLASS_MESSAGE: &str = "urn:content-classes:message";

/// MS-ASEMAIL 2.2.2.38: `Importance`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Importance {
    Low = 0,
    Normal = 1,
    High = 2,
}

/// Email data for a protocol version this crate does not write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("email data for protocol {0} is not supported; 12.0 is the oldest")]
pub struct UnsupportedVersion(pub ProtocolVersion);

/// A message as the client sees it. Addresses are RFC 5322 address lists, formatted by the
/// caller (`"Jane Doe" <jane@example.com>, bob@example.com`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub to: Option<String>,
    pub cc: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub reply_to: Option<String>,
    pub date_received: Option<EasDateTime>,
    /// MS-ASEMAIL 2.2.2.29: the display names of the To recipients, `;`-separated.
    pub display_to: Option<String>,
    pub thread_topic: Option<String>,
    pub importance: Option<Importance>,
    pub read: bool,
    /// `None` writes the empty `<Flag/>` of an unflagged message (MS-ASEMAIL 2.2.2.34, R437).
    pub flag: Option<Flag>,
    /// `IPM.Note` for ordinary mail.
    pub message_class: String,
    /// The code page of the original message; `65001` (UTF-8) by default.
    pub internet_cpid: Option<String>,
    pub content_class: Option<String>,
    /// Chosen with [`crate::body::select_body`] for the client's preferences.
    pub body: Option<Body>,
    pub attachments: Vec<Attachment>,
    pub native_body_type: Option<BodyType>,
    /// 14.0 and later (MS-ASEMAIL 2.2.2.16); an empty list writes `<Categories/>`.
    pub categories: Vec<String>,
    /// email2:ConversationId, opaque (MS-ASEMAIL 2.2.2.21), 14.0 and later.
    pub conversation_id: Option<Vec<u8>>,
    /// email2:ConversationIndex, opaque (MS-ASEMAIL 2.2.2.22), 14.0 and later.
    pub conversation_index: Option<Vec<u8>>,
    /// MS-ASEMAIL 2.2.2.59, 14.0 and later: the user was a Bcc recipient.
    pub received_as_bcc: Option<bool>,
    /// MS-ASEMAIL 2.2.2.70, 14.0 and later: who sent it on behalf of `from`.
    pub sender: Option<String>,
}

impl Default for Email {
    fn default() -> Email {
        Email {
            to: None,
            cc: None,
            from: None,
            subject: None,
            reply_to: None,
            date_received: None,
            display_to: None,
            thread_topic: None,
            importance: None,
            read: false,
            flag: None,
            message_class: "IPM.Note".into(),
            internet_cpid: Some("65001".into()),
            content_class: Some(CONTENT_CLASS_MESSAGE.into()),
            body: None,
            attachments: Vec::new(),
            native_body_type: None,
            categories: Vec::new(),
            conversation_id: None,
            conversation_index: None,
            received_as_bcc: None,
            sender: None,
        }
    }
}

impl Email {
    /// The property elements for `version`, as children of `ApplicationData` (Sync) or
    /// `Properties` (ItemOperations, Search). Elements a version lacks are left out: below
    /// 14.0 the Email2 elements, Categories and the body Preview.
    pub fn properties(&self, version: ProtocolVersion) -> Result<Vec<Element>, UnsupportedVersion> {
        if version < ProtocolVersion::V12_0 {
            return Err(UnsupportedVersion(version));
        }
        let v14 = version >= ProtocolVersion::V14_0;
        let text = |tag, v: &Option<String>| v.as_ref().map(|v| Element::text(tag, v));
        let mut out: Vec<Element> = [
            text(e::TO, &self.to),
            text(e::CC, &self.cc),
            text(e::FROM, &self.from),
            text(e::SUBJECT, &self.subject),
            text(e::REPLY_TO, &self.reply_to),
            self.date_received
                .map(|d| Element::text(e::DATE_RECEIVED, d.to_string())),
            text(e::DISPLAY_TO, &self.display_to),
            text(e::THREAD_TOPIC, &self.thread_topic),
            self.importance
                .map(|i| Element::text(e::IMPORTANCE, (i as u8).to_string())),
            Some(Element::text(e::READ, if self.read { "1" } else { "0" })),
            attachments_element(&self.attachments),
            self.body.as_ref().map(|b| {
                let mut b = b.clone();
                if !v14 {
                    b.preview = None;
                }
                b.to_element()
            }),
            Some(Element::text(e::MESSAGE_CLASS, &self.message_class)),
            text(e::INTERNET_CPID, &self.internet_cpid),
            Some(self.flag.clone().unwrap_or_default().to_element()),
            text(e::CONTENT_CLASS, &self.content_class),
            self.native_body_type
                .map(|t| Element::text(asb::NATIVE_BODY_TYPE, t.code().to_string())),
        ]
        .into_iter()
        .flatten()
        .collect();
        if v14 {
            let mut categories = Element::new(e::CATEGORIES);
            for c in &self.categories {
                categories.push_text(e::CATEGORY, c);
            }
            out.push(categories);
            let opaque =
                |tag, v: &Option<Vec<u8>>| v.as_ref().map(|v| Element::opaque(tag, v.clone()));
            out.extend(
                [
                    opaque(e2::CONVERSATION_ID, &self.conversation_id),
                    opaque(e2::CONVERSATION_INDEX, &self.conversation_index),
                    self.received_as_bcc
                        .map(|b| Element::text(e2::RECEIVED_AS_BCC, u8::from(b).to_string())),
                    text(e2::SENDER, &self.sender),
                ]
                .into_iter()
                .flatten(),
            );
        }
        Ok(out)
    }

    /// The `airsync:ApplicationData` element holding [`Email::properties`].
    pub fn application_data(
        &self,
        version: ProtocolVersion,
    ) -> Result<Element, UnsupportedVersion> {
        let mut el = Element::new(a::APPLICATION_DATA);
        for p in self.properties(version)? {
            el.push(p);
        }
        Ok(el)
    }
}
