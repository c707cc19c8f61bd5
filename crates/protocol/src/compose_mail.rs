//! SendMail, SmartReply and SmartForward (MS-ASCMD 2.2.1.17, 2.2.1.20, 2.2.1.19): the WBXML
//! form of 14.0 and later, and the older form whose body is the raw `message/rfc822` with the
//! parameters in the query. PHONE_FLOWS.md: AOSP's smart commands leave the quote out for the
//! server to append, and an empty 200 is success.

use eas_wbxml::tags::compose_mail as c;
use eas_wbxml::{Element, Tag};

use crate::command::Command;
use crate::error::{optional_text, required_id, text_or_opaque, ParseError};
use crate::query::Params;
use crate::status::CommonStatus;

/// Which of the three commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ComposeKind {
    SendMail,
    SmartReply,
    SmartForward,
}

impl ComposeKind {
    /// The kind for a command, if it is one of the three.
    pub fn from_command(command: &Command) -> Option<ComposeKind> {
        match command {
            Command::SendMail => Some(ComposeKind::SendMail),
            Command::SmartReply => Some(ComposeKind::SmartReply),
            Command::SmartForward => Some(ComposeKind::SmartForward),
            _ => None,
        }
    }

    /// The root element of the request and the response.
    pub fn root(self) -> Tag {
        match self {
            ComposeKind::SendMail => c::SEND_MAIL,
            ComposeKind::SmartReply => c::SMART_REPLY,
            ComposeKind::SmartForward => c::SMART_FORWARD,
        }
    }

    fn from_root(tag: Tag) -> Option<ComposeKind> {
        [
            ComposeKind::SendMail,
            ComposeKind::SmartReply,
            ComposeKind::SmartForward,
        ]
        .into_iter()
        .find(|k| k.root() == tag)
    }

    /// True for SmartReply and SmartForward, which name an original message.
    pub fn is_smart(self) -> bool {
        self != ComposeKind::SendMail
    }
}

/// The original message of a SmartReply or SmartForward (MS-ASCMD 2.2.3.173).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComposeSource {
    pub folder_id: Option<String>,
    pub item_id: Option<String>,
    /// An item found by Search.
    pub long_id: Option<String>,
    /// One occurrence of a recurring meeting.
    pub instance_id: Option<String>,
}

/// A SendMail, SmartReply or SmartForward request in either form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComposeMailRequest {
    pub kind: ComposeKind,
    /// MS-ASCMD 2.2.3.28.1: the client's id for the message, to spot resends; absent in the
    /// pre-14.0 form.
    pub client_id: Option<String>,
    pub account_id: Option<String>,
    pub save_in_sent_items: bool,
    /// MS-ASCMD 2.2.3.148: send the MIME as is, without the original message appended.
    pub replace_mime: bool,
    /// Required for the smart commands in the WBXML form.
    pub source: Option<ComposeSource>,
    /// The whole message, RFC 5322.
    pub mime: Vec<u8>,
}

impl ComposeMailRequest {
    /// Reads a WBXML request (14.0 and later) whose root is SendMail, SmartReply or
    /// SmartForward.
    pub fn from_element(root: &Element) -> Result<ComposeMailRequest, ParseError> {
        let kind = ComposeKind::from_root(root.tag).ok_or(ParseError::WrongRoot {
            expected: c::SEND_MAIL,
            found: root.tag,
        })?;
        // ComposeMail.xsd: ClientId is 1 to 40 characters.
        let client_id = required_id(root, c::CLIENT_ID, 40)?;
        let source = match root.child(c::SOURCE) {
            None if kind.is_smart() => return Err(ParseError::Missing(c::SOURCE)),
            None => None,
            Some(s) => {
                let source = ComposeSource {
                    folder_id: optional_text(s, c::FOLDER_ID),
                    item_id: optional_text(s, c::ITEM_ID),
                    long_id: optional_text(s, c::LONG_ID),
                    instance_id: optional_text(s, c::INSTANCE_ID),
                };
                if kind.is_smart() && source.item_id.is_none() && source.long_id.is_none() {
                    return Err(ParseError::Missing(c::ITEM_ID));
                }
                Some(source)
            }
        };
        let mime = root
            .child(c::MIME)
            .map(text_or_opaque)
            .ok_or(ParseError::Missing(c::MIME))?;
        Ok(ComposeMailRequest {
            kind,
            client_id: Some(client_id),
            account_id: optional_text(root, c::ACCOUNT_ID),
            save_in_sent_items: root.child(c::SAVE_IN_SENT_ITEMS).is_some(),
            replace_mime: root.child(c::REPLACE_MIME).is_some(),
            source,
            mime,
        })
    }

    /// The pre-14.0 form: the body is the message and the query carries SaveInSent, ItemId,
    /// CollectionId, LongId and Occurrence (MS-ASHTTP 2.2.1.1.1.1.3).
    pub fn from_rfc822(kind: ComposeKind, params: &Params, mime: Vec<u8>) -> ComposeMailRequest {
        let named = params.item_id.is_some() || params.long_id.is_some();
        let source = (kind.is_smart() && named).then(|| ComposeSource {
            folder_id: params.collection_id.clone(),
            item_id: params.item_id.clone(),
            long_id: params.long_id.clone(),
            instance_id: params.occurrence.clone(),
        });
        ComposeMailRequest {
            kind,
            client_id: None,
            account_id: None,
            save_in_sent_items: params.save_in_sent,
            replace_mime: false,
            source,
            mime,
        }
    }
}

/// The response: nothing on success (MS-ASCMD 2.2.3.177.14, R4379), else a common status
/// (MS-ASCMD 2.2.4). PHONE_FLOWS.md: AOSP resends a failed smart command as SendMail on 150.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ComposeMailResponse {
    pub kind: ComposeKind,
    pub status: Option<CommonStatus>,
}

impl ComposeMailResponse {
    /// The response tree, or `None` for the empty body of success.
    pub fn to_element(&self) -> Option<Element> {
        self.status
            .map(|s| Element::new(self.kind.root()).with_text(c::STATUS, s.to_string()))
    }
}

#[cfg(test)]
mod tests;
