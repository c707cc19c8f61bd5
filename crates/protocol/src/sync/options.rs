//! The `Options` of a Sync collection (MS-ASCMD 2.2.3.125.6): filter, body preferences, MIME.

use eas_wbxml::tags::{air_sync as a, air_sync_base as asb, rights_management as rm};
use eas_wbxml::Element;

use crate::body::{body_preferences, BodyPreference};
use crate::error::{optional_bool, optional_number, optional_text, ParseError};

/// MS-ASCMD 2.2.3.68.2: how far back items are synchronized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FilterType {
    All = 0,
    OneDay = 1,
    ThreeDays = 2,
    OneWeek = 3,
    TwoWeeks = 4,
    OneMonth = 5,
    /// Calendar only.
    ThreeMonths = 6,
    /// Calendar only.
    SixMonths = 7,
    /// Tasks only: incomplete tasks.
    IncompleteTasks = 8,
}

impl FilterType {
    /// The numeric value of `FilterType`.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The filter for a numeric value, if it is defined.
    pub fn from_code(code: u8) -> Option<FilterType> {
        use FilterType::*;
        [
            All,
            OneDay,
            ThreeDays,
            OneWeek,
            TwoWeeks,
            OneMonth,
            ThreeMonths,
            SixMonths,
            IncompleteTasks,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }

    /// How many days back the window reaches; `None` for no date limit (0 and 8).
    pub const fn days(self) -> Option<u32> {
        match self {
            FilterType::All | FilterType::IncompleteTasks => None,
            FilterType::OneDay => Some(1),
            FilterType::ThreeDays => Some(3),
            FilterType::OneWeek => Some(7),
            FilterType::TwoWeeks => Some(14),
            FilterType::OneMonth => Some(31),
            FilterType::ThreeMonths => Some(92),
            FilterType::SixMonths => Some(183),
        }
    }
}

/// Reads an optional `FilterType` child (the tag differs between Sync and GetItemEstimate users).
pub(crate) fn filter_type(parent: &Element) -> Result<Option<FilterType>, ParseError> {
    match optional_number::<u8>(parent, a::FILTER_TYPE)? {
        None => Ok(None),
        Some(code) => FilterType::from_code(code)
            .map(Some)
            .ok_or_else(|| ParseError::bad_value(a::FILTER_TYPE, &code.to_string())),
    }
}

/// MS-ASCMD 2.2.3.110.3: whether the client wants items as MIME.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MimeSupport {
    Never = 0,
    /// MIME for S/MIME messages only.
    SmimeOnly = 1,
    Always = 2,
}

/// Reads an optional `airsync:MIMESupport` child (Sync, ItemOperations and Search options).
pub(crate) fn mime_support(parent: &Element) -> Result<Option<MimeSupport>, ParseError> {
    match optional_number::<u8>(parent, a::MIME_SUPPORT)? {
        None => Ok(None),
        Some(0) => Ok(Some(MimeSupport::Never)),
        Some(1) => Ok(Some(MimeSupport::SmimeOnly)),
        Some(2) => Ok(Some(MimeSupport::Always)),
        Some(n) => Err(ParseError::bad_value(a::MIME_SUPPORT, &n.to_string())),
    }
}

/// MS-ASCMD 2.2.3.34: which side wins a conflict; the server's when absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ConflictPolicy {
    ClientWins = 0,
    ServerWins = 1,
}

/// One `Options` element of a Sync collection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncOptions {
    /// MS-ASCMD 2.2.3.27.6: the class these options apply to (`Email`, `SMS`), 14.0 and later.
    pub class: Option<String>,
    pub filter_type: Option<FilterType>,
    pub body_preferences: Vec<BodyPreference>,
    pub body_part_preference: Option<BodyPreference>,
    pub mime_support: Option<MimeSupport>,
    /// MS-ASCMD 2.2.3.111: a code 0 to 8 for the MIME truncation size.
    pub mime_truncation: Option<u8>,
    pub conflict: Option<ConflictPolicy>,
    pub max_items: Option<u32>,
    pub rights_management_support: Option<bool>,
}

impl SyncOptions {
    /// Reads an `Options` element.
    pub fn from_element(el: &Element) -> Result<SyncOptions, ParseError> {
        let mime_support = mime_support(el)?;
        let conflict = match optional_number::<u8>(el, a::CONFLICT)? {
            None => None,
            Some(0) => Some(ConflictPolicy::ClientWins),
            Some(1) => Some(ConflictPolicy::ServerWins),
            Some(n) => return Err(ParseError::bad_value(a::CONFLICT, &n.to_string())),
        };
        let mime_truncation: Option<u8> = optional_number(el, a::MIME_TRUNCATION)?;
        if let Some(n) = mime_truncation.filter(|n| *n > 8) {
            return Err(ParseError::bad_value(a::MIME_TRUNCATION, &n.to_string()));
        }
        Ok(SyncOptions {
            class: optional_text(el, a::CLASS),
            filter_type: filter_type(el)?,
            body_preferences: body_preferences(el)?,
            body_part_preference: el
                .child(asb::BODY_PART_PREFERENCE)
                .map(BodyPreference::from_element)
                .transpose()?,
            mime_support,
            mime_truncation,
            conflict,
            max_items: optional_number(el, a::MAX_ITEMS)?,
            rights_management_support: optional_bool(el, rm::RIGHTS_MANAGEMENT_SUPPORT)?,
        })
    }

    /// Writes the element, as a client would send it.
    pub fn to_element(&self) -> Element {
        let num = |tag, n: Option<u32>| n.map(|n| Element::text(tag, n.to_string()));
        let mut el = Element::new(a::OPTIONS)
            .with_opt(self.class.as_ref().map(|c| Element::text(a::CLASS, c)))
            .with_opt(num(
                a::FILTER_TYPE,
                self.filter_type.map(|f| f.code().into()),
            ));
        for p in &self.body_preferences {
            el.push(p.to_element(asb::BODY_PREFERENCE));
        }
        el.with_opt(
            self.body_part_preference
                .as_ref()
                .map(|p| p.to_element(asb::BODY_PART_PREFERENCE)),
        )
        .with_opt(num(a::CONFLICT, self.conflict.map(|c| c as u32)))
        .with_opt(num(a::MIME_SUPPORT, self.mime_support.map(|m| m as u32)))
        .with_opt(num(a::MIME_TRUNCATION, self.mime_truncation.map(u32::from)))
        .with_opt(num(a::MAX_ITEMS, self.max_items))
        .with_opt(num(
            rm::RIGHTS_MANAGEMENT_SUPPORT,
            self.rights_management_support.map(u32::from),
        ))
    }
}
