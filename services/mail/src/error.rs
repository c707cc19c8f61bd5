//! Errors of the mail store.

/// Failure of a mail store operation. Messages name ids and addresses, never message content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    #[error("mailbox not found: {0}")]
    MailboxNotFound(String),
    /// No such folder in this user's mailbox.
    #[error("folder not found: {0}")]
    FolderNotFound(String),
    /// No such live message in this user's mailbox.
    #[error("message not found: {0}")]
    MessageNotFound(String),
    #[error("attachment not found: message {message} index {index}")]
    AttachmentNotFound { message: String, index: u32 },
    /// A folder of that name already exists under the same parent (FolderCreate status 2).
    #[error("folder already exists: {0}")]
    FolderExists(String),
    /// The standard folders cannot be renamed, moved or deleted (MS-ASCMD 2.2.3.177.x).
    #[error("special folder cannot be changed: {0}")]
    SpecialFolder(String),
    /// A folder cannot move into itself or one of its descendants.
    #[error("folder cannot move under itself: {0}")]
    FolderCycle(String),
    /// A move whose destination is the folder the message is already in (MoveItems status 4).
    #[error("source and destination folder are the same: {0}")]
    SameFolder(String),
    #[error("invalid folder name")]
    InvalidFolderName,
    #[error("invalid id {0:?}")]
    InvalidId(String),
    #[error("invalid address {0:?}")]
    InvalidAddress(String),
    /// mail-parser found nothing it could read (an empty message).
    #[error("message cannot be parsed")]
    Unparseable,
    #[error("invalid postgres schema name {0:?}: expected lowercase letters, digits and _")]
    InvalidSchema(String),
    #[error("unsupported database url: expected sqlite:// or postgres://")]
    UnsupportedUrl,
    /// A stored row breaks an invariant of the schema (for example an unknown folder type).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The spool file of a message being delivered could not be read.
    #[error("spool error: {0}")]
    Spool(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl From<MailError> for eas_rpc::ServiceError {
    fn from(e: MailError) -> Self {
        use eas_rpc::ServiceErrorCode as C;
        use MailError::*;
        let code = match &e {
            MailboxNotFound(_)
            | FolderNotFound(_)
            | MessageNotFound(_)
            | AttachmentNotFound { .. } => C::NotFound,
            FolderExists(_) => C::AlreadyExists,
            SpecialFolder(_) => C::SpecialFolder,
            FolderCycle(_) => C::FolderCycle,
            SameFolder(_) => C::SameFolder,
            InvalidFolderName | InvalidId(_) | InvalidAddress(_) | Unparseable => {
                C::InvalidArgument
            }
            // The spool lives on the local disk: a read failure is the disk's, and passes.
            Spool(_) => C::Unavailable,
            Database(db) => database_code(db),
            InvalidSchema(_) | UnsupportedUrl | Corrupt(_) | Migration(_) => C::Internal,
        };
        eas_rpc::ServiceError::new(code, e.to_string())
    }
}

/// The code of a database failure: a lock or conflict passes (Busy), an outage is Unavailable,
/// anything else a bug (Internal, HTTP 500 at the edge); `eas_store_kit::failure` reads it.
fn database_code(e: &sqlx::Error) -> eas_rpc::ServiceErrorCode {
    use eas_rpc::ServiceErrorCode as C;
    match eas_store_kit::failure(e) {
        eas_store_kit::Failure::Busy => C::Busy,
        eas_store_kit::Failure::Unavailable => C::Unavailable,
        eas_store_kit::Failure::Internal => C::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_rpc::ServiceErrorCode as C;

    #[test]
    fn caller_errors_keep_their_kind() {
        let cases = [
            (MailError::FolderNotFound("7".into()), C::NotFound),
            (MailError::FolderExists("x".into()), C::AlreadyExists),
            (MailError::SpecialFolder("1".into()), C::SpecialFolder),
            (MailError::FolderCycle("2".into()), C::FolderCycle),
            (MailError::SameFolder("3".into()), C::SameFolder),
            (MailError::InvalidId("z".into()), C::InvalidArgument),
        ];
        for (e, want) in cases {
            assert_eq!(eas_rpc::ServiceError::from(e).code, want);
        }
    }

    #[test]
    fn a_bug_is_internal_and_an_outage_unavailable() {
        let corrupt = eas_rpc::ServiceError::from(MailError::Corrupt("folder type 99".into()));
        assert_eq!(corrupt.code, C::Internal);
        let decode = MailError::Database(sqlx::Error::ColumnNotFound("x".into()));
        assert_eq!(eas_rpc::ServiceError::from(decode).code, C::Internal);
        let pool = MailError::Database(sqlx::Error::PoolTimedOut);
        assert_eq!(eas_rpc::ServiceError::from(pool).code, C::Unavailable);
        let io = MailError::Database(sqlx::Error::Io(std::io::Error::other("reset")));
        assert_eq!(eas_rpc::ServiceError::from(io).code, C::Unavailable);
    }
}
