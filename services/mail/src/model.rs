//! Domain types of the mail service: ids, folders, message metadata, change versions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Its string form (decimal) is the stable id handed to the edge and to phones.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = crate::error::MailError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                // Only canonical decimal, so that one id has exactly one string form.
                match s.parse::<i64>() {
                    Ok(n) if n > 0 && n.to_string() == s => Ok($name(n)),
                    _ => Err(crate::error::MailError::InvalidId(s.to_owned())),
                }
            }
        }
    };
}

string_id!(
    /// A folder, unique across all mailboxes.
    FolderId
);
string_id!(
    /// A message (or its tombstone), unique across all mailboxes; a move gives a new id.
    MessageId
);

/// Folder types of MS-ASCMD 2.2.3.186.3 (Type in FolderSync) that the mail service uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FolderType {
    Inbox,
    Drafts,
    DeletedItems,
    SentItems,
    Outbox,
    /// A user-created mail folder.
    UserMail,
}

impl FolderType {
    /// The MS-ASCMD FolderType code.
    pub fn code(self) -> i32 {
        match self {
            FolderType::Inbox => 2,
            FolderType::Drafts => 3,
            FolderType::DeletedItems => 4,
            FolderType::SentItems => 5,
            FolderType::Outbox => 6,
            FolderType::UserMail => 12,
        }
    }

    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            2 => FolderType::Inbox,
            3 => FolderType::Drafts,
            4 => FolderType::DeletedItems,
            5 => FolderType::SentItems,
            6 => FolderType::Outbox,
            12 => FolderType::UserMail,
            _ => return None,
        })
    }

    /// The folders every mailbox starts with, with their display names.
    pub const STANDARD: [(FolderType, &'static str); 5] = [
        (FolderType::Inbox, "Inbox"),
        (FolderType::Drafts, "Drafts"),
        (FolderType::DeletedItems, "Deleted Items"),
        (FolderType::SentItems, "Sent Items"),
        (FolderType::Outbox, "Outbox"),
    ];
}

/// One folder of a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub id: FolderId,
    /// `None` for a top-level folder (ParentId 0 in FolderSync).
    pub parent_id: Option<FolderId>,
    pub name: String,
    pub folder_type: FolderType,
    /// The folder's change counter: the modseq of its latest item change.
    pub counter: u64,
}

/// The folder list of a mailbox with the hierarchy counter it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    /// Moves on every folder create, rename, move and delete.
    pub counter: u64,
    /// Ordered by id, so parents of standard folders come first.
    pub folders: Vec<Folder>,
}

/// A mailbox (RFC 5322 section 3.4): optional display name and address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub address: String,
}

/// Importance as sent (MS-ASEMAIL 2.2.2.38): 0 low, 1 normal, 2 high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Importance {
    Low,
    #[default]
    Normal,
    High,
}

impl Importance {
    pub fn code(self) -> i16 {
        match self {
            Importance::Low => 0,
            Importance::Normal => 1,
            Importance::High => 2,
        }
    }

    pub fn from_code(code: i16) -> Self {
        match code {
            0 => Importance::Low,
            2 => Importance::High,
            _ => Importance::Normal,
        }
    }
}

/// Flag status (MS-ASEMAIL 2.2.2.74): 0 cleared, 1 complete, 2 active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FlagStatus {
    #[default]
    Cleared,
    Complete,
    Active,
}

impl FlagStatus {
    pub fn code(self) -> i16 {
        match self {
            FlagStatus::Cleared => 0,
            FlagStatus::Complete => 1,
            FlagStatus::Active => 2,
        }
    }

    pub fn from_code(code: i16) -> Option<Self> {
        Some(match code {
            0 => FlagStatus::Cleared,
            1 => FlagStatus::Complete,
            2 => FlagStatus::Active,
            _ => return None,
        })
    }
}

/// The follow-up flag of a message (MS-ASEMAIL 2.2.2.34); dates in unix seconds (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flag {
    pub status: FlagStatus,
    pub start_at: Option<i64>,
    pub due_at: Option<i64>,
}

/// One attachment as found at delivery; `index` addresses it for reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    /// Position among the message's attachments, from 0.
    pub index: u32,
    pub name: Option<String>,
    /// `type/subtype`, lowercase.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: u64,
    pub content_id: Option<String>,
    /// Content-Disposition inline (RFC 2183), typically an image the HTML body shows.
    pub inline: bool,
}

/// Everything indexed about one live message; the body stays in the raw blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMeta {
    pub id: MessageId,
    pub folder_id: FolderId,
    pub modseq: u64,
    pub from: Vec<EmailAddress>,
    pub to: Vec<EmailAddress>,
    pub cc: Vec<EmailAddress>,
    pub reply_to: Vec<EmailAddress>,
    pub subject: String,
    /// The Date header, unix seconds, when present and valid.
    pub sent_at: Option<i64>,
    /// When the message reached the mailbox, unix seconds.
    pub received_at: i64,
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub importance: Importance,
    /// Size of the raw RFC 5322 message in bytes.
    pub size: u64,
    /// True when a non-inline attachment is present.
    pub has_attachments: bool,
    pub attachments: Vec<AttachmentMeta>,
    pub read: bool,
    pub flag: Flag,
}

/// One entry of a folder's change log (what the sync engine reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemVersion {
    pub id: MessageId,
    /// The folder counter value of the item's last change.
    pub modseq: u64,
    /// A tombstone: deleted or moved out of the folder.
    pub deleted: bool,
    /// Received time, unix seconds (kept on tombstones too).
    pub date: i64,
}

/// The counter and tombstone horizon of one folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderState {
    pub id: FolderId,
    pub folder_type: FolderType,
    pub counter: u64,
    /// Tombstones with a modseq at or below this were purged.
    pub purged_through: u64,
}

/// The result of a write to one item: where it now lives and its new modseq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemChange {
    pub id: MessageId,
    pub folder_id: FolderId,
    pub modseq: u64,
}

/// The result of a move: the source tombstone and the new item in the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub tombstone: ItemChange,
    pub item: ItemChange,
}

/// One page of search results, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResult {
    /// Matches in total, not just in this page.
    pub total: u64,
    pub items: Vec<MessageMeta>,
}
