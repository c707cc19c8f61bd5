//! Folder types of the folder hierarchy (MS-ASCMD 2.2.3.186.3).

/// The `Type` of a folder in FolderSync, FolderCreate and FolderUpdate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FolderType {
    UserGeneric = 1,
    Inbox = 2,
    Drafts = 3,
    DeletedItems = 4,
    SentItems = 5,
    Outbox = 6,
    Tasks = 7,
    Calendar = 8,
    Contacts = 9,
    Notes = 10,
    Journal = 11,
    UserMail = 12,
    UserCalendar = 13,
    UserContacts = 14,
    UserTasks = 15,
    UserJournal = 16,
    UserNotes = 17,
    Unknown = 18,
    RecipientInformationCache = 19,
}

impl FolderType {
    /// Every type, in numeric order.
    pub const ALL: [FolderType; 19] = [
        FolderType::UserGeneric,
        FolderType::Inbox,
        FolderType::Drafts,
        FolderType::DeletedItems,
        FolderType::SentItems,
        FolderType::Outbox,
        FolderType::Tasks,
        FolderType::Calendar,
        FolderType::Contacts,
        FolderType::Notes,
        FolderType::Journal,
        FolderType::UserMail,
        FolderType::UserCalendar,
        FolderType::UserContacts,
        FolderType::UserTasks,
        FolderType::UserJournal,
        FolderType::UserNotes,
        FolderType::Unknown,
        FolderType::RecipientInformationCache,
    ];

    /// The numeric value of the `Type` element.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The type for a numeric value in 1..=19.
    pub fn from_code(code: u8) -> Option<FolderType> {
        Self::ALL.get(usize::from(code).checked_sub(1)?).copied()
    }

    /// The type a client may create with FolderCreate (MS-ASCMD 2.2.3.186.2: 1, 12 to 17).
    pub const fn is_user_creatable(self) -> bool {
        matches!(self.code(), 1 | 12..=17)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_types_round_trip_through_their_codes() {
        for t in FolderType::ALL {
            assert_eq!(FolderType::from_code(t.code()), Some(t));
        }
        assert_eq!(FolderType::from_code(0), None);
        assert_eq!(FolderType::from_code(20), None);
        assert_eq!(FolderType::Calendar.code(), 8);
        assert_eq!(FolderType::RecipientInformationCache.code(), 19);
    }

    #[test]
    fn only_user_folder_types_are_creatable() {
        assert!(FolderType::UserMail.is_user_creatable());
        assert!(FolderType::UserGeneric.is_user_creatable());
        assert!(!FolderType::Inbox.is_user_creatable());
        assert!(!FolderType::RecipientInformationCache.is_user_creatable());
    }
}
