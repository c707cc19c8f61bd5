//! Errors of the contacts service, and the code each one travels under to the edge.

/// Failure of a contacts operation. Messages name ids and addresses, never contact content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContactsError {
    /// No such folder among this user's address books.
    #[error("folder not found: {0}")]
    FolderNotFound(String),
    /// No such live contact in the folder.
    #[error("contact not found: {0}")]
    ContactNotFound(String),
    /// A folder of that name already exists under the same parent (FolderCreate status 2).
    #[error("folder already exists: {0}")]
    FolderExists(String),
    /// The default Contacts folder and the collected contacts cannot be renamed, moved or
    /// deleted (MS-ASCMD 2.2.3.177.2 status 2, 2.2.3.177.3 status 3).
    #[error("special folder cannot be changed: {0}")]
    SpecialFolder(String),
    /// A folder cannot move into itself or one of its descendants.
    #[error("folder cannot move under itself: {0}")]
    FolderCycle(String),
    /// A move whose destination is the folder the contact is already in.
    #[error("source and destination folder are the same: {0}")]
    SameFolder(String),
    /// A conditional update found the contact changed since the version named.
    #[error("contact {id} changed: at modseq {current}, expected {expected}")]
    Conflict {
        id: String,
        expected: u64,
        current: u64,
    },
    /// The JSON is not crates/contacts' stored form.
    #[error("invalid contact: {0}")]
    InvalidContact(String),
    /// The data is not a vCard file.
    #[error("invalid vcard file: {0}")]
    InvalidVcard(String),
    #[error("unsupported vcard version {0}: expected 3 or 4")]
    UnsupportedVersion(u32),
    #[error("invalid folder name")]
    InvalidFolderName,
    #[error("invalid search query")]
    InvalidQuery,
    #[error("invalid id {0:?}")]
    InvalidId(String),
    #[error("invalid address {0:?}")]
    InvalidAddress(String),
    #[error("invalid postgres schema name {0:?}: expected lowercase letters, digits and _")]
    InvalidSchema(String),
    #[error("unsupported database url: expected sqlite:// or postgres://")]
    UnsupportedUrl,
    /// A stored row breaks an invariant of the schema (an unknown folder role, unreadable JSON).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl From<ContactsError> for eas_rpc::ServiceError {
    fn from(e: ContactsError) -> Self {
        use eas_rpc::ServiceErrorCode as C;
        use ContactsError::*;
        let code = match &e {
            FolderNotFound(_) | ContactNotFound(_) => C::NotFound,
            FolderExists(_) => C::AlreadyExists,
            SpecialFolder(_) => C::SpecialFolder,
            FolderCycle(_) => C::FolderCycle,
            SameFolder(_) => C::SameFolder,
            Conflict { .. } => C::Conflict,
            InvalidContact(_)
            | InvalidVcard(_)
            | UnsupportedVersion(_)
            | InvalidFolderName
            | InvalidQuery
            | InvalidId(_)
            | InvalidAddress(_) => C::InvalidArgument,
            Database(db) => eas_data_service::database_code(db),
            InvalidSchema(_) | UnsupportedUrl | Corrupt(_) | Migration(_) => C::Internal,
        };
        eas_rpc::ServiceError::new(code, e.to_string())
    }
}

impl From<eas_store_kit::OpenError> for ContactsError {
    fn from(e: eas_store_kit::OpenError) -> Self {
        use eas_store_kit::OpenError;
        match e {
            OpenError::UnsupportedUrl => ContactsError::UnsupportedUrl,
            OpenError::InvalidSchema(name) => ContactsError::InvalidSchema(name),
            OpenError::Database(e) => ContactsError::Database(e),
            OpenError::Migration(e) => ContactsError::Migration(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_rpc::ServiceErrorCode as C;

    #[test]
    fn caller_errors_keep_their_kind() {
        let cases = [
            (ContactsError::FolderNotFound("7".into()), C::NotFound),
            (ContactsError::ContactNotFound("8".into()), C::NotFound),
            (ContactsError::FolderExists("x".into()), C::AlreadyExists),
            (ContactsError::SpecialFolder("1".into()), C::SpecialFolder),
            (ContactsError::FolderCycle("2".into()), C::FolderCycle),
            (ContactsError::SameFolder("3".into()), C::SameFolder),
            (
                ContactsError::Conflict {
                    id: "4".into(),
                    expected: 1,
                    current: 2,
                },
                C::Conflict,
            ),
            (
                ContactsError::InvalidContact("x".into()),
                C::InvalidArgument,
            ),
            (ContactsError::InvalidId("z".into()), C::InvalidArgument),
        ];
        for (e, want) in cases {
            assert_eq!(eas_rpc::ServiceError::from(e).code, want);
        }
    }

    #[test]
    fn an_outage_is_unavailable_and_a_bug_internal() {
        let pool = ContactsError::Database(sqlx::Error::PoolTimedOut);
        assert_eq!(eas_rpc::ServiceError::from(pool).code, C::Unavailable);
        let corrupt = ContactsError::Corrupt("role".into());
        assert_eq!(eas_rpc::ServiceError::from(corrupt).code, C::Internal);
    }
}
