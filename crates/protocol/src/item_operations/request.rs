//! The ItemOperations request (MS-ASCMD 2.2.1.10): Fetch, EmptyFolderContents and the
//! conversation Move, in the client's order.

use eas_wbxml::tags::{
    air_sync as a, air_sync_base as asb, document_library as dl, item_operations as io,
    rights_management as rm, search as s,
};
use eas_wbxml::Element;

use crate::body::{body_preferences, BodyPreference};
use crate::error::{
    expect_root, optional_bool, optional_text, required_id, required_text, text_or_opaque,
    ParseError,
};
use crate::sync::{mime_support, MimeSupport};

/// MS-ASCMD 2.2.3.178.2: the store of the mailbox (the other store is `DocumentLibrary`).
pub const STORE_MAILBOX: &str = "Mailbox";

/// What a Fetch asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchTarget {
    /// An item by folder and ServerId.
    Item {
        collection_id: String,
        server_id: String,
    },
    /// An item found by Search (search:LongId).
    LongId(String),
    /// An attachment (airsyncbase:FileReference); PHONE_FLOWS.md: how AOSP loads attachments.
    FileReference(String),
    /// A document library item (documentlibrary:LinkId), which this server does not offer.
    LinkId(String),
}

/// An inclusive byte range `start-end` (MS-ASCMD 2.2.3.143.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    /// Reads `"0-999"`; the end may not come before the start.
    pub fn parse(text: &str) -> Option<ByteRange> {
        let (a, b) = text.trim().split_once('-')?;
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
        if !all_digits(a) || !all_digits(b) {
            return None;
        }
        let range = ByteRange {
            start: a.parse().ok()?,
            end: b.parse().ok()?,
        };
        (range.start <= range.end).then_some(range)
    }
}

impl std::fmt::Display for ByteRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// The `Options` of a Fetch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchOptions {
    /// The properties wanted (MS-ASCMD 2.2.3.158), as empty elements; `None` for all.
    pub schema: Option<Vec<Element>>,
    pub range: Option<ByteRange>,
    pub mime_support: Option<MimeSupport>,
    pub body_preferences: Vec<BodyPreference>,
    pub body_part_preference: Option<BodyPreference>,
    pub rights_management_support: Option<bool>,
}

/// One Fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchRequest {
    pub store: String,
    pub target: FetchTarget,
    pub options: FetchOptions,
}

impl FetchRequest {
    /// True when the store is the mailbox (compared without case).
    pub fn is_mailbox(&self) -> bool {
        self.store.eq_ignore_ascii_case(STORE_MAILBOX)
    }
}

/// One operation of the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemOperation {
    Fetch(FetchRequest),
    /// MS-ASCMD 2.2.3.58: delete every item of a folder (and its subfolders if asked).
    EmptyFolderContents {
        collection_id: String,
        delete_sub_folders: bool,
    },
    /// MS-ASCMD 2.2.3.117.1: move a whole conversation. Read so it can be refused with a
    /// status (156, action not supported).
    MoveConversation {
        conversation_id: Vec<u8>,
        dst_fld_id: String,
        move_always: bool,
    },
}

/// An ItemOperations request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemOperationsRequest {
    pub operations: Vec<ItemOperation>,
}

fn read_options(el: Option<&Element>) -> Result<FetchOptions, ParseError> {
    let Some(o) = el else {
        return Ok(FetchOptions::default());
    };
    let range = match optional_text(o, io::RANGE) {
        None => None,
        Some(t) => Some(ByteRange::parse(&t).ok_or_else(|| ParseError::bad_value(io::RANGE, &t))?),
    };
    Ok(FetchOptions {
        schema: o.child(io::SCHEMA).map(|s| s.elements().cloned().collect()),
        range,
        mime_support: mime_support(o)?,
        body_preferences: body_preferences(o)?,
        body_part_preference: o
            .child(asb::BODY_PART_PREFERENCE)
            .map(BodyPreference::from_element)
            .transpose()?,
        rights_management_support: optional_bool(o, rm::RIGHTS_MANAGEMENT_SUPPORT)?,
    })
}

fn read_fetch(el: &Element) -> Result<FetchRequest, ParseError> {
    let target = if el.child(asb::FILE_REFERENCE).is_some() {
        FetchTarget::FileReference(required_id(el, asb::FILE_REFERENCE, usize::MAX)?)
    } else if el.child(s::LONG_ID).is_some() {
        FetchTarget::LongId(required_id(el, s::LONG_ID, 256)?)
    } else if el.child(dl::LINK_ID).is_some() {
        FetchTarget::LinkId(required_text(el, dl::LINK_ID)?)
    } else {
        // MS-ASCMD 2.2.3.67.1: without one of the others, an item needs ServerId and CollectionId.
        let server_id = required_id(el, a::SERVER_ID, 64)?;
        FetchTarget::Item {
            collection_id: required_id(el, a::COLLECTION_ID, 64)?,
            server_id,
        }
    };
    Ok(FetchRequest {
        store: required_id(el, io::STORE, 256)?,
        target,
        options: read_options(el.child(io::OPTIONS))?,
    })
}

fn read_operation(el: &Element) -> Result<Option<ItemOperation>, ParseError> {
    let op = match el.tag {
        t if t == io::FETCH => ItemOperation::Fetch(read_fetch(el)?),
        t if t == io::EMPTY_FOLDER_CONTENTS => ItemOperation::EmptyFolderContents {
            collection_id: required_id(el, a::COLLECTION_ID, 64)?,
            delete_sub_folders: el
                .child(io::OPTIONS)
                .is_some_and(|o| o.child(io::DELETE_SUB_FOLDERS).is_some()),
        },
        t if t == io::MOVE => ItemOperation::MoveConversation {
            conversation_id: el
                .child(io::CONVERSATION_ID)
                .map(text_or_opaque)
                .ok_or(ParseError::Missing(io::CONVERSATION_ID))?,
            dst_fld_id: required_id(el, io::DST_FLD_ID, 64)?,
            move_always: el
                .child(io::OPTIONS)
                .is_some_and(|o| o.child(io::MOVE_ALWAYS).is_some()),
        },
        _ => return Ok(None),
    };
    Ok(Some(op))
}

impl ItemOperationsRequest {
    /// Reads a request tree whose root is `ItemOperations`; it needs at least one operation.
    pub fn from_element(root: &Element) -> Result<ItemOperationsRequest, ParseError> {
        expect_root(root, io::ITEM_OPERATIONS)?;
        let mut operations = Vec::new();
        for el in root.elements() {
            if let Some(op) = read_operation(el)? {
                operations.push(op);
            }
        }
        if operations.is_empty() {
            return Err(ParseError::Missing(io::FETCH));
        }
        Ok(ItemOperationsRequest { operations })
    }
}
