//! The contacts service's domain types: ids, folders, versions and what writes return.

use crate::error::ContactsError;

/// A folder id: its row id, a decimal string on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FolderId(pub i64);

/// A contact id: its row id, a decimal string on the wire. Never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContactId(pub i64);

eas_data_service::decimal_id_type!(FolderId, ContactsError, ContactsError::InvalidId);
eas_data_service::decimal_id_type!(ContactId, ContactsError, ContactsError::InvalidId);

/// What a folder is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FolderRole {
    /// The default Contacts folder (MS-ASCMD 2.2.3.186.3 type 9), created with the address book.
    Contacts,
    /// A user-created contacts folder (type 14).
    User,
    /// The recipients collected from sent mail: searchable, not synchronized, never listed.
    Collected,
}

impl FolderRole {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FolderRole::Contacts => "contacts",
            FolderRole::User => "user",
            FolderRole::Collected => "collected",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<FolderRole> {
        match s {
            "contacts" => Some(FolderRole::Contacts),
            "user" => Some(FolderRole::User),
            "collected" => Some(FolderRole::Collected),
            _ => None,
        }
    }

    /// The FolderSync type code (MS-ASCMD 2.2.3.186.3): 9 default Contacts, 14 user-created.
    pub fn folder_type(self) -> u32 {
        match self {
            FolderRole::Contacts => 9,
            FolderRole::User | FolderRole::Collected => 14,
        }
    }

    /// Whether phones see the folder (ListFolders).
    pub fn synchronized(self) -> bool {
        self != FolderRole::Collected
    }
}

/// The display name of the default Contacts folder.
pub const CONTACTS_FOLDER_NAME: &str = "Contacts";
/// The display name of the collected contacts.
pub const COLLECTED_FOLDER_NAME: &str = "Collected contacts";

/// One folder of a user's address books.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub id: FolderId,
    /// `None` at the top level.
    pub parent_id: Option<FolderId>,
    pub name: String,
    pub role: FolderRole,
    /// The change counter: the modseq of the folder's last item change.
    pub counter: u64,
}

/// Every folder of a user with the hierarchy counter, read in one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    pub counter: u64,
    pub folders: Vec<Folder>,
}

/// A folder's change counter and tombstone horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderState {
    pub id: FolderId,
    pub role: FolderRole,
    pub counter: u64,
    /// Tombstones at or below this modseq may be gone.
    pub purged_through: u64,
}

/// The version of one item in a folder's change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemVersion {
    pub id: ContactId,
    pub modseq: u64,
    pub deleted: bool,
}

/// A live contact as stored: its stored JSON form (crates/contacts `stored`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContact {
    pub id: ContactId,
    pub folder_id: FolderId,
    pub modseq: u64,
    pub json: String,
}

/// What a write to one item did: the item, its folder and its new modseq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub id: ContactId,
    pub folder_id: FolderId,
    pub modseq: u64,
}

/// A move: the tombstone left in the source, the new item in the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub tombstone: Written,
    pub item: Written,
}

/// One search match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub contact: StoredContact,
    pub from_collected: bool,
}

/// The matches of a search, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResult {
    pub total: u64,
    pub hits: Vec<SearchHit>,
}

/// A card of an import that was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The card's position in the file, from 0.
    pub index: usize,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub folder_id: FolderId,
    /// The ids of the contacts added, in file order.
    pub ids: Vec<ContactId>,
    pub errors: Vec<ImportError>,
}

/// A recipient of sent mail, for the collected contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub address: String,
    pub display_name: String,
}
