//! The email properties a phone changes in a Sync `Change` (MS-ASEMAIL 3.1.5.4.1, 3.2.5.4.2):
//! read state, flag and categories. The server sends the same set when they change on its side.

use eas_wbxml::tags::email as e;
use eas_wbxml::{Element, Tag};

use super::flag::Flag;
use crate::error::{bool_value, ParseError};

/// A change to an email. `None` means "unchanged".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmailChange {
    pub read: Option<bool>,
    /// An empty or status-0 flag clears it ([`Flag::is_cleared`]).
    pub flag: Option<Flag>,
    /// MS-ASEMAIL 2.2.2.16 (R319, R320): an empty list removes every category; absent leaves
    /// them alone.
    pub categories: Option<Vec<String>>,
    /// Other properties in the change, which a client may not change; the server answers such
    /// a change with Sync status 6 when it holds email2:ConversationId (MS-ASEMAIL 2.2.2.21,
    /// R347) and may ignore the rest.
    pub other: Vec<Tag>,
}

impl EmailChange {
    /// Reads the children of a client's `ApplicationData`.
    pub fn from_application_data(data: &[Element]) -> Result<EmailChange, ParseError> {
        let mut change = EmailChange::default();
        for el in data {
            match el.tag {
                t if t == e::READ => {
                    let text = el.text_content().unwrap_or_default();
                    change.read = Some(bool_value(e::READ, &text)?);
                }
                t if t == e::FLAG => change.flag = Some(Flag::from_element(el)?),
                t if t == e::CATEGORIES => {
                    change.categories = Some(
                        el.children_of(e::CATEGORY)
                            .map(|c| c.text_content().unwrap_or_default())
                            .collect(),
                    )
                }
                other => change.other.push(other),
            }
        }
        Ok(change)
    }

    /// True when the change touches nothing a client may change.
    pub fn is_empty(&self) -> bool {
        self.read.is_none() && self.flag.is_none() && self.categories.is_none()
    }

    /// The properties for a server `Change` command. Categories are written from 14.0 only;
    /// the caller leaves them `None` for older clients.
    pub fn properties(&self) -> Vec<Element> {
        let mut out = Vec::new();
        if let Some(read) = self.read {
            out.push(Element::text(e::READ, if read { "1" } else { "0" }));
        }
        if let Some(flag) = &self.flag {
            out.push(flag.to_element());
        }
        if let Some(list) = &self.categories {
            let mut el = Element::new(e::CATEGORIES);
            for c in list {
                el.push_text(e::CATEGORY, c);
            }
            out.push(el);
        }
        out
    }
}
