//! The follow-up flag of an email (MS-ASEMAIL 2.2.2.34): status, type and the Tasks-namespace
//! dates, read from a client's change and written in server data.

use eas_wbxml::tags::{email as e, tasks as t};
use eas_wbxml::{Element, Tag};

use crate::datetime::EasDateTime;
use crate::error::{optional_bool, optional_number, optional_text, ParseError};

/// MS-ASEMAIL 2.2.2.74: `Flag/Status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FlagStatus {
    Cleared = 0,
    Complete = 1,
    Active = 2,
}

/// An email's flag. An empty flag (`Flag::default()`) is the empty `<Flag/>` that means "no
/// flag" (MS-ASEMAIL 2.2.2.34, R437).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flag {
    pub status: Option<FlagStatus>,
    /// MS-ASEMAIL 2.2.2.35: commonly "Flag for follow up" or "for Follow Up".
    pub flag_type: Option<String>,
    /// tasks:Subject.
    pub subject: Option<String>,
    /// MS-ASEMAIL 2.2.2.19: when the flag was completed (with tasks:DateCompleted).
    pub complete_time: Option<EasDateTime>,
    pub date_completed: Option<EasDateTime>,
    pub start_date: Option<EasDateTime>,
    pub utc_start_date: Option<EasDateTime>,
    pub due_date: Option<EasDateTime>,
    pub utc_due_date: Option<EasDateTime>,
    pub reminder_set: Option<bool>,
    pub reminder_time: Option<EasDateTime>,
    pub ordinal_date: Option<EasDateTime>,
    pub sub_ordinal_date: Option<String>,
}

fn date(el: &Element, tag: Tag) -> Result<Option<EasDateTime>, ParseError> {
    match el.child_text(tag) {
        None => Ok(None),
        Some(text) => EasDateTime::parse(&text)
            .map(Some)
            .ok_or_else(|| ParseError::bad_value(tag, &text)),
    }
}

impl Flag {
    /// True for an empty flag or status 0: the message carries no flag.
    pub fn is_cleared(&self) -> bool {
        matches!(self.status, None | Some(FlagStatus::Cleared))
    }

    /// Reads a `Flag` element. A status other than 0, 1 or 2 is an error; MS-ASEMAIL 2.2.2.74
    /// (R757) has the server answer such a change with Sync status 6.
    pub fn from_element(el: &Element) -> Result<Flag, ParseError> {
        let status = match optional_number::<u8>(el, e::STATUS)? {
            None => None,
            Some(0) => Some(FlagStatus::Cleared),
            Some(1) => Some(FlagStatus::Complete),
            Some(2) => Some(FlagStatus::Active),
            Some(n) => return Err(ParseError::bad_value(e::STATUS, &n.to_string())),
        };
        Ok(Flag {
            status,
            flag_type: optional_text(el, e::FLAG_TYPE),
            subject: el.child_text(t::SUBJECT),
            complete_time: date(el, e::COMPLETE_TIME)?,
            date_completed: date(el, t::DATE_COMPLETED)?,
            start_date: date(el, t::START_DATE)?,
            utc_start_date: date(el, t::UTC_START_DATE)?,
            due_date: date(el, t::DUE_DATE)?,
            utc_due_date: date(el, t::UTC_DUE_DATE)?,
            reminder_set: optional_bool(el, t::REMINDER_SET)?,
            reminder_time: date(el, t::REMINDER_TIME)?,
            ordinal_date: date(el, t::ORDINAL_DATE)?,
            sub_ordinal_date: optional_text(el, t::SUB_ORDINAL_DATE),
        })
    }

    /// Writes the `Flag` element (its children may come in any order, Email.xsd `xs:all`).
    pub fn to_element(&self) -> Element {
        let text = |tag, v: &Option<String>| v.as_ref().map(|v| Element::text(tag, v));
        let date = |tag, v: Option<EasDateTime>| v.map(|d| Element::text(tag, d.to_string()));
        Element::new(e::FLAG)
            .with_opt(text(t::SUBJECT, &self.subject))
            .with_opt(
                self.status
                    .map(|s| Element::text(e::STATUS, (s as u8).to_string())),
            )
            .with_opt(text(e::FLAG_TYPE, &self.flag_type))
            .with_opt(date(t::DATE_COMPLETED, self.date_completed))
            .with_opt(date(e::COMPLETE_TIME, self.complete_time))
            .with_opt(date(t::START_DATE, self.start_date))
            .with_opt(date(t::DUE_DATE, self.due_date))
            .with_opt(date(t::UTC_START_DATE, self.utc_start_date))
            .with_opt(date(t::UTC_DUE_DATE, self.utc_due_date))
            .with_opt(
                self.reminder_set
                    .map(|r| Element::text(t::REMINDER_SET, u8::from(r).to_string())),
            )
            .with_opt(date(t::REMINDER_TIME, self.reminder_time))
            .with_opt(date(t::ORDINAL_DATE, self.ordinal_date))
            .with_opt(text(t::SUB_ORDINAL_DATE, &self.sub_ordinal_date))
    }
}
